"""One-time receipt codes: issued signed, stored only as a SHA-256 hash, consumed with the response."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, cast
from urllib.parse import quote

from flask import current_app, render_template
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import CursorResult, select, update

from ..extensions import db
from ..models import ServicePoint, Token
from .points import point_url, qr_svg

SALT = "hailong.receipt-token"
#: A signed token is short ASCII; anything longer is refused before any work.
MAX_TOKEN_LENGTH = 120
MAX_ISSUE = 5000


class TokenState(StrEnum):
    VALID = "valid"
    USED = "used"
    INVALID = "invalid"


class TokenUsed(Exception):
    """The token was consumed by another response before this one could be stored."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_hash(token: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(point: ServicePoint, count: int) -> list[str]:
    """Create `count` tokens for a point and add their hashes to the session. Returns the tokens."""
    if not 1 <= count <= MAX_ISSUE:
        raise ValueError(f"count must be 1..{MAX_ISSUE}")
    serializer = _serializer()
    tokens = []
    now = datetime.now(UTC)
    for _ in range(count):
        # 9 random bytes: unguessable even without the signature; the signature rejects forgeries cheaply.
        nonce = base64.urlsafe_b64encode(secrets.token_bytes(9)).decode("ascii")
        token = serializer.dumps([point.id, nonce])
        tokens.append(token)
        db.session.add(Token(token_hash=token_hash(token), point_id=point.id,
                             organisation_id=point.organisation_id, issued_at=now))
    db.session.flush()
    return tokens


def token_url(base_url: str, point: ServicePoint, token: str) -> str:
    return f"{point_url(base_url, point)}?t={quote(token, safe='')}"


def well_formed(token: str | None) -> bool:
    """Whether a value could be a token at all (short printable ASCII), before any signature check."""
    return token is not None and 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii() and token.isprintable()


def check(token: str, point: ServicePoint) -> TokenState:
    """Whether a token presented at a point is valid, already used, or forged/unknown/for another point."""
    if not well_formed(token):
        return TokenState.INVALID
    try:
        payload = _serializer().loads(token)
    except BadData:
        return TokenState.INVALID
    if not (isinstance(payload, list) and len(payload) == 2 and payload[0] == point.id):
        return TokenState.INVALID
    row = db.session.execute(
        select(Token.point_id, Token.used_at)
        .filter_by(organisation_id=point.organisation_id, token_hash=token_hash(token))
    ).first()
    if row is None or row.point_id != point.id:
        return TokenState.INVALID
    return TokenState.USED if row.used_at is not None else TokenState.VALID


def claim(token: str) -> bool:
    """Mark an unused token used, in the caller's transaction; False when another response used it first.

    The conditional UPDATE is the lock: of two submissions racing for one token, the second finds it used.
    """
    claimed = cast(CursorResult[Any], db.session.execute(
        update(Token).where(Token.token_hash == token_hash(token), Token.used_at.is_(None))
        .values(used_at=datetime.now(UTC))
    )).rowcount
    return claimed == 1


def attach(token: str, response_id: int) -> None:
    """Link a claimed token to the response it verified."""
    db.session.execute(update(Token).where(Token.token_hash == token_hash(token)).values(response_id=response_id))


@dataclass(frozen=True)
class Slip:
    url: str
    qr: str


def render_slips(point: ServicePoint, tokens: list[str], base_url: str) -> bytes:
    """A4 pages of cut-out slips, each with one token's QR code, as PDF (WeasyPrint)."""
    from weasyprint import HTML

    slips = []
    for token in tokens:
        url = token_url(base_url, point, token)
        svg = base64.b64encode(qr_svg(url)).decode("ascii")
        slips.append(Slip(url=url, qr=f"data:image/svg+xml;base64,{svg}"))
    html = render_template("tokens/slips.html", point=point, slips=slips)
    return bytes(HTML(string=html).write_pdf())

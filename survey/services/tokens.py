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
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ServicePoint, Submission, Token
from . import responses as response_svc
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


@dataclass(frozen=True)
class TokenCheck:
    state: TokenState
    token_id: int | None = None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_hash(token: str) -> str:
    """The only form in which a token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue(point: ServicePoint, count: int) -> list[str]:
    """Create `count` tokens for a point and store their hashes; caller commits. Returns the tokens."""
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
        db.session.add(Token(token_hash=token_hash(token), point_id=point.id, issued_at=now))
    db.session.flush()
    return tokens


def token_url(base_url: str, point: ServicePoint, token: str) -> str:
    return f"{point_url(base_url, point.code)}?t={quote(token, safe='')}"


def well_formed(token: str | None) -> bool:
    """Whether a value could be a token at all (short printable ASCII), before any signature check."""
    return token is not None and 0 < len(token) <= MAX_TOKEN_LENGTH and token.isascii() and token.isprintable()


def check(token: str, point: ServicePoint) -> TokenCheck:
    """Whether a token presented at a point is valid, already used, or forged/unknown/for another point."""
    if not well_formed(token):
        return TokenCheck(TokenState.INVALID)
    try:
        payload = _serializer().loads(token)
    except BadData:
        return TokenCheck(TokenState.INVALID)
    if not (isinstance(payload, list) and len(payload) == 2 and payload[0] == point.id):
        return TokenCheck(TokenState.INVALID)
    row = db.session.execute(
        select(Token.id, Token.point_id, Token.used_at).filter_by(token_hash=token_hash(token))
    ).first()
    if row is None or row.point_id != point.id:
        return TokenCheck(TokenState.INVALID)
    return TokenCheck(TokenState.USED if row.used_at is not None else TokenState.VALID, row.id)


def submit_with_token(draft: response_svc.Draft, token: str) -> tuple[int, bool]:
    """Store a verified response and consume its token in one commit; a repeated submission key is not new.

    Raises TokenUsed when another submission consumed the token first (nothing is stored then).
    """
    existing = db.session.scalar(select(Submission.id).filter_by(submission_key=draft.submission_key))
    if existing is not None:
        return existing, False
    draft.verified = True
    draft.submitted_at = response_svc.intake_time(draft.submitted_at)
    digest = token_hash(token)
    try:
        # Claim the token first: the conditional UPDATE is the lock that makes a second use lose.
        claimed = cast(CursorResult[Any], db.session.execute(
            update(Token)
            .where(Token.token_hash == digest, Token.used_at.is_(None))
            .values(used_at=datetime.now(UTC))
        )).rowcount
        if claimed != 1:
            db.session.rollback()
            return _already_stored(draft.submission_key)
        (rid,) = response_svc.write_many([draft])
        db.session.execute(update(Token).where(Token.token_hash == digest).values(response_id=rid))
        db.session.commit()
    except IntegrityError:
        # The same form was submitted twice at once and the other request won: its row is the answer.
        db.session.rollback()
        return _already_stored(draft.submission_key)
    except Exception:
        db.session.rollback()
        raise
    return rid, True


def _already_stored(submission_key: str) -> tuple[int, bool]:
    existing = db.session.scalar(select(Submission.id).filter_by(submission_key=submission_key))
    if existing is None:
        raise TokenUsed
    return existing, False


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

"""Limits for open posters: one response per served form, per-browser daily marks, honeypot, minimum fill time
and per-network rate limits.

Suspicious responses are stored with a reason (flagged, excluded from indices until reviewed), never dropped.
The only network-level state is a keyed hash of the address with a key that changes every day; the raw
address is never stored (Decree 13/2023).

Rate limit on POST /s/<code>, per (address hash, point): HAILONG_RATELIMIT_SUBMIT. A school's parents share one
Wi-Fi address, and a school often holds every class's parent meeting at the same hour. `python -m bench.load
--school` simulates a meeting where everyone scans within two minutes and fills in for a log-normal time
(median 3 minutes): the busiest minute holds about 166 submissions for 600 parents, 260 for 1,000 and 385
for 1,500 (p99 of 500 runs; the most seen for 1,500 was 408). 400 per minute lets a 1,500-parent school on
one address through while still stopping a script that floods a point; 3000 per hour covers that school
twice over. A refused citizen gets the form back with every answer kept (respond.views.refused).
Stuffing at lower rates is caught by the form keys (a loaded form stores one response: posting it again with
made-up keys is refused), the flags and the one-time receipt codes, not by the rate limit.
Its default is in survey/settings.py (the load bench sets it high: all its respondents come from 127.0.0.1).

The paged form posts once per page (Tiếp, Quay lại): those page changes are counted apart, against
HAILONG_RATELIMIT_PAGES, ten times the answers' limit for forms of up to nine pages, so the parents' meeting
above gets through page by page while only sent forms count against the answers' limit.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from werkzeug.wrappers import Response

from hailong.analysis.periods import day_key

#: The paged form's button that sends ("Gửi luôn", "Gửi phiếu"); any other `go` only changes the page.
SEND = "send"
SEEN_COOKIE = "hl_seen"
SEEN_SALT = "hailong.seen"
MAX_SEEN_POINTS = 64


def submit_limit() -> str:
    """The Flask-Limiter limit for submissions (read per request so config and tests can change it)."""
    return str(current_app.config["HAILONG_RATELIMIT_SUBMIT"])


def page_limit() -> str:
    """The Flask-Limiter limit for the paged form's page changes (Tiếp, Quay lại)."""
    return str(current_app.config["HAILONG_RATELIMIT_PAGES"])


def is_page_change() -> bool:
    """Whether this POST only moves the paged form to another page: it carries `page`, and `go` is not "send"."""
    request.get_data(cache=True, parse_form_data=False)  # cached first, so posted.read() still sees the raw body
    form = request.form
    return "page" in form and form.get("go") != SEND


def post_limit() -> str:
    """The limit of a POST to a form: sent answers and page changes have their own (see the module's text)."""
    return page_limit() if is_page_change() else submit_limit()


def min_fill_seconds() -> int:
    """Seconds between serving a form and its answer below which the answer is flagged as too fast."""
    return int(current_app.config["HAILONG_MIN_FILL_SECONDS"])


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


def address_hash(address: str, when: datetime | None = None) -> str:
    """HMAC of a network address under a key derived from the secret and today's date (rotates daily)."""
    day = day_key(when or datetime.now(UTC))
    day_secret = hmac.new(_secret(), f"address-key:{day}".encode(), hashlib.sha256).digest()
    return hmac.new(day_secret, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:24]


def limit_key() -> str:
    """Rate-limit key: hashed address and point code (never the raw address, also not in Redis)."""
    code = str((request.view_args or {}).get("code", ""))[:40]
    return f"{address_hash(request.remote_addr or '-')}:{code}"


def post_limit_key() -> str:
    """limit_key, kept apart for page changes so they never use up the answers' limit."""
    return limit_key() + (":pages" if is_page_change() else "")


# --- one stored response per served form -------------------------------------------------------

#: A served form's key: a random nonce, the Unix time it was served, and an HMAC binding both to the point.
FORM_KEY_RE = re.compile(r"([A-Za-z0-9_-]{22})\.([0-9]{1,12})\.([A-Za-z0-9_-]{16})")


def _form_key_mac(point_id: int, nonce: str, seconds: str) -> str:
    mac = hmac.new(_secret(), f"form-key:{point_id}:{nonce}:{seconds}".encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(mac).decode("ascii")


def issue_form_key(point_id: int, now: datetime | None = None) -> str:
    """The submission key of one served form of a point (50 ASCII characters, fits Submission.submission_key).

    Only the server can make one, and the unique key column stores one response per key, so a form loaded once
    is answered once: a replay of its key is the same response (thanked, not stored again) and a key the server
    never issued is refused. The served time inside it is what the minimum fill time is measured from.
    """
    nonce = secrets.token_urlsafe(16)
    seconds = str(int((now or datetime.now(UTC)).timestamp()))
    return f"{nonce}.{seconds}.{_form_key_mac(point_id, nonce, seconds)}"


def form_key_time(key: str | None, point_id: int) -> int | None:
    """The Unix time the server issued `key` for this point's form; None when it did not (missing, forged, other)."""
    if not key or len(key) > 64 or not (match := FORM_KEY_RE.fullmatch(key)):
        return None
    nonce, seconds, mac = match.groups()
    if not hmac.compare_digest(mac, _form_key_mac(point_id, nonce, seconds)):
        return None
    return int(seconds)


# --- per-browser daily mark ---------------------------------------------------------------------


def _seen_serializer() -> URLSafeSerializer:
    return _serializer_for(str(current_app.config["SECRET_KEY"]))


@functools.lru_cache(maxsize=4)
def _serializer_for(secret: str) -> URLSafeSerializer:
    """One serializer per secret key: building it derives its signing key, on every answer otherwise."""
    return URLSafeSerializer(secret, salt=SEEN_SALT)


def seen_today(cookie: str | None, now: datetime) -> list[int]:
    """Point ids this browser answered today, from the signed cookie (empty if absent, stale or forged)."""
    if not cookie or len(cookie) > 1024:
        return []
    try:
        data = _seen_serializer().loads(cookie)
    except BadData:
        return []
    if not (isinstance(data, list) and len(data) == 2 and data[0] == day_key(now) and isinstance(data[1], list)):
        return []
    return [p for p in data[1] if isinstance(p, int)]


def remember(response: Response, point_id: int, cookie: str | None, now: datetime) -> None:
    """Mark on the browser that it answered this point today (a signed cookie that expires in a day)."""
    seen = seen_today(cookie, now)
    if point_id not in seen:
        seen = [*seen, point_id][-MAX_SEEN_POINTS:]
    value = _seen_serializer().dumps([day_key(now), seen])
    response.set_cookie(
        SEEN_COOKIE, value, max_age=24 * 3600, httponly=True, samesite="Lax",
        secure=current_app.config.get("HAILONG_ENV") == "production",
    )


# --- the checks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signals:
    """What a submission tells about itself, besides its answers."""

    honeypot: str | None
    #: When the form was served (from its key, see form_key_time).
    issued_at: int
    seen_cookie: str | None
    with_token: bool
    old_code: bool = False


def reasons(signals: Signals, point_id: int, now: datetime) -> list[str]:
    """Why a submission looks suspicious (empty when it does not); the reasons are stored with it."""
    found: list[str] = []
    if signals.honeypot and signals.honeypot.strip():
        found.append(_("điền vào trường ẩn chống máy tự động"))
    elapsed = int(now.timestamp()) - signals.issued_at
    if elapsed < min_fill_seconds():
        found.append(_("gửi quá nhanh (%(n)s giây)", n=max(elapsed, 0)))
    if not signals.with_token and point_id in seen_today(signals.seen_cookie, now):
        found.append(_("trùng trình duyệt trong ngày"))
    if signals.old_code and not signals.with_token:
        # A receipt slip was issued for this point and is used once: the rotation does not make it suspicious.
        found.append(_("gửi qua mã QR cũ đã được thay"))
    return found


def flag_reason(found: list[str]) -> str | None:
    """The stored reason text (fits Submission.flag_reason), or None when nothing was found."""
    if not found:
        return None
    text = "; ".join(found)
    return text if len(text) <= 200 else text[:199] + "…"

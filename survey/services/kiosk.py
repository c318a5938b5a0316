"""Kiosk tablets: one-time pairing codes, paired devices and their signed cookie, revocation, and the anti-abuse
rules of a shared device.

Pairing: an admin creates a pairing for a point (or one of its desks); the office shows its six-digit code once,
valid PAIRING_MINUTES, used once, stored only as a keyed hash. The tablet types it at /kiosk/ghep (attempts are
rate-limited per network: PAIRING_ATTEMPTS) and receives a long-lived signed cookie naming its `kiosk_devices`
row and a random secret whose hash the row keeps. A revoked device is refused at its next request.

A shared device cannot carry the per-browser duplicate flag (every citizen of the counter uses the same browser).
Instead, an answer stored less than HAILONG_KIOSK_MIN_GAP_SECONDS after the device's previous one is flagged, and
so is each answer beyond HAILONG_KIOSK_BURST within ten minutes: kept, excluded from the figures until reviewed.

Services add and flush; the caller (a view or a command) commits.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import func, select

from ..extensions import db
from ..models import Channel, Desk, KioskDevice, KioskPairing, OfficerRating, Organisation, ServicePoint, Submission
from . import audit

COOKIE = "hl_kiosk"
COOKIE_SALT = "hailong.kiosk"
#: A paired tablet keeps its cookie for five years (revocation, not expiry, ends it).
COOKIE_MAX_AGE = 5 * 365 * 24 * 3600
CODE_DIGITS = 6
PAIRING_MINUTES = 10
#: Wrong or right, pairing codes typed from one network address (Flask-Limiter syntax).
PAIRING_ATTEMPTS = "10 per 10 minutes;30 per day"
NAME_MAX = 80
BURST_WINDOW = timedelta(minutes=10)
#: Seconds between two updates of a device's last_seen (a page view writes at most this often).
SEEN_EVERY = timedelta(minutes=5)


class KioskError(ValueError):
    """A refused pairing or device action; the message is for the person (Vietnamese)."""


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


def code_hash(code: str) -> str:
    """The keyed hash a pairing code is stored as."""
    return hmac.new(_secret(), f"kiosk-pairing:{code}".encode(), hashlib.sha256).hexdigest()


def _secret_hash(value: str) -> str:
    return hmac.new(_secret(), f"kiosk-device:{value}".encode(), hashlib.sha256).hexdigest()


def clean_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text or len(text) > NAME_MAX or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise KioskError(_("Tên máy phải có từ 1 đến %(n)s ký tự, không có ký tự điều khiển.", n=NAME_MAX))
    return text


def _pending(hashed: str, now: datetime) -> KioskPairing | None:
    """A code waiting in any ward: the tablet does not know its ward yet, so a waiting code is unique overall."""
    return db.session.scalars(select(KioskPairing).where(
        KioskPairing.code_hash == hashed, KioskPairing.used_at.is_(None), KioskPairing.expires_at > now)).first()


def create_pairing(ward: Organisation, actor: str, point: ServicePoint, desk: Desk | None, name: str,
                   now: datetime | None = None) -> tuple[KioskPairing, str]:
    """A new pairing and its code (shown once, never stored in clear)."""
    now = now or datetime.now(UTC)
    if point.organisation_id != ward.id or not point.active:
        raise KioskError(_("Không có điểm khảo sát này."))
    if desk is not None and (desk.point_id != point.id or not desk.active):
        raise KioskError(_("Quầy không thuộc điểm khảo sát đã chọn."))
    name = clean_name(name)
    while True:  # a code not already waiting (a million codes, a handful waiting at once)
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if _pending(code_hash(code), now) is None:
            break
    pairing = KioskPairing(organisation_id=ward.id, point_id=point.id, desk_id=desk.id if desk else None, name=name,
                           code_hash=code_hash(code), created_by=actor[:80], created_at=now,
                           expires_at=now + timedelta(minutes=PAIRING_MINUTES))
    db.session.add(pairing)
    db.session.flush()
    audit.record(actor, "kiosk.pairing", f"point:{point.code}" + (f"/desk:{desk.code}" if desk else ""),
                 f"name={name}; expires in {PAIRING_MINUTES} min")
    return pairing, code


def redeem(code: str, now: datetime | None = None) -> tuple[KioskDevice, str]:
    """Use a pairing code once: a new device and its cookie value. Wrong, used or expired codes are refused alike."""
    now = now or datetime.now(UTC)
    typed = "".join(ch for ch in (code or "") if not ch.isspace())
    if not (typed.isascii() and typed.isdigit() and len(typed) == CODE_DIGITS):
        raise KioskError(_("Mã ghép gồm %(n)s chữ số. Vui lòng nhập lại mã đang hiện ở văn phòng.", n=CODE_DIGITS))
    pairing = db.session.scalars(select(KioskPairing).where(
        KioskPairing.code_hash == code_hash(typed), KioskPairing.used_at.is_(None),
        KioskPairing.expires_at > now).with_for_update()).first()
    if pairing is None:
        raise KioskError(_("Mã ghép không đúng, đã dùng hoặc đã hết hạn (mỗi mã dùng một lần, trong %(m)s phút). "
                           "Vui lòng tạo mã mới ở văn phòng.", m=PAIRING_MINUTES))
    pairing.used_at = now
    secret = secrets.token_urlsafe(24)
    device = KioskDevice(organisation_id=pairing.organisation_id, point_id=pairing.point_id, desk_id=pairing.desk_id,
                         name=pairing.name, secret_hash=_secret_hash(secret), created_at=now, last_seen=now)
    db.session.add(device)
    db.session.flush()
    audit.record(f"kiosk:{device.id}", "kiosk.paired", f"device:{device.id}",
                 f"pairing={pairing.id}; name={device.name}")
    return device, _serializer().dumps([device.id, secret])


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=COOKIE_SALT)


def device_of(cookie: str | None) -> KioskDevice | None:
    """The device a cookie names (revoked or not), or None for no cookie, a forged one or an unknown device."""
    if not cookie or len(cookie) > 512:
        return None
    try:
        data = _serializer().loads(cookie)
    except BadData:
        return None
    if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], int) and isinstance(data[1], str)):
        return None
    device = db.session.get(KioskDevice, data[0])
    if device is None or not hmac.compare_digest(device.secret_hash, _secret_hash(data[1])):
        return None
    return device


def seen(device: KioskDevice, now: datetime | None = None) -> None:
    """Note that the device is in use (written at most every SEEN_EVERY)."""
    now = now or datetime.now(UTC)
    if device.last_seen is None or now - device.last_seen >= SEEN_EVERY:
        device.last_seen = now


def devices(ward: Organisation) -> list[KioskDevice]:
    return list(db.session.scalars(select(KioskDevice).where(KioskDevice.organisation_id == ward.id)
                                   .order_by(KioskDevice.revoked_at.is_not(None), KioskDevice.created_at.desc())))


def waiting_pairings(ward: Organisation, now: datetime | None = None) -> list[KioskPairing]:
    now = now or datetime.now(UTC)
    return list(db.session.scalars(select(KioskPairing).where(
        KioskPairing.organisation_id == ward.id, KioskPairing.used_at.is_(None), KioskPairing.expires_at > now)
        .order_by(KioskPairing.created_at)))


def find_device(ward: Organisation, device_id: int) -> KioskDevice | None:
    device = db.session.get(KioskDevice, device_id)
    return device if device is not None and device.organisation_id == ward.id else None


def revoke(ward: Organisation, actor: str, device: KioskDevice, now: datetime | None = None) -> bool:
    """Revoke a device at once; False (nothing recorded) when it was revoked already."""
    if device.organisation_id != ward.id:
        raise KioskError(_("Không có máy này."))
    if device.revoked_at is not None:
        return False
    device.revoked_at = now or datetime.now(UTC)
    audit.record(actor, "kiosk.revoked", f"device:{device.id}", f"name={device.name}")
    return True


# --- anti-abuse for a shared device --------------------------------------------------------------


def min_gap() -> timedelta:
    return timedelta(seconds=int(current_app.config["HAILONG_KIOSK_MIN_GAP_SECONDS"]))


def burst() -> int:
    return int(current_app.config["HAILONG_KIOSK_BURST"])


def answers_since(device: KioskDevice, since: datetime) -> int:
    """Officer ratings and kiosk responses of this device's point stored since `since` (from this device)."""
    ratings = db.session.scalar(select(func.count()).select_from(OfficerRating).where(
        OfficerRating.device_id == device.id, OfficerRating.submitted_at >= since)) or 0
    # Responses carry no device: a kiosk response of the device's point counts for it (one tablet per point is
    # the usual case; several tablets at one point share the count, which only flags sooner).
    forms = db.session.scalar(select(func.count()).select_from(Submission).where(
        Submission.point_id == device.point_id, Submission.channel == Channel.KIOSK.value,
        Submission.submitted_at >= since.replace(second=0, microsecond=0))) or 0
    return int(ratings) + int(forms)


def reasons(device: KioskDevice, now: datetime) -> list[str]:
    """Why an answer from this device now looks suspicious (empty when it does not); then note it as the last."""
    found: list[str] = []
    gap = min_gap()
    if device.last_answer_at is not None and gap and now - device.last_answer_at < gap:
        found.append(_("cùng máy kiosk, cách lần trước dưới %(n)s giây", n=int(gap.total_seconds())))
    if answers_since(device, now - BURST_WINDOW) >= burst():
        found.append(_("dồn dập trên cùng máy kiosk (quá %(n)s lượt trong 10 phút)", n=burst()))
    device.last_answer_at = now
    device.last_seen = now
    return found

"""Office accounts: creation, password checks with throttling, and loading for Flask-Login."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import Role, ServicePoint, User

MAX_FAILED = 5
LOCK_MINUTES = 15
MIN_PASSWORD = 10
MAX_PASSWORD = 256
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
HASH_METHOD = "scrypt"


@cache
def _dummy_hash() -> str:
    """Checked against when the username is unknown, so a wrong name costs the same time as a wrong password."""
    return generate_password_hash(secrets.token_urlsafe(16), method=HASH_METHOD)


class UserError(ValueError):
    """An account cannot be created or changed as asked; the message is for the user."""


class LoginFailure(StrEnum):
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt: a user, or why not (and until when, if locked)."""

    user: User | None
    failure: LoginFailure | None = None
    locked_until: datetime | None = None
    checked_at: datetime | None = None

    def message(self) -> str:
        """The Vietnamese message shown on the sign-in page."""
        if self.failure == LoginFailure.LOCKED:
            return _(
                "Tài khoản tạm bị khóa vì nhập sai mật khẩu %(n)s lần. Vui lòng thử lại sau %(minutes)s phút "
                "hoặc liên hệ quản trị viên.",
                n=MAX_FAILED,
                minutes=minutes_left(self.locked_until, self.checked_at),
            )
        return _("Tên đăng nhập hoặc mật khẩu không đúng.")


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; they are stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def minutes_left(until: datetime | None, now: datetime | None = None) -> int:
    """Whole minutes (at least 1) until a lock ends."""
    until = _aware(until)
    if until is None:
        return 0
    seconds = (until - (now or datetime.now(UTC))).total_seconds()
    return max(1, -(-int(seconds) // 60))


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader: an active user by id, or None."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def generate_password() -> str:
    """A random password of 16 URL-safe characters, printed once by the CLI."""
    return secrets.token_urlsafe(12)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise UserError(_("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise UserError(_("Mật khẩu dài quá %(n)s ký tự.", n=MAX_PASSWORD))


def create(username: str, password: str, role: str, unit: str | None = None) -> User:
    """Create an account after checking its name, role, unit and password. Caller commits."""
    username = username.strip().lower()
    unit = (unit or "").strip() or None
    if not USERNAME_RE.match(username):
        raise UserError(_("Tên đăng nhập gồm 2–80 chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang."))
    if role not in {r.value for r in Role}:
        raise UserError(_("Vai trò phải là admin, reviewer hoặc viewer."))
    if role == Role.VIEWER and unit is None:
        raise UserError(_("Tài khoản viewer phải gắn với một đơn vị (--unit)."))
    if role != Role.VIEWER and unit is not None:
        raise UserError(_("Chỉ tài khoản viewer mới gắn với một đơn vị."))
    if unit is not None and not db.session.scalar(select(func.count()).where(ServicePoint.unit == unit)):
        raise UserError(_("Không có điểm khảo sát nào thuộc đơn vị “%(unit)s”.", unit=unit))
    check_password_rules(password)
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        raise UserError(_("Tên đăng nhập “%(name)s” đã có.", name=username))
    user = User(username=username, password_hash=generate_password_hash(password, method=HASH_METHOD),
                role=role, unit=unit, active=True, failed_logins=0)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a password and clear any lock. Caller commits."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    user.failed_logins = 0
    user.locked_until = None


def find(username: str) -> User | None:
    """An account by username (case-insensitive), active or not."""
    name = username.strip().lower()
    if not name or len(name) > 80:
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


def verify(username: str, password: str, now: datetime | None = None) -> LoginResult:
    """Check a password, counting failures: after MAX_FAILED the account is locked LOCK_MINUTES. Caller commits."""
    now = now or datetime.now(UTC)
    user = find(username)
    if user is None or not user.active:
        check_password_hash(_dummy_hash(), password)
        return LoginResult(None, LoginFailure.WRONG)
    locked_until = _aware(user.locked_until)
    if locked_until is not None:
        if locked_until > now:
            return LoginResult(None, LoginFailure.LOCKED, locked_until, now)
        user.locked_until = None
        user.failed_logins = 0
    if len(password) <= MAX_PASSWORD and check_password_hash(user.password_hash, password):
        user.failed_logins = 0
        return LoginResult(user)
    user.failed_logins = (user.failed_logins or 0) + 1
    if user.failed_logins >= MAX_FAILED:
        user.locked_until = now + timedelta(minutes=LOCK_MINUTES)
        return LoginResult(None, LoginFailure.LOCKED, user.locked_until, now)
    return LoginResult(None, LoginFailure.WRONG)


def is_locked(user: User, now: datetime | None = None) -> bool:
    """Whether an account is in its throttling lock."""
    until = _aware(user.locked_until)
    return until is not None and until > (now or datetime.now(UTC))


def unlock(user: User) -> None:
    """Clear a throttling lock. Caller commits."""
    user.failed_logins = 0
    user.locked_until = None


def all_users() -> list[User]:
    return list(db.session.scalars(select(User).order_by(User.role, User.username)))


def unit_point_ids(unit: str) -> list[int]:
    """Ids of the points a viewer bound to `unit` may see."""
    return list(db.session.scalars(select(ServicePoint.id).where(ServicePoint.unit == unit)))

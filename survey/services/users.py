"""Office accounts: creation, changes that end sessions, password checks throttled per (account, network)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import case, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import LoginThrottle, Organisation, Role, ServicePoint, User, utcnow
from . import antiabuse

MIN_PASSWORD = 10
MAX_PASSWORD = 256
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
HASH_METHOD = "scrypt"

# Throttle per (typed username, network): a few free mistakes, then each further wrong password doubles the wait
# (15 s, 30 s, 1 min ... at most 15 min). Someone elsewhere can neither lock an account nor slow its owner down;
# the login rate limit (office.auth.LOGIN_LIMIT) bounds the tries per network on top.
FREE_FAILURES = 3
FIRST_DELAY_SECONDS = 15
MAX_DELAY_SECONDS = 15 * 60
#: A (name, network) without a wrong password for this long starts again from zero; its row is deleted.
FORGET_AFTER_SECONDS = 24 * 3600


#: Checked against when there is no active account of the typed name, so that costs the same scrypt work as a
#: wrong password. The hash of a random password nobody kept; a constant, so that no worker's first unknown name
#: costs a second hash (tests/office/test_login_throttle.py checks it uses HASH_METHOD's parameters).
DUMMY_HASH = (
    "scrypt:32768:8:1$bvqnp0ENR3Hd3i5D$f7fc71263374980ef7935c599a9163139242c6c5344dc370a33f001c61085b4b1a4da2680e"
    "ffa22559719301d9df48c5eb3ccac731f61177ed6804bc5336f298"
)


class UserError(ValueError):
    """An account cannot be created or changed as asked; the message is for the user."""


class LoginFailure(StrEnum):
    WRONG = "wrong"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class LoginResult:
    """The outcome of a sign-in attempt: a user, or why not (and for how many seconds, if throttled)."""

    user: User | None
    failure: LoginFailure | None = None
    retry_after: int = 0
    #: The account's name when the typed name exists, for the audit log only: never shown to the visitor.
    known: str | None = None

    def message(self) -> str:
        """The Vietnamese message shown on the sign-in page: the same for known and unknown names."""
        if self.failure == LoginFailure.THROTTLED:
            if self.retry_after < 60:
                return _("Đã nhập sai tên đăng nhập hoặc mật khẩu nhiều lần. Vui lòng thử lại sau %(n)s giây.",
                         n=self.retry_after)
            return _("Đã nhập sai tên đăng nhập hoặc mật khẩu nhiều lần. Vui lòng thử lại sau %(n)s phút.",
                     n=-(-self.retry_after // 60))
        return _("Tên đăng nhập hoặc mật khẩu không đúng.")


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; they are stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def load_user(user_id: str) -> User | None:
    """Flask-Login's loader, on every request: an active user whose session version matches the cookie's."""
    ident, sep, version = user_id.partition(":")
    if not sep or not ident.isdigit() or not version.isdigit() or len(ident) > 10 or len(version) > 10:
        return None  # also a cookie from before session versions, which held the bare id
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def end_sessions(user: User) -> None:
    """End every session of an account, copied cookies included, by raising its session version."""
    user.session_version = User.session_version + 1
    # Raised in SQL (two changes at once both count); the flush reads the new version back for a sign-in that
    # follows in the same request (an admin's new password for their own account).
    db.session.flush()


def generate_password() -> str:
    """A random password of 16 URL-safe characters, printed once by the CLI."""
    return secrets.token_urlsafe(12)


def check_password_rules(password: str) -> None:
    """Refuse passwords that are too short or too long."""
    if len(password) < MIN_PASSWORD:
        raise UserError(_("Mật khẩu phải có ít nhất %(n)s ký tự.", n=MIN_PASSWORD))
    if len(password) > MAX_PASSWORD:
        raise UserError(_("Mật khẩu dài quá %(n)s ký tự.", n=MAX_PASSWORD))


def _check_role_and_unit(role: str, unit: str | None, ward_id: int | None = None) -> None:
    """Refuse an unknown role, a viewer without a unit, another role with one, or a unit without points."""
    if role not in {r.value for r in Role}:
        raise UserError(_("Vai trò phải là admin, reviewer, viewer hoặc province."))
    if role == Role.VIEWER and unit is None:
        raise UserError(_("Tài khoản viewer phải gắn với một đơn vị (--unit)."))
    if role != Role.VIEWER and unit is not None:
        raise UserError(_("Chỉ tài khoản viewer mới gắn với một đơn vị."))
    units = select(func.count()).where(ServicePoint.unit == unit)
    if ward_id is not None:
        units = units.where(ServicePoint.organisation_id == ward_id)
    if unit is not None and not db.session.scalar(units):
        raise UserError(_("Không có điểm khảo sát nào thuộc đơn vị “%(unit)s”.", unit=unit))


def _only_ward() -> Organisation:
    wards = list(db.session.scalars(select(Organisation).order_by(Organisation.id).limit(2)))
    if len(wards) != 1:
        raise UserError(_("Hãy chọn phường của tài khoản (--ward)."))
    return wards[0]


def create(username: str, password: str, role: str, unit: str | None = None, ward: Organisation | None = None,
           province: str | None = None) -> User:
    """Create an account after checking its name, role, unit and password.

    A ward account belongs to `ward` (the only ward when there is one and none is given); a province account
    has no ward and reads every ward of `province`.
    """
    username = username.strip().lower()
    unit = (unit or "").strip() or None
    province = (province or "").strip() or None
    if not USERNAME_RE.match(username):
        raise UserError(_("Tên đăng nhập gồm 2–80 chữ thường không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang."))
    if role == Role.PROVINCE:
        if ward is not None:
            raise UserError(_("Tài khoản province không thuộc phường nào; hãy bỏ --ward."))
        known = set(db.session.scalars(select(Organisation.province).distinct()))
        if province is None or province not in known:
            raise UserError(_("Tài khoản province cần --province là một tỉnh có trong hệ thống (có: %(names)s).",
                              names=", ".join(sorted(known)) or "-"))
    else:
        if province is not None:
            raise UserError(_("Chỉ tài khoản province mới có --province."))
        ward = ward or _only_ward()
    _check_role_and_unit(role, unit, ward.id if ward else None)
    check_password_rules(password)
    if db.session.scalar(select(User.id).where(func.lower(User.username) == username)) is not None:
        raise UserError(_("Tên đăng nhập “%(name)s” đã có.", name=username))
    user = User(username=username, password_hash=generate_password_hash(password, method=HASH_METHOD),
                role=role, unit=unit, active=True, session_version=1,
                organisation_id=ward.id if ward else None, province=province)
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Replace a password, end the account's sessions and clear its sign-in delays."""
    check_password_rules(password)
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    end_sessions(user)
    unlock(user)


def set_role(user: User, role: str, unit: str | None = None) -> bool:
    """Change an account's role and unit; a change ends its sessions. Whether anything changed."""
    unit = (unit or "").strip() or None
    if (role == Role.PROVINCE) != (user.role == Role.PROVINCE):
        raise UserError(_("Không đổi được giữa tài khoản phường và tài khoản province; hãy tạo tài khoản mới."))
    _check_role_and_unit(role, unit, user.organisation_id)
    if (user.role, user.unit) == (role, unit):
        return False
    user.role, user.unit = role, unit
    end_sessions(user)
    return True


def set_active(user: User, active: bool) -> None:
    """Deactivate or re-activate an account; either way its old sessions stay ended."""
    if user.active != active:
        user.active = active
        end_sessions(user)


def find(username: str) -> User | None:
    """An account by username (case-insensitive), active or not."""
    name = username.strip().lower()
    if not name or len(name) > 80:
        return None
    return db.session.scalar(select(User).where(func.lower(User.username) == name))


# --- sign-in throttle ---------------------------------------------------------------------------


def network_hash(address: str) -> str:
    """The daily keyed hash (antiabuse.address_hash) of a client's network: its IPv4 address or its IPv6 /64.

    One IPv6 subscriber usually holds a whole /64, so single IPv6 addresses would cost an attacker nothing.
    """
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return antiabuse.address_hash(address[:64])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        else:
            return antiabuse.address_hash(str(ipaddress.ip_network(f"{ip}/64", strict=False)))
    return antiabuse.address_hash(str(ip))


def _keyed(*parts: str) -> str:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(secret, "\x1f".join(parts).encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:40]


def _account_key(username: str) -> str:
    return _keyed("login-account", username.strip().lower()[:80])


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` wrong passwords in a row from one network: none at first, then doubling."""
    if failures <= FREE_FAILURES:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** min(failures - FREE_FAILURES - 1, 16), MAX_DELAY_SECONDS)


def _seconds_left(until: datetime | None, now: datetime) -> int:
    until = _aware(until)
    if until is None or until <= now:
        return 0
    return max(1, math.ceil((until - now).total_seconds()))


def _record_failure(key: str, account: str, now: datetime) -> int:
    """Count one wrong password for (name, network) in one statement, safe against parallel attempts; the delay."""
    table = LoginThrottle.__table__
    forgotten = now - timedelta(seconds=FORGET_AFTER_SECONDS)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    upsert = insert(table).values(key=key, account=account, failures=1, last_failed_at=now, blocked_until=None)
    upsert = upsert.on_conflict_do_update(index_elements=[table.c.key], set_={
        "failures": case((table.c.last_failed_at <= forgotten, 1), else_=table.c.failures + 1),
        "last_failed_at": now,
    })
    failures = int(db.session.execute(upsert.returning(table.c.failures)).scalar_one())
    delay = delay_after(failures)
    if delay:
        db.session.execute(update(table).where(table.c.key == key)
                           .values(blocked_until=now + timedelta(seconds=delay)))
    # Old rows are of no use (and their network hash has changed since): keep the table small.
    db.session.execute(delete(table).where(table.c.last_failed_at <= forgotten))
    return delay


def verify(username: str, password: str, network: str, now: datetime | None = None) -> LoginResult:
    """Check a password from one network (network_hash), with growing delays per (name, network).

    Known and unknown names take the same path: one scrypt check (against a dummy hash when there is no active
    account), the same throttle for the typed name, the same answer.
    """
    now = now or utcnow()
    name = username.strip().lower()[:80]
    table = LoginThrottle.__table__
    key = _keyed("login-throttle", name, network)
    blocked_until = db.session.execute(
        select(table.c.blocked_until).where(table.c.key == key)).scalar_one_or_none()
    wait = _seconds_left(blocked_until, now)
    user = find(name)
    usable = user is not None and user.active
    candidate = user.password_hash if user is not None and usable else DUMMY_HASH
    correct = check_password_hash(candidate, password) and usable and len(password) <= MAX_PASSWORD
    known = user.username if user is not None else None
    if wait:
        # Refused without counting: a right password typed during the wait must not make the wait longer.
        return LoginResult(None, LoginFailure.THROTTLED, wait, known)
    if correct:
        db.session.execute(delete(table).where(table.c.key == key))
        return LoginResult(user, known=known)
    delay = _record_failure(key, _account_key(name), now)
    return LoginResult(None, LoginFailure.THROTTLED if delay else LoginFailure.WRONG, delay, known)


def throttled(users: Iterable[User], now: datetime | None = None) -> set[int]:
    """Ids of the accounts that some network must wait for now."""
    now = now or utcnow()
    table = LoginThrottle.__table__
    keys = set(db.session.scalars(select(table.c.account).where(table.c.blocked_until > now)))
    return {u.id for u in users if _account_key(u.username) in keys}


def unlock(user: User) -> None:
    """Clear the sign-in delays of an account on every network."""
    table = LoginThrottle.__table__
    db.session.execute(delete(table).where(table.c.account == _account_key(user.username)))


def all_users(ward: Organisation | None = None) -> list[User]:
    """Accounts by role and name: one ward's when given, every account otherwise (the command line)."""
    query = select(User).order_by(User.role, User.username)
    if ward is not None:
        query = query.where(User.organisation_id == ward.id)
    return list(db.session.scalars(query))


"""Who may see what: a role check on every office view and a viewer's limit to the points of one unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..extensions import db, login_manager
from ..models import Organisation, Role, ServicePoint, User

ADMIN = (Role.ADMIN.value,)
STAFF = (Role.ADMIN.value, Role.REVIEWER.value)
ANYONE = (Role.ADMIN.value, Role.REVIEWER.value, Role.VIEWER.value)

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[F], F]:
    """Require a signed-in, active account with one of `roles`; others are sent to sign-in or get 403."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403, _("Tài khoản của Ông/Bà không có quyền dùng chức năng này."))
            return view(*args, **kwargs)

        wrapped.roles = roles  # type: ignore[attr-defined]
        return cast(F, wrapped)

    return decorate


def current_ward() -> Organisation:
    """The ward (organisation) whose data this request may touch; services take it as an argument.

    One ward per database for now: the first one. When wards become tenants it is the signed-in account's.
    """
    ward = db.session.scalars(select(Organisation).order_by(Organisation.id).limit(1)).first()
    if ward is None:
        abort(404, _("Chưa có phường trong hệ thống; hãy chạy `hailong init`."))
    return ward


def user() -> User:
    """The signed-in account (views call this only behind roles_required)."""
    return cast(User, current_user._get_current_object())


@dataclass(frozen=True)
class Scope:
    """The service points an account may see: all of them, or those of the viewer's unit."""

    point_ids: frozenset[int] | None

    @property
    def limited(self) -> bool:
        return self.point_ids is not None

    def allows(self, point: ServicePoint) -> bool:
        return self.point_ids is None or point.id in self.point_ids

    def ids(self) -> list[int] | None:
        return None if self.point_ids is None else sorted(self.point_ids)


def scope() -> Scope:
    """The current account's scope; a viewer sees only points whose unit is the viewer's unit."""
    account = user()
    if account.role != Role.VIEWER:
        return Scope(None)
    if not account.unit:
        return Scope(frozenset())
    return Scope(frozenset(db.session.scalars(select(ServicePoint.id).where(ServicePoint.unit == account.unit))))


def visible_points(kind: str | None = None) -> list[ServicePoint]:
    """The points the current account may see (active or not), optionally of one kind."""
    query = select(ServicePoint).order_by(ServicePoint.kind, ServicePoint.name)
    if kind:
        query = query.where(ServicePoint.kind == kind)
    ids = scope().ids()
    if ids is not None:
        query = query.where(ServicePoint.id.in_(ids))
    return list(db.session.scalars(query))


def require_point(point_id: int) -> ServicePoint:
    """A point the current account may see: 404 if there is none, 403 if it belongs to another unit."""
    point = db.session.get(ServicePoint, point_id)
    if point is None:
        abort(404, _("Không có điểm khảo sát này."))
    if not scope().allows(point):
        abort(403, _("Ông/Bà chỉ xem được các điểm khảo sát thuộc đơn vị của mình."))
    return point


def safe_next(target: str | None) -> str | None:
    """A local path to go back to after a form, or None (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(c) < 32 for c in target):
        return None
    return target

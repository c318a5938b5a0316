"""Who may see what: a role check on every office view and a viewer's limit to the points of one unit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import false, select

from ..extensions import db, login_manager
from ..models import Organisation, Role, ServicePoint, User
from ..services import audit

ADMIN = (Role.ADMIN.value,)
STAFF = (Role.ADMIN.value, Role.REVIEWER.value)
ANYONE = (Role.ADMIN.value, Role.REVIEWER.value, Role.VIEWER.value)
#: The province role reads every ward of its province (its own pages, and a ward's dashboard read-only); it is in
#: none of the tuples above, so every ward page, and every write, refuses it.
PROVINCE = (Role.PROVINCE.value,)

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
    """The ward (organisation) whose data this request may touch: the signed-in account's.

    A province account has no ward of its own; its drill-down sets one for the request (`view_ward`). Resolved
    once per request; services take it as an argument and the audit events of the request are filed under it.
    """
    ward = g.get("hailong_ward")
    if ward is not None:
        return cast(Organisation, ward)
    ward_id = user().organisation_id if current_user.is_authenticated else None
    ward = db.session.get(Organisation, ward_id) if ward_id is not None else None
    if ward is None:
        abort(404, _("Tài khoản này không thuộc phường nào."))
    return view_ward(ward)


def view_ward(ward: Organisation) -> Organisation:
    """Make `ward` the ward of this request (an account's own, or the one a province account opened)."""
    g.hailong_ward = ward
    audit.use_ward(ward.id)
    return ward


def owned(row: Any, message: str | None = None) -> Any:
    """`row` if it belongs to the current ward; otherwise 404, exactly as for an id that does not exist.

    A 404, not a 403: another ward's ids must not be told apart from missing ones.
    """
    if row is None or getattr(row, "organisation_id", None) != current_ward().id:
        abort(404, message or _("Không tìm thấy."))
    return row


def user() -> User:
    """The signed-in account (views call this only behind roles_required)."""
    return cast(User, current_user._get_current_object())


@dataclass(frozen=True)
class Scope:
    """The service points an account may see: those of its ward, or of the viewer's unit in its ward."""

    ward_id: int
    point_ids: frozenset[int]
    #: True for a viewer bound to one unit (the pages say so); False when the whole ward is seen.
    limited: bool

    def allows(self, point: ServicePoint) -> bool:
        return point.organisation_id == self.ward_id and point.id in self.point_ids

    def ids(self) -> list[int]:
        return sorted(self.point_ids)


def scope() -> Scope:
    """The current account's scope in the current ward; a viewer sees only points whose unit is the viewer's."""
    cached = g.get("hailong_scope")
    if cached is not None:
        return cast(Scope, cached)
    ward = current_ward()
    account = user()
    query = select(ServicePoint.id).where(ServicePoint.organisation_id == ward.id)
    limited = account.role == Role.VIEWER
    if limited:
        query = query.where(ServicePoint.unit == account.unit) if account.unit else query.where(false())
    found = Scope(ward.id, frozenset(db.session.scalars(query)), limited)
    g.hailong_scope = found
    return found


def visible_points(kind: str | None = None) -> list[ServicePoint]:
    """The points the current account may see (active or not), optionally of one kind."""
    query = select(ServicePoint).order_by(ServicePoint.kind, ServicePoint.name)
    if kind:
        query = query.where(ServicePoint.kind == kind)
    query = query.where(ServicePoint.id.in_(scope().ids()))
    return list(db.session.scalars(query))


def require_point(point_id: int) -> ServicePoint:
    """A point the current account may see: 404 if there is none or it is another ward's, 403 for another unit."""
    point = db.session.get(ServicePoint, point_id)
    if point is None or point.organisation_id != current_ward().id:
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

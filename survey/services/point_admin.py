"""Changes to service points made from the office, each audited (services.points has create and rotate)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import Organisation, ServicePoint
from . import audit
from . import points as point_svc

NAME_MAX = 200


def create(actor: str, code: str, name: str, kind: str, unit: str | None,
           ward: Organisation | None = None) -> ServicePoint:
    """Create a point in the ward (the first ward when none is given) and audit it."""
    org = ward or db.session.scalars(select(Organisation).order_by(Organisation.id)).first()
    if org is None:
        raise point_svc.PointError(_("Chưa có phường trong hệ thống; hãy chạy `hailong init`."))
    unit = (unit or "").strip()
    if unit and not point_svc.CODE_RE.match(unit):
        raise point_svc.PointError(_("Mã đơn vị chỉ gồm chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự."))
    point = point_svc.create(org, code, name, kind, unit or None)
    audit.record(actor, "point.created", f"point:{point.code}", f"{point.kind}; {point.unit}; {point.name}",
                 ward_id=point.organisation_id)
    return point


def rename(actor: str, point: ServicePoint, name: str) -> None:
    """Change a point's name (its code and QR code stay)."""
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise point_svc.PointError(_("Tên điểm không được để trống và tối đa 200 ký tự."))
    before = point.name
    point.name = name
    audit.record(actor, "point.renamed", f"point:{point.code}", f"{before} → {name}", ward_id=point.organisation_id)


def set_active(actor: str, point: ServicePoint, active: bool) -> None:
    """Deactivate a point (its QR code stops opening the form, its responses stay) or reactivate it."""
    point.active = active
    audit.record(actor, "point.activated" if active else "point.deactivated", f"point:{point.code}",
                 ward_id=point.organisation_id)


def rotate(actor: str, point: ServicePoint) -> str:
    """Give a point a new code; old printed QR codes then show the 'code changed' page."""
    old = point.code
    new = point_svc.rotate(point)
    audit.record(actor, "point.rotated", f"point:{new}", f"{old} → {new}", ward_id=point.organisation_id)
    return new

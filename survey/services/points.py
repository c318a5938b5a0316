"""Service points: the ward's counters, health station and schools, and their QR codes."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, select

from hailong.forms.questionnaire import KINDS

from ..extensions import db
from ..models import Organisation, RetiredCode, ServicePoint, same_ward

CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
#: Words that follow a code in citizens' URLs (/s/<code>/cam-on): never a point's code, so /s/<ward>/<point>
#: and /s/<point>/cam-on cannot be confused.
RESERVED_CODES = frozenset({"cam-on", "phan-anh", "quay"})


class PointError(ValueError):
    """A point cannot be created or changed as asked; the message is for the user."""


class CodeTaken(PointError):
    """The code is (or was) another point's: the input is well formed, the database already holds it."""


@dataclass(frozen=True)
class PointSpec:
    code: str
    name: str
    kind: str
    unit: str


#: An Tường ward's service points for `hailong init --demo`.
DEMO_POINTS = (
    PointSpec("mc-1", "Trung tâm Phục vụ hành chính công - Quầy 1 (Tư pháp - Hộ tịch)", "onestop", "motcua"),
    PointSpec("mc-2", "Trung tâm Phục vụ hành chính công - Quầy 2 (Đất đai - Xây dựng)", "onestop", "motcua"),
    PointSpec(
        "mc-3", "Trung tâm Phục vụ hành chính công - Quầy 3 (Lao động - Thương binh và Xã hội)", "onestop", "motcua"
    ),
    PointSpec("tram-y-te", "Trạm Y tế phường An Tường", "health", "tram-y-te"),
    PointSpec("mn-an-tuong", "Trường Mầm non An Tường", "education", "mn-an-tuong"),
    PointSpec("th-an-tuong", "Trường Tiểu học An Tường", "education", "th-an-tuong"),
    PointSpec("thcs-an-tuong", "Trường THCS An Tường", "education", "thcs-an-tuong"),
)


def ensure_organisation(code: str, name: str, province: str) -> Organisation:
    """Get or create the ward (idempotent)."""
    org = db.session.scalar(select(Organisation).filter_by(code=code))
    if org is None:
        org = Organisation(code=code, name=name, province=province)
        db.session.add(org)
        db.session.flush()
    return org


def create(org: Organisation, code: str, name: str, kind: str, unit: str | None = None) -> ServicePoint:
    """Create a point after checking its code, name and kind."""
    code = code.strip().lower()
    name = name.strip()
    if not CODE_RE.match(code):
        raise PointError(_("Mã điểm chỉ gồm chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự."))
    if not name or len(name) > 200:
        raise PointError(_("Tên điểm không được để trống và tối đa 200 ký tự."))
    if kind not in KINDS:
        raise PointError(_("Loại điểm không hợp lệ."))
    if code in RESERVED_CODES:
        raise PointError(_("Mã điểm “%(code)s” được dành riêng; hãy chọn mã khác.", code=code))
    taken = (db.session.scalar(select(ServicePoint.id).filter_by(organisation_id=org.id, code=code))
             or db.session.get(RetiredCode, (org.id, code)))
    if taken:
        raise CodeTaken(_("Mã điểm “%(code)s” đã được dùng.", code=code))
    point = ServicePoint(organisation=org, code=code, name=name, kind=kind, unit=(unit or code).strip(),
                         short_url=_code_is_free(code))
    db.session.add(point)
    db.session.flush()
    return point


def ensure_demo_points(org: Organisation) -> list[ServicePoint]:
    """Create the demo points that are missing (idempotent)."""
    result = []
    for spec in DEMO_POINTS:
        point = db.session.scalar(select(ServicePoint).filter_by(organisation_id=org.id, code=spec.code))
        if point is None:
            point = create(org, spec.code, spec.name, spec.kind, spec.unit)
        result.append(point)
    return result


def citizen_code(point: ServicePoint) -> str:
    """What follows /s/ in the point's citizen URL: the bare code when the point owns it (`short_url`), else
    "<ward>/<point>". Posters printed with either keep working whatever other wards call their points later."""
    return point.code if point.short_url else f"{point.organisation.code}/{point.code}"


def _code_is_free(code: str, point_id: int | None = None) -> bool:
    """No other point of any ward has (or had) this code: the point may own /s/<code>."""
    others = select(ServicePoint.id).filter_by(code=code)
    if point_id is not None:
        others = others.where(ServicePoint.id != point_id)
    return (db.session.scalar(others.limit(1)) is None
            and db.session.scalar(select(RetiredCode.point_id).filter_by(code=code).limit(1)) is None)


def _split(path: str) -> tuple[str | None, str] | None:
    """(ward code or None, point code) of a citizen path, or None when malformed."""
    ward, _sep, code = path.rpartition("/")
    if not CODE_RE.match(code) or (ward and not CODE_RE.match(ward)):
        return None
    return (ward or None), code


def _one(points: list[ServicePoint]) -> ServicePoint | None:
    """The point owning a bare code among those with it, else the only one; None when the code is ambiguous."""
    legacy = [p for p in points if p.short_url]
    if len(legacy) == 1:
        return legacy[0]
    return points[0] if len(points) == 1 else None


def find_active(path: str) -> ServicePoint | None:
    """The active point of a citizen path ("<ward>/<point>" or a bare code), or None (unknown, malformed,
    deactivated, or a bare code that several wards use and none had before the wards became tenants)."""
    parts = _split(path)
    if parts is None:
        return None
    ward, code = parts
    # Inactive points count too: a deactivated point's poster must not open another ward's point of that code.
    query = select(ServicePoint).filter_by(code=code)
    if ward is not None:
        query = query.join(Organisation).where(Organisation.code == ward)
    point = _one(list(db.session.scalars(query)))
    return point if point is not None and point.active else None


def find_retired(path: str) -> ServicePoint | None:
    """The point a retired code used to open, for the old-QR page (same rules as find_active)."""
    parts = _split(path)
    if parts is None:
        return None
    ward, code = parts
    query = select(ServicePoint).join(
        RetiredCode, and_(RetiredCode.point_id == ServicePoint.id, same_ward(RetiredCode, ServicePoint))).where(
        RetiredCode.code == code)
    if ward is not None:
        query = query.join(Organisation, Organisation.id == RetiredCode.organisation_id).where(
            Organisation.code == ward)
    return _one(list(db.session.scalars(query)))


def rotate(point: ServicePoint) -> str:
    """Give a point a new code so old printed QR codes stop opening the form."""
    db.session.add(RetiredCode(organisation_id=point.organisation_id, code=point.code, point_id=point.id))
    point.code = f"{point.code.split('~')[0][:30]}-{secrets.token_hex(3)}"
    point.short_url = _code_is_free(point.code, point.id)
    db.session.flush()
    return point.code


def all_points(active_only: bool = False, ward: Organisation | None = None) -> list[ServicePoint]:
    """Points by kind and code; only one ward's when `ward` is given."""
    query = select(ServicePoint).order_by(ServicePoint.kind, ServicePoint.code)
    if active_only:
        query = query.where(ServicePoint.active.is_(True))
    if ward is not None:
        query = query.where(ServicePoint.organisation_id == ward.id)
    return list(db.session.scalars(query))


def find(ward: Organisation, code: str) -> ServicePoint | None:
    """A ward's point by its current code, active or not; None for an unknown or malformed code."""
    code = code.strip().lower()
    if not CODE_RE.match(code):
        return None
    return db.session.scalar(select(ServicePoint).filter_by(organisation_id=ward.id, code=code))


def wards() -> list[Organisation]:
    """Every ward in the database, by code."""
    return list(db.session.scalars(select(Organisation).order_by(Organisation.code)))


def point_url(base_url: str, point: ServicePoint) -> str:
    """The URL printed in the point's QR code."""
    return f"{base_url.rstrip('/')}/s/{citizen_code(point)}"


def qr_svg(url: str) -> bytes:
    """A QR code as SVG paths (crisp at any print size)."""
    import qrcode  # here, not at the top: every `hailong` process and worker imports this module
    import qrcode.image.svg

    img = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buf = io.BytesIO()
    img.save(buf)
    return buf.getvalue()


def qr_png(url: str, box_size: int = 10) -> bytes:
    """A QR code as PNG."""
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box_size, border=2)
    qr.add_data(url)
    qr.make(fit=True)
    buf = io.BytesIO()
    qr.make_image().save(buf)
    return buf.getvalue()

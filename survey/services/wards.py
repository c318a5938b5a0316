"""Wards (organisations) as tenants: adding one, listing them, and the wards of a province."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from ..extensions import db
from ..models import Organisation, ServicePoint, User
from .points import CODE_RE

#: Words after /cong-khai/ that are pages, never a ward's code.
RESERVED = frozenset({"nhung", "phan-anh"})


class WardError(ValueError):
    """A ward cannot be added as asked; the message is for the user."""


class WardTaken(WardError):
    """The code is another ward's."""


def add(code: str, name: str, province: str) -> Organisation:
    """A new ward after checking its code, name and province."""
    code, name, province = code.strip().lower(), name.strip(), province.strip()
    if not CODE_RE.match(code):
        raise WardError(_("Mã phường chỉ gồm chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự."))
    if code in RESERVED:
        raise WardError(_("Mã phường “%(code)s” được dành riêng; hãy chọn mã khác.", code=code))
    if not name or len(name) > 200:
        raise WardError(_("Tên phường không được để trống và tối đa 200 ký tự."))
    if not province or len(province) > 200:
        raise WardError(_("Tên tỉnh không được để trống và tối đa 200 ký tự."))
    if db.session.scalar(select(Organisation.id).filter_by(code=code)) is not None:
        raise WardTaken(_("Mã phường “%(code)s” đã có.", code=code))
    ward = Organisation(code=code, name=name, province=province)
    db.session.add(ward)
    db.session.flush()
    return ward


def by_code(code: str) -> Organisation | None:
    return db.session.scalar(select(Organisation).filter_by(code=code.strip().lower()))


def of_province(province: str) -> list[Organisation]:
    """The wards of a province, by name."""
    return list(db.session.scalars(select(Organisation).filter_by(province=province).order_by(Organisation.name)))


def summary() -> list[dict[str, Any]]:
    """Every ward with its province and its numbers of points and accounts, by code."""
    points = dict(db.session.execute(select(ServicePoint.organisation_id, func.count())
                                     .group_by(ServicePoint.organisation_id)).tuples().all())
    accounts = dict(db.session.execute(select(User.organisation_id, func.count()).where(User.organisation_id
                                       .is_not(None)).group_by(User.organisation_id)).tuples().all())
    return [{"code": w.code, "name": w.name, "province": w.province, "points": points.get(w.id, 0),
             "accounts": accounts.get(w.id, 0)}
            for w in db.session.scalars(select(Organisation).order_by(Organisation.code))]

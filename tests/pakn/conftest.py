"""PAKN fixtures: the demo ward's points with handling units, and a helper to register items."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy

from hailong.analysis.periods import TZ
from hailong.survey.models import Organisation, PaknChannel, PaknItem, ServicePoint
from hailong.survey.services import pakn
from hailong.survey.services import points as point_svc


@pytest.fixture
def ward(db: SQLAlchemy) -> Organisation:
    """The An Tường ward with its demo points and a handling unit per point unit (the one-stop unit has e-mail)."""
    org = db.session.query(Organisation).one()
    point_svc.ensure_demo_points(org)
    db.session.flush()
    db.session.refresh(org)
    pakn.ensure_units_from_points(org)
    pakn.save_unit(org.id, "test", "motcua", "Bộ phận một cửa", "motcua@antuong.example", False)
    pakn.save_unit(org.id, "test", "vhxh", "Phòng Văn hóa - Xã hội", "vhxh@antuong.example", True)
    db.session.commit()
    return org


@pytest.fixture
def add_item(db: SQLAlchemy, ward: Organisation) -> Callable[..., tuple[PaknItem, str | None]]:
    """Register an item at a point (default mc-1) received at `when` (local time)."""

    def _add(text: str = "Phòng chờ thiếu ghế ngồi.", *, point: str | None = "mc-1", category: str = "co_so_vat_chat",
             when: datetime | None = None, **fields: Any) -> tuple[PaknItem, str | None]:
        found = db.session.query(ServicePoint).filter_by(code=point).one() if point else None
        item, code = pakn.register(pakn.Intake(
            ward=ward, category=category, text=text, channel=fields.pop("channel", PaknChannel.FORM.value),
            received_at=when or datetime.now(TZ), point=found, **fields,
        ))
        db.session.commit()
        return item, code

    return _add

"""Office pages show the ward's local time whatever the server's time zone is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import select

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent


def test_office_pages_show_local_times(
    app: Flask, login: Callable[[str], Any], add_responses: Callable[..., list[int]], server_tz: str
) -> None:
    """The comments list and the audit log show the ward's local time, not the server's."""
    add_responses("mc-1", 1, 4, when=datetime(2026, 2, 10, 3, 0, tzinfo=UTC), comment="Cảm ơn cán bộ")
    client = login("admin")
    comments = client.get("/office/comments?period=2026-Q1").get_data(as_text=True)
    assert "10/02/2026 10:00" in comments
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event is not None
        expected = event.at.astimezone(TZ).strftime("%d/%m/%Y %H:%M")
    assert expected in client.get("/office/audit").get_data(as_text=True)

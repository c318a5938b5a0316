"""Stored times are UTC and read back aware on every database, whatever the server's own time zone is."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import DateTime, func, select

from hailong.analysis.periods import parse_period
from hailong.survey.models import AuditEvent, LoginThrottle, Submission, Token, User
from hailong.survey.services import audit, spreadsheet
from hailong.survey.services import responses as rsvc


def _export(db: Any) -> list[dict[str, str]]:
    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    db.session.expire_all()
    return list(csv.DictReader(io.StringIO(out.getvalue(), newline="")))


def test_local_time_exports_back_unchanged_and_reimports_to_the_same_day(
    db: Any, demo_points: Any, server_tz: str
) -> None:
    assert rsvc.import_csv(b"submitted_at,point,overall\n2026-10-01T03:00:00,mc-1,5\n") == 1
    rows = _export(db)
    assert [r["submitted_at"] for r in rows] == ["2026-10-01T03:00:00+07:00"]

    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    db.session.execute(Submission.__table__.delete())
    db.session.commit()
    assert rsvc.import_csv(out.getvalue().encode()) == 1
    stored = db.session.scalars(select(Submission)).one()
    assert stored.day_key == 20261001
    lo, hi = parse_period("2026-Q4").day_keys()
    assert lo <= stored.day_key < hi
    assert stored.submitted_at == datetime(2026, 9, 30, 20, 0, tzinfo=UTC)
    assert _export(db)[0]["submitted_at"] == "2026-10-01T03:00:00+07:00"


def test_every_datetime_column_reads_back_aware_utc(
    app: Flask, db: Any, demo_points: Any, server_tz: str
) -> None:
    """Each DateTime column of the models, written aware in another zone, comes back as the same UTC instant."""
    columns = {(t.name, c.name): c.type for t in db.metadata.sorted_tables for c in t.columns
               if isinstance(c.type, DateTime) or isinstance(getattr(c.type, "impl", None), DateTime)}
    assert ("responses", "submitted_at") in columns and ("audit_events", "at") in columns
    # Every time column goes through the one UTC type, so a new column cannot bring the bug back.
    assert {name: type(t).__name__ for name, t in columns.items()} == dict.fromkeys(columns, "UTCDateTime")

    moment = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)
    rsvc.import_csv(b"submitted_at,point,overall\n2026-10-01T10:00:00+07:00,mc-1,5\n")
    audit.record("test", "thing.done", "x")
    db.session.add(User(organisation_id=1, username="u", password_hash="x", role="admin", active=True))
    db.session.add(LoginThrottle(key="k", account="a", failures=1, last_failed_at=moment, blocked_until=moment))
    db.session.commit()
    db.session.expire_all()

    response = db.session.scalars(select(Submission)).one()
    assert response.submitted_at == moment
    assert response.submitted_at.utcoffset() == timedelta(0)
    user = db.session.scalars(select(User)).one()
    throttle = db.session.scalars(select(LoginThrottle)).one()
    assert throttle.blocked_until == moment and throttle.blocked_until.utcoffset() == timedelta(0)
    assert user.created_at.utcoffset() == timedelta(0)
    event = db.session.scalars(select(AuditEvent)).one()
    assert event.at.utcoffset() == timedelta(0)
    assert abs(event.at - datetime.now(UTC)) < timedelta(minutes=5)
    # A comparison in SQL with an aware value in another zone means the same instant.
    in_hanoi = moment.astimezone(rsvc.TZ)
    later = select(func.count()).select_from(Submission).where(Submission.submitted_at >= in_hanoi)
    assert db.session.scalar(later) == 1
    assert db.session.scalar(select(func.count()).select_from(Submission).where(
        Submission.submitted_at > in_hanoi + timedelta(seconds=1))) == 0
    assert db.session.scalar(select(func.count()).select_from(Token)) == 0

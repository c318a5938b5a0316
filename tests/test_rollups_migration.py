"""Migration 0012_rollups on existing data: the ward is backfilled on responses and answers, and the rollups
built from the stored rows equal what the app kept while writing them (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as rsvc


def _rows(sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in _db.session.execute(text(sql)).all()]


def _write() -> None:
    wards = [point_svc.ensure_organisation(code, code, "Tuyên Quang") for code in ("an-tuong", "minh-xuan")]
    points = [point_svc.create(w, code, f"{code} {w.code}", kind) for w in wards
              for code, kind in (("mc-1", "onestop"), ("tyt", "health"))]
    drafts = []
    for i in range(24):
        point = points[i % len(points)]
        q = qsvc.definition(qsvc.latest_version(point.kind))
        answers: dict[str, Any] = {s.code: (i + j) % 6 for j, s in enumerate(q.statements) if (i + j) % 7}
        when = datetime.combine(datetime(2026, 3, 28).date() + timedelta(days=i * 3), time(10), tzinfo=TZ)
        drafts.append(rsvc.Draft(point=point, version=qsvc.latest_version(point.kind), answers=answers,
                                 submitted_at=when, flag_reason="thử" if i % 5 == 0 else None))
    ids = rsvc.write_many(drafts)
    rsvc.set_flag(ids[1], "nghi ngờ")
    rsvc.set_flag(ids[5], None)
    _db.session.commit()


def test_the_migration_backfills_the_ward_and_builds_the_rollups(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        _write()
        kept = (_rows("SELECT * FROM answer_rollups ORDER BY 1, 2, 3, 4"),
                _rows("SELECT * FROM pattern_rollups ORDER BY 1, 2, 3, 4, 5"))
        assert kept[0] and kept[1]
        _db.session.remove()
        downgrade(directory=directory, revision="0011_report_jobs")
        assert "answer_rollups" not in inspect(_db.engine).get_table_names()
        assert "organisation_id" not in {c["name"] for c in inspect(_db.engine).get_columns("answers")}
        upgrade(directory=directory)
        assert _rows("SELECT count(*) FROM responses r JOIN service_points p ON p.id = r.point_id "
                     "WHERE r.organisation_id <> p.organisation_id") == [(0,)]
        assert _rows("SELECT count(*) FROM answers a JOIN service_points p ON p.id = a.point_id "
                     "WHERE a.organisation_id <> p.organisation_id") == [(0,)]
        assert _rows("SELECT count(DISTINCT organisation_id) FROM answers") == [(2,)]
        assert (_rows("SELECT * FROM answer_rollups ORDER BY 1, 2, 3, 4"),
                _rows("SELECT * FROM pattern_rollups ORDER BY 1, 2, 3, 4, 5")) == kept

"""Migration 0017_ward_figures on existing data: every ward gets its 'figures' token, the global one and its triggers
come back going down; form_page_counts keeps its rows under a key led by the ward, and pages are still counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint
from hailong.survey.services import drafts
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc

NEW_KEY = ["organisation_id", "point_id", "questionnaire_id", "day_key", "page"]


def _rows(sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in _db.session.execute(text(sql)).all()]


def _pages() -> list[tuple[Any, ...]]:
    return _rows("SELECT organisation_id, point_id, questionnaire_id, day_key, page, reached, sent "
                 "FROM form_page_counts ORDER BY point_id, page")


def test_the_migration_keeps_tokens_per_ward_and_page_counts_by_ward(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        wards = [point_svc.ensure_organisation(code, code, "Tuyên Quang") for code in ("an-tuong", "minh-xuan")]
        points = [point_svc.create(w, "mc-1", f"Một cửa {w.code}", "onestop") for w in wards]
        version = qsvc.latest_version("onestop")
        statements = qsvc.definition(version).statements
        answers = {s.code: 4 for s in statements}
        ids = response_svc.write_many([response_svc.Draft(point=p, version=version, answers=answers,
                                                          submitted_at=datetime(2026, 2, 10, 3, tzinfo=UTC))
                                       for p in points])
        for point in points:
            drafts._bump(point.organisation_id, point.id, version.id, 20260210, [1, 2], "reached")
        _db.session.commit()
        ward_ids, point_ids, version_id = [w.id for w in wards], [p.id for p in points], version.id
        pages = _pages()
        assert len(pages) == 4
        _db.session.remove()

        downgrade(directory=directory, revision="0016_ward_report_jobs")
        found = inspect(_db.engine)
        assert "figures_tokens" not in found.get_table_names()
        assert found.get_pk_constraint("form_page_counts")["constrained_columns"] == NEW_KEY[1:]
        assert "ix_form_page_counts_organisation_id" in {i["name"] for i in found.get_indexes("form_page_counts")}
        assert _pages() == pages
        # 0014's global token and triggers are back: a flag in either ward changes the one token.
        token = "SELECT token FROM cache_versions WHERE name = 'figures'"
        before = _rows(token)
        assert len(before) == 1
        _db.session.execute(text("UPDATE responses SET flagged = :t WHERE id = :id"), {"t": True, "id": ids[1]})
        assert _rows(token) != before
        _db.session.rollback()
        _db.session.remove()

        upgrade(directory=directory)
        assert _rows("SELECT count(*) FROM cache_versions WHERE name = 'figures'") == [(0,)]
        assert {r[0] for r in _rows("SELECT organisation_id FROM figures_tokens")} == set(ward_ids)
        found = inspect(_db.engine)
        assert found.get_pk_constraint("form_page_counts")["constrained_columns"] == NEW_KEY
        assert "ix_form_page_counts_organisation_id" not in {i["name"] for i in found.get_indexes("form_page_counts")}
        assert _pages() == pages
        # The page counts' upsert meets the new key: existing rows count on, a new page gets its row.
        point = _db.session.scalars(select(ServicePoint).filter_by(id=point_ids[1])).one()
        drafts._bump(point.organisation_id, point.id, version_id, 20260210, [2, 3], "sent")
        _db.session.commit()
        mine = [r[4:] for r in _pages() if r[1] == point.id]
        assert mine == [(1, 1, 0), (2, 1, 1), (3, 0, 1)]

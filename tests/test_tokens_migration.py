"""Migration 0015_tokens_ward on existing receipt codes: each gets its point's ward, and codes still work after."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint
from hailong.survey.services import points as point_svc
from hailong.survey.services import tokens as token_svc


def _rows(sql: str) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in _db.session.execute(text(sql)).all()]


def test_the_migration_gives_every_code_its_ward(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        wards = [point_svc.ensure_organisation(code, code, "Tuyên Quang") for code in ("an-tuong", "minh-xuan")]
        points = [point_svc.create(w, "tyt", f"Trạm y tế {w.code}", "health") for w in wards]
        ids = [p.id for p in points]
        issued = {p.id: token_svc.issue(p, 3) for p in points}
        assert token_svc.claim(issued[ids[1]][0])
        _db.session.commit()
        kept = _rows("SELECT token_hash, point_id, organisation_id, used_at IS NULL FROM tokens ORDER BY id")
        assert {r[2] for r in kept} == {w.id for w in wards}
        _db.session.remove()

        downgrade(directory=directory, revision="0014_province_snapshots")
        assert "organisation_id" not in {c["name"] for c in inspect(_db.engine).get_columns("tokens")}
        upgrade(directory=directory)

        assert _rows("SELECT token_hash, point_id, organisation_id, used_at IS NULL FROM tokens ORDER BY id") == kept
        assert _rows("SELECT count(*) FROM tokens t JOIN service_points p ON p.id = t.point_id "
                     "WHERE t.organisation_id <> p.organisation_id") == [(0,)]
        first, second = (_db.session.scalars(select(ServicePoint).filter_by(id=i)).one() for i in ids)
        assert token_svc.check(issued[ids[0]][0], first) is token_svc.TokenState.VALID
        assert token_svc.check(issued[ids[1]][0], second) is token_svc.TokenState.USED
        # A code is checked within its point's ward: the other ward's point does not know it.
        assert token_svc.check(issued[ids[0]][0], second) is token_svc.TokenState.INVALID

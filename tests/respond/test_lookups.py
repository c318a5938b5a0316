"""The citizen path's points and questionnaires kept in worker memory: a change made anywhere shows at once.

Each application instance stands for one gunicorn worker (its copy lives in the app), and both share the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, inspect, select, text

from hailong.survey import create_app
from hailong.survey.extensions import db as _db
from hailong.survey.models import CacheVersion, ServicePoint

#: The tables whose every change must change the token (what the lookups read).
WATCHED = ("service_points", "organisations", "retired_codes", "questionnaires")


@pytest.fixture
def other(app: Flask, points: Any) -> Iterator[Flask]:
    """A second worker on the same database."""
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "HAILONG_BASE_URL", "RATELIMIT_STORAGE_URI")
    second = create_app({k: app.config[k] for k in keys})
    yield second
    with second.app_context():
        _db.session.remove()
        _db.engine.dispose()


def _statements(app: Flask, path: str) -> tuple[int, list[str]]:
    """GET `path` in `app`: the status and the SQL it ran."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with app.app_context():
        engine = _db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        status = app.test_client().get(path).status_code
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return status, seen


def _token(app: Flask) -> int:
    with app.app_context():
        token = _db.session.scalar(select(CacheVersion.token).filter_by(name="citizen"))
        _db.session.rollback()
    assert token is not None
    return token


def test_a_warm_form_reads_only_the_token(app: Flask, points: Any) -> None:
    assert _statements(app, "/s/mc-1")[0] == 200
    status, seen = _statements(app, "/s/mc-1")
    assert status == 200
    assert len(seen) == 1 and "cache_versions" in seen[0]


def test_deactivation_in_one_worker_shows_at_once_in_another(app: Flask, other: Flask) -> None:
    assert other.test_client().get("/s/mc-1").status_code == 200  # the other worker keeps mc-1
    result = app.test_cli_runner().invoke(args=["points", "deactivate", "mc-1"])
    assert result.exit_code == 0, result.output
    assert other.test_client().get("/s/mc-1").status_code == 404
    assert app.test_cli_runner().invoke(args=["points", "activate", "mc-1"]).exit_code == 0
    assert other.test_client().get("/s/mc-1").status_code == 200


def test_a_rotated_code_stops_at_once_in_another_worker(app: Flask, other: Flask, points: Any) -> None:
    assert other.test_client().get("/s/mc-1").status_code == 200
    result = app.test_cli_runner().invoke(args=["points", "rotate", "mc-1"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        new_code = _db.session.scalar(select(ServicePoint.code).filter_by(id=points["mc-1"]))
    assert new_code != "mc-1"
    client = other.test_client()
    old = client.get("/s/mc-1")
    assert old.status_code == 410 and 'name="submission_key"' not in old.get_data(as_text=True)
    assert client.get(f"/s/{new_code}").status_code == 200


def test_a_posted_answer_after_deactivation_is_not_taken_by_a_stale_copy(app: Flask, other: Flask) -> None:
    """A form opened before its point was stopped is not stored by a worker that still held the point."""
    from tests.fixtures.citizen import open_form

    form = open_form(other, other.test_client())
    with app.app_context():
        _db.session.execute(text("UPDATE service_points SET active = :no WHERE code = 'mc-1'"), {"no": False})
        _db.session.commit()
    assert form.backdate().post().status_code in (404, 410)


@pytest.mark.parametrize("table", WATCHED)
def test_any_change_to_a_watched_table_changes_the_token(app: Flask, points: Any, table: str) -> None:
    """Even SQL typed by hand: the triggers of migration 0013_writepath are there at the head."""
    column = inspect(_db.metadata.tables[table]).primary_key.columns.keys()[0]
    with app.app_context():
        if table == "retired_codes":  # empty until a code is rotated: give it a row to change
            _db.session.execute(text("INSERT INTO retired_codes (organisation_id, code, point_id, retired_at) "
                                     "SELECT organisation_id, 'cu-1', id, created_at FROM service_points "
                                     "WHERE code = 'mc-1'"))
            _db.session.commit()
    before = _token(app)
    with app.app_context():
        _db.session.execute(text(f"UPDATE {table} SET {column} = {column}"))  # noqa: S608 (names from WATCHED)
        _db.session.commit()
    assert _token(app) != before


def test_other_writes_leave_the_token_alone(app: Flask, points: Any) -> None:
    """A citizen's answer does not throw away every worker's copy."""
    from tests.fixtures.citizen import open_form

    before = _token(app)
    assert open_form(app, app.test_client()).backdate().post().status_code == 303
    assert _token(app) == before

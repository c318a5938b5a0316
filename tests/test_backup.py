"""`hailong backup` while citizens keep submitting, and `hailong restore` of that backup."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select

from hailong.survey import transaction
from hailong.survey.extensions import db
from hailong.survey.models import ServicePoint, Submission
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from tests.fixtures.database import USE_PG


class Writer(threading.Thread):
    """Submits responses one commit at a time until stopped, like citizens on the live site."""

    def __init__(self, app: Flask):
        super().__init__(daemon=True)
        self.app = app
        self.stop = threading.Event()
        self.written = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
                version = qsvc.latest_version("onestop")
                while not self.stop.is_set() and self.written < 20_000:
                    n = self.written
                    draft = response_svc.Draft(
                        point=point, version=version, submitted_at=datetime.now(UTC), comment=f"phiếu {n}",
                        answers={"access.seating": 1 + n % 5, "staff.polite": 1 + (n // 5) % 5, "overall": 4},
                    )
                    with transaction.boundary():  # one request each
                        response_svc.submit(draft)
                    self.written += 1
        except BaseException as exc:  # reported by the test
            self.error = exc


def _live_count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Submission.id))) or 0


def _wait_for(writer: Writer, n: int) -> None:
    for _ in range(2000):
        if writer.written >= n or writer.error:
            return
        threading.Event().wait(0.01)


def _rows(conn: sqlite3.Connection, limit: int) -> list[tuple[Any, ...]]:
    return conn.execute(
        "SELECT r.id, r.submission_key, r.comment, r.sat_mask, r.valid_mask, "
        "(SELECT group_concat(a.question_id || ':' || a.value) FROM answers a WHERE a.response_id = r.id) "
        "FROM responses r WHERE r.id <= ? ORDER BY r.id", (limit,)
    ).fetchall()


@pytest.mark.skipif(USE_PG, reason="the SQLite backup API; PostgreSQL is covered below")
def test_backup_while_submitting_then_restore(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path
                                              ) -> None:
    live = Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))
    out = tmp_path / "backup.db"
    writer = Writer(app)
    writer.start()
    try:
        _wait_for(writer, 50)
        result = runner.invoke(args=["backup", "--out", str(out)])
        assert result.exit_code == 0, result.output
        during = writer.written
        _wait_for(writer, during + 50)
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert writer.error is None, writer.error
    assert not Path(str(out) + ".part").exists()

    with closing(sqlite3.connect(out)) as backup, closing(sqlite3.connect(live)) as current:
        assert backup.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        (in_backup,) = backup.execute("SELECT count(*) FROM responses").fetchone()
        (in_live,) = current.execute("SELECT count(*) FROM responses").fetchone()
        # Submissions went on during and after the backup, and the backup is one consistent moment:
        # exactly the first `in_backup` responses, each with all its answers.
        assert 50 <= in_backup < in_live
        assert _rows(backup, in_backup) == _rows(current, in_backup)
        assert backup.execute("SELECT max(id) FROM responses").fetchone() == (in_backup,)
        (orphans,) = backup.execute(
            "SELECT count(*) FROM responses r WHERE NOT EXISTS (SELECT 1 FROM answers a WHERE a.response_id = r.id)"
        ).fetchone()
        assert orphans == 0
    assert f"{in_backup}" in result.output

    # Restore refuses to overwrite data unless told to.
    refused = runner.invoke(args=["restore", str(out)])
    assert refused.exit_code != 0 and "--force" in refused.output
    assert _live_count(app) == in_live

    restored = runner.invoke(args=["restore", str(out), "--force"])
    assert restored.exit_code == 0, restored.output
    assert _live_count(app) == in_backup
    with closing(sqlite3.connect(out)) as backup, closing(sqlite3.connect(live)) as current:
        assert _rows(current, in_live) == _rows(backup, in_live)
        assert current.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # The restored database works for the next citizen.
    writer = Writer(app)
    writer.start()
    _wait_for(writer, 3)
    writer.stop.set()
    writer.join(timeout=30)
    assert writer.error is None and _live_count(app) >= in_backup + 3


@pytest.mark.skipif(USE_PG, reason="SQLite files")
def test_restore_into_a_new_file(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path) -> None:
    from hailong.survey import create_app

    out = tmp_path / "b.db"
    assert runner.invoke(args=["backup", "--out", str(out)]).exit_code == 0
    fresh_path = tmp_path / "new" / "hailong.db"
    fresh = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{fresh_path}", "SECRET_KEY": "x", "TESTING": True})
    result = fresh.test_cli_runner().invoke(args=["restore", str(out)])
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        assert db.session.scalar(select(func.count(ServicePoint.id))) == 7
        db.engine.dispose()


@pytest.mark.skipif(USE_PG, reason="SQLite files")
def test_restore_refuses_files_that_are_not_backups(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path
                                                   ) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", str(junk), "--force"])
    assert result.exit_code != 0 and "không phải" in result.output
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
    result = runner.invoke(args=["restore", str(other), "--force"])
    assert result.exit_code != 0 and "không phải bản sao lưu" in result.output
    assert _live_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(ServicePoint.id))) == 7


@pytest.mark.skipif(USE_PG, reason="SQLite files")
def test_backup_does_not_overwrite_without_force(runner: FlaskCliRunner, points: Any, tmp_path: Path) -> None:
    out = tmp_path / "exists.db"
    out.write_bytes(b"keep me")
    result = runner.invoke(args=["backup", "--out", str(out)])
    assert result.exit_code != 0 and "--force" in result.output
    assert out.read_bytes() == b"keep me"
    assert runner.invoke(args=["backup", "--out", str(out), "--force"]).exit_code == 0
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"


@pytest.mark.postgres
@pytest.mark.skipif(not USE_PG, reason="needs HAILONG_DATABASE_URL=postgresql://...")
def test_postgres_backup_and_restore(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path) -> None:
    import shutil

    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump not installed")
    writer = Writer(app)
    writer.start()
    _wait_for(writer, 20)
    out = tmp_path / "pg.dump"
    try:
        result = runner.invoke(args=["backup", "--out", str(out)])
    finally:
        writer.stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert writer.error is None
    with app.app_context():
        db.engine.dispose()
    restored = runner.invoke(args=["restore", str(out), "--force"])
    assert restored.exit_code == 0, restored.output
    count = _live_count(app)
    assert 20 <= count <= writer.written
    with app.app_context():
        ids = list(db.session.scalars(select(Submission.id).order_by(Submission.id)))
        assert ids == list(range(1, count + 1))  # a consistent prefix of what was written

"""One transaction boundary: a request or a command commits once when it succeeds, and rolls back otherwise."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select

from hailong.survey import transaction
from hailong.survey.extensions import db
from hailong.survey.models import Answer, AnswerRollup, AuditEvent, ServicePoint, Token
from hailong.survey.services import antiabuse, audit
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from tests.fixtures.citizen import counts, open_form, stored


def test_a_request_that_fails_after_the_service_call_stores_nothing(
    app: Flask, client: FlaskClient, points: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer was written (in a savepoint) but the view failed afterwards: the request rolls it all back."""

    def broken(*_args: Any) -> None:
        raise RuntimeError("the cookie could not be set")

    monkeypatch.setattr(antiabuse, "remember", broken)
    assert open_form(app, client).backdate().post().status_code == 500
    assert counts(app) == (0, 0)


def test_a_commit_that_fails_is_an_error_the_citizen_sees(
    app: Flask, client: FlaskClient, points: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: an error after the view is a 500 page
    form = open_form(app, client).backdate()

    def commit() -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(db.session, "commit", commit)
    response = form.post()
    assert response.status_code == 500  # never the 303 to the thank-you page
    monkeypatch.undo()
    assert counts(app) == (0, 0)
    assert form.post().status_code == 303  # the same form, sent again, is stored once
    assert counts(app)[0] == 1


def test_a_second_tap_is_turned_away_by_the_unique_key_in_its_own_insert(
    app: Flask, client: FlaskClient, points: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No lookup before the INSERT: its ON CONFLICT skips a stored key (a racing tap waits for the first on
    PostgreSQL), writes nothing, and the stored response is looked up once, after it."""
    form = open_form(app, client).backdate()
    assert form.post().status_code == 303
    real = response_svc.find_by_key
    calls: list[str] = []

    def counted(key: str) -> int | None:
        calls.append(key)
        return real(key)

    monkeypatch.setattr(response_svc, "find_by_key", counted)
    with app.app_context():
        answers_before = db.session.scalar(select(func.count()).select_from(Answer))
        rollups_before = db.session.scalar(select(func.sum(AnswerRollup.n)))
    again = form.post()
    assert again.status_code == 303 and again.headers["Location"].endswith("/cam-on")
    assert len(calls) == 1  # after the insert that did nothing
    assert counts(app)[0] == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Answer)) == answers_before
        assert db.session.scalar(select(func.sum(AnswerRollup.n))) == rollups_before


def test_an_audited_change_and_its_audit_event_are_one_transaction(app: Flask, points: Any) -> None:
    with app.app_context(), pytest.raises(RuntimeError), transaction.boundary():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        point.name = "Quầy đã đổi tên"
        audit.record("admin", "point.renamed", "point:mc-1", "→ Quầy đã đổi tên")
        raise RuntimeError("the request failed afterwards")
    with app.app_context():
        assert db.session.scalar(select(ServicePoint.name).filter_by(code="mc-1")) != "Quầy đã đổi tên"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 0


def test_keep_on_error_stores_the_audit_of_a_failure(app: Flask, points: Any) -> None:
    with app.app_context(), pytest.raises(RuntimeError), transaction.boundary():
        db.session.scalar(select(ServicePoint).filter_by(code="mc-1")).name = "Không được lưu"
        transaction.start_over()
        audit.record("cli", "export.responses.failed", "all", "csv; RuntimeError")
        transaction.keep_on_error()
        raise RuntimeError("the export failed")
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action)) == "export.responses.failed"
        assert db.session.scalar(select(ServicePoint.name).filter_by(code="mc-1")) != "Không được lưu"
        assert "hailong.keep_on_error" not in db.session.info


def test_a_savepoint_on_sqlite_does_not_commit_on_its_own(app: Flask, points: Any) -> None:
    """The sqlite3 driver's RELEASE of a first savepoint would commit: the boundary opens a real transaction first."""
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        draft = response_svc.Draft(point=point, version=qsvc.latest_version("onestop"), answers={"overall": 4},
                                   submitted_at=datetime.now(UTC))
        with pytest.raises(RuntimeError), transaction.boundary():
            assert response_svc.submit(draft)[1]
            raise RuntimeError("after the savepoint")
    assert counts(app) == (0, 0)


def test_a_command_commits_once_when_it_succeeds(app: Flask, runner: FlaskCliRunner, points: Any,
                                                 tmp_path: Path) -> None:
    result = runner.invoke(args=["tokens", "issue", "--point", "mc-1", "--count", "3", "--out",
                                 str(tmp_path / "slips.pdf")])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Token)) == 3


def test_a_command_that_fails_stores_nothing(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from hailong.survey.services import tokens as token_svc

    def no_pdf(*_args: Any) -> bytes:
        raise RuntimeError("WeasyPrint is missing")

    monkeypatch.setattr(token_svc, "render_slips", no_pdf)
    result = runner.invoke(args=["tokens", "issue", "--point", "mc-1", "--count", "3", "--out",
                                 str(tmp_path / "slips.pdf")])
    assert result.exit_code != 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Token)) == 0
    assert stored(app) == []


def test_nothing_outside_the_boundary_commits() -> None:
    """Services, views and commands add and flush; survey/transaction.py alone commits or rolls back."""
    root = Path(__file__).resolve().parent.parent / "survey"
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py")) if path.name != "transaction.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if ".commit()" in line or ".rollback()" in line
    ]
    assert found == [], found

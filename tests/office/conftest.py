"""Office fixtures: accounts of each role, a signed-in client and a few responses with known answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint, User
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from hailong.survey.services import users as user_svc
from tests.fixtures.office import PASSWORDS, Q1_DAY, sign_in

# These fixtures do not hold an application context during the test (unlike `db`): requests then get their own
# `g`, as in production, so Flask-Login and CSRF state cannot leak from one request to the next.


@pytest.fixture(scope="session")
def _hashes() -> dict[str, str]:
    """Each password hashed once per session (scrypt is slow on purpose)."""
    return {name: generate_password_hash(pw, method=user_svc.HASH_METHOD) for name, pw in PASSWORDS.items()}


@pytest.fixture
def accounts(app: Flask, points: dict[str, int], _hashes: dict[str, str]) -> dict[str, str]:
    """admin, reviewer and a viewer bound to the primary school's unit."""
    with app.app_context():
        for name, unit in (("admin", None), ("reviewer", None), ("viewer", "th-an-tuong")):
            _db.session.add(User(organisation_id=1, username=name, password_hash=_hashes[name], role=name, unit=unit,
                                 active=True))
        _db.session.commit()
    return dict(PASSWORDS)


@pytest.fixture
def login(client: FlaskClient, accounts: dict[str, str]) -> Callable[[str], FlaskClient]:
    """Sign the test client in as one of the accounts."""

    def _login(username: str) -> FlaskClient:
        response = sign_in(client, username)
        assert response.status_code == 303, response.get_data(as_text=True)
        return client

    return _login


@pytest.fixture
def add_responses(app: Flask) -> Callable[..., list[int]]:
    """Write `n` responses to a point: every statement and 'overall' answered `value`, optionally a comment."""

    def _add(point_code: str, n: int, value: int, when: datetime = Q1_DAY, comment: str | None = None,
             flag_reason: str | None = None) -> list[int]:
        with app.app_context():
            point = _db.session.query(ServicePoint).filter_by(code=point_code).one()
            version = qsvc.latest_version(point.kind)
            q = qsvc.definition(version)
            answers: dict[str, int | list[int]] = {s.code: value for s in q.statements}
            answers["overall"] = value
            drafts = [
                response_svc.Draft(point=point, version=version, answers=dict(answers), submitted_at=when,
                                   comment=comment, flag_reason=flag_reason)
                for _ in range(n)
            ]
            ids = response_svc.write_many(drafts)
            _db.session.commit()
            return ids

    return _add

"""Helpers for the citizen form: open it like a browser and post answers with its hidden fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hailong.survey.extensions import db
from hailong.survey.models import Answer, Submission, Token
from hailong.survey.services import antiabuse
from tests.conftest import form_tokens

TOKEN_RE = re.compile(r'name="t" value="([^"]+)"')

#: A complete, valid onestop answer set (a few statements, overall, choices, expectations, profile, comment).
VALID = {
    "access__seating": "5",
    "procedure__posted_complete": "4",
    "staff__polite": "4",
    "result__lawful": "na",
    "feedback__channel": "3",
    "overall": "4",
    "visits": "one",
    "expect": ["more_online", "shorter_time"],
    "gender": "female",
    "comment": "Cán bộ nhiệt tình.",
}


class FormPage:
    """A served form: its status, HTML and the hidden fields a browser would send back."""

    def __init__(self, app: Flask, client: FlaskClient, url: str, **get_kwargs: Any):
        self.app = app
        self.client = client
        self.url = url.split("?")[0]
        response = client.get(url, **get_kwargs)
        self.status = response.status_code
        self.read(response.get_data(as_text=True))

    def read(self, html: str) -> FormPage:
        """Take the hidden fields of a served page (a fresh form, or one sent back after a refusal)."""
        self.html = html
        self.hidden = form_tokens(self.html)
        if m := TOKEN_RE.search(self.html):
            self.hidden["t"] = m.group(1)
        return self

    def backdate(self, seconds: int = 120) -> FormPage:
        """Pretend the citizen took `seconds` to answer: a key issued that long ago (the fill-time check is real)."""
        from hailong.survey.services import points as point_svc

        code = self.url.rsplit("/", 1)[-1]
        with self.app.app_context():
            point = point_svc.find_active(code) or point_svc.find_retired(code)
            if point is not None:
                when = datetime.now(UTC) - timedelta(seconds=seconds)
                self.hidden["submission_key"] = antiabuse.issue_form_key(point.id, when)
        return self

    def post(self, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        payload = {**self.hidden, **(VALID if data is None else data)}
        return self.client.post(self.url, data=payload, **kwargs)


def open_form(app: Flask, client: FlaskClient, url: str = "/s/mc-1", **kwargs: Any) -> FormPage:
    return FormPage(app, client, url, **kwargs)


def counts(app: Flask) -> tuple[int, int]:
    """(responses, answers) stored."""
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Submission)) or 0,
            db.session.scalar(select(func.count()).select_from(Answer)) or 0,
        )


def stored(app: Flask) -> list[Submission]:
    with app.app_context():
        rows = list(db.session.scalars(select(Submission).order_by(Submission.id)))
        db.session.expunge_all()
        return rows


def token_rows(app: Flask) -> list[Token]:
    with app.app_context():
        rows = list(db.session.scalars(select(Token).order_by(Token.id)))
        db.session.expunge_all()
        return rows


@pytest.fixture
def points(app: Flask) -> list[str]:
    """The demo points' codes, created outside any lasting app context so each request gets its own."""
    from hailong.survey.models import Organisation
    from hailong.survey.services import points as point_svc

    with app.app_context():
        org = db.session.scalars(select(Organisation)).one()
        codes = [p.code for p in point_svc.ensure_demo_points(org)]
        db.session.commit()
    return codes

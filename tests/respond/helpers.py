"""Helpers for the citizen form: open it like a browser and post answers with its hidden fields."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
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


STEP_RE = re.compile(r"(?:Phần|Part) (\d+)/(\d+)")
PAGE_RE = re.compile(r'name="page" value="(\d+)"')


class PagedForm(FormPage):
    """The paged form as a browser walks it: each button POSTs the page, then the redirect's page is read."""

    @property
    def step(self) -> tuple[int, int]:
        """(page shown, pages) from the visible progress."""
        found = STEP_RE.search(self.html)
        assert found, self.html[:2000]
        return int(found[1]), int(found[2])

    def read(self, html: str) -> PagedForm:
        super().read(html)
        if m := PAGE_RE.search(html):
            self.hidden["page"] = m.group(1)
        return self

    def press(self, go: str = "next", data: dict[str, Any] | None = None, **extra: Any) -> Any:
        """Press a button of the page shown, as a browser does: the answers the page shows, changed by `data`
        (a name given "" is sent empty); a redirect to a page is followed."""
        payload = {**shown_answers(self.html), **self.hidden, **(data or {}), "go": go, **extra}
        response = self.client.post(self.url, data=payload)
        self.last = response
        location = response.headers.get("Location", "")
        if response.status_code == 303 and "/cam-on" not in location:
            page = self.client.get(location)
            self.status = page.status_code
            self.read(page.get_data(as_text=True))
        elif response.status_code < 300 or 400 <= response.status_code < 500:
            self.read(response.get_data(as_text=True))
        return response


class _Answers(HTMLParser):
    """The answers a page shows (checked boxes, selected options, typed text), as a browser would send them."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and a.get("type") in ("radio", "checkbox") and "checked" in a:
            self.values.setdefault(name, []).append(a.get("value", ""))
        elif tag == "input" and a.get("type") == "number" and a.get("value"):
            self.values[name] = [a["value"]]
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self.values[self._select] = [a.get("value", "")]
        elif tag == "textarea":
            self._textarea = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea and data.strip("\n"):
            self.values[self._textarea] = [data.removeprefix("\n")]


def shown_answers(html: str) -> dict[str, list[str]]:
    parser = _Answers()
    parser.feed(html)
    return parser.values


def open_paged(app: Flask, client: FlaskClient, url: str = "/s/mc-1", **kwargs: Any) -> PagedForm:
    return PagedForm(app, client, url, **kwargs)

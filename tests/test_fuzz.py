"""Fuzz every route: random paths, methods, queries and bodies, anonymous or signed in as an admin.

Whatever comes in, the answer is never a 500, and a rejected request (4xx) stores nothing.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from survey import create_app
from survey.extensions import db
from survey.models import Answer, Organisation, Response, RetiredCode, ServicePoint, Token, User
from survey.services import points as point_svc
from survey.services import questionnaires as qsvc
from survey.services import tokens as token_svc
from survey.services import users as user_svc
from tests.conftest import CSRF_RE

EXAMPLES = 100
ARG_RE = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")
GUARDED = (Response, Answer, Token, User, ServicePoint, RetiredCode)
ADMIN_PASSWORD = "Fuzz-admin-password-2026!"


def _rules() -> list[tuple[str, tuple[str, ...]]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "collect", "TESTING": True})
    return sorted(
        (rule.rule, tuple(sorted(rule.methods - {"HEAD", "OPTIONS"})))
        for rule in app.url_map.iter_rules()
    )


RULES = _rules()

# Field names worth trying: every questionnaire's fields, the service fields and the office's usual names.
KNOWN_FIELDS = sorted(
    {code.replace(".", "__") for q in qsvc.bundled().values() for code in q.all_codes()}
    | {"csrf_token", "submission_key", "started", "website", "t", "lang", "username", "password", "role", "unit",
       "name", "code", "kind", "active", "note", "reason", "next", "period", "point", "format", "q", "page",
       "handled", "new_password", "confirm"}
)
VALUES = st.one_of(
    st.sampled_from(["", "1", "5", "na", "0", "-1", "999999999999", "one", "yes", "mc-1", "admin", "2026-Q1",
                     "csv", "xlsx", "true", "../../etc/passwd", "' OR 1=1 --", "<script>x</script>", "=1+1"]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
)
SEGMENTS = st.one_of(
    st.sampled_from(["mc-1", "tram-y-te", "1", "0", "-1", "99999999999999999999", "..", "%", "png", "svg", "pdf",
                     "lock", "unlock", "reset", "delete", "access", "staff"]),
    st.text(min_size=1, max_size=30),
)
CONTENT_TYPES = st.sampled_from(["application/x-www-form-urlencoded", "multipart/form-data", "application/json",
                                 "text/plain", "application/octet-stream", ""])


def _path(rule: str, draw: Any) -> str:
    def segment(match: re.Match[str]) -> str:
        converter = match.group(1)
        if converter == "int" and draw(st.booleans()):
            return str(draw(st.integers(min_value=-3, max_value=10**6)))
        value = draw(SEGMENTS)
        return value if converter == "path" and draw(st.booleans()) else quote(value, safe="")

    return ARG_RE.sub(segment, rule)


def _counts() -> tuple[int, ...]:
    return tuple(db.session.scalar(select(func.count()).select_from(model)) or 0 for model in GUARDED)


@pytest.fixture
def world(app: Flask) -> dict[str, Any]:
    """Points, a token, an admin account and two browsers: one anonymous, one signed in."""
    with app.app_context():
        org = db.session.scalars(select(Organisation)).one()
        points = point_svc.ensure_demo_points(org)
        token_svc.issue(points[0], 2)
        user_svc.create("fuzzadmin", ADMIN_PASSWORD, "admin")
        db.session.commit()
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "100000 per minute"
    anonymous, admin = app.test_client(), app.test_client()
    page = admin.get("/office/login").get_data(as_text=True)
    token = CSRF_RE.search(page)
    signed_in = admin.post("/office/login", data={"username": "fuzzadmin", "password": ADMIN_PASSWORD,
                                                  "csrf_token": token.group(1) if token else ""})
    assert signed_in.status_code in (302, 303), signed_in.status_code
    csrf = {}
    for name, client in (("anonymous", anonymous), ("admin", admin)):
        match = CSRF_RE.search(client.get("/s/mc-1").get_data(as_text=True))
        assert match
        csrf[name] = match.group(1)
    return {"clients": {"anonymous": anonymous, "admin": admin}, "csrf": csrf}


@pytest.mark.parametrize(("rule", "methods"), RULES, ids=[r for r, _ in RULES])
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_no_500_and_rejections_store_nothing(
    app: Flask, world: dict[str, Any], rule: str, methods: tuple[str, ...], data: Any
) -> None:
    who = data.draw(st.sampled_from(["anonymous", "admin"]), label="who")
    client: FlaskClient = world["clients"][who]
    method = data.draw(st.one_of(st.sampled_from(methods), st.sampled_from(["GET", "POST", "PUT", "DELETE"])),
                       label="method")
    path = _path(rule, data.draw)
    query = data.draw(st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(max_size=8), VALUES, max_size=3),
                      label="query")
    kwargs: dict[str, Any] = {}
    if method != "GET":
        kind = data.draw(st.sampled_from(["form", "form", "raw"]), label="body")
        if kind == "form":
            fields = data.draw(st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(max_size=10),
                                               st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=12),
                               label="fields")
            if data.draw(st.booleans(), label="with_csrf"):
                fields["csrf_token"] = world["csrf"][who]
            kwargs["data"] = fields
        else:
            kwargs["data"] = data.draw(st.binary(max_size=2000), label="raw")
            kwargs["content_type"] = data.draw(CONTENT_TYPES, label="content_type")
    url = path + ("?" + urlencode(query) if query else "")
    with app.app_context():
        before = _counts()
    response = client.open(url, method=method, **kwargs)
    response.close()
    assert response.status_code < 500, (method, url, kwargs, response.status_code)
    if 400 <= response.status_code < 500:
        with app.app_context():
            assert _counts() == before, (method, url, kwargs, response.status_code)

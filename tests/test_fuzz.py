"""Fuzz every route: random paths, methods (HEAD too), queries and bodies (urlencoded, multipart with file parts,
raw bytes; text with control characters), anonymous or signed in as an admin.

Whatever comes in, the answer is never a 500, and a rejected request (4xx) stores nothing.
"""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from hailong.survey import create_app
from hailong.survey.extensions import db
from hailong.survey.models import (
    Answer,
    FormDraft,
    FormPageCount,
    Organisation,
    PaknCalendarDay,
    PaknDeadlineRule,
    PaknEvent,
    PaknItem,
    PaknUnit,
    RetiredCode,
    ServicePoint,
    Submission,
    Token,
    User,
)
from hailong.survey.services import demo as demo_svc
from hailong.survey.services import pakn as pakn_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import publication
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from hailong.survey.services import tokens as token_svc
from hailong.survey.services import users as user_svc
from tests.fixtures.pages import CSRF_RE

EXAMPLES = 100
ARG_RE = re.compile(r"<(?:([a-z]+)(?:\([^)]*\))?:)?([a-z_]+)>")
GUARDED = (Submission, Answer, Token, User, ServicePoint, RetiredCode, PaknItem, PaknEvent, PaknUnit, PaknCalendarDay,
           PaknDeadlineRule, FormDraft, FormPageCount)
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
       "handled", "new_password", "confirm",
       # The paged form.
       "go", "k", "p",
       # PAKN: the citizen form, tracking, the office's actions and settings.
       "category", "text", "contact_name", "contact_phone", "contact_email", "consent", "form_key", "rating",
       "agency", "due_on", "reply", "question", "channel", "received_on", "day", "working", "days", "email",
       "digest_all", "status", "due", "id", "moi", "low",
       "onestop-enabled", "onestop-live", "onestop-min_n", "health-min_n", "education-enabled"}
)
#: Control characters (NUL, U+0001, U+000B, C1, DEL), bare CR and a correctly encoded U+FFFD.
CONTROLS = st.sampled_from(["\x00", "\x01", "\x0b", "\x1b", "\x7f", "\x85", "\x9f", "\r", "\ufffd"])
VALUES = st.one_of(
    st.sampled_from(["", "1", "5", "na", "0", "-1", "999999999999", "one", "yes", "mc-1", "admin", "2026-Q1",
                     "csv", "xlsx", "true", "../../etc/passwd", "' OR 1=1 --", "<script>x</script>", "=1+1",
                     "Tốt\x00lắm", "4\x00", "a\r=1+1"]),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.one_of(CONTROLS, st.text(max_size=5)), min_size=1, max_size=8).map("".join),
)
SEGMENTS = st.one_of(
    st.sampled_from(["mc-1", "tram-y-te", "1", "0", "-1", "99999999999999999999", "..", "%", "png", "svg", "pdf",
                     "lock", "unlock", "reset", "delete", "access", "staff", "accept", "assign", "submit",
                     "publish", "close", "flag", "day", "rule", "unit", "day-delete", "ABCDE-FGHJK", "abcdefghjk"]),
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
        # A PAKN item in every early state, so the office's and the tracking pages' handlers are reached.
        pakn_svc.save_unit(org.id, "fuzz", "motcua", "Một cửa", "", False)
        actor = pakn_svc.Actor("fuzz", "admin")
        for step in range(4):
            item, _code = pakn_svc.register(pakn_svc.Intake(
                ward=org, category="khac", text=f"Phản ánh {step}", channel="form",
                received_at=datetime.now(UTC), point=points[0]))
            if step >= 1:
                pakn_svc.classify(item, actor, "accept")
            if step >= 2:
                pakn_svc.assign(item, actor, "motcua")
            if step >= 3:
                pakn_svc.save_draft(item, actor, "Trả lời", submit=True)
        # The public pages show figures: every kind published, one point over the minimum n.
        publication.publish_all(org.id, "fuzz")
        version = qsvc.latest_version("onestop")
        rng = random.Random(7)
        response_svc.write_many([
            response_svc.Draft(point=points[0], version=version, submitted_at=datetime.now(UTC),
                               answers=demo_svc.synthetic_answers(rng, qsvc.definition(version), 4.2))
            for _ in range(35)])
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
    method = data.draw(st.one_of(st.sampled_from(methods), st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"])),
                       label="method")
    path = _path(rule, data.draw)
    query = data.draw(st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(max_size=8), VALUES, max_size=3),
                      label="query")
    kwargs: dict[str, Any] = {}
    if method not in ("GET", "HEAD"):
        kind = data.draw(st.sampled_from(["form", "form", "multipart", "raw"]), label="body")
        if kind in ("form", "multipart"):
            fields: dict[str, Any] = data.draw(
                st.dictionaries(st.sampled_from(KNOWN_FIELDS) | st.text(max_size=10),
                                st.one_of(VALUES, st.lists(VALUES, max_size=3)), max_size=12),
                label="fields")
            if data.draw(st.booleans(), label="with_csrf"):
                fields["csrf_token"] = world["csrf"][who]
            if kind == "multipart":
                kwargs["content_type"] = "multipart/form-data"
                # Some fields as file parts, as a script (never a browser, with this form) may send them.
                for name in data.draw(st.lists(st.sampled_from(KNOWN_FIELDS), max_size=3), label="file_fields"):
                    content = data.draw(st.binary(max_size=200), label="file")
                    fields[name] = (io.BytesIO(content), data.draw(st.sampled_from(["a.txt", "", "x.csv"])))
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


CITIZEN_FIELDS = sorted({code.replace(".", "__") for code in qsvc.bundled()["onestop/v1"].all_codes()}
                        | {"submission_key", "website", "t", "lang", "page", "go"})


@settings(max_examples=EXAMPLES * 2, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_citizen_form_with_hostile_answers(app: Flask, world: dict[str, Any], data: Any) -> None:
    """A served form posted with answers changed at random (control characters, file parts, multipart): never a
    500; a refusal stores nothing, a stored response holds no control character."""
    from tests.fixtures.citizen import VALID, open_form

    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    form = open_form(app, app.test_client(), "/s/mc-1")
    fields: dict[str, Any] = {**form.hidden, **VALID}
    for name in data.draw(st.lists(st.sampled_from(CITIZEN_FIELDS), max_size=4), label="changed"):
        fields[name] = data.draw(st.one_of(VALUES, st.lists(VALUES, max_size=3)), label=name)
    kwargs: dict[str, Any] = {}
    if data.draw(st.booleans(), label="multipart"):
        kwargs["content_type"] = "multipart/form-data"
        for name in data.draw(st.lists(st.sampled_from(CITIZEN_FIELDS), max_size=2), label="file_fields"):
            fields[name] = (io.BytesIO(data.draw(st.binary(max_size=50), label="file")), "a.txt")
    with app.app_context():
        before = _counts()
    response = form.client.post(form.url, data=fields, **kwargs)
    response.close()
    event(f"status {response.status_code}")  # --hypothesis-show-statistics: both paths are taken
    assert response.status_code < 500, (fields, response.status_code)
    with app.app_context():
        after = _counts()
        if response.status_code >= 400:
            assert after == before, (fields, response.status_code)
        elif response.status_code == 303:
            comment = db.session.scalar(select(Submission.comment).order_by(Submission.id.desc()).limit(1)) or ""
            assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", comment), comment

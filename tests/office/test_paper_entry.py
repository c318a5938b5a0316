"""Typing paper forms in the office: only issued serials, one key per answer, double entry by two clerks,
differences resolved by a reviewer, nothing counted before it is verified; audited."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ, parse_period, quarter_of
from hailong.survey.extensions import db as _db
from hailong.survey.models import (
    Answer,
    AuditEvent,
    Organisation,
    PaperEntry,
    PaperSerial,
    Question,
    ServicePoint,
    Submission,
    User,
)
from hailong.survey.services import paper as paper_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import stats
from hailong.survey.services import users as user_svc
from tests.fixtures.office import PASSWORDS, sign_in
from tests.fixtures.pages import csrf_of

#: One onestop form as the citizen ticked it: field name -> the key a clerk types ('' = left blank).
ONESTOP = {
    "access__seating": "5", "access__equipment_adequate": "4", "access__equipment_modern": "4",
    "access__equipment_easy": "3", "procedure__posted_complete": "5", "procedure__posted_accurate": "5",
    "procedure__documents_lawful": "4", "procedure__fees_lawful": "0", "procedure__time_lawful": "",
    "staff__polite": "5", "staff__listens": "5", "staff__answers_fully": "4", "staff__guides_thorough": "4",
    "staff__guides_clear": "4", "staff__follows_rules": "5", "result__lawful": "5", "result__complete": "4",
    "result__accurate": "4", "feedback__channel": "3", "feedback__easy": "2", "feedback__handled": "3",
    "feedback__notified": "", "overall": "4", "visits": "2", "on_time": "1", "apology": "",
    "extra_payment": "2", "harassment": "2", "channel_submit": "1", "field": "3", "expect": "41",
    "gender": "2", "age_group": "5", "education_level": "3", "ethnicity": "2", "occupation": "7",
    "comment": "Cán bộ  nhiệt tình,\r\nnhưng phải chờ lâu.",
}


@pytest.fixture
def clerks(app: Flask, accounts: dict[str, str]) -> dict[str, str]:
    """A second admin-rank clerk besides the fixture's admin and reviewer."""
    with app.app_context():
        _db.session.add(User(organisation_id=1, username="clerk2", role="reviewer", active=True,
                             password_hash=generate_password_hash("clerk2-password-1", method=user_svc.HASH_METHOD)))
        _db.session.commit()
    return {**accounts, "clerk2": "clerk2-password-1"}


@pytest.fixture
def issue(app: Flask, points: dict[str, int]) -> Callable[..., list[str]]:
    """Issue `n` paper forms of a kind (for one point's code, or for any point of the kind); returns serials."""

    def _issue(kind: str = "onestop", n: int = 1, point: str | None = "mc-1") -> list[str]:
        with app.app_context():
            ward = _db.session.scalars(select(Organisation)).one()
            where = _db.session.scalars(select(ServicePoint).filter_by(code=point)).one() if point else None
            serials = [p.serial for p in paper_svc.issue(ward, kind, n, where)]
            _db.session.commit()
            return serials

    return _issue


def _as(app: Flask, username: str, password: str | None = None) -> FlaskClient:
    client = app.test_client()
    response = sign_in(client, username, password or PASSWORDS.get(username, "clerk2-password-1"))
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


def _enter(client: FlaskClient, serial: str, answers: dict[str, str], **extra: str) -> Any:
    page = client.get(f"/office/paper/{serial}")
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    today = datetime.now(TZ).date().isoformat()
    return client.post(f"/office/paper/{serial}", data={"csrf_token": csrf_of(html), "paper-day": today,
                                                        **answers, **extra})


def _count(model: Any) -> int:
    return _db.session.scalar(select(func.count()).select_from(model)) or 0


def _responses_in_indices(app: Flask) -> int:
    with app.app_context():
        period = parse_period(quarter_of(datetime.now(TZ).date()))
        return int(stats.indices_for(period, "onestop")[0]["responses"])


def test_two_agreeing_entries_store_one_paper_response(app: Flask, clerks: dict[str, str],
                                                       issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    first = _enter(_as(app, "admin"), serial, ONESTOP)
    assert first.status_code == 303
    with app.app_context():
        assert _count(Submission) == 0  # waiting for the second clerk: not a response, never counted
    assert _responses_in_indices(app) == 0
    home = _as(app, "reviewer").get("/office/paper").get_data(as_text=True)
    assert serial in home and "Chờ nhập lần hai" in home
    second = _enter(_as(app, "reviewer"), serial, ONESTOP)
    assert second.status_code == 303
    with app.app_context():
        response = _db.session.scalars(select(Submission)).one()
        assert (response.channel, response.verified, response.flagged) == ("paper", True, False)
        assert response.point.code == "mc-1"
        assert response.submitted_at.astimezone(TZ).date() == datetime.now(TZ).date()
        # The comment as typed, with line breaks as LF and runs of spaces as one.
        assert response.comment == "Cán bộ nhiệt tình,\nnhưng phải chờ lâu."
        stored = dict(_db.session.execute(
            select(Question.code, func.sum(Answer.value)).join(Answer, Answer.question_id == Question.id)
            .group_by(Question.code)).all())
        assert stored["access.seating"] == 5 and stored["procedure.fees_lawful"] == 0
        assert "procedure.time_lawful" not in stored and "apology" not in stored
        assert stored["visits"] == 2 and stored["expect"] == 1 + 4 and stored["occupation"] == 7
        assert _db.session.scalars(select(PaperSerial)).one().state == "stored"
        actions = [a for (a,) in _db.session.execute(select(AuditEvent.action).order_by(AuditEvent.id))
                   if a.startswith("paper.")]
        assert actions == ["paper.entered", "paper.entered"]
    assert _responses_in_indices(app) == 1


def test_one_mismatch_is_shown_side_by_side_and_resolved_by_a_reviewer(
        app: Flask, clerks: dict[str, str], issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    assert _enter(_as(app, "admin"), serial, ONESTOP).status_code == 303
    typo = {**ONESTOP, "staff__polite": "3"}  # the deliberate mismatch: the paper says 5
    mismatch = _enter(_as(app, "clerk2"), serial, typo)
    assert mismatch.status_code == 303
    with app.app_context():
        assert _count(Submission) == 0
        assert _db.session.scalars(select(PaperSerial)).one().state == "conflict"
    assert _responses_in_indices(app) == 0

    reviewer = _as(app, "reviewer")
    home = reviewer.get("/office/paper").get_data(as_text=True)
    assert f"/office/paper/{serial}/resolve" in home
    # Opening the serial from the entry box leads to the resolution, not to a third entry.
    assert reviewer.get(f"/office/paper?serial={serial}").headers["Location"].endswith(f"/paper/{serial}/resolve")
    page = reviewer.get(f"/office/paper/{serial}/resolve")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Công chức có thái độ lịch sự, nhã nhặn." in html
    assert "5 – Rất hài lòng" in html and "3 – Bình thường" in html
    assert html.count('type="radio"') == 2  # only the one difference is asked
    assert "admin" in html and "clerk2" in html

    missing = reviewer.post(f"/office/paper/{serial}/resolve", data={"csrf_token": csrf_of(html)})
    assert missing.status_code == 400
    assert "Hãy chọn lần nhập đúng" in missing.get_data(as_text=True)
    with app.app_context():
        assert _count(Submission) == 0

    done = reviewer.post(f"/office/paper/{serial}/resolve",
                         data={"csrf_token": csrf_of(html), "pick-staff__polite": "1"})
    assert done.status_code == 303
    with app.app_context():
        response = _db.session.scalars(select(Submission)).one()
        assert (response.channel, response.verified) == ("paper", True)
        polite = _db.session.scalar(
            select(Answer.value).join(Question, Question.id == Answer.question_id)
            .where(Question.code == "staff.polite"))
        assert polite == 5
        event = _db.session.scalars(select(AuditEvent).filter_by(action="paper.resolved")).one()
        assert (event.actor, event.target, event.detail) == ("reviewer", f"paper:{serial}", "staff.polite=round 1")
    assert _responses_in_indices(app) == 1
    # Stored once: neither a new entry nor a second resolution is possible.
    again = reviewer.get(f"/office/paper/{serial}/resolve")
    assert again.status_code == 409
    assert _as(app, "clerk2").get(f"/office/paper?serial={serial}").status_code == 409


def test_an_unissued_or_mistyped_serial_is_refused(app: Flask, clerks: dict[str, str],
                                                   issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    client = _as(app, "admin")
    never = paper_svc.format_serial(999)  # a well-formed serial the ward never printed
    refused = client.get(f"/office/paper?serial={never}")
    assert refused.status_code == 404
    assert "chưa được phát hành" in refused.get_data(as_text=True)
    assert client.get(f"/office/paper/{never}").status_code == 404
    assert client.post(f"/office/paper/{never}", data={"csrf_token": csrf_of(refused.get_data(as_text=True)),
                                                       **ONESTOP}).status_code == 404
    typo = serial[:-2] + serial[-1] + serial[-2] if serial[-1] != serial[-2] else serial[:-1] + "9"
    mistyped = client.get(f"/office/paper?serial={typo}")
    assert mistyped.status_code == 400
    assert "chữ số kiểm tra" in mistyped.get_data(as_text=True)
    assert client.get("/office/paper?serial=abc").status_code == 400
    # Scanned or typed with spaces and a dash, the serial opens its form.
    spaced = f"{serial[:3]} {serial[3:-1]}-{serial[-1]}"
    assert client.get("/office/paper", query_string={"serial": spaced}).headers["Location"].endswith(serial)
    with app.app_context():
        assert _count(PaperEntry) == 0


def test_the_same_clerk_cannot_enter_a_form_twice(app: Flask, clerks: dict[str, str],
                                                  issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    client = _as(app, "admin")
    assert _enter(client, serial, ONESTOP).status_code == 303
    again = client.get(f"/office/paper?serial={serial}")
    assert again.status_code == 409
    assert "phải do một cán bộ khác" in again.get_data(as_text=True)
    assert client.get(f"/office/paper/{serial}").status_code == 409
    token = csrf_of(client.get("/office/paper").get_data(as_text=True))
    posted = client.post(f"/office/paper/{serial}", data={"csrf_token": token, "paper-day": "2026-01-01", **ONESTOP})
    assert posted.status_code == 409
    with app.app_context():
        assert _count(PaperEntry) == 1 and _count(Submission) == 0
        # The database refuses it too, whatever a view might miss.
        paper = _db.session.scalars(select(PaperSerial)).one()
        admin = _db.session.scalars(select(User).filter_by(username="admin")).one()
        _db.session.add(PaperEntry(organisation_id=paper.organisation_id, paper_id=paper.id, round=2,
                                   user_id=admin.id, fields={}))
        with pytest.raises(IntegrityError):
            _db.session.flush()
        _db.session.rollback()


def test_wrong_keys_come_back_with_what_was_typed_and_nothing_is_kept(
        app: Flask, clerks: dict[str, str], issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    client = _as(app, "admin")
    bad = {**ONESTOP, "access__seating": "7", "visits": "9", "expect": "19", "comment": "xin\x00chào"}
    response = _enter(client, serial, bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Gõ 1–5" in html and "từ 1 đến 4" in html and "từ 1 đến 8" in html and "ký tự điều khiển" in html
    assert 'id="f-access__seating" name="access__seating" type="text" value="7"' in html
    assert 'aria-invalid="true"' in html
    early = _enter(client, serial, ONESTOP, **{"paper-day": "2020-01-01"})
    assert early.status_code == 400 and "từ ngày in phiếu" in early.get_data(as_text=True)
    with app.app_context():
        assert _count(PaperEntry) == 0 and _count(Submission) == 0


def test_a_viewer_may_not_enter_or_resolve(app: Flask, clerks: dict[str, str],
                                           issue: Callable[..., list[str]]) -> None:
    (serial,) = issue()
    viewer = _as(app, "viewer")
    assert viewer.get("/office/paper").status_code == 403
    assert viewer.get(f"/office/paper/{serial}").status_code == 403
    assert viewer.get(f"/office/paper/{serial}/resolve").status_code == 403
    assert "Phiếu giấy" not in viewer.get("/office/").get_data(as_text=True)
    assert "Phiếu giấy" in _as(app, "reviewer").get("/office/").get_data(as_text=True)


def test_single_entry_ward_counts_the_first_entry(app: Flask, clerks: dict[str, str],
                                                  issue: Callable[..., list[str]]) -> None:
    serial, waiting = issue(n=2)
    admin = _as(app, "admin")
    assert _enter(admin, waiting, ONESTOP).status_code == 303  # entered while double entry was still required
    reviewer = _as(app, "reviewer")
    token = csrf_of(reviewer.get("/office/paper").get_data(as_text=True))
    assert reviewer.post("/office/paper/settings", data={"csrf_token": token, "double_entry": "off"}).status_code == 403
    token = csrf_of(admin.get("/office/paper").get_data(as_text=True))
    assert admin.post("/office/paper/settings", data={"csrf_token": token, "double_entry": "off"}).status_code == 303
    assert _enter(reviewer, serial, ONESTOP).status_code == 303
    with app.app_context():
        response = _db.session.scalars(select(Submission)).one()
        assert (response.channel, response.verified) == ("paper", False)
        states = dict(_db.session.execute(select(PaperSerial.serial, PaperSerial.state)).all())
        assert states == {serial: "stored", waiting: "entered"}  # a waiting form keeps waiting for its second entry
        assert _db.session.scalars(select(AuditEvent).filter_by(action="paper.setting")).one().detail == \
            "double_entry=off"


def test_a_form_for_any_point_asks_which_point(app: Flask, clerks: dict[str, str],
                                               issue: Callable[..., list[str]]) -> None:
    (serial,) = issue(point=None)
    client = _as(app, "admin")
    html = client.get(f"/office/paper/{serial}").get_data(as_text=True)
    assert 'name="paper-point"' in html and "Quầy 2" in html
    missing = _enter(client, serial, ONESTOP)
    assert missing.status_code == 400 and "Hãy chọn nơi" in missing.get_data(as_text=True)
    with app.app_context():
        mc2 = _db.session.scalars(select(ServicePoint).filter_by(code="mc-2")).one().id
        health = _db.session.scalars(select(ServicePoint).filter_by(code="tram-y-te")).one().id
    assert _enter(client, serial, ONESTOP, **{"paper-point": str(health)}).status_code == 400
    assert _enter(client, serial, ONESTOP, **{"paper-point": str(mc2)}).status_code == 303
    assert _enter(_as(app, "reviewer"), serial, ONESTOP, **{"paper-point": str(mc2)}).status_code == 303
    with app.app_context():
        assert _db.session.scalars(select(Submission)).one().point_id == mc2


def test_health_form_number_and_many_options(app: Flask, clerks: dict[str, str],
                                             issue: Callable[..., list[str]]) -> None:
    (serial,) = issue("health", point="tram-y-te")
    with app.app_context():
        q = qsvc.definition(qsvc.latest_version("health"))
        answers = {s.code.replace(".", "__"): "4" for s in q.statements}
    answers.update({"overall": "5", "g1_expect_pct": "250"})
    client = _as(app, "admin")
    over = _enter(client, serial, answers)
    assert over.status_code == 400 and "từ 0 đến 200" in over.get_data(as_text=True)
    answers["g1_expect_pct"] = "095"
    assert _enter(client, serial, answers).status_code == 303
    assert _enter(_as(app, "reviewer"), serial, {**answers, "g1_expect_pct": "95"}).status_code == 303
    with app.app_context():
        value = _db.session.scalar(select(Answer.value).join(Question, Question.id == Answer.question_id)
                                   .where(Question.code == "g1_expect_pct"))
        assert value == 95


def test_many_options_are_typed_with_spaces(app: Flask, issue: Callable[..., list[str]]) -> None:
    """Past nine options a key is no longer one digit: several answers are then separated by spaces."""
    issue()
    choices = tuple(paper_svc.Choice(str(i), f"option {i}") for i in range(1, 13))
    many = paper_svc.PaperField(code="x", number=1, type="multi", text="x", choices=choices, maxlength=36)
    one = paper_svc.PaperField(code="y", number=2, type="choice", text="y", choices=choices, maxlength=2)
    with app.app_context():
        paper = _db.session.scalars(select(PaperSerial)).one()
        today = datetime.now(TZ).date()
        assert paper_svc._read_one(many, "12 3,1 3", paper, today) == "1,3,12"
        assert paper_svc._read_one(one, "11", paper, today) == "11"
        assert many.pattern is None and one.pattern is None
        for bad in ("13", "0", "1 x"):
            with pytest.raises(paper_svc.PaperError):
                paper_svc._read_one(many, bad, paper, today)


@pytest.fixture
def admin_client(app: Flask, clerks: dict[str, str]) -> FlaskClient:
    """One signed-in admin for every example of a property test (sign-in is rate limited)."""
    return _as(app, "admin")


@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_hostile_entries_never_fail_and_refusals_keep_nothing(
        app: Flask, admin_client: FlaskClient, issue: Callable[..., list[str]], data: Any) -> None:
    (serial,) = issue(point=None)
    client = admin_client
    html = client.get(f"/office/paper/{serial}").get_data(as_text=True)
    point = re.search(r'<option value="(\d+)"', html)
    assert point is not None
    names = sorted(set(ONESTOP) | {"paper-day", "paper-point", "csrf_token", "x"})
    values = st.one_of(st.sampled_from(["", "0", "5", "9", "12", "٣", "²", "1\x00", "-1", "2026-02-30",
                                        "31/12/2026", "9" * 40, "\r\n", "1,2", "007"]), st.text(max_size=30))
    # A valid entry with a few fields changed at random (file parts too), so both outcomes happen.
    fields: dict[str, Any] = {**ONESTOP, "csrf_token": csrf_of(html), "paper-point": point.group(1),
                              "paper-day": datetime.now(TZ).date().isoformat()}
    for name in data.draw(st.lists(st.sampled_from(names), max_size=4), label="changed"):
        fields[name] = data.draw(st.one_of(values, st.lists(values, max_size=3)), label=name)
    if data.draw(st.booleans(), label="file part"):
        fields[data.draw(st.sampled_from(names), label="file")] = (io.BytesIO(b"5"), "a.txt")
    with app.app_context():
        before = (_count(PaperEntry), _count(Submission))
    response = client.post(f"/office/paper/{serial}", data=fields)
    event(f"status {response.status_code}")
    assert response.status_code < 500, (fields, response.status_code)
    with app.app_context():
        after = (_count(PaperEntry), _count(Submission))
        if response.status_code >= 400:
            assert after == before
        for entry in _db.session.scalars(select(PaperEntry)):
            assert all(not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", v) for v in entry.fields.values())

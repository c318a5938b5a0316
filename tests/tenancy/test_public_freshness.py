"""The public page's figures of a ward are recomputed for that ward's own changes, not for another ward's.

Its freshness probe (services.publication.probe) reads the newest audit event of its own ward: a flag in ward A
makes A's figures stale and leaves B's current; an event of no ward (a sign-in with an unknown name) leaves both.
"""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, QuestionnaireVersion
from hailong.survey.services import publication, snapshots
from hailong.survey.services.snapshots import SnapshotCache
from tests.fixtures.office import sign_in, token
from tests.fixtures.pages import csrf_of
from tests.tenancy.conftest import ALL_PASSWORDS, Wards

#: The clock: a day of 2026-Q1, when the fixture's responses were given.
START = datetime(2026, 2, 20, 10, 0, tzinfo=TZ).timestamp()


class Clock:
    """Seconds since the epoch, moved only by the test."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _cache(app: Flask, clock: Clock) -> SnapshotCache:
    cache = snapshots.for_app("", app.config["SQLALCHEMY_DATABASE_URI"])
    cache.clock, cache.sleep = clock, clock.advance
    return cache


def _published(app: Flask, ids: Wards) -> None:
    with app.app_context():
        for ward in (ids.a, ids.b):
            publication.publish_all(ward, "test")
        _db.session.commit()


def test_a_flag_in_one_ward_recomputes_its_figures_only(app: Flask, two_wards: Wards) -> None:
    _published(app, two_wards)
    clock = Clock()
    cache = _cache(app, clock)
    with app.app_context():
        first = {ward: cache.get(ward) for ward in (two_wards.a, two_wards.b)}
        _db.session.commit()
    assert cache.computed == 2

    # Ward A's reviewer flags one of A's responses: an audit event of ward A.
    office = app.test_client()
    assert sign_in(office, "reviewer", ALL_PASSWORDS["reviewer"]).status_code == 303
    flagged = office.post(f"/office/responses/{two_wards.a_response}/flag",
                          data={"csrf_token": token(office), "reason": "trùng lặp"})
    assert flagged.status_code == 303
    with app.app_context():
        event = _db.session.query(AuditEvent).filter_by(action="response.flagged").one()
        assert event.organisation_id == two_wards.a

    clock.advance(61)
    with app.app_context():
        after = {ward: cache.get(ward) for ward in (two_wards.a, two_wards.b)}
        _db.session.commit()
    assert cache.computed == 3  # A's only
    assert after[two_wards.b].snapshot is first[two_wards.b].snapshot
    assert after[two_wards.b].marks.audit_event == first[two_wards.b].marks.audit_event
    assert after[two_wards.a].snapshot is not first[two_wards.a].snapshot
    assert after[two_wards.a].marks.audit_event == event.id


def test_events_of_no_ward_leave_every_page_current(app: Flask, two_wards: Wards) -> None:
    _published(app, two_wards)
    clock = Clock()
    cache = _cache(app, clock)
    with app.app_context():
        for ward in (two_wards.a, two_wards.b):
            cache.get(ward)
        _db.session.commit()
    # A sign-in with a name no account has: audited, under no ward.
    client = app.test_client()
    page = client.get("/office/login")
    client.post("/office/login", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                       "username": "khong-co-ai", "password": "sai-mat-khau-1"})
    with app.app_context():
        event = _db.session.query(AuditEvent).filter_by(action="login.failed").one()
        assert event.organisation_id is None
    clock.advance(61)
    with app.app_context():
        for ward in (two_wards.a, two_wards.b):
            cache.get(ward)
        _db.session.commit()
    assert cache.computed == 2


def test_a_new_questionnaire_version_makes_every_wards_figures_stale(app: Flask, two_wards: Wards) -> None:
    """Loaded by `hailong init` (no audit event, no ward): the probe reads the newest version's id too."""
    now = datetime.fromtimestamp(START, TZ)
    with app.app_context():
        conn = _db.session.connection()
        before = {ward: publication.probe(conn, ward, None, now) for ward in (two_wards.a, two_wards.b)}
        _db.session.add(QuestionnaireVersion(kind="onestop", version=99, checksum="0" * 32))
        _db.session.flush()
        conn = _db.session.connection()
        for ward, marks in before.items():
            assert not marks.covers(publication.probe(conn, ward, marks, now))
        _db.session.rollback()

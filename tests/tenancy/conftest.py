"""Two wards in one database, A (An Tường) and B (Minh Xuân), each with points, responses with comments, PAKN
items, paper serials and accounts; B's texts carry markers that must never show on a page of A."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import JobKind, JobStatus, Organisation, PaknChannel, ReportJob, ServicePoint, User
from hailong.survey.services import kiosk as kiosk_svc
from hailong.survey.services import officers as officer_svc
from hailong.survey.services import pakn as pakn_svc
from hailong.survey.services import paper as paper_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from hailong.survey.services import users as user_svc
from hailong.survey.services import wards as ward_svc
from tests.fixtures.office import PASSWORDS, Q1_DAY

#: Texts of ward B: none may appear on any page or file ward A's accounts get.
B_NAME = "Phường Minh Xuân"
B_POINT_NAME = "Quầy Bí Mật Minh Xuân"
B_COMMENT = "Ý kiến riêng của phường Minh Xuân 7731"
B_PAKN = "Phản ánh riêng của phường Minh Xuân 8842"
B_USER = "minhxuan-admin"
B_DESK = "Quầy Riêng Minh Xuân"
B_OFFICER = "Cán Bộ Riêng Minh Xuân"
B_TABLET = "Máy Riêng Minh Xuân"
B_MARKERS = (B_NAME, B_POINT_NAME, B_COMMENT, B_PAKN, B_USER, "mx-rieng", "minh-xuan", B_DESK, B_OFFICER, B_TABLET)

#: Every account's password (ward A's from tests.fixtures.office, B's and the province's here).
ALL_PASSWORDS = {**PASSWORDS, B_USER: "minhxuan-password-1", "so-noi-vu": "province-password-1"}


@dataclass
class Wards:
    """Ids of both wards' rows, by what they are."""

    a: int = 0
    b: int = 0
    a_points: dict[str, int] = field(default_factory=dict)
    b_points: dict[str, int] = field(default_factory=dict)
    a_response: int = 0
    b_response: int = 0
    a_item: int = 0
    b_item: int = 0
    b_user: int = 0
    a_user: int = 0
    b_serial: str = ""
    b_desk: int = 0
    b_entry: int = 0
    b_device: int = 0
    #: A finished job of ward B (a ward's own job) whose file names B: ward A's accounts get 404 for both.
    b_job: int = 0


def _respond(point: ServicePoint, day_offset: int, comment: str | None, value: int) -> int:
    version = qsvc.latest_version(point.kind)
    q = qsvc.definition(version)
    answers = {s.code: value for s in q.statements}
    when = datetime.combine(Q1_DAY.date(), time(9 + day_offset % 8), tzinfo=TZ)
    [rid] = response_svc.write_many([response_svc.Draft(point=point, version=version, answers=answers,
                                                        submitted_at=when, comment=comment)])
    return rid


@pytest.fixture
def two_wards(app: Flask) -> Wards:
    """Ward A with the demo points, ward B with its own points (one called mc-1 like A's), data in both."""
    hashes = {name: generate_password_hash(pw, method=user_svc.HASH_METHOD) for name, pw in ALL_PASSWORDS.items()}
    ids = Wards()
    with app.app_context():
        a = _db.session.query(Organisation).filter_by(code="an-tuong").one()
        a_points = point_svc.ensure_demo_points(a)
        b = ward_svc.add("minh-xuan", B_NAME, "Tuyên Quang")
        b_points = [point_svc.create(b, "mc-1", "Quầy một cửa số 1 Minh Xuân", "onestop", "motcua"),
                    point_svc.create(b, "mx-rieng", B_POINT_NAME, "onestop", "mx-rieng"),
                    point_svc.create(b, "tram-mx", "Trạm Y tế Minh Xuân", "health", "tram-mx")]
        ids.a, ids.b = a.id, b.id
        ids.a_points = {p.code: p.id for p in a_points}
        ids.b_points = {p.code: p.id for p in b_points}
        for i in range(3):
            ids.a_response = _respond(a_points[0], i, "Ý kiến của An Tường", 4)
            ids.b_response = _respond(b_points[1], i, B_COMMENT, 2)
        received = datetime(2026, 2, 11, 8, 0, tzinfo=TZ)
        item_a, _code = pakn_svc.register(pakn_svc.Intake(
            ward=a, category="khac", text="Phản ánh của An Tường", channel=PaknChannel.PHONE.value,
            received_at=received, point=a_points[0], actor="test"))
        item_b, _code = pakn_svc.register(pakn_svc.Intake(
            ward=b, category="khac", text=B_PAKN, channel=PaknChannel.PHONE.value,
            received_at=received, point=b_points[1], actor="test"))
        ids.a_item, ids.b_item = item_a.id, item_b.id
        # Only B prints forms: its serials exist in no other ward.
        papers = paper_svc.issue(b, "onestop", 3, b_points[1])
        ids.b_serial = papers[0].serial
        # B's desk with an officer on its roster, and a tablet paired with it.
        desk = officer_svc.create_desk(b, "test", b_points[1], "quay-mx", B_DESK)
        entry = officer_svc.add_duty(b, "test", desk, officer_svc.Duty(B_OFFICER, "Chuyên viên", date(2026, 1, 1),
                                                                       date(2026, 12, 31)))
        _pairing, pairing_code = kiosk_svc.create_pairing(b, "test", b_points[1], desk, B_TABLET)
        device, _cookie = kiosk_svc.redeem(pairing_code)
        _db.session.flush()
        ids.b_desk, ids.b_entry, ids.b_device = desk.id, entry.id, device.id
        for name, unit in (("admin", None), ("reviewer", None), ("viewer", "th-an-tuong")):
            _db.session.add(User(organisation_id=a.id, username=name, password_hash=hashes[name], role=name,
                                 unit=unit, active=True))
        b_user = User(organisation_id=b.id, username=B_USER, password_hash=hashes[B_USER], role="admin",
                      active=True)
        _db.session.add(b_user)
        _db.session.add(User(organisation_id=None, province="Tuyên Quang", username="so-noi-vu",
                             password_hash=hashes["so-noi-vu"], role="province", active=True))
        _db.session.flush()
        ids.b_user = b_user.id
        job = ReportJob(organisation_id=b.id, province="Tuyên Quang", requested_by=b_user.id,
                        kind=JobKind.WARD_REPORT_PDF.value, period="2026-Q1@report", status=JobStatus.DONE.value,
                        progress_done=2, progress_total=2, file_path="jobs/1-bao-cao-minh-xuan.pdf")
        _db.session.add(job)
        _db.session.flush()
        ids.b_job = job.id
        ids.a_user = _db.session.query(User).filter_by(username="admin").one().id
        _db.session.commit()
    return ids


#: URL parameters that name a row of one ward: filled with ward B's, they must give 404 to ward A's accounts.
ID_PARAMS = {"point_id", "response_id", "item_id", "user_id", "desk_id", "entry_id", "device_id", "job_id"}
#: Routes whose <code> is a paper form's serial (an id of one ward); other <code>s are element codes.
SERIAL_ROUTES = {"office.paper_entry", "office.paper_entry_save", "office.paper_resolve", "office.paper_resolve_save"}
#: Routes that need no sign-in or end it: walked elsewhere (tests/office).
SKIP = {"office.login", "office.logout"}


def _office_rules(app: Flask) -> list[Rule]:
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("office.") and r.endpoint not in SKIP]
    assert len(rules) > 40  # the walk sees the whole office, not a handful of routes
    return rules


def _value(rule: Rule, name: str, ids: Wards) -> Any:
    """Ward B's value for a URL parameter, by what the parameter names."""
    values: dict[str, Any] = {
        "point_id": ids.b_points["mx-rieng"], "response_id": ids.b_response, "item_id": ids.b_item,
        "user_id": ids.b_user, "ward_code": "minh-xuan",
        "desk_id": ids.b_desk, "entry_id": ids.b_entry, "device_id": ids.b_device, "job_id": ids.b_job,
        "action": {"office.pakn_action": "accept", "office.user_action": "deactivate"}.get(rule.endpoint, "x"),
        "part": "unit", "fmt": "png",
        "code": ids.b_serial if rule.endpoint in SERIAL_ROUTES else "access",
    }
    if name not in values:
        pytest.fail(f"{rule.endpoint}: URL parameter <{name}> is new; say here which ward-B value fills it")
    return values[name]


def office_requests(app: Flask, ids: Wards) -> Iterator[tuple[Rule, str, str, bool]]:
    """(rule, method, url, takes an id of ward B) for every office route and method, filled with ward B's ids."""
    with app.test_request_context():
        for rule in _office_rules(app):
            args = {name: _value(rule, name, ids) for name in rule.arguments}
            by_id = bool(set(rule.arguments) & ID_PARAMS) or rule.endpoint in SERIAL_ROUTES
            url = app.url_for(rule.endpoint, **args)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                yield rule, method, url, by_id
                if method == "GET" and not rule.arguments:
                    # Ids in the query string too (comments and drill-downs take ?point=).
                    yield rule, method, f"{url}?point={ids.b_points['mx-rieng']}", True


#: A Redis database of its own for the background-job tests; each test's keys are removed afterwards.
QUEUE_REDIS_URL = "redis://127.0.0.1:6379/13"


@pytest.fixture
def queue(app: Flask, tmp_path: Path) -> Iterator[str]:
    """A queue of this test's own on the real Redis; its keys (all carry its name) are deleted at the end."""
    from redis import Redis

    name = f"test-{uuid.uuid4().hex[:12]}"
    app.config.update(HAILONG_QUEUE_URL=QUEUE_REDIS_URL, HAILONG_QUEUE_NAME=name,
                      HAILONG_INSTANCE_PATH=tmp_path / "instance")
    yield name
    with Redis.from_url(QUEUE_REDIS_URL) as conn:
        # Only this test's keys: others may share the database (RQ's sets are shared, so only our members go).
        mine = [key for key in conn.scan_iter(f"*{name}*")]
        for key in conn.scan_iter("rq:worker:*"):
            if conn.type(key) == b"hash" and name.encode() in (conn.hget(key, "queues") or b""):
                mine.append(key)
                conn.srem("rq:workers", key)
        conn.srem("rq:queues", f"rq:queue:{name}")
        if mine:
            conn.delete(*mine)


def download(client: FlaskClient, url: str) -> tuple[int, str, bytes]:
    """GET a file (streamed from disk) and close it: status, type, bytes."""
    response = client.get(url)
    try:
        return response.status_code, response.mimetype or "", response.get_data()
    finally:
        response.close()


def job_row(app: Flask, job_id: int) -> ReportJob:
    """A report job's row as stored now, detached (read its columns after the app context ends)."""
    with app.app_context():
        job = _db.session.get(ReportJob, job_id)
        assert job is not None
        _db.session.expunge(job)
        return job

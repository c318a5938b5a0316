"""Every office route, discovered from the app's URL map, walked as ward A's accounts with ward B's ids.

A route taking an id answers 404 for another ward's (as for an id that does not exist: nothing tells them apart);
a page without ids may answer 200 but never shows ward B's names, codes or texts; nothing of ward B changes. A new
office route is walked as soon as it exists; a new kind of URL parameter fails the test until it is taught here.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from hailong.survey.extensions import db as _db
from hailong.survey.models import (
    Desk,
    KioskDevice,
    PaknItem,
    PaperSerial,
    RosterEntry,
    ServicePoint,
    Submission,
    User,
)
from tests.fixtures.office import sign_in, token
from tests.tenancy.conftest import ALL_PASSWORDS, B_MARKERS, Wards, office_requests


def _b_state(app: Flask, ids: Wards) -> tuple[Any, ...]:
    """What ward A's requests must not change in ward B."""
    with app.app_context():
        point = _db.session.get(ServicePoint, ids.b_points["mx-rieng"])
        response = _db.session.get(Submission, ids.b_response)
        item = _db.session.get(PaknItem, ids.b_item)
        user = _db.session.get(User, ids.b_user)
        papers = _db.session.query(PaperSerial).filter_by(organisation_id=ids.b).order_by(PaperSerial.id).all()
        desk = _db.session.get(Desk, ids.b_desk)
        entry = _db.session.get(RosterEntry, ids.b_entry)
        device = _db.session.get(KioskDevice, ids.b_device)
        assert point and response and item and user and desk and entry and device
        return (point.name, point.code, point.active, response.flagged, response.comment_handled, item.status,
                item.assigned_unit, user.active, user.role, user.session_version, [p.state for p in papers],
                desk.name, desk.active, entry.officer_name, entry.start_day, entry.end_day, device.revoked_at)


def _roles(app: Flask, rule: Rule) -> tuple[str, ...]:
    return tuple(getattr(app.view_functions[rule.endpoint], "roles", ()))


@pytest.mark.parametrize("username", ["admin", "reviewer", "viewer"])
def test_ward_a_never_sees_or_changes_ward_b(app: Flask, client: FlaskClient, two_wards: Wards,
                                              username: str) -> None:
    before = _b_state(app, two_wards)
    assert sign_in(client, username, ALL_PASSWORDS[username]).status_code == 303
    csrf = token(client)
    form = {"csrf_token": csrf, "name": "Đổi tên", "active": "0", "reason": "thử", "note": "thử",
            "action": "handle", "unit": "motcua", "role": "admin", "code": "mc-9", "kind": "onestop"}
    walked = 0
    for rule, method, url, by_id in office_requests(app, two_wards):
        response = client.get(url) if method == "GET" else client.post(url, data=form)
        walked += 1
        # PDFs and images compress their text: the markers are looked for in pages, CSV and JSON.
        body = response.get_data().decode("utf-8", errors="replace")
        where = f"{username} {method} {url} -> {response.status_code}"
        assert response.status_code != 500, where
        allowed = username in _roles(app, rule)
        if by_id and allowed and "?" not in url:
            assert response.status_code == 404, where
        if response.status_code < 400:
            for marker in B_MARKERS:
                assert marker not in body, f"{where}: shows ward B's {marker!r}"
        if response.status_code in (302, 303) and "/login" in response.headers.get("Location", ""):
            pytest.fail(f"{where}: the walk was signed out")
    assert walked > 60
    assert _b_state(app, two_wards) == before


def test_the_walk_can_fail(app: Flask, client: FlaskClient, two_wards: Wards) -> None:
    """Ward B's own admin sees B's markers on the same pages: the markers are really there to be found."""
    assert sign_in(client, "minhxuan-admin", ALL_PASSWORDS["minhxuan-admin"]).status_code == 303
    seen = client.get("/office/comments?period=2026-Q1").get_data(as_text=True)
    assert "Ý kiến riêng của phường Minh Xuân 7731" in seen
    assert client.get(f"/office/pakn/{two_wards.b_item}").status_code == 200
    assert client.get(f"/office/pakn/{two_wards.a_item}").status_code == 404


def test_ward_a_lists_only_its_own(app: Flask, client: FlaskClient, two_wards: Wards) -> None:
    assert sign_in(client, "admin", ALL_PASSWORDS["admin"]).status_code == 303
    points = client.get("/office/points").get_data(as_text=True)
    assert "Trạm Y tế phường An Tường" in points and "Quầy một cửa số 1 Minh Xuân" not in points
    users = client.get("/office/users").get_data(as_text=True)
    assert "reviewer" in users and "minhxuan-admin" not in users
    export = client.get("/office/export?what=responses&format=csv&period=2026-Q1").get_data(as_text=True)
    assert "Ý kiến của An Tường" in export and "7731" not in export and "mx-rieng" not in export
    audit = client.get("/office/audit").get_data(as_text=True)
    assert "minhxuan-admin" not in audit

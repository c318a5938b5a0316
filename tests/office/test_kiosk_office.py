"""The office's kiosk, desk and officer pages: admins only (404 for everyone else), pairing shown once and
revocation, the roster edited and audited, results per officer and desk suppressed below 30."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, Desk, RosterEntry, ServicePoint
from hailong.survey.services import officers as officer_svc
from hailong.survey.transaction import boundary
from tests.fixtures.kiosk import add_desk, pair, ward
from tests.fixtures.office import token

PAGES = ("/office/can-bo", "/office/kiosk", "/office/quay", "/office/quay/ap-phich.pdf")


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(_db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _ratings(app: Flask, desk_id: int, counts: dict[str, int], flagged: bool = False) -> None:
    with app.app_context(), boundary():
        desk = _db.session.get(Desk, desk_id)
        for level, n in counts.items():
            for i in range(n):
                officer_svc.rate(desk.point, desk, officer_svc.parse_rating(level, [], None),
                                 f"{desk_id}-{level}-{i}-{flagged}", "kiosk",
                                 flag_reasons=["test"] if flagged else (), now=datetime.now(UTC))


@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_only_admins_see_these_pages_others_get_404(login: Any, role: str, app: Flask, points: Any) -> None:
    add_desk(app)
    client = login(role)
    for url in PAGES:
        assert client.get(url).status_code == 404, url
    assert client.post("/office/kiosk/ghep", data={"csrf_token": token(client)}).status_code == 404
    assert "/office/can-bo" not in client.get("/office/").get_data(as_text=True)


def test_signed_out_is_sent_to_sign_in(client: Any, points: Any) -> None:
    assert client.get("/office/can-bo").status_code in (302, 303)


def test_results_per_officer_and_desk_with_suppression(login: Any, app: Flask, points: Any) -> None:
    lan = add_desk(app, code="quay-1", officer="Nguyễn Thị Lan")
    binh = add_desk(app, code="quay-2", officer="Trần Văn Bình")
    _ratings(app, lan, {"very_satisfied": 20, "satisfied": 7, "unsatisfied": 3})
    _ratings(app, lan, {"unsatisfied": 10}, flagged=True)  # flagged: left out
    _ratings(app, binh, {"satisfied": 29})
    html = login("admin").get("/office/can-bo").get_data(as_text=True)
    officers = html.split('id="officers"')[1].split("</table>")[0]
    lan_row = officers.split("Nguyễn Thị Lan")[1].split("</tr>")[0]
    assert ">30<" in lan_row and "90,0%" in lan_row and "74,4–96,5" in lan_row and "10,0%" in lan_row
    binh_row = officers.split("Trần Văn Bình")[1].split("</tr>")[0]
    assert ">29<" in binh_row and "chưa đủ 30 lượt đánh giá" in binh_row and "%" not in binh_row
    desks = html.split('id="desks"')[1].split("</table>")[0]
    assert "Quầy quay-1" in desks and "90,0%" in desks


def test_officer_ratings_never_reach_public_pages_or_exports(login: Any, app: Flask, points: Any) -> None:
    desk_id = add_desk(app, officer="Nguyễn Thị Lan")
    _ratings(app, desk_id, {"satisfied": 40})
    client = login("admin")
    assert "Nguyễn Thị Lan" in client.get("/office/can-bo").get_data(as_text=True)
    for url in ("/cong-khai", "/cong-khai/du-lieu.json", "/cong-khai/du-lieu.csv", "/export?period=2026",
                "/export?period=2026&what=indices", "/export?period=2026&format=xlsx"):
        url = url if url.startswith("/cong-khai") else "/office" + url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert "Nguyễn Thị Lan".encode() not in answer.data and b"quay-1" not in answer.data, url


def test_pairing_is_shown_once_and_a_device_is_revoked(login: Any, app: Flask, points: Any) -> None:
    admin = login("admin")
    with app.app_context():
        point_id = _db.session.scalars(select(ServicePoint.id).filter_by(code="mc-1")).one()
    refused = admin.post("/office/kiosk/ghep", data={"csrf_token": token(admin, "/office/kiosk"),
                                                     "target": f"p:{point_id}", "name": " "})
    assert refused.status_code == 400 and "Tên máy" in refused.get_data(as_text=True)
    assert admin.post("/office/kiosk/ghep", data={"csrf_token": token(admin, "/office/kiosk"), "target": "p:x",
                                                  "name": "Máy"}).status_code == 400
    shown = admin.post("/office/kiosk/ghep", data={"csrf_token": token(admin, "/office/kiosk"),
                                                   "target": f"p:{point_id}", "name": "Máy quầy 1"})
    found = re.search(r'id="pairing-code">(\d{3}) (\d{3})<', shown.get_data(as_text=True))
    assert shown.status_code == 200 and found
    assert "pairing-code" not in admin.get("/office/kiosk").get_data(as_text=True)  # shown once
    tablet = app.test_client()
    assert pair(tablet, found[1] + " " + found[2]).status_code == 303
    listing = admin.get("/office/kiosk").get_data(as_text=True)
    device_id = re.search(r'id="device-(\d+)"', listing)[1]
    assert "Máy quầy 1" in listing
    revoked = admin.post(f"/office/kiosk/may/{device_id}/thu-hoi", data={"csrf_token": token(admin, "/office/kiosk")})
    assert revoked.status_code == 303 and tablet.get("/kiosk").status_code == 403
    assert _actions(app)[-3:] == ["kiosk.pairing", "kiosk.paired", "kiosk.revoked"]
    assert admin.post("/office/kiosk/may/999/thu-hoi", data={"csrf_token": token(admin, "/office/kiosk")}
                      ).status_code == 404


def test_desks_and_the_roster_are_edited_and_audited(login: Any, app: Flask, points: Any) -> None:
    admin = login("admin")
    with app.app_context():
        point_id = _db.session.scalars(select(ServicePoint.id).filter_by(code="mc-1")).one()
    bad = admin.post("/office/quay", data={"csrf_token": token(admin, "/office/quay"), "point": str(point_id),
                                           "code": "Quầy 1", "name": "Quầy 1"})
    assert bad.status_code == 400 and "Mã quầy" in bad.get_data(as_text=True)
    assert admin.post("/office/quay", data={"csrf_token": token(admin, "/office/quay"), "point": str(point_id),
                                            "code": "quay-1", "name": "Quầy 1"}).status_code == 303
    with app.app_context():
        desk_id = _db.session.scalars(select(Desk.id)).one()
    duty = {"officer_name": "Nguyễn Thị Lan", "officer_title": "Chuyên viên", "start_day": "2026-01-01",
            "end_day": "2026-12-31"}
    wrong = admin.post(f"/office/quay/{desk_id}/phan-cong", data={"csrf_token": token(admin, "/office/quay"),
                                                                 **duty, "end_day": "2025-12-31"})
    assert wrong.status_code == 400 and "Ngày kết thúc" in wrong.get_data(as_text=True)
    assert admin.post(f"/office/quay/{desk_id}/phan-cong",
                      data={"csrf_token": token(admin, "/office/quay"), **duty}).status_code == 303
    with app.app_context():
        entry_id = _db.session.scalars(select(RosterEntry.id)).one()
    assert admin.post(f"/office/phan-cong/{entry_id}", data={"csrf_token": token(admin, "/office/quay"), **duty,
                                                             "officer_name": "Trần Văn Bình"}).status_code == 303
    with app.app_context():
        assert _db.session.get(RosterEntry, entry_id).officer_name == "Trần Văn Bình"
    page = admin.get("/office/quay").get_data(as_text=True)
    assert "Trần Văn Bình" in page and "/s/mc-1/quay/quay-1" in page
    pdf = admin.get("/office/quay/ap-phich.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert admin.post(f"/office/phan-cong/{entry_id}", data={"csrf_token": token(admin, "/office/quay"),
                                                             "action": "delete"}).status_code == 303
    with app.app_context():
        assert _db.session.scalars(select(RosterEntry)).all() == []
        changed = _db.session.scalars(select(AuditEvent).filter_by(action="roster.changed")).one()
        assert "Nguyễn Thị Lan" in changed.detail and "Trần Văn Bình" in changed.detail
    assert [a for a in _actions(app) if a.startswith(("desk.", "roster."))] == [
        "desk.created", "roster.added", "roster.changed", "roster.removed"]
    assert ward  # the fixtures' ward helper is the one the services use

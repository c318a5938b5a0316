"""Service points for admins: create, rename, deactivate, rotate the code, QR codes and posters; all audited."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, ServicePoint
from tests.fixtures.office import token


def _actions(app: Flask) -> list[str]:
    with app.app_context():
        return [e.action for e in _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]


def _point(app: Flask, point_id: int) -> ServicePoint:
    with app.app_context():
        point = _db.session.get(ServicePoint, point_id)
        assert point is not None
        _db.session.expunge(point)
        return point


def test_points_page_lists_points_with_urls_and_qr_links(login: Any, points: dict[str, int]) -> None:
    html = login("admin").get("/office/points").get_data(as_text=True)
    assert "Trạm Y tế phường An Tường" in html
    assert "https://hailong.example/s/mc-1" in html
    assert f'/office/points/{points["mc-1"]}/qr.svg' in html
    assert "/office/points/posters.pdf" in html
    assert '<label for="p-code">' in html and '<label for="p-name">' in html


def test_create_point(login: Any, app: Flask) -> None:
    client = login("admin")
    response = client.post("/office/points", data={
        "csrf_token": token(client, "/office/points"), "code": "mc-4", "name": "Quầy 4 (Kinh doanh)",
        "kind": "onestop", "unit": ""})
    assert response.status_code == 303
    html = client.get("/office/points").get_data(as_text=True)
    assert "Đã tạo điểm khảo sát “Quầy 4 (Kinh doanh)” (mã mc-4)." in html
    assert client.get("/s/mc-4").status_code == 200
    assert _actions(app)[-1] == "point.created"


def test_create_point_refuses_bad_input_with_a_message(login: Any, app: Flask) -> None:
    client = login("admin")
    csrf = token(client, "/office/points")
    cases = [
        ({"code": "Mã Sai", "name": "x", "kind": "onestop"}, "Mã điểm chỉ gồm chữ thường"),
        ({"code": "mc-1", "name": "Trùng", "kind": "onestop"}, "Mã điểm “mc-1” đã được dùng."),
        ({"code": "mc-5", "name": "", "kind": "onestop"}, "Tên điểm không được để trống"),
        ({"code": "mc-5", "name": "x", "kind": "bank"}, "Loại điểm không hợp lệ."),
        ({"code": "mc-5", "name": "x", "kind": "onestop", "unit": "Đơn Vị"}, "Mã đơn vị chỉ gồm"),
    ]
    for data, message in cases:
        response = client.post("/office/points", data={"csrf_token": csrf, **data})
        assert response.status_code == 400, data
        html = response.get_data(as_text=True)
        assert message in html, data
        assert f'value="{data["name"]}"' in html  # what was typed is kept
    assert "point.created" not in _actions(app)


def test_rename_and_deactivate_and_reactivate(login: Any, app: Flask, points: dict[str, int]) -> None:
    client = login("admin")
    pid = points["mc-2"]
    client.post(f"/office/points/{pid}/rename", data={"csrf_token": token(client), "name": "Quầy 2 mới"})
    assert _point(app, pid).name == "Quầy 2 mới"
    assert client.post(f"/office/points/{pid}/rename", data={"csrf_token": token(client), "name": " "}
                       ).status_code == 400
    client.post(f"/office/points/{pid}/active", data={"csrf_token": token(client), "active": "0"})
    assert not _point(app, pid).active
    assert client.get("/s/mc-2").status_code == 404  # the QR code no longer opens the form
    assert "Đã ngừng" in client.get("/office/points").get_data(as_text=True)
    client.post(f"/office/points/{pid}/active", data={"csrf_token": token(client), "active": "1"})
    assert _point(app, pid).active
    assert client.post(f"/office/points/{pid}/active", data={"csrf_token": token(client), "active": "x"}
                       ).status_code == 400
    assert _actions(app)[-3:] == ["point.renamed", "point.deactivated", "point.activated"]


def test_rotate_code_retires_the_old_qr(login: Any, app: Flask, points: dict[str, int]) -> None:
    client = login("admin")
    pid = points["mc-3"]
    response = client.post(f"/office/points/{pid}/rotate", data={"csrf_token": token(client)})
    assert response.status_code == 303
    new_code = _point(app, pid).code
    assert new_code != "mc-3" and new_code.startswith("mc-3-")
    assert client.get("/s/mc-3").status_code == 410  # a clear page for citizens with the old poster
    assert client.get(f"/s/{new_code}").status_code == 200
    assert f"sang {new_code}" in client.get("/office/points").get_data(as_text=True)
    assert _actions(app)[-1] == "point.rotated"


def test_qr_downloads(login: Any, points: dict[str, int]) -> None:
    client = login("admin")
    svg = client.get(f"/office/points/{points['mc-1']}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert 'filename="qr-mc-1.svg"' in svg.headers["Content-Disposition"]
    png = client.get(f"/office/points/{points['mc-1']}/qr.png")
    assert png.mimetype == "image/png" and png.data.startswith(b"\x89PNG")
    assert client.get(f"/office/points/{points['mc-1']}/qr.gif").status_code == 404
    assert client.get("/office/points/9999/qr.svg").status_code == 404


def test_posters_pdf(login: Any, app: Flask) -> None:
    response = login("admin").get("/office/points/posters.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert len(PdfReader(io.BytesIO(response.data)).pages) == 7
    assert _actions(app)[-1] == "posters.pdf"

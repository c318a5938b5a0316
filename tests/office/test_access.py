"""Roles on the server: a viewer sees only the points of their unit; reviewers read and export; admins manage."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from tests.fixtures.office import token

Q1 = "period=2026-Q1"


@pytest.fixture
def filled(add_responses: Callable[..., list[int]]) -> None:
    add_responses("th-an-tuong", 31, 5, comment="Cô giáo rất tận tình")
    add_responses("thcs-an-tuong", 31, 2, comment="Trường THCS cần sửa mái")
    add_responses("mc-1", 31, 4, comment="Quầy một cửa nhanh")


def test_viewer_dashboard_is_limited_to_their_unit(login: Any, filled: None) -> None:
    html = login("viewer").get(f"/office/?{Q1}").get_data(as_text=True)
    assert "Giáo dục" in html
    assert "Chỉ gồm các điểm khảo sát thuộc đơn vị th-an-tuong." in html
    assert 'id="overall-index">100,00%<' in html  # the other school's answers (all 2) are not counted
    assert "Trường Tiểu học An Tường" in html
    assert "Trường THCS An Tường" not in html
    assert 'value="onestop"' not in html  # only kinds the viewer has points of are offered


def test_viewer_asking_for_another_kind_is_403(login: Any) -> None:
    response = login("viewer").get(f"/office/?{Q1}&kind=onestop")
    assert response.status_code == 403
    assert "thuộc đơn vị của mình" in response.get_data(as_text=True)


def test_viewer_asking_for_another_units_point_is_403(login: Any, points: dict[str, int]) -> None:
    client = login("viewer")
    assert client.get(f"/office/point/{points['th-an-tuong']}?{Q1}").status_code == 200
    for other in ("thcs-an-tuong", "mc-1", "tram-y-te"):
        response = client.get(f"/office/point/{points[other]}?{Q1}")
        assert response.status_code == 403, other
        assert "Ông/Bà chỉ xem được các điểm khảo sát thuộc đơn vị của mình." in response.get_data(as_text=True)
    assert client.get(f"/office/element/staff?{Q1}&kind=education&point={points['thcs-an-tuong']}").status_code == 403
    assert client.get(f"/office/comments?{Q1}&point={points['mc-1']}").status_code == 403


def test_missing_point_is_404(login: Any) -> None:
    assert login("admin").get("/office/point/9999").status_code == 404


def test_viewer_reads_only_their_units_comments(login: Any, filled: None) -> None:
    html = login("viewer").get(f"/office/comments?{Q1}").get_data(as_text=True)
    assert "Cô giáo rất tận tình" in html
    assert "Trường THCS cần sửa mái" not in html
    assert "Quầy một cửa nhanh" not in html
    assert "Gắn cờ phiếu" not in html  # viewers read; they do not change


def test_viewer_export_holds_only_their_points(login: Any, filled: None) -> None:
    client = login("viewer")
    response = client.get(f"/office/export?what=responses&format=csv&{Q1}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(rows) == 31
    assert {r["point"] for r in rows} == {"th-an-tuong"}
    indices = client.get(f"/office/export?what=indices&format=csv&{Q1}").get_data(as_text=True)
    assert ",th-an-tuong," in indices and "thcs-an-tuong" not in indices


@pytest.mark.parametrize("url", ["/office/points", "/office/users", "/office/audit", "/office/points/posters.pdf"])
@pytest.mark.parametrize("role", ["viewer", "reviewer"])
def test_admin_pages_are_403_for_others(login: Any, role: str, url: str) -> None:
    response = login(role).get(url)
    assert response.status_code == 403
    assert "không có quyền" in response.get_data(as_text=True)


def test_viewer_cannot_handle_or_flag(login: Any, add_responses: Callable[..., list[int]]) -> None:
    (rid,) = add_responses("th-an-tuong", 1, 3, comment="ý kiến")
    client = login("viewer")
    csrf = token(client)
    assert client.post(f"/office/comments/{rid}/handled", data={"csrf_token": csrf, "note": "x"}).status_code == 403
    assert client.post(f"/office/responses/{rid}/flag", data={"csrf_token": csrf, "reason": "x"}).status_code == 403


def test_reviewer_cannot_change_points(login: Any, points: dict[str, int]) -> None:
    client = login("reviewer")
    csrf = token(client)
    response = client.post("/office/points", data={"csrf_token": csrf, "code": "mc-9", "name": "Quầy 9",
                                                   "kind": "onestop"})
    assert response.status_code == 403
    assert client.post(f"/office/points/{points['mc-1']}/rotate", data={"csrf_token": csrf}).status_code == 403


def test_nav_shows_only_what_the_role_may_use(login: Any) -> None:
    html = login("reviewer").get("/office/").get_data(as_text=True)
    assert 'href="/office/comments"' in html and 'href="/office/exports"' in html
    assert 'href="/office/points"' not in html and 'href="/office/audit"' not in html

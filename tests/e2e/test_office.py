"""The office in Chromium: admin and viewer sign in, read, drill down, export; the admin manages points; axe-core."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ, recent_quarters
from hailong.forms.questionnaire import KINDS
from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, User
from hailong.survey.services import demo as demo_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import users as user_svc

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORDS = {"admin": "admin-password-1", "viewer": "viewer-password-1"}
ROMAN = {"1": "I", "2": "II", "3": "III", "4": "IV"}


def _previous_quarter() -> tuple[str, str]:
    """The last complete quarter (label, Vietnamese option text): always among the dashboard's choices."""
    label = recent_quarters(datetime.now(TZ).date(), 2)[0].label
    year, n = label.split("-Q")
    return label, f"Quý {ROMAN[n]}/{year}"


@pytest.fixture
def office(app: Flask) -> dict[str, int]:
    """The demo ward with a year of synthetic responses, an admin and a viewer of the primary school."""
    with app.app_context():
        org = _db.session.query(Organisation).one()
        points = point_svc.ensure_demo_points(org)
        versions = {v.kind: (v, qsvc.definition(v)) for v in (qsvc.latest_version(k) for k in KINDS)}
        demo_svc.generate(points, versions, datetime.now(TZ).date())
        for name, unit in (("admin", None), ("viewer", "th-an-tuong")):
            _db.session.add(User(organisation_id=1, username=name, role=name, unit=unit, active=True,
                                 password_hash=generate_password_hash(PASSWORDS[name], method=user_svc.HASH_METHOD)))
        _db.session.commit()
        return {p.code: p.id for p in points}


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/office/")
    assert "/office/login" in page.url
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/office/$"))


def _choose_quarter(page: Any) -> str:
    label, text = _previous_quarter()
    page.get_by_label("Kỳ báo cáo").select_option(label=text)
    page.get_by_role("button", name="Xem").click()
    page.wait_for_url(re.compile(rf".*period={label}.*"))
    return text


def test_admin_reads_drills_down_exports_and_manages_points(
    office: dict[str, int], live_server: str, desktop: Any
) -> None:
    page = desktop
    _sign_in(page, live_server, "admin")
    quarter = _choose_quarter(page)
    heading = page.locator("h1").inner_text()
    assert "Hành chính công (một cửa)" in heading and quarter in heading
    assert re.fullmatch(r"\d{2},\d{2}%", page.locator("#overall-index").inner_text())
    assert page.get_by_role("img", name="Chỉ số hài lòng theo yếu tố").count() == 1
    ranking = page.locator("#points-table tbody tr")
    assert ranking.count() == 3
    assert [ranking.nth(i).locator("td").first.inner_text() for i in range(3)] == ["1", "2", "3"]

    # Drill down: an element, then a point.
    page.get_by_role("link", name="Công chức trực tiếp giải quyết").click()
    assert page.locator("h1").inner_text() == "Công chức trực tiếp giải quyết"
    assert page.locator(".statement").count() == 6
    assert "Rất hài lòng:" in page.locator(".statement").first.inner_text()
    page.get_by_role("link", name="Tổng quan").first.click()
    first_point = ranking.first.locator("th a")
    name = first_point.inner_text()
    first_point.click()
    assert page.locator("h1").inner_text() == name
    assert page.locator(".statement").count() == 22

    # Export the indices as CSV.
    page.get_by_role("link", name="Xuất dữ liệu").first.click()
    page.get_by_label("Các chỉ số (chung, yếu tố, nhận định)").check()
    page.get_by_label("CSV").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải xuống").click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("period,kind,point,level,code,n,index")
    assert ",onestop,,overall,overall," in text

    # Create a point, then deactivate it.
    page.get_by_role("link", name="Điểm khảo sát").click()
    page.get_by_label("Tên điểm").fill("Quầy 4 (Kinh doanh)")
    page.get_by_label("Mã điểm (dùng trong địa chỉ mã QR)").fill("mc-4")
    page.get_by_label("Loại dịch vụ").select_option("onestop")
    page.get_by_role("button", name="Thêm điểm").click()
    assert "Đã tạo điểm khảo sát “Quầy 4 (Kinh doanh)” (mã mc-4)." in page.locator(".flashes").inner_text()
    card = page.locator(".point-card", has_text="Quầy 4 (Kinh doanh)")
    assert "Đang hoạt động" in card.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    card.locator("summary").click()
    card.get_by_role("button", name="Ngừng hoạt động").click()
    assert "Đã ngừng điểm “Quầy 4 (Kinh doanh)”" in page.locator(".flashes").inner_text()
    assert "Đã ngừng" in page.locator(".point-card", has_text="Quầy 4 (Kinh doanh)").inner_text()
    page.goto(f"{live_server}/s/mc-4")
    assert "Không tìm thấy trang" in page.locator("h1").inner_text()


def test_viewer_sees_only_their_school(office: dict[str, int], live_server: str, phone: Any) -> None:
    page = phone
    _sign_in(page, live_server, "viewer")
    assert "Giáo dục" in page.locator("h1").inner_text()
    _choose_quarter(page)
    assert "Chỉ gồm các điểm khảo sát thuộc đơn vị th-an-tuong." in page.locator(".page-head").inner_text()
    ranking = page.locator("#points-table tbody tr")
    assert ranking.count() == 1
    assert "Trường Tiểu học An Tường" in ranking.first.inner_text()
    assert page.get_by_role("link", name="Điểm khảo sát").count() == 0

    page.get_by_role("link", name="Môi trường giáo dục").click()
    assert page.locator("h1").inner_text() == "Môi trường giáo dục"
    assert page.locator(".statement").count() >= 4

    page.goto(f"{live_server}/office/point/{office['thcs-an-tuong']}")
    assert page.locator("h1").inner_text() == "Không có quyền truy cập"

    page.goto(f"{live_server}/office/exports")
    page.get_by_label("CSV").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Tải xuống").click()
    rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows and {r["point"] for r in rows} == {"th-an-tuong"}


def _serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_office_pages_pass_axe(office: dict[str, int], live_server: str, axe_page: Any) -> None:
    page = axe_page
    page.goto(f"{live_server}/office/login")
    assert _serious(page) == []
    _sign_in(page, live_server, "admin")
    label, _text = _previous_quarter()
    for path in (f"/office/?period={label}", f"/office/comments?period={label}", "/office/points",
                 f"/office/element/staff?period={label}", f"/office/point/{office['tram-y-te']}?period={label}",
                 "/office/exports", "/office/audit", "/office/users"):
        page.goto(live_server + path)
        assert _serious(page) == [], path
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/office/?period={label}")
    assert _serious(page) == [], "dashboard at phone width"

"""The whole PAKN loop in Chromium: a citizen on a 390×844 phone rates a statement low and sends an item with an
e-mail; a reviewer classifies and assigns it; the unit's viewer drafts the reply; the admin approves and publishes
it; the citizen reads the masked reply on the tracking page and rates it; the e-mails reach a local SMTP server.
Also the citizen pages' weight, measured as tests/e2e/test_page_weight.py measures the survey form.

Set HAILONG_SHOTS_DIR to keep screenshots of the citizen form, the tracking page and the office register.
"""

from __future__ import annotations

import gzip
import os
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, User
from hailong.survey.services import pakn
from hailong.survey.services import points as point_svc
from hailong.survey.services import users as user_svc

PASSWORDS = {"admin": "admin-password-1", "reviewer": "reviewer-password-1", "motcua": "viewer-password-1"}
BUDGET = 20 * 1024
COUNTED = {"document", "stylesheet", "script"}
CITIZEN_TEXT = "Cán bộ quầy 1 trả lời cộc lốc. Tôi là Nguyễn Văn An, gọi 0912 345 678."


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("HAILONG_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def ward_office(app: Flask, smtp_server: dict[str, Any]) -> dict[str, Any]:
    """Demo points, the one-stop unit with an e-mail, an admin, a reviewer and the one-stop unit's viewer."""
    with app.app_context():
        org = _db.session.scalars(select(Organisation)).one()
        point_svc.ensure_demo_points(org)
        pakn.save_unit(org.id, "setup", "motcua", "Bộ phận một cửa", "motcua@antuong.example", False)
        for name, role, unit in (("admin", "admin", None), ("reviewer", "reviewer", None),
                                 ("motcua", "viewer", "motcua")):
            _db.session.add(User(organisation_id=1,
                                 username=name, role=role, unit=unit, active=True, password_hash=generate_password_hash(
                PASSWORDS[name], method=user_svc.HASH_METHOD)))
        _db.session.commit()
    app.config.update(HAILONG_SMTP_URL=smtp_server["url"], HAILONG_MIN_FILL_SECONDS=0)
    return smtp_server


def _office(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{base}/office/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/office/$"))
    return page


def test_the_whole_loop(app: Flask, ward_office: dict[str, Any], live_server: str, phone: Any, browser: Any) -> None:
    mail = ward_office["messages"]
    # The citizen rates a statement 2 and is offered the PAKN form on the thank-you page.
    phone.goto(f"{live_server}/s/mc-1")
    phone.locator("input[name='overall'][value='2']").check()
    while not phone.locator("input[name='staff__polite'][value='2']").count():
        phone.get_by_role("button", name="Tiếp tục", exact=True).click()
        phone.wait_for_load_state("load")
    phone.locator("input[name='staff__polite'][value='2']").check()
    phone.get_by_role("button", name="Gửi luôn", exact=True).click()
    phone.wait_for_url("**/cam-on?low=1")
    assert "Ông/Bà chưa hài lòng?" in phone.locator(".pakn-offer").inner_text()
    phone.get_by_role("link", name="Gửi phản ánh, kiến nghị").click()
    phone.wait_for_url("**/s/mc-1/phan-anh")
    phone.get_by_label("Thái độ phục vụ").check()
    phone.get_by_label("Nội dung phản ánh, kiến nghị").fill(CITIZEN_TEXT)
    phone.get_by_label("Họ và tên").fill("Nguyễn Văn An")
    phone.get_by_label("Thư điện tử (để nhận thư báo khi có trả lời)").fill("an.nguyen@example.com")
    phone.get_by_label(re.compile("Tôi đồng ý để phường lưu")).check()
    _shot(phone, "citizen-form")
    phone.get_by_role("button", name="Gửi phản ánh").click()
    phone.wait_for_url(re.compile(r".*/tra-cuu/[0-9A-Z]{5}-[0-9A-Z]{5}\?moi=1$"))
    code = phone.locator("#tracking-code").inner_text().strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", code)
    assert phone.locator("#state").inner_text() == "Mới tiếp nhận"
    assert "0912" not in phone.content() and "an.nguyen@example.com" not in phone.content()
    _shot(phone, "tracking-new")

    # The reviewer classifies and assigns it; the unit gets an e-mail.
    reviewer = _office(browser, live_server, "reviewer")
    reviewer.get_by_role("link", name="Phản ánh, kiến nghị").first.click()
    row = reviewer.locator("#pakn-table tbody tr").first
    assert "Thái độ phục vụ" in row.inner_text() and "Mới tiếp nhận" in row.inner_text()
    _shot(reviewer, "office-register")
    row.locator("a").first.click()
    item_url = reviewer.url
    assert "an.nguyen@example.com" in reviewer.locator("#item-contact").inner_text()
    reviewer.get_by_role("button", name="Tiếp nhận", exact=True).click()
    reviewer.get_by_label("Đơn vị xử lý").select_option("motcua")
    reviewer.get_by_role("button", name="Giao xử lý", exact=True).click()
    assert reviewer.locator("#item-status").inner_text() == "Đã giao xử lý"
    assert any(m["To"] == "motcua@antuong.example" for m in mail)
    reviewer.context.close()

    # The unit's viewer drafts the reply and sends it for approval.
    unit = _office(browser, live_server, "motcua")
    unit.goto(item_url)
    unit.get_by_label("Nội dung trả lời").fill("Phường đã nhắc nhở cán bộ quầy 1 và đã gọi lại ông Nguyễn Văn An "
                                               "theo số 0912 345 678 để xin lỗi.")
    unit.get_by_role("button", name="Gửi duyệt").click()
    assert unit.locator("#item-status").inner_text() == "Chờ duyệt trả lời"
    unit.context.close()

    # The admin checks the masked text and publishes.
    admin = _office(browser, live_server, "admin")
    admin.goto(item_url)
    question = admin.get_by_label("Nội dung phản ánh công khai").input_value()
    reply = admin.get_by_label("Nội dung trả lời công khai").input_value()
    assert "0912" not in question and "Nguyễn Văn An" not in question and "[đã ẩn]" in question
    assert "0912" not in reply and "Văn An" not in reply
    admin.get_by_role("button", name="Duyệt và công khai").click()
    assert admin.locator("#item-status").inner_text() == "Đã trả lời và công khai"
    admin.context.close()

    # The citizen reads the masked reply and rates it; the e-mail reached the local SMTP server.
    phone.goto(f"{live_server}/tra-cuu/{code}")
    reply_text = phone.locator("#reply").inner_text()
    assert "Phường đã nhắc nhở cán bộ quầy 1" in reply_text and "0912" not in reply_text
    _shot(phone, "tracking-replied")
    phone.get_by_label("Hài lòng", exact=True).check()
    phone.get_by_role("button", name="Gửi đánh giá").click()
    assert "Cảm ơn Ông/Bà đã đánh giá câu trả lời." in phone.content()
    assert "Ông/Bà đã đánh giá:" in phone.locator("#reply").inner_text()
    to_citizen = [m for m in mail if m["To"] == "an.nguyen@example.com"]
    assert len(to_citizen) == 1
    body = to_citizen[0].get_content()
    assert "Phường đã nhắc nhở cán bộ quầy 1" in body and "0912" not in body and "/tra-cuu" in body


def _record(page: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        body = b"" if response.status in (204, 301, 302, 303, 304) else response.body()
        seen.append({"url": response.url, "type": response.request.resource_type, "raw": len(body),
                     "gzip": len(gzip.compress(body, compresslevel=6))})

    page.on("response", on_response)
    return seen


def test_citizen_pakn_pages_are_small_and_first_party(app: Flask, ward_office: dict[str, Any], live_server: str,
                                                      phone: Any) -> None:
    with app.app_context():
        org = _db.session.scalars(select(Organisation)).one()
        _item, code = pakn.register(pakn.Intake(ward=org, category="khac", text="Đo trang", channel="form",
                                                received_at=datetime.now(UTC), point=org.points[0]))
        _db.session.commit()
        assert code is not None
        shown = pakn.format_code(code)
    host = urlsplit(live_server).netloc
    for path in ("/s/mc-1/phan-anh", "/tra-cuu", f"/tra-cuu/{shown}"):
        context = phone.context.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
        page = context.new_page()
        seen = _record(page)
        page.goto(f"{live_server}{path}", wait_until="load")
        page.wait_for_load_state("networkidle")
        assert all(urlsplit(r["url"]).netloc == host for r in seen)
        counted = [r for r in seen if r["type"] in COUNTED]
        raw, packed = sum(r["raw"] for r in counted), sum(r["gzip"] for r in counted)
        scripts = [r for r in seen if r["type"] == "script"]
        print(f"{path.replace(shown, '<code>')}: {len(seen)} requests, {raw} B uncompressed, {packed} B gzip "
              f"(budget {BUDGET} B)")
        assert not scripts and packed < BUDGET
        context.close()

"""Kiosk tablets and officer ratings in Chromium: an admin pairs an 800×1280 tablet from the office, a citizen rates
the officer at the desk, the thank-you page goes back to the start by itself (the real meta refresh) with nothing
of the answer left; a form left mid-way resets with its draft gone; a phone (390×844) rates a desk by its QR
address; the admin sees the officer's figures and a viewer gets 404.

Screenshots go to /tmp/shots/kiosk/ (HAILONG_SHOTS overrides) to be looked at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.survey.extensions import db as _db
from hailong.survey.models import Desk, FormDraft, OfficerRating, User
from hailong.survey.respond import kiosk as kiosk_views
from hailong.survey.services import officers as officer_svc
from hailong.survey.services import users as user_svc
from hailong.survey.transaction import boundary
from tests.fixtures.kiosk import add_desk

SHOTS = Path(os.environ.get("HAILONG_SHOTS", "/tmp/shots/kiosk"))
PASSWORDS = {"admin": "admin-password-1", "viewer": "viewer-password-1"}
OFFICER = "Nguyễn Thị Lan"


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def ward(app: Flask, points: Any) -> int:
    """An admin and a viewer, desk quay-1 of mc-1 with its officer on duty and 30 earlier ratings of hers."""
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    desk_id = add_desk(app, officer=OFFICER)
    with app.app_context(), boundary():
        desk = _db.session.get(Desk, desk_id)
        for name, unit in (("admin", None), ("viewer", "th-an-tuong")):
            _db.session.add(User(organisation_id=desk.organisation_id, username=name, role=name, unit=unit, active=True,
                                 password_hash=generate_password_hash(PASSWORDS[name], method=user_svc.HASH_METHOD)))
        for i in range(30):
            level = "very_satisfied" if i < 18 else "satisfied" if i < 27 else "unsatisfied"
            officer_svc.rate(desk.point, desk, officer_svc.parse_rating(level, [], None), f"seed-{i}", "qr",
                             now=datetime.now(UTC))
    return desk_id


@pytest.fixture
def tablet(browser: Any) -> Iterator[Any]:
    """An 800×1280 tablet at the counter."""
    context = browser.new_context(viewport={"width": 800, "height": 1280}, has_touch=True, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desk_office(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/office/")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/office/$"))


def _ratings(app: Flask) -> list[OfficerRating]:
    with app.app_context():
        rows = list(_db.session.scalars(select(OfficerRating).where(~OfficerRating.submission_key.startswith("seed-"))))
        _db.session.expunge_all()
        return rows


def _pair(desk_office: Any, tablet: Any, base: str, target: str) -> None:
    _sign_in(desk_office, base, "admin")
    desk_office.goto(f"{base}/office/kiosk")
    desk_office.get_by_label("Điểm khảo sát hoặc quầy").select_option(value=target)
    desk_office.get_by_label("Tên máy").fill("Máy tính bảng quầy 1")
    desk_office.get_by_role("button", name="Tạo mã ghép").click()
    code = desk_office.locator("#pairing-code").inner_text()
    _shot(desk_office, "office-pairing-code")
    tablet.goto(f"{base}/kiosk")
    assert tablet.url.endswith("/kiosk/ghep")
    _shot(tablet, "tablet-pairing")
    tablet.get_by_label("Mã ghép").fill(code)
    tablet.get_by_role("button", name="Ghép máy").click()
    tablet.wait_for_url(re.compile(r".*/kiosk$"))


def test_a_paired_tablet_rates_the_officer_and_resets_itself(
    app: Flask, ward: int, live_server: str, tablet: Any, desk_office: Any, browser: Any
) -> None:
    _pair(desk_office, tablet, live_server, f"d:{ward}")
    assert OFFICER in tablet.content()
    buttons = [tablet.get_by_role("button", name=n, exact=True) for n in ("Rất hài lòng", "Hài lòng", "Không hài lòng")]
    for button in buttons:
        box = button.bounding_box()
        assert box["height"] >= 120 and box["width"] >= 600  # very large targets on the tablet
    _shot(tablet, "tablet-rating")
    tablet.get_by_text("Thêm lý do (không bắt buộc)").click()
    tablet.get_by_label("Chờ lâu").check()
    tablet.get_by_label("Ý kiến khác").fill("Đợi hơi lâu ở quầy")
    _shot(tablet, "tablet-rating-reasons")
    buttons[1].click()
    tablet.wait_for_url(re.compile(r".*/kiosk/cam-on$"))
    thanks = tablet.content()
    assert "Cảm ơn Ông/Bà!" in thanks and "Đợi hơi lâu" not in thanks and "Chờ lâu" not in thanks
    _shot(tablet, "tablet-thanks")
    (row,) = _ratings(app)
    assert (row.level, row.reasons, row.comment, row.officer_name, row.channel) == (
        "satisfied", "slow", "Đợi hơi lâu ở quầy", OFFICER, "kiosk")
    # The real meta refresh (8 s) takes the tablet back to the start: nothing of the answer is left.
    tablet.wait_for_url(re.compile(r".*/kiosk$"), timeout=20_000)
    tablet.wait_for_load_state("load")
    assert tablet.locator("input[name=reason]:checked").count() == 0
    assert tablet.get_by_label("Ý kiến khác").input_value() == ""
    assert "Đợi hơi lâu" not in tablet.content()
    _shot(tablet, "tablet-after-reset")

    # The admin sees the officer's figures (30 earlier ratings and this one); a viewer does not.
    desk_office.goto(f"{live_server}/office/can-bo")
    officers = desk_office.locator("#officers").inner_text()
    assert OFFICER in officers and "31" in officers and "90,3%" in officers  # (27 + 1) / 31
    _shot(desk_office, "office-officer-results")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    viewer = context.new_page()
    _sign_in(viewer, live_server, "viewer")
    assert "Đánh giá cán bộ" not in viewer.locator("nav").inner_text()
    answer = viewer.goto(f"{live_server}/office/can-bo")
    assert answer.status == 404 and OFFICER not in viewer.content()
    _shot(viewer, "viewer-404")
    context.close()

    # A revoked tablet is told at once.
    desk_office.goto(f"{live_server}/office/kiosk")
    desk_office.once("dialog", lambda dialog: dialog.accept())
    desk_office.get_by_role("button", name=re.compile("^Thu hồi")).click()
    desk_office.wait_for_load_state("load")
    tablet.goto(f"{live_server}/kiosk")
    assert "đã bị thu hồi" in tablet.content()
    _shot(tablet, "tablet-revoked")


def test_a_form_left_mid_way_on_the_tablet_resets_with_nothing_left(
    app: Flask, ward: int, live_server: str, tablet: Any, desk_office: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(kiosk_views.IDLE, "form", 3)  # the same meta refresh as 120 s, sooner for the test
    with app.app_context():
        point_id = _db.session.get(Desk, ward).point_id
    _pair(desk_office, tablet, live_server, f"p:{point_id}")
    tablet.get_by_role("button", name="Rất hài lòng", exact=True).click()
    tablet.wait_for_url(re.compile(r".*/kiosk/cam-on$"))
    tablet.get_by_role("link", name="Đánh giá đầy đủ").click()
    tablet.wait_for_url(re.compile(r".*/kiosk/phieu/mc-1$"))
    tablet.locator("input[name=overall][value='2']").check(force=True)
    _shot(tablet, "tablet-form-page-1")
    tablet.get_by_role("button", name="Tiếp tục", exact=True).last.click()
    tablet.wait_for_url(re.compile(r".*p=2.*"))
    page2 = tablet.url
    with app.app_context():
        assert _db.session.scalar(select(FormDraft.answers)) == {"overall": ["2"]}
    _shot(tablet, "tablet-form-page-2")
    tablet.wait_for_url(re.compile(r".*/kiosk$"), timeout=20_000)  # the idle reset
    with app.app_context():
        assert _db.session.scalars(select(FormDraft)).all() == []
    tablet.go_back()  # what was on the screen before the reset: asked again, nothing left
    tablet.wait_for_load_state("load")
    assert tablet.url == page2 or "/kiosk/phieu/mc-1" in tablet.url
    assert tablet.locator("input[name=overall]:checked").count() == 0
    _shot(tablet, "tablet-back-after-reset")


def test_a_phone_rates_a_desk_by_its_qr_address(app: Flask, ward: int, live_server: str, phone: Any) -> None:
    phone.goto(f"{live_server}/s/mc-1/quay/quay-1")
    assert OFFICER in phone.content()
    box = phone.get_by_role("button", name="Không hài lòng", exact=True).bounding_box()
    assert box["height"] >= 44
    assert phone.evaluate("() => document.documentElement.scrollHeight") <= 844  # one screen
    _shot(phone, "phone-desk-rating")
    phone.get_by_role("button", name="Không hài lòng", exact=True).click()
    phone.wait_for_url(re.compile(r".*/s/mc-1/quay/quay-1/cam-on$"))
    _shot(phone, "phone-desk-thanks")
    (row,) = _ratings(app)
    assert (row.level, row.channel, row.officer_name) == ("unsatisfied", "qr", OFFICER)

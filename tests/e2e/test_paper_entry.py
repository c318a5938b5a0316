"""Paper forms typed in Chromium with the keyboard only: serial, one key per answer, a second clerk, the mismatch
side by side for a reviewer; and the same form typed without JavaScript."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, PaperSerial, ServicePoint, Submission, User
from hailong.survey.services import paper as paper_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import users as user_svc

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PASSWORDS = {"admin": "admin-password-1", "reviewer": "reviewer-password-1", "clerk": "clerk-password-1"}
SHOTS = Path("/tmp/shots/paper")
#: What the citizen ticked, in the form's order ('' = left blank): 22 statements, then the other questions.
STATEMENTS = "5443" "5540_" "545445" "544" "323_"  # '_': left blank; 22 statements, by element
OTHERS = {"overall": "4", "visits": "2", "on_time": "1", "apology": "", "extra_payment": "2", "harassment": "2",
          "channel_submit": "1", "field": "3", "expect": "41", "gender": "2", "age_group": "5",
          "education_level": "3", "ethnicity": "2", "occupation": "7"}
COMMENT = "Cán bộ nhiệt tình, hướng dẫn rõ ràng."


@pytest.fixture
def paper_office(app: Flask) -> dict[str, Any]:
    """The demo points, three office accounts and two issued onestop forms for counter 1."""
    with app.app_context():
        org = _db.session.scalars(select(Organisation)).one()
        point_svc.ensure_demo_points(org)
        for name, role in (("admin", "admin"), ("reviewer", "reviewer"), ("clerk", "reviewer")):
            _db.session.add(User(organisation_id=1,
                                 username=name, role=role, active=True, password_hash=generate_password_hash(
                PASSWORDS[name], method=user_svc.HASH_METHOD)))
        point = _db.session.scalars(select(ServicePoint).filter_by(code="mc-1")).one()
        serials = [p.serial for p in paper_svc.issue(org, "onestop", 2, point)]
        q = qsvc.definition(qsvc.latest_version("onestop"))
        _db.session.commit()
        assert len(q.statements) == len(STATEMENTS) == 22
    return {"serials": serials}


@pytest.fixture
def clerk_page(browser: Any) -> Iterator[Any]:
    """Open a fresh desktop browser (own cookies) per clerk: `clerk_page(js=False)` has JavaScript off."""
    contexts: list[Any] = []

    def _open(js: bool = True) -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN",
                                      java_script_enabled=js, bypass_csp=True)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def _sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/office/login")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORDS[username])
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/office/$"))


def _keys(statements: str, others: dict[str, str]) -> list[str]:
    """The keys a clerk presses after the serial: one per answer, Enter for a blank or after a longer answer."""
    keys: list[str] = []
    for value in statements:
        keys.append("Enter" if value == "_" else value)
    for code, value in others.items():
        if value == "":
            keys.append("Enter")
        else:
            keys.extend(value)
            if len(value) > 1 or code == "expect":
                keys.append("Enter")  # boxes that take several keys do not move on by themselves
    return keys


def _type_form(page: Any, base: str, serial: str, statements: str, others: dict[str, str]) -> int:
    """Type one form with the keyboard alone, from the serial to the saved form; returns the keys pressed."""
    from playwright.sync_api import expect

    page.goto(f"{base}/office/paper")
    expect(page.locator("#serial")).to_be_focused()  # autofocus: the clerk starts typing at once
    pressed = 0
    for key in [*serial, "Enter"]:
        page.keyboard.press(key)
        pressed += 1
    page.wait_for_url(re.compile(rf".*/office/paper/{serial}$"))
    expect(page.locator("#f-access__seating")).to_be_focused()
    for key in _keys(statements, others):
        page.keyboard.press(key)
        pressed += 1
    expect(page.locator("#f-comment")).to_be_focused()
    page.keyboard.type(COMMENT)
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the last box: Enter saves
    pressed += 1
    page.wait_for_url(re.compile(r".*/office/paper$"))
    return pressed


def _serious(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}})"""
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_double_entry_with_the_keyboard_and_a_mismatch_resolved(
        app: Flask, paper_office: dict[str, Any], live_server: str, clerk_page: Any) -> None:
    serial = paper_office["serials"][0]
    SHOTS.mkdir(parents=True, exist_ok=True)
    first = clerk_page()
    _sign_in(first, live_server, "admin")
    first.goto(f"{live_server}/office/paper/{serial}")
    first.screenshot(path=str(SHOTS / "entry-empty.png"), full_page=True)
    if AXE.exists():
        assert _serious(first) == []
    pressed = _type_form(first, live_server, serial, STATEMENTS, OTHERS)
    # 7 digits and Enter for the serial, then 39 keys for 37 questions (the comment's letters not counted).
    assert pressed == 8 + 39, pressed
    assert "Đã lưu lần nhập thứ nhất" in first.locator(".flashes").inner_text()
    with app.app_context():
        assert _db.session.scalars(select(Submission)).first() is None

    # The second clerk presses one key differently: statement 10 (staff.polite) typed 3 where the paper says 5.
    typo = STATEMENTS[:9] + "3" + STATEMENTS[10:]
    second = clerk_page()
    _sign_in(second, live_server, "clerk")
    _type_form(second, live_server, serial, typo, OTHERS)
    assert "khác lần thứ nhất ở 1 câu" in second.locator(".flashes").inner_text()
    with app.app_context():
        assert _db.session.scalars(select(Submission)).first() is None
        assert _db.session.scalars(select(PaperSerial).filter_by(serial=serial)).one().state == "conflict"

    reviewer = clerk_page()
    _sign_in(reviewer, live_server, "reviewer")
    reviewer.goto(f"{live_server}/office/paper")
    reviewer.locator("#conflicts").get_by_role("link", name=re.compile("Đối chiếu")).click()
    reviewer.wait_for_url(re.compile(rf".*/office/paper/{serial}/resolve$"))
    rows = reviewer.locator("#differences tbody tr")
    assert rows.count() == 1
    row = rows.first.inner_text()
    assert "10. Công chức có thái độ lịch sự, nhã nhặn." in row
    assert "5 – Rất hài lòng" in row and "3 – Bình thường" in row
    headers = reviewer.locator("#differences thead").inner_text()
    assert "Lần 1: admin" in headers and "Lần 2: clerk" in headers
    reviewer.screenshot(path=str(SHOTS / "resolve.png"), full_page=True)
    if AXE.exists():
        assert _serious(reviewer) == []
    reviewer.get_by_role("radio", name="5 – Rất hài lòng").check()
    reviewer.get_by_role("button", name="Lưu phiếu theo lựa chọn").click()
    reviewer.wait_for_url(re.compile(r".*/office/paper$"))
    assert "đã được lưu theo lựa chọn" in reviewer.locator(".flashes").inner_text()
    with app.app_context():
        stored = _db.session.scalars(select(Submission)).one()
        assert (stored.channel, stored.verified, stored.comment) == ("paper", True, COMMENT)


def test_entry_works_without_javascript(app: Flask, paper_office: dict[str, Any], live_server: str,
                                        clerk_page: Any) -> None:
    serial = paper_office["serials"][1]
    page = clerk_page(js=False)
    _sign_in(page, live_server, "admin")
    page.goto(f"{live_server}/office/paper")
    # The autofocus may come a moment after the page loads; the keys must not start before it.
    page.locator("#serial").focus()
    page.keyboard.type(serial)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/office/paper/{serial}$"))
    page.locator("#f-access__seating").focus()
    # Without the script: a key, then Tab to the next box; a blank box is just Tab.
    values = [v for v in STATEMENTS] + list(OTHERS.values())
    for value in values:
        if value not in ("", "_"):
            page.keyboard.type(value)
        page.keyboard.press("Tab")
    page.keyboard.type(COMMENT)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/office/paper$"))
    assert "Đã lưu lần nhập thứ nhất" in page.locator(".flashes").inner_text()
    page.screenshot(path=str(SHOTS / "home-after-entry.png"), full_page=True)
    with app.app_context():
        paper = _db.session.scalars(select(PaperSerial).filter_by(serial=serial)).one()
        fields = paper.entries[0].fields
        assert fields["access.seating"] == "5" and "procedure.time_lawful" not in fields
        assert fields["expect"] == "1,4" and fields["occupation"] == "7" and fields["comment"] == COMMENT

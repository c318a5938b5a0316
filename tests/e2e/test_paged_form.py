"""The paged citizen form on a 390×844 phone in Chromium: heights within budget, Back and Next, "Gửi luôn", the
office's funnel.

The heights are layout facts (CSS pixels at a fixed viewport), not timings. Set HAILONG_SHOTS=DIR to keep a
full-page PNG of every page (the closing note of issue 12 describes them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.forms.pages import plan
from hailong.survey.extensions import db as _db
from hailong.survey.models import Answer, FormDraft, Question, Submission, User
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import users as user_svc

VIEWPORT_HEIGHT = 844
#: No page taller than 2.5 screens; the whole one-stop form under 6,000 CSS px (issue 12; it was 17,431).
PAGE_BUDGET = 2.5 * VIEWPORT_HEIGHT
TOTAL_BUDGET = 6000
POINTS = {"onestop": "mc-1", "health": "tram-y-te", "education": "th-an-tuong"}
SHOTS = os.environ.get("HAILONG_SHOTS", "")
# The layout height of the document: the page's own height, also when it is shorter than the screen.
HEIGHT = "() => Math.ceil(document.documentElement.getBoundingClientRect().height)"
ADMIN_PASSWORD = "admin-password-1"


@pytest.fixture
def quick(app: Flask) -> Iterator[None]:
    """Citizens in a test answer faster than the minimum fill time; they are people here, not flagged."""
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    yield


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _step(page: Any) -> tuple[int, int]:
    found = re.search(r"Phần (\d+)/(\d+)", page.locator(".step").first.inner_text())
    assert found, page.content()[:500]
    return int(found[1]), int(found[2])


def _press(page: Any, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    page.wait_for_load_state("load")


@pytest.mark.parametrize("kind", list(POINTS))
def test_every_page_fits_on_a_phone(app: Flask, demo_points: Any, live_server: str, phone: Any, kind: str) -> None:
    phone.goto(f"{live_server}/s/{POINTS[kind]}")
    heights: list[int] = []
    while True:
        number, total = _step(phone)
        assert number == len(heights) + 1
        heights.append(phone.evaluate(HEIGHT))
        _shot(phone, f"{kind}-p{number}")
        if number == total:
            break
        _press(phone, "Tiếp tục")
    with app.app_context():
        assert len(heights) == len(plan(qsvc.definition(qsvc.latest_version(kind))))
    scroll = sum(max(0, h - VIEWPORT_HEIGHT) for h in heights)
    print(f"\n{kind}: {len(heights)} pages, heights {heights} CSS px; total {sum(heights)}, tallest {max(heights)}, "
          f"scrolling beyond the first screen of each page {scroll}")
    assert max(heights) <= PAGE_BUDGET
    assert sum(heights) < TOTAL_BUDGET


def _answer_page(page: Any) -> int:
    """Answer every question of the page shown as a citizen would; returns the taps it took."""
    taps = 0
    for row in page.locator("fieldset.st").all():
        row.locator("label").nth(1).click()  # "4"
        taps += 1
    for group in page.locator("fieldset.scale, fieldset.ch:not(.multi)").all():
        if not group.is_visible():  # a question shown only after some answers (apology: if late)
            continue
        group.locator("label").first.click()
        taps += 1
    for group in page.locator("fieldset.multi").all():
        for label in group.locator("label").all()[:2]:
            label.click()
            taps += 1
    for box in page.locator("select").all():
        box.select_option(index=1)
        taps += 2  # open the list, choose
    for number in page.locator("input[type=number]").all():
        number.fill("90")
        taps += 1  # and typing
    return taps


def test_a_full_answer_with_back_and_next_is_stored_once(
    app: Flask, demo_points: Any, live_server: str, phone: Any, quick: None
) -> None:
    page = phone
    page.goto(f"{live_server}/s/mc-1")
    assert _step(page) == (1, 9)
    taps = _answer_page(page)  # the overall question
    _press(page, "Tiếp tục")
    assert _step(page) == (2, 9)
    taps += _answer_page(page) + 1
    page.locator("input[name='access__seating'][value='5']").check()  # changes its mind
    _press(page, "Tiếp tục")
    taps += 1
    assert _step(page) == (3, 9)
    _press(page, "Quay lại")
    assert _step(page) == (2, 9)
    assert page.locator("input[name='access__seating'][value='5']").is_checked()  # kept on the server
    assert page.locator("input[name='access__equipment_modern'][value='4']").is_checked()
    page.go_back()  # the browser's own Back button: the page before, still with its answer
    page.go_back()
    assert _step(page) == (2, 9)
    page.go_forward()
    page.go_forward()
    _press(page, "Tiếp tục")
    while _step(page)[0] < 9:
        taps += _answer_page(page)
        if _step(page)[0] == 8:
            page.locator("textarea[name='comment']").fill("Cán bộ nhiệt tình\nXin cảm ơn")
        _press(page, "Tiếp tục")
        taps += 1
    taps += _answer_page(page)
    _shot(page, "onestop-p9-answered")
    _press(page, "Gửi phiếu")
    taps += 1
    page.wait_for_url("**/cam-on")
    assert "Cảm ơn" in page.locator("h1").inner_text()
    print(f"\ntaps for a full one-stop answer (every question, two expectations, a comment typed): {taps}")
    page.go_back()  # the last page again: the form was sent, so it thanks instead of showing answers
    assert "Cảm ơn" in page.locator("h1").inner_text()
    with app.app_context():
        (row,) = _db.session.scalars(select(Submission)).all()
        answers = dict(_db.session.execute(
            select(Question.code, Answer.value).join(Question).where(Answer.response_id == row.id)
            .where(Question.code.in_(["overall", "access.seating", "access.equipment_modern"]))).tuples().all())
        assert answers == {"overall": 5, "access.seating": 5, "access.equipment_modern": 4}
        assert row.comment == "Cán bộ nhiệt tình\nXin cảm ơn"
        assert not row.flagged
        assert _db.session.scalars(select(FormDraft)).all() == []


def _sign_in(page: Any, base: str) -> None:
    page.goto(f"{base}/office/")
    page.get_by_label("Tên đăng nhập").fill("admin")
    page.get_by_label("Mật khẩu").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(re.compile(r".*/office/$"))


def test_send_now_after_the_overall_question_and_the_funnel(
    app: Flask, demo_points: Any, live_server: str, browser: Any, quick: None
) -> None:
    phones = [browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="vi-VN") for _ in range(3)]
    try:
        full, quick_one, gone = (c.new_page() for c in phones)
        # One citizen answers everything.
        full.goto(f"{live_server}/s/mc-1")
        while True:
            _answer_page(full)
            if _step(full)[0] == 9:
                _press(full, "Gửi phiếu")
                break
            _press(full, "Tiếp tục")
        full.wait_for_url("**/cam-on")
        # One rates the service overall and sends at once.
        quick_one.goto(f"{live_server}/s/mc-1")
        quick_one.locator("input[name='overall'][value='4']").check()
        _shot(quick_one, "onestop-p1-answered")
        _press(quick_one, "Gửi luôn")
        quick_one.wait_for_url("**/cam-on")
        # One goes on to the first statements and leaves.
        gone.goto(f"{live_server}/s/mc-1")
        gone.locator("input[name='overall'][value='2']").check()
        _press(gone, "Tiếp tục")
        gone.locator("input[name='access__seating'][value='1']").check()
        _shot(gone, "onestop-p2-answered")
        _press(gone, "Tiếp tục")
        assert _step(gone) == (3, 9)
    finally:
        for context in phones:
            context.close()
    with app.app_context():
        rows = {r.id: r for r in _db.session.scalars(select(Submission))}
        assert len(rows) == 2
        stored = dict(_db.session.execute(
            select(Answer.response_id, Question.code).join(Question)).tuples().all())
        one = [rid for rid in rows if list(_db.session.scalars(
            select(Question.code).join(Answer).where(Answer.response_id == rid))) == ["overall"]]
        assert len(one) == 1 and stored[one[0]] == "overall"
        assert _db.session.scalar(select(Answer.value).where(Answer.response_id == one[0])) == 4
        _db.session.add(User(organisation_id=1, username="admin", role="admin", active=True,
                             password_hash=generate_password_hash(ADMIN_PASSWORD, method=user_svc.HASH_METHOD)))
        _db.session.commit()
    # CSP bypassed only so that axe-core can be injected.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", bypass_csp=True)
    try:
        office = context.new_page()
        _sign_in(office, live_server)
        table = office.locator("#funnel-onestop-v1")
        table.scroll_into_view_if_needed()
        _shot(office, "office-funnel")
        cells = [[c.inner_text().strip() for c in row.locator("td").all()] for row in table.locator("tbody tr").all()]
        # page: reached (share of started), sent from here, stopped here
        assert [(c[0], c[1], c[3], c[4]) for c in cells] == [
            ("1/9", "3 (100%)", "1", "0"),
            ("2/9", "2 (67%)", "0", "0"),
            ("3/9", "2 (67%)", "0", "1"),
            *[(f"{p}/9", "1 (33%)", "0", "0") for p in range(4, 9)],
            ("9/9", "1 (33%)", "1", "0"),
        ]
        assert "3 phiếu bắt đầu, 2 phiếu đã gửi" in table.locator("caption").inner_text()
        assert _serious(office) == []
    finally:
        context.close()


AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture
def axe_phone(browser: Any) -> Iterator[Any]:
    """A phone page whose CSP is bypassed only so that axe-core can be injected (this test alone)."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm ci --prefix tests/e2e` (the Makefile's test setup does)")
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="vi-VN", bypass_csp=True)
    yield context.new_page()
    context.close()


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


def test_every_page_passes_axe_and_reads_the_levels_out(
    app: Flask, demo_points: Any, live_server: str, axe_phone: Any, quick: None
) -> None:
    page = axe_phone
    page.goto(f"{live_server}/s/mc-1")
    while True:
        number, total = _step(page)
        assert _serious(page) == [], f"page {number}"
        if number == 2:
            # The compact row: real radio buttons named by the level's words, in a group named by the statement.
            group = page.get_by_role("group", name="Nơi ngồi chờ có đủ ghế cho người dân.")
            names = [group.get_by_role("radio").nth(i).get_attribute("value") for i in range(6)]
            assert names == ["5", "4", "3", "2", "1", "na"]
            for level in ("Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng", "Rất không hài lòng",
                          "Không có ý kiến"):
                assert group.get_by_role("radio", name=level, exact=True).count() == 1, level
            box = group.locator("label").first.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44  # the target size
            group.get_by_role("radio", name="Rất hài lòng", exact=True).focus()
            page.keyboard.press("ArrowRight")  # arrow keys move within the group, as with any radio group
            assert group.get_by_role("radio", name="Hài lòng", exact=True).is_checked()
        if number == total:
            break
        _press(page, "Tiếp tục")
    # A page sent back with an error.
    page.locator("input[name='gender']").first.check()
    page.evaluate("document.querySelector('select[name=age_group] option').value = 'nonsense'")
    _press(page, "Gửi phiếu")
    assert page.locator("#age_group-error").count() == 1
    assert _serious(page) == [], "a page with an error"

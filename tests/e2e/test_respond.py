"""The citizen's path in a real browser: open the form on a phone, answer, submit, find it stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hailong.survey.models import Answer, Submission


def _next(phone: Any) -> None:
    phone.get_by_role("button", name="Tiếp tục", exact=True).click()
    phone.wait_for_load_state("load")


def _to_comment_page(phone: Any) -> None:
    while "Mong đợi và góp ý" not in phone.locator("h1").first.inner_text():
        _next(phone)


def test_phone_submit_is_stored(app: Any, demo_points: Any, live_server: str, phone: Any) -> None:
    phone.goto(f"{live_server}/s/mc-1")
    assert phone.locator("h1").first.inner_text().strip() != ""
    phone.locator("input[name='overall'][value='4']").check()
    _next(phone)
    phone.locator("input[name='access__seating'][value='5']").check()
    _next(phone)
    _next(phone)
    phone.locator("input[name='staff__polite'][value='4']").check()
    _next(phone)
    phone.locator("input[name='result__lawful'][value='na']").check()
    _to_comment_page(phone)
    phone.locator("textarea[name='comment']").fill("Cán bộ rất nhiệt tình <b>cảm ơn</b>")
    phone.get_by_role("button", name="Gửi luôn", exact=True).click()
    phone.wait_for_url("**/cam-on")
    assert "Cảm ơn" in phone.locator("h1").inner_text()
    from hailong.survey.extensions import db

    with app.app_context():
        response = db.session.scalars(select(Submission)).one()
        assert response.comment == "Cán bộ rất nhiệt tình <b>cảm ơn</b>"
        assert db.session.scalar(select(func.count()).select_from(Answer)) == 4


def test_line_breaks_typed_in_the_comment_are_stored_as_typed(app: Any, demo_points: Any, live_server: str,
                                                              phone: Any) -> None:
    """Chromium sends the textarea's line breaks as CRLF (the HTML form encoding); the citizen typed LF."""
    phone.goto(f"{live_server}/s/mc-1")
    phone.locator("input[name='overall'][value='5']").check()
    _to_comment_page(phone)
    phone.locator("textarea[name='comment']").fill("Dòng một\nDòng hai")
    assert phone.locator("textarea[name='comment']").input_value() == "Dòng một\nDòng hai"
    _next(phone)  # kept in the draft, then shown again on the way back
    phone.get_by_role("button", name="Quay lại", exact=True).click()
    phone.wait_for_load_state("load")
    assert phone.locator("textarea[name='comment']").input_value() == "Dòng một\nDòng hai"
    phone.get_by_role("button", name="Gửi luôn", exact=True).click()
    phone.wait_for_url("**/cam-on")
    from hailong.survey.extensions import db

    with app.app_context():
        assert db.session.scalars(select(Submission.comment)).one() == "Dòng một\nDòng hai"

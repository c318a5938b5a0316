"""The citizen's path in a real browser: open the form on a phone, answer, submit, find it stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from hailong.survey.models import Answer, Submission


def test_phone_submit_is_stored(app: Any, demo_points: Any, live_server: str, phone: Any) -> None:
    phone.goto(f"{live_server}/s/mc-1")
    assert phone.locator("h1").first.inner_text().strip() != ""
    phone.locator("input[name='access__seating'][value='5']").check()
    phone.locator("input[name='staff__polite'][value='4']").check()
    phone.locator("input[name='result__lawful'][value='na']").check()
    phone.locator("input[name='overall'][value='4']").check()
    phone.locator("textarea[name='comment']").fill("Cán bộ rất nhiệt tình <b>cảm ơn</b>")
    phone.locator("button[type=submit]").click()
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
    phone.locator("textarea[name='comment']").fill("Dòng một\nDòng hai")
    assert phone.locator("textarea[name='comment']").input_value() == "Dòng một\nDòng hai"
    phone.locator("button[type=submit]").click()
    phone.wait_for_url("**/cam-on")
    from hailong.survey.extensions import db

    with app.app_context():
        assert db.session.scalars(select(Submission.comment)).one() == "Dòng một\nDòng hai"

"""The paged form on the server (no browser): drafts bound to the form's signed key, page by page; one stored
response per loaded form; replays thanked; refusals that keep the answers; limits; receipt codes; old codes."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hailong.survey.extensions import db
from hailong.survey.models import Answer, FormDraft, FormPageCount, Question, ServicePoint
from hailong.survey.services import points as point_svc
from hailong.survey.services import tokens as token_svc
from tests.fixtures.citizen import PagedForm, counts, open_paged, stored, token_rows
from tests.fixtures.pages import retry_after

#: The one-stop form's pages: 1 overall, 2-6 the five elements, 7 this visit, 8 expectations and comment, 9 profile.
PAGES = 9


@pytest.fixture(autouse=True)
def _people(app: Flask) -> None:
    """The citizens here answer in no time: not flagged for it (the flag has its own tests)."""
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0


def _drafts(app: Flask) -> list[FormDraft]:
    with app.app_context():
        rows = list(db.session.scalars(select(FormDraft).order_by(FormDraft.id)))
        db.session.expunge_all()
        return rows


def _page_counts(app: Flask) -> dict[int, tuple[int, int]]:
    """{page: (reached, sent)} summed over every day and point."""
    with app.app_context():
        rows = db.session.execute(
            select(FormPageCount.page, func.sum(FormPageCount.reached), func.sum(FormPageCount.sent))
            .group_by(FormPageCount.page)).all()
        return {int(p): (int(r), int(s)) for p, r, s in rows}


def _answers(app: Flask, response_id: int | None = None) -> dict[str, list[int]]:
    with app.app_context():
        query = select(Question.code, Answer.value).join(Question, Question.id == Answer.question_id)
        if response_id is not None:
            query = query.where(Answer.response_id == response_id)
        out: dict[str, list[int]] = {}
        for code, value in db.session.execute(query):
            out.setdefault(code, []).append(value)
        return out


def _checked(html: str, name: str, value: str) -> bool:
    return f'name="{name}" value="{value}" checked' in html


def _walk_to(form: PagedForm, page: int) -> None:
    while form.step[0] < page:
        assert form.press("next").status_code == 303


def _rotate(app: Flask, code: str) -> str:
    with app.app_context():
        new_code = point_svc.rotate(db.session.scalar(select(ServicePoint).filter_by(code=code)))
        db.session.commit()
    return new_code


# --- drafts, page by page -------------------------------------------------------------------------


def test_next_keeps_the_page_in_a_draft_bound_to_the_form_key(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    assert form.step == (1, PAGES) and form.hidden["page"] == "1"
    key = form.hidden["submission_key"]
    response = form.press("next", {"overall": "4"})
    assert response.status_code == 303
    target = urlsplit(response.headers["Location"])
    assert target.path == "/s/mc-1" and parse_qs(target.query) == {"k": [key], "p": ["2"]}
    assert form.step == (2, PAGES) and form.hidden["submission_key"] == key
    (draft,) = _drafts(app)
    assert (draft.form_key, draft.page, draft.answers) == (key, 2, {"overall": ["4"]})
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        assert (draft.point_id, draft.organisation_id) == (point.id, point.organisation_id)
    assert counts(app) == (0, 0)  # a draft is never a response
    assert _page_counts(app) == {1: (1, 0), 2: (1, 0)}


def test_back_and_next_keep_every_answer_and_the_draft_is_counted_nowhere(
    app: Flask, client: FlaskClient, points: Any, runner: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "5"})
    form.press("next", {"access__seating": "2", "access__equipment_modern": "na"})
    assert form.step == (3, PAGES)
    form.press("back", {"procedure__fees_lawful": "4"})
    assert form.step == (2, PAGES)
    assert _checked(form.html, "access__seating", "2") and _checked(form.html, "access__equipment_modern", "na")
    form.press("back", {"access__seating": "3", "access__equipment_modern": "na"})  # changed its mind
    assert form.step == (1, PAGES) and _checked(form.html, "overall", "5")
    _walk_to(form, 3)
    assert _checked(form.html, "procedure__fees_lawful", "4")
    (draft,) = _drafts(app)
    assert draft.page == 3
    assert draft.answers == {"overall": ["5"], "access__seating": ["3"], "access__equipment_modern": ["na"],
                             "procedure__fees_lawful": ["4"]}
    # Reached pages are counted once however often the citizen goes back and forth.
    assert _page_counts(app) == {1: (1, 0), 2: (1, 0), 3: (1, 0)}
    result = runner.invoke(args=["indices", "--period", datetime.now(UTC).strftime("%Y"), "--kind", "onestop"])
    assert result.exit_code == 0 and '"responses": 0' in result.output


def test_unticked_boxes_and_a_cleared_comment_are_cleared(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    _walk_to(form, 8)
    form.press("next", {"expect": ["more_online", "lower_fees"], "comment": "Tốt"})
    form.press("back")
    assert form.step == (8, PAGES)
    assert 'value="more_online" checked' in form.html and "Tốt</textarea>" in form.html
    form.press("next", {"expect": "lower_fees", "comment": ""})  # one box unticked, the comment removed
    assert _drafts(app)[0].answers == {"expect": ["lower_fees"]}


def test_the_last_page_sends_everything_once_and_the_draft_goes(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    key = form.hidden["submission_key"]
    form.press("next", {"overall": "4"})
    form.press("next", {"access__seating": "5"})
    _walk_to(form, 7)
    form.press("next", {"visits": "two", "field": "dat_dai"})
    form.press("next", {"expect": "more_online", "comment": "Cán bộ nhiệt tình."})
    assert form.step == (PAGES, PAGES) and "Gửi phiếu" in form.html and "Gửi luôn" not in form.html
    done = form.press("send", {"gender": "female", "age_group": "over_60"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/s/mc-1/cam-on")
    (row,) = stored(app)
    assert (row.submission_key, row.comment, row.flagged) == (key, "Cán bộ nhiệt tình.", False)
    assert _answers(app) == {"overall": [4], "access.seating": [5], "visits": [2], "field": [3], "expect": [2],
                             "gender": [2], "age_group": [5]}
    assert _drafts(app) == []  # its content is deleted once sent
    assert _page_counts(app) == {**{p: (1, 0) for p in range(1, PAGES)}, PAGES: (1, 1)}


def test_send_now_after_the_overall_question_stores_that_answer_only(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    assert "Gửi luôn" in form.html
    done = form.press("send", {"overall": "2"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/cam-on")
    (row,) = stored(app)
    assert _answers(app, row.id) == {"overall": [2]}
    assert (row.sat_mask, row.valid_mask, row.comment) == (0, 0, None)
    assert _drafts(app) == []
    assert _page_counts(app) == {1: (1, 1)}


def test_send_now_on_a_middle_page_stores_the_draft_with_that_page(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "5"})
    form.press("next", {"access__seating": "4"})
    assert form.press("send", {"procedure__posted_complete": "5"}).status_code == 303
    assert _answers(app) == {"overall": [5], "access.seating": [4], "procedure.posted_complete": [5]}
    assert _page_counts(app) == {1: (1, 0), 2: (1, 0), 3: (1, 1)}


def test_send_now_with_nothing_answered_stores_nothing(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    response = form.press("send")
    assert response.status_code == 422
    assert "chưa chọn câu trả lời nào" in response.get_data(as_text=True) and form.step == (1, PAGES)
    assert counts(app) == (0, 0) and _drafts(app) == [] and _page_counts(app) == {}


def test_a_page_view_writes_nothing(app: Flask, client: FlaskClient, points: Any) -> None:
    for _ in range(3):
        assert open_paged(app, client).status == 200
    assert client.head("/s/mc-1").status_code == 200
    assert _drafts(app) == [] and _page_counts(app) == {}


# --- the form's key binds its pages -----------------------------------------------------------------


def test_a_replay_of_any_page_after_sending_shows_the_thank_you_page(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    page2 = dict(form.hidden)
    form.press("next", {"access__seating": "5"})
    page3 = dict(form.hidden)
    url_of_page3 = f"/s/mc-1?k={quote(page3['submission_key'])}&p=3"
    assert form.press("send", {"procedure__fees_lawful": "3"}).status_code == 303
    for hidden, go in ((page2, "next"), (page3, "send"), (page3, "back")):
        again = client.post("/s/mc-1", data={**hidden, "go": go, "access__seating": "1"})
        assert again.status_code == 303 and again.headers["Location"].endswith("/s/mc-1/cam-on")
    # The browser's Back button after sending: the thank-you page, not the answers.
    back = client.get(url_of_page3)
    assert back.status_code == 303 and back.headers["Location"].endswith("/cam-on")
    assert counts(app)[0] == 1 and _drafts(app) == []
    assert _answers(app)["access.seating"] == [5]
    assert _page_counts(app)[3] == (1, 1)


def test_a_double_tap_on_send_stores_one_response(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    hidden = dict(form.hidden)
    first = client.post("/s/mc-1", data={**hidden, "go": "send", "access__seating": "5"})
    second = client.post("/s/mc-1", data={**hidden, "go": "send", "access__seating": "5"})
    assert first.status_code == second.status_code == 303
    assert counts(app)[0] == 1 and _page_counts(app)[2] == (1, 1)


def test_the_address_of_a_page_opens_only_its_own_draft(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "1"})
    form.press("next", {"access__seating": "1"})
    key = form.hidden["submission_key"]
    # At another point the key is not one the server signed for it: a fresh form.
    other = client.get(f"/s/mc-2?k={quote(key)}&p=2")
    assert other.status_code == 200 and "Phần 1/9" in other.get_data(as_text=True)
    assert key not in other.get_data(as_text=True)
    # A made-up key, or one with a wrong signature: a fresh form, nothing of the draft shown.
    nonce, seconds, mac = key.split(".")
    for forged in (secrets.token_urlsafe(16), f"{nonce}.{int(seconds) - 60}.{mac}", f"{'A' * 22}.{seconds}.{mac}"):
        page = client.get(f"/s/mc-1?k={quote(forged)}&p=2").get_data(as_text=True)
        assert "Phần 1/9" in page and 'value="1" checked' not in page
    # A page the form has not reached is not shown: it stays on the furthest one.
    ahead = client.get(f"/s/mc-1?k={quote(key)}&p=8").get_data(as_text=True)
    assert "Phần 3/9" in ahead
    for bad in ("0", "-1", "x", "99999"):
        page = client.get(f"/s/mc-1?k={quote(key)}&p={bad}")
        assert page.status_code == 200
    # Posting the key at another point is refused (the answers come back), and writes nothing there.
    refused = client.post("/s/mc-2", data={**form.hidden, "go": "next", "page": "1", "overall": "5"})
    assert refused.status_code == 400 and "mã phiếu không đúng" in refused.get_data(as_text=True)
    assert [d.page for d in _drafts(app)] == [3]


def test_a_posted_page_number_cannot_skip_pages(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "3"}, page="7")  # page 7 posted from page 1
    assert form.step == (2, PAGES)
    assert _page_counts(app) == {1: (1, 0), 2: (1, 0)}


# --- refusals keep the answers -------------------------------------------------------------------------


def test_a_bad_value_on_a_page_comes_back_at_the_field_and_the_draft_is_unchanged(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    _walk_to(form, 7)
    before = _drafts(app)[0].answers
    response = form.press("next", {"visits": "seven", "on_time": "yes", "field": "dat_dai"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Phần 7/9" in html and 'id="visits-error"' in html and "Giá trị không hợp lệ" in html
    assert _checked(html, "on_time", "yes") and 'value="dat_dai" selected' in html
    assert _drafts(app)[0].answers == before and _drafts(app)[0].page == 7


def test_a_number_out_of_range_on_a_health_page(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client, "/s/tram-y-te")
    _walk_to(form, 7)
    response = form.press("send", {"g1_expect_pct": "250", "g2_return": "o5"})
    assert response.status_code == 422
    assert "Vui lòng nhập một số từ 0 đến 200." in response.get_data(as_text=True)
    assert counts(app) == (0, 0)
    assert form.press("send", {"g1_expect_pct": "150"}).status_code == 303
    assert _answers(app) == {"g1_expect_pct": [150]}


def test_control_characters_in_the_comment_are_refused_and_shown_removed(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    _walk_to(form, 8)
    response = form.press("next", {"comment": "Cán bộ\x00 nhiệt\x1b tình."})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "\x00" not in html and "\x1b" not in html and "Cán bộ nhiệt tình.</textarea>" in html
    assert 'id="comment-error"' in html and "comment" not in _drafts(app)[0].answers
    assert form.press("next", {"comment": "Cán bộ nhiệt tình."}).status_code == 303  # sent again as shown
    assert form.press("send").status_code == 303
    assert stored(app)[0].comment == "Cán bộ nhiệt tình."


def test_an_expired_session_on_a_page_keeps_its_answers_and_the_earlier_pages(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    form.press("next", {"access__seating": "5"})
    app.config["WTF_CSRF_TIME_LIMIT"] = -1
    response = form.press("next", {"procedure__fees_lawful": "2"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in html and "bấm “Tiếp tục” lại" in html
    assert "Phần 3/9" in html and _checked(html, "procedure__fees_lawful", "2")
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert form.press("send", {"procedure__fees_lawful": "2"}).status_code == 303  # its fresh token works
    assert _answers(app) == {"overall": [4], "access.seating": [5], "procedure.fees_lawful": [2]}


def test_a_forged_key_on_a_page_is_refused_with_the_page_kept(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    real = form.hidden["submission_key"]
    form.hidden["submission_key"] = secrets.token_urlsafe(16)
    response = form.press("next", {"access__seating": "5"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "mã phiếu không đúng" in html and "Phần 2/9" in html and _checked(html, "access__seating", "5")
    assert real not in html and form.hidden["submission_key"] != real  # a fresh key, not the draft's
    assert [d.answers for d in _drafts(app)] == [{"overall": ["4"]}]


def test_an_unknown_field_on_a_page_is_refused(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    response = form.press("next", {"overall": "4", "phone_number": "0912345678"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "0912345678" not in html and _checked(html, "overall", "4")
    assert _drafts(app) == []


def test_the_honeypot_on_any_page_flags_the_response(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_paged(app, client)
    form.press("next", {"overall": "4"}, website="http://spam.example")
    assert form.press("send", {"access__seating": "5"}).status_code == 303
    (row,) = stored(app)
    assert row.flagged and "trường ẩn" in (row.flag_reason or "")


def test_sent_too_fast_is_flagged(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_MIN_FILL_SECONDS"] = 5
    assert open_paged(app, client).press("send", {"overall": "5"}).status_code == 303
    assert "gửi quá nhanh" in (stored(app)[0].flag_reason or "")


# --- limits ------------------------------------------------------------------------------------------


def test_page_changes_do_not_use_up_the_answers_limit(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "1 per minute"
    assert open_paged(app, app.test_client()).press("send", {"overall": "5"}).status_code == 303
    form = open_paged(app, app.test_client())
    _walk_to(form, 4)  # three page changes pass
    refused = form.press("send", {"staff__polite": "5"})
    retry_after(refused, 60)
    html = refused.get_data(as_text=True)
    assert "quá nhiều phiếu gửi từ cùng một mạng" in html and "bấm “Gửi luôn” lại" in html
    assert "Phần 4/9" in html and _checked(html, "staff__polite", "5")
    assert counts(app)[0] == 1


def test_page_changes_have_their_own_limit_and_keep_the_page(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_RATELIMIT_PAGES"] = "2 per minute"
    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    form.press("next", {"access__seating": "3"})
    refused = form.press("next", {"procedure__fees_lawful": "5"})
    retry_after(refused, 60)
    html = refused.get_data(as_text=True)
    assert "Phần 3/9" in html and _checked(html, "procedure__fees_lawful", "5")
    assert form.press("send", {"procedure__fees_lawful": "5"}).status_code == 303  # sending is not a page change
    assert _answers(app) == {"overall": [4], "access.seating": [3], "procedure.fees_lawful": [5]}


# --- receipt codes and old codes ------------------------------------------------------------------------


def test_a_receipt_code_goes_through_every_page(app: Flask, client: FlaskClient, points: Any) -> None:
    with app.app_context():
        (token,) = token_svc.issue(db.session.scalar(select(ServicePoint).filter_by(code="mc-1")), 1)
        db.session.commit()
    form = open_paged(app, client, f"/s/mc-1?t={quote(token)}")
    assert form.hidden["t"] == token
    response = form.press("next", {"overall": "5"})
    assert parse_qs(urlsplit(response.headers["Location"]).query)["t"] == [token]
    assert form.hidden["t"] == token
    assert form.press("send", {"access__seating": "5"}).status_code == 303
    (row,) = stored(app)
    assert row.verified and not row.flagged
    assert token_rows(app)[0].response_id == row.id
    again = client.get(f"/s/mc-1?k={quote(form.hidden['submission_key'])}&p=2&t={quote(token)}")
    assert again.status_code == 409  # the code is used: said so, nothing shown
    assert _page_counts(app)[2] == (1, 1)


def test_a_form_started_before_its_code_was_replaced_goes_on_at_the_old_address(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client, "/s/mc-2")
    form.press("next", {"overall": "4"})
    new_code = _rotate(app, "mc-2")
    response = form.press("next", {"access__seating": "5"})
    assert response.status_code == 303 and urlsplit(response.headers["Location"]).path == "/s/mc-2"
    assert form.step == (3, PAGES) and new_code not in form.html
    assert client.get("/s/mc-2").status_code == 410  # a fresh visit to the old code: the notice
    done = form.press("send", {"procedure__fees_lawful": "4"})
    assert done.headers["Location"].endswith(f"/s/{new_code}/cam-on")
    (row,) = stored(app)
    assert row.flag_reason == "gửi qua mã QR cũ đã được thay"
    assert _answers(app) == {"overall": [4], "access.seating": [5], "procedure.fees_lawful": [4]}


def test_the_language_chosen_on_the_first_page_holds_and_a_page_switches_without_losing_the_form(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_paged(app, client, "/s/mc-1?lang=en")
    assert "Overall, how satisfied" in form.html
    form.press("next", {"overall": "4"})
    assert "Part 2/9" in form.html and "Access to the service" in form.html and "Continue" in form.html
    key = form.hidden["submission_key"]
    back = client.get(f"/s/mc-1?k={quote(key)}&p=1&lang=vi").get_data(as_text=True)
    assert "Phần 1/9" in back and _checked(back, "overall", "4")


def test_the_old_single_page_form_is_still_taken_whole(app: Flask, client: FlaskClient, points: Any) -> None:
    """A page loaded before the paged form was deployed posts every answer at once, without `page`."""
    form = open_paged(app, client)
    del form.hidden["page"]
    response = client.post("/s/mc-1", data={**form.hidden, "overall": "4", "access__seating": "5",
                                            "feedback__notified": "3", "comment": "Cả trang"})
    assert response.status_code == 303
    assert stored(app)[0].comment == "Cả trang"
    assert _page_counts(app) == {}  # not a paged form: no page counts


# --- keeping drafts for a day at most ------------------------------------------------------------------


def _age(app: Flask, hours: float) -> None:
    """Make every draft look untouched for `hours`."""
    with app.app_context():
        for draft in db.session.scalars(select(FormDraft)):
            draft.updated_at = datetime.now(UTC) - timedelta(hours=hours)
        db.session.commit()


def test_drafts_untouched_for_a_day_are_purged_and_their_counts_stay(
    app: Flask, client: FlaskClient, points: Any, runner: Any
) -> None:
    old = open_paged(app, app.test_client())
    old.press("next", {"overall": "1"})
    _age(app, 25)
    recent = open_paged(app, app.test_client())
    recent.press("next", {"overall": "5"})  # a new draft purges its ward's old ones
    assert [d.answers for d in _drafts(app)] == [{"overall": ["5"]}]
    assert _page_counts(app) == {1: (2, 0), 2: (2, 0)}
    # The old form's later pages now show a fresh form; its next press starts a new draft from page 1.
    stale = client.get(f"/s/mc-1?k={quote(old.hidden['submission_key'])}&p=2")
    assert "Phần 1/9" in stale.get_data(as_text=True)
    _age(app, 23)
    result = runner.invoke(args=["drafts", "purge"])
    assert result.exit_code == 0 and "Đã xóa 0 bản nháp" in result.output
    _age(app, 24.5)
    result = runner.invoke(args=["drafts", "purge"])
    assert result.exit_code == 0 and "Đã xóa 1 bản nháp chưa gửi quá 24 giờ." in result.output
    assert _drafts(app) == [] and _page_counts(app) == {1: (2, 0), 2: (2, 0)}


def test_the_keeping_time_is_a_setting(app: Flask, client: FlaskClient, points: Any, runner: Any) -> None:
    open_paged(app, client).press("next", {"overall": "3"})
    _age(app, 3)
    app.config["HAILONG_DRAFT_HOURS"] = "2"
    result = runner.invoke(args=["drafts", "purge"])
    assert "Đã xóa 1 bản nháp chưa gửi quá 2 giờ." in result.output


def test_a_stored_response_is_thanked_even_if_its_draft_cannot_be_finished(
    app: Flask, client: FlaskClient, points: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from hailong.survey.services import drafts as draft_svc

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("UPDATE", {}, Exception("database is locked"))

    form = open_paged(app, client)
    form.press("next", {"overall": "4"})
    monkeypatch.setattr(draft_svc, "finish", broken)
    done = form.press("send", {"access__seating": "5"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/cam-on")
    assert counts(app)[0] == 1
    assert len(_drafts(app)) == 1  # left for the purge


def test_another_way_in_reuses_the_paged_form_with_its_own_channel(app: Flask, points: Any) -> None:
    """A kiosk (issue 12, part 2) adds a route and a style: same pages, drafts and checks, its own channel."""
    from hailong.survey.respond import views

    app.add_url_rule("/k/<code>", endpoint="kiosk", view_func=views.serve_form, methods=["GET", "POST"])
    views.STYLES["kiosk"] = views.FormStyle("kiosk", "respond/form.html", "kiosk", "respond.thanks")
    try:
        form = open_paged(app, app.test_client(), "/k/mc-1")
        assert 'action="/k/mc-1"' in form.html
        response = form.press("next", {"overall": "5"})
        assert urlsplit(response.headers["Location"]).path == "/k/mc-1" and form.step == (2, PAGES)
        assert form.press("send", {"access__seating": "4"}).status_code == 303
        (row,) = stored(app)
        assert row.channel == "kiosk"
        assert _answers(app) == {"overall": [5], "access.seating": [4]}
    finally:
        del views.STYLES["kiosk"]

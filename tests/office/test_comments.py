"""Comments: newest first with point and overall score, searchable with literal wildcards, escaped, handled, flagged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from hailong.analysis.periods import parse_period
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, Submission
from hailong.survey.services import comments as comment_svc
from hailong.survey.services import stats
from tests.fixtures.office import Q1_DAY, token

Q1 = "period=2026-Q1"


def _texts(html: str) -> list[str]:
    return [part.split("</blockquote>", 1)[0] for part in html.split('<blockquote class="comment-text">')[1:]]


def test_newest_first_with_point_and_overall_score(login: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("mc-1", 1, 2, when=Q1_DAY, comment="cũ hơn")
    add_responses("tram-y-te", 1, 5, when=Q1_DAY + timedelta(days=3), comment="mới hơn")
    add_responses("mc-2", 1, 4, when=Q1_DAY + timedelta(days=1))  # no comment: not listed
    html = login("reviewer").get(f"/office/comments?{Q1}").get_data(as_text=True)
    assert _texts(html) == ["mới hơn", "cũ hơn"]
    assert "Trạm Y tế phường An Tường" in html
    assert "<strong>5/5</strong> (Rất hài lòng)" in html
    assert "<strong>2/5</strong> (Không hài lòng)" in html
    assert "13/02/2026 09:30" in html  # local time
    assert "Tìm thấy 2 ý kiến." in html


def test_search_treats_wildcards_literally(login: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("mc-1", 1, 5, comment="Hài lòng 100% với cán bộ")
    add_responses("mc-1", 1, 5, comment="Hài lòng với cán bộ")
    add_responses("mc-1", 1, 5, comment="mã_số rõ ràng")
    add_responses("mc-1", 1, 5, comment="mãXsố rõ ràng")
    client = login("reviewer")
    assert _texts(client.get(f"/office/comments?{Q1}&q=%25").get_data(as_text=True)) == ["Hài lòng 100% với cán bộ"]
    assert _texts(client.get(f"/office/comments?{Q1}&q=_").get_data(as_text=True)) == ["mã_số rõ ràng"]
    assert len(_texts(client.get(f"/office/comments?{Q1}&q=cán bộ").get_data(as_text=True))) == 2
    assert _texts(client.get(f"/office/comments?{Q1}&q=không có").get_data(as_text=True)) == []


def test_like_pattern_escapes_wildcards() -> None:
    assert comment_svc.like_pattern("50%_a\\b") == "%50\\%\\_a\\\\b%"


def test_comments_are_escaped(login: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("mc-1", 1, 1, comment='<script>alert("x")</script> & <b>đậm</b>')
    html = login("admin").get(f"/office/comments?{Q1}").get_data(as_text=True)
    assert "<script>alert" not in html and "<b>đậm</b>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;đậm&lt;/b&gt;" in html


def test_mark_handled_with_note_is_audited(login: Any, app: Flask, add_responses: Callable[..., list[int]]) -> None:
    (rid,) = add_responses("mc-1", 1, 2, comment="Phòng chờ nóng")
    client = login("reviewer")
    back = f"/office/comments?{Q1}&status=open"
    response = client.post(f"/office/comments/{rid}/handled", data={
        "csrf_token": token(client), "note": "Đã lắp thêm quạt", "next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    assert "Phòng chờ nóng" not in client.get(back).get_data(as_text=True)
    handled = client.get(f"/office/comments?{Q1}&status=handled").get_data(as_text=True)
    assert "Phòng chờ nóng" in handled and "Đã lắp thêm quạt" in handled
    with app.app_context():
        r = _db.session.get(Submission, rid)
        assert r is not None and r.comment_handled and r.comment_note == "Đã lắp thêm quạt"
        event = _db.session.scalars(select(AuditEvent).filter_by(action="comment.handled")).one()
        assert event.actor == "reviewer" and event.target == f"response:{rid}"
    # Reopen.
    client.post(f"/office/comments/{rid}/handled", data={"csrf_token": token(client), "action": "reopen"})
    with app.app_context():
        r = _db.session.get(Submission, rid)
        assert r is not None and not r.comment_handled


def test_note_too_long_or_bad_next_is_handled(login: Any, add_responses: Callable[..., list[int]]) -> None:
    (rid,) = add_responses("mc-1", 1, 2, comment="x")
    client = login("reviewer")
    response = client.post(f"/office/comments/{rid}/handled", data={"csrf_token": token(client), "note": "a" * 501})
    assert response.status_code == 400
    assert "Ghi chú tối đa 500 ký tự." in response.get_data(as_text=True)
    response = client.post(f"/office/comments/{rid}/handled", data={
        "csrf_token": token(client), "note": "ok", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/office/comments"
    assert client.post("/office/comments/99999/handled", data={"csrf_token": token(client)}).status_code == 404


def test_flag_excludes_from_indices_reversibly_and_audited(
    login: Any, app: Flask, add_responses: Callable[..., list[int]]
) -> None:
    add_responses("mc-1", 30, 5)
    (rid,) = add_responses("mc-1", 1, 1, comment="spam spam")
    period = parse_period("2026-Q1")

    def responses_counted() -> int:
        with app.app_context():
            return int(stats.compute(stats.Filter(period, "onestop"))["responses"])

    assert responses_counted() == 31
    client = login("reviewer")
    assert client.post(f"/office/responses/{rid}/flag", data={"csrf_token": token(client), "reason": ""}
                       ).status_code == 400
    response = client.post(f"/office/responses/{rid}/flag",
                           data={"csrf_token": token(client), "reason": "Gửi lặp, nghi ngờ"})
    assert response.status_code == 303
    assert responses_counted() == 30
    html = client.get(f"/office/comments?{Q1}&status=flagged").get_data(as_text=True)
    assert "spam spam" in html and "Gửi lặp, nghi ngờ" in html and "Bỏ gắn cờ" in html
    client.post(f"/office/responses/{rid}/unflag", data={"csrf_token": token(client)})
    assert responses_counted() == 31
    with app.app_context():
        kept = _db.session.get(Submission, rid)
        assert kept is not None and not kept.flagged and kept.comment == "spam spam"
        actions = [e.action for e in _db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions[-2:] == ["response.flagged", "response.unflagged"]


def test_search_service_pages(app: Flask, points: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("mc-1", 7, 4, comment="giống nhau")
    with app.app_context():
        page = comment_svc.search(parse_period("2026-Q1"), text="giống", per_page=3, page=3)
        assert (page.page, page.pages, page.total, len(page.rows)) == (3, 3, 7, 1)
        assert page.rows[0].overall == 4
        stored = page.rows[0].submitted_at
        assert (stored if stored.tzinfo else stored.replace(tzinfo=UTC)) == Q1_DAY

"""The citizen form under bad input: a clear Vietnamese message and a 4xx, answers kept, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.models import ServicePoint, Submission
from hailong.survey.services import points as point_svc
from tests.fixtures.citizen import VALID, counts, open_form, stored


def _checked(html: str, name: str, value: str) -> bool:
    return f'name="{name}" value="{value}" checked' in html


def test_valid_answer_is_stored_once_and_thanked(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/s/mc-1/cam-on")
    rows = stored(app)
    assert len(rows) == 1
    assert rows[0].comment == "Cán bộ nhiệt tình."
    assert not rows[0].flagged and not rows[0].verified
    assert client.get(response.headers["Location"]).status_code == 200


@pytest.mark.parametrize("value", ["7", "0", "-1", "abc", "4.5", "５"])
def test_bad_scale_value_is_422_at_the_field_and_keeps_answers(
    app: Flask, client: FlaskClient, points: Any, value: str
) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "staff__polite": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="staff__polite-error"' in html
    assert "Giá trị không hợp lệ" in html
    assert "Phiếu chưa gửi được" in html
    # The other answers are still there.
    assert _checked(html, "access__seating", "5")
    assert _checked(html, "overall", "4")
    assert "Cán bộ nhiệt tình." in html
    assert counts(app) == (0, 0)


def test_two_values_for_one_question_is_422(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "overall": ["4", "5"]})
    assert response.status_code == 422
    assert "Chỉ được chọn một câu trả lời." in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_unknown_option_is_422(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "expect": ["more_online", "free_lunch"]})
    assert response.status_code == 422
    assert "Có lựa chọn không hợp lệ." in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    ("value", "message"),
    [("abc", "Vui lòng nhập một số nguyên."), ("250", "Vui lòng nhập một số từ 0 đến 200."),
     ("-5", "Vui lòng nhập một số từ 0 đến 200."), ("1e3", "Vui lòng nhập một số nguyên.")],
)
def test_bad_number_is_422_with_message(app: Flask, client: FlaskClient, points: Any, value: str, message: str) -> None:
    form = open_form(app, client, "/s/tram-y-te").backdate()
    response = form.post({"overall": "5", "g1_expect_pct": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert 'id="g1_expect_pct-error"' in html
    assert _checked(html, "overall", "5")
    assert counts(app) == (0, 0)


def test_missing_csrf_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    del form.hidden["csrf_token"]
    response = form.post()
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_forged_csrf_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    form.hidden["csrf_token"] = "IjAwMDAi.forged.token"
    assert form.post().status_code == 400
    assert counts(app) == (0, 0)


def test_expired_csrf_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    app.config["WTF_CSRF_TIME_LIMIT"] = -1  # any token is older than that
    response = form.post()
    assert response.status_code == 400
    assert "Phiên làm việc đã hết hạn" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_csrf_from_another_browser_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    other = app.test_client()
    response = other.post(form.url, data={**form.hidden, **VALID})
    assert response.status_code == 400
    assert counts(app) == (0, 0)


def test_unknown_field_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "phone_number": "0912345678"})
    assert response.status_code == 400
    assert "trường không hợp lệ" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_comment_over_the_limit_is_422_and_kept(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    long_comment = "Rất tốt. " * 120  # 1,080 characters > 1,000
    response = form.post({**VALID, "comment": long_comment})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Ý kiến dài quá 1000 ký tự" in html
    assert long_comment.strip() in html
    assert counts(app) == (0, 0)


def test_comment_at_the_limit_is_stored(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    comment = "ả" * 1000
    assert form.post({**VALID, "comment": comment}).status_code == 303
    assert stored(app)[0].comment == comment


@pytest.mark.parametrize("raw", [b"comment=%FF%FE", b"comment=\xff\xfe", b"overall=4&comment=C%C3"])
def test_non_utf8_body_is_400(app: Flask, client: FlaskClient, points: Any, raw: bytes) -> None:
    from urllib.parse import urlencode

    form = open_form(app, client).backdate()
    body = urlencode(form.hidden).encode() + b"&" + raw
    response = client.post(form.url, data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert "UTF-8" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_body_that_is_not_a_form_is_400(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = client.post(form.url, data=b'{"overall": 5}', content_type="application/json")
    assert response.status_code == 400
    assert counts(app) == (0, 0)


@pytest.mark.parametrize(
    "path",
    [
        "/s/..%2F..%2Fetc%2Fpasswd",
        "/s/%2e%2e",
        "/s/mc-1'%20OR%20'1'='1",
        "/s/mc-1;DROP%20TABLE%20responses",
        "/s/MC-1",
        "/s/" + "a" * 300,
        "/s/mc-1%00",
        "/s/%F0%9F%98%80",
    ],
)
def test_path_or_sql_like_point_code_is_404(app: Flask, client: FlaskClient, points: Any, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.get_data(as_text=True)
    assert client.post(path, data=VALID).status_code in (400, 404)
    assert counts(app) == (0, 0)


def test_html_comment_is_stored_exactly_and_shown_escaped(app: Flask, client: FlaskClient, points: Any) -> None:
    evil = "<script>alert('x')</script> & <b>đậm</b> \"trích\" =SUM(A1)"
    form = open_form(app, client).backdate()
    # First with a bad answer: the page shows the comment back, escaped.
    response = form.post({**VALID, "overall": "9", "comment": evil})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(" in html
    # Then corrected: stored exactly as typed.
    assert form.post({**VALID, "comment": evil}).status_code == 303
    assert stored(app)[0].comment == evil


def test_double_tap_stores_one_response(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    first = form.post()
    second = form.post()
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert counts(app)[0] == 1


def test_unknown_point_is_a_friendly_404(app: Flask, client: FlaskClient, points: Any) -> None:
    response = client.get("/s/khong-co")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "Vui lòng kiểm tra lại mã QR" in html
    assert "Traceback" not in html


def test_deactivated_point_is_404_and_stores_nothing(app: Flask, client: FlaskClient, points: Any, db: Any) -> None:
    form = open_form(app, client).backdate()
    point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
    point.active = False
    db.session.commit()
    assert client.get("/s/mc-1").status_code == 404
    assert form.post().status_code == 404
    assert counts(app) == (0, 0)


def test_retired_code_shows_the_old_qr_page(app: Flask, client: FlaskClient, points: Any, db: Any) -> None:
    form = open_form(app, client, "/s/mc-2").backdate()
    point = db.session.scalar(select(ServicePoint).filter_by(code="mc-2"))
    new_code = point_svc.rotate(point)
    db.session.commit()
    response = client.get("/s/mc-2")
    assert response.status_code == 410
    assert "Mã QR này đã được thay" in response.get_data(as_text=True)
    assert client.get(f"/s/{new_code}").status_code == 200
    assert counts(app) == (0, 0)
    # A form opened before the change is not lost: stored for the point, flagged for review.
    done = form.post()
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/s/{new_code}/cam-on")
    (row,) = stored(app)
    assert row.flag_reason == "gửi qua mã QR cũ đã được thay"


def test_retired_code_of_a_deactivated_point_stores_nothing(app: Flask, client: FlaskClient, points: Any, db: Any
                                                            ) -> None:
    form = open_form(app, client, "/s/mc-2").backdate()
    point = db.session.scalar(select(ServicePoint).filter_by(code="mc-2"))
    point_svc.rotate(point)
    point.active = False
    db.session.commit()
    assert form.post().status_code == 410
    assert counts(app) == (0, 0)


def test_english_switch(app: Flask, client: FlaskClient, points: Any) -> None:
    response = client.get("/s/mc-1?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "Overall, how satisfied are you with the service here?" in html
    assert 'href="?lang=vi"' in html
    # Remembered for the next page, and switched back.
    assert '<html lang="en">' in client.get("/s/mc-1").get_data(as_text=True)
    assert '<html lang="vi">' in client.get("/s/mc-1?lang=vi").get_data(as_text=True)


def test_english_form_submits(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client, "/s/mc-1?lang=en").backdate()
    assert form.post().status_code == 303
    assert counts(app)[0] == 1


def test_get_with_unexpected_query_is_fine(app: Flask, client: FlaskClient, points: Any) -> None:
    assert client.get("/s/mc-1?utm_source=zalo&lang=xx").status_code == 200


def test_rejected_posts_store_nothing_at_all(app: Flask, client: FlaskClient, points: Any, db: Any) -> None:
    form = open_form(app, client).backdate()
    bad = [
        {**VALID, "overall": "6"},
        {**VALID, "unknown": "1"},
        {**VALID, "comment": "x" * 1001},
        {**VALID, "submission_key": "k" * 65},
    ]
    for data in bad:
        assert 400 <= form.post(data).status_code < 500
    assert counts(app) == (0, 0)
    assert db.session.scalar(select(Submission.id)) is None

"""Hostile and careless input at the citizen form (issue 10): nothing a citizen typed is lost or silently altered.

Every refusal is a 4xx with a Vietnamese message and the form back with the answers kept; nothing invalid reaches
the database, with the same answers on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import secrets
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db
from hailong.survey.models import ServicePoint
from hailong.survey.services import antiabuse
from hailong.survey.services import points as point_svc
from hailong.survey.services import tokens as token_svc
from tests.fixtures.citizen import VALID, FormPage, counts, open_form, stored, token_rows


def _checked(html: str, name: str, value: str) -> bool:
    return f'name="{name}" value="{value}" checked' in html


def _answers_kept(html: str, comment: str = "Cán bộ nhiệt tình.") -> None:
    """The page is the form again with the VALID answers still chosen and the comment still typed."""
    assert 'action="/s/mc-1"' in html
    assert _checked(html, "access__seating", "5")
    assert _checked(html, "overall", "4")
    assert 'value="more_online" checked' in html and 'value="shorter_time" checked' in html
    assert f"{comment}</textarea>" in html


def _multipart(form: FormPage, data: dict[str, Any]) -> Any:
    return form.client.post(form.url, data={**form.hidden, **data}, content_type="multipart/form-data")


def _raw(form: FormPage, body: bytes, content_type: str) -> Any:
    return form.client.post(form.url, data=body, content_type=content_type)


def _rotate(app: Flask, code: str) -> str:
    with app.app_context():
        new_code = point_svc.rotate(db.session.scalar(select(ServicePoint).filter_by(code=code)))
        db.session.commit()
    return new_code


def _issue(app: Flask, code: str = "mc-1") -> str:
    with app.app_context():
        (token,) = token_svc.issue(db.session.scalar(select(ServicePoint).filter_by(code=code)), 1)
        db.session.commit()
    return token


# --- item 3: control characters ---------------------------------------------------------------


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f"])
def test_control_character_in_comment_is_refused_and_shown_cleaned(
    app: Flask, client: FlaskClient, points: Any, control: str
) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "comment": f"Cán bộ{control} nhiệt tình."})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert control not in html
    _answers_kept(html)  # the comment is shown without the character, for the citizen to confirm
    assert 'id="comment-error"' in html and "ký tự điều khiển" in html
    assert counts(app) == (0, 0)
    # Sent again as shown: stored exactly as the citizen saw it.
    assert form.post().status_code == 303
    assert stored(app)[0].comment == "Cán bộ nhiệt tình."


def test_control_character_in_a_number_is_refused_and_not_echoed(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client, "/s/tram-y-te").backdate()
    response = form.post({"overall": "5", "g1_expect_pct": "9\x010"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "\x01" not in html and 'value="90"' in html
    assert 'id="g1_expect_pct-error"' in html
    assert counts(app) == (0, 0)


def test_control_character_in_a_choice_is_refused(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "overall": "4\x00"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "\x00" not in html and 'id="overall-error"' in html
    assert counts(app) == (0, 0)


def test_line_breaks_are_stored_as_the_citizen_typed_them(app: Flask, client: FlaskClient, points: Any) -> None:
    """A browser sends every line break of a textarea as CRLF; the citizen typed (and saw) one line break."""
    form = open_form(app, client).backdate()
    assert form.post({**VALID, "comment": "Dòng 1\r\nDòng 2\rDòng 3\nCột\tB"}).status_code == 303
    assert stored(app)[0].comment == "Dòng 1\nDòng 2\nDòng 3\nCột\tB"


def test_comment_at_the_limit_with_line_breaks_is_stored(app: Flask, client: FlaskClient, points: Any) -> None:
    """The browser's maxlength counts a line break as one character, so the server must too."""
    form = open_form(app, client).backdate()
    typed = "a" * 499 + "\n" + "b" * 500  # 1,000 characters in the textarea
    assert form.post({**VALID, "comment": typed.replace("\n", "\r\n")}).status_code == 303
    assert stored(app)[0].comment == typed


# --- item 4: file parts -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["comment", "website", "submission_key", "started", "t", "overall", "gender",
                                   "expect", "csrf_token"])
def test_a_field_sent_as_a_file_is_a_4xx_with_the_answers_kept(
    app: Flask, client: FlaskClient, points: Any, field: str
) -> None:
    form = open_form(app, client).backdate()
    data = {k: v for k, v in VALID.items() if k != field}
    data[field] = (io.BytesIO(b"4"), "answer.txt")
    response = _multipart(form, data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "tệp" in html
    assert _checked(html, "access__seating", "5")
    if field != "comment":
        assert "Cán bộ nhiệt tình.</textarea>" in html
    assert counts(app) == (0, 0)


def test_multipart_answers_without_files_are_stored(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    assert _multipart(form, VALID).status_code == 303
    assert stored(app)[0].comment == "Cán bộ nhiệt tình."


# --- item 5: service fields are checked before the database sees them ---------------------------


@pytest.mark.parametrize(
    "key",
    ["", "abc\x00def", "k" * 65, "é" * 20, "<script>", "a.b.c", secrets.token_urlsafe(16), "1700000000.AAAA"],
    ids=["empty", "nul", "too-long", "non-ascii", "markup", "dots", "random", "stamp-like"],
)
def test_submission_key_not_issued_by_the_server_is_refused_with_the_answers_kept(
    app: Flask, client: FlaskClient, points: Any, key: str
) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "submission_key": key})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "\x00" not in html
    _answers_kept(html)
    assert "Gửi phiếu" in html and "mã phiếu" in html
    assert counts(app) == (0, 0)


def test_the_form_sent_back_after_a_refused_key_can_be_sent(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    refused = form.post({**VALID, "submission_key": secrets.token_urlsafe(16)})
    assert refused.status_code == 400
    key = form.hidden["submission_key"]
    assert form.read(refused.get_data(as_text=True)).hidden["submission_key"] != key
    assert form.post().status_code == 303
    assert counts(app)[0] == 1


def test_nul_in_honeypot_or_token_never_reaches_the_database(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    assert form.post({**VALID, "t": "abc\x00"}).status_code == 400
    assert counts(app) == (0, 0)
    assert form.post({**VALID, "website": "x\x00y"}).status_code == 303
    (row,) = stored(app)
    assert row.flagged and "\x00" not in (row.flag_reason or "")


# --- item 9: HEAD ----------------------------------------------------------------------------------


def test_head_answers_like_get_on_every_citizen_page(app: Flask, client: FlaskClient, points: Any) -> None:
    token = _issue(app, "mc-2")
    _rotate(app, "mc-3")
    for url in ["/", "/s/mc-1", "/s/mc-1?lang=en", f"/s/mc-2?t={quote(token)}", "/s/mc-1?t=forged",
                "/s/mc-1/cam-on", "/s/khong-co", "/s/khong-co/cam-on", "/s/mc-3", "/s/mc-3/cam-on",
                "/static/site.css"]:
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code, url
        assert head.headers.get("Content-Type") == got.headers.get("Content-Type"), url
        assert head.data == b"", url
        got.close()
        head.close()
    assert client.head("/s/mc-1").status_code == 200
    assert counts(app) == (0, 0)


# --- ballot stuffing by replay --------------------------------------------------------------------


def test_a_loaded_form_stores_one_response_however_often_it_is_posted(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_form(app, client).backdate()
    codes = []
    for _ in range(50):
        client.delete_cookie(antiabuse.SEEN_COOKIE)
        codes.append(form.post({**VALID, "submission_key": secrets.token_urlsafe(16)}).status_code)
    assert set(codes) == {400}
    assert counts(app)[0] == 0
    # The key the server issued with the form: one response, and a replay is thanked without a second row.
    for _ in range(5):
        client.delete_cookie(antiabuse.SEEN_COOKIE)
        assert form.post().status_code == 303
    assert counts(app)[0] == 1


def test_a_form_key_only_works_at_the_point_that_issued_it(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    other = open_form(app, client, "/s/mc-2")
    other.hidden["submission_key"] = form.hidden["submission_key"]
    assert other.post().status_code == 400
    assert counts(app)[0] == 0


def test_fill_time_comes_from_the_form_key(app: Flask, client: FlaskClient, points: Any) -> None:
    """An old signed start time next to a freshly fetched key does not pass the minimum fill time."""
    old = open_form(app, client).backdate(600)
    fresh = open_form(app, client)
    fresh.hidden = {**old.hidden, "submission_key": fresh.hidden["submission_key"],
                    "csrf_token": fresh.hidden["csrf_token"]}
    assert fresh.post().status_code == 303
    assert "gửi quá nhanh" in (stored(app)[0].flag_reason or "")


# --- U+FFFD, undecodable bytes and other refusals keep every answer ----------------------------------


def test_correctly_encoded_replacement_character_is_stored(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    assert form.post({**VALID, "comment": "Máy in hỏng \ufffd ký tự lạ"}).status_code == 303
    client.delete_cookie(antiabuse.SEEN_COOKIE)
    again = open_form(app, client).backdate()
    assert _multipart(again, {**VALID, "comment": "Ổn \ufffd"}).status_code == 303
    assert [r.comment for r in stored(app)] == ["Máy in hỏng \ufffd ký tự lạ", "Ổn \ufffd"]


def test_undecodable_bytes_are_refused_with_every_answer_kept(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    answers = urlencode({**form.hidden, **{k: v for k, v in VALID.items() if k != "comment"}}, doseq=True)
    response = _raw(form, answers.encode() + b"&comment=T%C3%B4t%FF+l%E1%BA%AFm",
                    "application/x-www-form-urlencoded")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "UTF-8" in html
    _answers_kept(html, "Tôt\ufffd lắm")
    assert counts(app) == (0, 0)


def test_undecodable_bytes_in_multipart_are_refused_with_every_answer_kept(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_form(app, client).backdate()
    fields = [*form.hidden.items(), *[(k, v) for k, v in VALID.items() if k not in ("comment", "expect")],
              ("expect", "more_online"), ("expect", "shorter_time")]
    body = b"".join(
        b'--BB\r\nContent-Disposition: form-data; name="%s"\r\n\r\n%s\r\n' % (k.encode(), v.encode())
        for k, v in fields
    ) + b'--BB\r\nContent-Disposition: form-data; name="comment"\r\n\r\nT\xc3\xb4t\xff l\xe1\xba\xafm\r\n--BB--\r\n'
    response = _raw(form, body, "multipart/form-data; boundary=BB")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "UTF-8" in html
    _answers_kept(html, "Tôt\ufffd lắm")
    assert counts(app) == (0, 0)


def test_expired_session_keeps_the_answers(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    app.config["WTF_CSRF_TIME_LIMIT"] = -1
    response = form.post()
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Phiên làm việc đã hết hạn" in html
    _answers_kept(html)
    assert counts(app) == (0, 0)
    app.config["WTF_CSRF_TIME_LIMIT"] = 3600
    assert form.read(html).post().status_code == 303  # the page sent back carries a fresh session token


def test_unknown_field_keeps_the_answers(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    response = form.post({**VALID, "phone_number": "0912345678"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    _answers_kept(html)
    assert "0912345678" not in html
    assert counts(app) == (0, 0)


# --- receipt slips survive a code rotation ----------------------------------------------------------


def test_slip_printed_before_a_rotation_still_opens_the_form(app: Flask, client: FlaskClient, points: Any) -> None:
    token = _issue(app)
    new_code = _rotate(app, "mc-1")
    moved = client.get(f"/s/mc-1?t={quote(token)}")
    assert moved.status_code in (302, 303)
    assert moved.headers["Location"] == f"/s/{new_code}?t={quote(token, safe='')}"
    form = open_form(app, client, moved.headers["Location"]).backdate()
    assert form.status == 200 and form.hidden["t"] == token
    assert form.post().status_code == 303
    (row,) = stored(app)
    assert row.verified and not row.flagged
    assert token_rows(app)[0].used_at is not None
    # Used now: the old printed address says so instead of sending the citizen on.
    assert client.get(f"/s/mc-1?t={quote(token)}").status_code == 409


def test_forged_slip_at_a_retired_code_does_not_reveal_the_new_code(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    other = _issue(app, "mc-2")
    new_code = _rotate(app, "mc-1")
    for bad in ["forged", other]:
        response = client.get(f"/s/mc-1?t={quote(bad)}")
        assert response.status_code == 410
        assert new_code not in response.get_data(as_text=True) and "Location" not in response.headers


def test_slip_form_opened_before_a_rotation_is_stored_verified_unflagged(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    token = _issue(app)
    form = open_form(app, client, f"/s/mc-1?t={quote(token)}").backdate()
    _rotate(app, "mc-1")
    assert form.post().status_code == 303
    (row,) = stored(app)
    assert row.verified and not row.flagged


# --- privacy: submission times to the minute -------------------------------------------------------


def test_submission_time_is_stored_to_the_minute(app: Flask, client: FlaskClient, points: Any) -> None:
    assert open_form(app, client).backdate().post().status_code == 303
    token = _issue(app)
    assert open_form(app, app.test_client(), f"/s/mc-1?t={quote(token)}").backdate().post().status_code == 303
    for row in stored(app):
        assert (row.submitted_at.second, row.submitted_at.microsecond) == (0, 0)


def test_a_refusal_at_a_retired_code_does_not_reveal_the_new_code(
    app: Flask, client: FlaskClient, points: Any
) -> None:
    form = open_form(app, client).backdate()
    new_code = _rotate(app, "mc-1")
    for data in [{**VALID, "submission_key": secrets.token_urlsafe(16)}, {**VALID, "overall": "9"}]:
        response = form.post(data)
        assert 400 <= response.status_code < 500
        html = response.get_data(as_text=True)
        assert new_code not in html and 'action="/s/mc-1"' in html
    # Sent again from there, the answer is kept and flagged as coming through the old code.
    assert form.post().status_code == 303
    assert stored(app)[0].flag_reason == "gửi qua mã QR cũ đã được thay"

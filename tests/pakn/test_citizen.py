"""The citizen's PAKN pages: the form of a point, the tracking pages, rating and reopening, abuse limits, and the
thank-you page's offer."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hailong.survey.extensions import db
from hailong.survey.models import Organisation, PaknItem, PaknStatus
from hailong.survey.services import pakn
from hailong.survey.services import points as point_svc
from tests.fixtures.pages import CSRF_RE, retry_after

KEY_RE = re.compile(r'name="form_key" value="([^"]+)"')
LOCATION_RE = re.compile(r"/tra-cuu/([0-9A-Z]{5}-[0-9A-Z]{5})\?moi=1$")


@pytest.fixture
def site(app: Flask) -> Flask:
    with app.app_context():
        point_svc.ensure_demo_points(db.session.scalars(select(Organisation)).one())
        db.session.commit()
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    return app


def _open(client: FlaskClient, url: str = "/s/mc-1/phan-anh") -> dict[str, str]:
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    csrf, key = CSRF_RE.search(html), KEY_RE.search(html)
    assert csrf and key
    return {"csrf_token": csrf.group(1), "form_key": key.group(1)}


def _count(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(PaknItem.id))) or 0


def _send(client: FlaskClient, **fields: str) -> Any:
    hidden = _open(client)
    data = {**hidden, "category": "thai_do", "text": "Cán bộ trả lời cộc lốc.", **fields}
    return client.post("/s/mc-1/phan-anh", data=data)


def _code(sent: Any) -> str:
    match = LOCATION_RE.search(sent.headers["Location"])
    assert match, sent.headers.get("Location")
    return match.group(1)


def test_form_sends_an_item_and_lands_on_its_tracking_page(site: Flask, client: FlaskClient) -> None:
    page = client.get("/s/mc-1/phan-anh").get_data(as_text=True)
    assert "Thủ tục hành chính" in page and "Tôi đồng ý" in page and "<script" not in page
    sent = _send(client, contact_name="Phạm Thị Dung", contact_email="dung@example.com", consent="yes")
    assert sent.status_code == 303
    match = LOCATION_RE.search(sent.headers["Location"])
    assert match
    shown = client.get(sent.headers["Location"])
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and match.group(1) in html and "Mới tiếp nhận" in html
    assert shown.headers["Cache-Control"] == "no-store"
    assert "dung@example.com" not in html and "Phạm Thị Dung" not in html
    with site.app_context():
        item = db.session.scalars(select(PaknItem)).one()
        assert item.contact_email == "dung@example.com" and item.consent_at is not None and not item.flagged
        assert item.channel == "form" and item.point_id is not None


def test_a_retried_post_is_one_item_with_the_same_code(site: Flask, client: FlaskClient) -> None:
    hidden = _open(client)
    data = {**hidden, "category": "khac", "text": "Gửi hai lần"}
    first = client.post("/s/mc-1/phan-anh", data=data)
    second = client.post("/s/mc-1/phan-anh", data=data)
    assert first.headers["Location"] == second.headers["Location"]
    assert _count(site) == 1


def test_contact_without_consent_comes_back_with_the_text_kept(site: Flask, client: FlaskClient) -> None:
    back = _send(client, contact_phone="0912345678", text="Nội dung quan trọng")
    html = back.get_data(as_text=True)
    assert back.status_code == 422 and "Nội dung quan trọng" in html and "0912345678" in html
    assert "đánh dấu ô đồng ý" in html
    assert _count(site) == 0


def test_missing_csrf_or_forged_key_stores_nothing(site: Flask, client: FlaskClient) -> None:
    _open(client)
    no_csrf = client.post("/s/mc-1/phan-anh", data={"category": "khac", "text": "Xin giữ lại"})
    assert no_csrf.status_code == 400 and "Xin giữ lại" in no_csrf.get_data(as_text=True)
    hidden = _open(client)
    forged = client.post("/s/mc-1/phan-anh", data={**hidden, "form_key": "x", "category": "khac", "text": "Giả"})
    assert forged.status_code == 400
    extra = client.post("/s/mc-1/phan-anh", data={**_open(client), "category": "khac", "text": "a", "admin": "1"})
    assert extra.status_code == 400
    assert _count(site) == 0
    assert client.get("/s/khong-co/phan-anh").status_code == 404


def test_honeypot_and_speed_flag_but_keep(site: Flask, client: FlaskClient) -> None:
    site.config["HAILONG_MIN_FILL_SECONDS"] = 60
    assert _send(client, website="http://spam.example").status_code == 303
    with site.app_context():
        item = db.session.scalars(select(PaknItem)).one()
        assert item.flagged and item.flag_reason and "trường ẩn" in item.flag_reason and "nhanh" in item.flag_reason


def test_lookup_and_unknown_codes(site: Flask, client: FlaskClient) -> None:
    code = _code(_send(client))
    assert client.get("/tra-cuu").status_code == 200
    token = CSRF_RE.search(client.get("/tra-cuu").get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    found = client.post("/tra-cuu", data={"csrf_token": token, "code": code.lower().replace("-", " ")})
    assert found.status_code == 303 and found.headers["Location"].endswith(f"/tra-cuu/{code}")
    missing = client.post("/tra-cuu", data={"csrf_token": token, "code": "AAAAA-AAAAA"})
    assert missing.status_code == 404 and "Không tìm thấy phản ánh" in missing.get_data(as_text=True)
    assert client.get("/tra-cuu/AAAAA-AAAAA").status_code == 404
    assert client.get("/tra-cuu/%00%01").status_code == 404


def test_another_code_shows_nothing_of_this_item(site: Flask, client: FlaskClient) -> None:
    mine = _code(_send(client, text="Bí mật của tôi: cổng sau hỏng"))
    other = _code(_send(client, text="Việc của người khác"))
    page = client.get(f"/tra-cuu/{other}").get_data(as_text=True)
    assert "Việc của người khác" in page
    assert "Bí mật của tôi" not in page and mine not in page


def test_guessing_is_rate_limited_but_real_lookups_are_not(site: Flask, client: FlaskClient) -> None:
    site.config["HAILONG_RATELIMIT_TRACKING"] = "3 per minute"
    code = _code(_send(client))
    for _ in range(5):
        assert client.get(f"/tra-cuu/{code}").status_code == 200
    for guess in ("AAAAA-AAAA1", "AAAAA-AAAA2", "AAAAA-AAAA3"):
        assert client.get(f"/tra-cuu/{guess}").status_code == 404
    refused = client.get("/tra-cuu/AAAAA-AAAA4")
    retry_after(refused, 60)
    assert "Quá nhiều yêu cầu" in refused.get_data(as_text=True)
    retry_after(client.get(f"/tra-cuu/{code}"), 60)


def _publish(site: Flask, code: str) -> None:
    with site.app_context():
        item = pakn.find_by_code(code)
        assert item is not None
        ward = db.session.scalars(select(Organisation)).one()
        pakn.save_unit(ward.id, "admin", "motcua", "Bộ phận một cửa", "", False)
        admin = pakn.Actor("admin", "admin")
        pakn.classify(item, admin, "accept")
        pakn.assign(item, admin, "motcua")
        pakn.save_draft(item, admin, "Đã nhắc nhở cán bộ, gọi 0912 345 678 nếu cần.", submit=True)
        pakn.publish(item, admin, pakn.masked(item, item.text), item.draft_reply or "")
        db.session.commit()


def test_rate_once_then_reopen(site: Flask, client: FlaskClient) -> None:
    code = _code(_send(client))
    _publish(site, code)
    page = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert "Trả lời của phường" in page and "[đã ẩn]" in page and "0912" not in page
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    assert client.post(f"/tra-cuu/{code}/danh-gia", data={"csrf_token": token, "rating": "maybe"}).status_code == 400
    rated = client.post(f"/tra-cuu/{code}/danh-gia", data={"csrf_token": token, "rating": "unsatisfied",
                                                           "reason": "Chưa rõ"})
    assert rated.status_code == 200 and "Cảm ơn Ông/Bà đã đánh giá" in rated.get_data(as_text=True)
    again = client.post(f"/tra-cuu/{code}/danh-gia", data={"csrf_token": token, "rating": "satisfied"})
    assert again.status_code == 400
    reopened = client.post(f"/tra-cuu/{code}/mo-lai", data={"csrf_token": token, "reason": "Vẫn vậy"})
    assert reopened.status_code == 200
    with site.app_context():
        item = pakn.find_by_code(code)
        assert item is not None and item.status == PaknStatus.REOPENED and item.rating == "unsatisfied"
    assert client.post(f"/tra-cuu/{code}/mo-lai", data={"csrf_token": token}).status_code == 400


def test_thank_you_page_offers_the_form_prominently_after_a_low_score(site: Flask, client: FlaskClient) -> None:
    from tests.fixtures.citizen import VALID, open_form

    form = open_form(site, client, "/s/mc-1")
    low = form.client.post(form.url, data={**form.hidden, **VALID, "staff__polite": "2"})
    assert low.status_code == 303 and low.headers["Location"].endswith("/s/mc-1/cam-on?low=1")
    page = client.get(low.headers["Location"]).get_data(as_text=True)
    assert "Ông/Bà chưa hài lòng?" in page and "/s/mc-1/phan-anh" in page
    plain = client.get("/s/mc-1/cam-on").get_data(as_text=True)
    assert "Ông/Bà chưa hài lòng?" not in plain and "/s/mc-1/phan-anh" in plain



def test_pages_in_english(site: Flask, client: FlaskClient) -> None:
    page = client.get("/s/mc-1/phan-anh?lang=en").get_data(as_text=True)
    assert "Send feedback or a petition" in page and "Administrative procedures" in page
    code = _code(_send(client))
    tracking = client.get(f"/tra-cuu/{code}").get_data(as_text=True)
    assert "Newly received" in tracking and "Reply due" in tracking


def test_over_the_limit_the_form_comes_back_with_the_text(site: Flask, client: FlaskClient) -> None:
    site.config["HAILONG_RATELIMIT_PAKN"] = "1 per minute"
    assert _send(client).status_code == 303
    refused = _send(client, text="Lần thứ hai, xin giữ lại")
    retry_after(refused, 60)
    html = refused.get_data(as_text=True)
    assert "Lần thứ hai, xin giữ lại" in html and "quá nhiều lượt gửi" in html
    assert _count(site) == 1

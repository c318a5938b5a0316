"""The office's PAKN tab: the register and its filters, an item's actions per role (403 on another unit's items),
typed-in items, a comment turned into an item, the settings page and the dashboard's PAKN figures."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, PaknCalendarDay, PaknItem, PaknStatus, ServicePoint, User
from hailong.survey.services import pakn
from tests.fixtures.office import sign_in, token
from tests.fixtures.pages import csrf_of


@pytest.fixture
def items(app: Flask, accounts: dict[str, str], _hashes: dict[str, str]) -> dict[str, int]:
    """Units for one-stop and the primary school, a viewer of each, and one item assigned to each unit."""
    with app.app_context():
        ward = _db.session.scalars(select(Organisation)).one()
        pakn.save_unit(ward.id, "t", "motcua", "Bộ phận một cửa", "", False)
        pakn.save_unit(ward.id, "t", "th-an-tuong", "Trường Tiểu học An Tường", "", False)
        _db.session.add(User(organisation_id=1,
                             username="motcua", password_hash=_hashes["viewer"], role="viewer", unit="motcua",
                             active=True))
        ids = {}
        for code, unit, text in (("mc-1", "motcua", "Gọi tôi 0912 345 678, Nguyễn Văn An"),
                                 ("th-an-tuong", "th-an-tuong", "Sân trường ngập nước")):
            point = _db.session.scalars(select(ServicePoint).filter_by(code=code)).one()
            item, _code = pakn.register(pakn.Intake(
                ward=ward, category="khac", text=text, channel="form", received_at=datetime.now(UTC), point=point,
                contact_name="Nguyễn Văn An" if unit == "motcua" else "", consent=unit == "motcua"))
            admin = pakn.Actor("admin", "admin")
            pakn.classify(item, admin, "accept")
            pakn.assign(item, admin, unit)
            ids[unit] = item.id
        _db.session.commit()
        return ids


def _post(client: FlaskClient, url: str, page: str, **data: str) -> Any:
    return client.post(url, data={"csrf_token": token(client, page), **data})


def test_register_is_scoped_per_role(client: FlaskClient, login: Callable[[str], FlaskClient],
                                     items: dict[str, int]) -> None:
    login("reviewer")
    page = client.get("/office/pakn").get_data(as_text=True)
    assert f"#{items['motcua']}" in page and f"#{items['th-an-tuong']}" in page
    assert client.get("/office/pakn?due=overdue&status=assigned&category=khac&channel=form").status_code == 200
    assert client.get("/office/pakn?status=nope").status_code == 400
    assert client.get("/office/pakn?x=1").status_code == 400
    client.post("/office/logout", data={"csrf_token": token(client)})
    login("viewer")  # the primary school's viewer
    page = client.get("/office/pakn").get_data(as_text=True)
    assert f"#{items['th-an-tuong']}" in page and f"#{items['motcua']}" not in page


def test_viewer_of_unit_a_gets_403_on_unit_b_items(client: FlaskClient, login: Callable[[str], FlaskClient],
                                                    items: dict[str, int]) -> None:
    login("viewer")
    other = items["motcua"]
    assert client.get(f"/office/pakn/{other}").status_code == 403
    denied = _post(client, f"/office/pakn/{other}/submit", "/office/pakn", reply="Không phải của tôi")
    assert denied.status_code == 403
    assert client.get("/office/pakn/999999").status_code == 404
    own = client.get(f"/office/pakn/{items['th-an-tuong']}")
    assert own.status_code == 200
    html = own.get_data(as_text=True)
    assert "Soạn trả lời" in html and "Liên hệ (không công khai)" not in html


def test_the_loop_through_the_office(app: Flask, client: FlaskClient, login: Callable[[str], FlaskClient],
                                     items: dict[str, int]) -> None:
    item_id = items["motcua"]
    url = f"/office/pakn/{item_id}"
    sign_in(client, "motcua", "viewer-password-1")
    page = client.get(url).get_data(as_text=True)
    assert "Nguyễn Văn An" in page  # the text as written; the contact block is for staff only
    assert "Liên hệ (không công khai)" not in page
    empty = _post(client, f"{url}/submit", url, reply="  ")
    assert empty.status_code == 400 and "Vui lòng nhập" in empty.get_data(as_text=True)
    sent = _post(client, f"{url}/submit", url, reply="Đã gọi ông Nguyễn Văn An số 0912345678 và khắc phục.")
    assert sent.status_code == 303
    assert _post(client, f"{url}/publish", url, question="x", reply="y").status_code == 403
    client.post("/office/logout", data={"csrf_token": token(client)})
    login("reviewer")
    assert _post(client, f"{url}/publish", url, question="x", reply="y").status_code == 403
    client.post("/office/logout", data={"csrf_token": token(client)})
    login("admin")
    page = client.get(url).get_data(as_text=True)
    assert "Duyệt và công khai" in page
    question = re.search(r'<textarea id="p-question"[^>]*>([^<]*)</textarea>', page)
    reply = re.search(r'<textarea id="p-reply"[^>]*>([^<]*)</textarea>', page)
    assert question and reply
    assert "0912" not in question.group(1) and "Nguyễn Văn An" not in reply.group(1)
    done = _post(client, f"{url}/publish", url, question=question.group(1), reply=reply.group(1))
    assert done.status_code == 303
    with app.app_context():
        item = _db.session.get(PaknItem, item_id)
        assert item is not None and item.status == PaknStatus.PUBLISHED
        assert item.published_reply and "0912345678" not in item.published_reply
    assert _post(client, f"{url}/fly", url).status_code == 404


def test_typed_in_item_gets_a_code_once(app: Flask, client: FlaskClient, login: Callable[[str], FlaskClient],
                                        points: dict[str, int]) -> None:
    login("reviewer")
    bad = _post(client, "/office/pakn/new", "/office/pakn/new", channel="phone", category="khac", text="",
                received_on="2026-13-01")
    assert bad.status_code == 400
    created = _post(client, "/office/pakn/new", "/office/pakn/new", channel="phone", category="thu_tuc",
                    text="Gọi điện hỏi về thủ tục khai sinh", point=str(points["mc-1"]), received_on="2026-11-02",
                    contact_phone="0987 654 321", consent="yes")
    assert created.status_code == 201
    code = re.search(r'<code id="new-code">([0-9A-Z-]+)</code>', created.get_data(as_text=True))
    assert code
    assert client.get(f"/tra-cuu/{code.group(1)}").status_code == 200
    with app.app_context():
        item = _db.session.scalars(select(PaknItem)).one()
        assert item.channel == "phone" and item.received_at.date().isoformat() == "2026-11-02"


def test_comment_becomes_an_item(client: FlaskClient, login: Callable[[str], FlaskClient],
                                 add_responses: Callable[..., list[int]]) -> None:
    (rid,) = add_responses("mc-2", 1, 2, comment="Phải đi lại ba lần mới xong.")
    login("reviewer")
    page = client.get("/office/comments?period=2026-Q1").get_data(as_text=True)
    assert f"/office/comments/{rid}/pakn" in page
    made = client.post(f"/office/comments/{rid}/pakn", data={"csrf_token": csrf_of(page)})
    assert made.status_code == 303 and "/office/pakn/" in made.headers["Location"]
    again = client.post(f"/office/comments/{rid}/pakn", data={"csrf_token": csrf_of(page)})
    assert again.headers["Location"] == made.headers["Location"]
    item = client.get(made.headers["Location"]).get_data(as_text=True)
    assert "Phải đi lại ba lần" in item and f"#{rid}" in item


def test_settings_for_admin_only(app: Flask, client: FlaskClient, login: Callable[[str], FlaskClient],
                                 points: dict[str, int]) -> None:
    login("reviewer")
    assert client.get("/office/pakn/settings").status_code == 403
    client.post("/office/logout", data={"csrf_token": token(client)})
    login("admin")
    page = client.get("/office/pakn/settings").get_data(as_text=True)
    assert "Tết Nguyên Đán" in page and "Công điện 89/CĐ-TTg" in page
    settings = "/office/pakn/settings"
    assert _post(client, f"{settings}/day", settings, day="2026-12-31", working="0", note="Tất niên").status_code == 303
    assert _post(client, f"{settings}/day", settings, day="31/12/2026", working="0").status_code == 400
    assert _post(client, f"{settings}/rule", settings, category="thu_tuc", days="10", working="1").status_code == 303
    assert _post(client, f"{settings}/unit", settings, code="tu-phap", name="TP", email="a@b.vn").status_code == 303
    assert _post(client, f"{settings}/unit", settings, code="Bad Code", name="x").status_code == 400
    assert _post(client, f"{settings}/nope", settings).status_code == 404
    with app.app_context():
        ward = _db.session.scalars(select(Organisation)).one()
        day = _db.session.scalars(select(PaknCalendarDay)).one()
        assert pakn.rules(ward.id)["thu_tuc"] == pakn.Rule(10, True)
        assert pakn.unit_by_code(ward.id, "tu-phap") is not None
        day_id = day.id
    assert _post(client, f"{settings}/day-delete", settings, id=str(day_id)).status_code == 303
    assert _post(client, f"{settings}/day-delete", settings, id=str(day_id)).status_code == 400


def test_dashboard_shows_pakn_numbers(client: FlaskClient, login: Callable[[str], FlaskClient],
                                      items: dict[str, int]) -> None:
    login("admin")
    page = client.get("/office/").get_data(as_text=True)
    assert 'id="pakn-summary"' in page and "Trả lời đúng hạn" in page

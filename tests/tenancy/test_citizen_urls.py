"""Citizens' addresses with several wards: /s/<ward>/<point>, the bare /s/<point> of posters already on the walls,
and the public page per ward."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint
from hailong.survey.services import points as point_svc
from hailong.survey.services import publication
from tests.tenancy.conftest import B_NAME, Wards

A_NAME = "Trung tâm Phục vụ hành chính công - Quầy 1"
B_MC1 = "Quầy một cửa số 1 Minh Xuân"


def test_the_old_poster_keeps_opening_ward_a_after_ward_b_adds_mc_1(client: FlaskClient, two_wards: Wards) -> None:
    old = client.get("/s/mc-1")
    assert old.status_code == 200 and A_NAME in old.get_data(as_text=True)
    b = client.get("/s/minh-xuan/mc-1")
    assert b.status_code == 200 and B_MC1 in b.get_data(as_text=True)
    a = client.get("/s/an-tuong/mc-1")
    assert a.status_code == 200 and A_NAME in a.get_data(as_text=True)
    # A code only ward B has opens with or without the ward; a wrong ward is a 404.
    assert client.get("/s/mx-rieng").status_code == 200
    assert client.get("/s/an-tuong/mx-rieng").status_code == 404
    assert client.get("/s/minh-xuan/mc-1/cam-on").status_code == 200
    assert client.get("/s/minh-xuan/mc-1/phan-anh").status_code == 200


def test_the_old_poster_never_opens_another_ward_when_its_point_stops(app: Flask, client: FlaskClient,
                                                                      two_wards: Wards) -> None:
    with app.app_context():
        _db.session.get(ServicePoint, two_wards.a_points["mc-1"]).active = False
        _db.session.commit()
    assert client.get("/s/mc-1").status_code == 404
    assert client.get("/s/minh-xuan/mc-1").status_code == 200


def test_posters_print_the_short_address_only_for_the_point_that_owns_it(app: Flask, two_wards: Wards) -> None:
    with app.app_context():
        a = _db.session.get(ServicePoint, two_wards.a_points["mc-1"])
        b = _db.session.get(ServicePoint, two_wards.b_points["mc-1"])
        assert point_svc.point_url("https://x", a) == "https://x/s/mc-1"
        assert point_svc.point_url("https://x", b) == "https://x/s/minh-xuan/mc-1"


def test_a_thanked_answer_in_ward_b_goes_to_ward_b(app: Flask, client: FlaskClient, two_wards: Wards) -> None:
    page = client.get("/s/minh-xuan/mc-1").get_data(as_text=True)
    assert 'action="/s/minh-xuan/mc-1"' in page


def test_the_public_page_per_ward(app: Flask, client: FlaskClient, two_wards: Wards) -> None:
    with app.app_context():
        publication.publish_all(two_wards.b, "test")
        _db.session.commit()
    listing = client.get("/cong-khai")
    assert listing.status_code == 200
    assert "/cong-khai/minh-xuan" in listing.get_data(as_text=True)
    page = client.get("/cong-khai/minh-xuan")
    assert page.status_code == 200 and B_NAME in page.get_data(as_text=True)
    assert client.get("/cong-khai/minh-xuan/du-lieu.json").get_json()["ward"]["code"] == "minh-xuan"
    assert client.get("/cong-khai/khong-co").status_code == 404
    assert client.get("/cong-khai/nhung").status_code == 404  # several wards: no ward named


def test_the_migration_gives_existing_points_their_short_address(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        downgrade(directory=directory, revision="0005_numbers")
        with _db.engine.begin() as conn:
            ward = conn.execute(text("SELECT id FROM organisations")).scalar_one()
            conn.execute(text("INSERT INTO service_points (organisation_id, code, name, kind, unit, active, "
                              "created_at) VALUES (:w, 'cu-1', 'Điểm cũ', 'onestop', 'cu', TRUE, "
                              "CURRENT_TIMESTAMP)"), {"w": ward})
            conn.execute(text("INSERT INTO users (username, password_hash, role, active, session_version, "
                              "created_at) VALUES ('cu', 'x', 'admin', TRUE, 1, CURRENT_TIMESTAMP)"))
        upgrade(directory=directory)
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT short_url FROM service_points WHERE code = 'cu-1'")).scalar_one()
            assert conn.execute(text("SELECT organisation_id FROM users WHERE username = 'cu'")).scalar_one() == ward

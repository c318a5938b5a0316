"""The province role: reads every ward of its province (roll-up, a ward's dashboard read-only, the CSV export) and
writes nothing; ward accounts cannot open its pages."""

from __future__ import annotations

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hailong.analysis.periods import TZ, parse_period
from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint
from hailong.survey.services import province as province_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as rsvc
from hailong.survey.services import wards as ward_svc
from tests.fixtures.office import sign_in, token
from tests.tenancy.conftest import ALL_PASSWORDS, B_COMMENT, B_NAME, Wards


@pytest.fixture
def province(client: FlaskClient, two_wards: Wards) -> FlaskClient:
    response = sign_in(client, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"])
    assert response.status_code == 303 and response.headers["Location"].endswith("/office/tinh/")
    return client


def test_the_roll_up_has_every_ward_of_the_province(province: FlaskClient) -> None:
    page = province.get("/office/tinh/?period=2026-Q1").get_data(as_text=True)
    assert "Phường An Tường" in page and B_NAME in page
    # Three responses each: shown with n, unranked (fewer than 30); the 90% target column for health/education.
    assert "Ít phiếu" in page and "Mục tiêu kế hoạch: 90%" in page
    assert "/office/tinh/minh-xuan/" in page


def test_drill_down_opens_a_ward_dashboard_read_only(province: FlaskClient, two_wards: Wards) -> None:
    page = province.get("/office/tinh/minh-xuan/?period=2026-Q1&kind=onestop")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'id="read-only"' in text and B_NAME in text and "Tải báo cáo PDF" not in text
    # Ward A's points are not on ward B's dashboard.
    assert "Trung tâm Phục vụ hành chính công - Quầy 1" not in text
    assert province.get("/office/tinh/khong-co/").status_code == 404


def test_a_ward_of_another_province_is_not_opened(app: Flask, province: FlaskClient) -> None:
    with app.app_context():
        ward_svc.add("xa-khac", "Xã Khác", "Hà Giang")
        _db.session.commit()
    assert province.get("/office/tinh/xa-khac/").status_code == 404
    assert "Xã Khác" not in province.get("/office/tinh/").get_data(as_text=True)


def test_the_export_spans_the_wards_with_a_ward_column(province: FlaskClient) -> None:
    response = province.get("/office/tinh/export.csv?period=2026-Q1")
    assert response.status_code == 200
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("ward,")
    wards = {line.split(",")[0] for line in lines[1:]}
    assert wards == {"an-tuong", "minh-xuan"}
    assert B_COMMENT in response.get_data(as_text=True)


def test_the_province_writes_nothing_and_opens_no_ward_page(app: Flask, province: FlaskClient,
                                                          two_wards: Wards) -> None:
    csrf = token(province, "/office/tinh/")
    refused = 0
    with app.test_request_context():
        rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("office.")
                 and not r.endpoint.startswith("office.province") and r.endpoint not in ("office.login",
                                                                                       "office.logout")]
    for rule in rules:
        if rule.arguments:
            continue  # the same views as their id-less pages: refused by role before any lookup
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = str(rule.rule)
            response = province.get(url) if method == "GET" else province.post(url, data={"csrf_token": csrf})
            # 403, or 404 where a page hides from every account but a ward's admin (kiosks, desks, officers).
            assert response.status_code in (403, 404), f"{method} {url} -> {response.status_code}"
            refused += 1
    assert refused > 20


def test_ward_accounts_cannot_open_the_province_pages(client: FlaskClient, two_wards: Wards) -> None:
    assert sign_in(client, "admin", ALL_PASSWORDS["admin"]).status_code == 303
    for url in ("/office/tinh/", "/office/tinh/minh-xuan/", "/office/tinh/export.csv"):
        assert client.get(url).status_code == 403


def test_the_province_account_signs_out_and_a_copied_cookie_stops_working(app: Flask, province: FlaskClient) -> None:
    copy = app.test_client()
    cookie = province.get_cookie("session")
    assert cookie is not None
    copy.set_cookie("session", cookie.value)
    assert copy.get("/office/tinh/").status_code == 200
    out = province.post("/office/logout", data={"csrf_token": token(province, "/office/tinh/")})
    assert out.status_code == 303 and out.headers["Location"].endswith("/office/login")
    assert province.get("/office/tinh/").status_code in (302, 303)
    assert copy.get("/office/tinh/").status_code in (302, 303)  # the server ended the session, not only the cookie


def test_a_ward_with_too_few_responses_gets_no_target_call(app: Flask, two_wards: Wards) -> None:
    """One perfect answer gives a zero-width interval at 100%: not ranked, and not called "met" either."""
    with app.app_context():
        point = _db.session.get(ServicePoint, two_wards.b_points["tram-mx"])
        version = qsvc.latest_version("health")
        answers = {s.code: 5 for s in qsvc.definition(version).statements}
        rsvc.write_many([rsvc.Draft(point=point, version=version, answers=answers,
                                    submitted_at=datetime(2026, 2, 12, 9, 0, tzinfo=TZ))])
        _db.session.commit()
        rows = province_svc.rollup(parse_period("2026-Q1"), "health", ward_svc.of_province("Tuyên Quang"))
        row = next(r for r in rows if r.ward.code == "minh-xuan")
        assert row.responses == 1 and row.index == 100.0 and row.low_n and row.rank is None
        assert row.meets_target is None

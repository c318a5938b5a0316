"""Office pages of the numbers: margins (admin), the planner (staff), deadlines and weighted figures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, GeneratedReport, PopulationMargin
from tests.fixtures.office import token

AGES = {"age_18_24": "1300", "age_25_34": "2100", "age_35_49": "2800", "age_50_60": "1900", "over_60": "1900"}


def _save(client: FlaskClient, **fields: str) -> Any:
    data = {"csrf_token": token(client, "/office/margins"), "source": "Điều tra dân số 2019", **fields}
    return client.post("/office/margins", data=data)


def test_admin_enters_margins(app: Flask, login: Callable[[str], FlaskClient]) -> None:
    client = login("admin")
    page = client.get("/office/margins").get_data(as_text=True)
    assert "Cơ cấu dân số của phường" in page and "Trên 60 tuổi" in page
    response = _save(client, **{"gender.male": "4.900", "gender.female": "5100"},
                     **{f"age_group.{k}": v for k, v in AGES.items()})
    assert response.status_code == 303
    with app.app_context():
        rows = {(m.dimension, m.category): m.population for m in _db.session.scalars(select(PopulationMargin))}
        assert rows[("gender", "male")] == 4900 and rows[("age_group", "over_60")] == 1900 and len(rows) == 8
        assert _db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "margins.saved"))
    assert 'value="4900"' in client.get("/office/margins").get_data(as_text=True)


def test_bad_margins_are_refused_in_vietnamese(app: Flask, login: Callable[[str], FlaskClient]) -> None:
    client = login("admin")
    response = _save(client, **{"gender.male": "-5", "gender.female": "100"})
    assert response.status_code == 400
    assert "Số dân phải là số nguyên không âm" in response.get_data(as_text=True)
    response = _save(client, **{"gender.male": "100", "gender.female": "100", "age_group.over_60": "5000"})
    assert response.status_code == 400 and "lệch quá 5%" in response.get_data(as_text=True)
    with app.app_context():
        assert _db.session.scalar(select(PopulationMargin.id)) is None  # nothing half-saved


def test_margins_are_for_admins_and_the_planner_for_staff(login: Callable[[str], FlaskClient]) -> None:
    viewer = login("viewer")
    assert viewer.get("/office/margins").status_code == 403
    assert viewer.get("/office/plan").status_code == 403


def test_planner_page(login: Callable[[str], FlaskClient], add_responses: Callable[..., list[int]]) -> None:
    client = login("reviewer")
    page = client.get("/office/plan?kind=onestop&margin=5&confidence=95")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Cần bao nhiêu phiếu" in html and "Quầy 1" in html and "385" in html  # no data yet: Cochran
    assert client.get("/office/plan?margin=7").status_code == 400


def test_dashboard_shows_deadlines_and_what_was_generated(
    app: Flask, login: Callable[[str], FlaskClient], monkeypatch: Any
) -> None:
    from hailong.survey.services import reports

    monkeypatch.setattr(reports, "build_pdf", lambda period, kind, **_: b"%PDF-1.7 " + period.label.encode())
    client = login("admin")
    html = client.get("/office/").get_data(as_text=True)
    assert "Hạn báo cáo sắp tới" in html and "số liệu chốt ngày" in html and "chưa tạo" in html
    response = client.get("/office/report?period=2026-Q4")
    assert response.status_code == 200 and response.data.endswith(b"2026-Q4@report")
    with app.app_context():
        row = _db.session.scalars(select(GeneratedReport)).one()
        assert (row.period, row.window, row.kind, row.generated_by) == ("2026-Q4@report", "report", None, "admin")


def test_dashboard_labels_weighted_figures(app: Flask, login: Callable[[str], FlaskClient],
                                           add_responses: Callable[..., list[int]]) -> None:
    client = login("admin")
    add_responses("tram-y-te", 5, 5)
    html = client.get("/office/?period=2026-Q1&kind=health").get_data(as_text=True)
    assert "Chưa nhập cơ cấu dân số" in html
    _save(client, **{"gender.male": "4900", "gender.female": "5100"})
    html = client.get("/office/?period=2026-Q1&kind=health").get_data(as_text=True)
    # The responses have no sex: nothing can be weighted, said in words; the unweighted figure stays.
    assert "Không gia quyền được" in html and "Chỉ số chung gia quyền theo cơ cấu dân số" in html
    assert 'id="overall-index">100,00%' in html

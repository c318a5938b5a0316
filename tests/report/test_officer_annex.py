"""The report's optional annex "Đánh giá cán bộ": only when asked (`--officer-annex`, the admin's checkbox), never
for a reviewer, with the same suppression below 30 as the office page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ, parse_period, quarter_of
from hailong.survey.extensions import db
from hailong.survey.models import AuditEvent, Desk, Organisation, User
from hailong.survey.services import officers as officer_svc
from hailong.survey.services import reports
from hailong.survey.services import users as user_svc
from hailong.survey.transaction import boundary
from tests.fixtures.kiosk import add_desk
from tests.fixtures.office import sign_in

PASSWORD = "annex-password-1"


@pytest.fixture
def rated(app: Flask, points: Any) -> str:
    """Officer Lan with 30 ratings this quarter (24 satisfied), Bình with 3; the quarter's label."""
    for code, officer, levels in (("quay-1", "Nguyễn Thị Lan", ["satisfied"] * 24 + ["unsatisfied"] * 6),
                                  ("quay-2", "Trần Văn Bình", ["very_satisfied"] * 3)):
        desk_id = add_desk(app, code=code, officer=officer)
        with app.app_context(), boundary():
            desk = db.session.get(Desk, desk_id)
            for i, level in enumerate(levels):
                officer_svc.rate(desk.point, desk, officer_svc.parse_rating(level, [], None), f"{code}-{i}", "qr",
                                 now=datetime.now(UTC))
    return quarter_of(datetime.now(TZ).date())


def test_the_annex_is_printed_only_when_asked(app: Flask, rated: str) -> None:
    period = parse_period(rated)
    with app.test_request_context():
        plain = reports.render_html(period)
        annexed = reports.render_html(period, officer_annex=True)
    assert "ĐÁNH GIÁ CÁN BỘ" not in plain and "Nguyễn Thị Lan" not in plain
    annex = annexed.split('id="officer-annex"')[1]
    lan = annex.split("Nguyễn Thị Lan")[1].split("</tr>")[0]
    assert ">30<" in lan and "80,0%" in lan and "62,7–90,5" in lan  # Wilson 24/30
    binh = annex.split("Trần Văn Bình")[1].split("</tr>")[0]
    assert "chưa đủ 30 lượt đánh giá" in binh and "%" not in binh


def test_the_command_passes_the_flag(runner: Any, rated: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    asked: list[bool] = []

    def fake(period: Any, kind: Any, ward: Any = None, officer_annex: bool = False) -> bytes:
        asked.append(officer_annex)
        return b"%PDF-1.7 test"

    monkeypatch.setattr(reports, "build_pdf", fake)
    for extra in ([], ["--officer-annex"]):
        result = runner.invoke(args=["report", "--period", rated, "--out", str(tmp_path / "r.pdf"), *extra])
        assert result.exit_code == 0, result.output
    assert asked == [False, True]


@pytest.mark.parametrize("role", ["admin", "reviewer"])
def test_only_an_admin_gets_the_annex_in_the_office(
    app: Flask, client: FlaskClient, rated: str, role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with app.app_context(), boundary():
        ward_id = db.session.scalars(select(Organisation.id).order_by(Organisation.id)).first()
        db.session.add(User(organisation_id=ward_id, username=role, role=role, active=True,
                            password_hash=generate_password_hash(PASSWORD, method=user_svc.HASH_METHOD)))
    assert sign_in(client, role, PASSWORD).status_code == 303
    asked: list[bool] = []

    def fake(period: Any, kind: Any, ward: Any = None, officer_annex: bool = False) -> bytes:
        asked.append(officer_annex)
        return b"%PDF-1.7 test"

    monkeypatch.setattr(reports, "build_pdf", fake)
    dashboard = client.get(f"/office/?period={rated}").get_data(as_text=True)
    assert ('name="officer_annex"' in dashboard) == (role == "admin")
    answer = client.get(f"/office/report?period={rated}&officer_annex=1")
    if role == "admin":
        assert answer.status_code == 200 and asked == [True]
    else:
        assert answer.status_code == 404 and asked == []
    assert client.get(f"/office/report?period={rated}").status_code == 200
    with app.app_context():
        details = list(db.session.scalars(select(AuditEvent.detail).filter_by(action="report.pdf")))
    assert details == (["all; officer annex", "all"] if role == "admin" else ["all"])

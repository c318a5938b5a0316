"""The admin decides what /cong-khai publishes: per kind on or off, live or closed quarters, minimum n; audited."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, Organisation, PublicSetting
from hailong.survey.services import publication
from tests.fixtures.office import token

FORM = {"onestop-enabled": "1", "onestop-live": "1", "onestop-min_n": "30",
        "health-live": "1", "health-min_n": "30", "education-enabled": "1", "education-min_n": "50"}


def _settings(app: Flask) -> dict[str, publication.KindSetting]:
    with app.app_context():
        ward = _db.session.query(Organisation).one()
        return publication.settings(ward.id)


def _audit(app: Flask) -> list[tuple[str, str | None, str | None]]:
    with app.app_context():
        return [(e.action, e.actor, e.detail) for e in _db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "public.settings").order_by(AuditEvent.id))]


def test_a_fresh_install_publishes_nothing(app: Flask, login: Any) -> None:
    assert {k: s.enabled for k, s in _settings(app).items()} == {"onestop": False, "health": False,
                                                                 "education": False}
    html = login("admin").get("/office/cong-khai").get_data(as_text=True)
    assert 'id="onestop-enabled"' in html and "checked" not in html.split('id="onestop-enabled"')[1][:60]
    assert 'value="30"' in html


def test_admin_saves_and_each_change_is_audited(app: Flask, login: Any) -> None:
    client = login("admin")
    response = client.post("/office/cong-khai", data={**FORM, "csrf_token": token(client, "/office/cong-khai")})
    assert response.status_code == 303
    chosen = _settings(app)
    assert chosen["onestop"] == publication.KindSetting("onestop", True, True, 30)
    assert chosen["health"] == publication.KindSetting("health", False, True, 30)
    assert chosen["education"] == publication.KindSetting("education", True, False, 50)
    assert _audit(app) == [
        ("public.settings", "admin", "onestop: tắt, quý hiện tại, n ≥ 30 → onestop: bật, quý hiện tại, n ≥ 30"),
        ("public.settings", "admin",
         "education: tắt, quý hiện tại, n ≥ 30 → education: bật, chỉ quý đã kết thúc, n ≥ 50"),
    ]
    page = client.get("/office/cong-khai").get_data(as_text=True)
    assert "Đã lưu. Trang công khai cập nhật trong vòng một phút." in page
    # The same form again changes nothing and records nothing.
    client.post("/office/cong-khai", data={**FORM, "csrf_token": token(client, "/office/cong-khai")})
    assert len(_audit(app)) == 2


@pytest.mark.parametrize("value", ["9", "0", "-5", "abc", "", "1e3", "9999999"])
def test_a_minimum_below_ten_or_not_a_number_is_refused(app: Flask, login: Any, value: str) -> None:
    client = login("admin")
    response = client.post("/office/cong-khai", data={**FORM, "health-min_n": value,
                                                      "csrf_token": token(client, "/office/cong-khai")})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Y tế: Số phiếu tối thiểu" in html and 'role="alert"' in html
    assert not any(s.enabled for s in _settings(app).values())  # nothing saved, not even the valid kinds
    assert _audit(app) == []


def test_the_database_refuses_a_minimum_below_ten(app: Flask) -> None:
    with app.app_context():
        ward = _db.session.query(Organisation).one()
        _db.session.add(PublicSetting(organisation_id=ward.id, kind="health", enabled=True, live=True, min_n=9))
        with pytest.raises(IntegrityError):
            _db.session.flush()
        _db.session.rollback()


@pytest.mark.parametrize("who", ["reviewer", "viewer"])
def test_only_admins(login: Any, who: str) -> None:
    client = login(who)
    assert client.get("/office/cong-khai").status_code == 403
    assert client.post("/office/cong-khai", data={**FORM, "csrf_token": token(client)}).status_code == 403


def test_signed_out_goes_to_sign_in(client: Any, accounts: Any) -> None:
    response = client.get("/office/cong-khai")
    assert response.status_code in (302, 303) and "/office/login" in response.headers["Location"]


def test_init_demo_publishes_every_kind(runner: Any, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    from hailong.survey.services import demo as demo_svc

    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert not any(s.enabled for s in _settings(app).values())
    monkeypatch.setattr(demo_svc, "generate", lambda *a, **k: 0)  # the data is not what is tested here
    result = runner.invoke(args=["init", "--demo"])
    assert result.exit_code == 0, result.output
    assert all(s.enabled and s.live and s.min_n == 30 for s in _settings(app).values())
    assert [a for a, actor, _ in _audit(app) if actor.startswith("cli:")] == ["public.settings"] * 3

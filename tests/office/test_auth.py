"""Sign-in: every page needs it, passwords are throttled, attempts rate-limited, CSRF enforced, sessions expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hailong.survey.config import build_config
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, User
from hailong.survey.services import users as user_svc
from tests.fixtures.office import PASSWORDS, sign_in, token
from tests.fixtures.pages import csrf_of, retry_after

SAMPLE_ARGS = {"point_id": 1, "response_id": 1, "user_id": 1, "code": "staff", "fmt": "svg", "action": "unlock",
               "item_id": 1, "part": "day", "device_id": 1, "desk_id": 1, "entry_id": 1, "ward_code": "an-tuong",
               "job_id": 1}


def _office_rules(app: Flask, method: str) -> list[str]:
    adapter = app.url_map.bind("localhost")
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("office.") or rule.endpoint == "office.login":
            continue
        if method in (rule.methods or ()):
            urls.append(adapter.build(rule.endpoint, {name: SAMPLE_ARGS[name] for name in rule.arguments},
                                      method=method))
    return urls


def test_every_office_page_redirects_to_sign_in(app: Flask, client: Any, accounts: Any) -> None:
    urls = _office_rules(app, "GET")
    assert len(urls) >= 10
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/office/login?next="), url


def test_every_office_post_needs_sign_in(app: Flask, client: Any, accounts: Any) -> None:
    app.config["WTF_CSRF_ENABLED"] = False  # reach the role check itself
    for url in _office_rules(app, "POST"):
        response = client.post(url, data={})
        assert response.status_code == 302, url
        assert "/office/login" in response.headers["Location"], url


def test_every_office_view_declares_its_roles(app: Flask) -> None:
    for endpoint, view in app.view_functions.items():
        if endpoint.startswith("office.") and endpoint != "office.login":
            assert getattr(view, "roles", None), f"{endpoint} has no roles_required"


def test_sign_in_page_has_labelled_fields(client: Any) -> None:
    html = client.get("/office/login").get_data(as_text=True)
    assert '<label for="username">Tên đăng nhập</label>' in html
    assert '<label for="password">Mật khẩu</label>' in html
    assert 'autocomplete="current-password"' in html


def test_sign_in_then_dashboard_and_audit(client: Any, accounts: Any, app: Flask) -> None:
    response = sign_in(client, "admin")
    assert response.status_code == 303
    assert response.headers["Location"] == "/office/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires=" in cookie  # a permanent session: it ends after PERMANENT_SESSION_LIFETIME
    assert client.get("/office/").status_code == 200
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).filter_by(action="login")).one()
        assert event.actor == "admin"


def test_sign_in_goes_back_to_next_but_never_offsite(client: Any, accounts: Any) -> None:
    page = client.get("/office/login?next=/office/comments").get_data(as_text=True)
    data = {"csrf_token": csrf_of(page), "username": "admin", "password": PASSWORDS["admin"]}
    assert client.post("/office/login", data={**data, "next": "/office/comments"}).headers["Location"] == \
        "/office/comments"
    client.post("/office/logout", data={"csrf_token": token(client)})
    page = client.get("/office/login").get_data(as_text=True)
    data["csrf_token"] = csrf_of(page)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/office/login", data={**data, "next": evil})
        assert response.headers["Location"] == "/office/", evil
        client.post("/office/logout", data={"csrf_token": token(client)})
        data["csrf_token"] = csrf_of(client.get("/office/login").get_data(as_text=True))


def test_wrong_password_is_refused_and_audited(client: Any, accounts: Any, app: Flask) -> None:
    response = sign_in(client, "admin", "not-the-password")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    assert client.get("/office/").status_code == 302
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).filter_by(action="login.failed")).one()
        assert event.target == "user:admin"


def test_unknown_user_gets_the_same_message(client: Any, accounts: Any, app: Flask) -> None:
    response = sign_in(client, "nobody", "whatever-password")
    assert response.status_code == 401
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.get_data(as_text=True)
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).filter_by(action="login.failed")).one()
        assert event.actor is None  # a mistyped password in the name field is never written down


def test_throttled_after_a_few_wrong_passwords(client: Any, accounts: Any, app: Flask,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    monkeypatch.setattr(user_svc, "utcnow", lambda: now)
    for _ in range(user_svc.FREE_FAILURES):
        assert sign_in(client, "reviewer", "wrong-password").status_code == 401
    throttled = sign_in(client, "reviewer", "wrong-password")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= user_svc.FIRST_DELAY_SECONDS
    text = throttled.get_data(as_text=True)
    assert f"Vui lòng thử lại sau {user_svc.FIRST_DELAY_SECONDS} giây" in text
    # Even the right password is refused during the wait.
    assert sign_in(client, "reviewer").status_code == 429
    # When the wait has passed, the right password works again.
    now += timedelta(seconds=user_svc.FIRST_DELAY_SECONDS)
    assert sign_in(client, "reviewer").status_code == 303


def test_inactive_account_cannot_sign_in(client: Any, accounts: Any, app: Flask) -> None:
    _set_active(app, "viewer", False)
    assert sign_in(client, "viewer").status_code == 401


def _set_active(app: Flask, username: str, active: bool) -> None:
    with app.app_context():
        account = _db.session.scalars(select(User).filter_by(username=username)).one()
        account.active = active
        _db.session.commit()


def test_deactivated_account_is_signed_out(login: Any, app: Flask) -> None:
    client = login("viewer")
    assert client.get("/office/").status_code == 200
    _set_active(app, "viewer", False)
    assert client.get("/office/").status_code == 302


def test_sign_in_attempts_are_rate_limited(client: Any, accounts: Any) -> None:
    answers = [sign_in(client, f"nobody{i}", "whatever-password") for i in range(11)]
    assert [a.status_code for a in answers[:10]] == [401] * 10
    assert not [name for name, _ in answers[0].headers.items() if name.lower().startswith("x-ratelimit")]
    retry_after(answers[10], 60)
    assert "Quá nhiều yêu cầu" in answers[10].get_data(as_text=True)


def test_missing_or_forged_csrf_is_400(login: Any, points: dict[str, int]) -> None:
    client = login("admin")
    valid = token(client)
    posts = [
        ("/office/logout", {}),
        ("/office/points", {"code": "mc-9", "name": "Quầy 9", "kind": "onestop"}),
        (f"/office/points/{points['mc-1']}/active", {"active": "0"}),
        (f"/office/points/{points['mc-1']}/rotate", {}),
        ("/office/comments/1/handled", {"note": "ok"}),
        ("/office/responses/1/flag", {"reason": "spam"}),
        ("/office/users", {"username": "x1", "role": "reviewer"}),
    ]
    for url, data in posts:
        missing = client.post(url, data=data)
        assert missing.status_code == 400, url
        assert "thiếu mã bảo vệ" in missing.get_data(as_text=True)
        forged = client.post(url, data={**data, "csrf_token": valid[:-4] + "AAAA"})
        assert forged.status_code == 400, url
    # Nothing changed, and the session still works.
    assert client.get("/office/points").status_code == 200
    assert "mc-9" not in client.get("/office/points").get_data(as_text=True)


def test_login_post_without_csrf_is_400(client: Any, accounts: Any) -> None:
    response = client.post("/office/login", data={"username": "admin", "password": PASSWORDS["admin"]})
    assert response.status_code == 400
    assert client.get("/office/").status_code == 302


def test_logout_needs_post(login: Any) -> None:
    client = login("admin")
    assert client.get("/office/logout").status_code == 405
    response = client.post("/office/logout", data={"csrf_token": token(client)})
    assert response.status_code == 303
    assert client.get("/office/").status_code == 302


def test_session_lifetime_and_secure_cookies_in_production(app: Flask, tmp_path: Path) -> None:
    assert app.config["PERMANENT_SESSION_LIFETIME"] == 8 * 3600
    cfg = build_config(tmp_path, {"HAILONG_ENV": "production", "SECRET_KEY": "x" * 40})
    assert cfg["SESSION_COOKIE_SECURE"] is True
    assert cfg["SESSION_COOKIE_HTTPONLY"] is True


@pytest.mark.parametrize("role", ["admin", "reviewer", "viewer"])
def test_office_pages_are_not_cached(login: Any, role: str) -> None:
    client = login(role)
    assert client.get("/office/").headers["Cache-Control"] == "no-store"


def test_redirect_to_sign_in_says_why(client: Any, accounts: Any) -> None:
    response = client.get("/office/comments", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.request.path == "/office/login"
    assert "Vui lòng đăng nhập để tiếp tục." in html
    assert 'name="next" value="/office/comments"' in html

"""Accounts: the CLI command, password rules, hashing with scrypt, throttling and the admin page."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, User
from hailong.survey.services import audit
from tests.fixtures.office import sign_in, token


def _user(app: Flask, name: str) -> User:
    with app.app_context():
        account = _db.session.scalars(select(User).filter_by(username=name)).one()
        _db.session.expunge(account)
        return account


def test_cli_create_with_piped_password(app: Flask, points: Any, client: Any) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "Chi.VHXH", "--role", "reviewer"],
                                          input="mat-khau-rat-dai\n")
    assert result.exit_code == 0, result.output
    assert "Mật khẩu" not in result.output  # nothing to print: the password came from stdin
    account = _user(app, "chi.vhxh")
    assert account.password_hash.startswith("scrypt:")
    assert "mat-khau-rat-dai" not in account.password_hash
    assert sign_in(client, "chi.vhxh", "mat-khau-rat-dai").status_code == 303


def test_cli_create_generates_and_prints_the_password_once(app: Flask, points: Any, client: Any) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", "hieutruong", "--role", "viewer",
                                                "--unit", "th-an-tuong"], input="")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("Mật khẩu (chỉ hiện một lần): "))
    password = line.split(": ", 1)[1]
    assert len(password) >= 16
    assert _user(app, "hieutruong").unit == "th-an-tuong"
    assert sign_in(client, "hieutruong", password).status_code == 303
    with app.app_context():
        assert _db.session.scalars(select(AuditEvent.action)).all() == ["user.created", "login"]


@pytest.mark.parametrize(("args", "message"), [
    (["x", "--role", "admin"], "Tên đăng nhập gồm"),
    (["thu", "--role", "viewer"], "phải gắn với một đơn vị"),
    (["thu", "--role", "viewer", "--unit", "khong-co"], "Không có điểm khảo sát nào thuộc đơn vị"),
    (["thu", "--role", "admin", "--unit", "mc-1"], "Chỉ tài khoản viewer"),
    (["thu", "--role", "boss"], "Invalid value for '--role'"),
])
def test_cli_refuses_bad_accounts(app: Flask, points: Any, args: list[str], message: str) -> None:
    result = app.test_cli_runner().invoke(args=["users", "create", *args], input="mat-khau-rat-dai\n")
    assert result.exit_code != 0
    assert message in result.output


def test_cli_refuses_short_password_and_duplicates(app: Flask, points: Any) -> None:
    runner = app.test_cli_runner()
    short = runner.invoke(args=["users", "create", "thu", "--role", "admin"], input="ngan\n")
    assert short.exit_code != 0 and "ít nhất 10 ký tự" in short.output
    assert runner.invoke(args=["users", "create", "thu", "--role", "admin"], input="du-dai-roi-nhe\n").exit_code == 0
    again = runner.invoke(args=["users", "create", "THU", "--role", "admin"], input="du-dai-roi-nhe\n")
    assert again.exit_code != 0 and "đã có" in again.output


def test_audit_record_does_not_commit(app: Flask) -> None:
    with app.app_context():
        audit.record("someone", "test.action", "x", "y")
        _db.session.rollback()
        assert _db.session.scalars(select(AuditEvent)).all() == []


def test_admin_creates_account_and_sees_password_once(login: Any, app: Flask) -> None:
    client = login("admin")
    response = client.post("/office/users", data={"csrf_token": token(client, "/office/users"),
                                                 "username": "canbo2", "role": "viewer", "unit": "mn-an-tuong"})
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    password = html.split('<code id="new-password">', 1)[1].split("</code>", 1)[0]
    assert len(password) >= 16
    assert password not in client.get("/office/users").get_data(as_text=True)
    bad = client.post("/office/users", data={"csrf_token": token(client, "/office/users"),
                                            "username": "canbo3", "role": "viewer", "unit": ""})
    assert bad.status_code == 400 and "phải gắn với một đơn vị" in bad.get_data(as_text=True)


def test_admin_deactivates_unlocks_and_resets(login: Any, app: Flask) -> None:
    client = login("admin")
    viewer_id = _user(app, "viewer").id
    admin_id = _user(app, "admin").id
    client.post(f"/office/users/{viewer_id}/deactivate", data={"csrf_token": token(client)})
    assert not _user(app, "viewer").active
    client.post(f"/office/users/{viewer_id}/activate", data={"csrf_token": token(client)})
    assert _user(app, "viewer").active
    reset = client.post(f"/office/users/{viewer_id}/password", data={"csrf_token": token(client)})
    assert reset.status_code == 200 and 'id="new-password"' in reset.get_data(as_text=True)
    assert client.post(f"/office/users/{admin_id}/deactivate", data={"csrf_token": token(client)}).status_code == 400
    assert client.post(f"/office/users/{viewer_id}/explode", data={"csrf_token": token(client)}).status_code == 404
    with app.app_context():
        actions = _db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("user.%"))).all()
        assert actions == ["user.deactivated", "user.activated", "user.password_reset"]


def test_audit_page_lists_events_newest_first(login: Any) -> None:
    client = login("admin")
    client.get("/office/export?what=indices&format=csv&period=2026-Q1")
    html = client.get("/office/audit").get_data(as_text=True)
    table = html.split('id="audit-table"', 1)[1]
    assert table.index("export.indices") < table.index(">login<")
    only = client.get("/office/audit?action=login").get_data(as_text=True)
    assert "export.indices</code>" not in only

"""Server-side session ends: a cookie copied before sign-out, a password reset, a role or unit change,
deactivation or re-activation no longer opens the office."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.models import User
from tests.fixtures.office import sign_in, token


def _id(app: Flask, name: str) -> int:
    with app.app_context():
        return int(_db.session.scalars(select(User.id).filter_by(username=name)).one())


def _signed_in(app: Flask, name: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, name).status_code == 303
    assert client.get("/office/").status_code == 200
    return client


def _copy(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, cookie: str) -> Any:
    """A request from another browser carrying a copied session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief.get("/office/")


def _admin_post(app: Flask, path: str) -> Any:
    admin = _signed_in(app, "admin")
    return admin.post(path, data={"csrf_token": token(admin)})


def _sign_out(app: Flask, victim: FlaskClient) -> None:
    assert victim.post("/office/logout", data={"csrf_token": token(victim)}).status_code == 303


def _admin_resets_password(app: Flask, _victim: FlaskClient) -> None:
    assert _admin_post(app, f"/office/users/{_id(app, 'viewer')}/password").status_code == 200


def _cli_resets_password(app: Flask, _victim: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["users", "password", "viewer"], input="mot-mat-khau-moi\n")
    assert result.exit_code == 0, result.output


def _cli_changes_role(app: Flask, _victim: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["users", "role", "viewer", "--role", "reviewer"])
    assert result.exit_code == 0, result.output


def _cli_changes_unit(app: Flask, _victim: FlaskClient) -> None:
    result = app.test_cli_runner().invoke(args=["users", "role", "viewer", "--role", "viewer",
                                                "--unit", "mn-an-tuong"])
    assert result.exit_code == 0, result.output


def _admin_deactivates(app: Flask, _victim: FlaskClient) -> None:
    assert _admin_post(app, f"/office/users/{_id(app, 'viewer')}/deactivate").status_code == 303


def _admin_deactivates_then_reactivates(app: Flask, victim: FlaskClient) -> None:
    _admin_deactivates(app, victim)
    assert _admin_post(app, f"/office/users/{_id(app, 'viewer')}/activate").status_code == 303


EVENTS: dict[str, Callable[[Flask, FlaskClient], None]] = {
    "sign-out": _sign_out,
    "admin resets the password": _admin_resets_password,
    "password reset from the CLI": _cli_resets_password,
    "role change": _cli_changes_role,
    "unit change": _cli_changes_unit,
    "deactivation": _admin_deactivates,
    "deactivation then re-activation": _admin_deactivates_then_reactivates,
}


@pytest.mark.parametrize("event", list(EVENTS))
def test_a_copied_cookie_dies_with_the_event(app: Flask, accounts: Any, event: str) -> None:
    victim = _signed_in(app, "viewer")
    copied = _copy(victim)
    assert _replay(app, copied).status_code == 200  # the copy works until the event
    EVENTS[event](app, victim)
    response = _replay(app, copied)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/office/login")
    assert _replay(app, _copy(victim)).status_code == 302  # nor does the victim's own old cookie


def test_other_accounts_keep_their_sessions(app: Flask, accounts: Any) -> None:
    reviewer = _signed_in(app, "reviewer")
    _admin_deactivates_then_reactivates(app, _signed_in(app, "viewer"))
    assert reviewer.get("/office/").status_code == 200


def test_sign_in_after_the_event_works(app: Flask, accounts: Any) -> None:
    victim = _signed_in(app, "viewer")
    _admin_deactivates_then_reactivates(app, victim)
    assert victim.get("/office/").status_code == 302
    assert _signed_in(app, "viewer").get("/office/comments").status_code == 200


def test_own_password_reset_keeps_this_browser_but_ends_copies(app: Flask, accounts: Any) -> None:
    admin = _signed_in(app, "admin")
    copied = _copy(admin)
    reset = admin.post(f"/office/users/{_id(app, 'admin')}/password", data={"csrf_token": token(admin)})
    assert reset.status_code == 200 and 'id="new-password"' in reset.get_data(as_text=True)
    assert admin.get("/office/").status_code == 200
    assert _replay(app, copied).status_code == 302


def test_a_remember_cookie_from_before_sign_out_is_refused(app: Flask, accounts: Any) -> None:
    from flask_login.utils import encode_cookie

    victim = _signed_in(app, "viewer")
    with app.test_request_context(), victim.session_transaction() as session:
        remember = encode_cookie(str(session["_user_id"]))
    _sign_out(app, victim)
    thief = app.test_client()
    thief.set_cookie(app.config.get("REMEMBER_COOKIE_NAME", "remember_token"), remember)
    assert thief.get("/office/").status_code == 302


def test_a_session_id_without_version_is_refused(app: Flask, accounts: Any) -> None:
    """Cookies from before this change carry only the user id; they must sign in again."""
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["_user_id"] = str(_id(app, "admin"))
        session["_fresh"] = True
    assert thief.get("/office/").status_code == 302

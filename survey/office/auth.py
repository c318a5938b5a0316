"""Signing in and out of the office: passwords throttled per (account, network), rate-limited attempts, sessions
that time out and end on the server at sign-out."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from .. import transaction
from ..extensions import limiter, login_manager
from ..models import Role
from ..services import audit
from ..services import users as user_svc
from . import bp
from .access import ANYONE, PROVINCE, roles_required, safe_next, user

LOGIN_LIMIT = "10 per minute"


def _network() -> str:
    """The client's network as a daily keyed hash: the throttle's and the rate limit's key, never the address."""
    return user_svc.network_hash(request.remote_addr or "-")


@bp.record_once
def _configure_login(_state: BlueprintSetupState) -> None:
    login_manager.login_message = _l("Vui lòng đăng nhập để tiếp tục.")
    login_manager.login_message_category = "info"


@bp.after_request
def _no_store(response: Response) -> Response:
    """Office pages and files hold data about the ward's services: never keep them in a shared cache."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _fresh_session() -> None:
    """Start a new session on sign-in or sign-out, keeping only the language choice."""
    lang = session.get("lang")
    session.clear()
    # The CSRF token cached for this request belonged to the old session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    if lang:
        session["lang"] = lang


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(LOGIN_LIMIT, key_func=_network, methods=["POST"])
def login() -> Any:
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or _home(current_user.role))
    if request.method == "GET":
        return render_template("office/login.html", next_url=next_url, username="", error=None)
    username = request.form.get("username", "").strip()[:80]
    password = request.form.get("password", "")
    if not username or not password:
        return render_template("office/login.html", next_url=next_url, username=username,
                               error=_("Vui lòng nhập tên đăng nhập và mật khẩu.")), 400
    result = user_svc.verify(username, password, _network())
    if result.user is None:
        # Known and unknown names get the same page and status; only the audit log (admins) tells them apart.
        # The same lookup for every typed name, known or not: the refusal's work does not tell them apart.
        typed = user_svc.find(username)
        audit.use_ward(typed.organisation_id if typed is not None and result.known else None)
        audit.record(result.known, "login.failed", f"user:{result.known or '(không có)'}", result.failure)
        transaction.keep_on_error()  # the refusal is stored: its throttle count and its audit event
        page = render_template("office/login.html", next_url=next_url, username=username, error=result.message())
        if result.failure == user_svc.LoginFailure.THROTTLED:
            return page, 429, {"Retry-After": str(result.retry_after)}
        return page, 401
    account = result.user
    audit.use_ward(account.organisation_id)
    audit.record(account.username, "login", f"user:{account.username}", account.role)
    _fresh_session()
    login_user(account)
    session.permanent = True
    return redirect(next_url or _home(account.role), code=303)


def _home(role: str) -> str:
    """Where an account lands after signing in: the ward dashboard, or the province's roll-up."""
    return url_for(".province_home") if role == Role.PROVINCE else url_for(".dashboard")


@bp.post("/logout")
@roles_required(*ANYONE, *PROVINCE)
def logout() -> Response:
    account = user()
    audit.record(account.username, "logout", f"user:{account.username}")
    # Server-side end: a copy of this session's cookie (or of any other of this account's) stops working too.
    user_svc.end_sessions(account)
    logout_user()
    _fresh_session()
    flash(_("Ông/Bà đã đăng xuất."), "info")
    return redirect(url_for(".login"), code=303)

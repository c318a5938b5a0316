"""Admin pages: the audit log and office accounts (create, deactivate, clear sign-in delays, new password)."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user
from sqlalchemy import select

from ..extensions import db
from ..models import Role, ServicePoint, User
from ..services import audit
from ..services import users as user_svc
from . import bp
from .access import ADMIN, current_ward, owned, roles_required, user
from .filters import check_keys, int_arg


@bp.get("/audit")
@roles_required(*ADMIN)
def audit_log() -> str:
    check_keys(request.args, ("page", "action"))
    ward_id = current_ward().id
    known = audit.actions(ward_id)
    action = request.args.get("action", "").strip()
    if action and action not in known:
        abort(400, _("Không có loại sự kiện “%(action)s”.", action=action[:40]))
    page = audit.events(page=int_arg(request.args, "page", 1), action=action or None, ward_id=ward_id)
    return render_template("office/audit.html", page=page, action=action, actions=known)


def _units() -> list[str]:
    return list(db.session.scalars(select(ServicePoint.unit).where(ServicePoint.organisation_id == current_ward().id)
                                   .distinct().order_by(ServicePoint.unit)))


def _users_page(status: int = 200, error: str | None = None, form: dict[str, str] | None = None,
                created: tuple[User, str] | None = None) -> tuple[str, int]:
    accounts = user_svc.all_users(current_ward())
    return render_template("office/users.html", users=accounts, roles=[r.value for r in Role],
                           units=_units(), error=error, form=form or {}, created=created,
                           throttled=user_svc.throttled(accounts)), status


def _account(user_id: int) -> User:
    account: User = owned(db.session.get(User, user_id), _("Không có tài khoản này."))
    return account


@bp.get("/users")
@roles_required(*ADMIN)
def users() -> tuple[str, int]:
    check_keys(request.args, ())
    return _users_page()


@bp.post("/users")
@roles_required(*ADMIN)
def user_create() -> tuple[str, int]:
    form = {k: request.form.get(k, "").strip() for k in ("username", "role", "unit")}
    password = user_svc.generate_password()
    try:
        account = user_svc.create(form["username"], password, form["role"], form["unit"] or None,
                                  ward=current_ward())
    except user_svc.UserError as exc:
        return _users_page(400, str(exc), form)
    audit.record(user().username, "user.created", f"user:{account.username}",
                 f"{account.role}{'; ' + account.unit if account.unit else ''}")
    # The password is shown once on this page and never stored in clear or put in a cookie.
    return _users_page(201, created=(account, password))


@bp.post("/users/<row_id:user_id>/<action>")
@roles_required(*ADMIN)
def user_action(user_id: int, action: str) -> Any:
    account = _account(user_id)
    actor = user()
    if action == "password":
        password = user_svc.generate_password()
        user_svc.set_password(account, password)  # ends the account's sessions
        audit.record(actor.username, "user.password_reset", f"user:{account.username}")
        if account.id == actor.id:
            # A new session for this browser only; copies of the old cookie stay ended.
            login_user(account)
            session.permanent = True
        return _users_page(200, created=(account, password))
    if action == "unlock":
        user_svc.unlock(account)
        audit.record(actor.username, "user.unlocked", f"user:{account.username}")
        flash(_("Đã mở khóa tài khoản %(name)s.", name=account.username), "success")
    elif action in ("deactivate", "activate"):
        if account.id == actor.id:
            abort(400, _("Không thể tự ngừng tài khoản của chính mình."))
        user_svc.set_active(account, action == "activate")  # ends the account's sessions either way
        audit.record(actor.username, f"user.{action}d", f"user:{account.username}")
        flash(_("Đã mở lại tài khoản %(name)s.", name=account.username) if account.active
              else _("Đã ngừng tài khoản %(name)s.", name=account.username), "success")
    else:
        abort(404)
    return redirect(url_for(".users"), code=303)

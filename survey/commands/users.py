"""`hailong users`: create office accounts (password from stdin or generated and shown once), list, unlock."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..models import Role
from ..services import audit
from ..services import users as user_svc


@click.group("users")
def users_group() -> None:
    """Office accounts (admin, reviewer, viewer)."""


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="admin, reviewer or viewer")
@click.option("--unit", help="The unit a viewer is bound to (the unit code of its service points).")
@with_appcontext
def users_create(username: str, role: str, unit: str | None) -> None:
    """Create an account; the password is read from stdin when piped, otherwise generated and printed once."""
    piped = sys.stdin is not None and not sys.stdin.isatty()
    password = sys.stdin.readline().rstrip("\r\n") if piped else ""
    generated = not password
    if generated:
        password = user_svc.generate_password()
    try:
        account = user_svc.create(username, password, role, unit)
    except user_svc.UserError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    audit.record("cli", "user.created", f"user:{account.username}",
                 f"{account.role}{'; ' + account.unit if account.unit else ''}")
    db.session.commit()
    click.echo(_("Đã tạo tài khoản %(name)s (%(role)s).", name=account.username, role=account.role))
    if generated:
        click.echo(_("Mật khẩu (chỉ hiện một lần): %(password)s", password=password))


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts with their role, unit and state."""
    for account in user_svc.all_users():
        state = "active" if account.active else "inactive"
        if user_svc.is_locked(account):
            state = "locked"
        click.echo(f"{account.username:<24} {account.role:<9} {account.unit or '-':<16} {state}")


@users_group.command("unlock")
@click.argument("username")
@with_appcontext
def users_unlock(username: str) -> None:
    """Clear the lock after too many wrong passwords."""
    account = user_svc.find(username)
    if account is None:
        raise click.ClickException(_("Không có tài khoản “%(name)s”.", name=username))
    user_svc.unlock(account)
    audit.record("cli", "user.unlocked", f"user:{account.username}")
    db.session.commit()
    click.echo(_("Đã mở khóa tài khoản %(name)s.", name=account.username))


commands = [users_group]

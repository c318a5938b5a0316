"""`hailong users`: create office accounts (password from stdin or generated and shown once), list, new password,
role, clear sign-in delays. A new password or role ends the account's sessions."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..models import Role, User
from ..services import audit
from ..services import users as user_svc
from .base import BadInput, CommandFailed, cli_actor, ward_of, ward_option


@click.group("users")
def users_group() -> None:
    """Office accounts (admin, reviewer, viewer)."""


def _password() -> tuple[str, bool]:
    """A password read from stdin when piped, otherwise a generated one; and whether it was generated."""
    piped = sys.stdin is not None and not sys.stdin.isatty()
    password = sys.stdin.readline().rstrip("\r\n") if piped else ""
    if password:
        return password, False
    return user_svc.generate_password(), True


def _account(username: str) -> User:
    account = user_svc.find(username)
    if account is None:
        raise BadInput(_("Không có tài khoản “%(name)s”.", name=username))
    return account


@users_group.command("create")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]),
              help="admin, reviewer, viewer (one ward) or province (read-only, every ward of a province)")
@click.option("--unit", help="The unit a viewer is bound to (the unit code of its service points).")
@ward_option
@click.option("--province", help="For --role province: the province whose wards the account reads.")
@with_appcontext
def users_create(username: str, role: str, unit: str | None, ward_code: str | None, province: str | None) -> None:
    """Create an account; the password is read from stdin when piped, otherwise generated and printed once."""
    if role == Role.PROVINCE and ward_code is not None:
        raise BadInput(_("Tài khoản province không thuộc phường nào; hãy bỏ --ward."), option="--ward")
    ward = None if role == Role.PROVINCE else ward_of(ward_code)
    password, generated = _password()
    try:
        account = user_svc.create(username, password, role, unit, ward=ward, province=province)
    except user_svc.UserError as exc:
        raise CommandFailed(str(exc)) from None
    audit.record(cli_actor(), "user.created", f"user:{account.username}",
                 f"{account.role}{'; ' + account.unit if account.unit else ''}"
                 f"{'; ' + account.province if account.province else ''}")
    click.echo(_("Đã tạo tài khoản %(name)s (%(role)s).", name=account.username, role=account.role))
    if generated:
        click.echo(_("Mật khẩu (chỉ hiện một lần): %(password)s", password=password))


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List accounts with their role, unit and state."""
    accounts = user_svc.all_users()
    throttled = user_svc.throttled(accounts)
    for account in accounts:
        state = "active" if account.active else "inactive"
        if account.active and account.id in throttled:
            state = "throttled"
        where = account.organisation.code if account.organisation else f"({account.province})"
        click.echo(f"{account.username:<24} {account.role:<9} {account.unit or '-':<16} {where:<24} {state}")


@users_group.command("password")
@click.argument("username")
@with_appcontext
def users_password(username: str) -> None:
    """Set a new password (from stdin when piped, otherwise generated and printed once); ends the sessions."""
    account = _account(username)
    password, generated = _password()
    try:
        user_svc.set_password(account, password)
    except user_svc.UserError as exc:
        raise CommandFailed(str(exc)) from None
    audit.record(cli_actor(), "user.password_reset", f"user:{account.username}")
    click.echo(_("Đã đặt mật khẩu mới cho %(name)s; các phiên đăng nhập cũ đã kết thúc.", name=account.username))
    if generated:
        click.echo(_("Mật khẩu (chỉ hiện một lần): %(password)s", password=password))


@users_group.command("role")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]), help="admin, reviewer or viewer")
@click.option("--unit", help="The unit a viewer is bound to (the unit code of its service points).")
@with_appcontext
def users_role(username: str, role: str, unit: str | None) -> None:
    """Change an account's role and unit; a change ends its sessions."""
    account = _account(username)
    try:
        changed = user_svc.set_role(account, role, unit)
    except user_svc.UserError as exc:
        raise CommandFailed(str(exc)) from None
    if changed:
        audit.record(cli_actor(), "user.role_changed", f"user:{account.username}",
                     f"{account.role}{'; ' + account.unit if account.unit else ''}")
    click.echo(_("Tài khoản %(name)s: %(role)s%(unit)s.", name=account.username, role=account.role,
                 unit=f" ({account.unit})" if account.unit else ""))


@users_group.command("unlock")
@click.argument("username")
@with_appcontext
def users_unlock(username: str) -> None:
    """Clear the sign-in delays after wrong passwords, on every network."""
    account = _account(username)
    user_svc.unlock(account)
    audit.record(cli_actor(), "user.unlocked", f"user:{account.username}")
    click.echo(_("Đã mở khóa tài khoản %(name)s.", name=account.username))


commands = [users_group]

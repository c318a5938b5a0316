"""`hailong wards`: the wards (phường/xã) of the database, each a tenant with its own points, accounts and data."""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services import audit
from ..services import wards as ward_svc
from .base import BadInput, CommandFailed, cli_actor


@click.group("wards")
def wards_group() -> None:
    """Wards: add one, list them (a province's database holds many)."""


@wards_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help='The ward\'s name, e.g. "Phường Minh Xuân".')
@click.option("--province", help="Its province (default: HAILONG_PROVINCE).")
@with_appcontext
def wards_add(code: str, name: str, province: str | None) -> None:
    """Add a ward with code CODE (lower-case letters, digits, hyphens)."""
    try:
        ward = ward_svc.add(code, name, province or current_app.config["HAILONG_PROVINCE"])
    except ward_svc.WardTaken as exc:
        raise CommandFailed(str(exc)) from None
    except ward_svc.WardError as exc:
        raise BadInput(str(exc)) from None
    audit.use_ward(ward.id)
    audit.record(cli_actor(), "ward.created", f"ward:{ward.code}", f"{ward.name}; {ward.province}")
    click.echo(_("Đã thêm %(name)s (mã %(code)s, %(province)s).", name=ward.name, code=ward.code,
                 province=ward.province))


@wards_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def wards_list(as_json: bool) -> None:
    """List the wards with their province and how many points and accounts each has."""
    rows = ward_svc.summary()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['code']:<24} {row['name']:<32} {row['province']:<20} "
                   f"{row['points']:>4} {row['accounts']:>4}")


commands = [wards_group]

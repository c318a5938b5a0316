"""`hailong points`: list, add, rename, deactivate, activate and rotate service points, audited like the office.

Each change is recorded in the audit log as the office records it (point.created, point.renamed,
point.deactivated, point.activated, point.rotated), with the actor `cli:<system user>` (base.cli_actor).
"""

from __future__ import annotations

import json
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..models import Organisation, ServicePoint
from ..services import point_admin
from ..services import points as point_svc
from ..services import questionnaires as qsvc
from .base import BadInput, CommandFailed, check_kind, cli_actor, ward_of, ward_option


@click.group("points")
def points_group() -> None:
    """Service points."""


def _point(ward: Organisation, code: str) -> ServicePoint:
    """The ward's point with this code (active or not), or BadInput naming the code."""
    point = point_svc.find(ward, code)
    if point is None:
        raise BadInput(_("Không có điểm khảo sát “%(code)s”.", code=code))
    return point


@points_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@ward_option
@with_appcontext
def points_list(as_json: bool, ward_code: str | None) -> None:
    """List service points with their questionnaire and public URL."""
    base = current_app.config["HAILONG_BASE_URL"]
    rows: list[dict[str, Any]] = []
    for p in point_svc.all_points(ward=ward_of(ward_code)):
        rows.append({
            "code": p.code, "name": p.name, "kind": p.kind, "unit": p.unit, "active": p.active,
            "questionnaire": qsvc.latest_version(p.kind).key, "url": point_svc.point_url(base, p),
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        flag = "" if row["active"] else "  (ngừng)"
        click.echo(f"{row['code']:<16} {row['kind']:<10} {row['url']}  {row['name']}{flag}")


@points_group.command("add")
@click.argument("code")
@click.option("--kind", required=True, help="onestop, health or education")
@click.option("--name", required=True, help="The name citizens see on the form and the poster.")
@click.option("--unit", help="The unit viewers are bound to (default: the code).")
@ward_option
@with_appcontext
def points_add(code: str, kind: str, name: str, unit: str | None, ward_code: str | None) -> None:
    """Create a service point; its QR code opens the latest questionnaire of its kind."""
    check_kind(kind)
    ward = ward_of(ward_code)
    try:
        point = point_admin.create(cli_actor(), code, name, kind, unit, ward=ward)
    except point_svc.CodeTaken as exc:  # well formed, but the database already holds it
        raise CommandFailed(str(exc)) from None
    except point_svc.PointError as exc:  # a malformed code, unit or name
        raise BadInput(str(exc)) from None
    click.echo(_("Đã tạo điểm khảo sát “%(name)s” (mã %(code)s).", name=point.name, code=point.code))
    click.echo(point_svc.point_url(current_app.config["HAILONG_BASE_URL"], point))


@points_group.command("rename")
@click.argument("code")
@click.argument("name")
@ward_option
@with_appcontext
def points_rename(code: str, name: str, ward_code: str | None) -> None:
    """Change a point's name; its code and printed QR codes stay."""
    point = _point(ward_of(ward_code), code)
    try:
        point_admin.rename(cli_actor(), point, name)
    except point_svc.PointError as exc:
        raise BadInput(str(exc)) from None
    click.echo(_("Đã đổi tên điểm thành “%(name)s”.", name=point.name))


def _set_active(code: str, ward_code: str | None, active: bool) -> None:
    point = _point(ward_of(ward_code), code)
    if point.active == active:  # nothing to change, nothing to audit
        click.echo(_("Điểm “%(code)s” đang hoạt động; không có gì thay đổi.", code=point.code) if active else
                   _("Điểm “%(code)s” đã ngừng từ trước; không có gì thay đổi.", code=point.code))
        return
    point_admin.set_active(cli_actor(), point, active)
    if active:
        click.echo(_("Đã mở lại điểm “%(name)s”: mã QR hoạt động trở lại.", name=point.name))
    else:
        click.echo(_("Đã ngừng điểm “%(name)s”: mã QR không mở phiếu nữa, các phiếu đã gửi vẫn được giữ.",
                     name=point.name))


@points_group.command("deactivate")
@click.argument("code")
@ward_option
@with_appcontext
def points_deactivate(code: str, ward_code: str | None) -> None:
    """Stop a point: its QR code no longer opens the form; its responses stay."""
    _set_active(code, ward_code, False)


@points_group.command("activate")
@click.argument("code")
@ward_option
@with_appcontext
def points_activate(code: str, ward_code: str | None) -> None:
    """Open a stopped point again."""
    _set_active(code, ward_code, True)


@points_group.command("rotate")
@click.argument("code")
@ward_option
@with_appcontext
def points_rotate(code: str, ward_code: str | None) -> None:
    """Give a point a new code; old printed QR codes then show the 'code changed' page."""
    point = _point(ward_of(ward_code), code)
    old = point.code
    new = point_admin.rotate(cli_actor(), point)
    click.echo(_("Đã đổi mã điểm từ %(old)s sang %(new)s. Mã QR cũ không còn mở phiếu; hãy in và dán mã QR mới.",
                 old=old, new=new))


commands = [points_group]

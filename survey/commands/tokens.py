"""`hailong tokens issue`: print slips with one-time receipt QR codes for a service point."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services import points as point_svc
from ..services import tokens as token_svc
from .base import OUT_FILE, BadInput, output_file, ward_of, ward_option


@click.group("tokens")
def tokens_group() -> None:
    """One-time receipt codes (mã đánh giá dùng một lần) stapled to receipts."""


@tokens_group.command("issue")
@click.option("--point", "point_code", required=True, help="The service point's code.")
@click.option("--count", type=click.IntRange(1, token_svc.MAX_ISSUE), required=True, help="How many slips.")
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@ward_option
@with_appcontext
def issue(point_code: str, count: int, out_path: Path, ward_code: str | None) -> None:
    """Create COUNT one-time codes for a point and print them as A4 slips (PDF, 10 per page)."""
    point = point_svc.find(ward_of(ward_code), point_code)
    if point is None or not point.active:
        raise BadInput(_("Không có điểm khảo sát đang hoạt động với mã “%(code)s”.", code=point_code),
                       option="--point")
    tokens = token_svc.issue(point, count)
    # Stored only when the slips are written: a failure here rolls the command back, leaving no unprinted codes.
    pdf = token_svc.render_slips(point, tokens, current_app.config["HAILONG_BASE_URL"])
    with output_file(out_path) as part:
        part.write_bytes(pdf)
    click.echo(_("Đã tạo %(n)s mã dùng một lần cho %(name)s: %(path)s", n=count, name=point.name, path=str(out_path)))


commands = [tokens_group]

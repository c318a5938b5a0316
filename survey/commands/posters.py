"""`hailong qr`: A4 posters with each service point's QR code, as one PDF."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services import points as point_svc
from ..services import posters as poster_svc
from .base import OUT_FILE, BadInput, output_file, ward_of, ward_option


@click.command()
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@click.option("--point", "point_code", help="Only this point's poster.")
@ward_option
@with_appcontext
def qr(out_path: Path, point_code: str | None, ward_code: str | None) -> None:
    """Print A4 posters with each point's QR code as a PDF."""
    points = point_svc.all_points(active_only=True, ward=ward_of(ward_code))
    if point_code:
        points = [p for p in points if p.code == point_code]
        if not points:
            raise BadInput(_("Không có điểm khảo sát đang hoạt động với mã “%(code)s”.", code=point_code),
                           option="--point")
    pdf = poster_svc.render_pdf(points, current_app.config["HAILONG_BASE_URL"])
    with output_file(out_path) as part:
        part.write_bytes(pdf)
    click.echo(f"{len(points)} poster(s) written to {out_path}")


commands = [qr]

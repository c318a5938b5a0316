"""`hailong report`: the period's satisfaction report as a PDF (Nghị định 30/2020 layout)."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from hailong.analysis import windows
from hailong.analysis.periods import PeriodError, parse_period
from hailong.analysis.wording import period_name

from ..services import deadlines, reports
from .base import OUT_FILE, BadInput, cli_actor, output_file, ward_of, ward_option


@click.command("report")
@click.option("--period", required=True, help="2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31")
@click.option("--window", type=click.Choice(windows.WINDOWS), default=None,
              help="report (default for a quarter, half-year or year: the cut-off window of Nghị định 09/2019, "
                   "Article 12) or calendar")
@click.option("--kind", help="onestop, health or education (default: every kind)")
@click.option(
    "--out",
    "out_path",
    type=OUT_FILE,
    help="PDF file to write (default: bao-cao-<period>.pdf)",
)
@click.option("--officer-annex", is_flag=True,
              help="add the annex 'Đánh giá cán bộ' (per officer and desk: personnel data, for the leadership)")
@ward_option
@with_appcontext
def report(period: str, window: str | None, kind: str | None, out_path: Path | None, officer_annex: bool,
           ward_code: str | None) -> None:
    """Write the period's satisfaction report (Nghị định 30/2020 layout) as a PDF.

    A quarter, half-year or year is reported on its reporting window unless --window calendar (or a period
    written "2026-Q4@calendar") asks for the calendar dates; the report says which days it covers.
    """
    try:
        parsed = parse_period(period)
        if parsed.kind != "range" and "@" not in period:
            parsed = windows.in_window(parsed, window or windows.REPORT)
        elif window is not None:
            parsed = windows.in_window(parsed, window)
    except PeriodError:
        raise BadInput(_("Kỳ báo cáo “%(text)s” không hợp lệ. Dùng 2026-Q1, 2026-H1, 2026 hoặc "
                         "2026-01-01..2026-03-31.", text=period), option="--period") from None
    try:
        kind = reports.parse_kind(kind)
    except reports.ReportError as exc:
        raise BadInput(str(exc), option="--kind") from None
    ward = ward_of(ward_code)
    path = out_path or Path(reports.default_filename(parsed, kind))
    pdf = reports.build_pdf(parsed, kind, ward, officer_annex=officer_annex)
    with output_file(path) as part:
        part.write_bytes(pdf)
    deadlines.record(ward, parsed, kind, cli_actor())
    click.echo(_("Đã ghi báo cáo %(period)s vào %(path)s.", period=period_name(parsed), path=str(path)))


commands = [report]

"""`hailong responses import|export`: paper forms in from CSV, every response out as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .. import transaction
from ..services import audit, spreadsheet
from ..services import responses as response_svc
from .base import OUT_FILE, BadInput, CommandFailed, cli_actor, output_file, ward_of, ward_option


@click.group("responses")
def responses_group() -> None:
    """Import and export responses."""


@responses_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@ward_option
@with_appcontext
def responses_import(file: Path, ward_code: str | None) -> None:
    """Import a CSV all-or-nothing; every bad cell is reported with its line and column.

    The file is read as a stream (twice: check, then write) and may not exceed MAX_IMPORT_BYTES (50 MB).
    """
    try:
        count = response_svc.import_csv(file, ward_id=ward_of(ward_code).id)
    except response_svc.ImportRefused as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise CommandFailed(_("Không nhập phiếu nào: %(n)s lỗi.", n=len(exc.errors))) from None
    click.echo(_("Đã nhập %(n)s phiếu.", n=count))


@responses_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@ward_option
@click.option("--all-wards", is_flag=True, help="Every ward's responses in one file, with a `ward` column.")
@with_appcontext
def responses_export(fmt: str, out_path: Path, ward_code: str | None, all_wards: bool) -> None:
    """Export a ward's responses in the import format (cells guarded against formula injection).

    The file appears only when whole; the audit log records the export once it is written, or its failure.
    """
    if all_wards and ward_code is not None:
        raise BadInput(_("Chọn --ward hoặc --all-wards, không chọn cả hai."), option="--all-wards")
    columns = response_svc.export_columns()
    if all_wards:
        columns = ["ward", *columns]
        rows = response_svc.export_rows(with_ward=True)
        target = "all-wards"
    else:
        ward = ward_of(ward_code)
        rows = response_svc.export_rows(ward_ids=[ward.id])
        target = f"ward:{ward.code}"
    try:
        with output_file(out_path) as part:
            if fmt == "csv":
                with part.open("w", encoding="utf-8", newline="") as out:
                    count = spreadsheet.write_csv(out, rows, columns)
            else:
                count = spreadsheet.write_xlsx(part, rows, columns)
    except Exception as exc:
        # The failure is audited on its own, after whatever the export had in the session is dropped.
        transaction.start_over()
        audit.record(cli_actor(), "export.responses.failed", target, f"{fmt}; {type(exc).__name__}")
        transaction.keep_on_error()
        raise
    audit.record(cli_actor(), "export.responses", target, f"{fmt}; {count} responses")
    click.echo(_("Đã xuất %(n)s phiếu ra %(path)s.", n=count, path=str(out_path)))


commands = [responses_group]

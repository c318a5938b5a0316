"""`hailong responses import|export`: paper forms in from CSV, every response out as CSV or XLSX."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .. import transaction
from ..services import audit, spreadsheet
from ..services import responses as response_svc
from .base import OUT_FILE, CommandFailed, cli_actor, output_file


@click.group("responses")
def responses_group() -> None:
    """Import and export responses."""


@responses_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def responses_import(file: Path) -> None:
    """Import a CSV all-or-nothing; every bad cell is reported with its line and column.

    The file is read as a stream (twice: check, then write) and may not exceed MAX_IMPORT_BYTES (50 MB).
    """
    try:
        count = response_svc.import_csv(file)
    except response_svc.ImportRefused as exc:
        for error in exc.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise CommandFailed(_("Không nhập phiếu nào: %(n)s lỗi.", n=len(exc.errors))) from None
    click.echo(_("Đã nhập %(n)s phiếu.", n=count))


@responses_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True)
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@with_appcontext
def responses_export(fmt: str, out_path: Path) -> None:
    """Export every response in the import format (cells guarded against formula injection).

    The file appears only when whole; the audit log records the export once it is written, or its failure.
    """
    columns = response_svc.export_columns()
    rows = response_svc.export_rows()
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
        audit.record(cli_actor(), "export.responses.failed", "all", f"{fmt}; {type(exc).__name__}")
        transaction.keep_on_error()
        raise
    audit.record(cli_actor(), "export.responses", "all", f"{fmt}; {count} responses")
    click.echo(_("Đã xuất %(n)s phiếu ra %(path)s.", n=count, path=str(out_path)))


commands = [responses_group]

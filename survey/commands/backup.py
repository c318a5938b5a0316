"""`hailong backup` and `hailong restore`: consistent online copies of the database."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..services import backup as backup_svc
from .base import OUT_FILE, CommandFailed


@click.command("backup")
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@with_appcontext
def backup(out_path: Path, force: bool) -> None:
    """Copy the database while citizens keep submitting (SQLite backup API, or pg_dump for PostgreSQL)."""
    try:
        result = backup_svc.backup(db.engine.url, out_path, force=force)
    except backup_svc.BackupError as exc:
        raise CommandFailed(str(exc)) from None
    click.echo(_("Đã sao lưu %(n)s phiếu vào %(path)s.", n=result.responses, path=str(out_path)))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds data.")
@with_appcontext
def restore(file: Path, force: bool) -> None:
    """Replace the database with a backup after checking the backup's integrity."""
    db.session.remove()
    try:
        result = backup_svc.restore(db.engine, file, force=force)
    except backup_svc.BackupError as exc:
        raise CommandFailed(str(exc)) from None
    click.echo(_("Đã khôi phục %(n)s phiếu từ %(path)s.", n=result.responses, path=str(file)))


commands = [backup, restore]

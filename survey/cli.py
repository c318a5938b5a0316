"""The `hailong` command: set up, serve, points, QR posters, import and export."""

from __future__ import annotations

import io
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo, with_appcontext
from flask_babel import gettext as _
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from hailong.analysis import flat
from hailong.analysis.periods import TZ, PeriodError, parse_period
from hailong.forms.questionnaire import KINDS

from .commands.base import OUT_FILE, BadInput, CommandFailed, output_file
from .config import ConfigError
from .extensions import db
from .models import Submission
from .services import audit, publication, spreadsheet, stats
from .services import demo as demo_svc
from .services import points as point_svc
from .services import questionnaires as qsvc
from .services import responses as response_svc


def _create_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except ConfigError as exc:  # a bad environment variable: one line naming it, exit status 2
        raise BadInput(str(exc)) from None


class _Group(FlaskGroup):
    """The command group: a bad configuration, an unreadable database or a file error is one line, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a traceback when the app cannot load while listing commands (`hailong --help`).
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as exc:
            exc.show()
            return click.Group.list_commands(self, ctx)
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as exc:  # a file that cannot be read or written, whichever command met it
            raise CommandFailed(_("Lỗi tệp %(path)s: %(error)s", path=str(exc.filename or "?"),
                                  error=exc.strerror or type(exc).__name__)) from None
        except (OperationalError, ProgrammingError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise CommandFailed(_(
                "Không đọc được cơ sở dữ liệu (%(reason)s). Nếu cơ sở dữ liệu còn mới hoặc vừa nâng cấp "
                "phần mềm, hãy chạy “hailong init” trước; nếu không, kiểm tra HAILONG_DATABASE_URL.",
                reason=reason)) from None
        except DBAPIError as exc:
            # The statement's parameters may hold citizens' text: only the database's first line is shown.
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
            raise CommandFailed(_("Cơ sở dữ liệu từ chối thao tác, không có gì được lưu: %(reason)s",
                                  reason=reason)) from None


@click.group(cls=_Group, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """Hài Lòng: khảo sát sự hài lòng của người dân (citizen satisfaction surveys)."""


def register_commands(app: Flask) -> None:
    from .commands import all_commands

    for command in (init, serve, qr, points_group, responses_group, indices_command, *all_commands()):
        app.cli.add_command(command)


@click.command()
@click.option("--demo", is_flag=True, help="Also add demo service points and a year of synthetic responses.")
@with_appcontext
def init(demo: bool) -> None:
    """Create or upgrade the schema and load the questionnaires and the ward (safe to run twice)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    versions = qsvc.sync()
    cfg = current_app.config
    org = point_svc.ensure_organisation(cfg["HAILONG_WARD_CODE"], cfg["HAILONG_WARD_NAME"], cfg["HAILONG_PROVINCE"])
    added = 0
    if demo:
        points = point_svc.ensure_demo_points(org)
        has_responses = db.session.scalar(select(func.count(Submission.id)).where(
            Submission.point_id.in_([p.id for p in points])))
        if not has_responses:
            latest = {v.kind: v for v in sorted(versions, key=lambda v: v.version)}
            pairs = {kind: (v, qsvc.definition(v)) for kind, v in latest.items()}
            added = demo_svc.generate(points, pairs, datetime.now(TZ).date())
        # The demo shows the public results page (/cong-khai); a real ward's admin turns it on in the office.
        publication.publish_all(org.id, "cli")
    db.session.commit()
    click.echo(f"Database ready: {len(versions)} questionnaire version(s), ward {org.name}.")
    if demo:
        click.echo(f"Demo: {len(point_svc.all_points())} service points, {added} new responses.")
        first = next((p for p in point_svc.all_points(active_only=True) if p.kind == "onestop"), None)
        if first is not None:
            click.echo(f"Citizen form: {point_svc.point_url(cfg['HAILONG_BASE_URL'], first.code)}")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@with_appcontext
def serve(host: str, port: int, workers: int) -> None:
    """Serve the application with gunicorn; its logs hold no client address and nothing a client sent."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    from . import create_app, logs

    class _PrivateLogger(Logger):
        """gunicorn's logger, with its error lines scrubbed of client addresses, requests and exception texts."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            logs.protect_gunicorn(self.error_log)

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # Logs without client addresses (the survey is anonymous, Decree 13/2023) and without query strings,
            # which can hold a receipt code: method, path, status, size, duration.
            self.cfg.set("access_log_format", '"%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms')
            self.cfg.set("logger_class", _PrivateLogger)
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)

        def load(self) -> Flask:
            return create_app()

    click.echo(f"Hài Lòng: http://{host}:{port}/  (office: http://{host}:{port}/office/)")
    _Server().run()


@click.command()
@click.option("--out", "out_path", required=True, type=OUT_FILE)
@click.option("--point", "point_code", help="Only this point's poster.")
@with_appcontext
def qr(out_path: Path, point_code: str | None) -> None:
    """Print A4 posters with each point's QR code as a PDF."""
    from .services import posters

    points = point_svc.all_points(active_only=True)
    if point_code:
        points = [p for p in points if p.code == point_code]
        if not points:
            raise CommandFailed(_("Không có điểm khảo sát đang hoạt động với mã “%(code)s”.", code=point_code))
    pdf = posters.render_pdf(points, current_app.config["HAILONG_BASE_URL"])
    with output_file(out_path) as part:
        part.write_bytes(pdf)
    click.echo(f"{len(points)} poster(s) written to {out_path}")


@click.group("points")
def points_group() -> None:
    """Service points."""


@points_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@with_appcontext
def points_list(as_json: bool) -> None:
    """List service points with their questionnaire and public URL."""
    base = current_app.config["HAILONG_BASE_URL"]
    rows: list[dict[str, Any]] = []
    for p in point_svc.all_points():
        rows.append({
            "code": p.code, "name": p.name, "kind": p.kind, "unit": p.unit, "active": p.active,
            "questionnaire": qsvc.latest_version(p.kind).key, "url": point_svc.point_url(base, p.code),
        })
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        flag = "" if row["active"] else "  (ngừng)"
        click.echo(f"{row['code']:<16} {row['kind']:<10} {row['url']}  {row['name']}{flag}")


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
        click.echo(_("Không nhập phiếu nào: %(n)s lỗi.", n=len(exc.errors)), err=True)
        sys.exit(1)
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
        db.session.rollback()
        audit.record("cli", "export.responses.failed", "all", f"{fmt}; {type(exc).__name__}")
        db.session.commit()
        raise
    audit.record("cli", "export.responses", "all", f"{fmt}; {count} responses")
    db.session.commit()
    click.echo(_("Đã xuất %(n)s phiếu ra %(path)s.", n=count, path=str(out_path)))




@click.command("indices")
@click.option("--period", required=True, help="2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31")
@click.option("--kind", help="onestop, health or education (default: each kind)")
@click.option("--point", "point_code", help="One service point's code.")
@click.option("--verified-only", is_flag=True, help="Only responses that came with a one-time receipt code.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the default).")
@click.option("--csv", "as_csv", is_flag=True, help="Print a flat table instead.")
@with_appcontext
def indices_command(period: str, kind: str | None, point_code: str | None, verified_only: bool,
                    as_json: bool, as_csv: bool) -> None:
    """SIPAS indices per statement, element and overall, with n, 95% intervals and the change.

    Bad input prints a Vietnamese message and exits with status 2. The SQL counts run on up to
    HAILONG_STATS_WORKERS connections at once (config or environment; default: the CPU count, at most 4).
    """
    def fail(option: str, message: str) -> NoReturn:
        click.echo(f"{option}: {message}", err=True)
        click.get_current_context().exit(2)

    try:
        parsed = parse_period(period)
    except PeriodError:
        fail("--period", _("Kỳ không hợp lệ. Dùng 2026-Q1, 2026-H1, 2026 hoặc 2026-01-01..2026-03-31."))
    if kind is not None and kind not in KINDS:
        fail("--kind", f"{_('Loại điểm không hợp lệ.')} ({', '.join(KINDS)})")
    try:
        stats.resolve_points(kind, point_code)
    except LookupError:
        fail("--point", _("Không có điểm khảo sát “%(code)s”.", code=point_code))
    except ValueError:
        fail("--point", _("Điểm “%(code)s” không thuộc loại %(kind)s.", code=point_code, kind=kind))
    results = stats.indices_for(parsed, kind, point_code, verified_only, workers=stats.configured_workers())
    if as_csv:
        out = io.StringIO()
        spreadsheet.write_csv_rows(out, flat.COLUMNS, (row for result in results for row in flat.rows(result)))
        click.echo(out.getvalue(), nl=False)
        return
    payload: object = results[0] if kind or point_code else results
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2))

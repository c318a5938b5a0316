"""`hailong init` and `hailong serve`: create or upgrade the database, then serve the application."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from flask_migrate import upgrade
from sqlalchemy import func, select

from hailong.analysis.periods import TZ

from ..extensions import db
from ..models import Submission
from ..services import demo as demo_svc
from ..services import demo_pakn, pakn, publication
from ..services import points as point_svc
from ..services import questionnaires as qsvc
from .base import cli_actor


@click.command()
@click.option("--demo", is_flag=True, help="Also add demo service points and a year of synthetic responses.")
@with_appcontext
def init(demo: bool) -> None:
    """Create or upgrade the schema and load the questionnaires and the ward (safe to run twice)."""
    upgrade(directory=current_app.extensions["migrate"].directory)
    versions = qsvc.sync()
    cfg = current_app.config
    org = point_svc.ensure_organisation(cfg["HAILONG_WARD_CODE"], cfg["HAILONG_WARD_NAME"], cfg["HAILONG_PROVINCE"])
    added = pakn_added = 0
    # A PAKN handling unit for every unit of the ward's points (named after a point; the admin renames them).
    pakn.ensure_units_from_points(org)
    if demo:
        points = point_svc.ensure_demo_points(org)
        has_responses = db.session.scalar(select(func.count(Submission.id)).where(
            Submission.point_id.in_([p.id for p in points])))
        if not has_responses:
            latest = {v.kind: v for v in sorted(versions, key=lambda v: v.version)}
            pairs = {kind: (v, qsvc.definition(v)) for kind, v in latest.items()}
            added = demo_svc.generate(points, pairs, datetime.now(TZ).date())
        db.session.refresh(org)
        pakn_added = demo_pakn.generate(org, datetime.now(TZ).date())
        # The demo shows the public results page (/cong-khai); a real ward's admin turns it on in the office.
        publication.publish_all(org.id, cli_actor())
    click.echo(f"Database ready: {len(versions)} questionnaire version(s), ward {org.name}.")
    if demo:
        click.echo(f"Demo: {len(point_svc.all_points())} service points, {added} new responses, "
                   f"{pakn_added} new PAKN items.")
        first = next((p for p in point_svc.all_points(active_only=True) if p.kind == "onestop"), None)
        if first is not None:
            click.echo(f"Citizen form: {point_svc.point_url(cfg['HAILONG_BASE_URL'], first)}")


#: Requests a `hailong serve` worker handles at once (gunicorn's gthread worker when above 1). One by default: on
#: the shared 2-core bench machine 4 threads did not measurably beat sync workers (README, "The citizen's write path").
THREADS = 1


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
@click.option("--threads", default=THREADS, show_default=True, type=click.IntRange(1, 64),
              help="Requests each worker serves at once (1: one at a time).")
@with_appcontext
def serve(host: str, port: int, workers: int, threads: int) -> None:
    """Serve the application with gunicorn; its logs hold no client address and nothing a client sent."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.glogging import Logger

    from .. import create_app, logs

    class _PrivateLogger(Logger):
        """gunicorn's logger, with its error lines scrubbed of client addresses, requests and exception texts."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            logs.protect_gunicorn(self.error_log)
            logs.protect_gunicorn_access(self.access_log)

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            # Threads (gunicorn's gthread worker) let a worker go on with another citizen while one waits on the
            # database (a commit's fsync, SQLite's write lock) or Redis; a sync worker sits idle then.
            self.cfg.set("threads", threads)
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


commands = [init, serve]

"""`hailong worker`: run the background jobs (province report, province-wide export, a ward's report) from the
app's RQ queue."""

from __future__ import annotations

import os
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..extensions import db
from ..services import job_files
from ..services import jobs as job_svc
from .base import CommandFailed


def _worker_class() -> Any:
    """RQ's forking worker (each job in a child, so WeasyPrint's memory goes with it) that marks killed children
    and prunes the jobs' old files by itself."""
    from rq import Worker

    class ReportWorker(Worker):
        def handle_work_horse_killed(self, job: Any, retpid: Any, ret_val: Any, rusage: Any) -> None:
            # A child killed (out of memory, SIGKILL) never reached its own failure handling: say so on the row.
            job_svc.horse_killed(job.id)

        def run_maintenance_tasks(self) -> None:
            # RQ's maintenance runs when the worker starts and every 10 minutes after, idle or between jobs:
            # the retention needs no cron. job_files lets one worker through per hour.
            super().run_maintenance_tasks()
            _prune(self.connection)

    return ReportWorker


def _prune(conn: Any) -> None:
    """The automatic prune in the worker's parent; a failure is logged, never the worker's end."""
    try:
        job_files.now_and_then(conn)
    except Exception as exc:  # RQ stops a worker on any error of its loop: the jobs matter more than a prune
        current_app.logger.warning("jobs prune failed (%s)", type(exc).__name__)
    finally:
        # The parent keeps no connection a forked job could share (as at the start).
        db.session.remove()
        db.engine.dispose()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop (for tests and cron).")
@with_appcontext
def worker(burst: bool) -> None:
    """Run the background jobs of the office's queue (HAILONG_QUEUE_URL or HAILONG_REDIS_URL, HAILONG_QUEUE_NAME).

    Run it beside gunicorn, under the same settings and instance folder (the files are written there).
    """
    try:
        conn = job_svc.connection(for_worker=True)
        job_svc.check_available(conn)
    except job_svc.QueueUnavailable as exc:
        raise CommandFailed(str(exc)) from None
    # The parent keeps no connection a forked job could share; each child opens its own.
    db.session.remove()
    db.engine.dispose()
    engine = db.engine
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    queue = job_svc.queue(conn)
    click.echo(_("Đang chạy công việc nền của hàng đợi “%(name)s”.", name=queue.name))
    current_app.logger.info("hailong worker on queue %s", queue.name)
    from redis.exceptions import RedisError

    work = _worker_class()([queue], connection=conn)
    try:
        # RQ itself waits and retries while Redis is briefly away; what still escapes ends the command in one line.
        work.work(burst=burst, logging_level="INFO", with_scheduler=False)
    except RedisError as exc:
        raise CommandFailed(_("Mất kết nối hàng đợi công việc nền (Redis): %(error)s",
                              error=type(exc).__name__)) from None


commands = [worker]

"""`hailong jobs prune`: delete the background jobs' files whose retention period has ended (services.job_files)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from .. import transaction
from ..services import job_files
from ..services import jobs as job_svc
from .base import cli_actor


@click.group("jobs")
def jobs_group() -> None:
    """The files of the background jobs (province report, province-wide export, ward reports)."""


@jobs_group.command("prune")
@click.option("--dry-run", is_flag=True, help="Only list what would be deleted or marked; change nothing.")
@with_appcontext
def prune(dry_run: bool) -> None:
    """Delete the files kept longer than HAILONG_REPORT_FILE_DAYS (PDFs) or HAILONG_EXPORT_FILE_DAYS (CSV exports),
    and the files no job names; mark the jobs (their rows stay) and the jobs whose file has vanished.

    `hailong worker` already does this by itself about once an hour; run it from cron only where no worker runs.
    """
    done = job_files.prune(dry_run=dry_run, actor=cli_actor())
    if not done.folder_found:
        click.echo(_("Thư mục %(path)s không có: không có tệp nào để xóa, không đánh dấu tệp nào là mất "
                     "(kiểm tra HAILONG_INSTANCE_PATH nếu đã có công việc nền).",
                     path=str(current_app.config["HAILONG_INSTANCE_PATH"] / job_svc.FOLDER)))
    if dry_run:
        for job in done.expired:
            click.echo(_("hết hạn: %(path)s (công việc %(id)s)", path=job.file_path, id=job.id))
        for job in done.missing:
            click.echo(_("không còn tệp: %(path)s (công việc %(id)s)", path=job.file_path, id=job.id))
        for path in done.orphans:
            click.echo(_("không thuộc công việc nào: %(path)s", path=path))
        click.echo(_("Chạy thử, không thay đổi gì: sẽ xóa %(expired)s tệp hết thời hạn lưu trữ và %(orphans)s tệp "
                     "không thuộc công việc nào, đánh dấu %(missing)s công việc không còn tệp.",
                     expired=len(done.expired), orphans=len(done.orphans), missing=len(done.missing)))
        return
    message = _("Đã xóa %(expired)s tệp hết thời hạn lưu trữ (báo cáo %(report_days)s ngày, dữ liệu toàn tỉnh "
                "%(export_days)s ngày) và %(orphans)s tệp không thuộc công việc nào; đánh dấu %(missing)s công việc "
                "không còn tệp.", expired=len(done.expired), orphans=len(done.orphans), missing=len(done.missing),
                report_days=current_app.config["HAILONG_REPORT_FILE_DAYS"],
                export_days=current_app.config["HAILONG_EXPORT_FILE_DAYS"])
    # Said once the files are deleted, which follows the commit of the rows' marks (callbacks run in order).
    transaction.after_commit(lambda: click.echo(message))


commands = [jobs_group]

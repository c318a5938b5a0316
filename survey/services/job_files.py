"""How long a background job's file is kept, and the pruning that deletes it afterwards.

The files `hailong worker` makes (services.jobs) carry citizens' answers: a province-wide export every response
and its comment, the reports their quoted comments (Decree 13/2023 expects personal data to be kept no longer than
needed). A PDF is kept HAILONG_REPORT_FILE_DAYS after it was made (30), an export HAILONG_EXPORT_FILE_DAYS (7).

`prune` reads the rows whose file is kept (one query, on the partial index ix_report_jobs_kept_files: a retention
period's worth of rows, never the history) and

* marks each whose period has ended 'expired', and each whose file is not there 'missing' (file_deleted_at and
  file_deleted_reason; the row stays: who asked for what and when is an audit fact), each marking audited;
* deletes the expired files only once those marks are committed (transaction.after_commit), so no row ever offers
  a deleted file; a crash in between leaves files no kept row names, which the next prune deletes as
* orphans: files of the jobs folder no kept row names (a row deleted, a deletion interrupted, a worker killed while
  writing its `.part` file), once older than GRACE, so a file a job is still writing or about to mark done stays.

It runs from `hailong jobs prune` (cron, if wanted) and by itself in `hailong worker` (`now_and_then`: at its start
and then at most once per EVERY across the queue's workers), the process that writes the files and so must see them.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from hailong.analysis.periods import TZ

from .. import transaction
from ..extensions import db
from ..models import FileRemoval, JobKind, JobStatus, ReportJob, utcnow
from . import audit
from . import jobs as job_svc

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

#: The automatic prune runs at most once per this interval (a Redis key shared by every worker of the queue).
EVERY = timedelta(hours=1)
#: A file of the jobs folder younger than this may be one a job is writing or about to mark done: never an orphan.
#: A job runs at most JOB_TIMEOUT, so an older file no kept row names belongs to no job.
GRACE = job_svc.JOB_TIMEOUT


def retention(kind: str) -> timedelta:
    """How long a file of this job kind is kept after it was made: an export's raw answers less than a report."""
    setting = "HAILONG_EXPORT_FILE_DAYS" if kind == JobKind.PROVINCE_EXPORT_CSV else "HAILONG_REPORT_FILE_DAYS"
    return timedelta(days=int(current_app.config[setting]))


def kept_until(job: ReportJob) -> datetime | None:
    """When a finished job's file stops being kept (a prune after that deletes it); None when it has no file."""
    if job.status != JobStatus.DONE or job.file_deleted_at is not None or job.finished_at is None:
        return None
    return job.finished_at + retention(job.kind)


def gone_notice(job: ReportJob) -> str | None:
    """Why a finished job's file cannot be downloaded (Vietnamese, for its row and its 410 page); None if it can."""
    if job.status != JobStatus.DONE:
        return None
    if job.file_deleted_reason == FileRemoval.EXPIRED and job.file_deleted_at is not None:
        return _("Tệp đã được xóa ngày %(date)s theo thời hạn lưu trữ (%(days)s ngày). Nếu còn cần, hãy tạo lại "
                 "yêu cầu.", date=job.file_deleted_at.astimezone(TZ).strftime("%d/%m/%Y"),
                 days=retention(job.kind).days)
    if job.file_deleted_at is not None or job_svc.file_of(job) is None:
        return _("Tệp không còn trên máy chủ (đã bị xóa ngoài phần mềm). Nếu còn cần, hãy tạo lại yêu cầu.")
    return None


@dataclass
class Pruned:
    """What a prune did (or, dry, would do)."""

    #: Jobs whose retention period ended: marked, and their files deleted once that is committed.
    expired: list[ReportJob] = field(default_factory=list)
    #: Jobs whose file was not found: marked, nothing to delete.
    missing: list[ReportJob] = field(default_factory=list)
    #: Files of the jobs folder that no kept job names (relative to the instance folder), deleted.
    orphans: list[str] = field(default_factory=list)
    #: False when the instance folder has no jobs folder: no file is then called missing (a wrong
    #: HAILONG_INSTANCE_PATH must not mark every kept file gone).
    folder_found: bool = True


def prune(*, dry_run: bool = False, actor: str = "system", now: datetime | None = None) -> Pruned:
    """Mark the jobs whose file expired or vanished and delete the expired and orphaned files after the commit.

    With `dry_run` nothing is marked or deleted; the result says what would be.
    """
    now = now or utcnow()
    instance = Path(current_app.config["HAILONG_INSTANCE_PATH"])
    folder = instance / job_svc.FOLDER
    done = Pruned(folder_found=folder.is_dir())
    # The partial index's own condition (models.KEPT_FILE) and order, so both databases read only that index.
    kept = list(db.session.scalars(select(ReportJob).where(
        ReportJob.file_path.is_not(None), ReportJob.file_deleted_at.is_(None)).order_by(ReportJob.finished_at)))
    for job in kept:
        if job.finished_at is not None and job.finished_at + retention(job.kind) <= now:
            done.expired.append(job)
        elif done.folder_found and not (instance / str(job.file_path)).is_file():
            done.missing.append(job)
    if done.folder_found:
        named = {instance / str(job.file_path) for job in kept}
        before = (now - GRACE).timestamp()
        done.orphans = [f"{job_svc.FOLDER}/{path.name}" for path in sorted(folder.iterdir())
                        if path not in named and _is_file(path) and path.lstat().st_mtime < before]
    if dry_run:
        return done
    for job in done.expired:
        _mark(job, FileRemoval.EXPIRED, now, actor, f"{retention(job.kind).days} days")
    for job in done.missing:
        _mark(job, FileRemoval.MISSING, now, actor, "not found")
    if done.orphans:
        audit.record(actor, "job.orphans_deleted", job_svc.FOLDER, "; ".join(done.orphans))
    db.session.flush()
    # Only files directly in the jobs folder, whatever a row says (a path with "../" is marked, never followed).
    doomed = [instance / str(job.file_path) for job in done.expired
              if Path(str(job.file_path)).parent == Path(job_svc.FOLDER)] + [instance / p for p in done.orphans]
    if doomed:
        transaction.after_commit(lambda: _delete(doomed))
    return done


def _is_file(path: Path) -> bool:
    return path.is_symlink() or path.is_file()


def _mark(job: ReportJob, reason: FileRemoval, now: datetime, actor: str, why: str) -> None:
    job.file_deleted_at = now
    job.file_deleted_reason = reason.value
    # Filed under the job's ward (a province job's under none), whoever runs the prune.
    audit.record(actor, f"job.file_{reason.value}", job.period, f"job {job.id}; {job.kind}; {why}",
                 ward_id=job.organisation_id)


def _delete(paths: list[Path]) -> None:
    """Delete files whose rows no longer offer them (committed); one already gone is no error."""
    for path in paths:
        path.unlink(missing_ok=True)


def now_and_then(conn: Redis) -> Pruned | None:
    """Prune in a transaction of its own if no worker of this queue did in the last EVERY; None when one did.

    A key in the queue's Redis (SET NX with expiry) lets one worker through per interval, so several workers, or
    a worker restarted in a loop, cost one prune an hour: one query on the kept rows, a stat of each file.
    """
    key = f"hailong:{job_svc.queue_name()}:jobs-prune"
    if not conn.set(key, str(os.getpid()), nx=True, ex=int(EVERY.total_seconds())):
        return None
    with transaction.boundary():
        done = prune()
    if done.expired or done.missing or done.orphans:
        log.info("jobs prune: %s expired, %s missing, %s orphans", len(done.expired), len(done.missing),
                 len(done.orphans))
    return done

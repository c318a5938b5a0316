"""The ward's period report off the request: asked in the office, built by `hailong worker`, kept, and reused.

At a province's size the ward's quarterly PDF takes 17-25 s (WeasyPrint's layout alone about 4 s of CPU), so when
a queue is configured the office's report button asks for it instead (`ask`): a `report_jobs` row of kind
`ward_report_pdf`, in the ward's organisation_id, with the options of the synchronous route (the period with its
window, one kind or all, the annex per officer). Three outcomes, in this order:

* **reused**: the newest finished report of the same ward and options whose file is still there and whose `mark`
  equals the data's mark now; the office sends that file, nothing is queued (Redis is not even needed);
* **pending**: one of the same ward and options is waiting or running; the office shows it, nothing is queued
  (a second click, or a colleague's). A Redis key held while a new one is being created closes the gap between
  two clicks that arrive before either row is committed;
* **queued**: a new row, put on the queue once the request commits (services.jobs.enqueue).

The mark (services.report_marks.mark) is what the report is made from, read by the worker just before it builds,
as the province snapshots' marks are (services.province_snapshots): a change landing during the build makes the
file stale (one rebuild too many), never current when it is not. It is ``<through>:<digest>``, the digest over

* `seen`: the ward's responses with days in the report's span (the period, the previous period it is compared
  with and the year to date of its target call) and an id above `through - REREAD`, `through` being the newest
  response id when the mark was read: a new response of the span raises it, including one still in flight then;
* the ward's own 'figures' token (one of its responses deleted or flagged/unflagged, by trigger, migration
  0017_ward_figures) and the 'citizen' token of cache_versions (points, questionnaires, wards; migration 0013);
* the ward's report settings (number, signer, recipients...), its population margins (the weighted figures), the
  PAKN rows the report counts (services.pakn.stats_facts) and, with the annex, the officers' ratings of the
  period with their flags and the ward's desks and roster;
* the local (Vietnam) day: the report's PAKN section counts what is overdue *today* and an undated report prints
  the current year, so yesterday's file is not today's report.

Checking it reads again from the stored `through`, so it costs the responses since then (milliseconds), plus a
handful of small per-ward reads. A flag in another ward leaves the file current; the 'citizen' token is global,
so a point added in another ward makes it stale: never wrong, at worst one rebuild too many.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..models import JobKind, JobStatus, Organisation, ReportJob, Role, User
from . import jobs as job_svc
from .report_marks import Options, current

__all__ = ["Asked", "Options", "Outcome", "ask", "pending", "reusable"]

log = logging.getLogger(__name__)

#: How long the key that keeps two simultaneous clicks from queueing two jobs lives at most (it is released as
#: soon as the new row is committed and queued).
ASK_LOCK_SECONDS = 30


class Outcome(StrEnum):
    REUSED = "reused"
    PENDING = "pending"
    QUEUED = "queued"


@dataclass(frozen=True)
class Asked:
    """What `ask` did; `job` is None only when another click is creating the same job at this very moment."""

    outcome: Outcome
    job: ReportJob | None


# --- asking ---------------------------------------------------------------------------------------------------


def _same(ward_id: int, options: Options) -> list[Any]:
    kind = ReportJob.service_kind.is_(None) if options.kind is None else ReportJob.service_kind == options.kind
    return [ReportJob.organisation_id == ward_id, ReportJob.kind == JobKind.WARD_REPORT_PDF.value,
            ReportJob.period == options.period.label, kind, ReportJob.officer_annex.is_(options.officer_annex)]


def reusable(ward_id: int, options: Options) -> ReportJob | None:
    """The newest finished report of these options if its file is there and its data has not changed since."""
    job = db.session.scalar(select(ReportJob).where(*_same(ward_id, options), ReportJob.status == JobStatus.DONE)
                            .order_by(ReportJob.id.desc()).limit(1))
    if job is None or job_svc.file_of(job) is None or not current(job):
        return None
    return job


def pending(ward_id: int, options: Options) -> ReportJob | None:
    """A report of these options that is waiting or running."""
    return db.session.scalar(select(ReportJob).where(
        *_same(ward_id, options), ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        .order_by(ReportJob.id.desc()).limit(1))


def _lock_key(ward_id: int, options: Options) -> str:
    scope = f"{ward_id}\n{options.period.label}\n{options.kind or ''}\n{int(options.officer_annex)}"
    return f"hailong:{job_svc.queue_name()}:ward-report:{hashlib.sha256(scope.encode()).hexdigest()[:16]}"


def ask(account: User, ward: Organisation, options: Options) -> Asked:
    """The report for these options: a current finished one, the one under way, or a new job queued on commit.

    QueueUnavailable (Vietnamese) when a job is needed and the queue's Redis does not answer; JobFailed when the
    annex is asked by an account that is not the ward's admin (the office answers 404 before it comes to this).
    """
    from redis.exceptions import RedisError

    from .. import transaction

    if account.organisation_id != ward.id or account.role not in (Role.ADMIN, Role.REVIEWER):
        raise job_svc.JobFailed(_("Chỉ cán bộ của phường tạo được báo cáo của phường."))
    if options.officer_annex and account.role != Role.ADMIN:
        raise job_svc.JobFailed(_("Chỉ quản trị viên của phường tạo được báo cáo kèm phụ lục đánh giá cán bộ."))
    found = reusable(ward.id, options)
    if found is not None:
        return Asked(Outcome.REUSED, found)
    found = pending(ward.id, options)
    if found is not None:
        return Asked(Outcome.PENDING, found)
    key = _lock_key(ward.id, options)
    try:
        conn = job_svc.connection()
        if not conn.set(key, "1", nx=True, ex=ASK_LOCK_SECONDS):
            return Asked(Outcome.PENDING, None)  # another click is creating it right now
    except (RedisError, OSError):
        raise job_svc.unreachable() from None
    # Looked for again under the key: a click that created one between the look above and the key (its key is
    # released only once its row is committed) is seen now.
    found = pending(ward.id, options)
    if found is not None:
        release(key)
        return Asked(Outcome.PENDING, found)
    job = ReportJob(organisation_id=ward.id, province=ward.province, requested_by=account.id,
                    kind=JobKind.WARD_REPORT_PDF.value, period=options.period.label, service_kind=options.kind,
                    officer_annex=options.officer_annex, status=JobStatus.QUEUED.value)
    db.session.add(job)
    db.session.flush()
    job_id = job.id

    def queue_it() -> None:
        try:
            job_svc.enqueue(job_id)
        finally:
            release(key)

    transaction.after_commit(queue_it)
    return Asked(Outcome.QUEUED, job)


def release(key: str) -> None:
    from redis.exceptions import RedisError

    try:
        job_svc.connection().delete(key)
    except (RedisError, OSError, job_svc.QueueUnavailable) as exc:
        log.warning("ward report: the ask key was not released (%s)", type(exc).__name__)

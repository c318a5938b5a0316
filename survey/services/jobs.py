"""Background jobs on RQ: the province report, the province-wide export and a ward's own report (asked through
services.ward_reports), made by `hailong worker` off the request.

The office adds a `report_jobs` row and, once it is committed, puts the row's id on the RQ queue
(HAILONG_QUEUE_URL, else HAILONG_REDIS_URL; queue HAILONG_QUEUE_NAME). `hailong worker` runs `run(id)`, which
marks the row running, counts progress (wards done) on its own short transactions so the office sees it move,
writes the file into the instance folder (jobs/<id>-<name>, renamed into place when complete) and marks the row
done, or failed with a Vietnamese reason. The row, not RQ, is what the office reads: Redis keeps no state of ours.
The file is kept for a limited time, then deleted and the row marked (services.job_files).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import insert, or_, select, update

from hailong.analysis.periods import Period, PeriodError, parse_period
from hailong.forms.questionnaire import KINDS

from .. import transaction
from ..extensions import db
from ..models import GeneratedReport, JobKind, JobStatus, Organisation, ReportJob, Role, User, utcnow
from . import audit, spreadsheet
from . import province as province_svc
from . import responses as response_svc
from . import wards as ward_svc

if TYPE_CHECKING:
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)

#: The function the worker runs, by name: RQ imports it in the worker, nothing is pickled but the row id.
ENTRY_POINT = "hailong.survey.services.jobs.run"
#: RQ kills a job running longer than this (a province's year report is minutes, not hours).
JOB_TIMEOUT = timedelta(hours=2)
#: Folder of the finished files, inside the instance folder.
FOLDER = "jobs"
#: Seconds the office waits for Redis before saying it is unavailable (a page must not hang on it).
CONNECT_TIMEOUT = 3


class QueueUnavailable(RuntimeError):
    """No queue is configured or its Redis does not answer; the message is Vietnamese, shown as is."""


class JobFailed(RuntimeError):
    """A job that cannot be done for a reason the office should read (Vietnamese), not a crash."""


def queue_url() -> str | None:
    """The queue's Redis: HAILONG_QUEUE_URL, else the rate limits' HAILONG_REDIS_URL, else None (no jobs)."""
    config = current_app.config
    return config.get("HAILONG_QUEUE_URL") or config.get("HAILONG_REDIS_URL") or None


def queue_name() -> str:
    return str(current_app.config.get("HAILONG_QUEUE_NAME") or "hailong")


def connection(*, for_worker: bool = False) -> Redis:
    """A Redis client for the queue (QueueUnavailable when none is configured); only the office's has a read timeout."""
    from redis import Redis

    url = queue_url()
    if not url:
        raise QueueUnavailable(_("Chưa cấu hình hàng đợi công việc nền: hãy đặt HAILONG_QUEUE_URL (hoặc "
                                 "HAILONG_REDIS_URL) là địa chỉ Redis và chạy “hailong worker”."))
    timeout = None if for_worker else CONNECT_TIMEOUT
    return Redis.from_url(url, socket_connect_timeout=CONNECT_TIMEOUT, socket_timeout=timeout)


def queue(conn: Redis | None = None) -> Queue:
    """The app's RQ queue on `conn` (a new connection when none is given)."""
    from rq import Queue

    return Queue(queue_name(), connection=conn if conn is not None else connection())


def check_available(conn: Redis | None = None) -> None:
    """Raise QueueUnavailable (Vietnamese) unless the queue's Redis answers."""
    from redis.exceptions import RedisError

    client = conn if conn is not None else connection()
    try:
        client.ping()
    except (RedisError, OSError):
        raise unreachable() from None


def unreachable() -> QueueUnavailable:
    return QueueUnavailable(_("Không kết nối được hàng đợi công việc nền (Redis). Chưa tạo được yêu cầu; vui lòng "
                              "thử lại sau hoặc báo quản trị viên kiểm tra Redis và “hailong worker”."))


def rq_id(job_id: int) -> str:
    """RQ's id of a row's job: the queue name and the row id, so two deployments on one Redis never collide."""
    return f"{queue_name()}-job-{job_id}"


# --- asking -------------------------------------------------------------------------------------------------


def create(account: User, kind: JobKind, period: Period, service_kind: str | None = None) -> ReportJob:
    """Add a province job and queue it once the request commits; QueueUnavailable first if Redis is down."""
    if account.role != Role.PROVINCE or not account.province:
        raise JobFailed(_("Chỉ tài khoản cấp tỉnh tạo được báo cáo và tệp dữ liệu toàn tỉnh."))
    check_available()
    job = ReportJob(organisation_id=None, province=account.province, requested_by=account.id, kind=kind.value,
                    period=period.label, service_kind=service_kind, status=JobStatus.QUEUED.value)
    db.session.add(job)
    db.session.flush()
    audit.record(account.username, f"job.{kind.value}"[:40], period.label,
                 f"job {job.id}; {account.province}; {service_kind or 'all'}")
    job_id = job.id
    transaction.after_commit(lambda: enqueue(job_id))
    return job


def enqueue(job_id: int) -> None:
    """Put a committed row on the queue; if Redis fails now, the row says so instead of waiting forever."""
    from redis.exceptions import RedisError

    try:
        queue().enqueue(ENTRY_POINT, job_id, job_id=rq_id(job_id), job_timeout=int(JOB_TIMEOUT.total_seconds()),
                        result_ttl=3600, failure_ttl=7 * 86400, description=f"hailong report job {job_id}")
    except (RedisError, OSError, QueueUnavailable):
        with force_locale("vi"):
            message = str(unreachable())
        _set(job_id, status=JobStatus.FAILED.value, error=message, finished_at=utcnow())
        raise


# --- reading --------------------------------------------------------------------------------------------------


def _visible_to(account: User) -> Any:
    """The rows an account may see: a province account its province's province-wide jobs, a ward its ward's
    (a report with the annex per officer only its admins)."""
    if account.role == Role.PROVINCE:
        return (ReportJob.organisation_id.is_(None)) & (ReportJob.province == (account.province or ""))
    if account.organisation_id is None:
        return ReportJob.id.is_(None)
    if account.role != Role.ADMIN:
        # A report with the annex per officer is personnel data: the ward's admins only (others get 404).
        return (ReportJob.organisation_id == account.organisation_id) & ReportJob.officer_annex.is_(False)
    return ReportJob.organisation_id == account.organisation_id


def visible(account: User, job_id: int) -> ReportJob | None:
    """The job if this account may see it; None otherwise (the caller answers 404, as for a missing id)."""
    return db.session.scalar(select(ReportJob).where(ReportJob.id == job_id, _visible_to(account)))


def recent(account: User, limit: int = 50, kinds: tuple[JobKind, ...] | None = None) -> list[ReportJob]:
    """The account's visible jobs (of these kinds), newest first."""
    query = select(ReportJob).where(_visible_to(account))
    if kinds is not None:
        query = query.where(ReportJob.kind.in_([k.value for k in kinds]))
    query = query.order_by(ReportJob.id.desc()).limit(limit)
    return list(db.session.scalars(query))


def unfinished(jobs: list[ReportJob]) -> bool:
    return any(j.status in (JobStatus.QUEUED, JobStatus.RUNNING) for j in jobs)


def file_of(job: ReportJob) -> Path | None:
    """The finished file of a done job, if it is still kept (services.job_files) and there."""
    if job.status != JobStatus.DONE or not job.file_path or job.file_deleted_at is not None:
        return None
    path = Path(current_app.config["HAILONG_INSTANCE_PATH"]) / job.file_path
    return path if path.is_file() else None


def download_name(job: ReportJob) -> str:
    """The file's name without the row id: bao-cao-tinh-2026-Q1.pdf, hailong-tinh-2026-Q1-health.csv."""
    return (job.file_path or "").rsplit("/", 1)[-1].split("-", 1)[-1]


# --- doing ----------------------------------------------------------------------------------------------------


def _set(job_id: int, **values: Any) -> None:
    """Change the row on a connection of its own, committed at once, so the office sees progress mid-job."""
    with db.engine.begin() as conn:
        conn.execute(update(ReportJob).where(ReportJob.id == job_id).values(**values))


@dataclass
class Progress:
    """Counts units of work done and writes them to the row."""

    job_id: int
    total: int
    done: int = 0

    def start(self) -> None:
        _set(self.job_id, progress_done=0, progress_total=self.total)

    def tick(self, _item: object = None) -> None:
        self.done += 1
        _set(self.job_id, progress_done=min(self.done, self.total))


def run(job_id: int) -> None:
    """The worker's entry point: make the row's file, or mark it failed in Vietnamese and re-raise (for RQ's log)."""
    job = db.session.get(ReportJob, job_id)
    if job is None:
        log.warning("report job %s: no such row (another database?)", job_id)
        return
    if job.status == JobStatus.DONE:
        return
    _set(job_id, status=JobStatus.RUNNING.value, started_at=utcnow(), finished_at=None, error=None)
    try:
        generated = _generated(job)
        with force_locale("vi"):
            relative = _make(job)
    except BaseException as exc:
        transaction.start_over()
        with force_locale("vi"):
            message = _failure_message(exc)
        _set(job_id, status=JobStatus.FAILED.value, error=message, finished_at=utcnow())
        log.error("report job %s failed (%s)", job_id, type(exc).__name__)
        raise
    transaction.start_over()  # the job only read through the session: end that read, keep nothing
    with db.engine.begin() as conn:
        conn.execute(update(ReportJob).where(ReportJob.id == job_id).values(
            status=JobStatus.DONE.value, file_path=relative, finished_at=utcnow()))
        if generated is not None:
            conn.execute(insert(GeneratedReport).values(**generated, generated_at=utcnow()))


def _generated(job: ReportJob) -> dict[str, Any] | None:
    """A ward report, once made, counts for the ward's deadlines (as the office's synchronous report does): the
    generated_reports row to add with the job's end, by who asked."""
    if job.kind != JobKind.WARD_REPORT_PDF or job.organisation_id is None:
        return None
    return {"organisation_id": job.organisation_id, "period": job.period[:40],
            "window": parse_period(job.period).window, "kind": job.service_kind,
            "generated_by": job.requester.username[:80]}


def _failure_message(exc: BaseException) -> str:
    from .reports import ReportError

    if isinstance(exc, (JobFailed, PeriodError, ReportError)):
        return str(exc)
    if type(exc).__name__ == "JobTimeoutException":
        return _("Công việc chạy quá %(hours)s giờ nên đã bị dừng. Vui lòng thử lại với kỳ ngắn hơn hoặc báo quản trị "
                 "viên.", hours=int(JOB_TIMEOUT.total_seconds() // 3600))
    if isinstance(exc, OSError):
        return _("Không ghi được tệp kết quả vào thư mục dữ liệu (%(error)s). Vui lòng báo quản trị viên.",
                 error=exc.strerror or type(exc).__name__)
    return _("Không tạo được tệp do lỗi hệ thống (%(error)s). Vui lòng thử lại; nếu vẫn lỗi, báo quản trị viên "
             "(nhật ký của “hailong worker” có chi tiết).", error=type(exc).__name__)


def _wards(job: ReportJob) -> list[Organisation]:
    wards = ward_svc.of_province(job.province)
    if not wards:
        raise JobFailed(_("Tỉnh %(province)s chưa có phường, xã nào trong hệ thống.", province=job.province))
    return wards


def _make(job: ReportJob) -> str:
    """Build the job's file; returns its path relative to the instance folder."""
    period = parse_period(job.period)
    if job.kind == JobKind.WARD_REPORT_PDF:
        from . import report_marks, reports

        progress = Progress(job.id, 2)  # the figures, then WeasyPrint's PDF
        progress.start()
        pdf, data_mark = report_marks.build(job, progress.tick)
        _set(job.id, data_mark=data_mark)
        return _store(job, reports.default_filename(period, job.service_kind), lambda f: f.write(pdf), binary=True)
    wards = _wards(job)
    if job.kind == JobKind.PROVINCE_REPORT_PDF:
        from . import province_report

        # Each kind's wards for the period and the previous one (the report's comparison).
        progress = Progress(job.id, 2 * len(KINDS) * len(wards))
        progress.start()
        pdf = province_report.build_pdf(period, job.province, wards, progress.tick)
        return _store(job, province_report.default_filename(period), lambda f: f.write(pdf), binary=True)
    if job.kind == JobKind.PROVINCE_EXPORT_CSV:
        progress = Progress(job.id, len(wards))
        progress.start()
        return _store(job, export_filename(period, job.service_kind),
                      lambda f: _write_export(f, period, job.service_kind, wards, progress.tick))
    raise JobFailed(_("Loại công việc không hợp lệ."))


def export_filename(period: Period, kind: str | None) -> str:
    return f"hailong-tinh-{period.label}{'-' + kind if kind else ''}.csv".replace("..", "_").replace("@", "-")


def _write_export(out: Any, period: Period, kind: str | None, wards: list[Organisation],
                  tick: Callable[[object], None]) -> int:
    """Every ward's responses of the period, ward after ward (progress per ward), one header, a `ward` column."""
    columns = ["ward", *response_svc.export_columns([kind] if kind else None)]

    def rows() -> Iterator[dict[str, str]]:
        for ward in wards:
            yield from province_svc.export_rows(period, kind, [ward])
            tick(ward)

    out.write("\ufeff")
    return spreadsheet.write_csv(out, rows(), columns)


def _store(job: ReportJob, name: str, write: Callable[[Any], Any], binary: bool = False) -> str:
    """Write the file under a temporary name and rename it into place, so a half-written file is never served."""
    folder = Path(current_app.config["HAILONG_INSTANCE_PATH"]) / FOLDER
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    final = folder / f"{job.id}-{name}"
    part = folder / f".{job.id}-{name}.part"
    try:
        if binary:
            with open(part, "wb") as fb:
                write(fb)
        else:
            with open(part, "w", encoding="utf-8", newline="") as ft:
                write(ft)
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)
    return f"{FOLDER}/{final.name}"


def horse_killed(rq_job_id: str) -> None:
    """A worker's child died without reporting (killed, out of memory): mark its row failed if it was not done."""
    prefix = f"{queue_name()}-job-"
    if not rq_job_id.startswith(prefix) or not rq_job_id[len(prefix):].isdigit():
        return
    with force_locale("vi"):
        message = _("Tiến trình xử lý bị dừng đột ngột (có thể do thiếu bộ nhớ). Vui lòng thử lại hoặc báo quản trị "
                    "viên.")
    with db.engine.begin() as conn:
        conn.execute(update(ReportJob).where(
            ReportJob.id == int(rq_job_id[len(prefix):]),
            ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
            .values(status=JobStatus.FAILED.value, error=message, finished_at=utcnow()))


def stale(account: User) -> None:
    """Mark failed the account's unfinished jobs RQ no longer has (so none waits forever); nothing if Redis is away."""
    from redis.exceptions import RedisError
    from rq.exceptions import NoSuchJobError
    from rq.job import Job

    waiting = list(db.session.scalars(select(ReportJob.id).where(
        _visible_to(account), or_(ReportJob.status == JobStatus.QUEUED, ReportJob.status == JobStatus.RUNNING))))
    if not waiting:
        return
    try:
        conn = connection()
        for job_id in waiting:
            try:
                state = Job.fetch(rq_id(job_id), connection=conn).get_status(refresh=False)
            except NoSuchJobError:
                state = None
            if state is None or str(getattr(state, "value", state)) in ("failed", "stopped", "canceled"):
                with force_locale("vi"):
                    message = _("Tiến trình xử lý đã dừng giữa chừng (hàng đợi không còn công việc này). Vui lòng "
                                "tạo lại yêu cầu.")
                # Conditional: a worker that finished meanwhile keeps its result.
                with db.engine.begin() as c:
                    c.execute(update(ReportJob).where(
                        ReportJob.id == job_id, ReportJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
                        .values(status=JobStatus.FAILED.value, error=message, finished_at=utcnow()))
    except (RedisError, OSError, QueueUnavailable):
        return
    db.session.expire_all()

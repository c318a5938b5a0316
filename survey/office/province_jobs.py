"""The province's background jobs: ask for the province report (PDF) or the province-wide export (CSV), follow
their progress, download the file. The work runs in `hailong worker` (services/jobs.py), never in the request."""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hailong.analysis import windows
from hailong.forms.questionnaire import KINDS

from ..models import JobKind, JobStatus, ReportJob
from ..services import job_files
from ..services import jobs as job_svc
from . import bp, job_downloads
from .access import ANYONE, PROVINCE, roles_required, user
from .filters import check_keys, choice_arg, kind_arg, period_arg

#: Seconds between refreshes of the jobs page while a job is waiting or running (a <meta refresh>: no script).
REFRESH_SECONDS = 3


def _page(jobs: list[ReportJob], error: str | None = None, status: int = 200) -> Any:
    return render_template("office/province_jobs.html", jobs=jobs, error=error, province=user().province,
                           refresh=REFRESH_SECONDS if job_svc.unfinished(jobs) else None,
                           download_name=job_svc.download_name, kept_until=job_files.kept_until,
                           gone_notice=job_files.gone_notice, retention=job_files.retention), status


def _job(job_id: int) -> ReportJob:
    """A job this account may see; 404 for any other (another province's, a ward account's), as for none."""
    job = job_svc.visible(user(), job_id)
    if job is None:
        abort(404, _("Không tìm thấy công việc này."))
    return job


@bp.get("/tinh/cong-viec")
@roles_required(*PROVINCE)
def province_jobs() -> Any:
    """The province's jobs, newest first, with status and progress; refreshes itself while one is unfinished."""
    check_keys(request.args, ())
    job_svc.stale(user())
    return _page(job_svc.recent(user()))


@bp.post("/tinh/cong-viec")
@roles_required(*PROVINCE)
def province_job_create() -> Any:
    """Queue a province report or export for the period chosen on the roll-up page, then show the jobs."""
    form = request.form
    what = form.get("job", "")
    if what not in (JobKind.PROVINCE_REPORT_PDF, JobKind.PROVINCE_EXPORT_CSV):
        abort(400, _("Loại yêu cầu không hợp lệ. Vui lòng dùng các nút trên trang toàn tỉnh."))
    period = period_arg(form)
    kind = None
    if what == JobKind.PROVINCE_REPORT_PDF:
        # The report covers its cut-off window, as the ward's report does, unless the calendar dates are asked for.
        period = windows.in_window(period, choice_arg(form, "window", windows.WINDOWS, windows.REPORT))
    else:
        kind = kind_arg(form, KINDS, None)
    try:
        job_svc.create(user(), JobKind(what), period, kind)
    except job_svc.QueueUnavailable as exc:
        # Nothing is stored (an error status rolls the request back); the page says why, in Vietnamese.
        return _page(job_svc.recent(user()), str(exc), 503)
    except job_svc.JobFailed as exc:  # a province account without a province: refused, not a crash
        abort(403, str(exc))
    return redirect(url_for("office.province_jobs"), 303)


@bp.get("/tinh/cong-viec/<row_id:job_id>")
@roles_required(*ANYONE, *PROVINCE)
def province_job(job_id: int) -> Any:
    """One job: what was asked, its status and progress, its error or its file."""
    check_keys(request.args, ())
    job = _job(job_id)
    return render_template("office/province_job.html", job=job, download_name=job_svc.download_name,
                           kept_until=job_files.kept_until, gone_notice=job_files.gone_notice,
                           refresh=REFRESH_SECONDS if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) else None)


@bp.get("/tinh/cong-viec/<row_id:job_id>/tep")
@roles_required(*ANYONE, *PROVINCE)
def province_job_file(job_id: int) -> Any:
    """The finished file of a done job; 404 while it is not done, 410 once its file is no longer kept."""
    job = _job(job_id)
    mimetype = "application/pdf" if job.kind == JobKind.PROVINCE_REPORT_PDF else "text/csv"
    return job_downloads.send(job, mimetype, _("Tệp chưa tạo xong; hãy xem trạng thái công việc."))

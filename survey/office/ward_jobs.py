"""The ward's formal report: built in the request when no queue is configured (the demo, a small ward), otherwise
asked for, followed and downloaded as a background job.

With a queue the dashboard's report button posts here (services.ward_reports.ask): a current finished report is
sent at once, one under way is shown, otherwise a job is queued for `hailong worker`.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from hailong.analysis import windows
from hailong.forms.questionnaire import KINDS

from .. import transaction
from ..models import JobKind, JobStatus, ReportJob
from ..services import audit, deadlines, job_files, ward_reports
from ..services import jobs as job_svc
from . import bp, job_downloads
from .access import ADMIN, STAFF, current_ward, roles_required, user
from .filters import check_keys, choice_arg, int_arg, kind_arg, period_arg

#: Seconds between reloads of the reports page while a report is waiting or being built (<meta refresh>: no script).
REFRESH_SECONDS = 3
JOB_KINDS = (JobKind.WARD_REPORT_PDF,)


def jobs_page(asking: ward_reports.Options | None = None, error: str | None = None, status: int = 200,
              shown: int | None = None) -> Any:
    """The ward's reports, newest first; with `asking`, the button that asks for that report."""
    current_ward()
    job_svc.stale(user())
    jobs = job_svc.recent(user(), kinds=JOB_KINDS)
    return render_template("office/ward_reports.html", jobs=jobs, asking=asking, error=error, shown=shown,
                           refresh=REFRESH_SECONDS if job_svc.unfinished(jobs) else None,
                           download_name=job_svc.download_name, kept_until=job_files.kept_until,
                           gone_notice=job_files.gone_notice, retention=job_files.retention), status


def _job(job_id: int) -> ReportJob:
    """A report job of this account's ward it may see; 404 for any other (another ward's, the province's, an annex
    a reviewer asks for), as for none."""
    current_ward()
    job = job_svc.visible(user(), job_id)
    if job is None or job.kind != JobKind.WARD_REPORT_PDF:
        abort(404, _("Không tìm thấy báo cáo này."))
    return job


def report_options(source: Any) -> ward_reports.Options:
    """The report's options from a query string or a form: period (with its window), kind or all, the annex.

    The annex per officer is personnel data: admins only, others are not told it exists (404).
    """
    officer_annex = source.get("officer_annex") == "1"
    if officer_annex and user().role not in ADMIN:
        abort(404)
    period = period_arg(source)
    kind = kind_arg(source, KINDS, None)
    if period.kind != "range" and "@" not in source.get("period", ""):
        # A periodic report covers its cut-off window unless the calendar dates are asked for.
        period = windows.in_window(period, choice_arg(source, "window", windows.WINDOWS, windows.REPORT))
    return ward_reports.Options(period, kind, officer_annex)


@bp.get("/report")
@roles_required(*STAFF)
def report() -> Any:
    """The formal quarterly report as PDF, built by services.reports in the request when no queue is configured;
    with a queue, the page of the ward's reports with a button that asks for this one (a GET queues nothing)."""
    check_keys(request.args, ("period", "kind", "window", "officer_annex"))
    options = report_options(request.args)
    if job_svc.queue_url() is not None:
        return jobs_page(asking=options)
    period, kind, officer_annex = options.period, options.kind, options.officer_annex
    from ..services import reports

    try:
        pdf = reports.build_pdf(period, kind, ward=current_ward(), officer_annex=officer_annex)
    except Exception:
        current_app.logger.exception("report PDF failed for %s %s", period.label, kind)
        transaction.start_over()
        flash(_("Chưa tạo được báo cáo PDF cho kỳ này. Vui lòng thử lại sau hoặc báo cho quản trị viên."), "error")
        back = windows.calendar_form(period).label  # the dashboard the button was pressed on
        return redirect(url_for(".dashboard", period=back, kind=kind or "onestop"), code=303)
    audit.record(user().username, "report.pdf", period.label,
                 (kind or "all") + ("; officer annex" if officer_annex else ""))
    deadlines.record(current_ward(), period, kind, user().username)
    name = reports.default_filename(period, kind)
    return current_app.response_class(
        pdf, mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@bp.post("/report")
@roles_required(*STAFF)
def report_ask() -> Any:
    """Ask for the report: its file when a current one exists, else the one under way or a new job."""
    options = report_options(request.form)
    if job_svc.queue_url() is None:
        # No queue: the report is built in the request, as the link does.
        return redirect(url_for(".report", period=options.period.label, kind=options.kind,
                                officer_annex="1" if options.officer_annex else None), 303)
    try:
        asked = ward_reports.ask(user(), current_ward(), options)
    except job_svc.QueueUnavailable as exc:
        # Nothing is stored (an error status rolls the request back); the page says why, in Vietnamese.
        return jobs_page(asking=options, error=str(exc), status=503)
    except job_svc.JobFailed:
        abort(404)
    job_id = asked.job.id if asked.job is not None else None
    audit.record(user().username, "report.pdf", options.period.label,
                 (options.kind or "all") + ("; officer annex" if options.officer_annex else "")
                 + f"; job {job_id or '-'} ({asked.outcome.value})")
    if asked.outcome == ward_reports.Outcome.REUSED and job_id is not None:
        return redirect(url_for(".ward_report_file", job_id=job_id), 303)
    return redirect(url_for(".ward_report_list", job=job_id), 303)


@bp.get("/bao-cao")
@roles_required(*STAFF)
def ward_report_list() -> Any:
    """The ward's reports with status and progress; reloads itself while one is waiting or being built."""
    check_keys(request.args, ("job",))
    return jobs_page(shown=int_arg(request.args, "job", 0, low=0, high=2**31 - 1) or None)


@bp.get("/bao-cao/<row_id:job_id>")
@roles_required(*STAFF)
def ward_report(job_id: int) -> Any:
    """One report: what was asked, its status and progress, its error or its file."""
    check_keys(request.args, ())
    job = _job(job_id)
    return render_template("office/ward_report.html", job=job, download_name=job_svc.download_name,
                           kept_until=job_files.kept_until, gone_notice=job_files.gone_notice,
                           refresh=REFRESH_SECONDS if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) else None)


@bp.get("/bao-cao/<row_id:job_id>/tep")
@roles_required(*STAFF)
def ward_report_file(job_id: int) -> Any:
    """The finished PDF; 404 while it is not done, 410 once its file is no longer kept."""
    return job_downloads.send(_job(job_id), "application/pdf",
                              _("Báo cáo chưa tạo xong; hãy xem trạng thái báo cáo."))

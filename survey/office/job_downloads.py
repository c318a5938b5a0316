"""A background job's file as a download, shared by the ward's reports and the province's jobs: 404 while it is not
made, 410 with the reason once it is no longer kept (services.job_files), never a 500."""

from __future__ import annotations

from typing import Any

from flask import abort, send_file

from ..models import JobStatus, ReportJob
from ..services import audit, job_files
from ..services import jobs as job_svc
from .access import user


def send(job: ReportJob, mimetype: str, not_ready: str) -> Any:
    """The job's file (its access already checked by the caller), audited as `job.download`."""
    if job.status != JobStatus.DONE:
        abort(404, not_ready)
    path = job_svc.file_of(job)
    try:
        # send_file opens the file before it returns, and an open file stays readable once deleted: a prune
        # deleting it meanwhile makes this FileNotFoundError, never a broken download or a 500.
        response = send_file(path, mimetype=mimetype, as_attachment=True,
                             download_name=job_svc.download_name(job)) if path is not None else None
    except FileNotFoundError:
        response = None
    if response is None:
        abort(410, job_files.gone_notice(job))
    # Citizens' answers leave the system here, as with every export: audited.
    audit.record(user().username, "job.download", job.period, f"job {job.id}; {job.kind}")
    response.headers["Cache-Control"] = "no-store"
    return response

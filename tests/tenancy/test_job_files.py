"""Finished jobs' files are kept for a limited time (services.job_files): `hailong jobs prune` and the worker delete
the expired ones after marking their rows (which stay), orphaned files go too, a vanished file is marked; the office
says so and answers 410 for the file, never a 500, and each account still sees only its own ward's or province's
jobs. The clock is moved as the other tests move it: the service module's `utcnow` replaced."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey import transaction
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent, FileRemoval, JobKind, JobStatus, ReportJob, User, utcnow
from hailong.survey.services import job_files
from tests.fixtures.office import sign_in, token
from tests.tenancy.conftest import ALL_PASSWORDS, QUEUE_REDIS_URL, Wards, download, job_row


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username, ALL_PASSWORDS[username]).status_code == 303
    return client


def _instance(app: Flask) -> Path:
    return Path(app.config["HAILONG_INSTANCE_PATH"])


def _finished(app: Flask, kind: JobKind, days_ago: float, ward_id: int | None = None,
              requested_by: str = "so-noi-vu") -> int:
    """A job finished `days_ago` with its file in the instance folder, as the worker leaves it; its id."""
    with app.app_context(), transaction.boundary():
        user = _db.session.scalars(select(User).filter_by(username=requested_by)).one()
        when = utcnow() - timedelta(days=days_ago)
        job = ReportJob(organisation_id=ward_id, province="Tuyên Quang", requested_by=user.id, kind=kind.value,
                        period="2026-Q1@report", status=JobStatus.DONE.value, progress_done=1, progress_total=1,
                        created_at=when, started_at=when, finished_at=when)
        _db.session.add(job)
        _db.session.flush()
        name = "hailong-tinh-2026-Q1.csv" if kind == JobKind.PROVINCE_EXPORT_CSV else "bao-cao-2026-Q1.pdf"
        job.file_path = f"jobs/{job.id}-{name}"
        path = _instance(app) / job.file_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.7 test" if name.endswith(".pdf") else b"ward,answer\r\n")
        return job.id


def _file(app: Flask, job_id: int) -> Path:
    return _instance(app) / str(job_row(app, job_id).file_path)


def _prune(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "prune", *args])
    assert result.exit_code == 0, result.output
    return result.output


def _audit(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        rows = list(_db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))
        for row in rows:
            _db.session.expunge(row)
        return rows


def _old(path: Path, hours: float) -> None:
    """Date a file `hours` back (its modification time), as one left there long ago."""
    moment = time.time() - hours * 3600
    os.utime(path, (moment, moment))


def test_the_worker_made_export_expires_before_the_report(app: Flask, two_wards: Wards, queue: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Made by the worker, asked in the office; eight days later the export (7 days) goes, the report (30) stays."""
    province = _client(app, "so-noi-vu")
    for what in ("province_export_csv", "province_report_pdf"):
        csrf = token(province, "/office/tinh/?period=2026-Q1")
        assert province.post("/office/tinh/cong-viec", data={"csrf_token": csrf, "job": what,
                                                              "period": "2026-Q1"}).status_code == 303
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    with app.app_context():
        export_id, report_id = (_db.session.scalar(select(ReportJob.id).where(ReportJob.kind == kind))
                                for kind in ("province_export_csv", "province_report_pdf"))
    assert export_id and report_id
    export_file, report_file = _file(app, export_id), _file(app, report_id)
    assert export_file.is_file() and report_file.is_file()
    listing = province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert "Lưu đến" in listing and "báo cáo 30 ngày" in listing and "7 ngày" in listing

    later = utcnow() + timedelta(days=8)
    monkeypatch.setattr(job_files, "utcnow", lambda: later)
    output = _prune(app)
    assert "Đã xóa 1 tệp hết thời hạn lưu trữ" in output

    assert not export_file.exists() and report_file.is_file()
    export = job_row(app, export_id)
    # The row stays, done, with when and why its file went.
    assert export.status == JobStatus.DONE and export.file_path is not None
    assert export.file_deleted_reason == FileRemoval.EXPIRED and export.file_deleted_at == later
    assert job_row(app, report_id).file_deleted_at is None
    [event] = _audit(app, "job.file_expired")
    assert event.detail == f"job {export_id}; province_export_csv; 7 days" and event.actor.startswith("cli:")

    status, mimetype, body = download(province, f"/office/tinh/cong-viec/{export_id}/tep")
    assert status == 410 and mimetype == "text/html"
    text = body.decode()
    assert "Tệp không còn được lưu trữ" in text and "theo thời hạn lưu trữ (7 ngày)" in text
    assert "Hệ thống đang gặp sự cố" not in text
    assert download(province, f"/office/tinh/cong-viec/{report_id}/tep")[0] == 200
    listing = province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert "Tệp đã được xóa ngày" in listing and "theo thời hạn lưu trữ (7 ngày)" in listing
    assert f'/office/tinh/cong-viec/{export_id}/tep"' not in listing
    assert f'/office/tinh/cong-viec/{report_id}/tep"' in listing
    page = province.get(f"/office/tinh/cong-viec/{export_id}").get_data(as_text=True)
    assert "theo thời hạn lưu trữ (7 ngày)" in page
    # A second prune finds nothing more to do.
    assert "Đã xóa 0 tệp hết thời hạn lưu trữ" in _prune(app)


def test_a_dry_run_changes_nothing(app: Flask, two_wards: Wards, queue: str) -> None:
    old = _finished(app, JobKind.PROVINCE_REPORT_PDF, days_ago=31)
    recent = _finished(app, JobKind.PROVINCE_REPORT_PDF, days_ago=29)
    orphan = _instance(app) / "jobs" / "999-bao-cao-tinh-2025-Q4.pdf"
    orphan.write_bytes(b"%PDF")
    _old(orphan, hours=3)

    output = _prune(app, "--dry-run")
    assert f"hết hạn: jobs/{old}-bao-cao-2026-Q1.pdf (công việc {old})" in output
    assert "không thuộc công việc nào: jobs/999-bao-cao-tinh-2025-Q4.pdf" in output
    # Ward B's fixture row names a file that was never written: it would be marked, not deleted.
    assert f"không còn tệp: jobs/1-bao-cao-minh-xuan.pdf (công việc {two_wards.b_job})" in output
    assert "Chạy thử, không thay đổi gì: sẽ xóa 1 tệp hết thời hạn lưu trữ và 1 tệp" in output
    assert _file(app, old).is_file() and _file(app, recent).is_file() and orphan.is_file()
    for job_id in (old, recent, two_wards.b_job):
        assert job_row(app, job_id).file_deleted_at is None
    assert not _audit(app, "job.file_expired") and not _audit(app, "job.file_missing")

    _prune(app)
    assert not _file(app, old).exists() and _file(app, recent).is_file() and not orphan.exists()
    assert job_row(app, old).file_deleted_reason == FileRemoval.EXPIRED
    assert job_row(app, recent).file_deleted_at is None
    assert job_row(app, two_wards.b_job).file_deleted_reason == FileRemoval.MISSING


def test_orphans_go_once_no_job_can_be_writing_them(app: Flask, two_wards: Wards, queue: str) -> None:
    kept = _finished(app, JobKind.PROVINCE_EXPORT_CSV, days_ago=1)
    folder = _instance(app) / "jobs"
    stale_part = folder / ".77-hailong-tinh-2026-Q1.csv.part"  # a worker killed mid-write
    no_row = folder / "78-bao-cao-tinh-2026-Q1.pdf"  # its row gone (a restored database)
    young = folder / "79-bao-cao-tinh-2026-Q1.pdf"  # maybe a job renaming it into place right now
    for path in (stale_part, no_row, young):
        path.write_bytes(b"x")
    for path in (stale_part, no_row):
        _old(path, hours=3)
    (folder / "a-folder").mkdir()

    _prune(app)
    assert not stale_part.exists() and not no_row.exists()
    assert young.is_file() and _file(app, kept).is_file() and (folder / "a-folder").is_dir()
    [event] = _audit(app, "job.orphans_deleted")
    assert event.detail is not None and set(event.detail.split("; ")) == {
        "jobs/.77-hailong-tinh-2026-Q1.csv.part", "jobs/78-bao-cao-tinh-2026-Q1.pdf"}


def test_a_row_naming_a_file_outside_the_jobs_folder_never_deletes_it(app: Flask, two_wards: Wards,
                                                                      queue: str) -> None:
    job_id = _finished(app, JobKind.PROVINCE_REPORT_PDF, days_ago=40)
    outside = _instance(app) / "secret_key-copy"
    outside.write_text("keep me")
    with app.app_context(), transaction.boundary():
        job = _db.session.get(ReportJob, job_id)
        assert job is not None
        job.file_path = "jobs/../secret_key-copy"
    _prune(app)
    assert outside.read_text() == "keep me"
    assert job_row(app, job_id).file_deleted_reason == FileRemoval.EXPIRED


def test_a_vanished_file_is_marked_and_answers_410(app: Flask, two_wards: Wards, queue: str) -> None:
    job_id = _finished(app, JobKind.PROVINCE_EXPORT_CSV, days_ago=1)
    _file(app, job_id).unlink()  # deleted by hand
    province = _client(app, "so-noi-vu")
    # Before any prune: the page and the download already say it, without a 500.
    assert "không còn trên máy chủ" in province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert download(province, f"/office/tinh/cong-viec/{job_id}/tep")[0] == 410
    _prune(app)
    job = job_row(app, job_id)
    assert job.file_deleted_reason == FileRemoval.MISSING and job.status == JobStatus.DONE
    status, _type, body = download(province, f"/office/tinh/cong-viec/{job_id}/tep")
    assert status == 410 and "không còn trên máy chủ" in body.decode()
    assert _audit(app, "job.file_missing")


def test_a_file_deleted_while_its_download_starts_is_410(app: Flask, two_wards: Wards, queue: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The prune's unlink landing between the row's check and send_file's open: 410, not a 500."""
    from hailong.survey.services import jobs as job_svc

    job_id = _finished(app, JobKind.PROVINCE_REPORT_PDF, days_ago=1)
    path = _file(app, job_id)
    checked = job_svc.file_of

    def deleted_right_after(job: ReportJob) -> Path | None:
        found = checked(job)
        path.unlink(missing_ok=True)
        return found

    monkeypatch.setattr(job_svc, "file_of", deleted_right_after)
    province = _client(app, "so-noi-vu")
    assert download(province, f"/office/tinh/cong-viec/{job_id}/tep")[0] == 410
    assert not _audit(app, "job.download")


def test_no_jobs_folder_marks_nothing_missing(app: Flask, two_wards: Wards, queue: str) -> None:
    """A wrong HAILONG_INSTANCE_PATH must not mark every kept file gone: without the folder nothing is marked."""
    output = _prune(app)
    assert "không đánh dấu tệp nào là mất" in output
    assert job_row(app, two_wards.b_job).file_deleted_at is None


def test_a_ward_sees_only_its_own_expired_reports(app: Flask, two_wards: Wards, queue: str) -> None:
    mine = _finished(app, JobKind.WARD_REPORT_PDF, days_ago=40, ward_id=two_wards.a, requested_by="admin")
    theirs = _finished(app, JobKind.WARD_REPORT_PDF, days_ago=40, ward_id=two_wards.b,
                       requested_by="minhxuan-admin")
    _prune(app)
    with app.app_context():
        wards = {e.detail.split(";")[0]: e.organisation_id for e in _db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "job.file_expired"))}
    # Each deletion is filed under the job's own ward, so each ward's audit log shows only its own.
    assert wards == {f"job {mine}": two_wards.a, f"job {theirs}": two_wards.b}

    admin = _client(app, "admin")
    listing = admin.get("/office/bao-cao").get_data(as_text=True)
    assert f'id="job-{mine}"' in listing and f'id="job-{theirs}"' not in listing
    assert "theo thời hạn lưu trữ (30 ngày)" in listing
    status, _type, body = download(admin, f"/office/bao-cao/{mine}/tep")
    assert status == 410 and "theo thời hạn lưu trữ (30 ngày)" in body.decode()
    # Another ward's expired report is not there at all: 404, not 410, for its page and its file.
    for url in (f"/office/bao-cao/{theirs}", f"/office/bao-cao/{theirs}/tep", f"/office/tinh/cong-viec/{theirs}/tep"):
        assert admin.get(url).status_code == 404, url
    other = _client(app, "minhxuan-admin")
    assert download(other, f"/office/bao-cao/{theirs}/tep")[0] == 410
    assert other.get(f"/office/bao-cao/{mine}/tep").status_code == 404
    province = _client(app, "so-noi-vu")
    assert province.get(f"/office/tinh/cong-viec/{mine}/tep").status_code == 404
    # No office page prunes: pruning is the worker's and the shell's, for the whole database.
    assert not [r.rule for r in app.url_map.iter_rules() if "prune" in r.rule or "xoa-tep" in r.rule]


def test_the_worker_prunes_by_itself_at_most_once_an_hour(app: Flask, two_wards: Wards, queue: str) -> None:
    from redis import Redis

    first = _finished(app, JobKind.PROVINCE_EXPORT_CSV, days_ago=10)
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert not _file(app, first).exists() and job_row(app, first).file_deleted_reason == FileRemoval.EXPIRED
    [event] = _audit(app, "job.file_expired")
    assert event.actor == "system"

    second = _finished(app, JobKind.PROVINCE_EXPORT_CSV, days_ago=10)
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert _file(app, second).is_file()  # pruned less than an hour ago: not again
    with Redis.from_url(QUEUE_REDIS_URL) as conn:
        assert 0 < int(conn.ttl(f"hailong:{queue}:jobs-prune")) <= 3600
        conn.delete(f"hailong:{queue}:jobs-prune")
    assert app.test_cli_runner().invoke(args=["worker", "--burst"]).exit_code == 0
    assert not _file(app, second).exists()


def test_the_retention_follows_the_settings(app: Flask, two_wards: Wards, queue: str) -> None:
    app.config.update(HAILONG_REPORT_FILE_DAYS=90, HAILONG_EXPORT_FILE_DAYS=2)
    report = _finished(app, JobKind.PROVINCE_REPORT_PDF, days_ago=60)
    export = _finished(app, JobKind.PROVINCE_EXPORT_CSV, days_ago=3)
    _prune(app)
    assert _file(app, report).is_file() and not _file(app, export).exists()
    with app.app_context():
        job = _db.session.get(ReportJob, report)
        assert job is not None and job.finished_at is not None
        assert job_files.kept_until(job) == job.finished_at + timedelta(days=90)
        assert isinstance(job.finished_at, datetime)

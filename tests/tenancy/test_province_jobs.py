"""The province report and province-wide export as background jobs: asked in the office, run by `hailong worker
--burst` on the real Redis (127.0.0.1:6379, database 13, a queue of its own per test), downloaded; scoped to the
province that asked; a failed job and a missing Redis are said in Vietnamese, never a 500."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from hailong.survey.extensions import db as _db
from hailong.survey.models import JobStatus, ReportJob, User
from hailong.survey.services import province_report
from hailong.survey.services import users as user_svc
from hailong.survey.services import wards as ward_svc
from tests.fixtures.office import sign_in, token
from tests.fixtures.report import pdf_text
from tests.tenancy.conftest import ALL_PASSWORDS, B_COMMENT, B_NAME, QUEUE_REDIS_URL, Wards, download, job_row


@pytest.fixture
def province(client: FlaskClient, two_wards: Wards) -> FlaskClient:
    assert sign_in(client, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"]).status_code == 303
    return client


def _ask(client: FlaskClient, job: str, **fields: str) -> int:
    """Press a job button on the roll-up page; returns the new job's id."""
    csrf = token(client, "/office/tinh/?period=2026-Q1")
    response = client.post("/office/tinh/cong-viec", data={"csrf_token": csrf, "job": job, "period": "2026-Q1",
                                                            **fields})
    assert response.status_code == 303 and response.headers["Location"].endswith("/office/tinh/cong-viec")
    with client.application.app_context():
        return int(_db.session.scalar(select(ReportJob.id).order_by(ReportJob.id.desc()).limit(1)) or 0)



def _work(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output


def test_the_province_report_runs_in_the_worker_and_downloads(app: Flask, province: FlaskClient, queue: str,
                                                             tmp_path: Path) -> None:
    home = province.get("/office/tinh/?period=2026-Q1").get_data(as_text=True)
    assert "Tạo báo cáo tỉnh (PDF)" in home and "Xuất dữ liệu toàn tỉnh (CSV)" in home
    job_id = _ask(province, "province_report_pdf")
    waiting = province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Đang chờ" in waiting
    assert job_row(app, job_id).status == JobStatus.QUEUED

    _work(app)

    job = job_row(app, job_id)
    assert job.status == JobStatus.DONE and job.error is None
    # Two wards, three kinds, this period and the previous one.
    assert job.progress_total == 2 * 3 * 2 and job.progress_done == job.progress_total
    assert job.period == "2026-Q1@report"
    done = province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert "Xong" in done and 'http-equiv="refresh"' not in done
    assert f"{job.progress_total}/{job.progress_total}" in done
    page = province.get(f"/office/tinh/cong-viec/{job_id}")
    assert page.status_code == 200 and "bao-cao-tinh-2026-Q1.pdf" in page.get_data(as_text=True)
    status, mimetype, pdf = download(province, f"/office/tinh/cong-viec/{job_id}/tep")
    assert status == 200 and mimetype == "application/pdf"
    assert pdf.startswith(b"%PDF")
    text = " ".join(" ".join(pdf_text(pdf, tmp_path, layout=False)).split())
    assert "SỞ NỘI VỤ" in text and "GIÁM ĐỐC" in text and "Nơi nhận:" in text
    assert "Phường An Tường" in text and B_NAME in text
    assert "Dịch vụ y tế công" in text and "Bảng 3" in text


def test_the_province_export_runs_in_the_worker_with_a_ward_column(app: Flask, province: FlaskClient,
                                                                  queue: str) -> None:
    job_id = _ask(province, "province_export_csv")
    _work(app)
    job = job_row(app, job_id)
    assert job.status == JobStatus.DONE and (job.progress_done, job.progress_total) == (2, 2)
    status, mimetype, data = download(province, f"/office/tinh/cong-viec/{job_id}/tep")
    assert status == 200 and mimetype == "text/csv"
    body = data.decode("utf-8")
    lines = body.lstrip("\ufeff").splitlines()
    assert body.startswith("\ufeff") and lines[0].startswith("ward,")
    assert {line.split(",")[0] for line in lines[1:]} == {"an-tuong", "minh-xuan"}
    assert B_COMMENT in body
    # The same rows as the synchronous route, which still works.
    direct = province.get("/office/tinh/export.csv?period=2026-Q1").get_data(as_text=True)
    assert sorted(direct.lstrip("\ufeff").splitlines()) == sorted(lines)


def test_another_province_and_a_ward_get_404(app: Flask, client: FlaskClient, two_wards: Wards,
                                            queue: str) -> None:
    with app.app_context():
        ward_svc.add("xa-khac", "Xã Khác", "Hà Giang")
        _db.session.add(User(organisation_id=None, province="Hà Giang", username="so-ha-giang", role="province",
                             password_hash=generate_password_hash("hagiang-password-1",
                                                                  method=user_svc.HASH_METHOD), active=True))
        _db.session.commit()
    assert sign_in(client, "so-noi-vu", ALL_PASSWORDS["so-noi-vu"]).status_code == 303
    job_id = _ask(client, "province_report_pdf")
    _work(app)
    assert download(client, f"/office/tinh/cong-viec/{job_id}/tep")[0] == 200
    client.post("/office/logout", data={"csrf_token": token(client, "/office/tinh/")})
    for username, password in (("so-ha-giang", "hagiang-password-1"), ("admin", ALL_PASSWORDS["admin"]),
                               ("minhxuan-admin", ALL_PASSWORDS["minhxuan-admin"])):
        other = app.test_client()
        assert sign_in(other, username, password).status_code == 303
        assert other.get(f"/office/tinh/cong-viec/{job_id}").status_code == 404, username
        assert other.get(f"/office/tinh/cong-viec/{job_id}/tep").status_code == 404, username
    hagiang = app.test_client()
    sign_in(hagiang, "so-ha-giang", "hagiang-password-1")
    assert "Báo cáo tỉnh (PDF)" not in hagiang.get("/office/tinh/cong-viec").get_data(as_text=True)


def test_a_failing_job_shows_failed_in_vietnamese(app: Flask, province: FlaskClient, queue: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> bytes:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(province_report, "build_pdf", broken)
    job_id = _ask(province, "province_report_pdf")
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0  # a failed job does not stop the worker
    job = job_row(app, job_id)
    assert job.status == JobStatus.FAILED and job.file_path is None
    assert job.error and "Không tạo được tệp do lỗi hệ thống (RuntimeError)" in job.error
    listing = province.get("/office/tinh/cong-viec")
    assert listing.status_code == 200
    text = listing.get_data(as_text=True)
    assert "Lỗi" in text and "Không tạo được tệp do lỗi hệ thống" in text and "broken on purpose" not in text
    page = province.get(f"/office/tinh/cong-viec/{job_id}")
    assert page.status_code == 200 and 'id="job-error"' in page.get_data(as_text=True)
    assert province.get(f"/office/tinh/cong-viec/{job_id}/tep").status_code == 404


def test_a_job_the_queue_lost_is_shown_failed(app: Flask, province: FlaskClient, queue: str) -> None:
    from redis import Redis

    job_id = _ask(province, "province_export_csv")
    with Redis.from_url(QUEUE_REDIS_URL) as conn:
        conn.delete(f"rq:job:{queue}-job-{job_id}")
    text = province.get("/office/tinh/cong-viec").get_data(as_text=True)
    assert "Tiến trình xử lý đã dừng giữa chừng" in text
    assert job_row(app, job_id).status == JobStatus.FAILED


def test_an_unreachable_redis_is_said_clearly(app: Flask, province: FlaskClient) -> None:
    app.config.update(HAILONG_QUEUE_URL="redis://127.0.0.1:1/0", HAILONG_QUEUE_NAME="test-unreachable")
    csrf = token(province, "/office/tinh/?period=2026-Q1")
    response = province.post("/office/tinh/cong-viec", data={"csrf_token": csrf, "job": "province_report_pdf",
                                                              "period": "2026-Q1"})
    assert response.status_code == 503
    assert "Không kết nối được hàng đợi công việc nền (Redis)" in response.get_data(as_text=True)
    with app.app_context():
        # Nothing waits for a queue that is not there (ward B's fixture job is the only row).
        assert _db.session.scalar(select(ReportJob.id).where(ReportJob.organisation_id.is_(None))) is None
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "Không kết nối được hàng đợi" in result.output


def test_no_queue_configured_is_said_clearly(app: Flask, province: FlaskClient) -> None:
    app.config.update(HAILONG_QUEUE_URL=None, HAILONG_QUEUE_REDIS_URL=None)
    home = province.get("/office/tinh/?period=2026-Q1").get_data(as_text=True)
    assert 'id="queue-missing"' in home and "/office/tinh/export.csv" in home
    csrf = token(province, "/office/tinh/?period=2026-Q1")
    response = province.post("/office/tinh/cong-viec", data={"csrf_token": csrf, "job": "province_export_csv",
                                                              "period": "2026-Q1"})
    assert response.status_code == 503 and "Chưa cấu hình hàng đợi" in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 1 and "HAILONG_QUEUE_URL" in result.output


def test_bad_input_is_a_400(app: Flask, province: FlaskClient, queue: str) -> None:
    csrf = token(province, "/office/tinh/")
    for data in ({"job": "xoa-het"}, {"job": "province_export_csv", "kind": "khac"},
                 {"job": "province_report_pdf", "period": "2026-Q9"}):
        response = province.post("/office/tinh/cong-viec", data={"csrf_token": csrf, **data})
        assert response.status_code == 400, data
    assert province.get("/office/tinh/cong-viec/999999").status_code == 404


def test_a_worker_child_killed_mid_job_is_shown_failed(app: Flask, province: FlaskClient, queue: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The kernel's SIGKILL (out of memory) gives the child no chance to report: the worker marks the row."""
    import os
    import signal

    def killed(*_args: object, **_kwargs: object) -> bytes:
        os.kill(os.getpid(), signal.SIGKILL)
        raise AssertionError("not reached")

    monkeypatch.setattr(province_report, "build_pdf", killed)
    job_id = _ask(province, "province_report_pdf")
    _work(app)
    job = job_row(app, job_id)
    assert job.status == JobStatus.FAILED and job.error and "bị dừng đột ngột" in job.error
    assert "bị dừng đột ngột" in province.get("/office/tinh/cong-viec").get_data(as_text=True)

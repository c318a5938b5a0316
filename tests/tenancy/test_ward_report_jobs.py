"""The ward's own report as a background job when a queue is configured: asked from the dashboard, made by
`hailong worker --burst` on the real Redis (127.0.0.1:6379, database 13, a queue of its own per test), kept and
reused while the data has not changed, scoped to the ward (and the annex to its admins); without a queue it is
built in the request as before; a Redis that does not answer is said in Vietnamese, never a 500."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from hailong.analysis.periods import TZ, parse_period
from hailong.survey import transaction
from hailong.survey.extensions import db as _db
from hailong.survey.models import (
    AuditEvent,
    GeneratedReport,
    JobKind,
    JobStatus,
    Organisation,
    ReportJob,
    ServicePoint,
    Setting,
)
from hailong.survey.services import pakn, report_marks, reports, ward_reports
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from tests.fixtures.office import Q1_DAY, sign_in, token
from tests.fixtures.report import pdf_text
from tests.tenancy.conftest import ALL_PASSWORDS, B_NAME, QUEUE_REDIS_URL, Wards, download

PAGE = "/office/bao-cao"



@pytest.fixture
def fast_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """WeasyPrint replaced by a marker PDF (the figures and the HTML are still made): the rules, not the layout."""
    monkeypatch.setattr(reports, "write_pdf", lambda html: b"%PDF-1.7 test " + str(len(html)).encode())


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, username, ALL_PASSWORDS[username]).status_code == 303
    return client


def _ask(client: FlaskClient, **fields: str) -> tuple[int, str]:
    """Press the dashboard's report button (a POST); the status and where it sends."""
    data = {"csrf_token": token(client, PAGE), "period": "2026-Q1", **fields}
    response = client.post("/office/report", data=data)
    return response.status_code, response.headers.get("Location", "")


def _jobs(app: Flask, ward_id: int) -> list[ReportJob]:
    with app.app_context():
        rows = list(_db.session.scalars(select(ReportJob).where(
            ReportJob.organisation_id == ward_id, ReportJob.kind == JobKind.WARD_REPORT_PDF).order_by(ReportJob.id)))
        for row in rows:
            _db.session.expunge(row)
        return rows


def _work(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output



def _respond(app: Flask, ward_code: str, point_code: str, when: datetime | None = None) -> int:
    with app.app_context(), transaction.boundary():
        ward = _db.session.scalars(select(Organisation).filter_by(code=ward_code)).one()
        point = _db.session.scalars(select(ServicePoint).filter_by(organisation_id=ward.id, code=point_code)).one()
        version = qsvc.latest_version(point.kind)
        answers: dict[str, int | list[int]] = {s.code: 5 for s in qsvc.definition(version).statements}
        [rid] = response_svc.write_many([response_svc.Draft(
            point=point, version=version, answers=answers,
            submitted_at=when or datetime.combine(Q1_DAY.date(), time(10), tzinfo=TZ))])
        return rid


def _point_of_a(app: Flask, ids: Wards) -> str:
    with app.app_context():
        point = _db.session.get(ServicePoint, ids.a_points[sorted(ids.a_points)[0]])
        assert point is not None
        return point.code


def test_the_report_is_queued_made_by_the_worker_and_downloaded(app: Flask, two_wards: Wards, queue: str,
                                                                 tmp_path: Path) -> None:
    admin = _client(app, "admin")
    home = admin.get("/office/?period=2026-Q1&kind=onestop").get_data(as_text=True)
    assert 'method="post" action="/office/report"' in home and 'href="/office/bao-cao"' in home
    status, where = _ask(admin)
    [job] = _jobs(app, two_wards.a)
    assert (status, where) == (303, f"/office/bao-cao?job={job.id}")
    assert job.status == JobStatus.QUEUED and job.period == "2026-Q1@report" and job.service_kind is None
    assert job.organisation_id == two_wards.a and not job.officer_annex and job.data_mark is None
    waiting = admin.get(where).get_data(as_text=True)
    assert 'http-equiv="refresh"' in waiting and "Đang chờ" in waiting and f'id="job-{job.id}"' in waiting
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "report.pdf")).one()
        assert event.detail == f"all; job {job.id} (queued)" and event.target == "2026-Q1@report"
        # The deadline counts a report that exists: none yet.
        assert _db.session.scalar(select(func.count()).select_from(GeneratedReport)) == 0

    _work(app)

    [job] = _jobs(app, two_wards.a)
    assert job.status == JobStatus.DONE and job.error is None and (job.progress_done, job.progress_total) == (2, 2)
    assert job.data_mark and job.file_path == f"jobs/{job.id}-bao-cao-2026-Q1.pdf"
    with app.app_context():
        generated = _db.session.scalars(select(GeneratedReport)).one()
        assert (generated.organisation_id, generated.period, generated.window, generated.kind,
                generated.generated_by) == (two_wards.a, "2026-Q1@report", "report", None, "admin")
    done = admin.get(PAGE).get_data(as_text=True)
    assert "Xong" in done and 'http-equiv="refresh"' not in done and "2/2" in done
    page = admin.get(f"/office/bao-cao/{job.id}")
    assert page.status_code == 200 and "bao-cao-2026-Q1.pdf" in page.get_data(as_text=True)
    status, mimetype, pdf = download(admin, f"/office/bao-cao/{job.id}/tep")
    assert status == 200 and mimetype == "application/pdf" and pdf.startswith(b"%PDF")
    text = " ".join(" ".join(pdf_text(pdf, tmp_path, layout=False)).split())
    assert "AN TƯỜNG" in text.upper() and B_NAME not in text and "Minh Xuân" not in text
    # The dashboard's deadline list sees it as made, as after the synchronous download.
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(AuditEvent)
                                  .where(AuditEvent.action == "job.download")) == 1


def test_same_data_reuses_the_file_and_a_change_makes_a_new_job(app: Flask, two_wards: Wards, queue: str,
                                                                 fast_pdf: None) -> None:
    admin = _client(app, "admin")
    _ask(admin)
    _work(app)
    [first] = _jobs(app, two_wards.a)
    assert first.status == JobStatus.DONE

    # Nothing changed: the file is sent again (no job, no queue), and the ask is audited as reused.
    assert _ask(admin) == (303, f"/office/bao-cao/{first.id}/tep")
    assert len(_jobs(app, two_wards.a)) == 1
    assert download(admin, f"/office/bao-cao/{first.id}/tep")[0] == 200
    with app.app_context():
        assert _db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "report.pdf")
                                  .order_by(AuditEvent.id.desc()).limit(1)) == f"all; job {first.id} (reused)"

    # Another ward's new response changes nothing of this ward's report.
    _respond(app, "minh-xuan", "mx-rieng")
    assert _ask(admin) == (303, f"/office/bao-cao/{first.id}/tep")

    # A new response of the ward in the period: a new job.
    _respond(app, "an-tuong", _point_of_a(app, two_wards))
    status, where = _ask(admin)
    jobs = _jobs(app, two_wards.a)
    assert len(jobs) == 2 and (status, where) == (303, f"/office/bao-cao?job={jobs[1].id}")
    _work(app)
    assert _ask(admin) == (303, f"/office/bao-cao/{jobs[1].id}/tep")

    # Flagged, unflagged, erased: each a new job (the figures token), then reused again.
    steps = (lambda: response_svc.set_flag(two_wards.a_response, "trùng lặp"),
             lambda: response_svc.set_flag(two_wards.a_response, None),
             lambda: response_svc.erase([two_wards.a_response]))
    for step in steps:
        with app.app_context(), transaction.boundary():
            step()
        before = len(_jobs(app, two_wards.a))
        status, where = _ask(admin)
        jobs = _jobs(app, two_wards.a)
        assert len(jobs) == before + 1 and where == f"/office/bao-cao?job={jobs[-1].id}"
        _work(app)
        assert _ask(admin) == (303, f"/office/bao-cao/{jobs[-1].id}/tep")

    # Other options are another report: one kind, the calendar window.
    status, where = _ask(admin, kind="health")
    assert where.startswith("/office/bao-cao?job=")
    status, where = _ask(admin, window="calendar")
    assert where.startswith("/office/bao-cao?job=")
    assert [j.period for j in _jobs(app, two_wards.a)][-2:] == ["2026-Q1@report", "2026-Q1"]
    assert _jobs(app, two_wards.a)[-2].service_kind == "health"


def test_the_mark_follows_what_the_report_reads(app: Flask, two_wards: Wards, monkeypatch: pytest.MonkeyPatch
                                                ) -> None:
    options = ward_reports.Options(parse_period("2026-Q1@report"))
    with app.app_context():
        first = report_marks.mark(two_wards.a, options)
        through = int(first.split(":")[0])
        assert report_marks.mark(two_wards.a, options, through) == first
        # The report's signer and the next day are read too (PAKN's "overdue now" is counted on the day).
        _db.session.add(Setting(organisation_id=two_wards.a, key="report.signer_name", value="Nguyễn Văn A"))
        _db.session.flush()
        signed = report_marks.mark(two_wards.a, options, through)
        assert signed != first
        monkeypatch.setattr(pakn, "today", lambda: date(2030, 1, 1))
        assert report_marks.mark(two_wards.a, options, through) != signed
        # The annex reads the roster: a report with it has a mark of its own.
        annex = ward_reports.Options(options.period, None, True)
        assert report_marks.mark(two_wards.a, annex, through) != report_marks.mark(two_wards.a, options, through)
        _db.session.rollback()
    # A response of the period before (the report compares with it) and one after the period.
    q4 = datetime(2025, 11, 20, 10, tzinfo=TZ)
    with app.app_context():
        before = report_marks.mark(two_wards.a, options)
    _respond(app, "an-tuong", _point_of_a(app, two_wards), datetime(2026, 6, 1, 10, tzinfo=TZ))
    with app.app_context():
        assert report_marks.mark(two_wards.a, options, int(before.split(":")[0])) == before
    _respond(app, "an-tuong", _point_of_a(app, two_wards), q4)
    with app.app_context():
        assert report_marks.mark(two_wards.a, options, int(before.split(":")[0])) != before


def test_a_second_click_queues_no_duplicate(app: Flask, two_wards: Wards, queue: str, fast_pdf: None) -> None:
    admin = _client(app, "admin")
    reviewer = _client(app, "reviewer")
    first = _ask(admin)
    assert _ask(admin) == first and _ask(reviewer) == first
    assert len(_jobs(app, two_wards.a)) == 1
    # Two clicks arriving together: the second finds the first one's key and queues nothing either.
    from redis import Redis

    with Redis.from_url(QUEUE_REDIS_URL) as conn, app.test_request_context():
        options = ward_reports.Options(parse_period("2026-Q1@report"), "health")
        conn.set(ward_reports._lock_key(two_wards.a, options), "1", ex=30)
    assert _ask(admin, kind="health") == (303, "/office/bao-cao")
    assert len(_jobs(app, two_wards.a)) == 1
    _work(app)
    [job] = _jobs(app, two_wards.a)
    assert job.status == JobStatus.DONE


def test_without_a_queue_the_report_is_built_in_the_request(app: Flask, two_wards: Wards,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    app.config.update(HAILONG_QUEUE_URL=None, HAILONG_QUEUE_REDIS_URL=None)
    monkeypatch.setattr(reports, "build_pdf", lambda period, kind, **_: b"%PDF-1.7 test " + period.label.encode())
    admin = _client(app, "reviewer")
    home = admin.get("/office/?period=2026-Q1&kind=onestop").get_data(as_text=True)
    assert 'href="/office/report?period=2026-Q1&amp;kind=onestop">Tải báo cáo PDF</a>' in home
    assert "/office/bao-cao" not in home
    response = admin.get("/office/report?period=2026-Q1&kind=onestop")
    assert response.status_code == 200 and response.data == b"%PDF-1.7 test 2026-Q1@report"
    assert response.headers["Content-Disposition"] == 'attachment; filename="bao-cao-2026-Q1-onestop.pdf"'
    with app.app_context():
        generated = _db.session.scalars(select(GeneratedReport)).one()
        assert (generated.organisation_id, generated.period, generated.kind) == (two_wards.a, "2026-Q1@report",
                                                                                 "onestop")
    assert _jobs(app, two_wards.a) == []
    # A POST (a page left open from when a queue was configured) goes to the same synchronous report.
    status, where = _ask(admin, kind="onestop")
    assert (status, where) == (303, "/office/report?period=2026-Q1@report&kind=onestop")
    assert admin.get(where).data == b"%PDF-1.7 test 2026-Q1@report"


def test_an_unreachable_redis_is_said_clearly_and_a_current_file_still_comes(app: Flask, two_wards: Wards,
                                                                             queue: str, fast_pdf: None) -> None:
    admin = _client(app, "admin")
    _ask(admin)
    _work(app)
    [done] = _jobs(app, two_wards.a)
    app.config.update(HAILONG_QUEUE_URL="redis://127.0.0.1:1/0")
    # The report made from the same data needs no queue.
    assert _ask(admin) == (303, f"/office/bao-cao/{done.id}/tep")
    # A new one does: 503 with the reason, nothing stored, no traceback.
    data = {"csrf_token": token(admin, PAGE), "period": "2026-Q1", "kind": "health"}
    response = admin.post("/office/report", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "Không kết nối được hàng đợi công việc nền (Redis)" in body and "Traceback" not in body
    assert 'name="kind" value="health"' in body  # the button to try again
    assert len(_jobs(app, two_wards.a)) == 1
    # Asking by link (the deadlines' "Tạo báo cáo") never builds in the request when a queue is configured.
    page = admin.get("/office/report?period=2026-Q1")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert 'action="/office/report"' in page.get_data(as_text=True)
    assert admin.get(PAGE).status_code == 200


def test_a_failing_job_is_failed_in_vietnamese_and_counts_for_no_deadline(
        app: Flask, two_wards: Wards, queue: str, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_html: str) -> bytes:
        raise RuntimeError("broken on purpose")

    monkeypatch.setattr(reports, "write_pdf", broken)
    admin = _client(app, "admin")
    _ask(admin)
    _work(app)
    [job] = _jobs(app, two_wards.a)
    assert job.status == JobStatus.FAILED and job.file_path is None and job.progress_done == 1
    assert job.error and "Không tạo được tệp do lỗi hệ thống (RuntimeError)" in job.error
    text = admin.get(PAGE).get_data(as_text=True)
    assert "Lỗi" in text and "broken on purpose" not in text
    assert admin.get(f"/office/bao-cao/{job.id}/tep").status_code == 404
    with app.app_context():
        assert _db.session.scalar(select(func.count()).select_from(GeneratedReport)) == 0
    # A failed report is not reused: the next click queues a new one.
    assert _ask(admin)[1].startswith("/office/bao-cao?job=")
    assert len(_jobs(app, two_wards.a)) == 2


def test_the_annex_is_for_admins_only(app: Flask, two_wards: Wards, queue: str, fast_pdf: None) -> None:
    reviewer = _client(app, "reviewer")
    assert _ask(reviewer, officer_annex="1")[0] == 404
    assert reviewer.get("/office/report?period=2026-Q1&officer_annex=1").status_code == 404
    assert _jobs(app, two_wards.a) == []
    admin = _client(app, "admin")
    home = admin.get("/office/?period=2026-Q1&kind=onestop").get_data(as_text=True)
    assert 'name="officer_annex"' in home
    _ask(admin, officer_annex="1")
    _work(app)
    [job] = _jobs(app, two_wards.a)
    assert job.officer_annex and job.status == JobStatus.DONE
    assert "kèm phụ lục đánh giá cán bộ" in admin.get(PAGE).get_data(as_text=True)
    assert download(admin, f"/office/bao-cao/{job.id}/tep")[0] == 200
    # The reviewer is not told it exists: not listed, 404 on its page and its file (here and on the province's).
    assert f'id="job-{job.id}"' not in reviewer.get(PAGE).get_data(as_text=True)
    for url in (f"/office/bao-cao/{job.id}", f"/office/bao-cao/{job.id}/tep", f"/office/tinh/cong-viec/{job.id}",
                f"/office/tinh/cong-viec/{job.id}/tep"):
        assert reviewer.get(url).status_code == 404, url
    # The same report without the annex is another report.
    assert _ask(reviewer)[1].startswith("/office/bao-cao?job=")


def test_another_ward_and_the_province_get_no_ward_report(app: Flask, two_wards: Wards, queue: str,
                                                          fast_pdf: None) -> None:
    admin = _client(app, "admin")
    _ask(admin)
    _work(app)
    [job] = _jobs(app, two_wards.a)
    other = _client(app, "minhxuan-admin")
    for url in (f"/office/bao-cao/{job.id}", f"/office/bao-cao/{job.id}/tep"):
        assert other.get(url).status_code == 404, url
    listing = other.get(PAGE).get_data(as_text=True)
    assert f'id="job-{job.id}"' not in listing and f'id="job-{two_wards.b_job}"' in listing
    # B's own ask is B's job, never A's file, even for the same options.
    assert _ask(other)[1].startswith("/office/bao-cao?job=")
    assert len(_jobs(app, two_wards.b)) == 2
    viewer = _client(app, "viewer")
    assert viewer.get(PAGE).status_code == 403 and viewer.get(f"/office/bao-cao/{job.id}").status_code == 403
    # The province reads wards' dashboards but asks for no ward report (its own report is the province's).
    province = _client(app, "so-noi-vu")
    assert province.get(PAGE).status_code == 403
    assert province.get(f"/office/bao-cao/{job.id}/tep").status_code == 403
    assert province.get(f"/office/tinh/cong-viec/{job.id}/tep").status_code == 404
    assert province.get("/office/report?period=2026-Q1").status_code == 403
    response = province.post("/office/report", data={"csrf_token": token(province, "/office/tinh/cong-viec"),
                                                      "period": "2026-Q1"})
    assert response.status_code == 403
    assert len(_jobs(app, two_wards.a)) == 1

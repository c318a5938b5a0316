"""The dashboard: indices with n and intervals, charts, ranking with low-n points unranked, drill-downs, filters."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask

from hailong.analysis.charts import Bar, element_bars, trend_line
from hailong.analysis.formatting import fmt_pct
from hailong.analysis.periods import TZ, parse_period
from hailong.survey.services import stats
from tests.fixtures.office import token

Q1 = "period=2026-Q1"


@pytest.fixture
def filled(add_responses: Callable[..., list[int]]) -> None:
    """mc-1: 40 satisfied; mc-2: 20 satisfied + 20 neutral; mc-3: 5 (low n); health: 35 at 4."""
    add_responses("mc-1", 40, 5)
    add_responses("mc-2", 20, 4)
    add_responses("mc-2", 20, 3)
    add_responses("mc-3", 5, 5)
    add_responses("tram-y-te", 35, 4)


def _rows(html: str) -> list[str]:
    table = html.split('id="points-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)[1:]


def test_dashboard_shows_indices_with_n_and_intervals(login: Any, filled: None, app: Flask) -> None:
    html = login("reviewer").get(f"/office/?{Q1}").get_data(as_text=True)
    with app.app_context():
        result = stats.compute(stats.Filter(parse_period("2026-Q1"), "onestop"))
    assert result["responses"] == 85
    assert f'id="overall-index">{fmt_pct(result["overall"]["index"])}<' in html
    assert "n = 85" in html
    lo, hi = result["overall"]["ci95"]
    assert f"{fmt_pct(lo)[:-1]}–{fmt_pct(hi)[:-1]}" in html
    for element in result["elements"]:
        assert element["label"] in html
    assert "Quý I/2026" in html
    assert html.count("<svg") >= 2  # element bars and the trend
    # The interval method is named in the reader's language; only the JSON keeps the English name.
    assert "bootstrap BCa mở rộng cho mẫu nhỏ, 2000 lần lấy mẫu lại theo phiếu" in html
    assert "resampling responses" not in html


def test_ranking_marks_low_n_points_and_does_not_rank_them(login: Any, filled: None) -> None:
    rows = _rows(login("admin").get(f"/office/?{Q1}").get_data(as_text=True))
    assert len(rows) == 3
    assert "Quầy 1" in rows[0] and '>1</td>' in rows[0]
    assert "Quầy 2" in rows[1] and '>2</td>' in rows[1]
    assert "Quầy 3" in rows[2] and "Ít phiếu" in rows[2] and ">–</td>" in rows[2]


def test_target_line_for_health_and_education_only(login: Any, filled: None) -> None:
    client = login("admin")
    health = client.get(f"/office/?{Q1}&kind=health").get_data(as_text=True)
    assert "Mục tiêu kế hoạch năm 2026" in health and "90%" in health
    assert "Mục tiêu 90%" in health  # drawn on the charts
    onestop = client.get(f"/office/?{Q1}&kind=onestop").get_data(as_text=True)
    assert "Mục tiêu" not in onestop


def test_default_period_is_the_current_quarter(login: Any) -> None:
    html = login("admin").get("/office/").get_data(as_text=True)
    now = datetime.now(TZ)
    roman = ["I", "II", "III", "IV"][(now.month - 1) // 3]
    assert f"Quý {roman}/{now.year}" in html


def test_element_drill_down_lists_statements_with_distributions(login: Any, filled: None) -> None:
    client = login("reviewer")
    dashboard = client.get(f"/office/?{Q1}").get_data(as_text=True)
    assert "/office/element/staff?period=2026-Q1&amp;kind=onestop" in dashboard
    html = client.get(f"/office/element/staff?{Q1}&kind=onestop").get_data(as_text=True)
    assert "<h1>Công chức trực tiếp giải quyết</h1>" in html
    assert html.count('class="statement"') == 6
    assert "Rất hài lòng: 45 (52,9%)" in html  # 40 + 5 answered 5 of 85
    assert "Bình thường: 20 (23,5%)" in html


def test_point_drill_down(login: Any, filled: None, points: dict[str, int]) -> None:
    html = login("reviewer").get(f"/office/point/{points['mc-2']}?{Q1}").get_data(as_text=True)
    assert "Quầy 2" in html
    assert 'id="overall-index">50,00%<' in html
    assert html.count('class="statement"') == 22
    assert "Hài lòng: 20 (50,0%)" in html


def test_huge_ids_are_404(login: Any) -> None:
    client = login("admin")
    assert client.get("/office/point/99999999999999999999").status_code == 404
    assert client.get("/office/points/99999999999999999999/qr.svg").status_code == 404


def test_unknown_element_is_404(login: Any) -> None:
    response = login("admin").get(f"/office/element/nope?{Q1}")
    assert response.status_code == 404
    assert "Không có yếu tố" in response.get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ("kind=bogus", "Loại dịch vụ “bogus” không hợp lệ"),
    ("period=2026-Q9", "Kỳ báo cáo “2026-Q9” không hợp lệ"),
    ("period=1999", "Kỳ báo cáo “1999” không hợp lệ"),
    ("color=red", "Bộ lọc “color” không hợp lệ"),
    ("kind=health&kind=education", "chỉ được chọn một giá trị"),
])
def test_unknown_filters_are_400_with_a_message(login: Any, query: str, message: str) -> None:
    response = login("admin").get(f"/office/?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/office/comments?status=bogus", "/office/comments?page=abc", "/office/comments?point=x",
    "/office/export?what=secrets", "/office/export?format=pdf", "/office/audit?action=bogus",
    "/office/exports?period=Q1", "/office/element/staff?point=abc", "/office/comments?point=%C2%B2",
    "/office/comments?point=0", "/office/comments?page=99999999999999999999",
])
def test_unknown_filters_elsewhere_are_400(login: Any, url: str) -> None:
    response = login("admin").get(url)
    assert response.status_code == 400, url
    assert "không hợp lệ" in response.get_data(as_text=True) or "Không có loại sự kiện" in response.get_data(
        as_text=True)


def test_text_from_the_database_is_escaped(login: Any, app: Flask, add_responses: Callable[..., list[int]]) -> None:
    client = login("admin")
    client.post("/office/points", data={"csrf_token": token(client, "/office/points"), "code": "mc-x",
                                        "name": "<script>alert(1)</script>", "kind": "onestop"})
    add_responses("mc-x", 3, 5)
    html = client.get(f"/office/?{Q1}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_charts_escape_their_own_text() -> None:
    """The dashboard marks the charts safe, which is right only because they escape what they draw."""
    bars = element_bars([Bar("<img src=x onerror=alert(1)>", 80.0, 75.0, 85.0, 40, False)], title="<b>t</b>")
    assert "<img" not in bars and "&lt;img" in bars and "<b>" not in bars
    trend = trend_line([("<q>", 80.0), ("2026-Q1", None)], title="\"'&")
    assert "<q>" not in trend and "&lt;q&gt;" in trend
    for svg in (bars, trend):
        assert "<script" not in svg and "href" not in svg and "style=" not in svg


def test_report_link_and_pdf(login: Any, filled: None, monkeypatch: pytest.MonkeyPatch) -> None:
    client = login("reviewer")
    html = client.get(f"/office/?{Q1}").get_data(as_text=True)
    assert 'href="/office/report?period=2026-Q1&amp;kind=onestop">Tải báo cáo PDF</a>' in html
    from hailong.survey.services import reports

    monkeypatch.setattr(reports, "build_pdf", lambda period, kind, **_: b"%PDF-1.7 test " + period.label.encode())
    response = client.get(f"/office/report?{Q1}&kind=onestop")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and b"2026-Q1" in response.data


@pytest.mark.parametrize(("query", "name"), [
    ("period=2026-01-01..2026-03-31", "bao-cao-2026-01-01_2026-03-31.pdf"),
    ("period=2026-Q1&kind=health", "bao-cao-2026-Q1-health.pdf"),
])
def test_the_report_download_has_the_reports_own_file_name(login: Any, monkeypatch: pytest.MonkeyPatch, query: str,
                                                           name: str) -> None:
    """The office names the file as `hailong report` does (a date range once gave "bao-cao-2026-01-01..….pdf")."""
    from hailong.analysis.periods import parse_period
    from hailong.survey.services import reports

    monkeypatch.setattr(reports, "build_pdf", lambda period, kind, **_: b"%PDF-1.7 test")
    response = login("reviewer").get(f"/office/report?{query}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    from hailong.analysis import windows

    period, _, kind = query.removeprefix("period=").partition("&kind=")
    parsed = parse_period(period)
    # A quarter is reported on its reporting window (as the office and `hailong report` do); a range as typed.
    parsed = parsed if parsed.kind == "range" else windows.in_window(parsed, windows.REPORT)
    assert name == reports.default_filename(parsed, kind or None)


def test_report_failure_is_a_clear_message_not_an_error(login: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from hailong.survey.services import reports

    def broken(period: Any, kind: Any, **_: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(reports, "build_pdf", broken)
    client = login("admin")
    response = client.get(f"/office/report?{Q1}&kind=health")
    assert response.status_code == 303
    assert response.headers["Location"] == "/office/?period=2026-Q1&kind=health"
    assert "Chưa tạo được báo cáo PDF" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_viewer_gets_no_report_link_and_no_report(login: Any) -> None:
    client = login("viewer")
    assert "Tải báo cáo PDF" not in client.get("/office/").get_data(as_text=True)
    assert client.get(f"/office/report?{Q1}").status_code == 403


def test_ranking_and_trend_agree_with_stats_compute(app: Flask, points: dict[str, int]) -> None:
    """The dashboard's one-pass ranking and trend give exactly what stats.compute gives point by point."""
    from datetime import date

    from hailong.survey.extensions import db as _db
    from hailong.survey.models import ServicePoint, Submission
    from hailong.survey.services import dashboard as results
    from hailong.survey.services import demo as demo_svc
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as response_svc

    with app.app_context():
        demo_points = _db.session.query(ServicePoint).order_by(ServicePoint.id).all()
        versions = {k: (qsvc.latest_version(k), qsvc.definition(qsvc.latest_version(k)))
                    for k in ("onestop", "health", "education")}
        demo_svc.generate(demo_points, versions, date(2026, 3, 31))
        for rid in _db.session.query(Submission.id).filter(Submission.id % 17 == 0).limit(40):
            response_svc.set_flag(rid[0], "test")
        _db.session.commit()
        period = parse_period("2026-Q1")
        for kind in ("onestop", "education"):
            rows = results.points_table(period, kind, None)
            assert rows and [r.rank for r in rows if not r.low_n] == list(range(1, len(rows) + 1))
            for row in rows:
                expected = stats.compute(stats.Filter(period, kind, [row.point.id]))
                assert row.responses == expected["responses"]
                assert row.index == expected["overall"]["index"]
                assert row.ci95 == expected["overall"]["ci95"]
            trend = results.trend(period, kind, None, count=4)
            assert [label for label, _ in trend] == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
            for label, value in trend:
                expected = stats.compute(stats.Filter(parse_period(label), kind))["overall"]["index"]
                assert value == expected, label
        ids = [points["th-an-tuong"]]
        assert results.trend(period, "education", ids, count=1)[0][1] == stats.compute(
            stats.Filter(period, "education", ids))["overall"]["index"]


def test_overview_is_stats_compute(app: Flask, points: dict[str, int], add_responses: Callable[..., list[int]]) -> None:
    """The dashboard's overview (previous period from patterns) equals stats.compute, change included."""
    from hailong.survey.services import dashboard as results

    add_responses("mc-1", 12, 5)
    add_responses("mc-2", 9, 2)
    add_responses("mc-1", 7, 4, when=datetime(2025, 11, 3, 10, 0, tzinfo=TZ))
    add_responses("mc-2", 5, 3, when=datetime(2025, 12, 3, 10, 0, tzinfo=TZ), flag_reason="x")
    add_responses("mc-3", 4, 1, when=datetime(2025, 12, 4, 10, 0, tzinfo=TZ))
    with app.app_context():
        period = parse_period("2026-Q1")
        for ids in (None, [points["mc-1"]], [points["mc-2"], points["mc-3"]]):
            assert results.overview(period, "onestop", ids) == stats.compute(stats.Filter(period, "onestop", ids))
        empty = parse_period("2024-Q1")
        assert results.overview(empty, "health", None) == stats.compute(stats.Filter(empty, "health"))

"""Periodic reports default to the reporting window, say which days they cover, and are recorded."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select

from hailong.analysis.periods import parse_period
from hailong.survey.commands.base import cli_actor
from hailong.survey.models import GeneratedReport
from hailong.survey.services import deadlines, reports
from tests.fixtures.report import Seeder


def test_report_window_is_stated_and_counts_only_its_days(db: SQLAlchemy, seed: Seeder) -> None:
    # 20 responses in the window's last days (1-14 December) and 15 after the cut-off (15-31 December).
    seed(date(2026, 12, 1), date(2026, 12, 15), {"tram-y-te": 20}, seed=3)
    seed(date(2026, 12, 15), date(2027, 1, 1), {"tram-y-te": 15}, seed=4)
    window = reports.gather(parse_period("2026-Q4@report"), "health")
    calendar = reports.gather(parse_period("2026-Q4"), "health")
    assert (window["total"], calendar["total"]) == (20, 35)
    html = reports.render_html(parse_period("2026-Q4@report"), "health")
    assert "số liệu từ ngày 15/09/2026 đến ngày 14/12/2026" in html
    assert "Điều 12 Nghị định số 09/2019/NĐ-CP" in html and "hạn gửi báo cáo: ngày 15/12/2026" in html
    html = reports.render_html(parse_period("2026-Q4"), "health")
    assert "số liệu từ ngày 01/10/2026 đến ngày 31/12/2026" in html


def test_cli_report_defaults_to_the_window_and_is_recorded(
    runner: FlaskCliRunner, db: SQLAlchemy, demo_points: Any, tmp_path: Any
) -> None:
    result = runner.invoke(args=["report", "--period", "2026-Q4", "--out", str(tmp_path / "q4.pdf")])
    assert result.exit_code == 0, result.output
    assert "Quý IV/2026 (kỳ báo cáo 15/09/2026–14/12/2026)" in result.output
    result = runner.invoke(args=["report", "--period", "2026-Q4", "--window", "calendar",
                                 "--out", str(tmp_path / "q4c.pdf")])
    assert result.exit_code == 0, result.output
    rows = db.session.execute(select(GeneratedReport.period, GeneratedReport.window, GeneratedReport.kind,
                                     GeneratedReport.generated_by).order_by(GeneratedReport.id)).all()
    actor = cli_actor()  # "cli:<system account>", as every command's audit
    assert rows == [("2026-Q4@report", "report", None, actor), ("2026-Q4", "calendar", None, actor)]
    status = deadlines.upcoming(demo_points[0].organisation_id, date(2026, 12, 1))
    assert [(s.due.period.label, s.generated is not None) for s in status] == [
        ("2026-Q4@report", True), ("2026@report", False), ("2027-H1@report", False)]

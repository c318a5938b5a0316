"""The report's own reads: the one-stop shares from the ward's rollups, every figure equal to the raw rows'."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import delete

from hailong.analysis.periods import parse_period
from hailong.survey.models import AnswerRollup
from hailong.survey.services import reports, rollups
from tests.fixtures.report import Seeder, pdf_text

POINTS = {"mc-1": 50, "mc-2": 30, "tram-y-te": 40, "th-an-tuong": 25}
COMMENTS = {"mc-1": ["Thủ tục nhanh, cán bộ tận tình."], "tram-y-te": ["Phòng chờ hơi nóng."]}
FLAGGED = {"mc-2": ["Phiếu nghi trùng"], "tram-y-te": ["Phiếu lạ", "Phiếu lạ nữa"]}


def _figures(context: dict[str, Any]) -> dict[str, Any]:
    """What the report prints from its own queries and stats', without the rendered charts and helpers."""
    sections = [{k: s[k] for k in ("kind", "responses", "overall", "elements", "previous", "ytd", "point_rows")}
                for s in context["sections"]]
    keys = ("total", "flagged", "channels", "shares", "comments", "points", "points_with_responses", "lowest")
    return {**{k: context[k] for k in keys}, "sections": sections}


def test_every_figure_equals_the_raw_rows(db: SQLAlchemy, seed: Seeder) -> None:
    seed(date(2026, 1, 1), date(2026, 4, 1), POINTS, comments=COMMENTS, flagged=FLAGGED, seed=3)
    seed(date(2025, 10, 1), date(2026, 1, 1), {"mc-1": 20, "tram-y-te": 15}, seed=4)
    period = parse_period("2026-Q1")
    through_rollups = _figures(reports.gather(period))
    with rollups.raw_reads():
        raw = _figures(reports.gather(period))
    assert through_rollups == raw
    assert through_rollups["flagged"] == 3
    assert sum(c["count"] for c in through_rollups["channels"]) == through_rollups["total"] == sum(POINTS.values())
    assert through_rollups["shares"]["extra_payment"]["answered"] > 0


def test_the_shares_are_read_from_the_rollups(db: SQLAlchemy, seed: Seeder) -> None:
    seed(date(2026, 1, 1), date(2026, 4, 1), {"mc-1": 40}, seed=5)
    period = parse_period("2026-Q1")
    answered = reports.gather(period, "onestop")["shares"]["harassment"]["answered"]
    assert answered > 0
    db.session.execute(delete(AnswerRollup))
    assert reports.gather(period, "onestop")["shares"]["harassment"]["answered"] == 0
    with rollups.raw_reads():
        assert reports.gather(period, "onestop")["shares"]["harassment"]["answered"] == answered


def test_the_font_configuration_is_kept_between_reports(db: SQLAlchemy, seed: Seeder, tmp_path: Path) -> None:
    seed(date(2026, 1, 1), date(2026, 4, 1), {"mc-1": 5}, seed=6)
    period = parse_period("2026-Q1")
    first = pdf_text(reports.build_pdf(period, "onestop"), tmp_path)
    fonts = reports._FONTS.config
    assert pdf_text(reports.build_pdf(period, "onestop"), tmp_path) == first
    assert reports._FONTS.config is fonts

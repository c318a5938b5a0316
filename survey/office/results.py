"""The dashboard's figures, computed through services.stats: kept out of the views so tests and the bench call them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from analysis import indices
from analysis.charts import Bar
from analysis.periods import Period, recent_quarters

from ..extensions import db
from ..models import Response, ServicePoint
from ..services import questionnaires as qsvc
from ..services import stats

#: The ward's 2026 plan: at least 90% satisfaction with public health and education services.
TARGETS = {"health": 90.0, "education": 90.0}
TREND_QUARTERS = 6


def target(kind: str) -> float | None:
    """The plan's target index for a kind, if it has one."""
    return TARGETS.get(kind)


def overview(period: Period, kind: str, point_ids: Sequence[int] | None) -> dict[str, Any]:
    """Indices of a kind (optionally some points only) with the previous period's change."""
    return stats.compute(stats.Filter(period, kind, list(point_ids) if point_ids is not None else None))


def element_bars(result: dict[str, Any]) -> list[Bar]:
    """One chart bar per element of an indices result."""
    bars = []
    for element in result["elements"]:
        ci = element.get("ci95") or (None, None)
        bars.append(Bar(label=element["label"], value=element["index"], low=ci[0], high=ci[1],
                        n=element["responses"], low_n=element["low_n"]))
    return bars


def trend(period: Period, kind: str, point_ids: Sequence[int] | None,
          count: int = TREND_QUARTERS) -> list[tuple[str, float | None]]:
    """Overall index of the last `count` quarters up to the one where `period` ends (oldest first)."""
    q = qsvc.definition(qsvc.latest_version(kind))
    ids = list(point_ids) if point_ids is not None else None
    out: list[tuple[str, float | None]] = []
    for quarter in recent_quarters(period.end - timedelta(days=1), count):
        counts = stats.count(stats.Filter(quarter, kind, ids))
        # Only the index is drawn, so the cheap delta-method interval is enough here.
        result = indices.compute(q, counts.question_counts, counts.patterns, counts.responses, max_bootstrap_patterns=0)
        out.append((quarter.label, result["overall"]["index"]))
    return out


@dataclass(frozen=True)
class PointRow:
    """One line of the ranking: a point's overall index, n and rank (None when n is too small to rank)."""

    point: ServicePoint
    responses: int
    index: float | None
    ci95: list[float] | None
    low_n: bool
    rank: int | None


def points_table(period: Period, kind: str, point_ids: Sequence[int] | None) -> list[PointRow]:
    """Points of a kind ranked by overall index; low-n points (and points without answers) follow, unranked."""
    query = select(ServicePoint).where(ServicePoint.kind == kind).order_by(ServicePoint.name)
    if point_ids is not None:
        query = query.where(ServicePoint.id.in_(point_ids))
    points = list(db.session.scalars(query))
    lo, hi = period.day_keys()
    with_responses = set(db.session.scalars(
        select(Response.point_id).where(Response.day_key >= lo, Response.day_key < hi)
        .group_by(Response.point_id).having(func.count() > 0)
    ))
    q = qsvc.definition(qsvc.latest_version(kind))
    rows = []
    for point in points:
        if not point.active and point.id not in with_responses:
            continue
        counts = stats.count(stats.Filter(period, kind, [point.id]))
        result = indices.compute(q, counts.question_counts, counts.patterns, counts.responses)
        overall = result["overall"]
        rows.append(PointRow(point, result["responses"], overall["index"], overall["ci95"],
                             overall["low_n"] or overall["index"] is None, None))
    ranked = sorted((r for r in rows if not r.low_n), key=lambda r: (-(r.index or 0.0), r.point.name))
    unranked = sorted((r for r in rows if r.low_n), key=lambda r: (-r.responses, r.point.name))
    return [PointRow(r.point, r.responses, r.index, r.ci95, r.low_n, i) for i, r in enumerate(ranked, start=1)] + [
        *unranked
    ]


def find_element(result: dict[str, Any], code: str) -> dict[str, Any] | None:
    """One element of an indices result by code."""
    return next((e for e in result["elements"] if e["code"] == code), None)

"""The dashboard's figures, computed through services.stats: kept out of the views so tests and the bench call them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Integer, case, func, literal, select

from hailong.analysis import indices
from hailong.analysis.charts import Bar
from hailong.analysis.periods import Period, recent_quarters
from hailong.forms.questionnaire import Questionnaire

from ..extensions import db
from ..models import ServicePoint, Submission
from . import patterns, rollups, stats
from .periods import within

TREND_QUARTERS = 6


def overview(period: Period, kind: str, point_ids: Sequence[int] | None,
             with_previous: bool = True) -> dict[str, Any]:
    """Indices of a kind (optionally some points only), as stats.compute gives them.

    The current period is counted by stats.count (its distributions, expectations and 'overall' question
    need the answers); the previous period, used only for the change, comes from one pass over the
    response patterns, which gives the same indices and intervals at a fraction of the cost.
    """
    q = patterns.definition(kind)
    ids = list(point_ids) if point_ids is not None else None
    f = stats.Filter(period, kind, ids)
    counts = stats.count(f)
    result = indices.compute(q, counts.question_counts, counts.patterns, counts.responses)
    result["conventions"] = stats.conventions_of(f, q, counts, result, ("sipas",))
    if with_previous:
        before_period = period.previous()
        before = patterns.results(before_period, kind, ids).get(0) or _empty(q)
        change = indices.compare(result, before)
        result["previous"] = {"period": before_period.label, "responses": before["responses"],
                              "overall": change["overall"], "elements": change["elements"]}
    return result


def prefetch(period: Period, kind: str, point_ids: Sequence[int] | None, year_to_date: Period | None = None,
             trend_quarters: int = TREND_QUARTERS) -> None:
    """Read what overview(), trend() and the year-to-date figure ask of the rollups at most once per table.

    Only inside rollups.shared_reads() and for whole wards (where those readers use the rollups): the pattern
    rows of the period, the previous period and the year to date, and the answer rows of the period and the
    trend's quarters, each span summed from disjoint pieces, unchanged pieces kept from earlier pages
    (rollups.prefetch).
    """
    sc = rollups.scope(kind, point_ids)
    if not sc.whole:
        return
    versions = patterns.version_bits(kind)
    spans = [period.day_keys(), period.previous().day_keys()]
    if year_to_date is not None:
        spans.append(year_to_date.day_keys())
    quarters = recent_quarters(period.end - timedelta(days=1), trend_quarters)
    rollups.prefetch(sc.ward_ids, versions, spans, stats.index_question_ids(kind),
                     [period.day_keys(), *(qt.day_keys() for qt in quarters)])


def _empty(q: Questionnaire) -> dict[str, Any]:
    return indices.compute(q, {}, [], 0)


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
    """Overall index of the last `count` quarters up to the one where `period` ends (oldest first).

    One pass over the responses' satisfied/valid bit masks (no answers scan): the item, element and
    overall indices are exactly those of stats.compute; only the index is drawn.
    """
    q = patterns.definition(kind)
    quarters = recent_quarters(period.end - timedelta(days=1), count)
    versions = patterns.version_bits(kind)
    width = max((len(codes) for codes in versions.values()), default=0)
    if not versions or not quarters:
        return [(quarter.label, None) for quarter in quarters]
    sc = rollups.scope(kind, point_ids)
    if sc.whole:
        return _trend_from_rollups(q, quarters, sc)
    bucket = case(*[(Submission.day_key < qt.day_keys()[1], i) for i, qt in enumerate(quarters)], else_=len(quarters))
    # The shift count is typed INTEGER: PostgreSQL has `bigint >> integer` but no `bigint >> bigint`.
    sums = [func.sum(mask.bitwise_rshift(literal(bit, Integer)).bitwise_and(1))
            for bit in range(width) for mask in (Submission.sat_mask, Submission.valid_mask)]
    query = (
        select(bucket, Submission.questionnaire_id, func.count(), *sums)
        .where(Submission.questionnaire_id.in_(versions), Submission.flagged.is_(False),
               within(Submission.day_key, (quarters[0].day_keys()[0], quarters[-1].day_keys()[1])))
        .group_by(bucket, Submission.questionnaire_id)
    )
    if sc.ward_ids is not None:
        query = query.where(Submission.organisation_id.in_(sc.ward_ids))
    if point_ids is not None:
        query = query.where(Submission.point_id.in_(point_ids))
    totals: dict[int, tuple[int, dict[str, int], dict[str, int]]] = {}
    for row in db.session.execute(query).tuples():
        index, vid, n, values = int(row[0]), int(row[1]), int(row[2]), row[3:]
        responses, sat, valid = totals.setdefault(index, (0, {}, {}))
        for bit, code in enumerate(versions[vid]):
            sat[code] = sat.get(code, 0) + int(values[2 * bit] or 0)
            valid[code] = valid.get(code, 0) + int(values[2 * bit + 1] or 0)
        totals[index] = (responses + n, sat, valid)
    out: list[tuple[str, float | None]] = []
    for i, quarter in enumerate(quarters):
        responses, sat, valid = totals.get(i, (0, {}, {}))
        result = indices.compute(q, indices.counts_from_totals((sat, valid)), [], responses, max_bootstrap_patterns=0)
        out.append((quarter.label, result["overall"]["index"]))
    return out


def _trend_from_rollups(q: Questionnaire, quarters: Sequence[Period], sc: rollups.Scope
                        ) -> list[tuple[str, float | None]]:
    """The trend of whole wards from their answer rollups: statements' 4-5 and 1-5 counts per quarter.

    The same totals as the masks' bit sums (the masks are written from these answers), hence the same index.
    """
    return _trends(q, quarters, sc.ward_ids, by_ward=False).get(0) or [(qt.label, None) for qt in quarters]


def trends_by_ward(period: Period, kind: str, ward_ids: Sequence[int],
                   count: int = TREND_QUARTERS) -> dict[int, list[tuple[str, float | None]]]:
    """trend() of each whole ward, from one query over the answer rollups (the province roll-up)."""
    q = patterns.definition(kind)
    quarters = recent_quarters(period.end - timedelta(days=1), count)
    found = _trends(q, quarters, ward_ids, by_ward=True) if ward_ids else {}
    empty: list[tuple[str, float | None]] = [(qt.label, None) for qt in quarters]
    return {ward: found.get(ward, empty) for ward in ward_ids}


def _trends(q: Questionnaire, quarters: Sequence[Period], ward_ids: Sequence[int] | None, by_ward: bool
            ) -> dict[int, list[tuple[str, float | None]]]:
    codes = patterns.statement_questions(q.kind)
    if not codes or not quarters:
        return {}
    rows = rollups.statement_totals(ward_ids, codes, [qt.day_keys() for qt in quarters], by_ward=by_ward)
    totals: dict[int, dict[int, tuple[dict[str, int], dict[str, int]]]] = {}
    for ward, index, qid, sat_n, valid_n in rows:
        sat, valid = totals.setdefault(ward, {}).setdefault(index, ({}, {}))
        code = codes[qid]
        sat[code] = sat.get(code, 0) + sat_n
        valid[code] = valid.get(code, 0) + valid_n
    out: dict[int, list[tuple[str, float | None]]] = {}
    for ward, by_quarter in totals.items():
        line: list[tuple[str, float | None]] = []
        for i, quarter in enumerate(quarters):
            found = by_quarter.get(i, ({}, {}))
            result = indices.compute(q, indices.counts_from_totals(found), [], 0, max_bootstrap_patterns=0)
            line.append((quarter.label, result["overall"]["index"]))
        out[ward] = line
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
    """Points of a kind ranked by overall index; low-n points (and points without answers) follow, unranked.

    One GROUP BY over the responses' answer patterns, split by point: each point's index and interval are
    what stats.compute gives for that point alone (same patterns, same method), without one scan per point.
    """
    query = select(ServicePoint).where(ServicePoint.kind == kind).order_by(ServicePoint.name)
    if point_ids is not None:
        query = query.where(ServicePoint.id.in_(point_ids))
    points = list(db.session.scalars(query))
    found = patterns.results(period, kind, [p.id for p in points], by_point=True) if points else {}
    rows = []
    for point in points:
        result = found.get(point.id)
        if result is None:
            if not point.active:
                continue
            rows.append(PointRow(point, 0, None, None, True, None))
            continue
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

"""The province's roll-up: every ward of a province side by side, computed as each ward's own dashboard computes it.

Each ward's overall index, interval and n come from services.patterns (the same numbers as stats.compute and the
ward's dashboard), its trend from services.dashboard, both read for all wards at once from the rollups (one query
each, not two per ward); nothing here has a formula of its own. Ranking follows
the ward dashboard's rule for points: a ward with fewer than LOW_N responses is shown but not ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hailong.analysis import indices
from hailong.analysis.periods import Period
from hailong.analysis.targets import target as plan_target

from ..models import Organisation
from . import dashboard, patterns, rollups, stats
from . import questionnaires as qsvc
from . import responses as response_svc


class WardName(Protocol):
    """What a row needs of its ward: an Organisation when computed, its stored id, code and name when read back."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...


@dataclass(frozen=True)
class WardRow:
    """One ward's line for one kind: overall index, 95% interval, n, rank (None when too few to rank), trend."""

    ward: WardName
    responses: int
    index: float | None
    ci95: list[float] | None
    low_n: bool
    rank: int | None
    #: Whether the whole 95% interval is at or above the plan's target (True), below it (False), or neither (None);
    #: None for a low-n ward too: too few responses to call, as they are too few to rank.
    meets_target: bool | None
    trend: list[tuple[str, float | None]]


def _empty(kind: str) -> dict[str, Any]:
    return indices.compute(qsvc.definition(qsvc.latest_version(kind)), {}, [], 0)


def _call(goal: float | None, ci95: list[float] | None) -> bool | None:
    if goal is None or not ci95:
        return None
    if ci95[0] >= goal:
        return True
    if ci95[1] < goal:
        return False
    return None


def rollup(period: Period, kind: str, wards: Sequence[Organisation], with_trend: bool = True,
           progress: Callable[[Organisation], None] | None = None) -> list[WardRow]:
    """The wards' rows for one kind, ranked by overall index, low-n wards after them by n; `progress` per ward."""
    goal = plan_target(kind)
    rows = []
    ward_ids = [ward.id for ward in wards]
    batched = not rollups.reading_raw()  # raw reads (the property test's reference) go ward by ward
    found = patterns.results_by_ward(period, kind, ward_ids) if batched else {}
    trends = dashboard.trends_by_ward(period, kind, ward_ids) if batched and with_trend else {}
    for ward in wards:
        if batched:
            result = found.get(ward.id) or _empty(kind)
            trend = trends.get(ward.id, [])
        else:
            ids = stats.ward_point_ids(ward.id, kind)
            result = (patterns.results(period, kind, ids).get(0) if ids else None) or _empty(kind)
            trend = dashboard.trend(period, kind, ids) if with_trend else []
        overall = result["overall"]
        low = bool(overall["low_n"]) or overall["index"] is None
        rows.append(WardRow(ward, int(result["responses"]), overall["index"], overall["ci95"], low, None,
                            None if low else _call(goal, overall["ci95"]), trend))
        if progress is not None:
            progress(ward)
    ranked = sorted((r for r in rows if not r.low_n), key=lambda r: (-(r.index or 0.0), r.ward.name))
    unranked = sorted((r for r in rows if r.low_n), key=lambda r: (-r.responses, r.ward.name))
    return [WardRow(r.ward, r.responses, r.index, r.ci95, r.low_n, i, r.meets_target, r.trend)
            for i, r in enumerate(ranked, start=1)] + unranked


def export_rows(period: Period, kind: str | None, wards: Sequence[Organisation]) -> Iterator[dict[str, str]]:
    """The responses of every ward of the province in the period, with a `ward` column."""
    return response_svc.export_rows(day_range=period.day_keys(), kind=kind, ward_ids=[w.id for w in wards],
                                    with_ward=True)

"""The plan's targets read with their intervals: the period's call and the year-to-date figure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hailong.analysis import planner, windows
from hailong.analysis import report as rp
from hailong.analysis.periods import Period
from hailong.analysis.targets import target as plan_target

from . import patterns


def year_to_date(period: Period, kind: str, point_ids: Sequence[int] | None = None) -> dict[str, Any] | None:
    """The overall index from the start of the period's year (same window form) to its end, with its target call.

    None for a year or a date range (the period itself is then the span of the target).
    """
    if period.kind not in ("quarter", "half"):
        return None
    span = windows.year_to_date(period)
    found = patterns.results(span, kind, point_ids).get(0)
    overall = found["overall"] if found else {"index": None, "ci95": None}
    n = int(found["responses"]) if found else 0
    target = plan_target(kind)
    return {
        "period": span,
        "phrase": rp.window_phrase(span),
        "index": overall["index"],
        "ci95": overall["ci95"],
        "responses": n,
        "call": planner.target_call(overall["index"], overall["ci95"], n, target) if target is not None else None,
    }


def call(kind: str, result: dict[str, Any]) -> dict[str, Any] | None:
    """The target call of an indices result (None for a kind without a target)."""
    target = plan_target(kind)
    if target is None:
        return None
    overall = result["overall"]
    return planner.target_call(overall["index"], overall["ci95"], int(result["responses"]), target)

"""Figures of the three-level officer rating (Thông tư 01/2018/TT-VPCP) for one officer or one desk.

Pure: counts in, figures out. The satisfied share is "Rất hài lòng + Hài lòng" among all ratings, with a 95%
Wilson interval (analysis.intervals.wilson); each of the three levels has its share too. Below MIN_N ratings a
group is suppressed: its count is shown, none of its shares or interval (personnel data on a handful of
citizens says more about those citizens than about the officer).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from .intervals import Interval, wilson

#: The levels, best first, as stored in officer_ratings.level.
LEVELS = ("very_satisfied", "satisfied", "unsatisfied")
#: Fewer ratings than this and a group's shares are not shown.
MIN_N = 30


@dataclass(frozen=True)
class OfficerFigures:
    """One group's figures: n always; shares (percent) and the interval only when not suppressed."""

    label: str
    n: int
    suppressed: bool
    satisfied: float | None = None
    ci: Interval | None = None
    shares: Mapping[str, float] | None = None


def figures(label: str, counts: Mapping[str, int], min_n: int = MIN_N) -> OfficerFigures:
    """The figures of one group from its count per level (levels missing count 0; others are refused)."""
    unknown = set(counts) - set(LEVELS)
    if unknown:
        raise ValueError(f"unknown levels: {sorted(unknown)}")
    if any(v < 0 for v in counts.values()):
        raise ValueError("counts must not be negative")
    n = sum(counts.get(level, 0) for level in LEVELS)
    if n < min_n:
        return OfficerFigures(label, n, True)
    good = counts.get("very_satisfied", 0) + counts.get("satisfied", 0)
    shares = {level: 100.0 * counts.get(level, 0) / n for level in LEVELS}
    return OfficerFigures(label, n, False, 100.0 * good / n, wilson(good, n), shares)


def table(groups: Mapping[str, Mapping[str, int]], min_n: int = MIN_N) -> list[OfficerFigures]:
    """Every group's figures, the most rated first (then by label): no ranking by share."""
    rows = [figures(label, counts, min_n) for label, counts in groups.items()]
    return sorted(rows, key=lambda r: (-r.n, r.label))

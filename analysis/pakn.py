"""PAKN numbers from a ward's items: pure, so the dashboard, the report and `hailong pakn stats` agree.

The items of a period are those received in it (a cohort): of them, how many were accepted, not accepted or
transferred, how many got a published reply, how many on time, how many are overdue now, the median number of
working days to the first reply, and how the citizens rated the replies.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .workdays import WorkCalendar


@dataclass(frozen=True)
class ItemFacts:
    """What the numbers need of one item (no text, no contact)."""

    received: date
    classification: str | None
    replied: date | None
    on_time: bool | None
    due: date
    open: bool
    rating: str | None


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


def summarize(items: Iterable[ItemFacts], calendar: WorkCalendar, today: date) -> dict[str, Any]:
    """The numbers of one group of items; a share of nothing is None, never 0."""
    rows = list(items)
    replied = [r for r in rows if r.replied is not None]
    on_time = sum(1 for r in replied if r.on_time)
    days = [calendar.working_days_between(r.received, r.replied) for r in replied if r.replied is not None]
    rated = [r for r in rows if r.rating is not None]
    satisfied = sum(1 for r in rated if r.rating == "satisfied")
    return {
        "received": len(rows),
        "accepted": sum(1 for r in rows if r.classification == "accepted"),
        "not_accepted": sum(1 for r in rows if r.classification == "rejected"),
        "transferred": sum(1 for r in rows if r.classification == "transferred"),
        "unclassified": sum(1 for r in rows if r.classification is None),
        "replied": len(replied),
        "replied_on_time": on_time,
        "on_time_pct": _pct(on_time, len(replied)),
        "overdue_now": sum(1 for r in rows if r.open and r.due < today),
        "median_working_days": float(statistics.median(days)) if days else None,
        "rating": {"n": len(rated), "satisfied": satisfied, "satisfied_pct": _pct(satisfied, len(rated))},
    }

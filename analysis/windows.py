"""Reporting windows (kỳ chốt số liệu) and deadlines of periodic reports: the rule is data, the dates follow.

A state agency's periodic report is due before its calendar period ends, so it covers a cut-off window: the
quarterly report 15th of the month before the quarter to the 14th of the quarter's last month, the six-month
report 15/12 of the previous year to 14/6, the yearly report 15/12 of the previous year to 14/12
(Nghị định 09/2019/NĐ-CP, Article 12; see the README for what was verified and where). One formula gives
all of them: a window starts on the cut-off day of the month before the calendar period's first month and ends
the day before the cut-off day of its last month; the report is due on the deadline day of that last month.
Change RULE (not code) if a province sets other days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .periods import (
    CALENDAR,
    REPORT,
    RULE,
    WINDOWS,
    Period,
    PeriodError,
    WindowRule,
    _month_start,
    calendar_form,
    date_range,
    half,
    in_window,
    quarter,
    report_window,
    whole_year,
)

#: The window forms and their rule live in periods.py (parsing "2026-Q4@report" needs them); they are named here too.
__all__ = [
    "CALENDAR",
    "REPORT",
    "RULE",
    "WINDOWS",
    "Due",
    "WindowRule",
    "calendar_form",
    "data_closes",
    "deadline",
    "in_window",
    "report_window",
    "upcoming",
    "year_to_date",
]


def deadline(period: Period, rule: WindowRule = RULE) -> date:
    """The day a quarter's, half-year's or year's report is due (the deadline day of its last month)."""
    if period.kind == "range":
        raise PeriodError("a date range has no deadline")
    return _month_start(calendar_form(period).end, 1).replace(day=rule.deadline_day)


def data_closes(period: Period, rule: WindowRule = RULE) -> date:
    """The last day whose data the report of a period counts (the window's last day)."""
    return report_window(period, rule).end - timedelta(days=1)


def year_to_date(period: Period, rule: WindowRule = RULE) -> Period:
    """From the start of the period's year (in the same window form) to the end of the period, as a date range.

    The plan's targets are for the year: a quarter's or half-year's figure is read next to this one.
    """
    if period.kind == "range":
        raise PeriodError("a date range has no year to date")
    year = calendar_form(period).start.year
    first = in_window(whole_year(year), period.window, rule)
    return date_range(first.start, period.end)


@dataclass(frozen=True)
class Due:
    """One upcoming periodic report: which period, its window, the day data closes and the deadline."""

    period: Period  # the reporting-window form
    kind: str  # quarter, half or year
    due: date
    closes: date


def upcoming(today: date, rule: WindowRule = RULE) -> list[Due]:
    """The next quarterly, six-month and yearly reports due on or after today, soonest first.

    Only the first half-year has a report of its own (due 15/6); the second half is covered by the yearly one.
    """
    found: list[Due] = []
    for year in (today.year, today.year + 1):
        candidates = [*(quarter(year, n) for n in range(1, 5)), half(year, 1), whole_year(year)]
        for p in candidates:
            due = deadline(p, rule)
            if due >= today and not any(d.kind == p.kind for d in found):
                found.append(Due(report_window(p, rule), p.kind, due, data_closes(p, rule)))
    return sorted(found, key=lambda d: (d.due, ("quarter", "half", "year").index(d.kind)))

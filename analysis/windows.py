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

from .periods import CALENDAR, REPORT, Period, PeriodError, date_range, half, quarter, whole_year

WINDOWS = (CALENDAR, REPORT)


@dataclass(frozen=True)
class WindowRule:
    """When a periodic report's data window starts and ends, and when the report is due."""

    #: The first day of a new window; the previous window closes the day before.
    cutoff_day: int
    #: The day of the period's last month by which the report is due.
    deadline_day: int
    #: Where the rule comes from, as printed in the report.
    source: str


RULE = WindowRule(cutoff_day=15, deadline_day=15, source="Điều 12 Nghị định số 09/2019/NĐ-CP ngày 24/01/2019")


def _month_start(d: date, months_back: int) -> date:
    """The first day of the month `months_back` months before the month of d."""
    index = d.year * 12 + d.month - 1 - months_back
    return date(index // 12, index % 12 + 1, 1)


def report_window(period: Period, rule: WindowRule = RULE) -> Period:
    """The reporting-window form of a quarter, half-year or year (label suffixed "@report")."""
    if period.window == REPORT:
        return period
    if period.kind == "range":
        raise PeriodError("a date range has no reporting window; give its dates instead")
    first_month = period.start
    last_month = _month_start(period.end, 1)
    start = _month_start(first_month, 1).replace(day=rule.cutoff_day)
    end = last_month.replace(day=rule.cutoff_day)
    return Period(f"{period.label}@{REPORT}", start, end, REPORT)


def calendar_form(period: Period) -> Period:
    """The calendar form of a period (itself when it already is one)."""
    if period.window == CALENDAR:
        return period
    from .periods import parse_period

    return parse_period(period.base)


def in_window(period: Period, window: str, rule: WindowRule = RULE) -> Period:
    """The period in the given window form ("calendar" or "report")."""
    if window not in WINDOWS:
        raise PeriodError(f"unknown window {window!r}: use {' or '.join(WINDOWS)}")
    return report_window(period, rule) if window == REPORT else calendar_form(period)


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

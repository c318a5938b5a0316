"""Reporting periods (quarter, half-year, year, date range) on Vietnam's local calendar."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MIN_YEAR = 2000
MAX_YEAR = 2100

_YEAR = r"(?P<year>[0-9]{4})"
_QUARTER = re.compile(_YEAR + r"-[Qq](?P<n>[1-4])")
_HALF = re.compile(_YEAR + r"-[Hh](?P<n>[12])")
_WHOLE_YEAR = re.compile(_YEAR)
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_RANGE = re.compile(rf"(?P<start>{_DATE})\.\.(?P<end>{_DATE})")


#: Window forms of a period: the calendar one, and the cut-off window of periodic reports (analysis/windows.py).
CALENDAR = "calendar"
REPORT = "report"


class PeriodError(ValueError):
    """A period text that cannot be parsed; the English message is translated by the caller."""


@dataclass(frozen=True)
class Period:
    """A reporting period: local dates from `start` (inclusive) to `end` (exclusive).

    `window` is "calendar", or "report" for the cut-off window of a periodic report, whose label ends in
    "@report" (e.g. "2026-Q4@report": 15/09/2026 to 14/12/2026), so a label always parses back to its period.
    """

    label: str
    start: date
    end: date
    window: str = CALENDAR

    @property
    def base(self) -> str:
        """The label without its window: "2026-Q4" for "2026-Q4@report"."""
        return self.label.split("@", 1)[0]

    @property
    def kind(self) -> str:
        """quarter, half, year or range."""
        if _QUARTER.fullmatch(self.base):
            return "quarter"
        if _HALF.fullmatch(self.base):
            return "half"
        if _WHOLE_YEAR.fullmatch(self.base):
            return "year"
        return "range"

    def previous(self) -> Period:
        """The period of the same kind, length and window just before this one, for comparisons."""
        before = self._previous_calendar()
        if self.window == CALENDAR:
            return before
        return in_window(before, self.window)

    def _previous_calendar(self) -> Period:
        if m := _QUARTER.fullmatch(self.base):
            year, n = int(m["year"]), int(m["n"])
            return quarter(year - 1, 4) if n == 1 else quarter(year, n - 1)
        if m := _HALF.fullmatch(self.base):
            year, n = int(m["year"]), int(m["n"])
            return half(year - 1, 2) if n == 1 else half(year, 1)
        if m := _WHOLE_YEAR.fullmatch(self.base):
            return whole_year(int(m["year"]) - 1)
        days = (self.end - self.start).days
        return date_range(self.start - timedelta(days=days), self.start)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """Aware UTC datetimes of local midnight at start and end, for timestamp filters."""
        return _local_midnight_utc(self.start), _local_midnight_utc(self.end)

    def day_keys(self) -> tuple[int, int]:
        """(start, end exclusive) as yyyymmdd integers of local dates, for day_key filters."""
        return _date_key(self.start), _date_key(self.end)

    @property
    def days(self) -> int:
        """Number of local days in the period."""
        return (self.end - self.start).days


def quarter(year: int, n: int) -> Period:
    """Quarter n (1..4) of a year."""
    start = date(year, 3 * (n - 1) + 1, 1)
    end = date(year + 1, 1, 1) if n == 4 else date(year, 3 * n + 1, 1)
    return Period(f"{year}-Q{n}", start, end)


def half(year: int, n: int) -> Period:
    """Half-year n (1..2) of a year."""
    if n == 1:
        return Period(f"{year}-H1", date(year, 1, 1), date(year, 7, 1))
    return Period(f"{year}-H2", date(year, 7, 1), date(year + 1, 1, 1))


def whole_year(year: int) -> Period:
    """A calendar year."""
    return Period(str(year), date(year, 1, 1), date(year + 1, 1, 1))


def date_range(start: date, end: date) -> Period:
    """Local dates from start to end (exclusive); the label shows the inclusive last day."""
    last = end - timedelta(days=1)
    return Period(f"{start.isoformat()}..{last.isoformat()}", start, end)


def parse_period(text: str) -> Period:
    """Parse "2026-Q1", "2026-H2", "2026" or "2026-01-01..2026-03-31" (inclusive end), optionally with a window
    suffix: "2026-Q4@report" is the quarter's reporting window, "2026-Q4@calendar" the calendar quarter."""
    text = text.strip()
    if "@" in text:
        text, window = text.split("@", 1)
        return in_window(parse_period(text), window.strip().lower())
    if m := _QUARTER.fullmatch(text):
        return quarter(_check_year(int(m["year"])), int(m["n"]))
    if m := _HALF.fullmatch(text):
        return half(_check_year(int(m["year"])), int(m["n"]))
    if m := _WHOLE_YEAR.fullmatch(text):
        return whole_year(_check_year(int(m["year"])))
    if m := _RANGE.fullmatch(text):
        start, last = _parse_date(m["start"]), _parse_date(m["end"])
        if last < start:
            raise PeriodError(f"the range {text!r} ends before it starts")
        return date_range(start, last + timedelta(days=1))
    raise PeriodError(
        f"unknown period {text!r}: use 2026-Q1, 2026-H1, 2026 or 2026-01-01..2026-03-31 (window: 2026-Q1@report)"
    )


def day_key(dt: datetime) -> int:
    """The yyyymmdd of an aware datetime's local date, as stored with each response."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("day_key needs an aware datetime")
    return _date_key(dt.astimezone(TZ).date())


def quarter_of(d: date) -> str:
    """The label of the quarter containing a date, e.g. "2026-Q1"."""
    return f"{d.year}-Q{(d.month - 1) // 3 + 1}"


def recent_quarters(today: date, count: int) -> list[Period]:
    """The last `count` quarters, oldest first, ending with the quarter containing today."""
    if count < 0:
        raise ValueError("count must be >= 0")
    result: list[Period] = []
    current = quarter(today.year, (today.month - 1) // 3 + 1)
    for _ in range(count):
        result.append(current)
        current = current.previous()
    return result[::-1]


def _check_year(year: int) -> int:
    """Reject years outside the supported range, so typos do not become valid filters."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise PeriodError(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}")
    return year


def _parse_date(text: str) -> date:
    """Parse an ISO date inside the supported year range."""
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise PeriodError(f"{text!r} is not a valid date (YYYY-MM-DD)") from None
    _check_year(d.year)
    return d


def _date_key(d: date) -> int:
    """yyyymmdd integer of a date."""
    return d.year * 10000 + d.month * 100 + d.day


def _local_midnight_utc(d: date) -> datetime:
    """Local midnight at the start of a date, as an aware UTC datetime."""
    return datetime.combine(d, time(0), tzinfo=TZ).astimezone(UTC)


# --- window forms (the rules of analysis/windows.py build on these) ---

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
    return parse_period(period.base)


def in_window(period: Period, window: str, rule: WindowRule = RULE) -> Period:
    """The period in the given window form ("calendar" or "report")."""
    if window not in WINDOWS:
        raise PeriodError(f"unknown window {window!r}: use {' or '.join(WINDOWS)}")
    return report_window(period, rule) if window == REPORT else calendar_form(period)

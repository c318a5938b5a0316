"""Working days on a ward's calendar: weekends, Vietnamese public holidays and the ward's own changed days.

Pure: the holidays and the ward's extra days off and make-up working days come in as data (the office edits the
ward's days; `vietnam_holidays` reads the public ones from the `holidays` library, which follows the Labour Code's
rules, Tết by the lunar calendar included, and the Government's announced swaps it knows of).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache

#: Saturday and Sunday (date.weekday()).
WEEKEND = frozenset({5, 6})
#: The longest run of days off the calendar accepts before it stops looking (a year of days off is a data error).
MAX_SEARCH_DAYS = 400


class CalendarError(ValueError):
    """No working day found within MAX_SEARCH_DAYS: the calendar's data marks (nearly) every day off."""


@dataclass(frozen=True)
class WorkCalendar:
    """Which days a ward's office works: not weekends, public holidays or extra days off, except make-up days."""

    holidays: frozenset[date] = field(default_factory=frozenset)
    #: Days the ward is closed although they are normal working days (a local event, a decided swap).
    extra_off: frozenset[date] = field(default_factory=frozenset)
    #: Days the ward works although they fall on a weekend or holiday (a make-up day, "làm bù").
    extra_work: frozenset[date] = field(default_factory=frozenset)
    weekend: frozenset[int] = WEEKEND

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_work:
            return True
        if day in self.extra_off or day in self.holidays:
            return False
        return day.weekday() not in self.weekend

    def roll_forward(self, day: date) -> date:
        """`day` itself when it is a working day, else the next one."""
        for offset in range(MAX_SEARCH_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise CalendarError(day.isoformat())

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after `start` (`start` itself is not counted); n = 0 gives `start`."""
        if n < 0:
            raise ValueError("n must be >= 0")
        day, counted, searched = start, 0, 0
        while counted < n:
            day += timedelta(days=1)
            searched += 1
            if self.is_working_day(day):
                counted, searched = counted + 1, 0
            elif searched > MAX_SEARCH_DAYS:
                raise CalendarError(start.isoformat())
        return day

    def deadline(self, received: date, days: int, *, working: bool) -> date:
        """The last day to reply: `days` working days after receipt, or `days` calendar days moved to a working day."""
        if working:
            return self.add_working_days(received, days)
        return self.roll_forward(received + timedelta(days=days))

    def working_days_between(self, start: date, end: date) -> int:
        """Working days d with start < d <= end (0 when end <= start): how long a reply took, in working days."""
        total, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if self.is_working_day(day):
                total += 1
        return total


@lru_cache(maxsize=64)
def _vietnam_year(year: int) -> tuple[frozenset[date], frozenset[date]]:
    import holidays

    vn = holidays.country_holidays("VN", years=year)
    days = frozenset(d for d in vn if d.year == year)
    # Saturdays the Government turned into working days to swap with a bridge day (e.g. 22/08/2026 for 31/08).
    work = frozenset(d for d in getattr(vn, "weekend_workdays", ()) if d.year == year)
    return days, work


def vietnam_holiday_names(year: int, language: str = "vi") -> list[tuple[date, str]]:
    """Vietnam's public holidays of a year with their names (for the office's calendar page), in date order."""
    import holidays

    vn = holidays.country_holidays("VN", years=year, language=language)
    return sorted((d, name) for d, name in vn.items() if d.year == year)


def vietnam_holidays(years: Iterable[int]) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up working days) of Vietnam in `years`, from the `holidays` library."""
    days: set[date] = set()
    work: set[date] = set()
    for year in sorted(set(years)):
        found, makeup = _vietnam_year(year)
        days |= found
        work |= makeup
    return frozenset(days), frozenset(work)


def vietnam_calendar(
    years: Iterable[int], extra_off: Iterable[date] = (), extra_work: Iterable[date] = ()
) -> WorkCalendar:
    """A ward's calendar for `years`: Vietnam's public holidays and swaps, then the ward's own days on top."""
    public, makeup = vietnam_holidays(years)
    return WorkCalendar(holidays=public, extra_off=frozenset(extra_off), extra_work=makeup | frozenset(extra_work))

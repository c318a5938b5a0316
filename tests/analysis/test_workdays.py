"""Working days: Tết by the lunar calendar, 30/4–1/5, 2/9, make-up working days and a ward's extra days off."""

from __future__ import annotations

from datetime import date

import pytest

from hailong.analysis.workdays import CalendarError, WorkCalendar, vietnam_calendar, vietnam_holidays


def test_library_knows_tet_2027_and_the_fixed_holidays() -> None:
    days, _ = vietnam_holidays([2026, 2027])
    # Tết Đinh Mùi: 1st day of the lunar year is Saturday 6/2/2027; the Labour Code's five days off fall on
    # Thu 4, Fri 5 (eve), Mon 8, Tue 9 and, for the Sunday, Wed 10 February.
    assert {date(2027, 2, d) for d in (4, 5, 6, 7, 8, 9, 10)} <= days
    assert date(2027, 2, 3) not in days and date(2027, 2, 11) not in days
    # Tết Bính Ngọ 2026: Mon 16 – Fri 20 February.
    assert {date(2026, 2, d) for d in range(16, 21)} <= days
    for year in (2026, 2027):
        assert {date(year, 4, 30), date(year, 5, 1), date(year, 9, 2)} <= days
    assert date(2027, 5, 3) in days  # 1/5/2027 is a Saturday: observed on Monday
    assert date(2027, 9, 3) in days  # the second National Day holiday (Fri, next to Thu 2/9)


def test_deadline_across_tet_2027() -> None:
    cal = vietnam_calendar([2027])
    # Received Wednesday 3/2/2027: Thu 4 – Wed 10 are Tết or a weekend, so the 1st working day is Thu 11.
    assert cal.add_working_days(date(2027, 2, 3), 1) == date(2027, 2, 11)
    assert cal.add_working_days(date(2027, 2, 3), 3) == date(2027, 2, 15)
    # Fifteen calendar days from 26/1/2027 end on 10/2 (Tết): moved to the next working day.
    assert cal.deadline(date(2027, 1, 26), 15, working=False) == date(2027, 2, 11)
    assert cal.working_days_between(date(2027, 2, 3), date(2027, 2, 15)) == 3


def test_deadline_across_30_april_and_1_may() -> None:
    cal = vietnam_calendar([2027])
    # Fri 30/4 holiday, Sat 1/5 (observed Mon 3/5), Sun 2/5: the 1st working day after Thu 29/4 is Tue 4/5.
    assert cal.add_working_days(date(2027, 4, 29), 1) == date(2027, 5, 4)
    assert cal.add_working_days(date(2027, 4, 29), 2) == date(2027, 5, 5)
    cal26 = vietnam_calendar([2026])
    assert cal26.add_working_days(date(2026, 4, 29), 1) == date(2026, 5, 4)  # Thu 30/4, Fri 1/5 off


def test_deadline_across_national_day() -> None:
    cal = vietnam_calendar([2027])
    assert cal.add_working_days(date(2027, 9, 1), 1) == date(2027, 9, 6)  # Thu 2/9, Fri 3/9 off
    cal26 = vietnam_calendar([2026])
    # 2026: Mon 31/8 is a swapped day off, Tue 1/9 and Wed 2/9 are the holiday.
    assert cal26.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)


def test_a_make_up_working_day_counts() -> None:
    cal = vietnam_calendar([2026])
    # Saturday 22/8/2026 is worked to make up for Monday 31/8 (the Government's swap, in the library).
    assert cal.is_working_day(date(2026, 8, 22))
    assert cal.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    # A ward's own make-up day on Saturday 10/10/2026.
    ward = vietnam_calendar([2026], extra_work=[date(2026, 10, 10)])
    assert ward.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert cal.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 12)


def test_an_extra_day_off_is_skipped() -> None:
    ward = vietnam_calendar([2026], extra_off=[date(2026, 10, 12)])
    assert not ward.is_working_day(date(2026, 10, 12))
    assert ward.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 13)
    assert ward.deadline(date(2026, 9, 27), 15, working=False) == date(2026, 10, 13)
    assert ward.working_days_between(date(2026, 10, 9), date(2026, 10, 13)) == 1


def test_plain_calendar_and_edges() -> None:
    cal = WorkCalendar()
    assert cal.add_working_days(date(2026, 11, 27), 0) == date(2026, 11, 27)
    assert cal.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon
    assert cal.roll_forward(date(2026, 11, 28)) == date(2026, 11, 30)
    assert cal.working_days_between(date(2026, 11, 30), date(2026, 11, 27)) == 0
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 1, 1), -1)
    closed = WorkCalendar(weekend=frozenset(range(7)))
    with pytest.raises(CalendarError):
        closed.add_working_days(date(2026, 1, 1), 1)

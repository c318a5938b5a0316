"""Reporting periods on the local (Asia/Ho_Chi_Minh, UTC+7) calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from hailong.analysis.periods import (
    TZ,
    Period,
    PeriodError,
    day_key,
    parse_period,
    quarter_of,
    recent_quarters,
)


def test_quarter() -> None:
    p = parse_period("2026-Q1")
    assert p == Period("2026-Q1", date(2026, 1, 1), date(2026, 4, 1))
    assert parse_period("2026-Q4") == Period("2026-Q4", date(2026, 10, 1), date(2027, 1, 1))
    assert p.day_keys() == (20260101, 20260401)


def test_q1_previous_is_previous_years_q4() -> None:
    assert parse_period("2026-Q1").previous() == parse_period("2025-Q4")
    assert parse_period("2026-Q3").previous() == parse_period("2026-Q2")


def test_half_year() -> None:
    h1 = parse_period("2026-H1")
    assert (h1.start, h1.end) == (date(2026, 1, 1), date(2026, 7, 1))
    assert parse_period("2026-H2") == Period("2026-H2", date(2026, 7, 1), date(2027, 1, 1))
    assert h1.previous() == parse_period("2025-H2")
    assert parse_period("2026-H2").previous() == h1


def test_year() -> None:
    y = parse_period("2026")
    assert (y.label, y.start, y.end) == ("2026", date(2026, 1, 1), date(2027, 1, 1))
    assert y.previous() == parse_period("2025")


def test_range_end_is_inclusive_in_text() -> None:
    r = parse_period("2026-01-01..2026-03-31")
    assert (r.start, r.end) == (date(2026, 1, 1), date(2026, 4, 1))
    assert r.label == "2026-01-01..2026-03-31"
    assert r.days == 90  # 31 + 28 + 31


def test_range_previous_is_same_length_just_before() -> None:
    # 90 days before 2026-01-01: 2025-10-03 .. 2025-12-31 (29 + 30 + 31 = 90 days)
    prev = parse_period("2026-01-01..2026-03-31").previous()
    assert prev == parse_period("2025-10-03..2025-12-31")
    assert prev.days == 90
    one_day = parse_period("2026-03-01..2026-03-01")
    assert one_day.previous() == parse_period("2026-02-28..2026-02-28")


def test_utc_bounds_are_local_midnight() -> None:
    start, end = parse_period("2026-Q2").utc_bounds()
    # local 2026-04-01 00:00 (UTC+7) is 2026-03-31 17:00 UTC
    assert start == datetime(2026, 3, 31, 17, tzinfo=UTC)
    assert end == datetime(2026, 6, 30, 17, tzinfo=UTC)
    assert start.utcoffset() == timedelta(0)


def test_late_evening_utc_belongs_to_next_local_quarter() -> None:
    moment = datetime(2026, 3, 31, 20, tzinfo=UTC)  # local 2026-04-01 03:00
    q2, q1 = parse_period("2026-Q2"), parse_period("2026-Q1")
    assert q2.utc_bounds()[0] <= moment < q2.utc_bounds()[1]
    assert not q1.utc_bounds()[0] <= moment < q1.utc_bounds()[1]
    assert day_key(moment) == 20260401
    assert q2.day_keys()[0] <= day_key(moment) < q2.day_keys()[1]
    assert quarter_of(moment.astimezone(TZ).date()) == "2026-Q2"


def test_day_key() -> None:
    assert day_key(datetime(2026, 1, 1, 16, 59, tzinfo=UTC)) == 20260101  # 23:59 local
    assert day_key(datetime(2026, 1, 1, 17, 0, tzinfo=UTC)) == 20260102  # 00:00 local
    assert day_key(datetime(2026, 1, 2, 0, 30, tzinfo=TZ)) == 20260102
    with pytest.raises(ValueError):
        day_key(datetime(2026, 1, 1, 12))


def test_quarter_of() -> None:
    assert [quarter_of(date(2026, m, 15)) for m in (1, 3, 4, 6, 7, 9, 10, 12)] == [
        "2026-Q1", "2026-Q1", "2026-Q2", "2026-Q2", "2026-Q3", "2026-Q3", "2026-Q4", "2026-Q4",
    ]


def test_recent_quarters_oldest_first_ending_today() -> None:
    labels = [p.label for p in recent_quarters(date(2026, 2, 10), 4)]
    assert labels == ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert recent_quarters(date(2026, 2, 10), 0) == []


def test_lowercase_and_spaces_are_accepted() -> None:
    assert parse_period(" 2026-q3 ") == parse_period("2026-Q3")


@pytest.mark.parametrize(
    "text",
    [
        "", "2026-Q0", "2026-Q5", "2026-H3", "26-Q1", "2026Q1", "1999", "2101-Q1", "Q1-2026",
        "2026-01-01", "2026-03-31..2026-01-01", "2026-02-30..2026-03-01", "2026-01-01...2026-02-01",
        "2026-01-01..", "1999-12-31..2026-01-01", "٢٠٢٦", "2026-Q1 2026-Q2",
    ],
)
def test_bad_inputs_raise_period_error(text: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(text)


def test_period_error_is_value_error() -> None:
    assert issubclass(PeriodError, ValueError)

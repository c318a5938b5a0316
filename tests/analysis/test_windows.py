"""Reporting windows of 2026-2027 against Nghị định 09/2019/NĐ-CP Article 12, written out date by date."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest

from hailong.analysis import windows
from hailong.analysis.periods import PeriodError, parse_period

# (period, first day of data, last day of data, deadline), each typed from the rule, not computed:
# quarter: 15th of the month before the quarter .. 14th of its last month, due the 15th of that month;
# six months: 15/12 of the previous year .. 14/6 (the second half: 15/6 .. 14/12); year: 15/12 .. 14/12.
EXPECTED = [
    ("2026-Q1", date(2025, 12, 15), date(2026, 3, 14), date(2026, 3, 15)),
    ("2026-Q2", date(2026, 3, 15), date(2026, 6, 14), date(2026, 6, 15)),
    ("2026-Q3", date(2026, 6, 15), date(2026, 9, 14), date(2026, 9, 15)),
    ("2026-Q4", date(2026, 9, 15), date(2026, 12, 14), date(2026, 12, 15)),
    ("2027-Q1", date(2026, 12, 15), date(2027, 3, 14), date(2027, 3, 15)),
    ("2027-Q2", date(2027, 3, 15), date(2027, 6, 14), date(2027, 6, 15)),
    ("2027-Q3", date(2027, 6, 15), date(2027, 9, 14), date(2027, 9, 15)),
    ("2027-Q4", date(2027, 9, 15), date(2027, 12, 14), date(2027, 12, 15)),
    ("2026-H1", date(2025, 12, 15), date(2026, 6, 14), date(2026, 6, 15)),
    ("2026-H2", date(2026, 6, 15), date(2026, 12, 14), date(2026, 12, 15)),
    ("2027-H1", date(2026, 12, 15), date(2027, 6, 14), date(2027, 6, 15)),
    ("2027-H2", date(2027, 6, 15), date(2027, 12, 14), date(2027, 12, 15)),
    ("2026", date(2025, 12, 15), date(2026, 12, 14), date(2026, 12, 15)),
    ("2027", date(2026, 12, 15), date(2027, 12, 14), date(2027, 12, 15)),
]


@pytest.mark.parametrize(("label", "first", "last", "due"), EXPECTED)
def test_window_and_deadline(label: str, first: date, last: date, due: date) -> None:
    p = parse_period(f"{label}@report")
    assert p.label == f"{label}@report"
    assert p.window == "report"
    assert (p.start, p.end - timedelta(days=1)) == (first, last)
    assert windows.data_closes(p) == last
    assert windows.deadline(p) == due
    # Both forms reach the same window and deadline; the label parses back to the same period.
    assert windows.report_window(parse_period(label)) == p
    assert parse_period(p.label) == p
    assert windows.deadline(parse_period(label)) == due


def test_quarter_windows_tile_the_year() -> None:
    """Consecutive quarterly windows meet without a gap or overlap, and the four make the yearly window."""
    for year in (2026, 2027):
        quarters = [parse_period(f"{year}-Q{n}@report") for n in range(1, 5)]
        for before, after in itertools.pairwise(quarters):
            assert before.end == after.start
        year_window = parse_period(f"{year}@report")
        assert (quarters[0].start, quarters[-1].end) == (year_window.start, year_window.end)


def test_previous_keeps_the_window() -> None:
    assert parse_period("2027-Q1@report").previous() == parse_period("2026-Q4@report")
    assert parse_period("2026-H1@report").previous() == parse_period("2025-H2@report")
    assert parse_period("2027@report").previous() == parse_period("2026@report")


def test_calendar_suffix_and_unknown_window() -> None:
    assert parse_period("2026-Q4@calendar") == parse_period("2026-Q4")
    with pytest.raises(PeriodError):
        parse_period("2026-Q4@fiscal")
    with pytest.raises(PeriodError):
        parse_period("2026-01-01..2026-03-31@report")


def test_year_to_date() -> None:
    assert windows.year_to_date(parse_period("2026-Q3")).label == "2026-01-01..2026-09-30"
    assert windows.year_to_date(parse_period("2026-Q4@report")).label == "2025-12-15..2026-12-14"
    assert windows.year_to_date(parse_period("2026-H1@report")).label == "2025-12-15..2026-06-14"
    with pytest.raises(PeriodError):
        windows.year_to_date(parse_period("2026-01-01..2026-02-01"))


def test_upcoming_deadlines() -> None:
    due = windows.upcoming(date(2026, 12, 1))
    assert [(d.period.label, d.due, d.closes) for d in due] == [
        ("2026-Q4@report", date(2026, 12, 15), date(2026, 12, 14)),
        ("2026@report", date(2026, 12, 15), date(2026, 12, 14)),
        ("2027-H1@report", date(2027, 6, 15), date(2027, 6, 14)),
    ]
    # On the deadline day the report is still due; the day after, the next ones are.
    assert [d.period.label for d in windows.upcoming(date(2026, 12, 15))][:2] == ["2026-Q4@report", "2026@report"]
    assert [d.period.label for d in windows.upcoming(date(2026, 12, 16))] == [
        "2027-Q1@report", "2027-H1@report", "2027@report"]


def test_rule_is_data() -> None:
    """Another province's days change the dates without code."""
    rule = windows.WindowRule(cutoff_day=20, deadline_day=25, source="test")
    p = windows.report_window(parse_period("2026-Q2"), rule)
    assert (p.start, p.end) == (date(2026, 3, 20), date(2026, 6, 20))
    assert windows.deadline(parse_period("2026-Q2"), rule) == date(2026, 6, 25)

"""Reporting periods in SQL: the one filter of a stored local day (`day_key`) to a period."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import QueryableAttribute

from hailong.analysis.periods import Period

DayKey = QueryableAttribute[int] | ColumnElement[int]


def within(day_key: DayKey, period: Period | tuple[int, int]) -> ColumnElement[bool]:
    """`day_key` (Submission.day_key, Answer.day_key) inside a period, or (first, end exclusive) yyyymmdd keys.

    Half-open, so consecutive periods share no day; both bounds are one index range on ix_responses_period and
    the answers' covering index.
    """
    first, end = period.day_keys() if isinstance(period, Period) else period
    return and_(day_key >= first, day_key < end)

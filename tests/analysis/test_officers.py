"""The officer rating's figures: shares of the three levels, the satisfied share with its Wilson interval, and the
suppression below 30 ratings; worked by hand."""

from __future__ import annotations

import pytest

from hailong.analysis.officers import MIN_N, figures, table


def test_thirty_ratings_are_shown_with_the_wilson_interval() -> None:
    # 20 + 7 = 27 of 30 satisfied: p = 0.9, z = 1.959964, z² = 3.841459;
    # centre = (0.9 + 3.841459/60) / (1 + 3.841459/30) = 0.964024 / 1.128049 = 0.854594;
    # half = 1.959964/1.128049 × √(0.09/30 + 3.841459/3600) = 1.737481 × 0.063774 = 0.110806.
    row = figures("Nguyễn Thị Lan", {"very_satisfied": 20, "satisfied": 7, "unsatisfied": 3})
    assert (row.n, row.suppressed) == (30, False)
    assert row.satisfied == pytest.approx(90.0)
    assert row.ci == pytest.approx((74.379, 96.540), abs=0.001)
    assert row.shares == pytest.approx({"very_satisfied": 66.667, "satisfied": 23.333, "unsatisfied": 10.0},
                                       abs=0.001)


def test_forty_of_fifty() -> None:
    # p = 0.8: centre = (0.8 + 0.038415)/1.076829 = 0.778596; half = 1.820124 × √(0.0032 + 0.000384) = 0.108947.
    row = figures("Quầy 1", {"very_satisfied": 10, "satisfied": 30, "unsatisfied": 10})
    assert row.ci == pytest.approx((66.963, 88.756), abs=0.001)


def test_below_thirty_only_the_count_is_given() -> None:
    row = figures("Trần Văn Bình", {"very_satisfied": 29})
    assert (row.n, row.suppressed, row.satisfied, row.ci, row.shares) == (29, True, None, None, None)
    assert MIN_N == 30


def test_no_ratings_and_all_unsatisfied() -> None:
    assert figures("x", {}).n == 0 and figures("x", {}).suppressed
    row = figures("y", {"unsatisfied": 30})
    assert row.satisfied == 0.0 and row.ci is not None and row.ci[0] == 0.0


def test_unknown_levels_and_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown"):
        figures("x", {"neutral": 3})
    with pytest.raises(ValueError, match="negative"):
        figures("x", {"satisfied": -1})


def test_the_table_is_ordered_by_count_not_by_share() -> None:
    rows = table({"A": {"satisfied": 31}, "B": {"unsatisfied": 40}, "C": {"satisfied": 2}})
    assert [r.label for r in rows] == ["B", "A", "C"]

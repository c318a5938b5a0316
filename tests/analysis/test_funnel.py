"""The paged form's funnel from per-page counts, checked by hand."""

from __future__ import annotations

from hailong.analysis.funnel import funnel


def test_funnel_by_hand() -> None:
    # 10 forms started; 3 sent from page 1 ("Gửi luôn"), 6 went on to page 2, 1 stopped on page 1;
    # page 2: 4 went on, 2 stopped; page 3 (the last): 3 sent, 1 stopped.
    f = funnel(3, {1: (10, 3), 2: (6, 0), 3: (4, 3)})
    assert (f.started, f.sent, round(f.sent_pct or 0, 2)) == (10, 6, 60.0)
    assert [(s.page, s.reached, s.sent, s.stopped, s.reached_pct) for s in f.steps] == [
        (1, 10, 3, 1, 100.0), (2, 6, 0, 2, 60.0), (3, 4, 3, 1, 40.0)]


def test_pages_without_counts_are_zeros_and_nothing_is_negative() -> None:
    f = funnel(4, {1: (2, 0), 2: (3, 0)})  # counts of forms in flight at the end of a period
    assert [(s.reached, s.sent, s.stopped) for s in f.steps] == [(2, 0, 0), (3, 0, 3), (0, 0, 0), (0, 0, 0)]
    empty = funnel(2, {})
    assert (empty.started, empty.sent, empty.sent_pct) == (0, 0, None)
    assert [s.reached_pct for s in empty.steps] == [None, None]

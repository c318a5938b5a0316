"""Wilson intervals, the pattern table, and the bootstrap / delta-method element intervals."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hailong.analysis import intervals
from hailong.analysis.intervals import (
    DELTA_METHOD,
    Pattern,
    PatternTable,
    bootstrap_method,
    element_intervals,
    wilson,
)

CODES = ("a.x", "a.y", "b.x", "b.y", "b.z")
GROUPS = [[0, 1], [2, 3, 4]]


def patterns_from(answers: np.ndarray, bit_codes: tuple[str, ...] = CODES) -> list[Pattern]:
    """Pattern rows from a responses x statements matrix of answers (0 = no opinion or skipped)."""
    weights = 1 << np.arange(answers.shape[1], dtype=np.int64)
    sat = ((answers >= 4) * weights).sum(axis=1)
    valid = ((answers >= 1) * weights).sum(axis=1)
    counted = Counter(zip(sat.tolist(), valid.tolist(), strict=True))
    return [(bit_codes, s, v, n) for (s, v), n in counted.items()]


def random_answers(seed: int, responses: int, statements: int = 5) -> np.ndarray:
    """Answers 0..5 with a realistic skew towards 4 and 5."""
    rng = np.random.default_rng(seed)
    return rng.choice(6, p=[0.08, 0.03, 0.05, 0.14, 0.40, 0.30], size=(responses, statements))


# --- Wilson ---------------------------------------------------------------------------------


def test_wilson_known_value() -> None:
    # k=81, n=100, z=1.959964: p=0.81, z^2=3.841459, z^2/n=0.0384146
    # centre = (0.81 + 0.0192073) / 1.0384146 = 0.798532
    # half   = 1.959964 / 1.0384146 * sqrt(0.81*0.19/100 + 3.841459/40000)
    #        = 1.887458 * sqrt(0.0015390 + 0.0000960) = 1.887458 * 0.0404356 = 0.0763199
    # -> [72.221, 87.485] %
    lo, hi = wilson(81, 100)  # type: ignore[misc]
    assert (round(lo, 2), round(hi, 2)) == (72.22, 87.49)


def test_wilson_edges() -> None:
    assert wilson(0, 0) is None
    lo, hi = wilson(0, 10)  # type: ignore[misc]
    assert lo == 0.0 and 27.75 < hi < 27.76
    lo, hi = wilson(10, 10)  # type: ignore[misc]
    assert 72.24 < lo < 72.25 and round(hi, 2) == 100.0
    lo, hi = wilson(1, 2)  # type: ignore[misc]
    assert lo == pytest.approx(100 - hi)  # symmetric around 50
    for k, n in [(-1, 5), (6, 5), (0, -1)]:
        with pytest.raises(ValueError):
            wilson(k, n)


# --- Pattern table --------------------------------------------------------------------------


def test_table_maps_bits_by_name_across_versions_and_merges() -> None:
    v1 = ("a.x", "a.y", "b.x")
    v2 = ("old.q", "b.x", "a.x")  # another version: other bit order, one retired code
    table = PatternTable.build(
        ("a.x", "a.y", "b.x"),
        [
            (v1, 0b101, 0b111, 3),  # a.x sat, a.y valid not sat, b.x sat
            (v2, 0b110, 0b111, 2),  # b.x sat, a.x sat; old.q (valid, not sat) is ignored
            (v2, 0b010, 0b110, 4),  # b.x sat, a.x valid not sat
            (v1, 0, 0, 0),  # zero count: dropped
        ],
        total=10,  # one response more than the rows hold: padded as "answered nothing"
    )
    assert table.responses == 10
    assert table.size == 4  # v2's first row is {a.x, b.x satisfied}: distinct from v1's row
    rows = {
        (tuple(s.tolist()), tuple(v.tolist())): int(c)
        for s, v, c in zip(table.sat, table.valid, table.counts, strict=True)
    }
    assert rows == {
        ((True, False, True), (True, True, True)): 3,
        ((True, False, True), (True, False, True)): 2,
        ((False, False, True), (True, False, True)): 4,
        ((False, False, False), (False, False, False)): 1,
    }
    # responses answering a.y: only the 3 of v1's row; a.x or b.x: 3 + 2 + 4
    assert table.responses_answering([1]) == 3
    assert table.responses_answering([0, 2]) == 9
    # comprehensive: every valid answer 4-5 -> only the 2 of v2's first row; 9 answered something
    assert table.comprehensive() == (2, 9)
    # counted only with a valid answer in both elements {a.x, a.y} and {b.x}: all 9 rated both
    assert table.comprehensive([[0, 1], [2]], 2) == (2, 9)
    # with a third element that nobody rated, two of three elements still count; three of three, nobody does
    assert table.comprehensive([[0], [1], [2]], 2) == (2, 9)
    assert table.comprehensive([[0], [1], [2]], 3) == (0, 3)


def test_comprehensive_leaves_out_responses_that_rated_too_few_elements() -> None:
    codes = ("a.x", "a.y", "b.x", "c.x")
    elements = [[0, 1], [2], [3]]
    table = PatternTable.build(codes, [
        (codes, 0b0001, 0b0001, 5),  # a.x only, satisfied: one element of three -> left out
        (codes, 0b0101, 0b0101, 2),  # a.x and b.x satisfied: two elements -> counted, satisfied
        (codes, 0b0001, 0b0011, 3),  # a.y not satisfied: one element -> left out
        (codes, 0b1100, 0b1110, 4),  # three elements, a.y not satisfied -> counted, not satisfied
        (codes, 0b1111, 0b1111, 1),  # everything satisfied -> counted, satisfied
    ], total=16)  # one more response that rated nothing
    assert table.comprehensive(elements, 2) == (3, 7)
    assert table.comprehensive() == (8, 15)  # the rule before: every response with any valid answer
    assert table.comprehensive(elements, 0) == (8, 15)  # at least one element, whatever is asked


def test_table_reads_signed_bigint_masks() -> None:
    codes = tuple(f"s.q{i}" for i in range(64))
    top = -(1 << 63)  # bit 63 as PostgreSQL BIGINT returns it (two's complement)
    table = PatternTable.build(codes, [(codes, top | 1, top | 3, 5)])
    assert table.sat[0].nonzero()[0].tolist() == [0, 63]
    assert table.valid[0].nonzero()[0].tolist() == [0, 1, 63]


def test_table_rejects_negative_count() -> None:
    with pytest.raises(ValueError):
        PatternTable.build(CODES, [(CODES, 0, 0, -1)])


# --- Element intervals ----------------------------------------------------------------------


def point_estimates(answers: np.ndarray, groups: list[list[int]] = GROUPS) -> tuple[list[float], float]:
    """Element and overall indices computed directly from the answers, for reference."""
    items = [100 * (col >= 4).sum() / (col >= 1).sum() for col in answers.T]
    elements = [float(np.mean([items[j] for j in g])) for g in groups]
    return elements, float(np.mean(elements))


def test_bootstrap_contains_estimate_and_is_reproducible() -> None:
    answers = random_answers(1, 150)
    table = PatternTable.build(CODES, patterns_from(answers))
    first = element_intervals(table, GROUPS)
    again = element_intervals(PatternTable.build(CODES, patterns_from(answers)), GROUPS)
    assert first == again
    assert first.method == bootstrap_method() == (
        "bootstrap-expanded-BCa (B=2000, seed=20260101, resampling responses)"
    )
    elements, overall = point_estimates(answers)
    for (lo, hi), est in zip(first.elements, elements, strict=True):  # type: ignore[misc]
        assert 0 <= lo < est < hi <= 100
        assert hi - lo < 25  # n = 150: a few points either side, not the whole scale
    assert first.overall is not None
    assert first.overall[0] < overall < first.overall[1]
    other_seed = element_intervals(table, GROUPS, seed=1)
    assert other_seed.overall != first.overall


def test_bootstrap_does_not_depend_on_row_order_or_chunking(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = patterns_from(random_answers(2, 120))
    base = element_intervals(PatternTable.build(CODES, rows), GROUPS)
    assert element_intervals(PatternTable.build(CODES, rows[::-1]), GROUPS) == base
    monkeypatch.setattr(intervals, "_CHUNK_CELLS", 7)  # a handful of replicates per draw
    intervals.clear_memos()  # resample for real, not from the memos
    assert element_intervals(PatternTable.build(CODES, rows), GROUPS) == base


def test_memoised_bootstrap_equals_the_uncached_one_and_inputs_do_not_collide() -> None:
    """The memo returns exactly what resampling returns, read-only; a change in any input is a different entry."""
    intervals._bootstrap_memo.cache_clear()
    table = PatternTable.build(CODES, patterns_from(random_answers(5, 80)))
    fresh = intervals._bootstrap([list(g) for g in GROUPS], table, 500, 3)
    first = intervals.bootstrap(table, GROUPS, 500, 3)
    again = intervals.bootstrap(PatternTable.build(CODES, patterns_from(random_answers(5, 80))), GROUPS, 500, 3)
    assert again is first and intervals._bootstrap_memo.cache_info().hits == 1
    for name in ("estimates", "replicates", "jackknife", "counts"):
        assert np.array_equal(getattr(first, name), getattr(fresh, name), equal_nan=True)
    assert first.n == fresh.n and first.intervals() == fresh.intervals()
    with pytest.raises(ValueError):
        first.replicates[0, 0] = 1.0
    # Same shape and totals, one response moved to another pattern; other groups, replicates or seed.
    moved = random_answers(5, 80)
    moved[0] = [5, 5, 5, 5, 5] if moved[0].tolist() != [5, 5, 5, 5, 5] else [1, 1, 1, 1, 1]
    others = [
        intervals.bootstrap(PatternTable.build(CODES, patterns_from(moved)), GROUPS, 500, 3),
        intervals.bootstrap(table, [[0, 1, 2], [3, 4]], 500, 3),
        intervals.bootstrap(table, GROUPS, 501, 3),
        intervals.bootstrap(table, GROUPS, 500, 4),
    ]
    for other in others:
        assert other is not first
        assert not np.array_equal(other.replicates, first.replicates, equal_nan=True)
    assert intervals._bootstrap_memo.cache_info().misses == 5


def test_memoised_intervals_equal_fresh_ones_and_every_input_counts() -> None:
    """The interval memo gives what a fresh bootstrap gives; z, the adjustment or one moved response is another key."""
    table = PatternTable.build(CODES, patterns_from(random_answers(6, 90)))
    intervals.clear_memos()
    fresh = element_intervals(table, GROUPS, replicates=400)
    assert len(intervals._interval_memo) == 1
    intervals._bootstrap_memo.cache_clear()  # the second call may only come from the interval memo
    again = element_intervals(PatternTable.build(CODES, patterns_from(random_answers(6, 90))), GROUPS, replicates=400)
    assert again is fresh and intervals._bootstrap_memo.cache_info().misses == 0
    moved = random_answers(6, 90)
    moved[0] = [1, 1, 1, 1, 1] if (moved[0] >= 4).all() else [5, 5, 5, 5, 5]  # another satisfied pattern
    variants = [
        element_intervals(PatternTable.build(CODES, patterns_from(moved)), GROUPS, replicates=400),
        element_intervals(table, GROUPS, replicates=400, z=1.0),
        element_intervals(table, GROUPS, replicates=400, adjust="percentile"),
        element_intervals(table, [[0, 1, 2], [3, 4]], replicates=400),
    ]
    assert len(intervals._interval_memo) == 5
    for variant in variants:
        assert variant is not fresh and variant.overall != fresh.overall
    intervals.clear_memos()
    assert element_intervals(table, GROUPS, replicates=400) == fresh  # recomputed, equal


def test_replicates_without_a_statement_leave_it_out() -> None:
    # b.z is answered (with 1) by a single response out of 40: in about (39/40)^40 = 36% of the
    # replicates it is not drawn, and b's replicate mean is then over b.x and b.y only.
    answers = np.full((40, 5), 5)
    answers[:, 4] = 0
    answers[0, 4] = 1
    table = PatternTable.build(CODES, patterns_from(answers))
    result = element_intervals(table, GROUPS)
    # estimate of b = (100 + 100 + 0) / 3 = 66.67; replicates: 100 (b.z absent) or 66.67
    assert result.elements[1] == pytest.approx((200 / 3, 100.0))
    assert result.elements[0] == (100.0, 100.0)


def test_no_valid_answers_gives_none() -> None:
    answers = np.zeros((10, 5), dtype=np.int64)
    answers[:, 2] = 4  # only b.x is answered
    result = element_intervals(PatternTable.build(CODES, patterns_from(answers)), GROUPS)
    assert result.elements[0] is None
    assert result.elements[1] == (100.0, 100.0)
    assert result.overall == (100.0, 100.0)
    empty = element_intervals(PatternTable.build(CODES, []), GROUPS)
    assert empty.elements == (None, None) and empty.overall is None
    padded = PatternTable.build(CODES, [], total=5)
    for limit in (0, 100):  # delta method and bootstrap
        none = element_intervals(padded, GROUPS, max_bootstrap_patterns=limit)
        assert none.elements == (None, None) and none.overall is None


def test_delta_method_agrees_with_bootstrap_on_many_patterns() -> None:
    codes = ("a.x", "a.y", "a.z", "b.p", "b.q", "b.r", "b.s", "b.t")
    groups = [[0, 1, 2], [3, 4, 5, 6, 7]]
    answers = random_answers(3, 3000, statements=len(codes))
    table = PatternTable.build(codes, patterns_from(answers, codes))
    assert table.size > 800  # many distinct patterns
    boot = element_intervals(table, groups, max_bootstrap_responses=10**9)
    delta = element_intervals(table, groups, max_bootstrap_patterns=table.size - 1)
    assert boot.method.startswith("bootstrap")
    assert delta.method == DELTA_METHOD == "delta-method normal approximation"
    assert element_intervals(table, groups) == delta  # 3,000 responses: the delta method by default
    assert boot.overall is not None and delta.overall is not None
    pairs = [*zip(boot.elements, delta.elements, strict=True), (boot.overall, delta.overall)]
    elements, overall = point_estimates(answers, groups)
    for b, d in pairs:
        assert b is not None and d is not None
        assert abs(b[0] - d[0]) < 1 and abs(b[1] - d[1]) < 1
    for (lo, hi), est in zip(delta.elements, elements, strict=True):  # type: ignore[misc]
        assert lo < est < hi
        # symmetric normal interval around the estimate
        assert (est - lo) == pytest.approx(hi - est)
    assert delta.overall[0] < overall < delta.overall[1]


def test_delta_method_clips_to_scale() -> None:
    answers = np.full((30, 5), 5)
    answers[0, 0] = 3  # a.x: 29/30 satisfied, wide interval near 100
    table = PatternTable.build(CODES, patterns_from(answers))
    delta = element_intervals(table, GROUPS, max_bootstrap_patterns=0)
    assert delta.elements[0] is not None and delta.elements[0][1] == 100.0
    assert delta.elements[1] == (100.0, 100.0)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 80), st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_pattern_rows_merge_like_numpy_unique(rows: int, width: int, seed: int) -> None:
    """The packed-word merge gives np.unique(axis=0)'s rows, order and counts, for one word or several."""
    rng = np.random.default_rng(seed)
    matrix = rng.random((rows, width)) < rng.uniform(0.05, 0.95)
    matrix[rng.integers(0, rows, rows // 2)] = matrix[0]  # plenty of duplicates
    first, inverse = intervals._unique_rows(matrix)
    expected, expected_inverse = np.unique(matrix.astype(np.uint8), axis=0, return_inverse=True)
    assert np.array_equal(matrix[first], expected.astype(np.bool_))
    assert np.array_equal(inverse, expected_inverse.reshape(-1))


def test_table_reads_masks_beyond_int64_the_slow_way() -> None:
    """A mask given as an unsigned 64-bit value (not two's complement) is read bit for bit all the same."""
    codes = tuple(f"s{i}" for i in range(64))
    high = (1 << 63) | 1
    table = PatternTable.build(codes, [(codes, high, high, 2), (codes, 1, 1, 3)])
    assert table.responses == 5
    assert table.sat[:, 63].tolist() == [False, True] and table.sat[:, 0].all()


def test_bootstrap_settings_read_back_the_method_name() -> None:
    assert intervals.bootstrap_settings(bootstrap_method(500, 7)) == (500, 7)
    assert intervals.bootstrap_settings(DELTA_METHOD) is None and intervals.bootstrap_settings(None) is None


def test_small_sample_adjustments() -> None:
    """At n = 30 the default (BCa on expanded tails) is wider than the plain percentile interval it corrects,
    all four come from the same replicates, and each names itself."""
    answers = random_answers(4, 30)
    table = PatternTable.build(CODES, patterns_from(answers))
    boot = intervals.bootstrap(table, GROUPS)
    found = {a: boot.intervals(a)[1] for a in intervals.BOOTSTRAP_ADJUSTMENTS}
    width = {a: b[1] - b[0] for a, b in found.items() if b is not None}
    assert width["bca-expanded"] > width["percentile"] and width["expanded"] > width["percentile"]
    assert element_intervals(table, GROUPS).overall == found["bca-expanded"]
    for adjust in intervals.BOOTSTRAP_ADJUSTMENTS:
        name = bootstrap_method(adjust=adjust)
        assert intervals.bootstrap_adjustment(name) == adjust
        assert intervals.bootstrap_settings(name) == (2000, 20260101)
    with pytest.raises(ValueError):
        element_intervals(table, GROUPS, adjust="studentized")
    # Student's t by Cornish-Fisher, against tabulated values.
    assert intervals._t_quantile(0.975, 5) == pytest.approx(2.5706, abs=2e-3)
    assert intervals._t_quantile(0.975, 29) == pytest.approx(2.0452, abs=1e-3)


def test_the_bootstrap_stops_at_a_thousand_responses() -> None:
    """BOOTSTRAP_MAX_RESPONSES: 999 responses are resampled, 1,000 take the delta method (same coverage there)."""
    from hailong.analysis.intervals import BOOTSTRAP_MAX_RESPONSES

    assert BOOTSTRAP_MAX_RESPONSES == 1_000
    answers = random_answers(4, 1_000)
    below = PatternTable.build(CODES, patterns_from(answers[:999]))
    at = PatternTable.build(CODES, patterns_from(answers))
    assert (below.responses, at.responses) == (999, 1_000) and at.size <= 2_500
    assert element_intervals(below, GROUPS).method.startswith("bootstrap")
    assert element_intervals(at, GROUPS).method == DELTA_METHOD

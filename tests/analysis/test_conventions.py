"""The four conventions of "satisfaction %" against hand-computed cases, and their intervals."""

from __future__ import annotations

import numpy as np
import pytest

from hailong.analysis import conventions as conv
from hailong.analysis import indices
from hailong.analysis.intervals import DELTA_METHOD, PatternTable, ratio_interval, wilson
from hailong.forms.questionnaire import latest

ONE = ("a.x",)


def _single_statement_case() -> tuple[dict[str, dict[int, int]], PatternTable, list[conv.ScoreRow]]:
    """domain.md's example: one statement answered 1,2,3,4,5 by 10, 10, 20, 30, 30 people."""
    counts = {1: 10, 2: 10, 3: 20, 4: 30, 5: 30}
    table = PatternTable.build(list(ONE), [(ONE, 1, 1, 60), (ONE, 0, 1, 40)])
    scores = [(value, 1, n) for value, n in counts.items()]
    return {"a.x": counts}, table, scores


def test_domain_worked_example() -> None:
    """Counts 10/10/20/30/30 (N = 100, m = 3.6): SIPAS 60.0, pooled 60.0, mean/5 72.0, linear 65.0."""
    question_counts, table, scores = _single_statement_case()
    overall = {"index": 60.0, "ci95": [50.2, 69.1], "ci_method": "given"}
    rows = {r["code"]: r for r in conv.compute(conv.CONVENTIONS, ONE, question_counts, overall, table, scores)}
    assert [r for r in rows] == ["sipas", "pooled", "mean5", "linear"]
    assert {c: r["index"] for c, r in rows.items()} == {"sipas": 60.0, "pooled": 60.0, "mean5": 72.0, "linear": 65.0}
    assert rows["sipas"]["ci95"] == [50.2, 69.1] and rows["sipas"]["ci_method"] == "given"
    assert {c: r["n"] for c, r in rows.items()} == {"sipas": 100, "pooled": 100, "mean5": 100, "linear": 100}
    # One statement, one answer per response: the pooled interval is that of a plain proportion.
    lo, hi = wilson(60, 100) or (0, 0)
    assert rows["pooled"]["ci95"][0] == pytest.approx(lo, abs=1.5)
    assert rows["pooled"]["ci95"][1] == pytest.approx(hi, abs=1.5)
    # mean5 and linear are the same interval of the mean score on two scales: mean 3.6, sd 1.28, se 0.128.
    m_lo, m_hi = (rows["mean5"]["ci95"][0] * 5 / 100, rows["mean5"]["ci95"][1] * 5 / 100)
    assert (m_lo, m_hi) == pytest.approx((3.6 - 1.96 * 0.128, 3.6 + 1.96 * 0.128), abs=0.03)
    assert rows["linear"]["ci95"] == pytest.approx([100 * (m_lo - 1) / 4, 100 * (m_hi - 1) / 4], abs=0.01)
    for row in rows.values():
        assert row["ci95"][0] < row["index"] < row["ci95"][1]


def test_sipas_and_pooled_differ_when_statements_have_different_n() -> None:
    """Two one-statement elements: a.x 8 of 10 satisfied, b.y 45 of 90.

    SIPAS = (80 + 50) / 2 = 65.00; pooled = (8 + 45) / (10 + 90) = 53.00. Scores: a.x eight 5s and two 2s
    (sum 44), b.y forty-five 4s and forty-five 3s (sum 315): m = 359 / 100 = 3.59, mean5 71.80, linear 64.75.
    """
    q = latest("onestop")
    a, b = q.elements[0].statements[0].code, q.elements[1].statements[0].code
    question_counts = {a: {5: 8, 2: 2}, b: {4: 45, 3: 45}}
    bits = (a, b)
    patterns = [(bits, 0b01, 0b01, 8), (bits, 0b00, 0b01, 2), (bits, 0b10, 0b10, 45), (bits, 0b00, 0b10, 45)]
    result = indices.compute(q, question_counts, patterns, 100)
    assert result["overall"]["index"] == 65.0
    table = indices.pattern_table(q, patterns, 100)
    scores = [(5, 1, 8), (2, 1, 2), (4, 1, 45), (3, 1, 45)]
    codes = [s.code for s in q.statements]
    rows = {r["code"]: r["index"] for r in conv.compute(conv.CONVENTIONS, codes, question_counts,
                                                         result["overall"], table, scores)}
    assert rows == {"sipas": 65.0, "pooled": 53.0, "mean5": 71.8, "linear": 64.75}


def test_no_answers_give_none() -> None:
    table = PatternTable.build(list(ONE), [], total=3)
    rows = conv.compute(conv.CONVENTIONS, ONE, {}, {"index": None, "ci95": None, "ci_method": None}, table, [])
    assert [(r["index"], r["ci95"], r["ci_method"]) for r in rows] == [(None, None, None)] * 4


def test_parse() -> None:
    assert conv.parse([]) == ["sipas"]
    assert conv.parse(["all"]) == list(conv.CONVENTIONS)
    assert conv.parse(["linear,pooled", "mean5"]) == ["pooled", "mean5", "linear"]
    with pytest.raises(ValueError, match="median"):
        conv.parse(["sipas,median"])
    assert conv.needs_scores(["sipas", "pooled"]) is False and conv.needs_scores(["linear"]) is True


def test_ratio_interval_delta_agrees_with_bootstrap() -> None:
    rng = np.random.default_rng(5)
    valid = rng.integers(1, 23, 3000).astype(np.float64)
    sat = np.array([rng.binomial(int(v), 0.8) for v in valid], dtype=np.float64)
    counts = np.ones(3000, dtype=np.int64)
    boot, method = ratio_interval(sat, valid, counts, scale=100.0, max_bootstrap_responses=10**9)
    delta, delta_method = ratio_interval(sat, valid, counts, scale=100.0, max_bootstrap_patterns=10)
    assert method is not None and method.startswith("bootstrap-") and delta_method == DELTA_METHOD
    # 3,000 responses: the default is the delta method (BOOTSTRAP_MAX_RESPONSES), the same interval.
    assert ratio_interval(sat, valid, counts, scale=100.0) == (delta, DELTA_METHOD)
    assert boot is not None and delta is not None
    assert boot == pytest.approx(delta, abs=0.15)
    estimate = 100 * sat.sum() / valid.sum()
    assert delta[0] < estimate < delta[1]
    assert ratio_interval(np.zeros(2), np.zeros(2), np.array([3, 4])) == (None, None)

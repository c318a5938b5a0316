"""SIPAS indices of one filter from answer counts and response patterns: counts in, JSON-ready numbers out."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from hailong.forms.questionnaire import (
    NO_OPINION,
    SCALE_VALUES,
    Element,
    Questionnaire,
    QuestionType,
    Statement,
)

from .intervals import (
    BOOTSTRAP_MAX_PATTERNS,
    Interval,
    Pattern,
    PatternTable,
    element_intervals,
    wilson,
)

#: How many answers one question got, by stored value.
ValueCounts = Mapping[int, int]
LOW_N = 30
#: Comprehensive satisfaction counts a response that rated (1-5) a statement in at least this share of the
#: questionnaire's elements. A partial response ("Gửi luôn" on the paged form) has fewer chances to hold a
#: dissatisfied answer, so counting one that saw only the first element would raise the rate as more people send
#: early; half the elements keeps every response that went through most of the form, including those that
#: answered "no opinion" to a whole element (feedback, for someone who never gave any).
COMPREHENSIVE_MIN_SHARE = 0.5
EXPECT_CODE = "expect"
OVERALL_CODE = "overall"
G1_CODE = "g1_expect_pct"
G2_CODE = "g2_return"
_EMPTY: ValueCounts = {}


def compute(
    questionnaire: Questionnaire,
    question_counts: Mapping[str, ValueCounts],
    patterns: Iterable[Pattern],
    responses: int,
    *,
    low_n: int = LOW_N,
    max_bootstrap_patterns: int = BOOTSTRAP_MAX_PATTERNS,
) -> dict[str, Any]:
    """All indices of one filter: items, elements, overall, expectations and the health extras."""
    columns = {s.code: i for i, s in enumerate(questionnaire.statements)}
    groups = [[columns[s.code] for s in e.statements] for e in questionnaire.elements]
    table = PatternTable.build(list(columns), patterns, total=responses)
    raw = [_element_index(e, question_counts) for e in questionnaire.elements]
    overall = _mean([x for x in raw if x is not None])
    cis = element_intervals(table, groups, max_bootstrap_patterns=max_bootstrap_patterns)
    elements = [
        _element(e, question_counts, est, ci, table.responses_answering(g), low_n)
        for e, g, est, ci in zip(questionnaire.elements, groups, raw, cis.elements, strict=True)
    ]
    result: dict[str, Any] = {
        "responses": responses,
        "overall": _overall(overall, cis.overall, cis.method, table, groups, question_counts, responses, low_n),
        "elements": elements,
        "expectations": _expectations(questionnaire, question_counts, responses),
    }
    if questionnaire.kind == "health":
        result["health"] = _health(question_counts)
    return result


def pattern_table(questionnaire: Questionnaire, patterns: Iterable[Pattern], responses: int) -> PatternTable:
    """The pattern table compute() works on, for figures computed beside it (analysis.conventions)."""
    return PatternTable.build([s.code for s in questionnaire.statements], patterns, total=responses)


def compare(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """Change of the overall and element indices against a previous result of compute()."""
    before = {e["code"]: e for e in previous.get("elements", [])}
    return {
        "overall": _change(current["overall"], previous.get("overall")),
        "elements": [{"code": e["code"], **_change(e, before.get(e["code"]))} for e in current["elements"]],
    }


def comprehensive_min_elements(elements: int) -> int:
    """Elements a response must have rated to count in comprehensive satisfaction (half, rounded up; at least 1)."""
    return max(1, math.ceil(elements * COMPREHENSIVE_MIN_SHARE))


def scale_summary(counts: ValueCounts) -> tuple[int, float | None, float | None]:
    """(valid answers 1..5, % of them that are 4 or 5, mean score) of one scale question."""
    n = sum(counts.get(v, 0) for v in SCALE_VALUES)
    if n == 0:
        return 0, None, None
    satisfied = counts.get(4, 0) + counts.get(5, 0)
    mean = sum(v * counts.get(v, 0) for v in SCALE_VALUES) / n
    return n, 100.0 * satisfied / n, mean


def _element_index(element: Element, question_counts: Mapping[str, ValueCounts]) -> float | None:
    """Plain mean of the item indices of the statements that have answers (SIPAS element index)."""
    items = [scale_summary(question_counts.get(s.code, _EMPTY))[1] for s in element.statements]
    return _mean([x for x in items if x is not None])


def _element(
    element: Element,
    question_counts: Mapping[str, ValueCounts],
    estimate: float | None,
    ci: Interval | None,
    answered: int,
    low_n: int,
) -> dict[str, Any]:
    """One element's row: index, interval, responses answering it and its statements."""
    return {
        "code": element.code,
        "label": element.label.vi,
        "index": _r2(estimate),
        "ci95": _ci(estimate, ci),
        "responses": answered,
        "low_n": answered < low_n,
        "items": [_item(s, question_counts.get(s.code, _EMPTY), low_n) for s in element.statements],
    }


def _item(statement: Statement, counts: ValueCounts, low_n: int) -> dict[str, Any]:
    """One statement's row: n, item index with its Wilson interval, mean score and distribution."""
    n, index, mean = scale_summary(counts)
    satisfied = counts.get(4, 0) + counts.get(5, 0)
    dist: dict[str, int] = {str(v): int(counts.get(v, 0)) for v in SCALE_VALUES}
    dist["na"] = int(counts.get(NO_OPINION, 0))
    return {
        "code": statement.code,
        "text": statement.text.vi,
        "n": n,
        "index": _r2(index),
        "mean": _r2(mean),
        "ci95": _ci(index, wilson(satisfied, n)),
        "dist": dist,
        "low_n": n < low_n,
    }


def _overall(
    estimate: float | None,
    ci: Interval | None,
    method: str,
    table: PatternTable,
    groups: Sequence[Sequence[int]],
    question_counts: Mapping[str, ValueCounts],
    responses: int,
    low_n: int,
) -> dict[str, Any]:
    """The overall block: SIPAS index, comprehensive satisfaction and the 'overall' question."""
    least = comprehensive_min_elements(len(groups))
    satisfied, answered = table.comprehensive(groups, least)
    n, index, mean = scale_summary(question_counts.get(OVERALL_CODE, _EMPTY))
    interval = _ci(estimate, ci)
    return {
        "index": _r2(estimate),
        "ci95": interval,
        "ci_method": method if interval is not None else None,
        "comprehensive": _r2(_pct(satisfied, answered)),
        "comprehensive_n": answered,
        "comprehensive_min_elements": least,
        "low_n": responses < low_n,
        "overall_question": {"n": n, "index": _r2(index), "mean": _r2(mean)},
    }


def _expectations(
    questionnaire: Questionnaire, question_counts: Mapping[str, ValueCounts], responses: int
) -> list[dict[str, Any]]:
    """Each expectation option with its count and % of responses, most chosen first."""
    question = questionnaire.question(EXPECT_CODE)
    if question is None or question.type != QuestionType.MULTI:
        return []
    counts = question_counts.get(EXPECT_CODE, _EMPTY)
    rows = [
        {"code": o.code, "label": o.label.vi, "count": int(c), "pct": _r2(_pct(c, responses))}
        for i, o in enumerate(question.options, start=1)
        for c in [counts.get(i, 0)]
    ]
    return sorted(rows, key=lambda r: (-r["count"], r["code"]))


def _health(question_counts: Mapping[str, ValueCounts]) -> dict[str, Any]:
    """Health extras: mean % of expectations met (g1) and % who would return (g2, 'other' excluded)."""
    g1 = question_counts.get(G1_CODE, _EMPTY)
    g1_n = sum(g1.values())
    g1_mean = sum(v * c for v, c in g1.items()) / g1_n if g1_n else None
    g2_n, g2_pct, _ = scale_summary(question_counts.get(G2_CODE, _EMPTY))
    return {"g1_mean": _r2(g1_mean), "g1_n": int(g1_n), "g2_return_pct": _r2(g2_pct), "g2_n": g2_n}


def _change(current: Mapping[str, Any], previous: Mapping[str, Any] | None) -> dict[str, Any]:
    """Previous index, difference in points and whether the two 95% intervals overlap."""
    prev = previous or {}
    before, now = prev.get("index"), current.get("index")
    diff = round(now - before, 2) if now is not None and before is not None else None
    return {"index": before, "diff": diff, "ci_overlap": _overlap(current.get("ci95"), prev.get("ci95"))}


def _overlap(a: Sequence[float] | None, b: Sequence[float] | None) -> bool | None:
    """Whether two intervals overlap; None when either is missing."""
    if a is None or b is None:
        return None
    return bool(a[0] <= b[1] and b[0] <= a[1])


def _ci(estimate: float | None, bounds: Interval | None) -> list[float] | None:
    """[lo, hi] rounded, widened to contain the estimate (a percentile interval may miss it)."""
    if estimate is None or bounds is None:
        return None
    return [round(min(bounds[0], estimate), 2), round(max(bounds[1], estimate), 2)]


def _mean(values: Sequence[float]) -> float | None:
    """Plain mean, None (never 0) for no values."""
    return sum(values) / len(values) if values else None


def _pct(part: int, whole: int) -> float | None:
    """100 * part / whole, None when whole is 0."""
    return 100.0 * part / whole if whole else None


def _r2(x: float | None) -> float | None:
    """Round to 2 decimals for output, keeping None."""
    return None if x is None else round(float(x), 2)


#: Per statement code: responses answering it 4-5 (satisfied) and 1-5 (valid).
MaskTotals = tuple[dict[str, int], dict[str, int]]


def mask_totals(layouts: Mapping[int, Sequence[str]], rows: Sequence[tuple[int, int, int, int]]) -> MaskTotals:
    """Sum (layout, sat_mask, valid_mask, n) rows bit by bit: layouts[layout] names the statement of each bit."""
    sat_total: dict[str, int] = defaultdict(int)
    valid_total: dict[str, int] = defaultdict(int)
    if not rows:
        return {}, {}
    # Masks are signed 64-bit (SQL BIGINT): an arithmetic shift still reads bit 63 correctly.
    table = np.array(rows, dtype=np.int64).reshape(-1, 4)
    for layout in sorted(set(table[:, 0].tolist())):  # not np.unique: its first call imports numpy.ma (~10 ms)
        mine = table[table[:, 0] == layout]
        weights = mine[:, 3]
        for bit, code in enumerate(layouts[layout]):
            sat_total[code] += int(weights @ ((mine[:, 1] >> bit) & 1))
            valid_total[code] += int(weights @ ((mine[:, 2] >> bit) & 1))
    return dict(sat_total), dict(valid_total)


def counts_from_totals(totals: MaskTotals) -> dict[str, dict[int, int]]:
    """Statement counts with the exact item indices of mask totals: satisfied as 5, the other valid answers as 1."""
    sat, valid = totals
    return {code: {5: sat.get(code, 0), 1: n - sat.get(code, 0)} for code, n in valid.items() if n}


def statement_counts(patterns: Sequence[Pattern]) -> dict[str, dict[int, int]]:
    """Statement counts rebuilt from patterns (satisfied as 5, other valid as 1): exact item and element indices."""
    # Not for means or distributions; lets per-point indices come from the small pattern table, not every answer.
    layouts = {id(p[0]): p[0] for p in patterns}
    return counts_from_totals(mask_totals(layouts, [(id(p[0]), p[1], p[2], p[3]) for p in patterns]))


def from_patterns(questionnaire: Questionnaire, patterns: Sequence[Pattern], responses: int) -> dict[str, Any]:
    """Indices and intervals from response patterns alone (no distributions or means): cheap per point."""
    return compute(questionnaire, statement_counts(patterns), patterns, responses)

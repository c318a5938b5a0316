"""SIPAS indices from counts and patterns, checked against hand-computed cases."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hailong.analysis.indices import compare, comprehensive_min_elements, compute
from hailong.analysis.intervals import Pattern, wilson
from hailong.forms.questionnaire import Questionnaire

V1 = ("access.a", "access.b", "staff.a", "staff.b", "staff.c")
# A later version: other bit order, and a retired statement that the questionnaire no longer has.
V2 = ("staff.c", "access.old", "staff.b", "staff.a", "access.b", "access.a")
BOOT = "bootstrap-expanded-BCa (B=2000, seed=20260101, resampling responses)"

Row = dict[str, int | list[int] | None]


def _t(vi: str) -> dict[str, str]:
    return {"vi": vi, "en": vi}


def make_questionnaire(kind: str = "onestop") -> Questionnaire:
    """Two elements (2 and 3 statements), the overall question, expectations; health adds g1/g2."""
    questions: list[dict[str, Any]] = [
        {"code": "overall", "type": "scale", "section": "overall", "text": _t("Nhìn chung")},
        {
            "code": "expect", "type": "multi", "section": "expect", "text": _t("Mong đợi"),
            "options": [
                {"code": "online", "label": _t("Trực tuyến")},
                {"code": "faster", "label": _t("Nhanh hơn")},
                {"code": "fees", "label": _t("Phí thấp hơn")},
            ],
        },
    ]
    if kind == "health":
        questions += [
            {"code": "g1_expect_pct", "type": "number", "section": "assessment", "text": _t("G1"),
             "min": 0, "max": 200},
            {"code": "g2_return", "type": "choice", "section": "assessment", "text": _t("G2"),
             "options": [{"code": f"o{i}", "label": _t(f"Lựa chọn {i}")} for i in range(1, 7)]},
        ]
    return Questionnaire.model_validate({
        "kind": kind, "version": 1, "title": _t("Phiếu"), "intro": _t("Giới thiệu"),
        "elements": [
            {"code": "access", "label": _t("Tiếp cận"), "statements": [
                {"code": "access.a", "text": _t("Câu A")}, {"code": "access.b", "text": _t("Câu B")}]},
            {"code": "staff", "label": _t("Công chức"), "statements": [
                {"code": "staff.a", "text": _t("Câu C")}, {"code": "staff.b", "text": _t("Câu D")},
                {"code": "staff.c", "text": _t("Câu E")}]},
        ],
        "questions": questions,
    })


def aggregate(
    rows: Sequence[Row], version: Callable[[int], tuple[str, ...]] = lambda i: V1
) -> tuple[dict[str, dict[int, int]], list[Pattern]]:
    """What the SQL gives: counts per code and value, and pattern rows (bits in each version's order)."""
    counts: dict[str, Counter[int]] = defaultdict(Counter)
    patterns: Counter[tuple[tuple[str, ...], int, int]] = Counter()
    for i, row in enumerate(rows):
        bit_codes, sat, valid = version(i), 0, 0
        for code, value in row.items():
            if value is None:
                continue  # skipped: no answer row at all
            counts[code].update(value if isinstance(value, list) else [value])
            if code in bit_codes and isinstance(value, int) and 1 <= value <= 5:
                valid |= 1 << bit_codes.index(code)
                sat |= (value >= 4) << bit_codes.index(code)
        patterns[(bit_codes, sat, valid)] += 1
    return {c: dict(v) for c, v in counts.items()}, [(b, s, v, n) for (b, s, v), n in patterns.items()]


# r1..r4 answer statements (None = skipped, 0 = no opinion); r5 answers only `overall` and `expect`.
ROWS: list[Row] = [
    {"access.a": 5, "access.b": 4, "staff.a": 5, "staff.b": 3, "staff.c": 0, "overall": 5, "expect": [1, 2]},
    {"access.a": 4, "access.b": 5, "staff.a": 4, "staff.b": 4, "staff.c": None, "overall": 4, "expect": [2]},
    {"access.a": 3, "access.b": 0, "staff.a": 5, "staff.b": 5, "staff.c": 0, "overall": 3, "expect": []},
    {"access.a": 5, "access.b": 2, "staff.a": 2, "staff.b": 4, "staff.c": None, "overall": 0, "expect": [2, 3]},
    {"overall": 4, "expect": [2]},
]


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    counts, patterns = aggregate(ROWS)
    return compute(make_questionnaire(), counts, patterns, responses=5)


def test_items_by_hand(result: dict[str, Any]) -> None:
    access, staff = result["elements"]
    a, b = access["items"]
    # access.a: 5,4,3,5 -> n=4, 4-5: 3 -> 75.00; mean 17/4 = 4.25
    assert (a["code"], a["text"], a["n"], a["index"], a["mean"]) == ("access.a", "Câu A", 4, 75.0, 4.25)
    assert a["dist"] == {"1": 0, "2": 0, "3": 1, "4": 1, "5": 2, "na": 0}
    lo, hi = wilson(3, 4)  # type: ignore[misc]
    assert a["ci95"] == [round(lo, 2), round(hi, 2)] == [30.06, 95.44]
    # access.b: 4,5,(no opinion),2 -> n=3, 4-5: 2 -> 66.67; mean 11/3 = 3.67
    assert (b["n"], b["index"], b["mean"], b["dist"]["na"]) == (3, 66.67, 3.67, 1)
    sa, sb, sc = staff["items"]
    # staff.a: 5,4,5,2 -> 3/4 = 75.00, mean 16/4 = 4.00; staff.b: 3,4,5,4 -> 75.00, mean 4.00
    assert (sa["n"], sa["index"], sa["mean"]) == (4, 75.0, 4.0)
    assert (sb["n"], sb["index"], sb["mean"]) == (4, 75.0, 4.0)
    # staff.c: two "no opinion", two skipped -> no valid answer: None, never 0
    assert (sc["n"], sc["index"], sc["mean"], sc["ci95"]) == (0, None, None, None)
    assert sc["dist"] == {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "na": 2}


def test_elements_and_overall_by_hand(result: dict[str, Any]) -> None:
    access, staff = result["elements"]
    # access = (75 + 66.667) / 2 = 70.833
    assert (access["code"], access["label"], access["index"]) == ("access", "Tiếp cận", 70.83)
    # staff = (75 + 75) / 2 = 75.00: staff.c (no valid answer) is left out, not counted as 0
    assert staff["index"] == 75.0
    # overall = (70.833 + 75) / 2 = 72.917
    overall = result["overall"]
    assert overall["index"] == 72.92
    assert overall["ci_method"] == BOOT
    for block in (access, staff, overall):
        lo, hi = block["ci95"]
        assert 0 <= lo <= block["index"] <= hi <= 100
    # r1..r4 answered something in each element; r5 answered no statement
    assert access["responses"] == staff["responses"] == 4
    assert result["responses"] == 5


def test_comprehensive_and_overall_question_by_hand(result: dict[str, Any]) -> None:
    overall = result["overall"]
    # r1 has staff.b=3, r3 access.a=3, r4 access.b=2 and staff.a=2: only r2 is all 4-5.
    # r5 answered no statement and is left out: 1 / 4 = 25.00
    assert (overall["comprehensive"], overall["comprehensive_n"]) == (25.0, 4)
    # overall question: 5,4,3,(no opinion),4 -> n=4, 4-5: 3 -> 75.00; mean 16/4 = 4.00
    assert overall["overall_question"] == {"n": 4, "index": 75.0, "mean": 4.0}


def test_comprehensive_counts_responses_that_rated_half_the_elements() -> None:
    """A partial response ("Gửi luôn" after the first element) is left out of comprehensive satisfaction."""
    rows: list[Row] = [
        {"access.a": 5, "access.b": 5, "overall": 5},  # one element of two: 1 >= ceil(2 / 2), counted
        {"access.a": 3, "staff.b": 5, "overall": 3},  # both elements, a 3: counted, not satisfied
        {"overall": 4},  # no statement: left out
    ]
    counts, patterns = aggregate(rows)
    overall = compute(make_questionnaire(), counts, patterns, 3)["overall"]
    assert (overall["comprehensive"], overall["comprehensive_n"], overall["comprehensive_min_elements"]) == (
        50.0, 2, 1)
    # The one-stop questionnaire has five elements: a response counts once it rated three of them.
    assert [comprehensive_min_elements(n) for n in (1, 2, 3, 4, 5, 6)] == [1, 1, 2, 2, 3, 3]


def test_expectations_by_hand(result: dict[str, Any]) -> None:
    # online: r1 -> 1; faster: r1, r2, r4, r5 -> 4; fees: r4 -> 1; % of 5 responses
    assert result["expectations"] == [
        {"code": "faster", "label": "Nhanh hơn", "count": 4, "pct": 80.0},
        {"code": "fees", "label": "Phí thấp hơn", "count": 1, "pct": 20.0},  # ties by code
        {"code": "online", "label": "Trực tuyến", "count": 1, "pct": 20.0},
    ]
    assert "health" not in result


def test_low_n_flags() -> None:
    counts, patterns = aggregate(ROWS)
    default = compute(make_questionnaire(), counts, patterns, 5)
    assert default["overall"]["low_n"] and all(e["low_n"] for e in default["elements"])
    r = compute(make_questionnaire(), counts, patterns, 5, low_n=4)
    assert r["overall"]["low_n"] is False  # 5 responses
    assert [e["low_n"] for e in r["elements"]] == [False, False]  # 4 responses each
    assert [i["low_n"] for i in r["elements"][0]["items"]] == [False, True]  # n = 4, 3


def test_versions_are_mapped_by_code_and_unknown_codes_ignored() -> None:
    # r2 answers under V2 and also rated the retired access.old with 1: ignored, r2 is still all 4-5.
    rows = [dict(r) for r in ROWS]
    rows[1]["access.old"] = 1
    counts, patterns = aggregate(rows, version=lambda i: V2 if i % 2 else V1)
    assert len({p[0] for p in patterns}) == 2
    mixed = compute(make_questionnaire(), counts, patterns, 5)
    counts1, patterns1 = aggregate(ROWS)
    assert mixed == compute(make_questionnaire(), counts1, patterns1, 5)
    assert mixed == compute(make_questionnaire(), counts, patterns[::-1], 5)  # row order does not matter


def test_element_of_only_no_opinion_is_none_and_overall_uses_the_others() -> None:
    counts = {
        "access.a": {0: 3},  # every answer "no opinion"
        "access.b": {0: 2},
        "staff.a": {3: 2, 4: 1, 5: 1},  # 2/4 = 50
        "staff.b": {5: 1},  # 1/1 = 100
    }
    # patterns of the same 4 responses: staff.a in all four, staff.b in the first
    patterns: list[Pattern] = [
        (V1, 0b01100, 0b01100, 1),  # staff.a 5, staff.b 5
        (V1, 0b00100, 0b00100, 1),  # staff.a 4
        (V1, 0, 0b00100, 2),  # staff.a 3
    ]
    r = compute(make_questionnaire(), counts, patterns, 4)
    access, staff = r["elements"]
    assert (access["index"], access["ci95"], access["responses"], access["low_n"]) == (None, None, 0, True)
    assert [i["index"] for i in access["items"]] == [None, None]
    assert [i["dist"]["na"] for i in access["items"]] == [3, 2]
    # staff = (50 + 100) / 2 = 75; overall = staff alone = 75 (not (0 + 75) / 2)
    assert staff["index"] == 75.0
    assert r["overall"]["index"] == 75.0
    lo, hi = r["overall"]["ci95"]
    assert lo <= 75.0 <= hi
    # comprehensive: the first two responses have every valid answer 4-5, the others a 3: 2/4 = 50
    assert (r["overall"]["comprehensive"], r["overall"]["comprehensive_n"]) == (50.0, 4)


def _all_indices(r: Mapping[str, Any]) -> Iterator[tuple[float | None, list[float] | None]]:
    """Every (index, ci95) pair of a result; percentages without an interval get None."""
    o = r["overall"]
    yield o["index"], o["ci95"]
    yield o["comprehensive"], None
    yield o["overall_question"]["index"], None
    for e in r["elements"]:
        yield e["index"], e["ci95"]
        for i in e["items"]:
            yield i["index"], i["ci95"]
    for x in r["expectations"]:
        yield x["pct"], None
    if "health" in r:
        yield r["health"]["g2_return_pct"], None


def test_all_empty_is_none_everywhere() -> None:
    r = compute(make_questionnaire("health"), {}, [], 0)
    assert r["responses"] == 0
    assert all(index is None and ci is None for index, ci in _all_indices(r))
    o = r["overall"]
    assert (o["ci_method"], o["comprehensive_n"], o["low_n"]) == (None, 0, True)
    assert o["overall_question"] == {"n": 0, "index": None, "mean": None}
    assert all(e["responses"] == 0 and e["items"][0]["mean"] is None for e in r["elements"])
    assert [x["count"] for x in r["expectations"]] == [0, 0, 0]
    assert r["health"] == {"g1_mean": None, "g1_n": 0, "g2_return_pct": None, "g2_n": 0}


def test_responses_without_any_answer() -> None:
    # 3 responses that answered nothing: a real 0% for expectations, but no index at all
    r = compute(make_questionnaire(), {}, [(V1, 0, 0, 3)], 3)
    assert r["overall"]["index"] is None and r["overall"]["comprehensive"] is None
    assert [x["pct"] for x in r["expectations"]] == [0.0, 0.0, 0.0]


def test_health_extras() -> None:
    counts = {
        "g1_expect_pct": {100: 3, 80: 1, 150: 1},  # (300 + 80 + 150) / 5 = 106.00
        "g2_return": {5: 2, 4: 1, 3: 1, 6: 3},  # 3 of 4 answers 1..5 -> 75.00; "other" (6) excluded
    }
    r = compute(make_questionnaire("health"), counts, [], 5)
    assert r["health"] == {"g1_mean": 106.0, "g1_n": 5, "g2_return_pct": 75.0, "g2_n": 4}


def test_compare() -> None:
    def block(code: str, index: float | None, ci: list[float] | None) -> dict[str, Any]:
        return {"code": code, "index": index, "ci95": ci}

    now = {
        "overall": block("", 72.92, [65.0, 80.0]),
        "elements": [block("access", 70.83, [60.0, 79.0]), block("staff", 75.0, [70.0, 80.0]),
                     block("result", None, None)],
    }
    before = {
        "overall": block("", 70.5, [60.0, 71.0]),
        "elements": [block("access", 80.0, [79.5, 85.0]), block("result", 60.0, [50.0, 70.0])],
    }
    c = compare(now, before)
    # 72.92 - 70.5 = 2.42; [65, 80] and [60, 71] overlap
    assert c["overall"] == {"index": 70.5, "diff": 2.42, "ci_overlap": True}
    # 70.83 - 80 = -9.17 (rounded, no float noise); [60, 79] and [79.5, 85] do not overlap
    assert c["elements"] == [
        {"code": "access", "index": 80.0, "diff": -9.17, "ci_overlap": False},
        {"code": "staff", "index": None, "diff": None, "ci_overlap": None},  # not in previous
        {"code": "result", "index": 60.0, "diff": None, "ci_overlap": None},  # no current index
    ]


def test_compare_real_results() -> None:
    counts, patterns = aggregate(ROWS)
    now = compute(make_questionnaire(), counts, patterns, 5)
    same = compare(now, now)
    assert same["overall"] == {"index": 72.92, "diff": 0.0, "ci_overlap": True}
    empty = compare(now, compute(make_questionnaire(), {}, [], 0))
    assert empty["overall"] == {"index": None, "diff": None, "ci_overlap": None}
    assert [e["code"] for e in empty["elements"]] == ["access", "staff"]


ANSWER = st.sampled_from([None, 0, 1, 2, 3, 4, 5])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.fixed_dictionaries({code: ANSWER for code in V1}), max_size=40),
    st.lists(st.booleans(), min_size=40, max_size=40),
)
def test_property_indices_in_range_and_inside_interval(rows: list[Row], use_v2: list[bool]) -> None:
    counts, patterns = aggregate(rows, version=lambda i: V2 if use_v2[i] else V1)
    r = compute(make_questionnaire(), counts, patterns, len(rows))
    for index, ci in _all_indices(r):
        assert index is None or 0 <= index <= 100
        if index is None:
            assert ci is None
        elif ci is not None:
            assert 0 <= ci[0] <= index <= ci[1] <= 100
    for e in r["elements"]:
        items = [i["index"] for i in e["items"] if i["index"] is not None]
        assert (e["index"] is None) == (not items)
        assert (e["ci95"] is None) == (e["index"] is None)
    indices = [e["index"] for e in r["elements"] if e["index"] is not None]
    assert (r["overall"]["index"] is None) == (not indices)

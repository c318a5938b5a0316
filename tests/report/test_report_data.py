"""The report's pure parts: Vietnamese number formats, period names, masking, rankings and the summary."""

from __future__ import annotations

import re
from typing import Any

import pytest

from hailong.analysis import indices
from hailong.analysis import report as rp
from hailong.analysis.formatting import fmt_ci, fmt_diff, fmt_int, fmt_num, fmt_pct
from hailong.analysis.intervals import DELTA_METHOD, bootstrap_method
from hailong.analysis.periods import parse_period
from hailong.analysis.targets import target_gap
from hailong.analysis.wording import ci_method_name, period_name
from hailong.forms.questionnaire import latest


def test_numbers_use_the_vietnamese_decimal_comma() -> None:
    assert fmt_num(87.16) == "87,16"
    assert fmt_num(87.155, 1) == "87,2"
    assert fmt_num(1234567.5) == "1.234.567,50"
    assert fmt_int(100000) == "100.000"
    assert fmt_int(7) == "7"
    assert fmt_pct(87.16) == "87,16%"
    assert fmt_pct(90, 0) == "90%"
    assert fmt_pct(None) == "–"
    assert fmt_ci([85.1, 89.02]) == "85,10–89,02"
    assert fmt_ci(None) == "–"
    assert fmt_diff(1.25) == "+1,25"
    assert fmt_diff(-0.4) == "−0,40"
    assert fmt_diff(0.0) == "0,00"
    assert fmt_num(float("nan")) == "–"


def test_change_phrase() -> None:
    assert rp.change_phrase(3.23) == "tăng 3,23 điểm"
    assert rp.change_phrase(-0.5) == "giảm 0,50 điểm"
    assert rp.change_phrase(0.001) == "không thay đổi"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("2026-Q1", "quý I năm 2026"),
        ("2026-Q3", "quý III năm 2026"),
        ("2026-Q4", "quý IV năm 2026"),
        ("2026-H1", "6 tháng đầu năm 2026"),
        ("2026-H2", "6 tháng cuối năm 2026"),
        ("2026", "năm 2026"),
        ("2026-02-01..2026-03-15", "từ ngày 01/02/2026 đến ngày 15/03/2026"),
    ],
)
def test_period_names(label: str, name: str) -> None:
    assert period_name(parse_period(label), in_sentence=True) == name


def test_inline_ward_name() -> None:
    assert rp.inline_name("Phường An Tường") == "phường An Tường"
    assert rp.inline_name("Xã Thái Bình") == "xã Thái Bình"
    assert rp.inline_name("An Tường") == "An Tường"


def test_method_rows_group_kinds_with_the_same_method() -> None:
    rows = rp.method_rows([("Hành chính công", DELTA_METHOD), ("Y tế", bootstrap_method()), ("Giáo dục", DELTA_METHOD)])
    assert [r[0] for r in rows] == ["Hành chính công, Giáo dục", "Y tế"]


def test_ci_method_names() -> None:
    assert ci_method_name(bootstrap_method(), detailed=True).startswith("bootstrap BCa mở rộng cho mẫu nhỏ")
    assert ci_method_name(bootstrap_method(adjust="percentile"), detailed=True).startswith("bootstrap phân vị")
    assert "2.000 lần" in ci_method_name(bootstrap_method(2000), detailed=True)
    assert "delta" in ci_method_name(DELTA_METHOD, detailed=True)
    assert "chưa đủ" in ci_method_name(None, detailed=True)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Gọi tôi 0912 345 678 nhé", "Gọi tôi [đã ẩn] nhé"),
        ("SĐT: 0912.345.678.", "SĐT: [đã ẩn]."),
        ("số +84 912345678", "số [đã ẩn]"),
        ("CCCD 001088012345 của tôi", "CCCD [đã ẩn] của tôi"),
        ("Email: nguyen.van.a+x@gmail.com, cảm ơn", "Email: [đã ẩn], cảm ơn"),
        ("xem https://example.com/a?b=1 nhé", "xem [đã ẩn] nhé"),
        ("Đi lại 2 lần, chờ 45 phút, năm 2026", "Đi lại 2 lần, chờ 45 phút, năm 2026"),
    ],
)
def test_personal_data_is_masked(raw: str, shown: str) -> None:
    assert rp.mask_personal(raw) == shown


def test_pick_comments_spreads_kinds_skips_duplicates_and_shortens() -> None:
    rows = [
        {"comment": "Rất tốt, cảm ơn cán bộ.", "kind": "onestop"},
        {"comment": "rất tốt,   cảm ơn cán bộ.", "kind": "onestop"},
        {"comment": "ok", "kind": "onestop"},
        {"comment": "Gọi 0912345678 để biết thêm chi tiết.", "kind": "onestop"},
        {"comment": "Thêm một ý kiến nữa ở quầy.", "kind": "onestop"},
        {"comment": "Y tế " + "rất dài " * 80, "kind": "health"},
    ]
    picked = rp.pick_comments(rows, per_kind=2, limit=6, max_chars=100)
    assert [c["kind"] for c in picked] == ["onestop", "onestop", "health"]
    assert picked[1]["comment"] == "Gọi [đã ẩn] để biết thêm chi tiết."
    assert len(picked[2]["comment"]) <= 100 and picked[2]["comment"].endswith("…")


def _result(kind: str, overall: float | None, elements: list[tuple[str, float | None, bool]], n: int) -> dict[str, Any]:
    return {
        "kind": kind,
        "responses": n,
        "overall": {"index": overall, "ci95": [overall - 2, overall + 2] if overall else None, "low_n": n < 30},
        "elements": [
            {
                "code": code,
                "label": code.title(),
                "index": idx,
                "ci95": None,
                "responses": n,
                "low_n": low,
                "items": [
                    {
                        "code": f"{code}.a",
                        "text": f"{code} a",
                        "n": 5 if low else n,
                        "index": idx,
                        "low_n": low,
                        "ci95": None,
                    },
                ],
            }
            for code, idx, low in elements
        ],
        "expectations": [
            {"code": "fees", "label": "Giảm phí", "count": 12, "pct": 24.0},
            {"code": "time", "label": "Nhanh hơn", "count": 0, "pct": 0.0},
        ],
        "previous": {
            "period": "2025-Q4",
            "responses": n,
            "overall": {"index": 80.0, "diff": overall - 80.0 if overall else None, "ci_overlap": False},
        },
    }


def test_lowest_statements_rank_only_enough_answers() -> None:
    results = [
        _result("onestop", 85.0, [("access", 70.0, False), ("staff", 10.0, True), ("result", 90.0, False)], 50),
        _result("health", 88.0, [("access", 75.5, False)], 40),
    ]
    lowest = rp.lowest_statements(results, limit=2)
    assert [(r["kind"], r["code"]) for r in lowest] == [("onestop", "access.a"), ("health", "access.a")]
    assert lowest[0]["element"] == "Access"


def test_targets() -> None:
    assert target_gap("onestop", 80.0) is None
    assert target_gap("health", 91.0) == {"target": 90.0, "met": True, "gap": 0.0}
    assert target_gap("education", 87.16) == {"target": 90.0, "met": False, "gap": 2.84}
    assert target_gap("health", None) == {"target": 90.0, "met": None, "gap": None}


def test_choice_share() -> None:
    share = rp.choice_share(
        [("yes", "Có"), ("no", "Không"), ("rather_not_say", "Không muốn trả lời")],
        {"yes": 3, "no": 90, "rather_not_say": 7},
    )
    assert share["answered"] == 100 and share["yes"] == 3 and share["pct"] == 3.0
    assert [r["pct"] for r in share["rows"]] == [3.0, 90.0, 7.0]
    empty = rp.choice_share([("yes", "Có"), ("no", "Không")], {})
    assert empty["answered"] == 0 and empty["pct"] is None


def test_summary_uses_the_table_formats() -> None:
    results = [
        _result("onestop", 87.164, [("access", 70.0, False), ("staff", 95.5, False)], 120),
        _result("health", 88.0, [("access", 88.0, False)], 12),
        {**_result("education", None, [], 0), "previous": {}},
    ]
    shares = {
        "extra_payment": rp.choice_share([("yes", "Có"), ("no", "Không")], {"yes": 6, "no": 94}),
        "harassment": rp.choice_share([("yes", "Có"), ("no", "Không")], {"yes": 1, "no": 99}),
    }
    text = rp.summary(
        parse_period("2026-Q1"),
        results,
        ward="Phường An Tường",
        points_with_responses=4,
        shares=shares,
        lowest=rp.lowest_statements(results),
    )
    assert text.startswith("Trong quý I năm 2026, phường An Tường đã thu được 132 phiếu khảo sát hợp lệ tại 4 điểm")
    assert f"đạt {fmt_pct(87.164)} (n = 120)" in text
    assert "tăng 7,16 điểm so với quý IV năm 2025 (80,00%)" in text
    # 88,00% with 86,00-90,00: the interval reaches the target, so the data cannot tell (never "chưa đạt").
    assert "thấp hơn 2,00 điểm so với mục tiêu 90% của năm 2026, nhưng khoảng tin cậy 95% (86,00–90,00%)" in text
    assert "chưa đạt mục tiêu" not in text
    assert "số phiếu còn ít" in text
    assert "Chưa có phiếu khảo sát nào đối với dịch vụ giáo dục công." in text
    assert "6,00% người trả lời (6/100)" in text and "1,00% (1/100)" in text
    assert "“Giảm phí” (24,00% số phiếu)" in text
    # every number is in the tables' format: no decimal points, no bare floats
    assert not re.search(r"\d\.\d{1,2}(?!\d)", text)


def test_summary_of_an_empty_period() -> None:
    text = rp.summary(
        parse_period("2026-Q2"),
        [{**_result("onestop", None, [], 0), "previous": {}}],
        ward="Phường An Tường",
        points_with_responses=0,
    )
    assert "chưa ghi nhận phiếu khảo sát hợp lệ nào" in text


def test_statement_counts_give_the_same_indices_as_answer_counts() -> None:
    q = latest("onestop")
    codes = tuple(s.code for s in q.statements)
    # statement 0 answered 5, 2, 4 and (a second version's pattern) 5, 5; statement 1 answered 1 once
    patterns = [(codes, 0b01, 0b11, 1), (codes, 0b00, 0b01, 1), (codes, 0b01, 0b01, 1), (codes[:1], 1, 1, 2)]
    rebuilt = indices.statement_counts(patterns)
    assert rebuilt == {codes[0]: {5: 4, 1: 1}, codes[1]: {5: 0, 1: 1}}
    answered = {codes[0]: {5: 3, 4: 1, 2: 1}, codes[1]: {1: 1}}
    a = indices.compute(q, rebuilt, patterns, 5)
    b = indices.compute(q, answered, patterns, 5)
    assert a["overall"]["index"] == b["overall"]["index"]
    assert a["overall"]["ci95"] == b["overall"]["ci95"]
    assert [(e["index"], e["ci95"]) for e in a["elements"]] == [(e["index"], e["ci95"]) for e in b["elements"]]


def test_statement_counts_of_negative_bigint_masks() -> None:
    codes = tuple(f"e.s{i}" for i in range(64))
    top = -(1 << 63)  # bit 63 set, stored as a signed BIGINT
    assert indices.statement_counts([(codes, top, top, 3)]) == {"e.s63": {5: 3, 1: 0}}


@pytest.mark.parametrize(
    ("raw", "names", "shown"),
    [
        ("Tôi là Nguyễn Văn An, CMND 123 456 789.", ["Nguyễn Văn An"], "Tôi là [đã ẩn], CMND [đã ẩn]."),
        ("Ông văn an phản ánh", ["Nguyễn Văn An"], "Ông [đã ẩn] phản ánh"),
        ("Phường An Tường", ["Nguyễn Văn An"], "Phường An Tường"),
        ("Chị Lan nói", ["Lan"], "Chị [đã ẩn] nói"),
        ("Hoa hồng", ["", "  "], "Hoa hồng"),
    ],
)
def test_names_given_are_masked_as_whole_words(raw: str, names: list[str], shown: str) -> None:
    assert rp.mask_personal(raw, names) == shown


@pytest.mark.parametrize(("index", "ci", "call", "words"), [
    # The example: 89,95% with 86,00-93,28 and n = 54 cannot be called "chưa đạt".
    (89.95, [86.0, 93.28], "undecided", "thấp hơn 0,05 điểm so với mục tiêu 90% của năm 2026, nhưng khoảng tin "
                                        "cậy 95% (86,00–93,28%) còn chứa mức 90% nên chưa đủ số liệu"),
    (91.0, [88.0, 93.5], "undecided", "cao hơn 1,00 điểm so với mục tiêu 90% của năm 2026, nhưng"),
    (93.0, [90.0, 95.0], "met", "đạt mục tiêu 90% của năm 2026 (cả khoảng tin cậy 95%, 90,00–95,00%"),
    (85.0, [80.0, 89.99], "not_met", "chưa đạt mục tiêu 90% của năm 2026: thấp hơn 5,00 điểm và cả khoảng"),
])
def test_target_calls_respect_the_interval(index: float, ci: list[float], call: str, words: str) -> None:
    from hailong.analysis.planner import target_call

    result = target_call(index, ci, 54, 90.0)
    assert result["call"] == call
    assert result["point_met"] is (index >= 90.0)
    text = rp.target_clause(result, 2026)
    assert text is not None and text.startswith(words)
    if call == "undecided":
        assert (result["more"] and "cần thêm khoảng" in text) or (result["too_close"] and "quá sát" in text)
    else:
        assert result["more"] is None and "cần thêm" not in text
    if call != "not_met":
        assert "chưa đạt mục tiêu" not in text


def test_more_responses_to_decide_follow_the_interval() -> None:
    """More responses to decide: n x (side / distance)^2 - n, unless that is more than ten times n."""
    from hailong.analysis.planner import about, target_call

    # 89,95 with the upper bound 3,33 above: 54 x (3,33 / 0,05)^2 = 239.521, 239.467 more: over ten times the 54 at
    # hand, so no count is given; the wording says the estimate sits on the target instead.
    result = target_call(89.95, [86.0, 93.28], 54, 90.0)
    assert result["more"] is None and result["too_close"] is True
    text = rp.target_clause(result, 2026)
    assert text is not None and "quá sát mức mục tiêu" in text and "cần thêm" not in text
    # The ratio (side / distance)^2 does not depend on n: with 5,000 at hand it is still about 4,400 times as many.
    assert target_call(89.95, [86.0, 93.28], 5000, 90.0)["too_close"] is True
    # An estimate exactly on the target cannot be decided by more responses at all.
    assert target_call(90.0, [86.0, 93.0], 54, 90.0)["too_close"] is True
    assert about(239467) == 240000 and about(87) == 87 and about(1234) == 1300
    # 88 with the upper bound 3 points above and the target 2 points away: 54 x 2,25 = 121,5 -> 68 more.
    assert target_call(88.0, [84.0, 91.0], 54, 90.0)["more"] == 68

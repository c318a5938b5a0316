"""`hailong indices`: the SIPAS figures of a hand-computed design, exactly, through the command line.

The design (tests/test_stats.py: onestop_scenario), 2026-Q1, onestop; feedback.* are "no opinion" in
R1-R3 and skipped in R4; result.accurate is "no opinion" in R1-R2 and skipped in R3-R4:

    response  point  verified  statements                              overall  expectations
    R1        mc-1   yes       all 5                                   5        more_online, shorter_time
    R2        mc-1   no        all 4, access.seating 2                 4        shorter_time
    R3        mc-2   no        all 3, access.seating 5, staff.polite 1 3        -
    R4        mc-2   yes       only access.seating 4                   2        lower_fees
    R6        mc-1   no        all 1 (flagged: never counted)          1        better_feedback
    2025-Q4:  P1 (mc-1) all 4, overall 4; P2 (mc-2) all 2, overall 2.

By hand: access.seating 5,2,5,4 -> n 4, 3 satisfied -> 75.00, mean 4.00; every other access, procedure,
staff and result statement 5,4,3 -> 66.67, mean 4.00 (staff.polite 5,4,1 -> 66.67, mean 3.33);
result.accurate and feedback.* have no valid answer -> null. access = (75 + 3 x 66.67) / 4 = 68.75,
procedure = staff = result = 66.67, feedback = null; overall = (68.75 + 3 x 66.67) / 4 = 67.1875 -> 67.19.
Comprehensive: R4 rated one element of five, fewer than the three (half, rounded up) a response needs to count
(a partial response, as "Gửi luôn" sends); of R1-R3 only R1 is all 4-5 -> 1 / 3 = 33.33.
Wilson 95% (z = 1.959964): 3/4 -> [30.06, 95.44],
2/3 -> [20.77, 93.85]. 2025-Q4: every statement 4 and 2 -> 50.00 everywhere.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest

from hailong.analysis import flat
from tests.fixtures.stats import answers, draft, local, onestop_scenario, write

BOOTSTRAP = "bootstrap-expanded-BCa (B=2000, seed=20260101, resampling responses)"
ROUNDED = {"index", "mean", "pct", "comprehensive", "diff", "g1_mean", "g2_return_pct"}


def run(runner: Any, *args: str) -> Any:
    result = runner.invoke(args=["indices", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def dist(**counts: int) -> dict[str, int]:
    base = {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0, "na": 0}
    base.update({k.removeprefix("d"): v for k, v in counts.items()})
    return base


def item(n: int, index: float | None, mean: float | None, ci: list[float] | None, d: dict[str, int]
         ) -> dict[str, Any]:
    return {"n": n, "index": index, "mean": mean, "ci95": ci, "dist": d, "low_n": n < 30}


def items(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Items by code, without the statement text."""
    return {i["code"]: {k: v for k, v in i.items() if k not in ("code", "text")}
            for e in data["elements"] for i in e["items"]}


def elements(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["code"]: e for e in data["elements"]}


def numbers(obj: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (key, value) in a JSON tree, ci95 bounds under the key 'ci95'."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from numbers(v, k)
    elif isinstance(obj, list):
        for v in obj:
            yield from numbers(v, key)
    else:
        yield key, obj


def assert_rounded(data: Any) -> None:
    for key, value in numbers(data):
        if key in ROUNDED or key == "ci95":
            assert value is None or (isinstance(value, float) and round(value, 2) == value), (key, value)


def test_onestop_quarter_equals_hand_computation(runner: Any, demo_points: Any) -> None:
    onestop_scenario()
    data = run(runner, "--period", "2026-Q1", "--kind", "onestop", "--json")
    assert (data["period"], data["kind"], data["point"], data["verified_only"]) == ("2026-Q1", "onestop", None, False)
    assert data["responses"] == 4

    third = item(3, 66.67, 4.0, [20.77, 93.85], dist(d3=1, d4=1, d5=1))
    by_code = items(data)
    assert by_code["access.seating"] == item(4, 75.0, 4.0, [30.06, 95.44], dist(d2=1, d4=1, d5=2))
    for code in ("access.equipment_adequate", "access.equipment_modern", "access.equipment_easy",
                 "procedure.posted_complete", "procedure.time_lawful", "staff.listens", "staff.follows_rules",
                 "result.lawful", "result.complete"):
        assert by_code[code] == third, code
    assert by_code["staff.polite"] == item(3, 66.67, 3.33, [20.77, 93.85], dist(d1=1, d4=1, d5=1))
    assert by_code["result.accurate"] == item(0, None, None, None, dist(na=2))
    for code in ("feedback.channel", "feedback.easy", "feedback.handled", "feedback.notified"):
        assert by_code[code] == item(0, None, None, None, dist(na=3)), code

    el = elements(data)
    assert [e["code"] for e in data["elements"]] == ["access", "procedure", "staff", "result", "feedback"]
    assert {c: (e["index"], e["responses"], e["low_n"]) for c, e in el.items()} == {
        "access": (68.75, 4, True), "procedure": (66.67, 3, True), "staff": (66.67, 3, True),
        "result": (66.67, 3, True), "feedback": (None, 0, True),
    }
    assert el["feedback"]["ci95"] is None
    for code in ("access", "procedure", "staff", "result"):
        low, high = el[code]["ci95"]
        assert 0 <= low <= el[code]["index"] <= high <= 100

    overall = data["overall"]
    assert overall["index"] == 67.19
    assert overall["ci_method"] == BOOTSTRAP
    assert overall["ci95"][0] <= 67.19 <= overall["ci95"][1]
    assert (overall["comprehensive"], overall["comprehensive_n"], overall["low_n"]) == (33.33, 3, True)
    assert overall["comprehensive_min_elements"] == 3
    assert overall["overall_question"] == {"n": 4, "index": 50.0, "mean": 3.5}

    assert [(e["code"], e["count"], e["pct"]) for e in data["expectations"]] == [
        ("shorter_time", 2, 50.0), ("lower_fees", 1, 25.0), ("more_online", 1, 25.0),
        ("better_attitude", 0, 0.0), ("better_facilities", 0, 0.0), ("better_feedback", 0, 0.0),
        ("fewer_documents", 0, 0.0), ("more_info", 0, 0.0),
    ]
    assert "health" not in data

    assert data["previous"] == {
        "period": "2025-Q4",
        "responses": 2,
        "overall": {"index": 50.0, "diff": 17.19, "ci_overlap": True},
        "elements": [
            {"code": "access", "index": 50.0, "diff": 18.75, "ci_overlap": True},
            {"code": "procedure", "index": 50.0, "diff": 16.67, "ci_overlap": True},
            {"code": "staff", "index": 50.0, "diff": 16.67, "ci_overlap": True},
            {"code": "result", "index": 50.0, "diff": 16.67, "ci_overlap": True},
            {"code": "feedback", "index": 50.0, "diff": None, "ci_overlap": None},
        ],
    }
    assert_rounded(data)


def test_point_narrows_to_its_responses(runner: Any, demo_points: Any) -> None:
    onestop_scenario()
    data = run(runner, "--period", "2026-Q1", "--point", "mc-1")  # one object: the point's kind
    assert (data["kind"], data["point"], data["responses"]) == ("onestop", "mc-1", 2)
    by_code = items(data)
    assert by_code["access.seating"] == item(2, 50.0, 3.5, [9.45, 90.55], dist(d2=1, d5=1))
    assert by_code["access.equipment_easy"] == item(2, 100.0, 4.5, [34.24, 100.0], dist(d4=1, d5=1))
    el = elements(data)
    assert [el[c]["index"] for c in ("access", "procedure", "staff", "result", "feedback")] == [
        87.5, 100.0, 100.0, 100.0, None]
    assert el["procedure"]["ci95"] == [100.0, 100.0]  # every resample is fully satisfied
    assert data["overall"]["index"] == 96.88  # (87.5 + 3 x 100) / 4 = 96.875
    assert data["overall"]["comprehensive"] == 50.0
    assert data["previous"]["responses"] == 1  # P1 only
    assert data["previous"]["overall"]["index"] == 100.0
    assert data["previous"]["overall"]["diff"] == -3.12
    assert data["previous"]["elements"][0] == {"code": "access", "index": 100.0, "diff": -12.5, "ci_overlap": True}

    other = run(runner, "--period", "2026-Q1", "--kind", "onestop", "--point", "mc-2")
    assert other["responses"] == 2
    assert items(other)["access.seating"]["dist"] == dist(d4=1, d5=1)
    empty = run(runner, "--period", "2026-Q1", "--point", "mc-3")
    assert (empty["responses"], empty["overall"]["index"], empty["overall"]["ci95"]) == (0, None, None)


def test_verified_only(runner: Any, demo_points: Any) -> None:
    onestop_scenario()
    data = run(runner, "--period", "2026-Q1", "--kind", "onestop", "--verified-only")
    assert (data["verified_only"], data["responses"]) == (True, 2)  # R1 and R4
    by_code = items(data)
    assert by_code["access.seating"] == item(2, 100.0, 4.5, [34.24, 100.0], dist(d4=1, d5=1))
    assert by_code["access.equipment_adequate"] == item(1, 100.0, 5.0, [20.65, 100.0], dist(d5=1))
    assert by_code["result.accurate"] == item(0, None, None, None, dist(na=1))
    assert [e["index"] for e in data["elements"]] == [100.0, 100.0, 100.0, 100.0, None]
    assert (data["overall"]["index"], data["overall"]["comprehensive"]) == (100.0, 100.0)
    assert [(e["code"], e["pct"]) for e in data["expectations"][:3]] == [
        ("lower_fees", 50.0), ("more_online", 50.0), ("shorter_time", 50.0)]
    assert data["previous"]["responses"] == 0
    assert data["previous"]["overall"] == {"index": None, "diff": None, "ci_overlap": None}

    one = run(runner, "--period", "2026-Q1", "--point", "mc-2", "--verified-only")  # R4 alone
    assert one["responses"] == 1
    assert [e["index"] for e in one["elements"]] == [100.0, None, None, None, None]
    assert one["overall"]["index"] == 100.0  # the mean of the one element with answers
    assert one["overall"]["overall_question"] == {"n": 1, "index": 0.0, "mean": 2.0}


def test_flagged_responses_are_left_out_until_unflagged(runner: Any, db: Any, demo_points: Any) -> None:
    from hailong.survey.services import responses as rsvc

    ids = onestop_scenario()
    assert run(runner, "--period", "2026-Q1", "--kind", "onestop")["overall"]["index"] == 67.19
    rsvc.set_flag(ids["flagged"], None)
    db.session.commit()
    back = run(runner, "--period", "2026-Q1", "--kind", "onestop")
    assert back["responses"] == 5
    assert items(back)["access.seating"]["dist"] == dist(d1=1, d2=1, d4=1, d5=2)
    assert items(back)["access.seating"]["index"] == 60.0
    rsvc.set_flag(ids["r2"], "Trùng lặp")
    rsvc.set_flag(ids["flagged"], "Phiếu thử")
    db.session.commit()
    data = run(runner, "--period", "2026-Q1", "--kind", "onestop")
    assert data["responses"] == 3
    assert items(data)["access.seating"]["dist"] == dist(d4=1, d5=2)


def test_without_kind_prints_one_object_per_kind(runner: Any, demo_points: Any) -> None:
    onestop_scenario()
    data = run(runner, "--period", "2026-Q1")
    assert isinstance(data, list)
    assert [d["kind"] for d in data] == ["onestop", "health", "education"]
    assert data[0] == run(runner, "--period", "2026-Q1", "--kind", "onestop")
    for empty in data[1:]:
        assert empty["responses"] == 0
        assert empty["overall"]["index"] is None  # never 0
        assert empty["overall"]["ci95"] is None
        assert empty["overall"]["comprehensive"] is None
        assert all(e["index"] is None and e["ci95"] is None for e in empty["elements"])
        assert all(e["pct"] is None for e in empty["expectations"])
        assert empty["previous"]["overall"]["diff"] is None
    assert data[1]["health"] == {"g1_mean": None, "g1_n": 0, "g2_return_pct": None, "g2_n": 0}
    assert_rounded(data)


def test_health_extras(runner: Any, demo_points: Any) -> None:
    write([
        draft("tram-y-te", local("2026-01-06T08:30"), answers("health", 5, overall=5, g1_expect_pct=120, g2_return=5)),
        draft("tram-y-te", local("2026-02-06T09:30"), answers("health", 4, overall=4, g1_expect_pct=80, g2_return=3)),
        draft("tram-y-te", local("2026-03-06T10:30"), answers("health", 3, overall=3, g2_return=6)),  # 6 = other
    ])
    data = run(runner, "--period", "2026-Q1", "--kind", "health")
    assert data["responses"] == 3
    assert data["health"] == {"g1_mean": 100.0, "g1_n": 2, "g2_return_pct": 50.0, "g2_n": 2}
    assert {e["index"] for e in data["elements"]} == {66.67}
    assert data["overall"]["index"] == 66.67
    assert data["overall"]["comprehensive"] == 66.67  # the all-5 and the all-4 responses
    assert {i["index"] for i in items(data).values()} == {66.67}
    assert_rounded(data)


def test_periods_are_local_time(runner: Any, db: Any, demo_points: Any) -> None:
    from hailong.survey.services import responses as rsvc

    csv_text = (
        "submitted_at,point,access.seating,overall\n"
        "2026-03-31T20:00:00Z,mc-3,5,5\n"  # 2026-04-01 03:00 in Hanoi: Q2
        "2026-03-31T16:59:00Z,mc-3,1,1\n"  # 2026-03-31 23:59: Q1
        "2025-12-31T17:00:00Z,mc-3,2,2\n"  # 2026-01-01 00:00: Q1
        "2025-12-31T16:59:59Z,mc-3,3,3\n"  # 2025-12-31 23:59:59: 2025-Q4
    )
    assert rsvc.import_csv(csv_text.encode()) == 4
    db.session.commit()  # the import's caller commits (the command does, through the boundary)

    def seating(*args: str) -> tuple[int, dict[str, int]]:
        data = run(runner, *args, "--point", "mc-3")
        return data["responses"], items(data)["access.seating"]["dist"]

    assert seating("--period", "2026-Q2") == (1, dist(d5=1))
    assert seating("--period", "2026-Q1") == (2, dist(d1=1, d2=1))
    assert seating("--period", "2025-Q4") == (1, dist(d3=1))
    assert seating("--period", "2026-H1")[0] == 3
    assert seating("--period", "2026")[0] == 3
    day = run(runner, "--period", "2026-04-01..2026-04-01", "--point", "mc-3")
    assert day["responses"] == 1
    assert (day["previous"]["period"], day["previous"]["responses"]) == ("2026-03-31..2026-03-31", 1)


@pytest.mark.parametrize("n", [29, 30])
def test_low_n_under_thirty(runner: Any, demo_points: Any, n: int) -> None:
    write([draft("mc-3", local(f"2026-07-{1 + i % 28:02d}T09:00"), answers("onestop", None, access__seating=5))
           for i in range(n)])
    data = run(runner, "--period", "2026-Q3", "--kind", "onestop")
    low = n < 30
    seat = items(data)["access.seating"]
    assert (seat["n"], seat["index"], seat["low_n"]) == (n, 100.0, low)
    el = elements(data)
    assert (el["access"]["responses"], el["access"]["low_n"]) == (n, low)
    assert (el["procedure"]["index"], el["procedure"]["low_n"]) == (None, True)
    assert (data["overall"]["index"], data["overall"]["low_n"]) == (100.0, low)
    if n == 30:
        assert seat["ci95"] == [88.65, 100.0]


def test_csv_is_the_same_numbers_as_a_flat_table(runner: Any, demo_points: Any) -> None:
    onestop_scenario()
    result = runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "onestop", "--csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == list(flat.COLUMNS)
    table = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    assert len(table) == 1 + 5 + 22
    overall = table[0]
    assert (overall["level"], overall["code"], overall["n"], overall["index"]) == ("overall", "overall", "4", "67.19")
    assert (overall["previous_index"], overall["diff"], overall["point"]) == ("50.0", "17.19", "")
    by_code = {r["code"]: r for r in table}
    seat = by_code["access.seating"]
    assert [seat[k] for k in ("level", "n", "index", "ci_low", "ci_high", "mean", "low_n")] == [
        "item", "4", "75.0", "30.06", "95.44", "4.0", "True"]
    assert [seat[k] for k in ("d1", "d2", "d3", "d4", "d5", "na")] == ["0", "1", "0", "1", "2", "0"]
    assert [by_code["feedback"][k] for k in ("level", "n", "index", "ci_low", "previous_index", "diff")] == [
        "element", "0", "", "", "50.0", ""]
    assert [by_code["result.accurate"][k] for k in ("index", "mean", "na")] == ["", "", "2"]

    every = runner.invoke(args=["indices", "--period", "2026-Q1", "--csv"])
    assert every.exit_code == 0
    lines = list(csv.reader(io.StringIO(every.output)))
    assert lines[0] == list(flat.COLUMNS) and lines.count(list(flat.COLUMNS)) == 1
    assert {r[1] for r in lines[1:]} == {"onestop", "health", "education"}


@pytest.mark.parametrize(("args", "message"), [
    (["--period", "2026-Q5"], "Kỳ không hợp lệ"),
    (["--period", "quý 1"], "Kỳ không hợp lệ"),
    (["--period", "2026-03-31..2026-01-01"], "Kỳ không hợp lệ"),
    (["--period", "2026-Q1", "--kind", "hospital"], "Loại điểm không hợp lệ"),
    (["--period", "2026-Q1", "--point", "khong-co"], "Không có điểm khảo sát “khong-co”"),
    (["--period", "2026-Q1", "--point", "tram-y-te", "--kind", "onestop"],
     "Điểm “tram-y-te” không thuộc loại onestop"),
])
def test_bad_input_exits_2_with_a_vietnamese_message(runner: Any, demo_points: Any, args: list[str],
                                                     message: str) -> None:
    result = runner.invoke(args=["indices", *args, "--json"])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output

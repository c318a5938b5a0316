"""`hailong plan`, `hailong sdg` and `hailong margins` on hand-made data, and `indices --weighted`."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

import pytest
from flask_sqlalchemy import SQLAlchemy

from hailong.analysis import planner
from hailong.analysis.periods import parse_period, quarter_of
from hailong.survey.services import planning
from tests.fixtures.responses import commit, option, statement_values, write


def test_planner_matches_the_textbook_formula() -> None:
    """Cochran: n0 = 1.96^2 x 0.25 / 0.05^2 = 384.16 -> 385; with N = 1000, 384.16 / 1.38316 = 277.7 -> 278;
    at +-3 points 1067.1 -> 1068; at 99% (z = 2.5758) 663.5 -> 664; p = 0.9 at +-5: 138.3 -> 139."""
    assert planner.textbook(5) == 385
    assert planner.textbook(5, population=1000) == 278
    assert planner.textbook(3) == 1068
    assert planner.textbook(5, 99) == 664
    assert planner.textbook(5, p=0.9) == 139
    with pytest.raises(ValueError):
        planner.textbook(0)


def test_planner_uses_the_observed_design_effect() -> None:
    """89.95 with 85.43-92.93 from n = 54: se = 3.75 / 1.96 = 1.913 points, a proportion's would be
    sqrt(0.8995 x 0.1005 / 54) = 4.091 points: deff = 0.2187, so +-5 needs 0.2187 x 138.9 = 30.4 -> 31."""
    made = planner.plan(5, index=89.95, ci95=[85.43, 92.93], n=54)
    assert made.basis == "observed" and made.deff == pytest.approx(0.2187, abs=1e-3) and made.needed == 31
    few = planner.plan(5, index=89.95, ci95=[85.43, 92.93], n=12)
    assert (few.basis, few.needed) == ("textbook", 385)


def test_plan_command(runner: Any, db: SQLAlchemy, demo_points: Any) -> None:
    today = date.today()
    last = parse_period(quarter_of(today)).previous()
    for i in range(40):  # 40 last-quarter responses at the health station, 30 satisfied
        write("tram-y-te", last.start, statement_values("health", 5 if i < 30 else 2), hour=8 + i % 9)
    write("tram-y-te", today, statement_values("health", 4))
    commit()
    result = runner.invoke(args=["plan", "--kind", "health", "--margin", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    ward = data["ward"]
    assert (ward["last_n"], ward["last_index"], ward["basis"], ward["this_quarter"]) == (40, 75.0, "observed", 1)
    expected = planner.plan(5, index=75.0, ci95=ward["last_ci95"], n=40).needed
    assert ward["needed"] == expected and ward["missing"] == expected - 1
    assert [p["code"] for p in data["points"]] == ["tram-y-te"]
    table = runner.invoke(args=["plan", "--kind", "health", "--margin", "5"])
    assert table.exit_code == 0 and "Trạm Y tế" in table.output
    bad = runner.invoke(args=["plan", "--kind", "hospital", "--margin", "5"])
    assert bad.exit_code == 2 and "không hợp lệ" in bad.output
    assert planning.plan(demo_points[0].organisation_id, "onestop", 5, 95, today)["ward"]["basis"] == "textbook"


def test_sdg_shares_by_hand(runner: Any, demo_points: Any) -> None:
    """Health, 2026-Q1: four respondents. Affordability (result.cost_acceptable): 5, 4, 2 and "no opinion";
    equal treatment (staff.respectful): 5, 3, skipped, skipped. Overall: 5, 4, 4, 1.
    Shares: affordability 2/3 = 66.67 (1 don't know); equal treatment 1/2 = 50.00 (2 no answer)."""
    male, female = option("health", "gender", "male"), option("health", "gender", "female")
    young = option("health", "age_group", "age_18_24")
    base = statement_values("health", 4)
    rows = [
        ({"result.cost_acceptable": 5, "staff.respectful": 5, "overall": 5, "gender": male, "age_group": young}),
        ({"result.cost_acceptable": 4, "staff.respectful": 3, "overall": 4, "gender": male}),
        ({"result.cost_acceptable": 2, "staff.respectful": None, "overall": 4, "gender": female}),
        ({"result.cost_acceptable": 0, "staff.respectful": None, "overall": 1}),
    ]
    for i, extra in enumerate(rows):
        write("tram-y-te", date(2026, 2, 2 + i), {**base, **extra})
    commit()
    result = runner.invoke(args=["sdg", "--period", "2026-Q1", "--kind", "health"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["indicator"] == "SDG 16.6.2" and data["source"].startswith("https://")
    health = data["services"][0]
    attrs = {a["code"]: a for a in health["attributes"]}
    assert {k: attrs["affordability"][k] for k in ("positive", "answered", "dont_know", "no_answer", "share")} == {
        "positive": 2, "answered": 3, "dont_know": 1, "no_answer": 0, "share": 66.67}
    assert {k: attrs["equal_treatment"][k] for k in ("positive", "answered", "dont_know", "no_answer", "share")} == {
        "positive": 1, "answered": 2, "dont_know": 0, "no_answer": 2, "share": 50.0}
    # the other three attributes are 4 for everyone: 100% each; mean (100 x 3 + 66.67 + 50) / 5 = 83.33
    assert health["attributes_mean"] == 83.33 and health["attributes_used"] == 5
    assert (health["overall"]["positive"], health["overall"]["answered"], health["overall"]["share"]) == (3, 4, 75.0)
    by_sex = {g["group"]: g for g in health["by"]["gender"]}
    assert list(by_sex) == ["male", "female", "unknown"]
    assert (by_sex["male"]["responses"], by_sex["male"]["overall"]["share"]) == (2, 100.0)
    assert by_sex["unknown"]["label"] == "Không trả lời"
    ages = {g["group"]: g["responses"] for g in health["by"]["age_group"]}
    assert ages == {"age_18_24": 1, "unknown": 3}

    table = runner.invoke(args=["sdg", "--period", "2026-Q1", "--kind", "health", "--csv"])
    rows_out = list(csv.DictReader(io.StringIO(table.output)))
    first = rows_out[1]
    assert (first["breakdown"], first["measure"], first["share"]) == ("all", "affordability", "66.67")
    assert {r["breakdown"] for r in rows_out} == {"all", "gender", "age_group"}


def test_margins_commands_and_weighted_indices(runner: Any, demo_points: Any) -> None:
    ok = runner.invoke(args=["margins", "set", "gender", "male=4900", "female=5100", "--source", "Điều tra 2019"])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(args=["margins", "set", "age_group", "age_18_24=100", "over_60=100"])
    assert bad.exit_code == 2 and "lệch quá 5%" in bad.output  # 200 people against 10,000
    bad = runner.invoke(args=["margins", "set", "gender", "nam=4900"])
    assert bad.exit_code == 2 and "không phải một lựa chọn" in bad.output
    shown = json.loads(runner.invoke(args=["margins", "show", "--json"]).output)
    assert [(m["category"], m["population"]) for m in shown] == [("male", 4900), ("female", 5100)]

    male, female = option("health", "gender", "male"), option("health", "gender", "female")
    for i in range(10):  # 10 men all satisfied, 30 women of whom 15 satisfied
        write("tram-y-te", date(2026, 2, 3), {**statement_values("health", 5), "gender": male}, hour=8 + i % 9)
    for i in range(30):
        value = 5 if i < 15 else 2
        write("tram-y-te", date(2026, 2, 4), {**statement_values("health", value), "gender": female}, hour=8 + i % 9)
    commit()
    data = json.loads(runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "health", "--weighted"]).output)
    weighted = data["weighted"]
    # unweighted (10 + 15) / 40 = 62.5; weighted 0.49 x 100 + 0.51 x 50 = 74.5
    assert data["overall"]["index"] == 62.5
    assert weighted["status"] == "ok" and weighted["index"] == 74.5
    assert weighted["dimensions"] == ["gender"] and weighted["margins_source"] == "Điều tra 2019"
    assert weighted["responses_used"] == 40 and weighted["deff"] > 1
    nobody = runner.invoke(args=["indices", "--period", "2026-Q2", "--kind", "health", "--weighted"])
    assert json.loads(nobody.output)["weighted"]["status"] == "error"
    assert "chưa có phiếu nào" in json.loads(nobody.output)["weighted"]["message"]
    # A category with people in the ward but nobody in the sample cannot be met: a clear message, no figure.
    assert runner.invoke(args=["margins", "set", "gender", "male=4900", "female=5000", "other=100"]).exit_code == 0
    data = json.loads(runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "health", "--weighted"]).output)
    assert data["weighted"]["status"] == "error" and data["weighted"]["reason"] == "empty_category"
    assert "nhóm “Khác” chiếm 1,0% dân số nhưng kỳ này không có phiếu nào" in data["weighted"]["message"]
    assert data["overall"]["index"] == 62.5  # the unweighted figure is untouched
    cleared = runner.invoke(args=["margins", "clear"])
    assert cleared.exit_code == 0
    data = json.loads(runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "health", "--weighted"]).output)
    assert data["weighted"] == {"status": "no_margins"}

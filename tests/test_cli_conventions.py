"""`hailong indices --convention`: the four conventions of one hand-computed quarter, in JSON and CSV.

Four one-stop responses in 2026-Q1 (feedback.* no opinion, result.accurate no opinion or skipped):
R1 17 statements at 5 (sum 85), R2 16 at 4 and access.seating 2 (sum 66), R3 15 at 3, access.seating 5,
staff.polite 1 (sum 51), R4 only access.seating 4 (sum 4). Valid answers 17 + 17 + 17 + 1 = 52, of which
4-5: 17 + 16 + 1 + 1 = 35. SIPAS: access (75 + 3 x 66.67) / 4 = 68.75, procedure = staff = result = 66.67,
overall 67.19; pooled 35 / 52 = 67.31; mean 206 / 52 = 3.9615: mean5 79.23, linear 74.04.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from typing import Any

from tests.fixtures.responses import commit, statement_values, write


def scenario() -> None:
    na = {s: 0 for s in ("feedback.channel", "feedback.easy", "feedback.handled", "feedback.notified")}
    write("mc-1", date(2026, 2, 10), {**statement_values("onestop", 5), **na, "result.accurate": 0})
    write("mc-1", date(2026, 2, 11), {**statement_values("onestop", 4, access__seating=2), **na,
                                      "result.accurate": 0})
    write("mc-2", date(2026, 3, 2), {**statement_values("onestop", 3, access__seating=5, staff__polite=1), **na,
                                     "result.accurate": None})
    write("mc-2", date(2026, 3, 20), statement_values("onestop", None, access__seating=4))
    commit()


def test_four_conventions_side_by_side(runner: Any, demo_points: Any) -> None:
    scenario()
    result = runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "onestop", "--convention", "all"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    rows = {c["code"]: c for c in data["conventions"]}
    assert list(rows) == ["sipas", "pooled", "mean5", "linear"]
    assert {c: r["index"] for c, r in rows.items()} == {"sipas": 67.19, "pooled": 67.31, "mean5": 79.23,
                                                         "linear": 74.04}
    assert {c: r["n"] for c, r in rows.items()} == {"sipas": 4, "pooled": 52, "mean5": 52, "linear": 52}
    assert rows["sipas"]["ci95"] == data["overall"]["ci95"]
    for row in rows.values():
        assert row["source"] and row["ci_method"]
        assert row["ci95"][0] <= row["index"] <= row["ci95"][1]

    default = json.loads(runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "onestop"]).output)
    assert [c["code"] for c in default["conventions"]] == ["sipas"]
    assert default["overall"] == data["overall"]  # the headline stays SIPAS whatever is compared

    table = runner.invoke(args=["indices", "--period", "2026-Q1", "--kind", "onestop", "--convention",
                                "pooled,linear", "--csv"])
    assert table.exit_code == 0, table.output
    lines = [r for r in csv.DictReader(io.StringIO(table.output)) if r["level"] == "convention"]
    assert [(r["code"], r["n"], r["index"]) for r in lines] == [("pooled", "52", "67.31"), ("linear", "52", "74.04")]


def test_unknown_convention_is_refused(runner: Any, demo_points: Any) -> None:
    result = runner.invoke(args=["indices", "--period", "2026-Q1", "--convention", "median"])
    assert result.exit_code == 2
    assert "Không có cách tính “median”" in result.output

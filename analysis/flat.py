"""Flatten an indices result into one table row per overall, element and statement figure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import pandas as pd

COLUMNS = (
    "period",
    "kind",
    "point",
    "level",
    "code",
    "n",
    "index",
    "ci_low",
    "ci_high",
    "mean",
    "low_n",
    "d1",
    "d2",
    "d3",
    "d4",
    "d5",
    "na",
    "previous_index",
    "diff",
)


def _ci(obj: Mapping[str, Any]) -> tuple[Any, Any]:
    ci = obj.get("ci95")
    return (ci[0], ci[1]) if ci else ("", "")


def _blank(value: Any) -> Any:
    return "" if value is None else value


def rows(result: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Rows of COLUMNS for one kind's result: overall first, then each element and its statements."""
    head = [result["period"], result["kind"], _blank(result.get("point"))]
    previous = result.get("previous") or {}
    prev_overall = previous.get("overall") or {}
    overall = result["overall"]
    yield [
        *head,
        "overall",
        "overall",
        result["responses"],
        _blank(overall["index"]),
        *_ci(overall),
        "",
        overall["low_n"],
        "",
        "",
        "",
        "",
        "",
        "",
        _blank(prev_overall.get("index")),
        _blank(prev_overall.get("diff")),
    ]
    prev_elements = {e["code"]: e for e in previous.get("elements", [])}
    for element in result["elements"]:
        before = prev_elements.get(element["code"], {})
        yield [
            *head,
            "element",
            element["code"],
            element["responses"],
            _blank(element["index"]),
            *_ci(element),
            "",
            element["low_n"],
            "",
            "",
            "",
            "",
            "",
            "",
            _blank(before.get("index")),
            _blank(before.get("diff")),
        ]
        for item in element["items"]:
            dist = item["dist"]
            yield [
                *head,
                "item",
                item["code"],
                item["n"],
                _blank(item["index"]),
                *_ci(item),
                _blank(item["mean"]),
                item["low_n"],
                dist["1"],
                dist["2"],
                dist["3"],
                dist["4"],
                dist["5"],
                dist["na"],
                "",
                "",
            ]


def frame(results: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """All rows of several kinds' results as one table (pandas shapes it for CSV and further analysis)."""
    return pd.DataFrame([row for result in results for row in rows(result)], columns=list(COLUMNS))

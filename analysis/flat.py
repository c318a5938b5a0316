"""Flatten an indices result into one table row per overall, element and statement figure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def _summary_row(head: list[Any], level: str, code: str, responses: int, entry: Mapping[str, Any],
                 before: Mapping[str, Any]) -> list[Any]:
    """An overall or element row: no mean or distribution, but the previous period's index and the change."""
    return [*head, level, code, responses, _blank(entry["index"]), *_ci(entry), "", entry["low_n"],
            *([""] * 6), _blank(before.get("index")), _blank(before.get("diff"))]


def rows(result: Mapping[str, Any]) -> Iterator[list[Any]]:
    """Rows of COLUMNS for one kind's result: overall first, the conventions asked for, then each element and
    its statements."""
    head = [result["period"], result["kind"], _blank(result.get("point"))]
    previous = result.get("previous") or {}
    yield _summary_row(head, "overall", "overall", result["responses"], result["overall"],
                       previous.get("overall") or {})
    compared = result.get("conventions", [])
    if [c["code"] for c in compared] == ["sipas"]:
        compared = []  # nothing compared: the overall row already is the SIPAS figure
    for convention in compared:
        yield [*head, "convention", convention["code"], convention["n"], _blank(convention["index"]),
               *_ci(convention), "", "", *([""] * 6), "", ""]
    weighted = result.get("weighted") or {}
    if weighted.get("status") == "ok":
        yield [*head, "weighted", "overall", weighted["responses_used"], _blank(weighted["index"]), *_ci(weighted),
               "", "", *([""] * 6), "", ""]
    prev_elements = {e["code"]: e for e in previous.get("elements", [])}
    for element in result["elements"]:
        yield _summary_row(head, "element", element["code"], element["responses"], element,
                           prev_elements.get(element["code"], {}))
        for item in element["items"]:
            dist = item["dist"]
            yield [
                *head, "item", item["code"], item["n"], _blank(item["index"]), *_ci(item), _blank(item["mean"]),
                item["low_n"], *(dist[key] for key in ("1", "2", "3", "4", "5", "na")), "", "",
            ]


def frame(results: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """All rows of several kinds' results as one table in COLUMNS order (pandas shapes it; the writers of CSV and
    XLSX guard its cells). Object columns keep each cell's own value: a count stays an int, a blank stays ""."""
    import pandas as pd  # imported here: it adds 0.3 s to every command and worker start, and few need it

    table = [row for result in results for row in rows(result)]
    return pd.DataFrame(table, columns=list(COLUMNS), dtype=object)

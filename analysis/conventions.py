"""Four conventions of "satisfaction %" on the same answers, each with its source and a 95% interval.

With answer counts n1..n5 of the rated statements (N their sum, m = sum(k * nk) / N over all statements):

* sipas: the SIPAS overall index (share of 4-5 per statement, plain means by element, then overall);
* pooled: all 4-5 answers over all 1-5 answers of the questionnaire, statements pooled (so a statement with
  more answers weighs more), as the Ministry of Health's "tỷ lệ hài lòng chung" is described;
* mean5: 100 * m / 5, as the national health figure 4.04/5 was published as 80.8%;
* linear: 100 * (m - 1) / 4, the 0-100 scale GOV.UK publishes.

Counts 10/10/20/30/30 of one statement give sipas 60.0, pooled 60.0, mean5 72.0 and linear 65.0.

Intervals: sipas keeps the element bootstrap of analysis.intervals; the other three are ratios of per-response
totals (4-5 answers over valid answers, or score sum over valid answers), whose interval is the same
bootstrap (BCa, responses resampled) on the table of per-response (numerator, denominator) pairs, or the
delta method when that table is too large to resample quickly.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hailong.forms.questionnaire import SCALE_VALUES

from .intervals import Interval, PatternTable, ratio_interval

CONVENTIONS = ("sipas", "pooled", "mean5", "linear")
DEFAULT = "sipas"


@dataclass(frozen=True)
class Convention:
    """How a convention is named and where it comes from (Vietnamese for the report, English for exports)."""

    code: str
    name: str
    source: str
    source_en: str


INFO: dict[str, Convention] = {
    "sipas": Convention(
        "sipas", "Chỉ số SIPAS",
        "Bộ Nội vụ, Quyết định số 1001/QĐ-BNV năm 2023 (SIPAS): tỷ lệ câu trả lời mức 4–5 của từng nhận định, "
        "trung bình cộng theo yếu tố, rồi trung bình cộng các yếu tố",
        "Ministry of Home Affairs, SIPAS (Decision 1001/QĐ-BNV, 2023): share of 4-5 per statement, plain means "
        "by element, then of the elements"),
    "pooled": Convention(
        "pooled", "Tỷ lệ hài lòng chung (gộp)",
        "Cách tính “tỷ lệ hài lòng chung” của ngành y tế (Bộ Y tế, Quyết định số 56/QĐ-BYT năm 2024): mọi câu "
        "trả lời mức 4–5 chia cho mọi câu trả lời mức 1–5, gộp tất cả nhận định",
        "Ministry of Health's overall satisfaction rate (Decision 56/QĐ-BYT, 2024), as its software is "
        "described: all 4-5 answers over all 1-5 answers, statements pooled"),
    "mean5": Convention(
        "mean5", "Điểm trung bình ÷ 5",
        "Điểm trung bình các câu trả lời (1–5) chia 5, như số liệu ngành y tế năm 2018 (4,04/5 được công bố là "
        "80,8%)",
        "Mean score (1-5) divided by 5, as the 2018 national health figure 4.04/5 was published as 80.8%"),
    "linear": Convention(
        "linear", "Thang tuyến tính 0–100",
        "(Điểm trung bình − 1) / 4 × 100, cách GOV.UK (Vương quốc Anh) công bố mức hài lòng với dịch vụ công",
        "(mean - 1) / 4 x 100, the 0-100 scale GOV.UK publishes for service satisfaction"),
}

#: One row of per-response score totals: (sum of 1-5 answers, number of 1-5 answers, responses).
ScoreRow = tuple[int, int, int]


def parse(values: Iterable[str]) -> list[str]:
    """Conventions asked for ("all" for every one), in the canonical order, SIPAS first; ValueError if unknown."""
    wanted: set[str] = set()
    for value in values:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part == "all":
                wanted.update(CONVENTIONS)
            elif part in CONVENTIONS:
                wanted.add(part)
            else:
                raise ValueError(part)
    return [c for c in CONVENTIONS if c in wanted] or [DEFAULT]


def needs_scores(conventions: Sequence[str]) -> bool:
    """Whether the per-response score totals (an extra query) are needed."""
    return any(c in ("mean5", "linear") for c in conventions)


def pooled_share(question_counts: Mapping[str, Mapping[int, int]], codes: Iterable[str]) -> tuple[float | None, int]:
    """(% of 4-5 among all 1-5 answers of the statements, number of those answers)."""
    satisfied = total = 0
    for code in codes:
        counts = question_counts.get(code, {})
        satisfied += counts.get(4, 0) + counts.get(5, 0)
        total += sum(counts.get(v, 0) for v in SCALE_VALUES)
    return (100.0 * satisfied / total if total else None), total


def mean_score(question_counts: Mapping[str, Mapping[int, int]], codes: Iterable[str]) -> tuple[float | None, int]:
    """(mean of all 1-5 answers of the statements, number of those answers)."""
    score = total = 0
    for code in codes:
        counts = question_counts.get(code, {})
        score += sum(v * counts.get(v, 0) for v in SCALE_VALUES)
        total += sum(counts.get(v, 0) for v in SCALE_VALUES)
    return (score / total if total else None), total


def from_mean(code: str, mean: float) -> float:
    """A mean score (1..5) on a convention's 0-100 scale."""
    return 100.0 * mean / 5.0 if code == "mean5" else 100.0 * (mean - 1.0) / 4.0


def compute(
    conventions: Sequence[str],
    codes: Sequence[str],
    question_counts: Mapping[str, Mapping[int, int]],
    overall: Mapping[str, Any],
    table: PatternTable,
    scores: Sequence[ScoreRow] | None = None,
) -> list[dict[str, Any]]:
    """One row per convention asked for: value, 95% interval, its method, n answers and the source.

    `overall` is the SIPAS overall block of analysis.indices.compute; `table` its pattern table (for the
    pooled interval); `scores` the per-response score totals (needed for mean5 and linear intervals).
    """
    out = []
    for code in conventions:
        info = INFO[code]
        row: dict[str, Any] = {"code": code, "name": info.name, "source": info.source_en}
        if code == "sipas":
            row.update(index=overall.get("index"), ci95=overall.get("ci95"), ci_method=overall.get("ci_method"),
                       n=int(table.responses), unit="responses")
        elif code == "pooled":
            value, n = pooled_share(question_counts, codes)
            sat = table.sat.sum(axis=1).astype(np.float64)
            valid = table.valid.sum(axis=1).astype(np.float64)
            ci, method = ratio_interval(sat, valid, table.counts, scale=100.0)
            row.update(_value(value, ci, method), n=n, unit="answers")
        else:
            mean, n = mean_score(question_counts, codes)
            ci, method = (None, None)
            if scores:
                arr = np.array(scores, dtype=np.float64).reshape(-1, 3)
                ci, method = ratio_interval(arr[:, 0], arr[:, 1], arr[:, 2].astype(np.int64))
            value = None if mean is None else from_mean(code, mean)
            bounds = None if ci is None else (from_mean(code, ci[0]), from_mean(code, ci[1]))
            row.update(_value(value, bounds, method), n=n, unit="answers")
        out.append(row)
    return out


def _value(value: float | None, ci: Interval | None, method: str | None) -> dict[str, Any]:
    if value is None:
        return {"index": None, "ci95": None, "ci_method": None}
    bounds = None if ci is None else [round(min(ci[0], value), 2), round(max(ci[1], value), 2)]
    return {"index": round(value, 2), "ci95": bounds, "ci_method": method if bounds else None}

"""SDG indicator 16.6.2 (satisfaction with the last experience of public services) from our questionnaires.

The indicator (UN metadata, custodian UNDP Oslo Governance Centre; see the README for the address) rates five
attributes per service area and asks an overall question; it reports, per service area, the share of positive
answers per attribute, their simple mean, and the share satisfied overall, by sex and other groups. "Don't know"
and refusals are left out of the shares but counted. Our questionnaires ask more detailed statements, so each
attribute is read from the one statement closest to it (MAPPING below; the README lists it with the caveats),
and "positive" is an answer of 4-5 on our five-point scale, where the indicator's four-point scale has no middle
("Bình thường" counts as not positive here). No opinion is "don't know"; a skipped statement is a refusal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

METADATA_URL = "https://worldbank.github.io/sdg-metadata/metadata/en/16-6-2"
BREAKDOWNS = ("gender", "age_group", "school_level")
ALL = "all"
UNKNOWN = "unknown"

#: Values of a statement or scale question: 4-5 positive, 1-3 not, 0 ("Không có ý kiến") don't know.
SCALE_POSITIVE = (4, 5)
SCALE_NEGATIVE = (1, 2, 3)
SCALE_DONT_KNOW = (0,)


@dataclass(frozen=True)
class Attribute:
    """One attribute of the indicator and the question that stands for it (None when nothing fits)."""

    code: str
    label: str
    question: str | None
    positive: tuple[int | str, ...] = SCALE_POSITIVE
    negative: tuple[int | str, ...] = SCALE_NEGATIVE
    dont_know: tuple[int | str, ...] = SCALE_DONT_KNOW
    note: str = ""


@dataclass(frozen=True)
class Service:
    area: str
    attributes: tuple[Attribute, ...]
    overall: Attribute


_OVERALL = Attribute("overall", "Overall satisfaction", "overall")

MAPPING: dict[str, Service] = {
    "health": Service("healthcare", (
        Attribute("accessibility", "Accessibility", "transparency.waiting_time",
                  note="waiting time; distance and appointment delay are not asked"),
        Attribute("affordability", "Affordability", "result.cost_acceptable"),
        Attribute("quality_of_facilities", "Quality of facilities", "facilities.waiting_area"),
        Attribute("equal_treatment", "Equal treatment for everyone", "staff.respectful"),
        Attribute("courtesy", "Courtesy and treatment (attitude of healthcare staff)", "staff.courteous"),
    ), _OVERALL),
    "education": Service("education", (
        Attribute("accessibility", "Accessibility (geographic proximity)", "access.distance"),
        Attribute("affordability", "Affordability", "access.fees_lawful",
                  note="charges within the rules, not affordability as such"),
        Attribute("quality_of_facilities", "Quality of facilities", "facilities.classrooms"),
        Attribute("equal_treatment", "Equal treatment for everyone", "environment.fair_treatment"),
        Attribute("effective_delivery", "Effective delivery of service (quality of teaching)",
                  "activities.teaching_quality"),
    ), _OVERALL),
    "onestop": Service("government services", (
        Attribute("accessibility", "Accessibility", None, note="no statement of the one-stop form asks it"),
        Attribute("affordability", "Affordability", "procedure.fees_lawful",
                  note="fees as the law sets them, not affordability as such"),
        Attribute("equal_treatment", "Equal treatment for everyone", "staff.follows_rules",
                  note="the officer followed the rules in handling the case"),
        Attribute("effective_delivery", "Effective delivery of service (process simple and easy to understand)",
                  "staff.guides_clear"),
        Attribute("timeliness", "Timeliness", "on_time", positive=("yes",), negative=("late",),
                  dont_know=("not_due",), note="result on time: yes / late; not yet due is left out"),
    ), _OVERALL),
}

#: (question code, value, group key) -> responses; the value is an int (scale) or an option code (choice).
AnswerCounts = Mapping[tuple[str, int | str, tuple[str, ...]], int]
#: group key -> responses in the period.
GroupCounts = Mapping[tuple[str, ...], int]


def questions(kind: str) -> list[str]:
    """The question codes the indicator reads for a kind."""
    service = MAPPING[kind]
    return [a.question for a in (*service.attributes, service.overall) if a.question]


def _share(attribute: Attribute, counts: Mapping[int | str, int], responses: int) -> dict[str, Any]:
    positive = sum(counts.get(v, 0) for v in attribute.positive)
    negative = sum(counts.get(v, 0) for v in attribute.negative)
    dont_know = sum(counts.get(v, 0) for v in attribute.dont_know)
    answered = positive + negative
    return {
        "code": attribute.code,
        "label": attribute.label,
        "question": attribute.question,
        "positive": positive,
        "answered": answered,
        "dont_know": dont_know,
        "no_answer": max(responses - answered - dont_know, 0) if attribute.question else None,
        "share": round(100.0 * positive / answered, 2) if answered else None,
        **({"note": attribute.note} if attribute.note else {}),
    }


def _block(service: Service, counts: Mapping[str, Mapping[int | str, int]], responses: int) -> dict[str, Any]:
    attributes = [_share(a, counts.get(a.question or "", {}), responses) for a in service.attributes]
    shares = [a["share"] for a in attributes if a["share"] is not None]
    return {
        "responses": responses,
        "attributes": attributes,
        "attributes_mean": round(sum(shares) / len(shares), 2) if shares else None,
        "attributes_used": len(shares),
        "overall": _share(service.overall, counts.get(service.overall.question or "", {}), responses),
    }


def compute(kind: str, dimensions: Sequence[str], answers: AnswerCounts, groups: GroupCounts,
            labels: Mapping[str, Mapping[str, str]] | None = None) -> dict[str, Any]:
    """The indicator for one service area: every respondent, then by each dimension's categories.

    Group keys hold one category per dimension (in `dimensions` order, "unknown" when not answered).
    """
    service = MAPPING[kind]
    labels = labels or {}

    def collect(position: int | None, category: str | None) -> tuple[dict[str, dict[int | str, int]], int]:
        counts: dict[str, dict[int | str, int]] = {}
        for (code, value, key), n in answers.items():
            if position is None or key[position] == category:
                bucket = counts.setdefault(code, {})
                bucket[value] = bucket.get(value, 0) + n
        responses = sum(n for key, n in groups.items() if position is None or key[position] == category)
        return counts, responses

    everyone = _block(service, *collect(None, None))
    by: dict[str, list[dict[str, Any]]] = {}
    for position, dim in enumerate(dimensions):
        order = list(labels.get(dim, {}))
        seen = sorted({key[position] for key in groups},
                      key=lambda c: (c == UNKNOWN, order.index(c) if c in order else len(order), c))
        by[dim] = [{"group": c, "label": labels.get(dim, {}).get(c, "Không trả lời" if c == UNKNOWN else c),
                    **_block(service, *collect(position, c))} for c in seen]
    return {"kind": kind, "service": service.area, **everyone, "by": by}


CSV_COLUMNS = ("period", "kind", "service", "breakdown", "group", "measure", "question", "positive", "answered",
               "dont_know", "no_answer", "share")


def csv_rows(period: str, result: Mapping[str, Any]) -> list[list[Any]]:
    """Flat rows: every respondent first, then each breakdown's groups; attributes, their mean, overall."""
    rows: list[list[Any]] = []

    def add(breakdown: str, group: str, block: Mapping[str, Any]) -> None:
        head = [period, result["kind"], result["service"], breakdown, group]
        for a in block["attributes"]:
            rows.append([*head, a["code"], a["question"] or "", a["positive"], a["answered"], a["dont_know"],
                         "" if a["no_answer"] is None else a["no_answer"], _blank(a["share"])])
        rows.append([*head, "attributes_mean", "", "", "", "", "", _blank(block["attributes_mean"])])
        o = block["overall"]
        rows.append([*head, "overall", o["question"], o["positive"], o["answered"], o["dont_know"], o["no_answer"],
                     _blank(o["share"])])

    add(ALL, ALL, result)
    for dim, groups in result["by"].items():
        for g in groups:
            add(dim, g["group"], g)
    return rows


def _blank(value: Any) -> Any:
    return "" if value is None else value

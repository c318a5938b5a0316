"""Count answers in SQL for a filter and hand the counts to analysis/ for the SIPAS indices."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from analysis import indices
from analysis.periods import Period
from forms.questionnaire import KINDS, Questionnaire

from ..extensions import db
from ..models import Answer, Question, QuestionnaireVersion, Response, ServicePoint
from . import questionnaires as qsvc


@dataclass(frozen=True)
class Filter:
    """What to count: a period, one kind, optionally some points and verified responses only."""

    period: Period
    kind: str
    point_ids: Sequence[int] | None = None
    verified_only: bool = False


@dataclass(frozen=True)
class Counts:
    """The SQL aggregates of one filter, enough for every index."""

    question_counts: dict[str, dict[int, int]]
    patterns: list[tuple[tuple[str, ...], int, int, int]]
    responses: int


def _kind_versions(kind: str) -> dict[int, QuestionnaireVersion]:
    return {v.id: v for v in db.session.scalars(select(QuestionnaireVersion).filter_by(kind=kind))}


def count(f: Filter) -> Counts:
    """Two GROUP BY queries: answers by (question, value) and responses by (version, masks)."""
    lo, hi = f.period.day_keys()
    versions = _kind_versions(f.kind)
    if not versions:
        return Counts({}, [], 0)
    codes = dict(db.session.execute(
        select(Question.id, Question.code).where(Question.questionnaire_id.in_(versions))
    ).tuples().all())

    answers = (
        select(Answer.question_id, Answer.value, func.count())
        .where(Answer.question_id.in_(codes), Answer.day_key >= lo, Answer.day_key < hi,
               Answer.excluded.is_(False))
        .group_by(Answer.question_id, Answer.value)
    )
    patterns = (
        select(Response.questionnaire_id, Response.sat_mask, Response.valid_mask, func.count())
        .where(Response.questionnaire_id.in_(versions), Response.day_key >= lo, Response.day_key < hi,
               Response.flagged.is_(False))
        .group_by(Response.questionnaire_id, Response.sat_mask, Response.valid_mask)
    )
    if f.point_ids is not None:
        answers = answers.where(Answer.point_id.in_(f.point_ids))
        patterns = patterns.where(Response.point_id.in_(f.point_ids))
    if f.verified_only:
        verified = select(Response.id).where(Response.verified.is_(True))
        answers = answers.where(Answer.response_id.in_(verified))
        patterns = patterns.where(Response.verified.is_(True))

    question_counts: dict[str, dict[int, int]] = defaultdict(dict)
    for question_id, value, n in db.session.execute(answers).tuples():
        bucket = question_counts[codes[question_id]]
        bucket[value] = bucket.get(value, 0) + n
    bit_codes = {vid: qsvc.question_map(vid).bit_codes for vid in versions}
    pattern_rows = [(bit_codes[vid], sat, valid, n) for vid, sat, valid, n in db.session.execute(patterns).tuples()]
    return Counts(dict(question_counts), pattern_rows, sum(row[3] for row in pattern_rows))


def compute(f: Filter, questionnaire: Questionnaire | None = None) -> dict[str, Any]:
    """Indices of one filter, with the previous period of the same length for comparison."""
    q = questionnaire or qsvc.definition(qsvc.latest_version(f.kind))
    current = count(f)
    result = indices.compute(q, current.question_counts, current.patterns, current.responses)
    prev_filter = Filter(f.period.previous(), f.kind, f.point_ids, f.verified_only)
    prev_counts = count(prev_filter)
    before = indices.compute(q, prev_counts.question_counts, prev_counts.patterns, prev_counts.responses)
    change = indices.compare(result, before)
    result["previous"] = {
        "period": prev_filter.period.label,
        "responses": before["responses"],
        "overall": change["overall"],
        "elements": change["elements"],
    }
    return result


def resolve_points(kind: str | None, point_code: str | None) -> tuple[list[str], ServicePoint | None]:
    """The kinds to report and the one point asked for, checking that they fit together."""
    point = None
    if point_code is not None:
        point = db.session.scalar(select(ServicePoint).filter_by(code=point_code))
        if point is None:
            raise LookupError(point_code)
        if kind is not None and kind != point.kind:
            raise ValueError(point_code)
        return [point.kind], point
    return ([kind] if kind else list(KINDS)), None


def indices_for(period: Period, kind: str | None = None, point_code: str | None = None,
                verified_only: bool = False) -> list[dict[str, Any]]:
    """The `hailong indices` result: one object per kind (or the one kind asked for)."""
    kinds, point = resolve_points(kind, point_code)
    out = []
    for k in kinds:
        result = compute(Filter(period, k, [point.id] if point else None, verified_only))
        out.append({"period": period.label, "kind": k, "point": point.code if point else None,
                    "verified_only": verified_only, **result})
    return out

"""SDG 16.6.2 counts in SQL: answers to the mapped questions by the respondent's sex and age group."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from hailong.analysis import sdg
from hailong.analysis.periods import Period

from ..extensions import db
from ..models import Answer, Question, QuestionnaireVersion, Submission
from . import questionnaires as qsvc
from . import rollups


def _questions(kind: str, codes: list[str]) -> tuple[dict[int, str], dict[int, dict[int, str]], list[int]]:
    """Question ids of `codes` in every version of a kind: id -> code, choice options by value, version ids."""
    versions = {v.id: v for v in db.session.scalars(select(QuestionnaireVersion).filter_by(kind=kind))}
    ids: dict[int, str] = {}
    options: dict[int, dict[int, str]] = {}
    if versions:
        rows = db.session.execute(select(Question.id, Question.code, Question.questionnaire_id).where(
            Question.questionnaire_id.in_(versions), Question.code.in_(codes))).tuples()
        for qid, code, vid in rows:
            question = qsvc.definition(versions[vid]).question(code)
            ids[qid] = code
            if question is not None and question.options:
                options[qid] = {i: o.code for i, o in enumerate(question.options, start=1)}
    return ids, options, list(versions)


def dimensions(kind: str) -> list[str]:
    """The breakdowns the latest questionnaire of a kind can give (sex, age group, and school level)."""
    q = qsvc.definition(qsvc.latest_version(kind))
    return [d for d in sdg.BREAKDOWNS if q.question(d) is not None]


def indicator(period: Period, kind: str, point_ids: list[int] | None = None) -> dict[str, Any]:
    """SDG 16.6.2 for one service area: attribute shares, their mean, overall, by sex and age group."""
    dims = dimensions(kind)
    wanted = sdg.questions(kind)
    ids, options, versions = _questions(kind, [*wanted, *dims])
    mapped = sorted(q for q, c in ids.items() if c in wanted)
    by_dim = {d: sorted(q for q, c in ids.items() if c == d) for d in dims}
    lo, hi = period.day_keys()
    profile = [aliased(Answer, name=f"sdg_{d}") for d in dims]

    def with_profile(query: Any, response_id: Any, ward_id: Any) -> Any:
        for alias, d in zip(profile, dims, strict=True):
            query = query.outerjoin(alias, and_(alias.response_id == response_id, alias.organisation_id == ward_id,
                                                alias.question_id.in_(by_dim[d])))
        return query

    def key(row: Any) -> tuple[str, ...]:
        pairs = zip(row[: len(dims)], row[len(dims) : 2 * len(dims)], strict=True)
        return tuple(options.get(q, {}).get(v, sdg.UNKNOWN) if q is not None else sdg.UNKNOWN for q, v in pairs)

    answered = aliased(Answer, name="sdg_answer")
    query = with_profile(
        select(*(a.question_id for a in profile), *(a.value for a in profile), answered.question_id, answered.value,
               func.count()).select_from(answered), answered.response_id, answered.organisation_id)
    query = query.where(answered.question_id.in_(mapped), answered.day_key >= lo, answered.day_key < hi,
                        answered.excluded.is_(False))
    if point_ids is not None:  # the wards first: ix_answers_count leads with them
        query = query.where(answered.organisation_id.in_(rollups.wards_of(point_ids)),
                            answered.point_id.in_(point_ids))
    query = query.group_by(*(a.question_id for a in profile), *(a.value for a in profile), answered.question_id,
                           answered.value)
    counts: dict[tuple[str, int | str, tuple[str, ...]], int] = {}
    for row in db.session.execute(query).tuples():
        qid, value, n = row[-3:]
        stored: int | str = options[qid].get(value, str(value)) if qid in options else int(value)
        slot = (ids[qid], stored, key(row))
        counts[slot] = counts.get(slot, 0) + int(n)

    responses = with_profile(
        select(*(a.question_id for a in profile), *(a.value for a in profile), func.count()).select_from(Submission),
        Submission.id, Submission.organisation_id)
    responses = responses.where(Submission.questionnaire_id.in_(versions), Submission.flagged.is_(False),
                                Submission.day_key >= lo, Submission.day_key < hi)
    if point_ids is not None:
        responses = responses.where(Submission.point_id.in_(point_ids))
    responses = responses.group_by(*(a.question_id for a in profile), *(a.value for a in profile))
    groups: dict[tuple[str, ...], int] = {}
    for row in db.session.execute(responses).tuples():
        groups[key(row)] = groups.get(key(row), 0) + int(row[-1])

    latest = qsvc.definition(qsvc.latest_version(kind))
    labels = {}
    for d in dims:
        question = latest.question(d)
        labels[d] = {o.code: o.label.vi for o in question.options} if question else {}
    return {"period": period.label, **sdg.compute(kind, dims, counts, groups, labels)}

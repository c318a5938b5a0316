"""Indices from one GROUP BY over response patterns (satisfied/valid masks): per point, without an answer scan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select

from hailong.analysis import indices
from hailong.analysis.intervals import Pattern
from hailong.analysis.periods import Period
from hailong.forms.questionnaire import Questionnaire

from ..extensions import db
from ..models import QuestionnaireVersion, Submission
from . import questionnaires as qsvc
from . import rollups
from .periods import within


def version_bits(kind: str) -> dict[int, tuple[str, ...]]:
    """Stored versions of a kind: id -> the statement codes of its mask bits (asked once per shared block)."""
    return rollups.shared(("version_bits", kind), lambda: _version_bits(kind))


def _version_bits(kind: str) -> dict[int, tuple[str, ...]]:
    return {vid: qsvc.question_map(vid).bit_codes for vid in versions(kind)}


def versions(kind: str) -> dict[int, QuestionnaireVersion]:
    """The stored versions of a kind by id, read once per shared block (stats reads them through here too)."""
    return rollups.shared(("versions", kind), lambda: {v.id: v for v in db.session.scalars(
        select(QuestionnaireVersion).filter_by(kind=kind))})


def definition(kind: str) -> Questionnaire:
    """The questionnaire of a kind's newest version (what results are labelled by), asked once per shared block."""
    return rollups.shared(("definition", kind), lambda: qsvc.definition(_latest(kind)))


def _latest(kind: str) -> QuestionnaireVersion:
    """questionnaires.latest_version; in a shared block, the newest of the versions already read."""
    if rollups.sharing():
        found = versions(kind)
        if found:
            return max(found.values(), key=lambda v: v.version)
    return qsvc.latest_version(kind)


def statement_questions(kind: str) -> dict[int, str]:
    """Question id -> statement code of every stored version of a kind (the questions with a mask bit)."""
    out: dict[int, str] = {}
    for vid in version_bits(kind):
        qmap = qsvc.question_map(vid)
        out.update({qmap.ids[code]: code for code in qmap.bits})
    return out


def results(
    period: Period, kind: str, point_ids: Sequence[int] | None = None, *, by_point: bool = False
) -> dict[int, dict[str, Any]]:
    """Indices per point id (by_point) or under key 0 for all together; the same numbers as stats.compute."""
    versions = version_bits(kind)
    if not versions:
        return {}
    sc = rollups.scope(kind, point_ids)
    if sc.whole and not by_point:  # whole wards: their pattern rollups, one row per pattern and month or day
        kept = rollups.kept_patterns(sc.ward_ids, versions, *period.day_keys())
        query = rollups.pattern_counts(sc.ward_ids, versions, *period.day_keys()) if kept is None else None
    else:
        kept = None
        keys = [Submission.point_id] if by_point else []
        query = (
            select(*keys, Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask, func.count())
            .where(
                Submission.questionnaire_id.in_(versions),
                Submission.flagged.is_(False),
                within(Submission.day_key, period),
            )
            .group_by(*keys, Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask)
        )
        if sc.ward_ids is not None:  # the ward first: one narrow range of ix_responses_patterns
            query = query.where(Submission.organisation_id.in_(sc.ward_ids))
        if point_ids is not None:
            query = query.where(Submission.point_id.in_(point_ids))
    grouped: dict[int, list[Pattern]] = defaultdict(list)
    # Core rows on the session's connection: no ORM processing for up to one row per response.
    rows: Iterable[Any] = kept or [] if query is None else db.session.connection().execute(query).tuples()
    for row in rows:
        group = int(row[0]) if by_point else 0
        vid, sat_mask, valid_mask, n = row[-4:]
        grouped[group].append((versions[vid], int(sat_mask), int(valid_mask), int(n)))
    q = definition(kind)
    return {group: indices.from_patterns(q, found, sum(r[3] for r in found)) for group, found in grouped.items()}


def results_by_ward(period: Period, kind: str, ward_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """results() of each whole ward (under its id), from one GROUP BY over the pattern rollups; the province's."""
    versions = version_bits(kind)
    if not versions or not ward_ids:
        return {}
    query = rollups.pattern_counts(ward_ids, versions, *period.day_keys(), by_ward=True)
    grouped: dict[int, list[Pattern]] = defaultdict(list)
    for ward, vid, sat_mask, valid_mask, n in db.session.connection().execute(query).tuples():
        grouped[int(ward)].append((versions[vid], int(sat_mask), int(valid_mask), int(n)))
    q = definition(kind)
    return {ward: indices.from_patterns(q, found, sum(r[3] for r in found)) for ward, found in grouped.items()}

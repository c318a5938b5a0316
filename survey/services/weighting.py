"""The ward's population margins, and indices weighted to them by raking (analysis.weighting).

Weighting needs each response's sex and age group next to its satisfied/valid masks: one GROUP BY over
(sex answer, age answer, version, sat_mask, valid_mask) in SQL, so a quarter comes back as a few hundred rows
whatever the number of responses; nothing is read response by response.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from hailong.analysis import weighting as wt
from hailong.forms.questionnaire import Questionnaire

from ..extensions import db
from ..models import (
    Answer,
    Organisation,
    PopulationMargin,
    Question,
    QuestionnaireVersion,
    Submission,
    same_ward,
    utcnow,
)
from . import questionnaires as qsvc
from . import rollups
from .stats import Filter

#: The profile questions weighted on, in the order of the cells: sex, then age group.
DIMENSIONS = ("gender", "age_group")
UNKNOWN = "unknown"
#: The two dimensions describe one population: their totals may differ by rounding, not by more than this.
TOTALS_TOLERANCE = 0.05


class MarginError(ValueError):
    """Margins that cannot be saved; the message is Vietnamese and shown as is."""


def categories(dimension: str) -> list[tuple[str, str]]:
    """(option code, Vietnamese label) of a profile question, from the latest one-stop questionnaire."""
    q = qsvc.definition(qsvc.latest_version("onestop"))
    question = q.question(dimension)
    return [(o.code, o.label.vi) for o in question.options] if question else []


def margins_rows(ward: Organisation | int) -> list[PopulationMargin]:
    ward_id = ward if isinstance(ward, int) else ward.id
    return list(db.session.scalars(
        select(PopulationMargin).where(PopulationMargin.organisation_id == ward_id)
        .order_by(PopulationMargin.dimension, PopulationMargin.id)))


def margins(ward: Organisation | int) -> wt.Margins | None:
    """The ward's margins as population shares, or None when none are entered."""
    rows = margins_rows(ward)
    counts: dict[str, dict[str, float]] = {}
    for row in rows:
        counts.setdefault(row.dimension, {})[row.category] = float(row.population)
    if not counts:
        return None
    ordered = {dim: counts[dim] for dim in DIMENSIONS if dim in counts}
    sources = sorted({r.source for r in rows if r.source})
    result = wt.Margins.from_counts(ordered, "; ".join(sources))
    return result if result.shares else None


def set_margins(ward: Organisation | int, dimension: str, values: Mapping[str, int], source: str | None,
                by: str) -> None:
    """Replace one dimension's margins (population per category); the caller commits.

    Refused with a Vietnamese message: an unknown dimension or category, a negative count, a dimension with no
    population, or totals that differ from the other dimension's by more than 5% (one population, two views).
    """
    ward_id = ward if isinstance(ward, int) else ward.id
    known = dict(categories(dimension))
    if dimension not in DIMENSIONS or not known:
        raise MarginError(_("Không có nhóm “%(name)s”. Chọn gender (giới tính) hoặc age_group (nhóm tuổi).",
                            name=dimension[:40]))
    for category, value in values.items():
        if category not in known:
            raise MarginError(_("“%(code)s” không phải một lựa chọn của câu hỏi %(name)s. Chọn trong: %(codes)s.",
                                code=category[:40], name=dimension, codes=", ".join(known)))
        if value < 0:
            raise MarginError(_("Số dân không được âm (%(code)s).", code=category))
    total = sum(values.values())
    if total <= 0:
        raise MarginError(_("Cần ít nhất một nhóm có số dân lớn hơn 0."))
    other = [r for r in margins_rows(ward_id) if r.dimension != dimension]
    other_total = sum(r.population for r in other)
    if other_total and abs(total - other_total) > TOTALS_TOLERANCE * max(total, other_total):
        raise MarginError(_(
            "Tổng số dân theo nhóm này (%(total)s) lệch quá 5%% so với tổng theo nhóm kia (%(other)s): hai cách "
            "chia phải cùng mô tả một dân số (ví dụ cùng là dân số từ 18 tuổi trở lên).",
            total=f"{total:,}".replace(",", "."), other=f"{other_total:,}".replace(",", ".")))
    for row in margins_rows(ward_id):
        if row.dimension == dimension:
            db.session.delete(row)
    db.session.flush()
    now = utcnow()
    for category, value in values.items():
        db.session.add(PopulationMargin(organisation_id=ward_id, dimension=dimension, category=category,
                                        population=int(value), source=(source or "").strip()[:200] or None,
                                        updated_at=now, updated_by=by[:80]))
    db.session.flush()


def clear_margins(ward: Organisation | int, dimension: str | None = None) -> int:
    """Remove the ward's margins (one dimension or all); the caller commits. Returns how many rows went."""
    rows = [r for r in margins_rows(ward) if dimension is None or r.dimension == dimension]
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    return len(rows)


def _profile_questions(kind: str) -> tuple[dict[int, str], dict[int, dict[int, str]], dict[int, tuple[str, ...]]]:
    """Question ids of the weighting dimensions (id -> dimension), option codes by (id, value), bit codes."""
    versions = {v.id: v for v in db.session.scalars(select(QuestionnaireVersion).filter_by(kind=kind))}
    ids: dict[int, str] = {}
    options: dict[int, dict[int, str]] = {}
    if versions:
        rows = db.session.execute(select(Question.id, Question.code, Question.questionnaire_id).where(
            Question.questionnaire_id.in_(versions), Question.code.in_(DIMENSIONS))).tuples()
        for qid, code, vid in rows:
            question = qsvc.definition(versions[vid]).question(code)
            if question is None:
                continue
            ids[qid] = code
            options[qid] = {i: o.code for i, o in enumerate(question.options, start=1)}
    bits = {vid: qsvc.question_map(vid).bit_codes for vid in versions}
    return ids, options, bits


def cell_patterns(f: Filter) -> list[wt.CellPattern]:
    """(cell, bit codes, sat_mask, valid_mask, responses): responses grouped by profile answers and masks."""
    ids, options, bits = _profile_questions(f.kind)
    if not bits:
        return []
    by_dim = {dim: sorted(q for q, d in ids.items() if d == dim) for dim in DIMENSIONS}
    lo, hi = f.period.day_keys()
    joined = [aliased(Answer, name=f"profile_{dim}") for dim in DIMENSIONS]
    query = select(*(a.question_id for a in joined), *(a.value for a in joined), Submission.questionnaire_id,
                   Submission.sat_mask, Submission.valid_mask, func.count()).select_from(Submission)
    for alias, dim in zip(joined, DIMENSIONS, strict=True):
        query = query.outerjoin(alias, and_(alias.response_id == Submission.id, same_ward(alias, Submission),
                                            alias.question_id.in_(by_dim[dim])))
    query = query.where(Submission.questionnaire_id.in_(bits), Submission.flagged.is_(False),
                        Submission.day_key >= lo, Submission.day_key < hi)
    ward_ids = rollups.scope(f.kind, f.point_ids).ward_ids
    if ward_ids is not None:  # the ward first: its range of ix_responses_patterns, not every ward's days
        query = query.where(Submission.organisation_id.in_(ward_ids))
    if f.point_ids is not None:
        query = query.where(Submission.point_id.in_(f.point_ids))
    if f.verified_only:
        query = query.where(Submission.verified.is_(True))
    query = query.group_by(*(a.question_id for a in joined), *(a.value for a in joined), Submission.questionnaire_id,
                           Submission.sat_mask, Submission.valid_mask)
    out: list[wt.CellPattern] = []
    width = len(DIMENSIONS)
    for row in db.session.execute(query).tuples():
        qids, values = row[:width], row[width : 2 * width]
        vid, sat, valid, n = row[2 * width :]
        key = tuple(options.get(q, {}).get(v, UNKNOWN) if q is not None else UNKNOWN
                    for q, v in zip(qids, values, strict=True))
        out.append((key, bits[vid], int(sat), int(valid), int(n)))
    return out


def weighted(f: Filter, ward: Organisation | int, questionnaire: Questionnaire | None = None,
             replicates: int = wt.BOOTSTRAP_REPLICATES) -> dict[str, Any]:
    """The weighted overall and element indices of a filter, labelled, or why there are none.

    {"status": "ok", ...analysis.weighting.weighted_indices}, {"status": "no_margins"} or
    {"status": "error", "message": <Vietnamese>} when the margins cannot be met.
    """
    target = margins(ward)
    if target is None:
        return {"status": "no_margins"}
    q = questionnaire or qsvc.definition(qsvc.latest_version(f.kind))
    codes = [s.code for s in q.statements]
    columns = {c: i for i, c in enumerate(codes)}
    groups = [[columns[s.code] for s in e.statements] for e in q.elements]
    rows = cell_patterns(f)
    dims = target.dimensions
    # Cells keep only the dimensions that have margins (sex alone, age alone or both).
    keep = [DIMENSIONS.index(d) for d in dims]
    reduced = [(tuple(key[i] for i in keep), bits, s, v, n) for key, bits, s, v, n in rows]
    try:
        result = wt.weighted_indices(codes, groups, reduced, target, replicates=replicates)
    except wt.RakingError as exc:
        return {"status": "error", "reason": exc.reason, "message": raking_message(exc)}
    labels = {dim: dict(categories(dim)) for dim in dims}
    for cell in result["cells"]:
        cell["labels"] = {dim: labels[dim].get(cell[dim], cell[dim]) for dim in dims}
    result["elements"] = [{"code": e.code, "label": e.label.vi, "index": v}
                          for e, v in zip(q.elements, result["elements"], strict=True)]
    return {"status": "ok", **result}


def raking_message(exc: wt.RakingError) -> str:
    """Why a weighted figure cannot be made, in Vietnamese."""
    if exc.reason == "empty_category" and exc.dimension and exc.category:
        label = dict(categories(exc.dimension)).get(exc.category, exc.category)
        return _("Không gia quyền được: nhóm “%(label)s” chiếm %(share)s dân số nhưng kỳ này không có phiếu nào "
                 "của nhóm này. Hãy thu thêm phiếu của nhóm này, hoặc xem số liệu chưa gia quyền.",
                 label=label, share=f"{100 * (exc.share or 0):.1f}%".replace(".", ","))
    if exc.reason == "no_responses":
        return _("Không gia quyền được: kỳ này chưa có phiếu nào trả lời giới tính và nhóm tuổi.")
    return _("Không gia quyền được: cơ cấu dân số đã nhập không thể đạt được với các phiếu của kỳ này.")


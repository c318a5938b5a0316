"""Citizens' comments for the office: list and search them, mark them handled, flag suspicious responses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import Select, and_, func, select

from hailong.analysis.periods import Period

from ..extensions import db
from ..models import Answer, Question, ServicePoint, Submission, same_ward
from . import audit
from . import responses as response_svc
from .periods import within

NOTE_MAX = 500
REASON_MAX = 200
SEARCH_MAX = 100
PER_PAGE = 50


class CommentError(ValueError):
    """A comment cannot be changed as asked; the message is for the user."""


class Status(StrEnum):
    ALL = "all"
    OPEN = "open"
    HANDLED = "handled"
    FLAGGED = "flagged"


@dataclass(frozen=True)
class CommentRow:
    """One comment with what the office needs to read it in context."""

    response_id: int
    submitted_at: datetime
    point_id: int
    point_code: str
    point_name: str
    kind: str
    overall: int | None
    comment: str
    handled: bool
    note: str | None
    flagged: bool
    flag_reason: str | None


@dataclass(frozen=True)
class CommentPage:
    rows: Sequence[CommentRow]
    page: int
    pages: int
    total: int


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own wildcards escaped (escape char: backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _query(
    period: Period, kinds: Sequence[str] | None, point_ids: Sequence[int] | None, search: str, status: Status
) -> Select[tuple[Submission, ServicePoint]]:
    query = (
        select(Submission, ServicePoint)
        .join(ServicePoint, and_(ServicePoint.id == Submission.point_id, same_ward(ServicePoint, Submission)))
        .where(within(Submission.day_key, period))
        .where(Submission.comment.is_not(None), Submission.comment != "")
    )
    if kinds is not None:
        query = query.where(ServicePoint.kind.in_(kinds))
    if point_ids is not None:
        query = query.where(Submission.point_id.in_(point_ids))
    if search:
        query = query.where(Submission.comment.ilike(like_pattern(search), escape="\\"))
    if status == Status.OPEN:
        query = query.where(Submission.comment_handled.is_(False))
    elif status == Status.HANDLED:
        query = query.where(Submission.comment_handled.is_(True))
    elif status == Status.FLAGGED:
        query = query.where(Submission.flagged.is_(True))
    return query


def search(
    period: Period,
    *,
    kinds: Sequence[str] | None = None,
    point_ids: Sequence[int] | None = None,
    text: str = "",
    status: Status = Status.ALL,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> CommentPage:
    """Comments of a period, newest first, with the point and the answer to the 'overall' question."""
    text = text.strip()[:SEARCH_MAX]
    query = _query(period, kinds, point_ids, text, status)
    total = db.session.scalar(select(func.count()).select_from(query.with_only_columns(Submission.id).subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    found = db.session.execute(
        query.order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).tuples().all()
    scores = _overall_scores([r.id for r, _ in found])
    rows = [
        CommentRow(
            response_id=r.id, submitted_at=r.submitted_at, point_id=p.id, point_code=p.code, point_name=p.name,
            kind=p.kind, overall=scores.get(r.id), comment=r.comment or "", handled=r.comment_handled,
            note=r.comment_note, flagged=r.flagged, flag_reason=r.flag_reason,
        )
        for r, p in found
    ]
    return CommentPage(rows, page, pages, total)


def _overall_scores(response_ids: Sequence[int]) -> dict[int, int]:
    """The 1..5 answer to 'overall' of each response that gave one."""
    if not response_ids:
        return {}
    rows = db.session.execute(
        select(Answer.response_id, Answer.value)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_(response_ids), Question.code == "overall", Answer.value.between(1, 5))
    ).tuples()
    return {rid: value for rid, value in rows}


def get(response_id: int, ward_id: int | None = None) -> tuple[Submission, ServicePoint] | None:
    """A response with its point (of that ward when given), or None."""
    query = (select(Submission, ServicePoint)
             .join(ServicePoint, and_(ServicePoint.id == Submission.point_id, same_ward(ServicePoint, Submission)))
             .where(Submission.id == response_id))
    if ward_id is not None:
        query = query.where(ServicePoint.organisation_id == ward_id)
    row = db.session.execute(query).tuples().first()
    return (row[0], row[1]) if row else None


def mark_handled(response: Submission, actor: str, note: str, handled: bool = True) -> None:
    """Mark a comment handled (with a short note) or open again; audited."""
    note = note.strip()
    if len(note) > NOTE_MAX:
        raise CommentError(_("Ghi chú tối đa %(n)s ký tự.", n=NOTE_MAX))
    if not response.comment:
        raise CommentError(_("Phiếu này không có ý kiến."))
    response.comment_handled = handled
    response.comment_note = note or None
    audit.record(actor, "comment.handled" if handled else "comment.reopened", f"response:{response.id}", note or None,
                 ward_id=response.organisation_id)


def flag(response: Submission, actor: str, reason: str) -> None:
    """Flag a response as suspicious: kept, but excluded from every index; audited."""
    reason = reason.strip()
    if not reason:
        raise CommentError(_("Vui lòng ghi lý do gắn cờ."))
    if len(reason) > REASON_MAX:
        raise CommentError(_("Lý do tối đa %(n)s ký tự.", n=REASON_MAX))
    response_svc.set_flag(response.id, reason)
    db.session.expire(response)
    audit.record(actor, "response.flagged", f"response:{response.id}", reason, ward_id=response.organisation_id)


def unflag(response: Submission, actor: str) -> None:
    """Remove a flag so the response counts again; audited."""
    before = response.flag_reason
    response_svc.set_flag(response.id, None)
    db.session.expire(response)
    audit.record(actor, "response.unflagged", f"response:{response.id}", before, ward_id=response.organisation_id)

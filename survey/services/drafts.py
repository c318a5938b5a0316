"""A paged form's answers between its pages (drafts), and the page counts the office reads as a funnel.

A draft is keyed by the served form's signed key (services.antiabuse.issue_form_key), so it belongs to one loaded
form of one point. It holds the posted text of the pages validated so far, never counts in any index, and is
deleted when the form is sent (the response is stored once, under the same key) or purged HAILONG_DRAFT_HOURS
(default 24) after its last change: on every new draft of the ward, and by `hailong drafts purge` for a cron job.

What stays is FormPageCount: per local day (the day the form was first saved), point, questionnaire version and
page, how many forms reached the page and how many were sent from it. A form counts from its first button press
(Tiếp or Gửi luôn on page 1): a page view alone writes nothing, so link previews, monitors and bots that only
open the page are not counted and a visit costs no write.

Services add and flush; the caller (a view or a command) commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value

from hailong.analysis import funnel as funnel_of
from hailong.analysis.periods import Period, day_key
from hailong.forms import pages as form_pages

from ..extensions import db
from ..models import FormDraft, FormPageCount, QuestionnaireVersion, ServicePoint
from . import questionnaires as qsvc

#: Posted values of one form by field name (what a browser sends: a list per name).
Values = dict[str, list[str]]


def max_age() -> timedelta:
    """How long an untouched draft is kept (HAILONG_DRAFT_HOURS)."""
    return timedelta(hours=int(current_app.config["HAILONG_DRAFT_HOURS"]))


def find(point_id: int, key: str) -> FormDraft | None:
    """The draft of the form served with `key` at this point, if it was saved and is still kept."""
    if not key:
        return None
    return db.session.scalar(_FIND, {"key": key, "point_id": point_id})


#: Built once: building the statement cost as much as running it on every citizen POST.
_FIND = select(FormDraft).where(FormDraft.form_key == bindparam("key"), FormDraft.point_id == bindparam("point_id"))


def values(draft: FormDraft | None) -> Values:
    """A draft's answers as posted values (a copy), empty without a draft."""
    if draft is None:
        return {}
    return {str(name): [str(v) for v in vals] for name, vals in dict(draft.answers or {}).items()}


def save(point: ServicePoint, version: QuestionnaireVersion, key: str, answers: Values, reached: int,
         now: datetime | None = None, draft: FormDraft | None = None) -> FormDraft:
    """Keep a form's answers so far and the furthest page it showed; count each page the first time it is reached.

    `draft` is the form's draft when the caller has just read it (else it is looked up). A concurrent save of a
    new key (a double tap on the first page) fails with IntegrityError at the flush; the caller rolls back and
    saves again, and then finds the other's draft.
    """
    now = now or datetime.now(UTC)
    if draft is None:
        draft = find(point.id, key)
    if draft is None:
        purge(now, point.organisation_id)
        draft = FormDraft(organisation_id=point.organisation_id, point_id=point.id, questionnaire_id=version.id,
                          form_key=key, page=0, answers={}, day_key=day_key(now), created_at=now, updated_at=now)
        db.session.add(draft)
        db.session.flush()
    draft.answers = {name: list(vals) for name, vals in answers.items() if vals}
    draft.updated_at = now
    db.session.flush()
    advance(draft, reached)
    return draft


def advance(draft: FormDraft, reached: int) -> None:
    """Raise the draft's furthest page to `reached`, counting the newly reached pages once.

    The conditional UPDATE is what makes it once: of two requests racing for the same page, the second updates
    no row (PostgreSQL re-reads the row after the first's lock; SQLite runs writers one at a time).
    """
    before = draft.page
    if reached <= before:
        return
    moved = cast(CursorResult[Any], db.session.execute(
        update(FormDraft).where(FormDraft.id == draft.id, FormDraft.page < reached).values(page=reached)
        .execution_options(synchronize_session=False)
    )).rowcount
    if moved:
        set_committed_value(draft, "page", reached)
        _bump(draft.organisation_id, draft.point_id, draft.questionnaire_id, draft.day_key,
              range(before + 1, reached + 1), "reached")


def finish(draft: FormDraft | None, point: ServicePoint, version: QuestionnaireVersion, page: int,
           now: datetime | None = None) -> None:
    """A paged form was sent from `page` (its response stored): delete its draft, count it as sent from there.

    A form sent from page 1 before any other press has no draft: its first page is counted as reached here.
    """
    if draft is None:
        day = day_key(now or datetime.now(UTC))
        _bump(point.organisation_id, point.id, version.id, day, range(1, page + 1), "reached")
        _bump(point.organisation_id, point.id, version.id, day, [page], "sent")
        return
    advance(draft, page)
    gone = cast(CursorResult[Any], db.session.execute(
        delete(FormDraft).where(FormDraft.id == draft.id).execution_options(synchronize_session=False)
    )).rowcount
    if gone:
        _bump(draft.organisation_id, draft.point_id, draft.questionnaire_id, draft.day_key, [page], "sent")
    db.session.expunge(draft)


def discard(draft: FormDraft) -> None:
    """Delete a draft without sending it (its page counts stay); for a kiosk that resets itself."""
    db.session.execute(delete(FormDraft).where(FormDraft.id == draft.id).execution_options(
        synchronize_session=False))
    db.session.expunge(draft)


def purge(now: datetime | None = None, organisation_id: int | None = None) -> int:
    """Delete drafts untouched for longer than max_age(): of one ward, or of all (the command); returns how many."""
    cutoff = (now or datetime.now(UTC)) - max_age()
    statement = delete(FormDraft).where(FormDraft.updated_at < cutoff)
    if organisation_id is not None:
        statement = statement.where(FormDraft.organisation_id == organisation_id)
    result = cast(CursorResult[Any], db.session.execute(statement.execution_options(synchronize_session=False)))
    return int(result.rowcount or 0)


def _bump(organisation_id: int, point_id: int, version_id: int, day: int, pages: Iterable[int], column: str) -> None:
    """Add one to `column` (reached or sent) of each page's count row, creating the rows as needed."""
    rows = [{"point_id": point_id, "questionnaire_id": version_id, "day_key": day, "page": page,
             "organisation_id": organisation_id, "reached": int(column == "reached"), "sent": int(column == "sent")}
            for page in pages]
    if not rows:
        return
    table = FormPageCount.__table__
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(table).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=["organisation_id", "point_id", "questionnaire_id", "day_key", "page"],  # the primary key
        set_={column: table.c[column] + statement.excluded[column]},
    )
    db.session.execute(statement)


# --- the funnel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageTotals:
    """Sums over the filter for one page of one questionnaire version."""

    version_id: int
    page: int
    reached: int
    sent: int


def page_totals(organisation_id: int, version_ids: Sequence[int], period: Period,
                point_ids: Sequence[int] | None = None) -> list[PageTotals]:
    """Forms that reached each page and were sent from it, summed in SQL over the period (and points)."""
    if not version_ids:
        return []
    lo, hi = period.day_keys()
    query = (
        select(FormPageCount.questionnaire_id, FormPageCount.page, func.sum(FormPageCount.reached),
               func.sum(FormPageCount.sent))
        .where(FormPageCount.organisation_id == organisation_id,
               FormPageCount.questionnaire_id.in_(version_ids),
               FormPageCount.day_key >= lo, FormPageCount.day_key < hi)
        .group_by(FormPageCount.questionnaire_id, FormPageCount.page)
        .order_by(FormPageCount.questionnaire_id, FormPageCount.page)
    )
    if point_ids is not None:
        query = query.where(FormPageCount.point_id.in_(point_ids))
    return [PageTotals(int(v), int(p), int(r or 0), int(s or 0)) for v, p, r, s in db.session.execute(query)]


@dataclass(frozen=True)
class VersionFunnel:
    """The funnel of one questionnaire version, with its pages (for their headings)."""

    version: QuestionnaireVersion
    pages: tuple[form_pages.Page, ...]
    funnel: funnel_of.Funnel


def funnels(organisation_id: int, kind: str, period: Period,
            point_ids: Sequence[int] | None = None) -> list[VersionFunnel]:
    """The funnel of each questionnaire version of a kind that has page counts in the filter, newest first."""
    versions = {v.id: v for v in db.session.scalars(select(QuestionnaireVersion).filter_by(kind=kind))}
    by_version: dict[int, dict[int, tuple[int, int]]] = {}
    for row in page_totals(organisation_id, list(versions), period, point_ids):
        by_version.setdefault(row.version_id, {})[row.page] = (row.reached, row.sent)
    out = []
    for vid, counts in by_version.items():
        version = versions[vid]
        plan = form_pages.plan(qsvc.definition(version))
        out.append(VersionFunnel(version, plan, funnel_of.funnel(len(plan), counts)))
    return sorted(out, key=lambda f: -f.version.version)

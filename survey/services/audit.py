"""The audit trail: who signed in, exported, flagged or changed what, and when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEvent

DETAIL_MAX = 2000
TARGET_MAX = 200


def record(actor: str | None, action: str, target: str | None = None, detail: str | None = None) -> AuditEvent:
    """Add one event to the session: stored with the change it describes, in the same transaction."""
    event = AuditEvent(
        actor=actor[:80] if actor else None,
        action=action[:40],
        target=target[:TARGET_MAX] if target else None,
        detail=detail[:DETAIL_MAX] if detail else None,
    )
    db.session.add(event)
    return event


@dataclass(frozen=True)
class Page:
    """One page of audit events, newest first."""

    events: Sequence[AuditEvent]
    page: int
    pages: int
    total: int


def actions() -> list[str]:
    """The distinct actions recorded so far, for the filter on the audit page."""
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def events(page: int = 1, per_page: int = 100, action: str | None = None, actor: str | None = None) -> Page:
    """Events newest first, optionally of one action or one actor."""
    query = select(AuditEvent)
    if action:
        query = query.where(AuditEvent.action == action)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(rows, page, pages, total)

"""The audit trail: who signed in, exported, flagged or changed what, and when."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flask import g, has_app_context
from sqlalchemy import func, select

from ..extensions import db
from ..models import AuditEvent

DETAIL_MAX = 2000
TARGET_MAX = 200


def use_ward(ward_id: int | None) -> None:
    """The ward the events of this request or command belong to (set where the ward is resolved, once)."""
    g.audit_ward_id = ward_id


def _ward_id() -> int | None:
    return g.get("audit_ward_id") if has_app_context() else None


def record(actor: str | None, action: str, target: str | None = None, detail: str | None = None,
           ward_id: int | None = None) -> AuditEvent:
    """Add one event to the session: stored with the change it describes, in the same transaction.

    It is filed under `ward_id` when given, else under this request's or command's ward (use_ward).
    """
    event = AuditEvent(
        organisation_id=ward_id if ward_id is not None else _ward_id(),
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


def actions(ward_id: int | None = None) -> list[str]:
    """The distinct actions recorded so far (of one ward when given), for the filter on the audit page."""
    query = select(AuditEvent.action).distinct().order_by(AuditEvent.action)
    if ward_id is not None:
        query = query.where(AuditEvent.organisation_id == ward_id)
    return list(db.session.scalars(query))


def events(page: int = 1, per_page: int = 100, action: str | None = None, actor: str | None = None,
           ward_id: int | None = None) -> Page:
    """Events newest first (of one ward when given), optionally of one action or one actor."""
    query = select(AuditEvent)
    if ward_id is not None:
        query = query.where(AuditEvent.organisation_id == ward_id)
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

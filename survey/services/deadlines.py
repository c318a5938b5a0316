"""Periodic reports and their deadlines: record a generated report, and say which upcoming ones are done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from hailong.analysis import windows
from hailong.analysis.periods import Period

from ..extensions import db
from ..models import GeneratedReport, Organisation


def record(ward: Organisation | int, period: Period, kind: str | None, by: str) -> GeneratedReport:
    """Note that a report of this period (window included) was generated; the caller commits."""
    row = GeneratedReport(organisation_id=_ward_id(ward), period=period.label[:40], window=period.window,
                          kind=kind, generated_by=by[:80])
    db.session.add(row)
    return row


@dataclass(frozen=True)
class DueStatus:
    """One upcoming periodic report and the last time it was generated, if ever."""

    due: windows.Due
    generated: GeneratedReport | None


def upcoming(ward: Organisation | int, today: date) -> list[DueStatus]:
    """The next quarterly, six-month and yearly reports with their deadlines, and whether each was generated.

    A report of every kind together counts; a report of one kind only does not (the plan asks for one report).
    """
    due = windows.upcoming(today)
    labels = [d.period.label for d in due]
    rows = db.session.scalars(
        select(GeneratedReport)
        .where(GeneratedReport.organisation_id == _ward_id(ward), GeneratedReport.period.in_(labels),
               GeneratedReport.kind.is_(None))
        .order_by(GeneratedReport.generated_at)
    )
    latest = {row.period: row for row in rows}
    return [DueStatus(d, latest.get(d.period.label)) for d in due]


def _ward_id(ward: Organisation | int) -> int:
    return ward if isinstance(ward, int) else ward.id

"""What a ward's report is made from (its mark), and building it for `hailong worker` (services.ward_reports asks).

See services.ward_reports for how a stored report is reused while the mark is unchanged.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from hailong.analysis import windows
from hailong.analysis.periods import Period, parse_period

from ..extensions import db
from ..models import (
    CacheVersion,
    Desk,
    OfficerRating,
    Organisation,
    PopulationMargin,
    ReportJob,
    RosterEntry,
    Setting,
    Submission,
)
from . import pakn, rollups
from .periods import within
from .publication import REREAD


@dataclass(frozen=True)
class Options:
    """What the report is asked with: the period (its window included), one kind or all, the annex per officer."""

    period: Period
    kind: str | None = None
    officer_annex: bool = False



# --- what the report is made from --------------------------------------------------------------------------


def span(period: Period) -> tuple[int, int]:
    """The day keys (start, end exclusive) of the responses the report reads: the period, the previous one, and
    the year to date of a quarter or half."""
    periods = [period, period.previous()]
    if period.kind in ("quarter", "half"):
        periods.append(windows.year_to_date(period))
    keys = [p.day_keys() for p in periods]
    return min(k[0] for k in keys), max(k[1] for k in keys)


def _token(name: str) -> Any:
    return select(CacheVersion.token).where(CacheVersion.name == name).scalar_subquery()


def mark(ward_id: int, options: Options, through: int | None = None) -> str:
    """The data's mark now (see the module's doc), as of `through` (a stored mark's) or of the newest response."""
    session = db.session
    if through is None:
        through = int(session.scalar(select(func.max(Submission.id))) or 0)
    start, end = span(options.period)
    seen = (select(func.count()).select_from(Submission)
            .where(Submission.id > through - REREAD, Submission.organisation_id == ward_id,
                   Submission.day_key >= start, Submission.day_key < end).scalar_subquery())
    counted = session.execute(select(seen, rollups.figures_token([ward_id]), _token("citizen"))).one()
    settings = session.execute(select(Setting.key, Setting.value).where(Setting.organisation_id == ward_id)
                               .order_by(Setting.key)).tuples().all()
    margins = session.execute(
        select(PopulationMargin.dimension, PopulationMargin.category, PopulationMargin.population,
               PopulationMargin.source).where(PopulationMargin.organisation_id == ward_id)
        .order_by(PopulationMargin.dimension, PopulationMargin.category)).tuples().all()
    parts: dict[str, Any] = {
        "seen": int(counted[0] or 0), "figures": int(counted[1] or 0), "citizen": int(counted[2] or 0),
        "settings": settings, "margins": margins,
        "pakn": sorted(pakn.stats_facts(ward_id, options.period, options.kind), key=repr),
        "day": pakn.today().isoformat(),
    }
    if options.officer_annex:
        parts["ratings"] = session.execute(
            select(func.count(), func.max(OfficerRating.id), func.count().filter(OfficerRating.flagged))
            .where(OfficerRating.organisation_id == ward_id, within(OfficerRating.day_key, options.period))
        ).one()
        parts["desks"] = session.execute(select(Desk.id, Desk.point_id, Desk.name, Desk.active)
                                         .where(Desk.organisation_id == ward_id).order_by(Desk.id)).tuples().all()
        parts["roster"] = session.execute(
            select(RosterEntry.id, RosterEntry.desk_id, RosterEntry.officer_name, RosterEntry.officer_title,
                   RosterEntry.start_day, RosterEntry.end_day).where(RosterEntry.organisation_id == ward_id)
            .order_by(RosterEntry.id)).tuples().all()
    text = json.dumps(parts, default=str, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{through}:{hashlib.sha256(text.encode()).hexdigest()[:40]}"


def options_of(job: ReportJob) -> Options:
    return Options(parse_period(job.period), job.service_kind, job.officer_annex)


def current(job: ReportJob) -> bool:
    """Whether a finished report still shows the data as it is now (its mark read again from its `through`)."""
    if not job.data_mark or ":" not in job.data_mark:
        return False
    through = job.data_mark.split(":", 1)[0]
    if not through.isdigit() or job.organisation_id is None:
        return False
    return mark(job.organisation_id, options_of(job), int(through)) == job.data_mark


# --- building (in the worker) ---------------------------------------------------------------------------------


def build(job: ReportJob, tick: Callable[[object], None]) -> tuple[bytes, str]:
    """The job's PDF and the mark of the data it was made from (read first); ticks after the figures and the PDF."""
    from . import reports

    ward = db.session.get(Organisation, job.organisation_id) if job.organisation_id is not None else None
    if ward is None:
        raise reports.ReportError(_("Không tìm thấy phường của yêu cầu này."))
    options = options_of(job)
    data_mark = mark(ward.id, options)
    html = reports.render_html(options.period, options.kind, ward, options.officer_annex)
    tick(None)
    pdf = reports.write_pdf(html)
    tick(None)
    return pdf, data_mark

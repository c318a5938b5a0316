"""The dashboard and its drill-downs: indices by element, the trend, the ranking of points, statements."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from hailong.analysis import charts, windows
from hailong.analysis.periods import Period
from hailong.analysis.targets import target as plan_target
from hailong.forms.questionnaire import KINDS

from ..services import dashboard as results
from ..services import deadlines, drafts, rollups, stats, targets
from ..services import jobs as job_svc
from ..services import pakn as pakn_svc
from ..services import weighting as weighting_svc
from . import bp
from .access import ADMIN, ANYONE, STAFF, current_ward, require_point, roles_required, scope, user, visible_points
from .filters import check_keys, kind_arg, period_arg, period_options, point_arg, today

#: Bootstrap replicates of the dashboard's weighted interval (the report and CLI use 2,000).
DASHBOARD_REPLICATES = 500

HOUR = timedelta(hours=1)


def svg(markup: str) -> Markup:
    """Mark a chart from analysis.charts safe: it escapes every text it draws itself."""
    return Markup(markup)  # noqa: S704


def allowed_kinds() -> list[str]:
    """Kinds the current account may choose: all, or those of the viewer's points."""
    if not scope().limited:
        return list(KINDS)
    present = {p.kind for p in visible_points()}
    return [k for k in KINDS if k in present]


def _filters(extra: tuple[str, ...] = ()) -> tuple[Period, str]:
    check_keys(request.args, ("period", "kind", *extra))
    kinds = allowed_kinds()
    if not kinds:
        abort(403, _("Đơn vị của tài khoản này chưa có điểm khảo sát nào."))
    kind = kind_arg(request.args, kinds, "onestop" if "onestop" in kinds else kinds[0])
    assert kind is not None
    return period_arg(request.args), kind


def _kind_ids(kind: str) -> list[int]:
    """Point ids to count for a kind: the ward's, or the viewer's own points."""
    return [p.id for p in visible_points(kind)]


def _pakn_numbers(period: Period) -> dict[str, Any] | None:
    """The period's PAKN numbers for the dashboard: the ward's, or a viewer's unit's (None when it has none)."""
    found = pakn_svc.stats(current_ward().id, period)
    account = user()
    if account.role == "viewer":
        return next((row for row in found["by_unit"] if row["unit"] and row["unit"] == account.unit), None)
    return dict(found["totals"])


@bp.get("/")
@roles_required(*ANYONE)
def dashboard() -> str:
    return dashboard_page()


def dashboard_page(read_only: bool = False) -> str:
    """The ward dashboard of the current ward (a province account's drill-down shows it `read_only`)."""
    period, kind = _filters()
    # One page of reads: lookups asked by several figures are read once, the rollups in one query per table.
    with rollups.shared_reads():
        return _dashboard(period, kind, read_only)


def _dashboard(period: Period, kind: str, read_only: bool) -> str:
    ids = _kind_ids(kind)
    ward = current_ward()
    goal = plan_target(kind)
    year_span = windows.year_to_date(period) if goal is not None and period.kind in ("quarter", "half") else None
    results.prefetch(period, kind, ids, year_to_date=year_span)
    result = results.overview(period, kind, ids)
    trend = results.trend(period, kind, ids)
    # Weighted next to unweighted, never instead (fewer replicates than the report: the page must stay quick).
    weighted = weighting_svc.weighted(stats.Filter(period, kind, ids), ward, replicates=DASHBOARD_REPLICATES)
    staff = user().role in STAFF
    return render_template(
        "office/dashboard.html",
        period=period, kind=kind, kinds=allowed_kinds(), options=period_options(period),
        result=result, target=goal, points=results.points_table(period, kind, ids),
        call=targets.call(kind, result), ytd=targets.year_to_date(period, kind, ids) if goal else None,
        year=int(period.base[:4]) if period.kind != "range" else period.start.year,
        weighted=weighted, deadlines=deadlines.upcoming(ward, today()) if staff else [],
        bars_svg=svg(charts.element_bars(results.element_bars(result), target=goal,
                                         title=_("Chỉ số hài lòng theo yếu tố"))),
        trend_svg=svg(charts.trend_line(trend, target=goal, title=_("Chỉ số hài lòng chung qua các quý"))),
        prev={e["code"]: e for e in result["previous"]["elements"]},
        limited=scope().limited, can_report=user().role in STAFF and not read_only,
        can_annex=user().role in ADMIN and not read_only, pakn=_pakn_numbers(period),
        read_only=read_only, ward=ward, queue=job_svc.queue_url() is not None,
        funnels=drafts.funnels(current_ward().id, kind, period, ids), draft_hours=drafts.max_age() // HOUR,
    )


@bp.get("/element/<code>")
@roles_required(*ANYONE)
def element(code: str) -> str:
    period, kind = _filters(("point",))
    point_id = point_arg(request.args)
    point = require_point(point_id) if point_id is not None else None
    if point is not None and point.kind != kind:
        abort(400, _("Điểm khảo sát này không thuộc loại dịch vụ đã chọn."))
    ids = [point.id] if point else _kind_ids(kind)
    result = results.overview(period, kind, ids, with_previous=False)
    found = results.find_element(result, code)
    if found is None:
        abort(404, _("Không có yếu tố “%(code)s” trong phiếu khảo sát này.", code=code[:40]))
    return render_template("office/element.html", period=period, kind=kind, element=found, point=point,
                           result=result)


@bp.get("/point/<row_id:point_id>")
@roles_required(*ANYONE)
def point(point_id: int) -> str:
    check_keys(request.args, ("period",))
    point = require_point(point_id)
    period = period_arg(request.args)
    result = results.overview(period, point.kind, [point.id])
    goal = plan_target(point.kind)
    trend = results.trend(period, point.kind, [point.id])
    return render_template(
        "office/point.html", period=period, kind=point.kind, point=point, result=result, target=goal,
        options=period_options(period),
        bars_svg=svg(charts.element_bars(results.element_bars(result), target=goal,
                                         title=_("Chỉ số hài lòng theo yếu tố"))),
        trend_svg=svg(charts.trend_line(trend, target=goal, title=_("Chỉ số hài lòng chung qua các quý"))),
        funnels=drafts.funnels(current_ward().id, point.kind, period, [point.id]),
        draft_hours=drafts.max_age() // HOUR,
    )

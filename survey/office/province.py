"""The province role's pages: every ward of the province side by side, a ward's dashboard read-only, the export.

A province account has no ward of its own; it may read each ward of its province and change nothing (it is in
none of the ward roles, so every other office route refuses it).
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _

from hailong.analysis import indices
from hailong.analysis.targets import target as plan_target
from hailong.forms.questionnaire import KINDS

from ..models import Organisation
from ..services import audit, spreadsheet
from ..services import jobs as job_svc
from ..services import province as province_svc
from ..services import province_snapshots as snapshot_svc
from ..services import responses as response_svc
from ..services import wards as ward_svc
from . import bp
from .access import PROVINCE, roles_required, user, view_ward
from .dashboard import dashboard_page
from .filters import check_keys, kind_arg, period_arg, period_options


def _wards() -> list[Organisation]:
    return ward_svc.of_province(user().province or "")


def _ward(code: str) -> Organisation:
    """A ward of the account's province; 404 for any other code (another province's ward included)."""
    found = next((w for w in _wards() if w.code == code), None)
    if found is None:
        abort(404, _("Không có phường, xã này trong tỉnh."))
    return found


@bp.get("/tinh/")
@roles_required(*PROVINCE)
def province_home() -> Any:
    """Every ward side by side, from the stored figures (services.province_snapshots), never computed per visit."""
    check_keys(request.args, ("period",))
    period = period_arg(request.args)
    wards = _wards()
    province = user().province or ""
    queue = job_svc.queue_url() is not None
    try:
        view = snapshot_svc.serve(province, period, wards)
    except snapshot_svc.Unavailable as exc:
        page = render_template("office/province_waiting.html", period=period, options=period_options(period),
                               province=province, error=str(exc), refresh=None)
        return page, 503, {"Retry-After": "60"}
    if view.snapshot is None:
        return render_template("office/province_waiting.html", period=period, options=period_options(period),
                               province=province, error=None, refresh=snapshot_svc.WAIT_RELOAD_SECONDS)
    snapshot = view.snapshot
    sections = [{"kind": k, "target": plan_target(k), "rows": snapshot.rows(k)} for k in KINDS]
    return render_template("office/province.html", period=period, options=period_options(period),
                           sections=sections, wards=wards, province=province, low_n=indices.LOW_N,
                           kinds=KINDS, queue=queue, view=view, computed_at=snapshot.computed_at)


@bp.get("/tinh/<ward_code>/")
@roles_required(*PROVINCE)
def province_ward(ward_code: str) -> str:
    """A ward's dashboard, read-only (no report button, no writes: every write route refuses the role)."""
    view_ward(_ward(ward_code))
    return dashboard_page(read_only=True)


@bp.get("/tinh/export.csv")
@roles_required(*PROVINCE)
def province_export() -> Any:
    """Every ward's responses of the period (one kind or all) as one CSV with a `ward` column."""
    check_keys(request.args, ("period", "kind"))
    period = period_arg(request.args)
    kind = kind_arg(request.args, KINDS, None)
    columns = ["ward", *response_svc.export_columns([kind] if kind else None)]
    out = io.StringIO()
    out.write("\ufeff")
    count = spreadsheet.write_csv(out, province_svc.export_rows(period, kind, _wards()), columns)
    audit.record(user().username, "export.province", period.label, f"csv; {kind or 'all'}; {count} responses")
    name = f"hailong-tinh-{period.label}{'-' + kind if kind else ''}.csv".replace("..", "_")
    return current_app.response_class(out.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

"""The province role's pages: every ward of the province side by side, a ward's dashboard read-only, the export.

A province account has no ward of its own; it may read each ward of its province and change nothing (it is in
none of the ward roles, so every other office route refuses it).
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, current_app, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup

from hailong.analysis import indices
from hailong.analysis.periods import Period
from hailong.analysis.targets import target as plan_target
from hailong.analysis.wording import period_name
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
                               province=province, error=str(exc), refresh=None, kinds=KINDS, queue=queue)
        return page, 503, {"Retry-After": "60"}
    if view.snapshot is None:
        return render_template("office/province_waiting.html", period=period, options=period_options(period),
                               province=province, error=None, refresh=snapshot_svc.WAIT_RELOAD_SECONDS,
                               kinds=KINDS, queue=queue)
    snapshot = view.snapshot
    return render_template("office/province.html", period=period, options=period_options(period),
                           tables=_tables(province, period, snapshot), wards=wards, province=province,
                           low_n=indices.LOW_N, kinds=KINDS, queue=queue, view=view,
                           computed_at=snapshot.computed_at)


#: The ranking tables rendered from a stored snapshot, by what they depend on (at most _TABLES_KEPT of them).
_rendered: dict[tuple[str, ...], Markup] = {}
_TABLES_KEPT = 16


def _tables(province: str, period: Period, snapshot: snapshot_svc.Snapshot) -> Markup:
    """The three ranking tables as HTML: rendered once per snapshot and locale in this process, then reused.

    They depend only on the stored rows (never on the account beyond its province, which the key holds), so a
    visit costs the freshness check and the page around them, not 372 rows of template (about 0.3 s of CPU).
    """
    key = (province, period.label, snapshot.computed_at.isoformat(), repr(snapshot.marks), str(get_locale()))
    found = _rendered.get(key)
    if found is not None:
        return found
    rows = {k: snapshot.rows(k) for k in KINDS}
    sections = [{"kind": k, "target": plan_target(k), "rows": rows[k]} for k in KINDS]
    labels = {label for kind_rows in rows.values() for row in kind_rows for label, _value in row.trend}
    # A rendered template: every value in it was escaped by Jinja's autoescape.
    html = Markup(render_template("office/_province_tables.html", sections=sections, period=period,  # noqa: S704
                                  low_n=indices.LOW_N, trend_names={x: period_name(x, _) for x in labels}))
    if len(_rendered) >= _TABLES_KEPT:
        _rendered.pop(next(iter(_rendered)))
    _rendered[key] = html
    return html


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

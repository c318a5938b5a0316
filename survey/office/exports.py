"""Exports of responses and indices as CSV or XLSX, the same files as the CLI, limited to what the account may see."""

from __future__ import annotations

import io
import traceback
from typing import TYPE_CHECKING, Any, cast

from flask import abort, current_app, render_template, request
from flask_babel import gettext as _

from hailong.analysis import flat
from hailong.analysis.periods import Period
from hailong.forms.questionnaire import bundled

from .. import transaction
from ..services import audit, spreadsheet, stats
from ..services import responses as response_svc
from . import bp
from .access import ANYONE, current_ward, roles_required, scope, user, visible_points
from .dashboard import allowed_kinds
from .filters import check_keys, choice_arg, kind_arg, period_arg, period_options

if TYPE_CHECKING:
    import pandas as pd

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WHAT = ("responses", "indices")
FORMATS = ("csv", "xlsx")


def response_labels(columns: list[str]) -> list[str]:
    """Vietnamese headers for the response columns: service fields, statements and questions."""
    labels = {
        "submitted_at": _("Thời điểm gửi"),
        "point": _("Mã điểm khảo sát"),
        "channel": _("Kênh"),
        "questionnaire": _("Phiếu (phiên bản)"),
        "verified": _("Có mã xác thực"),
        "flag_reason": _("Lý do gắn cờ"),
        "comment": _("Ý kiến khác"),
    }
    for q in sorted(bundled().values(), key=lambda q: (q.kind, -q.version)):
        for s in q.statements:
            labels.setdefault(s.code, s.text.vi)
        for question in q.questions:
            labels.setdefault(question.code, question.text.vi)
    return [labels.get(c, c) for c in columns]


def index_labels() -> list[str]:
    """Vietnamese headers for analysis.flat's columns."""
    labels = {
        "period": _("Kỳ"), "kind": _("Loại dịch vụ"), "point": _("Điểm khảo sát"), "level": _("Cấp"),
        "code": _("Mã"), "n": _("Số phiếu"), "index": _("Chỉ số (%)"), "ci_low": _("Cận dưới KTC 95%"),
        "ci_high": _("Cận trên KTC 95%"), "mean": _("Điểm trung bình"), "low_n": _("Ít phiếu"),
        "d1": _("Rất không hài lòng"), "d2": _("Không hài lòng"), "d3": _("Bình thường"), "d4": _("Hài lòng"),
        "d5": _("Rất hài lòng"), "na": _("Không có ý kiến"), "previous_index": _("Chỉ số kỳ trước"),
        "diff": _("Chênh lệch"),
    }
    return [labels.get(c, c) for c in flat.COLUMNS]


@bp.get("/exports")
@roles_required(*ANYONE)
def exports() -> str:
    check_keys(request.args, ("period", "kind"))
    period = period_arg(request.args)
    kinds = allowed_kinds()
    kind = kind_arg(request.args, kinds, None)
    return render_template("office/exports.html", period=period, kind=kind, kinds=kinds,
                           options=period_options(period), limited=scope().limited)


def _point_codes(kind: str | None) -> list[str] | None:
    return [p.code for p in visible_points(kind)] if scope().limited else None


def _index_table(period: Period, kind: str | None) -> pd.DataFrame:
    """The flat table (analysis.flat) of the ward (staff) or of each of the viewer's points."""
    results: list[dict[str, Any]] = []
    ward_id = current_ward().id
    if scope().limited:
        for p in visible_points(kind):
            results.extend(stats.indices_for(period, None, p.code, ward_id=ward_id))
    else:
        kinds = [kind] if kind else allowed_kinds()
        for k in kinds:
            results.extend(stats.indices_for(period, k, ward_id=ward_id))
    return flat.frame(results)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}


@bp.get("/export")
@roles_required(*ANYONE)
def export() -> Any:
    check_keys(request.args, ("what", "format", "period", "kind"))
    what = choice_arg(request.args, "what", WHAT, "responses")
    fmt = choice_arg(request.args, "format", FORMATS, "csv")
    period = period_arg(request.args)
    kind = kind_arg(request.args, allowed_kinds(), None)
    codes = _point_codes(kind)
    name = f"hailong-{what}-{period.label}{'-' + kind if kind else ''}.{fmt}".replace("..", "_")
    actor = user().username
    detail = f"{fmt}; {kind or 'all'}; {'unit ' + (user().unit or '') if codes is not None else 'all points'}"
    try:
        built = _build(what, fmt, period, kind, codes, name)
    except Exception as exc:
        # Audited as what happened: a failure, not an export. The exception's message may quote a citizen's
        # comment, so the log gets its type and where it was raised, never its text.
        transaction.start_over()
        audit.record(actor, f"export.{what}.failed", period.label, f"{detail}; {type(exc).__name__}")
        transaction.keep_on_error()
        current_app.logger.error("export failed: %s\n%s", type(exc).__name__,
                                 "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        abort(500)
    audit.record(actor, f"export.{what}", period.label, detail)
    return built


def _build(what: str, fmt: str, period: Period, kind: str | None, codes: list[str] | None, name: str) -> Any:
    """The export's whole file as a response, built before anything is audited."""
    if what == "indices":
        table = _index_table(period, kind)
        if fmt == "csv":
            out = io.StringIO()
            spreadsheet.write_csv_rows(out, list(table.columns), table.itertuples(index=False, name=None))
            return current_app.response_class("\ufeff" + out.getvalue(), mimetype="text/csv",
                                              headers=_attachment(name))
        buf = io.BytesIO()
        # Numbers stay numbers in the sheet; texts (codes we generated) are guarded like every other cell.
        cells = cast(list[dict[str, Any]], table.to_dict("records"))
        spreadsheet.write_xlsx(buf, cells, list(table.columns), index_labels())
        return current_app.response_class(buf.getvalue(), mimetype=XLSX_MIME, headers=_attachment(name))

    columns = response_svc.export_columns([kind] if kind else None)
    found = response_svc.export_rows(day_range=period.day_keys(), kind=kind, point_codes=codes,
                                     ward_ids=[current_ward().id])
    if fmt == "xlsx":
        buf = io.BytesIO()
        spreadsheet.write_xlsx(buf, found, columns, response_labels(columns))
        return current_app.response_class(buf.getvalue(), mimetype=XLSX_MIME, headers=_attachment(name))
    text = io.StringIO()
    text.write("\ufeff")  # so Excel opens Vietnamese text correctly; the importer accepts it
    spreadsheet.write_csv(text, found, columns)
    return current_app.response_class(text.getvalue(), mimetype="text/csv", headers=_attachment(name))

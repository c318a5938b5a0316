"""Citizens' comments: read and search them; reviewers mark them handled and flag suspicious responses."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..models import Submission
from ..services import comments as comment_svc
from . import bp
from .access import ANYONE, STAFF, current_ward, require_point, roles_required, safe_next, scope, user
from .dashboard import allowed_kinds
from .filters import check_keys, choice_arg, int_arg, kind_arg, period_arg, period_options, point_arg


@bp.get("/comments")
@roles_required(*ANYONE)
def comments() -> str:
    check_keys(request.args, ("period", "kind", "point", "q", "status", "page"))
    period = period_arg(request.args)
    kinds = allowed_kinds()
    kind = kind_arg(request.args, kinds, None)
    status = comment_svc.Status(choice_arg(request.args, "status", [s.value for s in comment_svc.Status], "all"))
    point_id = point_arg(request.args)
    point = require_point(point_id) if point_id is not None else None
    ids = [point.id] if point else scope().ids()
    text = request.args.get("q", "")
    if len(text) > comment_svc.SEARCH_MAX:
        abort(400, _("Từ khóa tìm kiếm tối đa %(n)s ký tự.", n=comment_svc.SEARCH_MAX))
    found = comment_svc.search(
        period, kinds=[kind] if kind else kinds, point_ids=ids, text=text, status=status,
        page=int_arg(request.args, "page", 1),
    )
    return render_template(
        "office/comments.html", page=found, period=period, kind=kind, kinds=kinds, status=status.value,
        q=text, point=point, options=period_options(period), can_edit=user().role in STAFF,
        statuses=[("all", _("Tất cả")), ("open", _("Chưa xử lý")), ("handled", _("Đã xử lý")),
                  ("flagged", _("Bị gắn cờ"))],
    )


def _response(response_id: int) -> Submission:
    found = comment_svc.get(response_id, current_ward().id)
    if found is None:
        abort(404, _("Không có phiếu này."))
    return found[0]


def _back() -> Response:
    return redirect(safe_next(request.form.get("next")) or url_for(".comments"), code=303)


@bp.post("/comments/<row_id:response_id>/handled")
@roles_required(*STAFF)
def comment_handled(response_id: int) -> Response:
    response = _response(response_id)
    action = request.form.get("action", "handle")
    if action not in ("handle", "reopen"):
        abort(400, _("Thao tác không hợp lệ."))
    try:
        comment_svc.mark_handled(response, user().username, request.form.get("note", ""), handled=action == "handle")
    except comment_svc.CommentError as exc:
        abort(400, str(exc))
    flash(_("Đã đánh dấu ý kiến là đã xử lý.") if action == "handle" else _("Đã mở lại ý kiến."), "success")
    return _back()


@bp.post("/responses/<row_id:response_id>/flag")
@roles_required(*STAFF)
def response_flag(response_id: int) -> Response:
    response = _response(response_id)
    try:
        comment_svc.flag(response, user().username, request.form.get("reason", ""))
    except comment_svc.CommentError as exc:
        abort(400, str(exc))
    flash(_("Đã gắn cờ phiếu: phiếu được giữ lại nhưng không tính vào chỉ số."), "success")
    return _back()


@bp.post("/responses/<row_id:response_id>/unflag")
@roles_required(*STAFF)
def response_unflag(response_id: int) -> Response:
    response = _response(response_id)
    comment_svc.unflag(response, user().username)
    flash(_("Đã bỏ gắn cờ: phiếu được tính lại vào chỉ số."), "success")
    return _back()

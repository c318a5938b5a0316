"""PAKN tracking for citizens: /tra-cuu takes a typed code, /tra-cuu/<code> shows the state, the deadline and,
once published, the masked reply, which the citizen may rate once and, within 30 days, reopen.

The code is the only key: nothing of another item is ever shown, an unknown code is a friendly 404, and wrong
codes are rate-limited per network (only lookups that fail count, so a citizen checking often is never refused).
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db, limiter
from ..models import PaknItem, PaknStatus, ServicePoint
from ..services import antiabuse
from ..services import pakn as pakn_svc
from . import bp

Page = str | tuple[str, int] | Response


def tracking_limit() -> str:
    return str(current_app.config["HAILONG_RATELIMIT_TRACKING"])


def _network() -> str:
    """The limit's key: a keyed hash of the address that changes daily (never the address itself)."""
    return f"tra-cuu:{antiabuse.address_hash(request.remote_addr or '-')}"


def _missed(response: Response) -> bool:
    return response.status_code == 404


def _private(page: str, status: int = 200) -> Response:
    response = current_app.make_response((page, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _lookup_page(typed: str = "", missing: bool = False) -> Response:
    page = render_template("public/lookup.html", typed=typed[:40], missing=missing)
    return _private(page, 404 if missing else 200)


@bp.route("/tra-cuu", methods=["GET", "POST"])
@limiter.shared_limit(tracking_limit, scope="tra-cuu", key_func=_network, deduct_when=_missed)
def lookup() -> Response:
    if request.method != "POST":
        return _lookup_page()
    typed = request.form.get("code", "")
    code = pakn_svc.normalize_code(typed)
    item = pakn_svc.find_by_code(code) if code else None
    if item is None or code is None:
        return _lookup_page(typed, missing=True)
    return redirect(url_for(".tracking", code=pakn_svc.format_code(code)), code=303)


def _item(code: str) -> tuple[PaknItem, str]:
    normal = pakn_svc.normalize_code(code)
    item = pakn_svc.find_by_code(normal) if normal else None
    if item is None or normal is None:
        abort(404)
    return item, pakn_svc.format_code(normal)


def _page(item: PaknItem, code: str, *, new: bool = False, notice: str | None = None, error: str | None = None,
          status: int = 200) -> Response:
    point = db.session.get(ServicePoint, item.point_id) if item.point_id else None
    citizen = pakn_svc.Actor.citizen()
    can = pakn_svc.allowed(item, citizen)
    page = render_template(
        "public/tracking.html", item=item, code=code, new=new, point=point, notice=notice, error=error,
        status_label=pakn_svc.status_label(item.status), category=pakn_svc.category_label(item.category),
        received=pakn_svc.local_date(item.received_at), published_on=pakn_svc.local_date(item.published_at)
        if item.published_at else None, question=pakn_svc.masked(item, item.text),
        can_rate="rate" in can, can_reopen="reopen" in can, S=PaknStatus, reopen_days=pakn_svc.REOPEN_DAYS,
        steps=_steps(item),
    )
    return _private(page, status)


def _steps(item: PaknItem) -> list[tuple[str, bool]]:
    """The citizen's view of the way: received, classified, being handled, replied (done or not)."""
    s = item.status
    handled = s in (PaknStatus.ASSIGNED, PaknStatus.IN_PROGRESS, PaknStatus.PENDING, PaknStatus.PUBLISHED,
                    PaknStatus.CLOSED, PaknStatus.REOPENED)
    return [
        (_("Đã tiếp nhận"), True),
        (_("Đã phân loại"), s != PaknStatus.NEW),
        (_("Đang xử lý"), handled),
        (_("Đã trả lời"), item.published_at is not None),
    ]


@bp.get("/tra-cuu/<code>")
@limiter.shared_limit(tracking_limit, scope="tra-cuu", key_func=_network, deduct_when=_missed)
def tracking(code: str) -> Response:
    item, shown = _item(code)
    return _page(item, shown, new=request.args.get("moi") == "1")


@bp.post("/tra-cuu/<code>/danh-gia")
@limiter.shared_limit(tracking_limit, scope="tra-cuu", key_func=_network, deduct_when=_missed)
def rate(code: str) -> Response:
    item, shown = _item(code)
    choice = request.form.get("rating", "")
    if choice not in ("satisfied", "unsatisfied"):
        return _page(item, shown, error=_("Vui lòng chọn Hài lòng hoặc Không hài lòng."), status=400)
    try:
        pakn_svc.rate(item, choice == "satisfied", request.form.get("reason", ""))
    except pakn_svc.PaknError as exc:
        return _page(item, shown, error=str(exc), status=400)
    return _page(item, shown, notice=_("Cảm ơn Ông/Bà đã đánh giá câu trả lời."))


@bp.post("/tra-cuu/<code>/mo-lai")
@limiter.shared_limit(tracking_limit, scope="tra-cuu", key_func=_network, deduct_when=_missed)
def reopen(code: str) -> Response:
    item, shown = _item(code)
    try:
        pakn_svc.reopen(item, request.form.get("reason", ""))
    except pakn_svc.PaknError as exc:
        return _page(item, shown, error=str(exc), status=400)
    return _page(item, shown, notice=_("Phản ánh đã được mở lại. Phường sẽ xem xét và trả lời lại Ông/Bà."))


@bp.errorhandler(404)
def not_found(_e: Exception) -> Response:
    """An unknown code: the lookup form again, with a friendly word (nothing about any other item)."""
    code = (request.view_args or {}).get("code", "")
    return _lookup_page(str(code), missing=True)


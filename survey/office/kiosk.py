"""Kiosk tablets, desks and their roster, and the officer ratings: admins only.

Officers' results are personnel data: every page here answers 404 to reviewers and viewers (not even the page's
existence is shown), and nothing here reaches the public pages or the exports.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from hailong.analysis import officers as officer_figures

from ..extensions import db, login_manager
from ..models import Desk, Role, ServicePoint
from ..services import audit, posters
from ..services import kiosk as kiosk_svc
from ..services import officers as officer_svc
from ..services import points as point_svc
from . import bp
from .access import current_ward, user
from .filters import check_keys, period_arg, period_options

F = TypeVar("F", bound=Callable[..., Any])


def admins_only(view: F) -> F:
    """Signed-in admins only; any other account gets 404, as if the page did not exist."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if current_user.role != Role.ADMIN.value:
            abort(404)
        return view(*args, **kwargs)

    wrapped.roles = (Role.ADMIN.value,)  # type: ignore[attr-defined]
    return cast(F, wrapped)


def _point(point_id: str) -> ServicePoint:
    point = db.session.get(ServicePoint, int(point_id)) if point_id.isascii() and point_id.isdigit() and \
        len(point_id) < 10 else None
    if point is None or point.organisation_id != current_ward().id:
        abort(400, _("Vui lòng chọn một điểm khảo sát trong danh sách."))
    return point


def _desk(desk_id: int) -> Desk:
    desk = officer_svc.find_desk(current_ward(), desk_id)
    if desk is None:
        abort(404, _("Không có quầy này."))
    return desk


# --- kiosk tablets ------------------------------------------------------------------------------


def _kiosk_page(status: int = 200, error: str | None = None, code: str | None = None,
                name: str = "") -> tuple[str, int]:
    ward = current_ward()
    return render_template(
        "office/kiosk.html", devices=kiosk_svc.devices(ward), waiting=kiosk_svc.waiting_pairings(ward),
        points=point_svc.all_points(active_only=True, ward=ward), desks=officer_svc.desks(ward), error=error,
        code=code, name=name, minutes=kiosk_svc.PAIRING_MINUTES,
        kiosk_url=current_app.config["HAILONG_BASE_URL"].rstrip("/") + "/kiosk",
    ), status


@bp.get("/kiosk")
@admins_only
def kiosk_devices() -> tuple[str, int]:
    check_keys(request.args, ())
    return _kiosk_page()


@bp.post("/kiosk/ghep")
@admins_only
def kiosk_pairing() -> tuple[str, int]:
    """A new pairing code, shown once on this page (it is stored only as a hash)."""
    target = request.form.get("target", "")
    name = request.form.get("name", "")
    ward = current_ward()
    desk: Desk | None = None
    if target.startswith("d:"):
        desk = _desk(int(target[2:])) if target[2:].isascii() and target[2:].isdigit() and len(target) < 12 else None
        if desk is None:
            abort(400, _("Vui lòng chọn một điểm khảo sát trong danh sách."))
        point = desk.point
    else:
        point = _point(target[2:] if target.startswith("p:") else "")
    try:
        _pairing, code = kiosk_svc.create_pairing(ward, user().username, point, desk, name)
    except kiosk_svc.KioskError as exc:
        return _kiosk_page(400, str(exc), name=name[:80])
    return _kiosk_page(code=code, name=name)


@bp.post("/kiosk/may/<row_id:device_id>/thu-hoi")
@admins_only
def kiosk_revoke(device_id: int) -> Response:
    ward = current_ward()
    device = kiosk_svc.find_device(ward, device_id)
    if device is None:
        abort(404, _("Không có máy này."))
    if kiosk_svc.revoke(ward, user().username, device):
        flash(_("Đã thu hồi máy “%(name)s”. Máy sẽ không nhận đánh giá nữa.", name=device.name), "success")
    else:
        flash(_("Máy “%(name)s” đã bị thu hồi từ trước.", name=device.name), "info")
    return redirect(url_for(".kiosk_devices"), code=303)


# --- desks and roster ---------------------------------------------------------------------------


def _desks_page(status: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> tuple[str, int]:
    ward = current_ward()
    entries: dict[int, list[Any]] = {}
    for entry in officer_svc.roster(ward):
        entries.setdefault(entry.desk_id, []).append(entry)
    base = current_app.config["HAILONG_BASE_URL"]
    return render_template(
        "office/desks.html", desks=officer_svc.desks(ward), entries=entries, error=error, form=form or {},
        points=point_svc.all_points(active_only=True, ward=ward), on_duty=officer_svc.on_duty,
        desk_url=lambda d: f"{point_svc.point_url(base, d.point)}/quay/{d.code}",
    ), status


@bp.get("/quay")
@admins_only
def desks() -> tuple[str, int]:
    check_keys(request.args, ())
    return _desks_page()


@bp.post("/quay")
@admins_only
def desk_create() -> Any:
    form = {k: request.form.get(k, "")[:300] for k in ("point", "code", "name")}
    try:
        desk = officer_svc.create_desk(current_ward(), user().username, _point(form["point"]), form["code"],
                                       form["name"])
    except officer_svc.OfficerError as exc:
        return _desks_page(400, str(exc), form)
    flash(_("Đã thêm quầy “%(name)s”.", name=desk.name), "success")
    return redirect(url_for(".desks"), code=303)


def _duty_form() -> tuple[dict[str, str], officer_svc.Duty | str]:
    form = {k: request.form.get(k, "")[:300] for k in ("officer_name", "officer_title", "start_day", "end_day")}
    try:
        return form, officer_svc.duty(form["officer_name"], form["officer_title"], form["start_day"], form["end_day"])
    except officer_svc.OfficerError as exc:
        return form, str(exc)


@bp.post("/quay/<row_id:desk_id>/phan-cong")
@admins_only
def roster_add(desk_id: int) -> Any:
    desk = _desk(desk_id)
    form, what = _duty_form()
    if isinstance(what, str):
        return _desks_page(400, what, {**form, "desk": str(desk.id)})
    officer_svc.add_duty(current_ward(), user().username, desk, what)
    flash(_("Đã ghi phân công cho %(desk)s.", desk=desk.name), "success")
    return redirect(url_for(".desks"), code=303)


@bp.post("/phan-cong/<row_id:entry_id>")
@admins_only
def roster_change(entry_id: int) -> Any:
    ward = current_ward()
    entry = officer_svc.find_entry(ward, entry_id)
    if entry is None:
        abort(404, _("Không có dòng phân công này."))
    if request.form.get("action") == "delete":
        officer_svc.remove_duty(ward, user().username, entry)
        flash(_("Đã xoá dòng phân công."), "success")
        return redirect(url_for(".desks"), code=303)
    _form, what = _duty_form()
    if isinstance(what, str):
        return _desks_page(400, what)
    changed = officer_svc.change_duty(ward, user().username, entry, what)
    flash(_("Đã sửa dòng phân công.") if changed else _("Không có gì thay đổi."), "success")
    return redirect(url_for(".desks"), code=303)


@bp.get("/quay/ap-phich.pdf")
@admins_only
def desk_posters() -> Response:
    check_keys(request.args, ())
    chosen = [d for d in officer_svc.desks(current_ward()) if d.active and d.point.active]
    if not chosen:
        abort(404, _("Chưa có quầy nào để in áp phích."))
    pdf = posters.render_desk_pdf(chosen, current_app.config["HAILONG_BASE_URL"])
    audit.record(user().username, "posters.desks", None, f"{len(chosen)} quầy")
    return current_app.response_class(
        pdf, mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="ma-qr-cac-quay.pdf"', "Cache-Control": "no-store"},
    )


# --- results ------------------------------------------------------------------------------------


@bp.get("/can-bo")
@admins_only
def officer_results() -> tuple[str, int]:
    check_keys(request.args, ("period",))
    period = period_arg(request.args)
    found = officer_svc.results(current_ward(), period)
    return render_template(
        "office/officers.html", period=period, options=period_options(period), results=found,
        min_n=officer_figures.MIN_N, levels=officer_figures.LEVELS, level_label=officer_svc.level_label,
    ), 200

"""Service points for admins: create, rename, deactivate, rotate the code, QR codes and posters."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hailong.forms.questionnaire import KINDS

from ..extensions import db
from ..models import ServicePoint
from ..services import audit, posters
from ..services import point_admin as manage
from ..services import points as point_svc
from . import bp
from .access import ADMIN, current_ward, owned, roles_required, user
from .filters import check_keys


def _page(status: int = 200, error: str | None = None, form: dict[str, str] | None = None) -> tuple[str, int]:
    base = current_app.config["HAILONG_BASE_URL"]
    return render_template(
        "office/points.html", points=point_svc.all_points(ward=current_ward()), kinds=KINDS, error=error,
        form=form or {},
        url_of=lambda p: point_svc.point_url(base, p),
    ), status


def _point(point_id: int) -> ServicePoint:
    point: ServicePoint = owned(db.session.get(ServicePoint, point_id), _("Không có điểm khảo sát này."))
    return point


@bp.get("/points")
@roles_required(*ADMIN)
def points() -> tuple[str, int]:
    check_keys(request.args, ())
    return _page()


@bp.post("/points")
@roles_required(*ADMIN)
def point_create() -> Any:
    form = {k: request.form.get(k, "") for k in ("code", "name", "kind", "unit")}
    try:
        point = manage.create(user().username, form["code"], form["name"], form["kind"], form["unit"],
                              ward=current_ward())
    except point_svc.PointError as exc:
        return _page(400, str(exc), form)
    flash(_("Đã tạo điểm khảo sát “%(name)s” (mã %(code)s).", name=point.name, code=point.code), "success")
    return redirect(url_for(".points"), code=303)


@bp.post("/points/<row_id:point_id>/rename")
@roles_required(*ADMIN)
def point_rename(point_id: int) -> Any:
    point = _point(point_id)
    try:
        manage.rename(user().username, point, request.form.get("name", ""))
    except point_svc.PointError as exc:
        return _page(400, str(exc))
    flash(_("Đã đổi tên điểm thành “%(name)s”.", name=point.name), "success")
    return redirect(url_for(".points"), code=303)


@bp.post("/points/<row_id:point_id>/active")
@roles_required(*ADMIN)
def point_active(point_id: int) -> Response:
    point = _point(point_id)
    value = request.form.get("active")
    if value not in ("0", "1"):
        abort(400, _("Thao tác không hợp lệ."))
    manage.set_active(user().username, point, value == "1")
    if point.active:
        flash(_("Đã mở lại điểm “%(name)s”: mã QR hoạt động trở lại.", name=point.name), "success")
    else:
        flash(_("Đã ngừng điểm “%(name)s”: mã QR không mở phiếu nữa, các phiếu đã gửi vẫn được giữ.",
                name=point.name), "success")
    return redirect(url_for(".points"), code=303)


@bp.post("/points/<row_id:point_id>/rotate")
@roles_required(*ADMIN)
def point_rotate(point_id: int) -> Response:
    point = _point(point_id)
    old = point.code
    new = manage.rotate(user().username, point)
    flash(_("Đã đổi mã điểm từ %(old)s sang %(new)s. Mã QR cũ không còn mở phiếu; hãy in và dán mã QR mới.",
            old=old, new=new), "success")
    return redirect(url_for(".points"), code=303)


@bp.get("/points/<row_id:point_id>/qr.<fmt>")
@roles_required(*ADMIN)
def point_qr(point_id: int, fmt: str) -> Response:
    check_keys(request.args, ())
    point = _point(point_id)
    url = point_svc.point_url(current_app.config["HAILONG_BASE_URL"], point)
    if fmt == "svg":
        body, mimetype = point_svc.qr_svg(url), "image/svg+xml"
    elif fmt == "png":
        body, mimetype = point_svc.qr_png(url), "image/png"
    else:
        abort(404, _("Chỉ có mã QR dạng SVG hoặc PNG."))
    return current_app.response_class(
        body, mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="qr-{point.code}.{fmt}"'},
    )


@bp.get("/points/posters.pdf")
@roles_required(*ADMIN)
def point_posters() -> Response:
    check_keys(request.args, ())
    active = point_svc.all_points(active_only=True, ward=current_ward())
    pdf = posters.render_pdf(active, current_app.config["HAILONG_BASE_URL"])
    audit.record(user().username, "posters.pdf", None, f"{len(active)} điểm")
    return current_app.response_class(
        pdf, mimetype="application/pdf",
        headers={"Content-Disposition": 'attachment; filename="ma-qr-cac-diem.pdf"', "Cache-Control": "no-store"},
    )

"""The PAKN form of a service point, /s/<code>/phan-anh: a category, the text, an optional contact behind consent.

Same anti-abuse as the survey: a signed key per served form (one item per form, a retry gives the same item and
code), a honeypot and a minimum fill time that flag (never drop), and a rate limit per network and point. Any
refusal sends the form back with everything typed kept.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from ..extensions import csrf, limiter
from ..models import PaknChannel, ServicePoint
from ..services import antiabuse
from ..services import pakn as pakn_svc
from ..services import points as point_svc
from . import bp

FIELDS = ("category", "text", "contact_name", "contact_phone", "contact_email")
ALLOWED = frozenset({*FIELDS, "consent", "website", "form_key", "csrf_token", "lang"})
Page = str | tuple[str, int] | Response


def pakn_limit() -> str:
    return str(current_app.config["HAILONG_RATELIMIT_PAKN"])


def _point(code: str) -> ServicePoint:
    point = point_svc.find_active(code)
    if point is None:
        abort(404)
    return point


def _render(point: ServicePoint, values: dict[str, str], errors: dict[str, str], notice: str | None = None,
            key: str | None = None) -> str:
    return render_template(
        "respond/pakn_form.html", point=point, values=values, errors=errors, notice=notice,
        categories=pakn_svc.categories(point.kind), form_key=key or pakn_svc.issue_form_key(point.id),
        text_max=pakn_svc.TEXT_MAX, contact_days=current_app.config["HAILONG_PAKN_CONTACT_DAYS"],
        locale=str(get_locale() or "vi"), csrf=generate_csrf(),
    )


@bp.route("/s/<citizen:code>/phan-anh", methods=["GET", "POST"])
@limiter.limit(pakn_limit, key_func=antiabuse.limit_key, methods=["POST"])
@csrf.exempt  # checked below, so a refused citizen gets the form back with the text kept
def pakn_form(code: str) -> Page:
    point = _point(code)
    if request.method != "POST":
        return _render(point, {}, {})
    return _submit(point)


def _values() -> dict[str, str]:
    return {name: request.form.get(name, "") for name in FIELDS} | {"consent": request.form.get("consent", "")}


def _submit(point: ServicePoint) -> Page:
    values = _values()
    key = request.form.get("form_key") or None
    issued = pakn_svc.form_key_time(key, point.id)
    notice = None
    if request.files or set(request.form) - ALLOWED or any(len(request.form.getlist(n)) > 1 for n in request.form):
        notice = _("Biểu mẫu có trường không hợp lệ (có thể trang đã cũ). Nội dung Ông/Bà đã nhập vẫn được giữ nguyên "
                   "bên dưới. Vui lòng xem lại rồi bấm “Gửi phản ánh” lại.")
    else:
        try:
            csrf.protect()
        except CSRFError:
            notice = _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ. Nội dung Ông/Bà đã nhập vẫn được giữ nguyên "
                       "bên dưới. Vui lòng bấm “Gửi phản ánh” lại.")
    if notice is None and issued is None:
        notice = _("Phản ánh chưa gửi được vì trang đã mở quá lâu hoặc không đúng. Nội dung Ông/Bà đã nhập vẫn được "
                   "giữ nguyên bên dưới. Vui lòng bấm “Gửi phản ánh” lại.")
    if notice is not None:
        return _render(point, values, {}, notice, key if issued is not None else None), 400
    assert key is not None and issued is not None
    now = datetime.now(UTC)
    found = []
    if request.form.get("website", "").strip():
        found.append(_("điền vào trường ẩn chống máy tự động"))
    elapsed = int((now - issued).total_seconds())
    if elapsed < antiabuse.min_fill_seconds():
        found.append(_("gửi quá nhanh (%(n)s giây)", n=max(elapsed, 0)))
    intake = pakn_svc.Intake(
        ward=point.organisation, category=values["category"], text=values["text"],
        channel=PaknChannel.FORM.value, received_at=now, point=point,
        contact_name=values["contact_name"], contact_phone=values["contact_phone"],
        contact_email=values["contact_email"], consent=values["consent"] == "yes",
        flag_reason=antiabuse.flag_reason(found), form_key=key,
    )
    if errors := pakn_svc.check(intake):
        messages = {e.field or "text": str(e) for e in reversed(errors)}
        return _render(point, values, messages, key=key), 422
    _item, code = pakn_svc.register(intake)
    assert code is not None
    return redirect(url_for("public.tracking", code=pakn_svc.format_code(code), moi=1), code=303)


def refused(e: HTTPException) -> Page:
    """Over the rate limit: the form again with the text kept, to send a little later."""
    point = point_svc.find_active(str((request.view_args or {}).get("code", "")))
    if point is None or request.method != "POST":
        from ..errors import http_error_page

        return http_error_page(e)
    notice = _("Phản ánh chưa gửi được vì có quá nhiều lượt gửi từ cùng một mạng trong ít phút. Nội dung Ông/Bà đã "
               "nhập vẫn được giữ nguyên bên dưới. Vui lòng chờ khoảng một phút rồi bấm “Gửi phản ánh” lại.")
    key = request.form.get("form_key")
    return _render(point, _values(), {}, notice, key if pakn_svc.form_key_time(key, point.id) else None), 429

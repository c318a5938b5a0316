"""Kiosk tablets at the counter, and the three-level officer rating of a desk on a citizen's phone.

A tablet is paired once (/kiosk/ghep, a code from the office) and then shows /kiosk: the quick rating of the
officer serving its desk (three very large buttons, optional reasons), then, if the citizen wants, the full paged
survey (/kiosk/phieu/<code>, the same pages, drafts and checks as the phone form through a FormStyle, channel
`kiosk`). It resets itself without JavaScript: the thank-you page goes back to the start after IDLE["thanks"]
seconds (meta refresh), a form page after IDLE["form"] seconds through /kiosk/moi, which discards the form's
draft, so nothing of one citizen's answers is left for the next (and every kiosk page is sent `no-store`, so the
browser's Back asks the server again and finds nothing).

A desk's QR poster opens /s/<point>/quay/<desk> on the citizen's own phone: the same rating, channel `qr`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from flask import abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.wrappers import Response

from ..extensions import csrf, limiter
from ..models import Channel, Desk, KioskDevice, ServicePoint
from ..services import antiabuse, drafts
from ..services import kiosk as kiosk_svc
from ..services import officers as officer_svc
from ..services import points as point_svc
from . import bp
from .views import STYLES, FormStyle, Page, serve_form

#: Seconds before a kiosk page goes back to the start by itself: the thank-you page, a form page, the start page
#: (which reloads, so reasons ticked and left are cleared and its protection code stays fresh).
IDLE = {"thanks": 8, "form": 120, "start": 120}
KIOSK_ENDPOINTS = ("respond.kiosk", "respond.kiosk_pair", "respond.kiosk_thanks", "respond.kiosk_form",
                   "respond.kiosk_form_thanks", "respond.kiosk_reset", "respond.desk_rating", "respond.desk_thanks")


@bp.app_template_global()
def kiosk_idle(what: str) -> int:
    return IDLE[what]


def _device_reasons(now: datetime) -> list[str]:
    device: KioskDevice | None = g.get("kiosk_device")
    return kiosk_svc.reasons(device, now) if device is not None else []


KIOSK = FormStyle("respond.kiosk_form", "respond/kiosk_form.html", Channel.KIOSK.value, "respond.kiosk_form_thanks",
                  device_reasons=_device_reasons)
STYLES[KIOSK.endpoint] = KIOSK


@bp.after_request
def _no_store(response: Response) -> Response:
    """A kiosk page is never kept by the browser: Back after a reset asks the server, which has nothing left."""
    if request.endpoint in KIOSK_ENDPOINTS:
        response.headers["Cache-Control"] = "no-store"
    return response


def _device() -> KioskDevice | Page:
    """This tablet's device, or the page to show instead (pairing; revoked; its point stopped)."""
    device = kiosk_svc.device_of(request.cookies.get(kiosk_svc.COOKIE))
    if device is None:
        return redirect(url_for("respond.kiosk_pair"), code=303)
    if device.revoked_at is not None:
        return render_template("respond/kiosk_message.html", title=_("Máy đã bị thu hồi"), message=_(
            "Máy tính bảng này đã bị thu hồi khỏi hệ thống khảo sát nên không nhận đánh giá nữa. Vui lòng báo cán bộ "
            "văn phòng tạo mã ghép mới rồi ghép lại máy."), pair=True), 403
    if not device.point.active:
        return render_template("respond/kiosk_message.html", title=_("Điểm khảo sát đã ngừng"), message=_(
            "Điểm khảo sát của máy này đã ngừng nhận ý kiến. Vui lòng báo cán bộ văn phòng."), pair=True), 410
    g.kiosk_device = device
    kiosk_svc.seen(device)
    return device


# --- pairing ------------------------------------------------------------------------------------


def _pairing_key() -> str:
    return "kiosk-pair:" + antiabuse.address_hash(request.remote_addr or "-")


@bp.route("/kiosk/ghep", methods=["GET", "POST"])
@limiter.limit(kiosk_svc.PAIRING_ATTEMPTS, key_func=_pairing_key, methods=["POST"])
def kiosk_pair() -> Page:
    if request.method == "GET":
        return render_template("respond/kiosk_pair.html", error=None)
    try:
        _device_row, cookie = kiosk_svc.redeem(request.form.get("code", "")[:20])
    except kiosk_svc.KioskError as exc:
        return render_template("respond/kiosk_pair.html", error=str(exc)), 400
    done = redirect(url_for("respond.kiosk"), code=303)
    done.set_cookie(kiosk_svc.COOKIE, cookie, max_age=kiosk_svc.COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                    secure=request.is_secure or current_app.config.get("HAILONG_ENV") == "production")
    return done


# --- the rating (kiosk and phone) ---------------------------------------------------------------


def _rating_page(point: ServicePoint, desk: Desk | None, action: str, kiosk: bool, status: int = 200,
                 notice: str | None = None, rating: Mapping[str, object] | None = None) -> Page:
    officer = officer_svc.on_duty(desk) if desk is not None else None
    return render_template(
        "respond/rate.html", point=point, desk=desk, officer=officer, kiosk=kiosk, action=action, notice=notice,
        key=antiabuse.issue_form_key(point.id), csrf_value=generate_csrf(), reasons=officer_svc.REASONS,
        reason_label=officer_svc.reason_label, rating=rating or {},
        full_url=url_for("respond.kiosk_form" if kiosk else "respond.questionnaire",
                         code=point_svc.citizen_code(point)),
    ), status


def _rate(point: ServicePoint, desk: Desk | None, device: KioskDevice | None) -> Page | None:
    """Store a posted rating (None) or the page again with a notice and what was chosen kept."""
    kiosk = device is not None
    action = request.path
    kept = {"reasons": request.form.getlist("reason"), "comment": request.form.get("comment", "")[:2000]}
    try:
        csrf.protect()
    except CSRFError:
        return _rating_page(point, desk, action, kiosk, 400, _(
            "Trang đã mở quá lâu nên chưa nhận được đánh giá. Vui lòng bấm lại mức đánh giá của Ông/Bà."), kept)
    key = request.form.get("submission_key", "")
    if antiabuse.form_key_time(key, point.id) is None:
        return _rating_page(point, desk, action, kiosk, 400, _(
            "Trang đã cũ nên chưa nhận được đánh giá. Vui lòng bấm lại mức đánh giá của Ông/Bà."), kept)
    try:
        rating = officer_svc.parse_rating(request.form.get("level"), request.form.getlist("reason"),
                                          request.form.get("comment"))
    except officer_svc.OfficerError as exc:
        return _rating_page(point, desk, action, kiosk, 422, str(exc), kept)
    now = datetime.now(UTC)
    if device is not None:
        found = kiosk_svc.reasons(device, now)
    else:
        # A phone: the same browser rating this desk again today is flagged (the desk's id, negative, in the
        # per-browser mark of the points answered today).
        seen = antiabuse.seen_today(request.cookies.get(antiabuse.SEEN_COOKIE), now)
        found = [_("trùng trình duyệt trong ngày")] if desk is not None and -desk.id in seen else []
    officer_svc.rate(point, desk, rating, key, Channel.KIOSK.value if kiosk else Channel.QR.value, device, found, now)
    return None


@bp.route("/kiosk", methods=["GET", "POST"])
@csrf.exempt  # checked in _rate, so a page left open too long asks for the tap again instead of an error page
def kiosk() -> Page:
    device = _device()
    if not isinstance(device, KioskDevice):
        return device
    if request.method == "POST":
        page = _rate(device.point, device.desk, device)
        if page is not None:
            return page
        return redirect(url_for("respond.kiosk_thanks"), code=303)
    return _rating_page(device.point, device.desk, url_for("respond.kiosk"), True)


def _kiosk_thanks_page(device: KioskDevice, full: bool) -> Page:
    return render_template("respond/kiosk_thanks.html", point=device.point, offer_full=not full,
                           full_url=url_for("respond.kiosk_form", code=point_svc.citizen_code(device.point)))


@bp.get("/kiosk/cam-on")
def kiosk_thanks() -> Page:
    device = _device()
    return _kiosk_thanks_page(device, False) if isinstance(device, KioskDevice) else device


@bp.route("/kiosk/phieu/<citizen:code>", methods=["GET", "POST"])
@limiter.limit(antiabuse.post_limit, key_func=antiabuse.post_limit_key, methods=["POST"])
@csrf.exempt  # checked by the form's own refusal, as on the phone
def kiosk_form(code: str) -> Page:
    device = _device()
    if not isinstance(device, KioskDevice):
        return device
    own = point_svc.citizen_code(device.point)
    if code != own:
        # The tablet's point only (its code may have been changed since the page was opened).
        if request.method == "POST":
            abort(404)
        return redirect(url_for("respond.kiosk_form", code=own), code=303)
    return serve_form(code)


@bp.get("/kiosk/phieu/<citizen:code>/cam-on")
def kiosk_form_thanks(code: str) -> Page:
    device = _device()
    return _kiosk_thanks_page(device, True) if isinstance(device, KioskDevice) else device


@bp.get("/kiosk/moi")
def kiosk_reset() -> Page:
    """Back to the start: the unsent form's draft (by its key, of this tablet's point only) is deleted."""
    device = _device()
    if not isinstance(device, KioskDevice):
        return device
    key = request.args.get("k", "")[:64]
    if antiabuse.form_key_time(key, device.point_id) is not None:
        draft = drafts.find(device.point_id, key)
        if draft is not None:
            drafts.discard(draft)
    return redirect(url_for("respond.kiosk"), code=303)


# --- a desk's QR code on the citizen's phone ------------------------------------------------------


def _desk(code: str, desk_code: str) -> tuple[ServicePoint, Desk]:
    point = point_svc.find_active(code)
    desk = officer_svc.desk_at(point, desk_code) if point is not None else None
    if point is None or desk is None:
        abort(404)
    return point, desk


@bp.route("/s/<citizen:code>/quay/<desk_code>", methods=["GET", "POST"])
@limiter.limit(antiabuse.submit_limit, key_func=antiabuse.limit_key, methods=["POST"])
@csrf.exempt  # checked in _rate
def desk_rating(code: str, desk_code: str) -> Page:
    point, desk = _desk(code, desk_code)
    if request.method == "GET":
        return _rating_page(point, desk, request.path, False)
    page = _rate(point, desk, None)
    if page is not None:
        return page
    done = redirect(url_for("respond.desk_thanks", code=point_svc.citizen_code(point), desk_code=desk.code), code=303)
    now = datetime.now(UTC)
    antiabuse.remember(done, -desk.id, request.cookies.get(antiabuse.SEEN_COOKIE), now)
    return done


@bp.get("/s/<citizen:code>/quay/<desk_code>/cam-on")
def desk_thanks(code: str, desk_code: str) -> Page:
    point, desk = _desk(code, desk_code)
    return render_template("respond/rate_thanks.html", point=point, desk=desk)

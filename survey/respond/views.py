"""Citizen views: look up the point, build its form, validate, submit once, thank."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import unquote_to_bytes

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as WerkzeugResponse

from forms.builder import allowed_fields, answers_from_form, field_name, form_class, scale_labels
from forms.questionnaire import Questionnaire

from ..errors import http_error_page
from ..extensions import csrf, db, limiter
from ..models import QuestionnaireVersion, Response, ServicePoint
from ..services import antiabuse
from ..services import points as point_svc
from ..services import questionnaires as qsvc
from ..services import responses as response_svc
from ..services import tokens as token_svc
from . import bp, pages

Page = str | tuple[str, int] | WerkzeugResponse


def _read_post() -> None:
    """Refuse a body that is not valid UTF-8 form data, then check CSRF (nothing is stored either way)."""
    raw = request.get_data(cache=True, parse_form_data=False)  # kept: the form is parsed from it later
    not_utf8 = _("Nội dung gửi lên không đúng bảng mã UTF-8. Vui lòng gửi lại từ trình duyệt.")
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug keeps undecodable %XX escapes as literal text; storing that would silently alter the answer.
        # Separators are ASCII, so the whole unescaped body is valid UTF-8 exactly when every value is.
        try:
            unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
        except ValueError:
            abort(400, not_utf8)
    # Multipart bodies: Werkzeug decodes invalid UTF-8 bytes to U+FFFD.
    if any("\ufffd" in v for values in request.form.listvalues() for v in values):
        abort(400, not_utf8)
    if not request.form and raw:
        abort(400, _("Biểu mẫu gửi lên không đọc được. Vui lòng tải lại trang và gửi lại."))
    csrf.protect()


def _reject_unknown_fields(allowed: frozenset[str]) -> None:
    if set(request.form) - allowed:
        abort(400, _("Biểu mẫu có trường không hợp lệ. Vui lòng tải lại trang và gửi lại."))


def _sections() -> list[tuple[str, str]]:
    """Headings of the non-statement parts of the form, in display order."""
    return [
        ("overall", _("Đánh giá chung")),
        ("assessment", _("Về lần sử dụng dịch vụ này")),
        ("expect", _("Mong đợi của Ông/Bà")),
        ("profile", _("Thông tin về Ông/Bà")),
        ("comment", _("Ý kiến khác")),
    ]


def _token_page(state: token_svc.TokenState) -> tuple[str, int]:
    if state == token_svc.TokenState.USED:
        return render_template(
            "respond/token.html", used=True, title=_("Cảm ơn Ông/Bà"),
            message=_("Lần giao dịch này đã được đánh giá. Mỗi mã trên giấy hẹn chỉ dùng được một lần."),
        ), 409
    return render_template(
        "respond/token.html", used=False, title=_("Mã đánh giá không hợp lệ"),
        message=_("Mã QR trên giấy hẹn không đúng hoặc không thuộc nơi này. Vui lòng quét lại mã, "
                  "hoặc quét mã QR dán tại quầy để đánh giá."),
    ), 400


def _token_gate(token: str, point: ServicePoint) -> Page | None:
    """A page instead of the form when the receipt code is forged or already used; None when it is valid."""
    state = token_svc.check(token, point).state
    if state == token_svc.TokenState.VALID:
        return None
    if state == token_svc.TokenState.USED and request.method == "POST":
        key = request.form.get("submission_key", "")[:64]
        if key and db.session.scalar(select(Response.id).filter_by(submission_key=key)) is not None:
            # A double tap: the first tap stored the response and used the code.
            return redirect(url_for(".thanks", code=point.code), code=303)
    return _token_page(state)


@bp.route("/")
def index() -> str:
    return render_template("respond/index.html")


@bp.route("/s/<code>", methods=["GET", "POST"])
@limiter.limit(antiabuse.submit_limit, key_func=antiabuse.limit_key, methods=["POST"])
@csrf.exempt  # checked below with csrf.protect(), once the raw body is kept for the UTF-8 check
def questionnaire(code: str) -> Page:
    if request.method == "POST":
        _read_post()
    point, old_code = point_svc.find_active(code), False
    if point is None:
        former = point_svc.find_retired(code)
        if former is None:
            abort(404)
        if request.method == "GET" or not former.active:
            return render_template("respond/retired.html", point=former), 410
        # A form opened before its QR code was replaced: kept, flagged, never lost.
        point, old_code = former, True
    version = qsvc.latest_version(point.kind)
    q = qsvc.definition(version)
    token = (request.form.get("t") if request.method == "POST" else request.args.get("t")) or None
    if request.method == "POST":
        _reject_unknown_fields(allowed_fields(q))
    if token is not None and (page := _token_gate(token, point)) is not None:
        return page
    now = datetime.now(UTC)
    locale = str(get_locale() or "vi")
    if request.method == "GET":
        return _blank_form(point, version, q, token, now, locale)
    form = form_class(q)()
    if form.validate_on_submit():
        answers, comment = answers_from_form(form, q)
        seen = request.cookies.get(antiabuse.SEEN_COOKIE)
        signals = antiabuse.Signals(form.website.data, form.started.data, seen, with_token=token is not None,
                                    old_code=old_code)
        draft = response_svc.Draft(
            point=point, version=version, answers=answers, comment=comment, submitted_at=now,
            submission_key=form.submission_key.data or response_svc.new_submission_key(),
            verified=token is not None, flag_reason=antiabuse.flag_reason(antiabuse.reasons(signals, point.id, now)),
        )
        point_id, point_code = point.id, point.code  # read before the commit expires the object
        try:
            token_svc.submit_with_token(draft, token) if token else response_svc.submit(draft)
        except token_svc.TokenUsed:
            return _token_page(token_svc.TokenState.USED)
        done = redirect(url_for(".thanks", code=point_code), code=303)
        if token is None:
            antiabuse.remember(done, point_id, seen, now)
        return done
    return _render_form(form, q, point, locale, token), 422


def _render_form(form: FlaskForm, q: Questionnaire, point: ServicePoint, locale: str, token: str | None,
                 notice: str | None = None) -> str:
    return render_template(
        "respond/form.html", form=form, q=q, point=point, locale=locale, field_name=field_name, token=token,
        scale=scale_labels(), sections=_sections(), notice=notice,
        option_choices=lambda qu: [(o.code, o.label.get(locale)) for o in qu.options],
    )


@bp.errorhandler(429)
def refused(e: HTTPException) -> Page:
    """Over the rate limit: the form again with every answer kept, so nothing typed is lost, to send shortly."""
    code = (request.view_args or {}).get("code")
    point = point_svc.find_active(code) if request.method == "POST" and isinstance(code, str) else None
    if point is None:
        return http_error_page(e)
    q = qsvc.definition(qsvc.latest_version(point.kind))
    notice = _("Phiếu chưa gửi được vì có quá nhiều phiếu gửi từ cùng một mạng trong ít phút. Các câu trả lời "
               "của Ông/Bà vẫn được giữ nguyên bên dưới. Vui lòng chờ khoảng một phút rồi bấm “Gửi phiếu” lại.")
    form = form_class(q)()  # bound to the posted answers; nothing is validated or stored here
    return _render_form(form, q, point, str(get_locale() or "vi"), request.form.get("t") or None, notice), 429


def _blank_form(point: ServicePoint, version: QuestionnaireVersion, q: Questionnaire, token: str | None,
                now: datetime, locale: str) -> str:
    """A fresh form: rendered once per point, version and language, then only its hidden values change."""
    hidden = {"csrf": generate_csrf(), "key": response_svc.new_submission_key(),
              "started": antiabuse.started_stamp(now), "t": token or ""}

    def render() -> str:
        form = form_class(q)()
        form.submission_key.data = hidden["key"]
        form.started.data = hidden["started"]
        return _render_form(form, q, point, locale, token)

    # The ward of a point never changes its name at run time (set at `hailong init`), so its id is enough.
    key = (point.id, point.code, point.name, point.organisation_id, version.id, q.checksum, locale, bool(token))
    return pages.blank_form(key, render, hidden)


@bp.route("/s/<code>/cam-on")
def thanks(code: str) -> str:
    # The same for every citizen of a point: kept a minute, so a rename shows within a minute.
    key = ("thanks", code, str(get_locale() or "vi"))
    page = pages.kept(key, max_age=60)
    if page is None:
        point = point_svc.find_active(code) or point_svc.find_retired(code)
        if point is None:
            abort(404)
        page = pages.keep(key, render_template("respond/thanks.html", point=point))
    return page

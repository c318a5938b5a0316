"""Citizen views: look up the point, build its form, validate, submit once, thank."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hailong.forms.builder import allowed_fields, answers_from_form, field_name, form_class, scale_labels
from hailong.forms.questionnaire import Questionnaire

from ..errors import http_error_page
from ..extensions import csrf, limiter
from ..models import QuestionnaireVersion, ServicePoint
from ..services import antiabuse
from ..services import points as point_svc
from ..services import questionnaires as qsvc
from ..services import responses as response_svc
from ..services import tokens as token_svc
from . import bp, pages, pakn, posted

Page = str | tuple[str, int] | Response


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
    state = token_svc.check(token, point)
    if state == token_svc.TokenState.VALID:
        return None
    if state == token_svc.TokenState.USED and request.method == "POST":
        key = request.form.get("submission_key", "")[:64]  # a key the server issued (checked before)
        if key and response_svc.find_by_key(key) is not None:
            # A double tap: the first tap stored the response and used the code.
            return redirect(url_for(".thanks", code=point.code), code=303)
    return _token_page(state)


@bp.route("/")
def index() -> str:
    return render_template("respond/index.html")


@bp.route("/s/<code>", methods=["GET", "POST"])
@limiter.limit(antiabuse.submit_limit, key_func=antiabuse.limit_key, methods=["POST"])
@csrf.exempt  # checked in _refusal with csrf.protect(), so a refused citizen gets the form back
def questionnaire(code: str) -> Page:
    # GET and HEAD (uptime monitors, link previews) read the page; only POST submits.
    posting = request.method == "POST"
    point, old_code = point_svc.find_active(code), False
    if point is None:
        former = point_svc.find_retired(code)
        if former is None:
            abort(404)
        if not former.active:
            return render_template("respond/retired.html", point=former), 410
        if not posting:
            return _old_code_page(former)
        # A form opened before its QR code was replaced: kept, flagged, never lost.
        point, old_code = former, True
    version = qsvc.latest_version(point.kind)
    q = qsvc.definition(version)
    locale = str(get_locale() or "vi")
    if not posting:
        token = request.args.get("t") or None
        if token is not None and (page := _token_gate(token, point)) is not None:
            return page
        return _blank_form(point, version, q, token, datetime.now(UTC), locale)
    return _submit(point, old_code, version, q, locale)


def _old_code_page(former: ServicePoint) -> Page:
    """A retired code: a receipt slip printed before the change opens the form at the new code; else a notice."""
    token = request.args.get("t")
    state = token_svc.check(token, former) if token else token_svc.TokenState.INVALID
    if state == token_svc.TokenState.VALID:
        # Only a valid slip of this point is sent on, so the old poster does not lead to the new code.
        return redirect(url_for(".questionnaire", code=former.code, t=token), code=302)
    if state == token_svc.TokenState.USED:
        return _token_page(state)
    return render_template("respond/retired.html", point=former), 410


def _submit(point: ServicePoint, old_code: bool, version: QuestionnaireVersion, q: Questionnaire,
            locale: str) -> Page:
    """Validate a posted form and store it once; any refusal sends the form back with the answers kept."""
    sent = posted.read()
    if sent is None:
        abort(400, _("Biểu mẫu gửi lên không đọc được. Vui lòng tải lại trang và gửi lại."))
    problem = _refusal(sent, q, point.id)
    if problem is not None:
        return _form_back(point, q, locale, sent, problem), 400
    key = sent.fields.get("submission_key") or ""
    issued_at = antiabuse.form_key_time(key, point.id) or 0  # issued: checked by _refusal
    token = sent.fields.get("t") or None
    if token is not None and (page := _token_gate(token, point)) is not None:
        return page
    form = form_class(q)(formdata=sent.fields)
    if not form.validate():
        return _render_form(form, q, point, locale, token), 422
    now = datetime.now(UTC)
    answers, comment = answers_from_form(form, q)
    seen = request.cookies.get(antiabuse.SEEN_COOKIE)
    # The honeypot as sent: whatever text a person never sees holds flags the response.
    signals = antiabuse.Signals(sent.fields.get("website"), issued_at, seen, with_token=token is not None,
                                old_code=old_code)
    draft = response_svc.Draft(
        point=point, version=version, answers=answers, comment=comment, submitted_at=now, submission_key=key,
        verified=token is not None, flag_reason=antiabuse.flag_reason(antiabuse.reasons(signals, point.id, now)),
    )
    try:
        response_svc.submit(draft, token)
    except token_svc.TokenUsed:
        return _token_page(token_svc.TokenState.USED)
    # Any statement rated 1 or 2: the thank-you page offers the PAKN form prominently (a flag in the query only).
    scores = [answers.get(s.code) for s in q.statements]
    low = any(isinstance(v, int) and 1 <= v <= 2 for v in scores)
    done = redirect(url_for(".thanks", code=point.code, low=1 if low else None), code=303)
    if token is None:
        antiabuse.remember(done, point.id, seen, now)
    return done


def _refusal(sent: posted.Posted, q: Questionnaire, point_id: int) -> str | None:
    """Why a posted form cannot be taken as it is (the message for the citizen), or None when it can."""
    if sent.undecodable:
        return _("Một số chữ gửi lên không đúng bảng mã UTF-8 nên không đọc được; những chỗ đó được thay bằng dấu "
                 "�. Các câu trả lời khác vẫn được giữ nguyên. Vui lòng xem lại phần ý kiến rồi bấm “Gửi phiếu” lại.")
    if sent.files:
        return _("Phiếu không nhận tệp đính kèm: có câu trả lời được gửi lên dưới dạng tệp nên chưa được nhận. "
                 "Các câu trả lời khác vẫn được giữ nguyên bên dưới. Vui lòng xem lại rồi bấm “Gửi phiếu” lại.")
    if set(sent.fields) - allowed_fields(q):
        return _("Biểu mẫu có trường không hợp lệ (có thể trang đã cũ). Các câu trả lời của Ông/Bà vẫn được giữ "
                 "nguyên bên dưới. Vui lòng xem lại rồi bấm “Gửi phiếu” lại.")
    try:
        csrf.protect()
    except CSRFError:
        return _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ. Các câu trả lời của Ông/Bà vẫn được giữ nguyên "
                 "bên dưới. Vui lòng xem lại rồi bấm “Gửi phiếu” lại.")
    if antiabuse.form_key_time(sent.fields.get("submission_key"), point_id) is None:
        return _("Phiếu chưa gửi được vì mã phiếu không đúng (có thể trang đã cũ hoặc bị sửa). Các câu trả lời "
                 "của Ông/Bà vẫn được giữ nguyên bên dưới, với mã phiếu mới. Vui lòng xem lại rồi bấm “Gửi phiếu” "
                 "lại.")
    return None


def _form_back(point: ServicePoint, q: Questionnaire, locale: str, sent: posted.Posted, notice: str) -> str:
    """The form bound to what was posted (text fields only; nothing validated or stored), with a notice on top.

    Its key stays the posted one when the server issued it for this point, so sending again still stores one
    response; otherwise it is a fresh one. A receipt code is carried on only when it could be one.
    """
    form = form_class(q)(formdata=sent.fields)
    key = sent.fields.get("submission_key")
    if antiabuse.form_key_time(key, point.id) is None:
        key = antiabuse.issue_form_key(point.id)
    form.submission_key.data = key
    token = sent.fields.get("t")
    return _render_form(form, q, point, locale, token if token_svc.well_formed(token) else None, notice)


def _render_form(form: FlaskForm, q: Questionnaire, point: ServicePoint, locale: str, token: str | None,
                 notice: str | None = None) -> str:
    # Sent to the address it came from: a form posted to a retired code goes back there (stored flagged), and a
    # refusal at an old printed code does not show the new one.
    code = (request.view_args or {}).get("code") or point.code
    return render_template(
        "respond/form.html", form=form, q=q, point=point, locale=locale, field_name=field_name, token=token,
        scale=scale_labels(), sections=_sections(), notice=notice, code=code,
        option_choices=lambda qu: [(o.code, o.label.get(locale)) for o in qu.options],
    )


@bp.errorhandler(429)
def refused(e: HTTPException) -> Page:
    """Over the rate limit: the form again with every answer kept, so nothing typed is lost, to send shortly."""
    if request.endpoint == "respond.pakn_form":
        return pakn.refused(e)
    code = (request.view_args or {}).get("code")
    point = None
    if request.method == "POST" and isinstance(code, str):
        point = point_svc.find_active(code) or point_svc.find_retired(code)
    sent = posted.read() if point is not None and point.active else None
    if point is None or sent is None:
        return http_error_page(e)
    q = qsvc.definition(qsvc.latest_version(point.kind))
    notice = _("Phiếu chưa gửi được vì có quá nhiều phiếu gửi từ cùng một mạng trong ít phút. Các câu trả lời "
               "của Ông/Bà vẫn được giữ nguyên bên dưới. Vui lòng chờ khoảng một phút rồi bấm “Gửi phiếu” lại.")
    return _form_back(point, q, str(get_locale() or "vi"), sent, notice), 429


def _blank_form(point: ServicePoint, version: QuestionnaireVersion, q: Questionnaire, token: str | None,
                now: datetime, locale: str) -> str:
    """A fresh form: rendered once per point, version and language, then only its hidden values change."""
    hidden = {"csrf": generate_csrf(), "key": antiabuse.issue_form_key(point.id, now), "t": token or ""}

    def render() -> str:
        form = form_class(q)()
        form.submission_key.data = hidden["key"]
        return _render_form(form, q, point, locale, token)

    # The ward of a point never changes its name at run time (set at `hailong init`), so its id is enough.
    key = (point.id, point.code, point.name, point.organisation_id, version.id, q.checksum, locale, bool(token))
    return pages.blank_form(key, render, hidden)


@bp.route("/s/<code>/cam-on")
def thanks(code: str) -> str:
    # The same for every citizen of a point: kept a minute, so a rename shows within a minute.
    low = request.args.get("low") == "1"
    key = ("thanks", code, str(get_locale() or "vi"), low)
    page = pages.kept(key, max_age=60)
    if page is None:
        point = point_svc.find_active(code) or point_svc.find_retired(code)
        if point is None:
            abort(404)
        page = pages.keep(key, render_template("respond/thanks.html", point=point, low=low))
    return page

"""Citizen views: look up the point, show its form page by page, keep the answers between pages, submit once,
thank.

The form is paged (forms/pages.py): each page POSTs its answers with the form's signed key; the server keeps them
in the form's draft (services.drafts) and redirects to the next page (?k=<key>&p=<n>), so the browser's own Back
button and a reload work without JavaScript. "Gửi luôn" on any page, and "Gửi phiếu" on the last, store the draft's
answers with the page's once. A POST without `page` is a whole form of the single-page layout (a page loaded
before the paged form was deployed): validated and stored as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError, generate_csrf
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hailong.forms import pages as form_pages
from hailong.forms.builder import (
    HONEYPOT,
    SERVICE_FIELDS,
    allowed_fields,
    answer_fields,
    answers_from_form,
    clean_formdata,
    field_name,
    form_class,
    read_plainly,
    scale_labels,
    validate_fields,
)
from hailong.forms.encoding import Answers
from hailong.forms.questionnaire import Questionnaire

from ..errors import http_error_page
from ..extensions import csrf, db, limiter
from ..models import Channel, FormDraft, QuestionnaireVersion, ServicePoint
from ..services import antiabuse, drafts, lookups
from ..services import points as point_svc
from ..services import questionnaires as qsvc
from ..services import responses as response_svc
from ..services import tokens as token_svc
from . import bp, pages, pakn, posted

Page = str | tuple[str, int] | Response
#: A single choice with more options than this is a drop-down list (one line), else a row of chips.
MAX_CHIPS = 4


@dataclass(frozen=True)
class FormStyle:
    """How a route serves the paged form: its endpoint, its template, the channel of what it stores, where it thanks.

    The citizen's phone is QR below; another way in (a kiosk at the counter) adds its own route that calls
    serve_form(code) and its style to STYLES, and gets the same pages, drafts, checks and counts.
    """

    endpoint: str
    template: str
    channel: str
    thanks: str
    #: A shared device (a kiosk): why an answer from it now looks suspicious, instead of the per-browser mark.
    device_reasons: Callable[[datetime], list[str]] | None = None


QR = FormStyle("respond.questionnaire", "respond/form.html", Channel.QR.value, "respond.thanks")
STYLES: dict[str, FormStyle] = {QR.endpoint: QR}


def _style() -> FormStyle:
    """The style of the route serving this request."""
    return STYLES.get(request.endpoint or "", QR)


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
            return redirect(url_for(_style().thanks, code=point_svc.citizen_code(point)), code=303)
    return _token_page(state)


@bp.route("/")
def index() -> str:
    return render_template("respond/index.html")


#: Citizen pages that no rate limit applies to when read (GET, HEAD): only a POST to the form is limited.
_READ_FREELY = frozenset({"respond.questionnaire", "respond.thanks"})


@limiter.request_filter
def _reading_a_citizen_page() -> bool:
    """Skip the limiter's per-request evaluation where no limit applies: reading the form or the thank-you page."""
    return request.method in ("GET", "HEAD") and request.endpoint in _READ_FREELY


@bp.route("/s/<citizen:code>", methods=["GET", "POST"])
@limiter.limit(antiabuse.post_limit, key_func=antiabuse.post_limit_key, methods=["POST"])
@csrf.exempt  # checked in _refusal with csrf.protect(), so a refused citizen gets the form back
def questionnaire(code: str) -> Page:
    return serve_form(code)


def serve_form(code: str) -> Page:
    """A point's form: a page to GET (HEAD alike), or a POST of a page (or of a whole single-page form)."""
    # GET and HEAD (uptime monitors, link previews) read the page; only POST submits or saves a page.
    posting = request.method == "POST"
    point, old_code = lookups.find_active(code), False
    continued: tuple[FormDraft, int] | Response | None = None
    if point is None:
        former = point_svc.find_retired(code)
        if former is None:
            abort(404)
        if not former.active:
            return render_template("respond/retired.html", point=former), 410
        if not posting and (continued := _continued(former)) is None:
            return _old_code_page(former)
        # A form opened before its QR code was replaced: kept, flagged, never lost.
        point, old_code = former, True
    locale = str(get_locale() or "vi")
    if posting:
        return _submit(point, old_code, locale)
    token = request.args.get("t") or None
    if token is not None and (page := _token_gate(token, point)) is not None:
        return page
    if not old_code:
        continued = _continued(point)
    if isinstance(continued, Response):
        return continued
    if continued is not None:
        draft, number = continued
        return _draft_page(point, draft, number, token, locale)
    version = lookups.latest_version(point.kind)
    return _blank_form(point, version, qsvc.definition(version), token, datetime.now(UTC), locale)


def _stored(key: str) -> bool:
    """Whether a response was stored under this form key (the form was sent)."""
    return response_svc.find_by_key(key) is not None


def _continued(point: ServicePoint) -> tuple[FormDraft, int] | Response | None:
    """A GET of a later page (?k=<form key>&p=<page>): the form's draft and the page to show, clamped to the
    furthest page it reached; the thank-you page once that form was sent; None for a fresh form.

    The key is the one the server signed for this point, so the address opens only this point's draft. Only
    pages reached through the form's buttons are shown: page views write nothing.
    """
    key = request.args.get("k", "")[:64]
    if not key or antiabuse.form_key_time(key, point.id) is None:
        return None
    # A kept draft means the form was not sent (sending deletes it), so the stored check is needed only without.
    draft = drafts.find(point.id, key)
    if draft is None:
        if _stored(key):
            return redirect(url_for(_style().thanks, code=point_svc.citizen_code(point)), code=303)
        return None  # purged, or never saved: a fresh form
    text = request.args.get("p", "")
    wanted = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else 1
    return draft, min(max(wanted, 1), draft.page)


def _old_code_page(former: ServicePoint) -> Page:
    """A retired code: a receipt slip printed before the change opens the form at the new code; else a notice."""
    token = request.args.get("t")
    state = token_svc.check(token, former) if token else token_svc.TokenState.INVALID
    if state == token_svc.TokenState.VALID:
        # Only a valid slip of this point is sent on, so the old poster does not lead to the new code.
        return redirect(url_for(_style().endpoint, code=point_svc.citizen_code(former), t=token), code=302)
    if state == token_svc.TokenState.USED:
        return _token_page(state)
    return render_template("respond/retired.html", point=former), 410


@dataclass(frozen=True)
class Step:
    """What a POST asks for: the page it was sent from (None: the whole single-page form) and the button.

    `page` is the posted page within the pages this form reached (what is saved and counted: a made-up number
    cannot skip pages); `shown` is the posted page as it is, to show it again after a refusal.
    """

    page: int | None
    go: str
    shown: int | None = None

    @property
    def sends(self) -> bool:
        return self.page is None or self.go == antiabuse.SEND


@dataclass
class Posting:
    """A POST to a form, read with the form's draft: enough to answer it, or to send the page back."""

    sent: posted.Posted
    key: str
    draft: FormDraft | None
    version: QuestionnaireVersion
    q: Questionnaire
    step: Step


def _posting(point: ServicePoint, sent: posted.Posted) -> Posting:
    """The draft of the posted key (its questionnaire version wins over a newer one) and the step asked for."""
    key = sent.fields.get("submission_key") or ""
    draft = drafts.find(point.id, key) if antiabuse.form_key_time(key, point.id) is not None else None
    version = draft.questionnaire if draft is not None else lookups.latest_version(point.kind)
    q = qsvc.definition(version)
    total = len(form_pages.plan(q))
    step = Step(None, antiabuse.SEND)
    if "page" in sent.fields:
        text = sent.fields.get("page") or ""
        number = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else 1
        shown = min(max(number, 1), total)
        reached = draft.page if draft is not None else 1
        go = sent.fields.get("go") or "next"
        step = Step(min(shown, reached), go if go in ("next", "back", antiabuse.SEND) else "next", shown)
    return Posting(sent, key, draft, version, q, step)


def _submit(point: ServicePoint, old_code: bool, locale: str) -> Page:
    """Save a page of the paged form, or validate a whole form and store it once; any refusal sends the page
    back with the answers kept."""
    sent = posted.read()
    if sent is None:
        abort(400, _("Biểu mẫu gửi lên không đọc được. Vui lòng tải lại trang và gửi lại."))
    post = _posting(point, sent)
    # A replay of a sent form's page (Back after sending, a double tap) is thanked. A send finds that out from its
    # own INSERT (the unique key, services.responses.submit), so the lookup runs only where a page would be kept
    # or sent back instead.
    if not post.step.sends and _replayed(post, point):
        return _thanked(point)
    problem = _refusal(post, point.id)
    if problem is not None:
        return _thanked(point) if _replayed(post, point) else (_form_back(point, post, locale, problem), 400)
    token = sent.fields.get("t") or None
    if token is not None and (gate := _token_gate(token, point)) is not None:
        return gate
    values = _merged(post)
    cleaned, altered = clean_formdata(_formdata(values, sent))
    altered -= SERVICE_FIELDS
    if post.step.page is None or post.step.sends:
        names = [*answer_fields(post.q), HONEYPOT]
    else:
        names = [*_page_fields(form_pages.plan(post.q)[post.step.page - 1]), *_posted_answers(sent, post.q),
                 HONEYPOT]
    # Plain answers (nearly every POST) are read without binding the form class, which judges all others.
    read = read_plainly(post.q, cleaned, names, altered)
    if read is None:
        form = _bound_form(post, cleaned, altered, names)
        if not validate_fields(form, names):
            if _replayed(post, point):
                return _thanked(point)
            return _render_back(form, post, point, locale, token), 422
        # A page's form class holds only its fields; only a send reads answers (from the whole form).
        read = answers_from_form(form, post.q) if post.step.sends else ({}, None)
    kept = _values(cleaned, post.q)
    if not post.step.sends:
        return _save_page(point, post, kept, token)
    answers, comment = read
    if post.step.page is not None and not answers and comment is None:
        if _replayed(post, point):
            return _thanked(point)
        notice = _("Ông/Bà chưa chọn câu trả lời nào nên phiếu chưa được gửi. Vui lòng chọn ít nhất một câu "
                   "trả lời rồi bấm “%(button)s”.", button=_button(post))
        form = _bound_form(post, cleaned, altered, names)
        return _render_form(form, post.q, point, locale, token, notice, post.step.page), 422
    return _store(point, old_code, post, answers, comment, kept, token)


def _bound_form(post: Posting, cleaned: MultiDict[str, str], altered: frozenset[str], names: list[str]) -> FlaskForm:
    """The form class of what was posted (the whole form, or the posted page's), bound to its cleaned values."""
    if post.step.page is None or post.step.sends:
        form = form_class(post.q)(formdata=cleaned)
    else:
        form = _page_form(post.q, form_pages.plan(post.q)[post.step.page - 1], names)(formdata=cleaned)
    form.altered = altered
    return form


def _replayed(post: Posting, point: ServicePoint) -> bool:
    """Whether this POST's form was sent already: no draft kept (sending deletes it), a key the server issued for
    this point, and a response stored under it."""
    return post.draft is None and antiabuse.form_key_time(post.key, point.id) is not None and _stored(post.key)


def _thanked(point: ServicePoint) -> Response:
    return redirect(url_for(_style().thanks, code=point_svc.citizen_code(point)), code=303)


def _save_page(point: ServicePoint, post: Posting, kept: drafts.Values, token: str | None) -> Response:
    """Keep the answers so far in the form's draft and show the next (or previous) page."""
    assert post.step.page is not None
    total = len(form_pages.plan(post.q))
    here = post.step.page
    target = min(here + 1, total) if post.step.go == "next" else max(here - 1, 1)
    try:
        with db.session.begin_nested():
            drafts.save(point, post.version, post.key, kept, max(here, target), draft=post.draft)
    except IntegrityError:
        # A double tap saved the same new form first (its savepoint undid only this save): save over its draft.
        drafts.save(point, post.version, post.key, kept, max(here, target))
    code = (request.view_args or {}).get("code") or point.code
    return redirect(url_for(_style().endpoint, code=code, k=post.key, p=target, t=token), code=303)


def _store(point: ServicePoint, old_code: bool, post: Posting, answers: Answers, comment: str | None,
           kept: drafts.Values, token: str | None) -> Page:
    """Store the response once (the draft's answers with this page's), then drop the draft and count the send."""
    issued_at = antiabuse.form_key_time(post.key, point.id) or 0  # issued: checked by _refusal
    now = datetime.now(UTC)
    style = _style()
    # A shared device has no per-browser mark: every citizen at the counter uses the same browser.
    seen = None if style.device_reasons else request.cookies.get(antiabuse.SEEN_COOKIE)
    # The honeypot as sent on any page: whatever text a person never sees holds flags the response.
    honeypot = " ".join(kept.get(HONEYPOT, []))
    signals = antiabuse.Signals(honeypot, issued_at, seen, with_token=token is not None, old_code=old_code)
    found = antiabuse.reasons(signals, point.id, now)
    if style.device_reasons is not None and not _stored(post.key):
        found += style.device_reasons(now)
    draft = response_svc.Draft(
        point=point, version=post.version, answers=answers, comment=comment, submitted_at=now,
        submission_key=post.key, verified=token is not None, channel=style.channel,
        flag_reason=antiabuse.flag_reason(found),
    )
    try:
        # A replay (the key stored already) is caught by the unique key: created=False, thanked, nothing stored.
        _, created = response_svc.submit(draft, token, checked=True)
    except token_svc.TokenUsed:
        return _token_page(token_svc.TokenState.USED)
    if not created:
        return _thanked(point)  # as any replay: the stored response's answers stand, not this POST's
    if post.step.page is not None:
        try:
            with db.session.begin_nested():
                drafts.finish(post.draft, point, post.version, post.step.page, now)
        except SQLAlchemyError:
            # The response is stored: thank the citizen; the draft goes with the purge, one "sent" is not counted.
            current_app.logger.warning("paged form: draft not finished after the response was stored")
    # Any statement rated 1 or 2: the thank-you page offers the PAKN form prominently (a flag in the query only).
    scores = [answers.get(s.code) for s in post.q.statements]
    low = any(isinstance(v, int) and 1 <= v <= 2 for v in scores)
    done = redirect(url_for(style.thanks, code=point_svc.citizen_code(point), low=1 if low else None), code=303)
    if token is None and style.device_reasons is None:
        antiabuse.remember(done, point.id, seen, now)
    return done


def _merged(post: Posting) -> drafts.Values:
    """The draft's answers with this POST's over them: the posted page's fields replace the draft's (a field of
    the page that was not posted, such as unticked boxes, is cleared); a whole form replaces everything."""
    sent, q = post.sent, post.q
    if post.step.page is None:
        return {name: sent.fields.getlist(name) for name in answer_fields(q) if name in sent.fields}
    values = drafts.values(post.draft)
    page = form_pages.plan(q)[post.step.page - 1]
    for name in {*_page_fields(page), *_posted_answers(sent, q)}:
        values.pop(name, None)
        if name in sent.fields:
            values[name] = sent.fields.getlist(name)
    honeypot = [v for v in sent.fields.getlist(HONEYPOT) if v.strip()]
    if honeypot:
        values[HONEYPOT] = honeypot
    return values


def _formdata(values: drafts.Values, sent: posted.Posted | None = None) -> MultiDict[str, str]:
    """Form data for the form class: the answers, and the service fields as posted (CSRF, key, honeypot)."""
    data: MultiDict[str, str] = MultiDict()
    for name, vals in values.items():
        for value in vals:
            data.add(name, value)
    if sent is None:
        return data
    for name in ("csrf_token", "submission_key"):
        if name in sent.fields:
            data[name] = sent.fields[name]
    if HONEYPOT not in data and HONEYPOT in sent.fields:
        data[HONEYPOT] = sent.fields[HONEYPOT]
    return data


def _values(cleaned: MultiDict[str, str], q: Questionnaire) -> drafts.Values:
    """What a draft keeps: the answer fields' non-empty text, and the honeypot if a bot filled it in."""
    out: drafts.Values = {}
    for name in [*answer_fields(q), HONEYPOT]:
        vals = [v for v in cleaned.getlist(name) if v.strip()]
        if vals:
            out[name] = vals
    return out


def _page_fields(page: form_pages.Page) -> list[str]:
    return [field_name(code) for code in page.codes]


def _page_form(q: Questionnaire, page: form_pages.Page | None, names: Iterable[str] = ()) -> type[FlaskForm]:
    """The form class for one page (its fields only), or the whole form when fields of other pages are posted."""
    if page is None or set(names) - {*_page_fields(page), HONEYPOT}:
        return form_class(q)
    return form_class(q, page.codes)


def _posted_answers(sent: posted.Posted, q: Questionnaire) -> list[str]:
    """Answer fields the POST carries (a page carries its own; anything more is kept too, never dropped)."""
    known = set(answer_fields(q))
    return [name for name in sent.fields if name in known]


def _button(post: Posting) -> str:
    """The words of the button the citizen pressed, for a message asking to press it again."""
    if post.step.page is None:
        return _("Gửi phiếu")
    if post.step.go == "back":
        return _("Quay lại")
    if post.step.go == antiabuse.SEND:
        last = post.step.page == len(form_pages.plan(post.q))
        return _("Gửi phiếu") if last else _("Gửi luôn")
    return _("Tiếp tục")


def _refusal(post: Posting, point_id: int) -> str | None:
    """Why a posted form cannot be taken as it is (the message for the citizen), or None when it can."""
    sent, button = post.sent, _button(post)
    if sent.undecodable:
        return _("Một số chữ gửi lên không đúng bảng mã UTF-8 nên không đọc được; những chỗ đó được thay bằng dấu "
                 "�. Các câu trả lời khác vẫn được giữ nguyên. Vui lòng xem lại phần ý kiến rồi bấm “%(button)s” "
                 "lại.", button=button)
    if sent.files:
        return _("Phiếu không nhận tệp đính kèm: có câu trả lời được gửi lên dưới dạng tệp nên chưa được nhận. "
                 "Các câu trả lời khác vẫn được giữ nguyên bên dưới. Vui lòng xem lại rồi bấm “%(button)s” lại.",
                 button=button)
    if set(sent.fields) - allowed_fields(post.q):
        return _("Biểu mẫu có trường không hợp lệ (có thể trang đã cũ). Các câu trả lời của Ông/Bà vẫn được giữ "
                 "nguyên bên dưới. Vui lòng xem lại rồi bấm “%(button)s” lại.", button=button)
    try:
        csrf.protect()
    except CSRFError:
        return _("Phiên làm việc đã hết hạn hoặc thiếu mã bảo vệ. Các câu trả lời của Ông/Bà vẫn được giữ nguyên "
                 "bên dưới. Vui lòng xem lại rồi bấm “%(button)s” lại.", button=button)
    if antiabuse.form_key_time(sent.fields.get("submission_key"), point_id) is None:
        return _("Phiếu chưa gửi được vì mã phiếu không đúng (có thể trang đã cũ hoặc bị sửa). Các câu trả lời "
                 "của Ông/Bà vẫn được giữ nguyên bên dưới, với mã phiếu mới. Vui lòng xem lại rồi bấm “%(button)s” "
                 "lại.", button=button)
    return None


def _form_back(point: ServicePoint, post: Posting, locale: str, notice: str) -> str:
    """The page bound to what was posted over the draft (text fields only; nothing validated or saved), with a
    notice on top.

    Its key stays the posted one when the server issued it for this point, so sending again still stores one
    response and finds the draft of the earlier pages; otherwise it is a fresh one. A receipt code is carried
    on only when it could be one.
    """
    plan = form_pages.plan(post.q)
    page = plan[post.step.shown - 1] if post.step.shown is not None else None
    form = _page_form(post.q, page, _posted_answers(post.sent, post.q))(formdata=_formdata(_merged(post), post.sent))
    key = post.key
    if antiabuse.form_key_time(key, point.id) is None:
        key = antiabuse.issue_form_key(point.id)
    form.submission_key.data = key
    token = post.sent.fields.get("t")
    return _render_form(form, post.q, point, locale, token if token_svc.well_formed(token) else None, notice,
                        post.step.shown)


def _render_back(form: FlaskForm, post: Posting, point: ServicePoint, locale: str, token: str | None) -> str:
    """A form whose answers did not validate: the page with the first error (the whole form for a whole form)."""
    number = post.step.page
    if number is not None:
        with_errors = [p.number for p in form_pages.plan(post.q)
                       if any(form._fields[n].errors for n in _page_fields(p) if n in form._fields)]
        number = number if number in with_errors or not with_errors else with_errors[0]
    return _render_form(form, post.q, point, locale, token, None, number)


def _render_form(form: FlaskForm, q: Questionnaire, point: ServicePoint, locale: str, token: str | None,
                 notice: str | None = None, number: int | None = 1, blank: bool = False) -> str:
    """One page of the paged form (`number`), or every page on one screen when `number` is None; `blank`: the
    fresh first page, kept per language by pages.py (its language link carries nothing of this form)."""
    # Sent to the address it came from: a form posted to a retired code goes back there (stored flagged), and a
    # refusal at an old printed code does not show the new one.
    code = (request.view_args or {}).get("code") or point.code
    plan = form_pages.plan(q)
    current = plan[(number or 1) - 1]
    shown = [current] if number is not None else list(plan)
    key = form.submission_key.data
    first_element = next((p.number for p in plan if p.kind == "element"), 0)
    style = _style()

    def lang_url(lang: str) -> str:
        if blank or number is None:
            return f"?lang={lang}"
        return url_for(style.endpoint, code=code, k=key, p=number, t=token, lang=lang)

    return render_template(
        style.template, form=form, q=q, point=point, locale=locale, field_name=field_name, token=token,
        action=url_for(style.endpoint, code=code),
        scale=scale_labels(), notice=notice, code=code, shown=shown, current=current, paged=number is not None,
        total=len(plan), last=current.number == len(plan), first_element=first_element, lang_url=lang_url,
        page_title=lambda p: p.title(locale), max_chips=MAX_CHIPS,
        option_choices=lambda qu: [(o.code, o.label.get(locale)) for o in qu.options],
    )


def _draft_page(point: ServicePoint, draft: FormDraft, number: int, token: str | None, locale: str) -> str:
    """A later page of a form, with the answers its draft holds."""
    q = qsvc.definition(draft.questionnaire)
    form = form_class(q, form_pages.plan(q)[number - 1].codes)(formdata=_formdata(drafts.values(draft)))
    form.submission_key.data = draft.form_key
    return _render_form(form, q, point, locale, token, None, number)


@bp.errorhandler(429)
def refused(e: HTTPException) -> Page:
    """Over the rate limit: the page again with every answer kept, so nothing typed is lost, to send shortly."""
    if request.endpoint == "respond.pakn_form":
        return pakn.refused(e)
    if request.endpoint not in STYLES:  # not a form page (pairing a kiosk, a desk's rating): the notice only
        return http_error_page(e)
    code = (request.view_args or {}).get("code")
    point = None
    if request.method == "POST" and isinstance(code, str):
        point = lookups.find_active(code) or point_svc.find_retired(code)
    sent = posted.read() if point is not None and point.active else None
    if point is None or sent is None:
        return http_error_page(e)
    post = _posting(point, sent)
    notice = _("Phiếu chưa gửi được vì có quá nhiều phiếu gửi từ cùng một mạng trong ít phút. Các câu trả lời "
               "của Ông/Bà vẫn được giữ nguyên bên dưới. Vui lòng chờ khoảng một phút rồi bấm “%(button)s” lại.",
               button=_button(post))
    return _form_back(point, post, str(get_locale() or "vi"), notice), 429


def _blank_form(point: ServicePoint, version: QuestionnaireVersion, q: Questionnaire, token: str | None,
                now: datetime, locale: str) -> str:
    """A fresh form's first page: rendered once per point, version and language, then only its hidden values
    change."""
    hidden = {"csrf": generate_csrf(), "key": antiabuse.issue_form_key(point.id, now), "t": token or ""}

    def render() -> str:
        form = form_class(q, form_pages.plan(q)[0].codes)()
        form.submission_key.data = hidden["key"]
        return _render_form(form, q, point, locale, token, blank=True)

    # The ward of a point never changes its name at run time (set at `hailong init`), so its id is enough.
    key = (_style().endpoint, point.id, point.code, point.name, point.organisation_id, version.id, q.checksum, locale,
           bool(token))
    return pages.blank_form(key, render, hidden)


@bp.route("/s/<citizen:code>/cam-on")
def thanks(code: str) -> str:
    # The same for every citizen of a point: kept a minute, so a rename shows within a minute.
    low = request.args.get("low") == "1"
    key = ("thanks", code, str(get_locale() or "vi"), low)
    page = pages.kept(key, max_age=60)
    if page is None:
        point = lookups.find_active(code) or point_svc.find_retired(code)
        if point is None:
            abort(404)
        page = pages.keep(key, render_template("respond/thanks.html", point=point, low=low))
    return page


@bp.app_template_filter("citizen_code")
def citizen_code(point: ServicePoint) -> str:
    """In templates: what follows /s/ in the point's citizen URL."""
    return point_svc.citizen_code(point)

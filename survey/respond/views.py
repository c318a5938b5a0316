"""Citizen views: look up the point, build its form, validate, submit once, thank."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response as WerkzeugResponse

from forms.builder import allowed_fields, answers_from_form, field_name, form_class, scale_labels

from ..services import points as point_svc
from ..services import questionnaires as qsvc
from ..services import responses as response_svc
from . import bp


def _reject_malformed_post(allowed: frozenset[str]) -> None:
    """Refuse a POST carrying unknown fields or text that was not valid UTF-8 (nothing is stored)."""
    if not request.form and (request.content_length or 0) > 0:
        # Werkzeug drops a body it cannot decode as UTF-8 form data; say so rather than store nothing silently.
        abort(400, _("Nội dung gửi lên không đúng bảng mã UTF-8. Vui lòng gửi lại từ trình duyệt."))
    unknown = sorted(set(request.form) - allowed)
    if unknown:
        abort(400, _("Biểu mẫu có trường không hợp lệ. Vui lòng tải lại trang và gửi lại."))
    # Werkzeug decodes invalid UTF-8 bytes to U+FFFD; storing that would silently alter the answer.
    if any("\ufffd" in v for values in request.form.listvalues() for v in values):
        abort(400, _("Nội dung gửi lên không đúng bảng mã UTF-8. Vui lòng gửi lại từ trình duyệt."))


def _sections() -> list[tuple[str, str]]:
    """Headings of the non-statement parts of the form, in display order."""
    return [
        ("overall", _("Đánh giá chung")),
        ("assessment", _("Về lần sử dụng dịch vụ này")),
        ("expect", _("Mong đợi của Ông/Bà")),
        ("profile", _("Thông tin về Ông/Bà")),
        ("comment", _("Ý kiến khác")),
    ]


@bp.route("/")
def index() -> str:
    return render_template("respond/index.html")


@bp.route("/s/<code>", methods=["GET", "POST"])
def questionnaire(code: str) -> str | tuple[str, int] | WerkzeugResponse:
    point = point_svc.find_active(code)
    if point is None:
        former = point_svc.find_retired(code)
        if former is not None:
            return render_template("respond/retired.html", point=former), 410
        abort(404)
    version = qsvc.latest_version(point.kind)
    q = qsvc.definition(version)
    if request.method == "POST":
        _reject_malformed_post(allowed_fields(q))
    form = form_class(q)()
    if form.validate_on_submit():
        answers, comment = answers_from_form(form, q)
        draft = response_svc.Draft(
            point=point, version=version, answers=answers, comment=comment,
            submitted_at=datetime.now(UTC),
            submission_key=form.submission_key.data or response_svc.new_submission_key(),
        )
        response_svc.submit(draft)
        return redirect(url_for(".thanks", code=point.code), code=303)
    if request.method == "GET":
        form.submission_key.data = response_svc.new_submission_key()
        form.started.data = str(int(datetime.now(UTC).timestamp()))
    status = 422 if form.errors else 200
    locale = str(get_locale() or "vi")
    page = render_template(
        "respond/form.html", form=form, q=q, point=point, locale=locale, field_name=field_name,
        scale=scale_labels(), sections=_sections(),
        option_choices=lambda qu: [(o.code, o.label.get(locale)) for o in qu.options],
    )
    return page, status


@bp.route("/s/<code>/cam-on")
def thanks(code: str) -> str:
    point = point_svc.find_active(code) or point_svc.find_retired(code)
    if point is None:
        abort(404)
    return render_template("respond/thanks.html", point=point)

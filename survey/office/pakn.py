"""The office's "Phản ánh, kiến nghị" tab: the register, an item with the actions its reader's role allows, typed-in
items from other channels, a survey comment turned into an item, and the ward's PAKN settings (calendar, deadline
rules, units and their e-mail). Rules live in services.pakn; every change is audited there.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hailong.analysis.periods import TZ
from hailong.forms.questionnaire import KINDS

from .. import transaction
from ..extensions import db
from ..models import Organisation, PaknChannel, PaknItem, PaknStatus, Role, ServicePoint, Submission
from ..services import comments as comment_svc
from ..services import pakn as pakn_svc
from ..services import pakn_mail
from . import bp
from .access import ADMIN, ANYONE, STAFF, current_ward, roles_required, user
from .filters import check_keys, choice_arg, int_arg

ACTIONS = ("accept", "reject", "transfer", "assign", "start", "draft", "submit", "return", "publish", "close",
           "flag", "unflag")


def _actor() -> pakn_svc.Actor:
    account = user()
    return pakn_svc.Actor(account.username, account.role, account.unit)


def _scope_unit() -> str | None:
    """None for staff (the whole ward); a viewer's unit (or an impossible one when it has none)."""
    account = user()
    if account.role != Role.VIEWER:
        return None
    return account.unit or "\x00none"


def _item(item_id: int, ward: Organisation) -> PaknItem:
    item = pakn_svc.get(ward.id, item_id)
    if item is None:
        abort(404, _("Không có phản ánh này."))
    if not pakn_svc.can_see(_actor(), item, ward.id):
        abort(403, _("Ông/Bà chỉ xem được các phản ánh giao cho đơn vị của mình."))
    return item


def _send_after_commit(ward: Organisation, item_id: int | None = None) -> None:
    """Send the e-mail this change queued once it is committed; a failure leaves it queued for the digest."""
    if not pakn_mail.enabled():
        return
    ward_id = ward.id

    def send() -> None:
        _sent, failed = pakn_mail.send_pending(ward_id, item_id)
        if failed:
            flash(_("Chưa gửi được %(n)s thư điện tử; hệ thống sẽ gửi lại sau.", n=failed), "error")

    transaction.after_commit(send)


@bp.get("/pakn")
@roles_required(*ANYONE)
def pakn_register() -> str:
    check_keys(request.args, ("status", "due", "unit", "category", "channel", "kind", "flagged", "page"))
    ward = current_ward()
    args = request.args
    filt = pakn_svc.Filter(
        status=choice_arg(args, "status", ["", *[s.value for s in PaknStatus]], "") or None,
        due=choice_arg(args, "due", ["", "week", "overdue"], "") or None,
        unit=(args.get("unit") or "").strip()[:40] or None,
        category=choice_arg(args, "category", ["", *pakn_svc.ALL_CATEGORIES], "") or None,
        channel=choice_arg(args, "channel", ["", *[c.value for c in PaknChannel]], "") or None,
        kind=choice_arg(args, "kind", ["", *KINDS], "") or None,
        flagged={"": None, "yes": True, "no": False}[choice_arg(args, "flagged", ["", "yes", "no"], "")],
    )
    scope = _scope_unit()
    page = pakn_svc.register_page(ward.id, scope, filt, int_arg(args, "page", 1))
    points = {p.id: p for p in ward.points}
    return render_template(
        "office/pakn_list.html", page=page, filt=filt, counts=pakn_svc.due_counts(ward.id, scope),
        units=pakn_svc.units(ward.id), points=points, statuses=list(PaknStatus), channels=list(PaknChannel),
        categories=pakn_svc.categories(None), kinds=KINDS, today=pakn_svc.today(), limited=scope is not None,
        can_add=user().role in STAFF, is_admin=user().role == Role.ADMIN.value, **_labels(),
    )


def _labels() -> dict[str, Any]:
    return {"status_label": pakn_svc.status_label, "channel_label": pakn_svc.channel_label,
            "category_label": pakn_svc.category_label, "OPEN": pakn_svc.OPEN}


def _item_page(item: PaknItem, ward: Organisation, error: str | None = None, form: dict[str, str] | None = None,
               status: int = 200) -> tuple[str, int]:
    actor = _actor()
    point = db.session.get(ServicePoint, item.point_id) if item.point_id else None
    submission = db.session.get(Submission, item.submission_id) if item.submission_id else None
    return render_template(
        "office/pakn_item.html", item=item, point=point, submission=submission, error=error, form=form or {},
        actions=pakn_svc.allowed(item, actor), history=pakn_svc.history(item), units=pakn_svc.units(ward.id, True),
        categories=pakn_svc.categories(item.kind), staff=actor.role in ("admin", "reviewer"),
        preview_question=pakn_svc.masked(item, item.published_question or item.text),
        preview_reply=pakn_svc.masked(item, item.draft_reply or item.published_reply or ""),
        rule=pakn_svc.rules(ward.id).get(item.category, pakn_svc.DEFAULT_RULE), today=pakn_svc.today(),
        local_date=pakn_svc.local_date, **_labels(),
    ), status


@bp.get("/pakn/<row_id:item_id>")
@roles_required(*ANYONE)
def pakn_item(item_id: int) -> tuple[str, int]:
    check_keys(request.args, ())
    ward = current_ward()
    return _item_page(_item(item_id, ward), ward)


def _date_field(name: str) -> date | None:
    text = request.form.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise pakn_svc.PaknError(_("Ngày không đúng dạng (năm-tháng-ngày)."), name) from None


@bp.post("/pakn/<row_id:item_id>/<action>")
@roles_required(*ANYONE)
def pakn_action(item_id: int, action: str) -> Any:
    if action not in ACTIONS:
        abort(404)
    ward = current_ward()
    item = _item(item_id, ward)
    actor = _actor()
    form = request.form
    try:
        if action in ("accept", "reject", "transfer"):
            pakn_svc.classify(item, actor, action, category=form.get("category") or None,
                              reason=form.get("reason", ""), agency=form.get("agency", ""))
        elif action == "assign":
            pakn_svc.assign(item, actor, form.get("unit", ""), _date_field("due_on"))
        elif action == "start":
            pakn_svc.start(item, actor)
        elif action in ("draft", "submit"):
            pakn_svc.save_draft(item, actor, form.get("reply", ""), submit=action == "submit")
        elif action == "return":
            pakn_svc.return_draft(item, actor, form.get("note", ""))
        elif action == "publish":
            pakn_svc.publish(item, actor, form.get("question", ""), form.get("reply", ""))
        elif action == "close":
            pakn_svc.close(item, actor)
        elif action == "flag":
            pakn_svc.flag(item, actor, form.get("reason", ""))
        else:
            pakn_svc.unflag(item, actor)
    except pakn_svc.NotAllowed as exc:
        abort(403, str(exc))
    except pakn_svc.PaknError as exc:
        transaction.start_over()
        fresh = _item(item_id, ward)
        return _item_page(fresh, ward, str(exc), {k: v[:5000] for k, v in form.items()}, 400)
    _send_after_commit(ward, item_id)
    flash(_("Đã cập nhật phản ánh số %(id)s: %(status)s.", id=item_id, status=pakn_svc.status_label(item.status)),
          "success")
    return redirect(url_for(".pakn_item", item_id=item_id), code=303)


def _typed_form(ward: Organisation, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                status: int = 200, created: tuple[PaknItem, str] | None = None) -> tuple[str, int]:
    return render_template(
        "office/pakn_new.html", form=form or {}, errors=errors or {}, created=created,
        channels=pakn_svc.TYPED_CHANNELS, points=sorted(ward.points, key=lambda p: (p.kind, p.name)),
        categories=pakn_svc.categories(None), kinds=KINDS, today=pakn_svc.today().isoformat(), **_labels(),
    ), status


@bp.get("/pakn/new")
@roles_required(*STAFF)
def pakn_new() -> tuple[str, int]:
    check_keys(request.args, ())
    return _typed_form(current_ward())


@bp.post("/pakn/new")
@roles_required(*STAFF)
def pakn_create() -> tuple[str, int]:
    ward = current_ward()
    names = ("channel", "received_on", "point", "kind", "category", "text", "contact_name", "contact_phone",
             "contact_email", "consent")
    form = {k: request.form.get(k, "")[:5000] for k in names}
    errors: dict[str, str] = {}
    point = None
    if form["point"]:
        point = next((p for p in ward.points if str(p.id) == form["point"]), None)
        if point is None:
            errors["point"] = _("Vui lòng chọn một điểm trong danh sách.")
    received = datetime.now(UTC)
    try:
        day = date.fromisoformat(form["received_on"]) if form["received_on"] else pakn_svc.today()
    except ValueError:
        errors["received_on"] = _("Ngày không đúng dạng (năm-tháng-ngày).")
    else:
        if not date(2015, 1, 1) <= day <= pakn_svc.today():
            errors["received_on"] = _("Ngày tiếp nhận phải từ năm 2015 đến hôm nay.")
        elif day != pakn_svc.today():
            received = datetime.combine(day, datetime.min.time().replace(hour=8), tzinfo=TZ)
    if form["channel"] not in {c.value for c in pakn_svc.TYPED_CHANNELS}:
        errors["channel"] = _("Vui lòng chọn kênh tiếp nhận.")
    intake = pakn_svc.Intake(
        ward=ward, category=form["category"], text=form["text"], channel=form["channel"], received_at=received,
        point=point, kind=form["kind"] or None, contact_name=form["contact_name"],
        contact_phone=form["contact_phone"], contact_email=form["contact_email"], consent=form["consent"] == "yes",
        actor=user().username,
    )
    for problem in reversed(pakn_svc.check(intake)):
        errors.setdefault(problem.field or "text", str(problem))
    if errors:
        return _typed_form(ward, form, errors, 400)
    item, code = pakn_svc.register(intake)
    assert code is not None
    # The code is shown once, here, to give to the citizen; only its hash is kept.
    return _typed_form(ward, created=(item, pakn_svc.format_code(code)), status=201)


@bp.post("/comments/<row_id:response_id>/pakn")
@roles_required(*STAFF)
def comment_to_pakn(response_id: int) -> Response:
    ward = current_ward()
    found = comment_svc.get(response_id, ward.id)
    if found is None:
        abort(404, _("Không có phiếu này."))
    submission = found[0]
    try:
        item, created = pakn_svc.from_comment(ward, submission, user().username)
    except pakn_svc.NotAllowed as exc:
        abort(403, str(exc))
    except pakn_svc.PaknError as exc:
        abort(400, str(exc))
    flash(_("Đã chuyển ý kiến thành phản ánh số %(id)s.", id=item.id) if created
          else _("Ý kiến này đã là phản ánh số %(id)s.", id=item.id), "success")
    return redirect(url_for(".pakn_item", item_id=item.id), code=303)


# --- settings ---------------------------------------------------------------------------------


def _settings_page(ward: Organisation, error: str | None = None, status: int = 200) -> tuple[str, int]:
    year = pakn_svc.today().year
    public, makeup = pakn_svc.vietnam_holidays_for(year)
    return render_template(
        "office/pakn_settings.html", days=pakn_svc.calendar_days(ward.id), rules=pakn_svc.rules(ward.id),
        units=pakn_svc.units(ward.id), error=error, holidays=public, makeup=makeup, year=year,
        default_rule=pakn_svc.DEFAULT_RULE, mail_on=pakn_mail.enabled(), **_labels(),
    ), status


@bp.get("/pakn/settings")
@roles_required(*ADMIN)
def pakn_settings() -> tuple[str, int]:
    check_keys(request.args, ())
    return _settings_page(current_ward())


@bp.post("/pakn/settings/<part>")
@roles_required(*ADMIN)
def pakn_settings_save(part: str) -> Any:
    ward = current_ward()
    actor = user().username
    form = request.form
    try:
        if part == "day":
            try:
                day = date.fromisoformat(form.get("day", "").strip()[:10])
            except ValueError:
                raise pakn_svc.PaknError(_("Ngày không đúng dạng (năm-tháng-ngày)."), "day") from None
            if form.get("working") not in ("0", "1"):
                raise pakn_svc.PaknError(_("Vui lòng chọn nghỉ thêm hoặc làm bù."), "working")
            pakn_svc.set_calendar_day(ward.id, actor, day, form["working"] == "1", form.get("note", ""))
        elif part == "day-delete":
            pakn_svc.delete_calendar_day(ward.id, actor, int_arg(form, "id", 0, high=2**31 - 1))
        elif part == "rule":
            days = int_arg(form, "days", 0, low=1, high=365)
            pakn_svc.set_rule(ward.id, actor, form.get("category", ""), days, form.get("working") == "1")
        elif part == "unit":
            pakn_svc.save_unit(ward.id, actor, form.get("code", ""), form.get("name", ""), form.get("email", ""),
                               form.get("digest_all") == "1", form.get("active", "1") == "1")
        else:
            abort(404)
    except pakn_svc.PaknError as exc:
        transaction.start_over()
        return _settings_page(ward, str(exc), 400)
    flash(_("Đã lưu."), "success")
    return redirect(url_for(".pakn_settings"), code=303)

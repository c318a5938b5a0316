"""Paper forms in the office: open a form by its serial, type its answers, double entry, reviewers' choices.

Admins and reviewers enter and resolve; viewers read results only (a clerk's keys become the ward's figures).
"""

from __future__ import annotations

from datetime import date, datetime

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hailong.analysis.periods import TZ

from .. import transaction
from ..models import PaperSerial, PaperState
from ..services import paper as paper_svc
from . import bp
from .access import ADMIN, STAFF, current_ward, roles_required, user
from .filters import check_keys

# A form's URL carries its serial as <code> (the name the office's route tests know).

#: The session keys that remember a clerk's last day and point, so a stack of forms needs them typed once.
LAST_DAY = "paper_day"
LAST_POINT = "paper_point"


def _locale() -> str:
    return str(get_locale() or "vi")


def _home(status: int = 200, error: str | None = None, serial: str = "") -> tuple[str, int]:
    ward = current_ward()
    return render_template(
        "office/paper_home.html", error=error, serial=serial, counts=paper_svc.counts(ward),
        double_entry=paper_svc.double_entry_required(ward),
        waiting=paper_svc.waiting(ward, PaperState.ENTERED), conflicts=paper_svc.waiting(ward, PaperState.CONFLICT),
        can_configure=user().role in ADMIN,
    ), status


@bp.get("/paper")
@roles_required(*STAFF)
def paper_home() -> Response | tuple[str, int]:
    check_keys(request.args, ("serial",))
    if "serial" not in request.args:
        return _home()
    typed = request.args.get("serial", "")[:40]
    try:
        paper = paper_svc.find(current_ward(), typed)
    except paper_svc.PaperError as exc:
        return _home(exc.status, str(exc), typed)
    if paper.state == PaperState.CONFLICT:
        return redirect(url_for(".paper_resolve", code=paper.serial), code=303)
    try:
        paper_svc.check_can_enter(paper, user())
    except paper_svc.PaperError as exc:
        return _home(exc.status, str(exc), typed)
    return redirect(url_for(".paper_entry", code=paper.serial), code=303)


def _paper(serial: str) -> PaperSerial:
    try:
        return paper_svc.find(current_ward(), serial)
    except paper_svc.PaperError as exc:
        abort(exc.status, str(exc))


def _defaults(paper: PaperSerial) -> dict[str, str]:
    """The day and point this clerk used last (when they fit this form), else today."""
    today = datetime.now(TZ).date()
    day = session.get(LAST_DAY)
    issued = paper.issued_at.astimezone(TZ).date()
    try:
        last = date.fromisoformat(day) if isinstance(day, str) else None
    except ValueError:
        last = None
    values = {paper_svc.DAY: (last if last and issued <= last <= today else today).isoformat()}
    point = session.get(LAST_POINT)
    if isinstance(point, str):
        values[paper_svc.POINT] = point
    return values


def _entry_page(paper: PaperSerial, values: dict[str, str], errors: dict[str, str] | None = None,
                status: int = 200) -> tuple[str, int]:
    layout = paper_svc.entry_layout(paper, _locale())
    names = [f.name for f in layout.fields]
    first_error = next((n for n in names if errors and n in errors), None)
    first_answer = layout.groups[0].fields[0].name if layout.groups else names[0]
    return render_template(
        "office/paper_entry.html", paper=paper, layout=layout, values=values, errors=errors or {},
        focus=first_error or first_answer, entries=len(paper.entries),
        double_entry=paper_svc.double_entry_required(current_ward()),
        today=datetime.now(TZ).date().isoformat(), issued=paper.issued_at.astimezone(TZ).date().isoformat(),
    ), status


@bp.get("/paper/<code>")
@roles_required(*STAFF)
def paper_entry(code: str) -> tuple[str, int]:
    check_keys(request.args, ())
    paper = _paper(code)
    try:
        paper_svc.check_can_enter(paper, user())
    except paper_svc.PaperError as exc:
        abort(exc.status, str(exc))
    return _entry_page(paper, _defaults(paper))


@bp.post("/paper/<code>")
@roles_required(*STAFF)
def paper_entry_save(code: str) -> Response | tuple[str, int]:
    ward = current_ward()
    paper = _paper(code)
    clerk = user()
    try:
        paper_svc.check_can_enter(paper, clerk)
    except paper_svc.PaperError as exc:
        abort(exc.status, str(exc))
    form = {key: value for key, value in request.form.items() if isinstance(value, str)}
    values, errors = paper_svc.read_entry(paper, form, _locale())
    if errors:
        typed = {f.code: form.get(f.name, "") for f in paper_svc.entry_layout(paper, _locale()).fields}
        return _entry_page(paper, typed, errors, 400)
    try:
        result = paper_svc.record_entry(ward, paper, clerk, values)
    except paper_svc.PaperError as exc:
        abort(exc.status, str(exc))
    session[LAST_DAY] = values[paper_svc.DAY]
    if paper_svc.POINT in values:
        session[LAST_POINT] = values[paper_svc.POINT]
    if result.outcome == paper_svc.Outcome.WAITING:
        flash(_("Đã lưu lần nhập thứ nhất của phiếu số %(serial)s. Phiếu chỉ được tính khi một cán bộ khác nhập "
                "lần hai và khớp.", serial=paper.serial), "success")
    elif result.outcome == paper_svc.Outcome.STORED:
        flash(_("Phiếu số %(serial)s đã được lưu và tính vào kết quả.", serial=paper.serial), "success")
    else:
        flash(_("Lần nhập này khác lần thứ nhất ở %(n)s câu: phiếu số %(serial)s chờ cán bộ xem xét đối chiếu với "
                "phiếu giấy.", n=result.differences, serial=paper.serial), "error")
    return redirect(url_for(".paper_home"), code=303)


def _resolve_page(paper: PaperSerial, status: int = 200, error: str | None = None,
                  picked: dict[str, str] | None = None) -> tuple[str, int]:
    found, agreed = paper_svc.differences(paper, _locale())
    return render_template("office/paper_resolve.html", paper=paper, differences=found, agreed=agreed,
                           entries=paper.entries, error=error, picked=picked or {}), status


@bp.get("/paper/<code>/resolve")
@roles_required(*STAFF)
def paper_resolve(code: str) -> tuple[str, int]:
    check_keys(request.args, ())
    paper = _paper(code)
    if paper.state != PaperState.CONFLICT:
        abort(409, _("Phiếu số %(serial)s không có hai lần nhập khác nhau cần đối chiếu.", serial=paper.serial))
    return _resolve_page(paper)


@bp.post("/paper/<code>/resolve")
@roles_required(*STAFF)
def paper_resolve_save(code: str) -> Response | tuple[str, int]:
    ward = current_ward()
    paper = _paper(code)
    if paper.state != PaperState.CONFLICT:
        abort(409, _("Phiếu số %(serial)s không có hai lần nhập khác nhau cần đối chiếu.", serial=paper.serial))
    found, _agreed = paper_svc.differences(paper, _locale())
    choices = {d.field.code: request.form.get("pick-" + d.field.name, "") for d in found}
    try:
        paper_svc.resolve(ward, paper, user(), choices)
    except paper_svc.PaperError as exc:
        transaction.start_over()
        if exc.status == 400:
            return _resolve_page(paper, 400, str(exc), {k: v for k, v in choices.items() if v in ("1", "2")})
        abort(exc.status, str(exc))
    flash(_("Phiếu số %(serial)s đã được lưu theo lựa chọn đối chiếu.", serial=paper.serial), "success")
    return redirect(url_for(".paper_home"), code=303)


@bp.post("/paper/settings")
@roles_required(*ADMIN)
def paper_settings() -> Response:
    value = request.form.get("double_entry", "")
    if value not in ("on", "off"):
        abort(400, _("Thao tác không hợp lệ."))
    paper_svc.set_double_entry(current_ward(), value == "on", user().username)
    flash(_("Từ nay phiếu giấy chỉ được tính khi hai cán bộ nhập khớp nhau.") if value == "on"
          else _("Từ nay phiếu giấy được tính ngay sau lần nhập thứ nhất."), "success")
    return redirect(url_for(".paper_home"), code=303)

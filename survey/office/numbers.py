"""Office pages for the numbers: the ward's population margins (admin) and the sample-size planner (staff)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from hailong.forms.questionnaire import KINDS

from .. import transaction
from ..services import audit, planning
from ..services import weighting as weighting_svc
from . import bp
from .access import ADMIN, STAFF, current_ward, roles_required, user
from .dashboard import allowed_kinds
from .filters import check_keys, choice_arg, kind_arg, today

MARGINS = ("10", "5", "3", "2")
CONFIDENCES = ("90", "95", "99")


def _margins_page(status: int = 200, error: str | None = None, form: MultiDict[str, str] | None = None
                  ) -> tuple[str, int]:
    ward = current_ward()
    rows = weighting_svc.margins_rows(ward)
    values = {(r.dimension, r.category): r.population for r in rows}
    source = next((r.source for r in rows if r.source), "")
    dims = [(dim, weighting_svc.categories(dim)) for dim in weighting_svc.DIMENSIONS]
    totals = {dim: sum(v for (d, _c), v in values.items() if d == dim) for dim in weighting_svc.DIMENSIONS}
    return render_template("office/margins.html", dims=dims, values=values, source=source, totals=totals,
                           error=error, form=form, updated=max((r.updated_at for r in rows), default=None)), status


@bp.get("/margins")
@roles_required(*ADMIN)
def margins() -> tuple[str, int]:
    check_keys(request.args, ())
    return _margins_page()


@bp.post("/margins")
@roles_required(*ADMIN)
def margins_save() -> Any:
    ward = current_ward()
    source = request.form.get("source", "").strip()
    try:
        for dim, cats in [(d, weighting_svc.categories(d)) for d in weighting_svc.DIMENSIONS]:
            raw = {code: request.form.get(f"{dim}.{code}", "").strip().replace(".", "") for code, _label in cats}
            if not any(raw.values()):
                weighting_svc.clear_margins(ward, dim)
                continue
            parsed = {}
            for code, text in raw.items():
                if text and not (text.isascii() and text.isdigit() and len(text) <= 9):
                    raise weighting_svc.MarginError(_("Số dân phải là số nguyên không âm (nhóm %(code)s).", code=code))
                parsed[code] = int(text or 0)
            weighting_svc.set_margins(ward, dim, parsed, source, user().username)
    except weighting_svc.MarginError as exc:
        transaction.start_over()
        return _margins_page(400, str(exc), request.form)
    audit.record(user().username, "margins.saved", f"ward:{ward.code}", source[:200] or None)
    flash(_("Đã lưu cơ cấu dân số. Chỉ số gia quyền được tính lại theo cơ cấu này."), "success")
    return redirect(url_for(".margins"), code=303)


@bp.get("/plan")
@roles_required(*STAFF)
def plan() -> str:
    check_keys(request.args, ("kind", "margin", "confidence"))
    kinds = allowed_kinds()
    kind = kind_arg(request.args, kinds, "health" if "health" in kinds else kinds[0]) or KINDS[0]
    margin = choice_arg(request.args, "margin", MARGINS, "5")
    confidence = choice_arg(request.args, "confidence", CONFIDENCES, "95")
    result = planning.plan(current_ward(), kind, float(margin), float(confidence), today())
    return render_template("office/plan.html", result=result, kind=kind, kinds=kinds, margin=margin,
                           confidence=confidence, margins=MARGINS, confidences=CONFIDENCES)

"""The admin decides what the public results page (/cong-khai) shows: per kind on or off, live or closed, min n."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from hailong.analysis import wording
from hailong.forms.questionnaire import KINDS

from ..services import publication
from . import bp
from .access import ADMIN, current_ward, roles_required, user
from .filters import check_keys


def _page(status: int = 200, error: str | None = None, form: Any = None) -> tuple[str, int]:
    ward = current_ward()
    return render_template(
        "office/publication.html", kinds=KINDS, chosen=publication.settings(ward.id), error=error, form=form,
        floor=publication.MIN_N_FLOOR, origins=current_app.config["HAILONG_EMBED_ORIGINS"],
    ), status


@bp.get("/cong-khai")
@roles_required(*ADMIN)
def publication_settings() -> tuple[str, int]:
    check_keys(request.args, ())
    return _page()


@bp.post("/cong-khai")
@roles_required(*ADMIN)
def publication_save() -> Response | tuple[str, int]:
    ward = current_ward()
    form = request.form
    wanted = []
    for kind in KINDS:
        try:
            min_n = publication.parse_min_n(form.get(f"{kind}-min_n", ""))
        except publication.PublicationError as exc:
            return _page(400, f"{wording.kind_name(kind, _)}: {exc}", form)
        wanted.append(publication.KindSetting(kind, form.get(f"{kind}-enabled") == "1",
                                              form.get(f"{kind}-live") == "1", min_n))
    try:
        changed = publication.update_settings(ward.id, user().username, wanted)
    except publication.PublicationError as exc:
        return _page(400, str(exc), form)
    flash(_("Đã lưu. Trang công khai cập nhật trong vòng một phút.") if changed else _("Không có gì thay đổi."),
          "success")
    return redirect(url_for(".publication_settings"), code=303)

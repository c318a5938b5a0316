"""Helpers every office template uses: number and date formats, labels and the language switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from hailong.analysis import wording
from hailong.analysis.formatting import fmt_ci, fmt_diff, fmt_int, fmt_num, fmt_pct
from hailong.analysis.periods import TZ
from hailong.analysis.planner import about

from . import bp

SCALE_LEVELS = ("5", "4", "3", "2", "1")


def role_label(role: str) -> str:
    labels = {"admin": _("Quản trị"), "reviewer": _("Cán bộ xem xét"), "viewer": _("Xem theo đơn vị"),
              "province": _("Sở Nội vụ (toàn tỉnh)")}
    return labels.get(role, role)


def scale_label(value: int | str) -> str:
    """The wording of a level on the 1..5 scale."""
    labels = {
        "5": _("Rất hài lòng"), "4": _("Hài lòng"), "3": _("Bình thường"), "2": _("Không hài lòng"),
        "1": _("Rất không hài lòng"), "na": _("Không có ý kiến"),
    }
    return labels.get(str(value), str(value))


def local_time(value: datetime | None) -> str:
    """A stored UTC time as the ward's local "dd/mm/yyyy hh:mm"."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(TZ).strftime("%d/%m/%Y %H:%M")


def share(part: int, whole: int) -> str:
    """`part` as a percentage of `whole` with one decimal, or a dash."""
    return fmt_pct(100.0 * part / whole, 1) if whole else "–"


def _this_page(**changes: Any) -> str:
    """This GET page's URL with some query values changed (never url_for's own `_options`)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items() if not k.startswith("_") and k not in changes}
    return url_for(request.endpoint or "office.dashboard", **{**args, **(request.view_args or {}), **changes})


def lang_url(lang: str) -> str:
    """This page in another language (GET pages keep their filters; after a POST, the dashboard)."""
    if request.method == "GET" and request.endpoint and request.endpoint.startswith("office."):
        return _this_page(lang=lang)
    return url_for("office.dashboard", lang=lang)


def page_url(page: int) -> str:
    """This GET page with another `page` number."""
    return _this_page(page=page)


@bp.context_processor
def _office_helpers() -> dict[str, Any]:
    return {
        "fmt_pct": fmt_pct, "fmt_ci": fmt_ci, "fmt_int": fmt_int, "fmt_num": fmt_num, "fmt_diff": fmt_diff,
        # The wording of kinds, periods and interval methods, in the reader's language (analysis/wording.py).
        "kind_label": partial(wording.kind_name, _=_), "period_label": partial(wording.period_name, _=_),
        "ci_method_label": partial(wording.ci_method_name, _=_),
        "role_label": role_label, "scale_label": scale_label, "scale_levels": SCALE_LEVELS,
        "local_time": local_time, "share": share,
        "lang_url": lang_url, "page_url": page_url,
        "about": about, "report_name": partial(wording.report_name, _=_), "one_day": timedelta(days=1),
    }

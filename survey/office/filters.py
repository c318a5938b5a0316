"""Reading the office's query-string filters: period, kind, search; anything unknown is a 400 in Vietnamese."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import abort
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from hailong.analysis.periods import (
    TZ,
    Period,
    PeriodError,
    half,
    parse_period,
    quarter_of,
    recent_quarters,
    whole_year,
)
from hailong.analysis.wording import period_name
from hailong.forms.questionnaire import KINDS

# Query keys every office page accepts (the language switch).
ALWAYS = frozenset({"lang"})
PERIOD_HELP = "2026-Q1, 2026-H1, 2026, 2026-01-01..2026-03-31, 2026-Q4@report"
#: The largest id a row can have (INTEGER on both databases): a larger one in a URL is a 404, not a database error.
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """`<row_id:name>` in office URLs: a positive integer that fits an id column."""

    def __init__(self, url_map: Any) -> None:
        super().__init__(url_map, min=1, max=MAX_ROW_ID)


def today() -> date:
    """Today on the ward's calendar."""
    return datetime.now(TZ).date()


def check_keys(args: MultiDict[str, str], allowed: Iterable[str]) -> None:
    """Refuse unknown or repeated query parameters, naming the first one."""
    known = ALWAYS | set(allowed)
    for key in args:
        if key not in known:
            abort(400, _("Bộ lọc “%(name)s” không hợp lệ. Vui lòng dùng các ô chọn trên trang.", name=key[:40]))
        if len(args.getlist(key)) > 1:
            abort(400, _("Bộ lọc “%(name)s” chỉ được chọn một giá trị.", name=key[:40]))


def period_arg(args: MultiDict[str, str], default: Period | None = None) -> Period:
    """The `period` filter; the current quarter when absent."""
    text = args.get("period", "").strip()
    if not text:
        return default or parse_period(quarter_of(today()))
    try:
        return parse_period(text[:40])
    except PeriodError:
        abort(400, _("Kỳ báo cáo “%(text)s” không hợp lệ. Dùng dạng %(help)s.", text=text[:40], help=PERIOD_HELP))


def kind_arg(args: MultiDict[str, str], allowed: Sequence[str], default: str | None) -> str | None:
    """The `kind` filter: one of KINDS; 400 if unknown, 403 if outside what this account may see."""
    text = args.get("kind", "").strip()
    if not text:
        return default
    if text not in KINDS:
        abort(400, _("Loại dịch vụ “%(text)s” không hợp lệ. Chọn một trong: %(kinds)s.",
                     text=text[:40], kinds=", ".join(KINDS)))
    if text not in allowed:
        abort(403, _("Ông/Bà chỉ xem được các điểm khảo sát thuộc đơn vị của mình."))
    return text


def int_arg(args: MultiDict[str, str], name: str, default: int, low: int = 1, high: int = 1_000_000) -> int:
    """A small positive integer filter such as `page`."""
    text = args.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not low <= int(text) <= high:
        abort(400, _("Giá trị “%(name)s” không hợp lệ.", name=name))
    return int(text)


def point_arg(args: MultiDict[str, str]) -> int | None:
    """The optional `point` filter: a point id."""
    if not args.get("point", "").strip():
        return None
    return int_arg(args, "point", 0, high=MAX_ROW_ID)


def choice_arg(args: MultiDict[str, str], name: str, choices: Sequence[str], default: str) -> str:
    """A filter with a fixed list of values."""
    text = args.get(name, "").strip() or default
    if text not in choices:
        abort(400, _("Giá trị “%(value)s” của “%(name)s” không hợp lệ.", value=text[:40], name=name))
    return text


@dataclass(frozen=True)
class PeriodOption:
    value: str
    label: str


def period_options(selected: Period) -> list[PeriodOption]:
    """The periods offered in the filter: the last six quarters, the halves and the years; plus the chosen one."""
    now = today()
    periods = [*reversed(recent_quarters(now, 6))]
    periods += [half(now.year, 2), half(now.year, 1), half(now.year - 1, 2), half(now.year - 1, 1)]
    periods += [whole_year(now.year), whole_year(now.year - 1)]
    labels = [p.label for p in periods]
    if selected.label not in labels:
        labels.insert(0, selected.label)
    return [PeriodOption(label, period_name(label, _)) for label in labels]

"""The survey's facts in words, one function each: periods, interval methods, kinds of service and channels.

Pure (no Flask): each function takes a gettext. The office passes Flask-Babel's, so a page follows its reader's
language; the report, an official Vietnamese document, passes `vietnamese` (a msgid is its Vietnamese text).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, Literal

from .formatting import fmt_int
from .intervals import DELTA_METHOD, bootstrap_adjustment, bootstrap_settings
from .periods import Period, PeriodError, parse_period

#: A gettext: the Vietnamese text (the msgid), %-formatted with the values, in the reader's language.
Gettext = Callable[..., str]
KindForm = Literal["label", "short", "title", "in_sentence"]

_ROMAN = ("I", "II", "III", "IV")


def vietnamese(text: str, **values: Any) -> str:
    """The gettext of Vietnamese-only texts: the msgid itself, formatted as Flask-Babel's gettext formats."""
    return text % values if values else text


def period_name(period: Period | str, _: Gettext = vietnamese, *, in_sentence: bool = False) -> str:
    """A period in words: "Quý I/2026", "6 tháng đầu năm 2026", "Năm 2026", "Từ 01/01/2026 đến 31/03/2026".

    `in_sentence` gives the form written inside a sentence of the report: "quý I năm 2026", "năm 2026",
    "từ ngày 01/01/2026 đến ngày 31/03/2026". A label that is no period is returned as it is.
    """
    if isinstance(period, str):
        text = period
        try:
            period = parse_period(text)
        except PeriodError:
            return text
    name = _base_name(period, _, in_sentence)
    if name is None:
        first = f"{period.start:%d/%m/%Y}"
        last = f"{period.end - timedelta(days=1):%d/%m/%Y}"
        if in_sentence:
            return _("từ ngày %(first)s đến ngày %(last)s", first=first, last=last)
        return _("Từ %(first)s đến %(last)s", first=first, last=last)
    if period.window != "calendar" and not in_sentence:
        # A reporting window is named like its period, with the days it covers (a report's text says them apart).
        final = period.end - timedelta(days=1)
        return _("%(name)s (kỳ báo cáo %(first)s–%(last)s)", name=name, first=f"{period.start:%d/%m/%Y}",
                 last=f"{final:%d/%m/%Y}")
    return name


def period_short(period: Period | str, _: Gettext = vietnamese) -> str:
    """A period as a table heading names it: "Quý III/2026" (a window without its days), "01/01–31/03/2026"."""
    try:
        parsed = parse_period(period) if isinstance(period, str) else period
    except PeriodError:
        return str(period)
    name = _base_name(parsed, _, False)
    if name is None:
        return f"{parsed.start:%d/%m}–{parsed.end - timedelta(days=1):%d/%m/%Y}"
    return name


def _base_name(period: Period, _: Gettext, in_sentence: bool) -> str | None:
    """The name of a quarter, half or year (a window's too: "2026-Q4@report" is quý IV); None for a date range."""
    label = period.base
    year = label[:4]
    if "-Q" in label:
        n = _ROMAN[int(label.rsplit("Q", 1)[1]) - 1]
        return _("quý %(n)s năm %(year)s", n=n, year=year) if in_sentence else _("Quý %(n)s/%(year)s", n=n, year=year)
    if "-H" in label:
        if label.endswith("1"):
            return _("6 tháng đầu năm %(year)s", year=year)
        return _("6 tháng cuối năm %(year)s", year=year)
    if ".." not in label:
        return _("năm %(year)s", year=year) if in_sentence else _("Năm %(year)s", year=year)
    return None


def report_name(period: Period | str, _: Gettext = vietnamese) -> str:
    """A periodic report's period in words without its window: "Quý IV/2026", "Năm 2026"."""
    if isinstance(period, str):
        period = parse_period(period)
    return _base_name(period, _, False) or period_name(period, _)


def ci_method_name(method: str | None, _: Gettext = vietnamese, *, detailed: bool = False) -> str:
    """How the element and overall intervals were computed, from an indices result's `ci_method`.

    Short for a page's footnote; `detailed` for the report's method annex (the resamples, the percentiles, and
    when the delta method stands in). No method: blank, or in the annex, that there was too little data.
    """
    if not method:
        return _("không tính được (chưa đủ dữ liệu)") if detailed else ""
    if settings := bootstrap_settings(method):
        adjust = bootstrap_adjustment(method)
        if not detailed:
            if adjust == "bca-expanded":
                return _("bootstrap BCa mở rộng cho mẫu nhỏ, %(b)s lần lấy mẫu lại theo phiếu, hạt giống %(seed)s",
                         b=settings[0], seed=settings[1])
            return _("bootstrap phân vị, %(b)s lần lấy mẫu lại theo phiếu, hạt giống %(seed)s", b=settings[0],
                     seed=settings[1])
        resample = _("lấy mẫu lại theo phiếu %(b)s lần (hạt giống ngẫu nhiên %(seed)s)", b=fmt_int(settings[0]),
                     seed=settings[1])
        if adjust == "bca-expanded":
            return _("bootstrap BCa mở rộng cho mẫu nhỏ: %(resample)s; hiệu chỉnh độ chệch và độ lệch của phân phối "
                     "(BCa, Efron 1987), lấy phân vị theo mức tin cậy mở rộng cho cỡ mẫu nhỏ (Hesterberg 2015)",
                     resample=resample)
        if adjust == "bca":
            return _("bootstrap BCa: %(resample)s; hiệu chỉnh độ chệch và độ lệch của phân phối (Efron 1987)",
                     resample=resample)
        if adjust == "expanded":
            return _("bootstrap phân vị mở rộng cho mẫu nhỏ: %(resample)s (Hesterberg 2015)", resample=resample)
        return _("bootstrap phân vị: %(resample)s, lấy phân vị 2,5%% và 97,5%%", resample=resample)
    if method == DELTA_METHOD:
        if detailed:
            return _("xấp xỉ chuẩn theo phương pháp delta (dùng từ 1.000 phiếu trở lên, hoặc khi số mẫu trả lời "
                     "khác nhau quá nhiều để chạy bootstrap)")
        return _("xấp xỉ chuẩn theo phương pháp delta")
    return method


def kind_name(kind: str, _: Gettext = vietnamese, *, form: KindForm = "label") -> str:
    """A kind of service in words: a label ("Y tế"), a table cell's short name, a heading or inside a sentence."""
    if kind == "onestop":
        names = {
            "label": _("Hành chính công (một cửa)"),
            "short": _("Hành chính công"),
            "title": _("Dịch vụ hành chính công (Trung tâm Phục vụ hành chính công)"),
            "in_sentence": _("dịch vụ hành chính công tại Trung tâm Phục vụ hành chính công"),
        }
    elif kind == "health":
        names = {"label": _("Y tế"), "short": _("Y tế"), "title": _("Dịch vụ y tế công"),
                 "in_sentence": _("dịch vụ y tế công")}
    elif kind == "education":
        names = {"label": _("Giáo dục"), "short": _("Giáo dục"), "title": _("Dịch vụ giáo dục công"),
                 "in_sentence": _("dịch vụ giáo dục công")}
    else:
        return kind
    return names[form]


def channel_name(channel: str, _: Gettext = vietnamese) -> str:
    """How a response reached the ward, in words (the channel codes of models.Channel)."""
    names = {
        "qr": _("Quét mã QR, trả lời trên điện thoại"),
        "paper": _("Phiếu giấy (khảo sát trực tiếp), nhập lại vào hệ thống"),
        "kiosk": _("Máy khảo sát đặt tại điểm phục vụ"),
        "import": _("Nhập từ tệp dữ liệu"),
    }
    return names.get(channel, channel)

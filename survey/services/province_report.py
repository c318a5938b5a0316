"""The province's roll-up report (Nghị định 30 layout, issued by the Sở Nội vụ): one section per kind, every ward.

Its figures are the roll-up page's (services.province.rollup: each ward's overall index, 95% interval, n, rank with
the minimum-n rule, the 90% target call), for the period and the previous one; nothing here computes an index.
The header, end block and stylesheet are the ward report's (templates/report/_doc_header.html, _doc_end.html,
report.css). It is slow at a province's size, so the office runs it as a background job (services/jobs.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from flask import render_template
from flask_babel import force_locale

from hailong.analysis import formatting, indices, windows
from hailong.analysis import report as rp
from hailong.analysis.periods import TZ, Period
from hailong.analysis.targets import target as plan_target
from hailong.analysis.wording import kind_name, period_name, period_short
from hailong.forms.questionnaire import KINDS

from ..models import Organisation
from . import province as province_svc


def default_filename(period: Period) -> str:
    """bao-cao-tinh-2026-Q1.pdf (reporting window), bao-cao-tinh-2026-Q1-calendar.pdf, a range's dates."""
    label = period.base.replace("..", "_")
    if period.kind != "range" and period.window != "report":
        label += f"-{period.window}"
    return f"bao-cao-tinh-{label}.pdf"


def build_pdf(period: Period, province: str, wards: Sequence[Organisation],
              progress: Callable[[Organisation], None] | None = None) -> bytes:
    """The whole province report as PDF bytes; `progress` is called once per ward and kind, for each period."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=render_html(period, province, wards, progress)).write_pdf()
    return pdf


def render_html(period: Period, province: str, wards: Sequence[Organisation],
                progress: Callable[[Organisation], None] | None = None) -> str:
    """The report's HTML, in Vietnamese whatever the locale (an official document)."""
    context = gather(period, province, wards, progress)
    with force_locale("vi"):
        return render_template("report/province.html", **context)


def _row(row: province_svc.WardRow, before: province_svc.WardRow | None) -> dict[str, Any]:
    """One ward's table row: this period's figures and the change from the previous period's index."""
    prev_index = before.index if before is not None and not before.low_n else None
    change = row.index - prev_index if row.index is not None and prev_index is not None and not row.low_n else None
    overlap = None
    if change is not None and before is not None and row.ci95 and before.ci95:
        overlap = row.ci95[0] <= before.ci95[1] and before.ci95[0] <= row.ci95[1]
    return {"ward": row.ward.name, "code": row.ward.code, "rank": row.rank, "responses": row.responses,
            "index": row.index, "ci95": row.ci95, "low_n": row.low_n, "meets_target": row.meets_target,
            "prev_index": prev_index, "change": change, "overlap": overlap}


def _section(kind: str, period: Period, wards: Sequence[Organisation],
             progress: Callable[[Organisation], None] | None) -> dict[str, Any]:
    rows = province_svc.rollup(period, kind, wards, with_trend=False, progress=progress)
    previous = {r.ward.id: r for r in province_svc.rollup(period.previous(), kind, wards, with_trend=False,
                                                          progress=progress)}
    table = [_row(r, previous.get(r.ward.id)) for r in rows]
    ranked = [r for r in table if r["rank"]]
    goal = plan_target(kind)
    return {
        "kind": kind,
        "rows": table,
        "target": goal,
        "with_data": sum(1 for r in table if r["responses"]),
        "ranked": len(ranked),
        "responses": sum(r["responses"] for r in table),
        "met": sum(1 for r in table if r["meets_target"] is True),
        "not_met": sum(1 for r in table if r["meets_target"] is False),
        "undecided": sum(1 for r in table if r["meets_target"] is None and r["responses"] and not r["low_n"]),
        "best": ranked[0] if ranked else None,
        "worst": ranked[-1] if len(ranked) > 1 else None,
        "up": sum(1 for r in table if r["change"] is not None and r["change"] > 0 and r["overlap"] is False),
        "down": sum(1 for r in table if r["change"] is not None and r["change"] < 0 and r["overlap"] is False),
    }


def _header(province: str) -> dict[str, Any]:
    """The Sở Nội vụ as issuing body; number, day and signer left blank to fill in by hand (never invented)."""
    return {
        "body_parent": f"Ủy ban nhân dân tỉnh {province}".upper(),
        "body_name": "Sở Nội vụ".upper(),
        "number": "",
        "number_blank": "……/BC-SNV",
        "place": province,
        "day": "",
        "month": "",
        "year": datetime.now(TZ).year,
        "authority": "GIÁM ĐỐC",
        "title_lines": [],
        "title_blank": False,
        "signer": "",
        "recipients": [],
    }


def gather(period: Period, province: str, wards: Sequence[Organisation],
           progress: Callable[[Organisation], None] | None = None) -> dict[str, Any]:
    """Everything the province template prints: the header and one section per kind with every ward's row."""
    sections = [_section(kind, period, wards, progress) for kind in KINDS]
    return {
        "header": _header(province),
        "province": province,
        "period": period,
        "period_name": period_name(period, in_sentence=True),
        "prev_short": period_short(period.previous()),
        "window_phrase": rp.window_phrase(period),
        "window_rule": windows.RULE.source,
        "period_last": period.end - timedelta(days=1),
        "wards": len(wards),
        "sections": sections,
        "total": sum(s["responses"] for s in sections),
        "low_n": indices.LOW_N,
        "kind_titles": {k: kind_name(k, form="title") for k in KINDS},
        "kind_short": {k: kind_name(k, form="short") for k in KINDS},
        "fmt": {"int": formatting.fmt_int, "pct": formatting.fmt_pct, "diff": formatting.fmt_diff,
                "ci": formatting.fmt_ci},
    }

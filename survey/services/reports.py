"""The formal period report (Nghị định 30/2020 layout): numbers through SQL/stats, Jinja templates, WeasyPrint."""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, select

from hailong.analysis import charts, formatting, indices, windows
from hailong.analysis import conventions as conv
from hailong.analysis import officers as officer_figures
from hailong.analysis import report as rp
from hailong.analysis.intervals import Pattern
from hailong.analysis.periods import TZ, Period
from hailong.analysis.targets import target as plan_target
from hailong.analysis.targets import target_gap
from hailong.analysis.weighting import TRIM_CAP
from hailong.analysis.wording import channel_name, kind_name, period_name, period_short
from hailong.forms.questionnaire import KINDS, QuestionType

from ..extensions import db
from ..models import (
    Answer,
    Channel,
    Organisation,
    Question,
    QuestionnaireVersion,
    ServicePoint,
    Setting,
    Submission,
)
from . import drafts, pakn, patterns, rollups, stats, targets
from . import officers as officer_svc
from . import questionnaires as qsvc
from . import weighting as weighting_svc
from .periods import within

#: Settings read from the `settings` table; a missing one is printed as a blank to fill in by hand.
SETTING_KEYS = (
    "report.number",
    "report.date",
    "report.place",
    "report.signer_authority",
    "report.signer_title",
    "report.signer_name",
    "report.recipients",
)
SHARE_QUESTIONS = ("extra_payment", "harassment")
COMMENT_POOL = 400


class ReportError(ValueError):
    """A report cannot be made for these arguments; the message is Vietnamese and shown as is."""


def settings(ward_id: int | None = None) -> dict[str, str]:
    """The ward's report settings that are set and not empty."""
    query = select(Setting.key, Setting.value).where(Setting.key.in_(SETTING_KEYS))
    if ward_id is not None:
        query = query.where(Setting.organisation_id == ward_id)
    rows = db.session.execute(query).tuples().all()
    return {k: v.strip() for k, v in rows if v and v.strip()}


def default_filename(period: Period, kind: str | None = None) -> str:
    """File name: bao-cao-2026-Q1.pdf (reporting window), bao-cao-2026-Q1-calendar-health.pdf, a range's dates."""
    label = period.base.replace("..", "_")
    if period.kind != "range" and period.window != "report":
        label += f"-{period.window}"
    return f"bao-cao-{label}{'-' + kind if kind else ''}.pdf"


def build_pdf(period: Period, kind: str | None = None, ward: Organisation | None = None,
              officer_annex: bool = False) -> bytes:
    """The whole report of a ward for a period (all kinds or one) as PDF bytes; `officer_annex`: with the annex
    "Đánh giá cán bộ" (per officer and desk, personnel data for the leadership), only when an admin asks for it."""
    return write_pdf(render_html(period, kind, ward, officer_annex))


_FONTS = threading.local()


def write_pdf(html: str) -> bytes:
    """WeasyPrint's PDF of an HTML page, with this thread's font configuration kept for the next report.

    A new FontConfiguration loads fontconfig's configuration again on every call; one per thread (Pango's font
    map is not shared between threads) is reused, which gives the same fonts as the documents name no web fonts.
    """
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = getattr(_FONTS, "config", None)
    if fonts is None:
        fonts = _FONTS.config = FontConfiguration()
    pdf: bytes = HTML(string=html).write_pdf(font_config=fonts)
    return pdf


def render_html(period: Period, kind: str | None = None, ward: Organisation | None = None,
                officer_annex: bool = False) -> str:
    """The report's HTML (Vietnamese whatever the request locale: it is an official document)."""
    with rollups.shared_reads():  # lookups several figures ask (a kind's versions, a ward's scope) read once
        context = gather(period, kind, ward)
    org = ward or organisation()
    context["officers"] = officer_svc.results(org, period) if officer_annex and org is not None else None
    context["officer_min_n"] = officer_figures.MIN_N
    context["officer_level_label"] = officer_svc.level_label
    with force_locale("vi"):
        return render_template("report/report.html", **context)


def gather(period: Period, kind: str | None = None, ward: Organisation | None = None) -> dict[str, Any]:
    """Everything the templates print about one ward (the deployment's when none is given), counted in SQL and
    computed by analysis/."""
    kind = parse_kind(kind)
    kinds = [kind] if kind else list(KINDS)
    org = ward or organisation()
    if org is None:
        raise ReportError(_("Cơ sở dữ liệu có nhiều phường; hãy chọn một phường cho báo cáo."))
    by_kind = _ward_points(org.id)
    ids = sorted(i for k in KINDS for i in by_kind[k])
    results = stats.indices_for(period, kind, workers=stats.configured_workers(), conventions=conv.CONVENTIONS,
                                ward_id=org.id)
    per_point = _point_rows(period, kinds, org.id)
    channels, flagged = _channels(period, kinds, ids, org.id)
    total = sum(int(r["responses"]) for r in results)
    shares = _shares(period, by_kind["onestop"], org.id) if "onestop" in kinds else {}
    lowest = rp.lowest_statements(results)
    sections = [_section(r, [p for p in per_point if p["kind"] == r["kind"]], period, by_kind[r["kind"]])
                for r in results]
    for section in sections:
        section["weighted"] = (
            weighting_svc.weighted(stats.Filter(period, section["kind"], by_kind[section["kind"]]), org)
            if section["has_data"] else {"status": "no_margins"}
        )
    # The same function as `hailong pakn stats`: the report's PAKN numbers equal the command's.
    pakn_numbers = pakn.stats(org.id, period, kind)
    ward_name, province = org.name, org.province
    points_with_responses = sum(1 for p in per_point if p["responses"])
    summary = rp.summary(
        period,
        results,
        ward=ward_name,
        points_with_responses=points_with_responses,
        shares=shares,
        lowest=lowest,
    )
    return {
        "period": period,
        "period_name": period_name(period, in_sentence=True),
        "window_phrase": rp.window_phrase(period),
        "window_rule": windows.RULE.source,
        "deadline": windows.deadline(period) if period.kind != "range" else None,
        "period_last": period.end - timedelta(days=1),
        "kind_list": "; ".join(kind_name(k, form="in_sentence") for k in kinds),
        "kind": kind,
        "kinds": kinds,
        "total": total,
        "flagged": flagged,
        "sections": sections,
        "points": per_point,
        "points_with_responses": points_with_responses,
        "channels": channels,
        "shares": shares,
        "lowest": lowest,
        "comments": _comments(period, kinds, org.id),
        "summary": summary,
        "methods": rp.method_rows(
            (kind_name(s["kind"], form="short"), s["overall"]["ci_method"]) for s in sections if s["has_data"]
        ),
        "low_n": indices.LOW_N,
        "draft_hours": drafts.max_age() // timedelta(hours=1),
        "conventions": _conventions_table(sections),
        "convention_info": conv.INFO,
        "coverage": COVERAGE,
        "trim_cap": TRIM_CAP,
        "header": _header(ward_name, province, org.id),
        "fmt": {
            "num": formatting.fmt_num,
            "int": formatting.fmt_int,
            "pct": formatting.fmt_pct,
            "diff": formatting.fmt_diff,
            "ci": formatting.fmt_ci,
            "change": rp.change_phrase,
        },
        "kind_titles": {k: kind_name(k, form="title") for k in KINDS},
        "kind_short": {k: kind_name(k, form="short") for k in KINDS},
        "kind_names": {k: kind_name(k, form="in_sentence") for k in KINDS},
        "pakn": pakn_numbers,
    }


#: What bench/coverage.py simulated, for the method annex (1,000 quarters per cell, README "Intervals").
COVERAGE = {
    "quarters": 1000,
    "sizes": "30, 60, 200",
    "levels": "70, 80, 85, 90, 95",
    "percentile_low": 88.9,
    "chosen_low": 92.1,
    "chosen_at_200": 94.3,
}


def _conventions_table(sections: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per convention: its name, source and each kind's value with interval (kinds with data)."""
    rows = []
    for code in conv.CONVENTIONS:
        cells = []
        for section in sections:
            found = next((c for c in section.get("conventions", []) if c["code"] == code), None)
            if section["has_data"] and found is not None:
                cells.append({"kind": section["kind"], **found})
        rows.append({"code": code, "name": conv.INFO[code].name, "source": conv.INFO[code].source, "cells": cells})
    return rows


def organisation() -> Organisation | None:
    """The ward of this deployment (HAILONG_WARD_CODE), or the only one there is."""
    code = current_app.config["HAILONG_WARD_CODE"]
    org = db.session.scalar(select(Organisation).filter_by(code=code))
    if org is None:
        orgs = list(db.session.scalars(select(Organisation).limit(2)))
        org = orgs[0] if len(orgs) == 1 else None
    return org


def _header(ward: str, province: str, ward_id: int | None = None) -> dict[str, Any]:
    """Header and signature texts: from the ward's settings, else blanks; nothing invented."""
    s = settings(ward_id)
    number = s.get("report.number", "")
    if number and "/" not in number:
        number = f"{number}/BC-UBND"
    place = s.get("report.place") or re.sub(r"^(phường|xã|thị trấn)\s+", "", ward, flags=re.IGNORECASE)
    when = _parse_date(s.get("report.date", ""))
    year = when.year if when else datetime.now(TZ).year
    recipients = [line.strip(" -–•;.") for line in s.get("report.recipients", "").splitlines()]
    return {
        "body_parent": "Ủy ban nhân dân".upper(),
        "body_name": ward.upper(),
        "number": number,
        "place": place,
        "day": f"{when.day:02d}" if when else "",
        "month": f"{when.month:02d}" if when else "",
        "year": year,
        "authority": s.get("report.signer_authority", "TM. ỦY BAN NHÂN DÂN"),
        "title_lines": [x.strip() for x in s.get("report.signer_title", "").splitlines() if x.strip()],
        "signer": s.get("report.signer_name", ""),
        "recipients": [r for r in recipients if r],
        "ward": ward,
        "ward_inline": rp.inline_name(ward),
        "province": province,
    }


def _parse_date(text: str) -> date | None:
    """A yyyy-mm-dd setting, or None when absent or malformed (then the date stays blank)."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _section(result: dict[str, Any], points: list[dict[str, Any]], period: Period,
             point_ids: Sequence[int]) -> dict[str, Any]:
    """One kind's block: indices, chart, target (point and interval, the year to date of `point_ids`: the
    ward's points of that kind) and comparison."""
    kind = result["kind"]
    goal = plan_target(kind)
    call = targets.call(kind, result)
    year = int(period.base[:4]) if period.kind != "range" else period.start.year
    has_data = bool(result["responses"]) and result["overall"]["index"] is not None
    chart = None
    if has_data:
        chart = Markup(charts.element_bars(rp.bars(result), target=goal,  # noqa: S704
                                           title=kind_name(kind, form="title")))
    previous = result.get("previous") or {}
    prev_elements = {e["code"]: e for e in previous.get("elements", [])}
    return {
        **result,
        "has_data": has_data,
        "chart": chart,
        "gap": target_gap(kind, result["overall"]["index"]),
        "call": call,
        "target_text": rp.target_clause(call, year),
        "ytd": (ytd := targets.year_to_date(period, kind, point_ids) if goal is not None else None),
        "ytd_text": rp.target_clause(ytd["call"], year) if ytd else None,
        "prev_name": period_name(previous["period"], in_sentence=True) if previous.get("period") else "",
        "prev_short": period_short(previous["period"]) if previous.get("period") else "",
        "prev_elements": prev_elements,
        "expect_top": rp.top_expectations(result, 5),
        "point_rows": points,
    }


def _point_rows(period: Period, kinds: Sequence[str], ward_id: int) -> list[dict[str, Any]]:
    """Each point's responses and overall index with its interval (the same numbers as `indices --point`)."""
    points = sorted(
        db.session.scalars(select(ServicePoint).where(ServicePoint.kind.in_(kinds),
                                                      ServicePoint.organisation_id == ward_id)),
        key=lambda p: (KINDS.index(p.kind), p.code),
    )
    found = _point_results(period, kinds, ward_id, [p.id for p in points])
    latest = {kind: qsvc.definition(qsvc.latest_version(kind)) for kind in kinds}
    # A point without responses gets the empty result: null index, never 0.
    empty = {kind: indices.compute(latest[kind], {}, [], 0) for kind in kinds}
    out = []
    for p in points:
        result = found.get(p.id)
        responses = result["responses"] if result else 0
        if not responses and not p.active:
            continue
        overall = (result or empty[p.kind])["overall"]
        out.append(
            {
                "code": p.code,
                "name": p.name,
                "kind": p.kind,
                "active": p.active,
                "responses": responses,
                "index": overall["index"],
                "ci95": overall["ci95"],
                "low_n": overall["low_n"],
            }
        )
    return out


def _point_results(period: Period, kinds: Sequence[str], ward_id: int, point_ids: Sequence[int]
                   ) -> dict[int, dict[str, Any]]:
    """patterns.results(by_point=True) of every kind at once: one GROUP BY over the ward's rows of the period.

    The ward and its days lead ix_responses_patterns, which holds the point and the masks, so this reads the
    index only; each point's patterns then give the same indices and intervals as `indices --point`.
    """
    bits: dict[int, tuple[str, ...]] = {}
    kind_of: dict[int, str] = {}
    for kind in kinds:
        for vid, codes in patterns.version_bits(kind).items():
            bits[vid], kind_of[vid] = codes, kind
    if not bits or not point_ids:
        return {}
    query = (
        select(Submission.point_id, Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask,
               func.count())
        .where(Submission.organisation_id == ward_id, within(Submission.day_key, period),
               Submission.questionnaire_id.in_(sorted(bits)), Submission.flagged.is_(False),
               Submission.point_id.in_(point_ids))
        .group_by(Submission.point_id, Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask)
    )
    grouped: dict[int, list[Pattern]] = defaultdict(list)
    point_kind: dict[int, str] = {}
    # Core rows on the session's connection: no ORM processing per row.
    for point_id, vid, sat_mask, valid_mask, n in db.session.connection().execute(query).tuples():
        grouped[int(point_id)].append((bits[vid], int(sat_mask), int(valid_mask), int(n)))
        point_kind[int(point_id)] = kind_of[vid]
    latest = {kind: qsvc.definition(qsvc.latest_version(kind)) for kind in set(point_kind.values())}
    return {point: indices.from_patterns(latest[point_kind[point]], found, sum(r[3] for r in found))
            for point, found in grouped.items()}


def _kind_versions(kinds: Sequence[str]) -> Any:
    return select(QuestionnaireVersion.id).where(QuestionnaireVersion.kind.in_(kinds))


def _ward_points(ward_id: int) -> dict[str, list[int]]:
    """The ids of the ward's points by kind (active or not, as stats.ward_point_ids): one query for the report."""
    by_kind: dict[str, list[int]] = {k: [] for k in KINDS}
    rows = db.session.execute(select(ServicePoint.kind, ServicePoint.id)
                              .where(ServicePoint.organisation_id == ward_id).order_by(ServicePoint.id)).tuples()
    for kind, point_id in rows:
        by_kind.setdefault(kind, []).append(point_id)
    return by_kind


def _channels(period: Period, kinds: Sequence[str], point_ids: Sequence[int], ward_id: int
              ) -> tuple[list[dict[str, Any]], int]:
    """Responses per channel (flagged ones left out, as in the indices), and the flagged responses of the period
    (set aside as suspicious, not counted anywhere in the report).

    One GROUP BY over the ward's rows of the period: the ward and its days lead ix_responses_patterns, so other
    wards' rows are never read.
    """
    rows = db.session.execute(
        select(Submission.flagged, Submission.channel, func.count())
        .where(
            Submission.organisation_id == ward_id,
            within(Submission.day_key, period),
            Submission.point_id.in_(point_ids),
            Submission.questionnaire_id.in_(_kind_versions(kinds)),
        )
        .group_by(Submission.flagged, Submission.channel)
    ).tuples()
    counts: dict[str, int] = {}
    flagged = 0
    for is_flagged, channel, n in rows.all():
        if is_flagged:
            flagged += int(n)
        else:
            counts[channel] = int(n)
    total = sum(counts.values())
    known = [c.value for c in Channel]
    order = known + sorted(set(counts) - set(known))
    return [
        {
            "code": c,
            "name": channel_name(c),
            "count": counts[c],
            "pct": round(100.0 * counts[c] / total, 2) if total else None,
        }
        for c in order
        if counts.get(c)
    ], flagged


def _shares(period: Period, point_ids: Sequence[int], ward_id: int) -> dict[str, dict[str, Any]]:
    """Answers of the one-stop extra_payment and harassment questions, option by option.

    `point_ids` are all the ward's one-stop points, so the ward's answer rollups hold exactly these counts
    (a question of a one-stop version is only answered at one-stop points); raw rows inside rollups.raw_reads.
    """
    versions = {v.id: v for v in db.session.scalars(select(QuestionnaireVersion).filter_by(kind="onestop"))}
    if not versions:
        return {}
    questions = db.session.execute(
        select(Question.id, Question.code, Question.questionnaire_id).where(
            Question.questionnaire_id.in_(versions), Question.code.in_(SHARE_QUESTIONS)
        )
    ).tuples()
    meta: dict[int, tuple[str, list[str]]] = {}
    labels: dict[str, dict[str, str]] = {code: {} for code in SHARE_QUESTIONS}
    latest = qsvc.definition(qsvc.latest_version("onestop"))
    for qid, code, vid in questions:
        question = qsvc.definition(versions[vid]).question(code)
        if question is None or question.type != QuestionType.CHOICE:
            continue
        meta[qid] = (code, [o.code for o in question.options])
        for o in question.options:
            labels[code].setdefault(o.code, o.label.vi)
    if not meta:
        return {}
    if not point_ids:
        return _share_rows(meta, labels, latest, [])
    if rollups.reading_raw():
        query = (select(Answer.question_id, Answer.value, func.count())
                 .where(Answer.organisation_id == ward_id, Answer.question_id.in_(meta),
                        within(Answer.day_key, period), Answer.excluded.is_(False), Answer.point_id.in_(point_ids))
                 .group_by(Answer.question_id, Answer.value))
    else:
        query = rollups.answer_counts([ward_id], meta, *period.day_keys())
    return _share_rows(meta, labels, latest, db.session.execute(query).tuples().all())


def _share_rows(meta: dict[int, tuple[str, list[str]]], labels: dict[str, dict[str, str]], latest: Any,
                rows: Sequence[tuple[int, int, int]]) -> dict[str, dict[str, Any]]:
    """Each share question's options with their counts and percentages, in the latest version's order."""
    counts: dict[str, dict[str, int]] = {code: {} for code in SHARE_QUESTIONS}
    for qid, value, n in rows:
        code, options = meta[qid]
        if 1 <= value <= len(options):
            bucket = counts[code]
            bucket[options[value - 1]] = bucket.get(options[value - 1], 0) + int(n)
    out = {}
    for code in SHARE_QUESTIONS:
        q = latest.question(code)
        order = [o.code for o in q.options] if q else list(labels[code])
        choices = [(c, labels[code].get(c, c)) for c in order]
        out[code] = {**rp.choice_share(choices, counts[code]), "text": q.text.vi if q else code}
    return out


def _comments(period: Period, kinds: Sequence[str], ward_id: int) -> list[dict[str, Any]]:
    """A few recent comments of unflagged responses, masked (phones, e-mails) by analysis.report.

    The ward's rows of the period first (ix_responses_patterns), then the newest: no other ward's row is read.
    The point names come from a second small query: joined in SQL, the planner expects one comment and reads
    the points table once per comment.
    """
    names = {pid: (name, kind) for pid, name, kind in db.session.execute(
        select(ServicePoint.id, ServicePoint.name, ServicePoint.kind)
        .where(ServicePoint.organisation_id == ward_id, ServicePoint.kind.in_(kinds))).tuples()}
    if not names:
        return []
    found = db.session.execute(
        select(Submission.comment, Submission.day_key, Submission.point_id)
        .where(
            Submission.organisation_id == ward_id,
            within(Submission.day_key, period),
            Submission.flagged.is_(False),
            Submission.comment.is_not(None),
            Submission.comment != "",
            Submission.point_id.in_(sorted(names)),
        )
        .order_by(Submission.submitted_at.desc(), Submission.id.desc())
        .limit(COMMENT_POOL)
    ).tuples()
    rows = [(c, d, *names[point_id]) for c, d, point_id in found]
    pool = [
        {"comment": c, "date": f"{d % 100:02d}/{d // 100 % 100:02d}/{d // 10000}", "point": name, "kind": k}
        for c, d, name, k in rows
    ]
    return rp.pick_comments(pool)


def parse_kind(text: str | None) -> str | None:
    """A --kind value checked against the known kinds (None for all)."""
    if text is None or text == "":
        return None
    if text not in KINDS:
        raise ReportError(
            _("Loại dịch vụ “%(kind)s” không hợp lệ. Chọn một trong: %(kinds)s.", kind=text, kinds=", ".join(KINDS))
        )
    return text

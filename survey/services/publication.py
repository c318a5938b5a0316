"""What a ward publishes on /cong-khai: its settings, the published figures as one plain dict, and open data.

The figures (the "snapshot") are computed here from the response patterns with analysis/indices, the same
functions and the same patterns as `hailong indices`, so the published numbers equal the command's. Nothing below
a ward's minimum n is put in the snapshot at all: the page, the widget, the JSON and the CSV are all made from it,
so none of them can show what is not published. No comment, no answer row and no contact detail ever enters it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, Select, bindparam, case, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from hailong.analysis import indices
from hailong.analysis.intervals import Pattern
from hailong.analysis.periods import TZ, Period, quarter, recent_quarters
from hailong.analysis.planner import target_call
from hailong.analysis.targets import target as plan_target
from hailong.forms.questionnaire import KINDS, Questionnaire

from ..extensions import db
from ..models import AuditEvent, Organisation, PublicSetting, QuestionnaireVersion, ServicePoint, Submission
from . import audit, pakn, patterns, rollups
from . import questionnaires as qsvc

#: Bump when the snapshot's shape changes: a shared copy of another shape is then recomputed, not read.
SCHEMA = 2
DEFAULT_MIN_N = 30
#: The lowest minimum n an admin may set (the database refuses lower too).
MIN_N_FLOOR = 10
MIN_N_CEILING = 100_000
TREND_QUARTERS = 6


class PublicationError(ValueError):
    """A setting an admin asked for cannot be saved; the message is for the admin."""


# --- settings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KindSetting:
    """Whether a kind is published, whether its current quarter is shown as it fills, and its minimum n."""

    kind: str
    enabled: bool = False
    live: bool = True
    min_n: int = DEFAULT_MIN_N

    def describe(self) -> str:
        """One line for the audit log, e.g. "health: bật, quý hiện tại, n ≥ 30"."""
        state = "bật" if self.enabled else "tắt"
        live = "quý hiện tại" if self.live else "chỉ quý đã kết thúc"
        return f"{self.kind}: {state}, {live}, n ≥ {self.min_n}"


def settings(ward_id: int) -> dict[str, KindSetting]:
    """Every kind's setting for a ward; a kind without a row is not published (a fresh install publishes nothing)."""
    rows = db.session.scalars(select(PublicSetting).where(PublicSetting.organisation_id == ward_id))
    found = {r.kind: KindSetting(r.kind, r.enabled, r.live, r.min_n) for r in rows}
    return {kind: found.get(kind, KindSetting(kind)) for kind in KINDS}


def parse_min_n(text: str) -> int:
    """The minimum n typed by an admin: a whole number from MIN_N_FLOOR up."""
    text = text.strip()
    if not text.isdigit() or len(text) > 6:
        raise PublicationError(_("Số phiếu tối thiểu phải là một số nguyên từ %(floor)s trở lên.", floor=MIN_N_FLOOR))
    value = int(text)
    if value < MIN_N_FLOOR:
        raise PublicationError(_("Số phiếu tối thiểu không được nhỏ hơn %(floor)s: với ít phiếu hơn, chỉ số dao "
                                 "động quá nhiều để công bố.", floor=MIN_N_FLOOR))
    if value > MIN_N_CEILING:
        raise PublicationError(_("Số phiếu tối thiểu tối đa là %(ceiling)s.", ceiling=f"{MIN_N_CEILING:,}"))
    return value


def update_settings(ward_id: int, actor: str, wanted: Sequence[KindSetting]) -> list[KindSetting]:
    """Save the settings that changed, each with an audit event; returns the changed ones. The caller commits."""
    for item in wanted:
        if item.kind not in KINDS:
            raise PublicationError(_("Loại dịch vụ không hợp lệ."))
        if not MIN_N_FLOOR <= item.min_n <= MIN_N_CEILING:
            raise PublicationError(_("Số phiếu tối thiểu không được nhỏ hơn %(floor)s: với ít phiếu hơn, chỉ số dao "
                                     "động quá nhiều để công bố.", floor=MIN_N_FLOOR))
    rows = {r.kind: r for r in db.session.scalars(
        select(PublicSetting).where(PublicSetting.organisation_id == ward_id))}
    before = settings(ward_id)
    changed = []
    for item in wanted:
        if before[item.kind] == item and item.kind in rows:
            continue
        row = rows.get(item.kind)
        if row is None:
            row = PublicSetting(organisation_id=ward_id, kind=item.kind)
            db.session.add(row)
        row.enabled, row.live, row.min_n = item.enabled, item.live, item.min_n
        row.updated_at, row.updated_by = datetime.now(UTC), actor[:80]
        if before[item.kind] != item:
            audit.record(actor, "public.settings", f"ward:{ward_id}",
                         f"{before[item.kind].describe()} → {item.describe()}", ward_id=ward_id)
            changed.append(item)
    db.session.flush()
    return changed


def publish_all(ward_id: int, actor: str) -> list[KindSetting]:
    """Publish every kind with the defaults (`hailong init --demo`); kinds already set keep their live/min n."""
    current = settings(ward_id)
    return update_settings(ward_id, actor, [
        KindSetting(kind, True, current[kind].live, current[kind].min_n) for kind in KINDS])


# --- what the figures were computed from -----------------------------------------------------------


@dataclass(frozen=True)
class Marks:
    """What a snapshot saw: the ward's last response, the ward's last audit event (flags, settings, points, PAKN
    replies), the newest questionnaire version and the day.

    A snapshot is current while no later response or audit event of the ward, no new questionnaire version and no
    new local day exists. Other wards' events do not count, nor do events of no ward (a sign-in with an unknown
    name, a province account's export or job): none changes what the ward publishes. A new questionnaire version
    is no audit event (it comes with `hailong init`), hence its own mark. `through` is the newest response id
    (any ward) known to hold no newer response of this ward.
    """

    ward_response: int
    audit_event: int
    day: str
    through: int = 0
    questionnaire: int = 0

    def covers(self, other: Marks) -> bool:
        """True when a snapshot with these marks is at least as new as `other` asks."""
        return (self.ward_response >= other.ward_response and self.audit_event >= other.audit_event
                and self.questionnaire >= other.questionnaire and self.day == other.day)

    @property
    def fingerprint(self) -> str:
        return f"{self.ward_response}:{self.audit_event}:{self.questionnaire}:{self.day}"

    def as_dict(self) -> dict[str, Any]:
        return {"ward_response": self.ward_response, "audit_event": self.audit_event, "day": self.day,
                "through": self.through, "questionnaire": self.questionnaire}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Marks:
        # A snapshot kept from before the questionnaire mark reads 0: it is recomputed once.
        return cls(int(data["ward_response"]), int(data["audit_event"]), str(data["day"]), int(data["through"]),
                   int(data.get("questionnaire", 0)))


#: Responses re-read behind `through` at every check (see services.rollups).
REREAD = rollups.REREAD


@cache
def _probe_query(dialect: str) -> Select[Any]:
    """The probe's one statement, built once per dialect: the newest response, the ward's newest audit event (the
    end of its range of ix_audit_events_ward), the ward's newest response above `since`, the newest questionnaire."""
    ward: Any = Submission.organisation_id
    if dialect == "sqlite":
        # Without ANALYZE statistics SQLite would read the ward's whole range of ix_responses_patterns for this
        # equality; a unary + keeps it off every index, so only the short rowid range of the new ids is read.
        ward = UnaryExpression(ward, operator=operators.custom_op("+"), type_=Integer())
    return select(
        select(func.max(Submission.id)).scalar_subquery(),
        select(func.max(AuditEvent.id)).where(AuditEvent.organisation_id == bindparam("ward")).scalar_subquery(),
        select(func.max(Submission.id)).where(Submission.id > bindparam("since"), ward == bindparam("ward"))
        .scalar_subquery(),
        select(func.max(QuestionnaireVersion.id)).scalar_subquery(),
    )


def probe(conn: Connection, ward_id: int, known: Marks | None, now: datetime) -> Marks:
    """The marks a current snapshot needs, in one query that reads only responses newer than `known.through`."""
    since = max(0, known.through - REREAD) if known is not None else 0
    row = conn.execute(_probe_query(conn.dialect.name), {"ward": ward_id, "since": since}).one()
    newest_any, last_audit, newest_ward, questionnaire = (int(v or 0) for v in row)
    ward_response = max(newest_ward, known.ward_response if known is not None else 0)
    return Marks(ward_response, last_audit, local_day(now).isoformat(), newest_any, questionnaire)


def local_day(now: datetime) -> date:
    return now.astimezone(TZ).date()


# --- the snapshot -----------------------------------------------------------------------------------


def current_quarter(today: date) -> Period:
    return quarter(today.year, (today.month - 1) // 3 + 1)


def compute(ward: Organisation, now: datetime, marks: Marks) -> dict[str, Any]:
    """The published figures of a ward at `now`: a JSON-ready dict; nothing under a kind's minimum n is in it."""
    today = local_day(now)
    current = current_quarter(today)
    chosen = settings(ward.id)
    kinds = [_kind(ward.id, kind, chosen[kind], current, today) for kind in KINDS if chosen[kind].enabled]
    return {
        "schema": SCHEMA,
        "ward": {"id": ward.id, "code": ward.code, "name": ward.name, "province": ward.province},
        "computed_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "marks": marks.as_dict(),
        "kinds": kinds,
        "pakn": pakn_section(ward, current, today),
    }


#: Published replies shown on /cong-khai itself (the rest are on /cong-khai/phan-anh), and their texts' length there.
PAKN_LATEST = 5
PAKN_QUESTION_CHARS = 300
PAKN_REPLY_CHARS = 600
#: The citizens' satisfaction with replies is shown as a share only from this many ratings: with fewer, a share
#: says little, and next to the published replies it could tell how one citizen rated.
PAKN_MIN_RATINGS = MIN_N_FLOOR


def pakn_public(ward_id: int) -> bool:
    """Whether the ward's PAKN numbers and replies are public: once it publishes any kind on /cong-khai (a fresh
    install publishes nothing). Each reply is published by an admin one by one anyway."""
    return any(s.enabled for s in settings(ward_id).values())


def pakn_section(ward: Organisation, period: Period, today: date | None = None) -> dict[str, Any] | None:
    """PAKN numbers as `pakn.stats` counts them (of the period, unless the ward shows closed quarters only, and of
    the last closed quarter) and the latest published replies, masked, for the public page; None while the ward
    publishes nothing on /cong-khai.

    Whatever it returns goes into the snapshot as is, so it is JSON-ready and holds only published data: counts,
    and the question and reply as the admin published them (never the citizen's own text, contact or code).
    """
    chosen = [s for s in settings(ward.id).values() if s.enabled]
    if not chosen:
        return None
    on = today or local_day(datetime.now(UTC))
    # The current quarter as it fills when any published kind shows its own so (the admin's "live" choice).
    quarters = [period, period.previous()] if any(s.live for s in chosen) else [period.previous()]
    periods = []
    for shown in quarters:
        summary = pakn.public_summary(ward, shown, on=on)
        rating = summary["rating"]
        provisional = shown == period
        periods.append({
            "period": shown.label, "status": "provisional" if provisional else "closed",
            "start": shown.start.isoformat(), "end": (shown.end - timedelta(days=1)).isoformat(),
            "through": min(shown.end - timedelta(days=1), on).isoformat(),
            "received": summary["received"], "replied": summary["replied"], "replied_on_time": summary["on_time"],
            "on_time_pct": summary["on_time_pct"], "overdue_now": summary["overdue_now"],
            "median_working_days": summary["median_working_days"],
            "rating": {"n": rating["n"],
                       "satisfied": rating["satisfied"] if rating["n"] >= PAKN_MIN_RATINGS else None,
                       "satisfied_pct": rating["satisfied_pct"] if rating["n"] >= PAKN_MIN_RATINGS else None},
        })
    latest = pakn.published_page(ward, 1, per_page=PAKN_LATEST)
    return {"min_ratings": PAKN_MIN_RATINGS, "periods": periods, "published": latest.total,
            "latest": [pakn_reply(row, short=True) for row in latest.rows]}


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """The text cut at a word before `limit` characters (with "…"), and whether it was cut."""
    if len(text) <= limit:
        return text, False
    cut = text[:limit].rsplit(None, 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,.;:") + "…", True


def pakn_reply(row: pakn.Published, short: bool = False) -> dict[str, Any]:
    """A published item as plain data: its number, category, point, dates and the masked question and reply."""
    question, reply, cut = row.question, row.reply, False
    if short:
        question, cut_q = shorten(row.question, PAKN_QUESTION_CHARS)
        reply, cut_r = shorten(row.reply, PAKN_REPLY_CHARS)
        cut = cut_q or cut_r
    return {"id": row.id, "category": row.category, "point_name": row.point_name,
            "received_on": row.received_on.isoformat(), "published_on": local_day(row.published_at).isoformat(),
            "question": question, "reply": reply, "shortened": cut, "reopened": row.reopened}


def target_status(kind: str, index: float | None, ci95: Sequence[float] | None, n: int) -> dict[str, Any] | None:
    """The plan's target read with the 95% interval, as the office reads it (analysis.planner.target_call):
    call "met" when the whole interval is at or above the target, "not_met" when it is all below, "undecided"
    when it holds the target (then `met` is None: the data cannot tell), with `more`, about how many more
    responses would settle it. None for a kind without a target."""
    goal = plan_target(kind)
    if goal is None:
        return None
    found = target_call(index, ci95, n, goal)
    call = found["call"]
    met = {"met": True, "not_met": False}.get(call) if call else found["point_met"]
    return {"target": goal, "call": call, "met": met, "gap": found["gap"], "more": found["more"]}


def _kind(ward_id: int, kind: str, setting: KindSetting, current: Period, today: date) -> dict[str, Any]:
    """One kind: the periods shown (current quarter when live, and the last closed one) and the trend."""
    q = qsvc.definition(qsvc.latest_version(kind))
    points = list(db.session.scalars(
        select(ServicePoint).where(ServicePoint.organisation_id == ward_id, ServicePoint.kind == kind)
        .order_by(ServicePoint.name, ServicePoint.id)))
    closed = current.previous()
    shown = [current, closed] if setting.live else [closed]
    quarters = recent_quarters(shown[0].end - timedelta(days=1), TREND_QUARTERS)
    found = _patterns(ward_id, kind, [p.id for p in points], quarters)
    periods = []
    for period in shown:
        by_point = found.get(period.label, {})
        provisional = period == current
        periods.append(_period(q, kind, period, by_point, points, setting.min_n, provisional, today))
    trend = []
    for period in quarters:
        merged = [row for rows in found.get(period.label, {}).values() for row in rows]
        n = sum(row[3] for row in merged)
        value = None
        if n >= setting.min_n:
            published = next((p for p in periods if p["period"] == period.label), None)
            if published is not None:
                value = published["overall"]["index"]
            else:
                # Only the index is drawn: the interval method does not change it, so skip the bootstrap.
                result = indices.compute(q, indices.statement_counts(merged), merged, n, max_bootstrap_patterns=0)
                value = result["overall"]["index"]
        trend.append({"period": period.label, "index": value, "responses": n if value is not None else None})
    return {"kind": kind, "min_n": setting.min_n, "live": setting.live,
            "target": plan_target(kind), "periods": periods, "trend": trend}


def _patterns(ward_id: int, kind: str, point_ids: Sequence[int], quarters: Sequence[Period]
              ) -> dict[str, dict[int, list[Pattern]]]:
    """Response patterns per quarter label and point, in one GROUP BY over the ward's rows of the quarters' days.

    Per point, so from the raw responses (not the ward's rollups): the ward first, one range of
    ix_responses_patterns whatever the other wards hold.
    """
    versions = patterns.version_bits(kind)
    if not versions or not point_ids or not quarters:
        return {}
    bucket = case(*[(Submission.day_key < qt.day_keys()[1], i) for i, qt in enumerate(quarters)],
                  else_=len(quarters))
    query = (
        select(bucket, Submission.point_id, Submission.questionnaire_id, Submission.sat_mask, Submission.valid_mask,
               func.count())
        .where(Submission.organisation_id == ward_id, Submission.questionnaire_id.in_(versions),
               Submission.flagged.is_(False), Submission.point_id.in_(point_ids),
               Submission.day_key >= quarters[0].day_keys()[0], Submission.day_key < quarters[-1].day_keys()[1])
        .group_by(bucket, Submission.point_id, Submission.questionnaire_id, Submission.sat_mask,
                  Submission.valid_mask)
    )
    out: dict[str, dict[int, list[Pattern]]] = defaultdict(lambda: defaultdict(list))
    for i, point_id, vid, sat, valid, n in db.session.connection().execute(query).tuples():
        out[quarters[int(i)].label][int(point_id)].append((versions[vid], sat, valid, int(n)))
    return out


def _period(q: Questionnaire, kind: str, period: Period, by_point: Mapping[int, list[Pattern]],
            points: Sequence[ServicePoint], min_n: int, provisional: bool, today: date) -> dict[str, Any]:
    """One period of one kind: overall and elements when n ≥ min_n, and each point that reaches min_n."""
    last = min(period.end - timedelta(days=1), today)
    block: dict[str, Any] = {
        "period": period.label, "status": "provisional" if provisional else "closed",
        "start": period.start.isoformat(), "end": (period.end - timedelta(days=1)).isoformat(),
        "through": last.isoformat(),
    }
    merged = [row for rows in by_point.values() for row in rows]
    n = sum(row[3] for row in merged)
    if n < min_n:
        block["published"] = False
    else:
        result = indices.from_patterns(q, merged, n)
        overall = result["overall"]
        block.update({
            "published": True,
            "responses": n,
            "overall": {"index": overall["index"], "ci95": overall["ci95"], "ci_method": overall["ci_method"]},
            "elements": [_element(q, e, min_n) for e in result["elements"]],
            "target": target_status(kind, overall["index"], overall["ci95"], n),
        })
    rows = []
    for point in points:
        mine = by_point.get(point.id, [])
        count = sum(row[3] for row in mine)
        if not point.active and count == 0:
            continue
        row: dict[str, Any] = {"code": point.code, "name": point.name}
        if count >= min_n:
            overall = indices.from_patterns(q, mine, count)["overall"]
            row.update({"published": True, "responses": count, "index": overall["index"],
                        "ci95": overall["ci95"]})
        else:
            row["published"] = False
        rows.append(row)
    block["points"] = rows
    return block


def _element(q: Questionnaire, element: Mapping[str, Any], min_n: int) -> dict[str, Any]:
    labels = {e.code: e.label for e in q.elements}
    label = labels[element["code"]]
    row: dict[str, Any] = {"code": element["code"], "label": label.vi, "label_en": label.en}
    if element["responses"] >= min_n and element["index"] is not None:
        row.update({"published": True, "responses": element["responses"], "index": element["index"],
                    "ci95": element["ci95"]})
    else:
        row["published"] = False
    return row


# --- reading a snapshot -----------------------------------------------------------------------------


def computed_at(snapshot: Mapping[str, Any]) -> datetime:
    return datetime.fromisoformat(snapshot["computed_at"])


def headline(kind: Mapping[str, Any]) -> dict[str, Any] | None:
    """The newest published period of a kind (the widget's figure), or None."""
    return next((p for p in kind["periods"] if p.get("published")), None)


def open_data(snapshot: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The JSON document of /cong-khai/du-lieu.json (schema in the README): the snapshot's published part."""
    return {
        "schema": "hailong-cong-khai/1",
        "source": f"{base_url.rstrip('/')}/cong-khai",
        "ward": {k: snapshot["ward"][k] for k in ("code", "name", "province")},
        "updated_at": snapshot["computed_at"],
        "method": {
            "index": "SIPAS: item = % of answers 4-5 among 1-5; element = mean of its items; overall = mean of "
                     "the elements",
            "ci95": "95% confidence interval of the index (ci_method names how it was computed)",
            "excluded": "flagged responses; statements answered 'no opinion' or skipped",
        },
        "kinds": snapshot["kinds"],
        "pakn": snapshot.get("pakn"),
    }


CSV_COLUMNS = ("period", "status", "through", "kind", "point", "point_name", "element", "element_label",
               "index", "ci95_low", "ci95_high", "responses", "target", "target_met", "target_call")


def csv_rows(snapshot: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per published figure: each period's overall index, its elements and its points."""
    rows: list[dict[str, Any]] = []
    for kind in snapshot["kinds"]:
        for period in kind["periods"]:
            base = {"period": period["period"], "status": period["status"], "through": period["through"],
                    "kind": kind["kind"]}
            if period.get("published"):
                target = period.get("target") or {}
                rows.append({**base, "point": "", "point_name": "", "element": "overall", "element_label": "",
                             **_figure(period["overall"]["index"], period["overall"]["ci95"], period["responses"]),
                             "target": target.get("target", ""),
                             "target_met": "" if target.get("met") is None else str(target["met"]).lower(),
                             "target_call": target.get("call") or ""})
                for element in period["elements"]:
                    if element.get("published"):
                        rows.append({**base, "point": "", "point_name": "", "element": element["code"],
                                     "element_label": element["label"],
                                     **_figure(element["index"], element["ci95"], element["responses"]),
                                     "target": "", "target_met": "", "target_call": ""})
            for point in period["points"]:
                if point.get("published"):
                    rows.append({**base, "point": point["code"], "point_name": point["name"], "element": "overall",
                                 "element_label": "", **_figure(point["index"], point["ci95"], point["responses"]),
                                 "target": "", "target_met": "", "target_call": ""})
    return rows


def _figure(index: float | None, ci: Sequence[float] | None, n: int) -> dict[str, Any]:
    return {"index": "" if index is None else index, "ci95_low": ci[0] if ci else "", "ci95_high": ci[1] if ci else "",
            "responses": n}


#: /cong-khai/phan-anh.csv: one row per published reply, the masked texts in full.
PAKN_CSV_COLUMNS = ("id", "received_on", "published_on", "category", "category_label", "point_name", "question",
                    "reply", "reopened")


def pakn_csv_rows(rows: Sequence[pakn.Published]) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        data = pakn_reply(row)
        out.append({"id": data["id"], "received_on": data["received_on"], "published_on": data["published_on"],
                    "category": row.category, "category_label": row.category_label,
                    "point_name": row.point_name or "", "question": data["question"], "reply": data["reply"],
                    "reopened": str(row.reopened).lower()})
    return out

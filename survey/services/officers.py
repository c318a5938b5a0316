"""Desks (quầy) of a point, the roster of officers serving them, and citizens' three-level officer ratings.

An officer is not a login account: a name and a title in the roster, which says who serves which desk from one
local day to another. A rating stores its desk and the officer on duty that Vietnam-local day, resolved when it is
given (a later roster edit does not move it). Results per officer and per desk are personnel data: the office
shows them to admins only, suppressed below analysis.officers.MIN_N ratings, and they never reach public pages or
viewers' exports.

Services add and flush; the caller (a view or a command) commits.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from hailong.analysis import officers as figures_of
from hailong.analysis.periods import TZ, Period, day_key

from ..extensions import db
from ..models import Desk, KioskDevice, OfficerLevel, OfficerRating, Organisation, RosterEntry, ServicePoint
from . import audit
from .periods import within

DESK_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,19}$")
NAME_MAX = 120
COMMENT_MAX = 500
#: Reason chips offered with a rating: code -> label (Vietnamese; translated where shown).
REASONS = ("fast", "clear", "polite", "slow", "unclear", "impolite")
LEVELS = tuple(level.value for level in OfficerLevel)


class OfficerError(ValueError):
    """A refused desk, roster or rating change; the message is for the person (Vietnamese)."""


def reason_label(code: str) -> str:
    labels = {"fast": _("Nhanh chóng"), "clear": _("Hướng dẫn rõ ràng"), "polite": _("Lịch sự, tận tình"),
              "slow": _("Chờ lâu"), "unclear": _("Hướng dẫn chưa rõ"), "impolite": _("Thái độ chưa tốt")}
    return labels.get(code, code)


def level_label(level: str) -> str:
    labels = {"very_satisfied": _("Rất hài lòng"), "satisfied": _("Hài lòng"), "unsatisfied": _("Không hài lòng")}
    return labels.get(level, level)


def _text(value: str, limit: int, what: str, required: bool = True) -> str | None:
    text = " ".join((value or "").split())
    if not text:
        if required:
            raise OfficerError(_("Vui lòng nhập %(what)s.", what=what))
        return None
    if len(text) > limit or any(ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in text):
        raise OfficerError(_("%(what)s dài tối đa %(n)s ký tự, không có ký tự điều khiển.", what=what, n=limit))
    return text


# --- desks --------------------------------------------------------------------------------------


def desks(ward: Organisation, point: ServicePoint | None = None) -> list[Desk]:
    query = select(Desk).where(Desk.organisation_id == ward.id).order_by(Desk.point_id, Desk.code)
    if point is not None:
        query = query.where(Desk.point_id == point.id)
    return list(db.session.scalars(query))


def find_desk(ward: Organisation, desk_id: int) -> Desk | None:
    desk = db.session.get(Desk, desk_id)
    return desk if desk is not None and desk.organisation_id == ward.id else None


def desk_at(point: ServicePoint, code: str) -> Desk | None:
    """An active desk of a point by its code (the citizen's address /s/<point>/quay/<desk>)."""
    if not DESK_CODE_RE.fullmatch(code or ""):
        return None
    return db.session.scalars(select(Desk).where(Desk.point_id == point.id, Desk.code == code,
                                                 Desk.active.is_(True))).first()


def create_desk(ward: Organisation, actor: str, point: ServicePoint, code: str, name: str) -> Desk:
    if point.organisation_id != ward.id:
        raise OfficerError(_("Không có điểm khảo sát này."))
    code = (code or "").strip()
    if not DESK_CODE_RE.fullmatch(code):
        raise OfficerError(_("Mã quầy gồm chữ thường không dấu, chữ số và dấu gạch ngang, tối đa 20 ký tự "
                             "(ví dụ: quay-1)."))
    if desk_at(point, code) is not None or db.session.scalars(
            select(Desk).where(Desk.point_id == point.id, Desk.code == code)).first() is not None:
        raise OfficerError(_("Điểm khảo sát này đã có quầy mã “%(code)s”.", code=code))
    label = _text(name, 200, _("tên quầy"))
    desk = Desk(organisation_id=ward.id, point_id=point.id, code=code, name=label)
    db.session.add(desk)
    db.session.flush()
    audit.record(actor, "desk.created", f"point:{point.code}/desk:{code}", f"name={label}")
    return desk


# --- the roster ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Duty:
    """What the roster says for one desk entry: the officer, a title, the local days (both included)."""

    officer_name: str
    officer_title: str | None
    start_day: date
    end_day: date


def duty(name: str, title: str, start: str, end: str) -> Duty:
    """Read a roster entry as typed in the office (dates yyyy-mm-dd); refused with a Vietnamese message."""
    officer = _text(name, NAME_MAX, _("họ tên cán bộ"))
    assert officer is not None
    try:
        first, last = date.fromisoformat((start or "").strip()), date.fromisoformat((end or "").strip())
    except ValueError:
        raise OfficerError(_("Ngày phải theo dạng năm-tháng-ngày, ví dụ 2026-12-01.")) from None
    if last < first:
        raise OfficerError(_("Ngày kết thúc phải từ ngày bắt đầu trở đi."))
    if not (date(2015, 1, 1) <= first and last <= date(2100, 12, 31)):
        raise OfficerError(_("Ngày phải nằm trong khoảng 2015 đến 2100."))
    return Duty(officer, _text(title, NAME_MAX, _("chức danh"), required=False), first, last)


def roster(ward: Organisation, desk: Desk | None = None) -> list[RosterEntry]:
    query = (select(RosterEntry).where(RosterEntry.organisation_id == ward.id)
             .order_by(RosterEntry.desk_id, RosterEntry.start_day.desc(), RosterEntry.id.desc()))
    if desk is not None:
        query = query.where(RosterEntry.desk_id == desk.id)
    return list(db.session.scalars(query))


def find_entry(ward: Organisation, entry_id: int) -> RosterEntry | None:
    entry = db.session.get(RosterEntry, entry_id)
    return entry if entry is not None and entry.organisation_id == ward.id else None


def _describe(entry: RosterEntry | Duty) -> str:
    title = f" ({entry.officer_title})" if entry.officer_title else ""
    return f"{entry.officer_name}{title} {entry.start_day.isoformat()}..{entry.end_day.isoformat()}"


def add_duty(ward: Organisation, actor: str, desk: Desk, what: Duty) -> RosterEntry:
    if desk.organisation_id != ward.id:
        raise OfficerError(_("Không có quầy này."))
    entry = RosterEntry(organisation_id=ward.id, desk_id=desk.id, officer_name=what.officer_name,
                        officer_title=what.officer_title, start_day=what.start_day, end_day=what.end_day,
                        updated_at=datetime.now(UTC))
    db.session.add(entry)
    db.session.flush()
    audit.record(actor, "roster.added", f"desk:{desk.id}/entry:{entry.id}", _describe(entry))
    return entry


def change_duty(ward: Organisation, actor: str, entry: RosterEntry, what: Duty) -> bool:
    """Change an entry; False (nothing recorded) when nothing changed. Ratings already given keep their officer."""
    if entry.organisation_id != ward.id:
        raise OfficerError(_("Không có dòng phân công này."))
    before = _describe(entry)
    if before == _describe(what):
        return False
    entry.officer_name, entry.officer_title = what.officer_name, what.officer_title
    entry.start_day, entry.end_day = what.start_day, what.end_day
    entry.updated_at = datetime.now(UTC)
    audit.record(actor, "roster.changed", f"desk:{entry.desk_id}/entry:{entry.id}", f"{before} -> {_describe(what)}")
    return True


def remove_duty(ward: Organisation, actor: str, entry: RosterEntry) -> None:
    if entry.organisation_id != ward.id:
        raise OfficerError(_("Không có dòng phân công này."))
    audit.record(actor, "roster.removed", f"desk:{entry.desk_id}/entry:{entry.id}", _describe(entry))
    db.session.delete(entry)
    db.session.flush()


def on_duty(desk: Desk, when: datetime | None = None) -> RosterEntry | None:
    """The roster entry serving `desk` on the Vietnam-local day of `when`; of overlapping entries, the one that
    started last (then the newest), so a replacement for a few days is written over a longer entry."""
    day = (when or datetime.now(UTC)).astimezone(TZ).date()
    return db.session.scalars(
        select(RosterEntry).where(RosterEntry.desk_id == desk.id, RosterEntry.start_day <= day,
                                  RosterEntry.end_day >= day)
        .order_by(RosterEntry.start_day.desc(), RosterEntry.id.desc()).limit(1)).first()


# --- ratings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rating:
    """A citizen's rating as posted, checked (parse_rating)."""

    level: str
    reasons: tuple[str, ...]
    comment: str | None


def parse_rating(level: str | None, reasons: Iterable[str], comment: str | None) -> Rating:
    if level not in LEVELS:
        raise OfficerError(_("Vui lòng chọn một trong ba mức: Rất hài lòng, Hài lòng hoặc Không hài lòng."))
    chosen = tuple(dict.fromkeys(r for r in reasons if r in REASONS))
    text = (comment or "").strip()
    if len(text) > COMMENT_MAX:
        raise OfficerError(_("Lý do dài tối đa %(n)s ký tự.", n=COMMENT_MAX))
    if any((ord(c) < 32 and c not in "\t\n\r") or 0x7F <= ord(c) <= 0x9F for c in text):
        raise OfficerError(_("Lý do có ký tự không hợp lệ. Vui lòng xem lại."))
    return Rating(level, chosen, text or None)


def rate(point: ServicePoint, desk: Desk | None, rating: Rating, key: str, channel: str,
         device: KioskDevice | None = None, flag_reasons: Sequence[str] = (),
         now: datetime | None = None) -> tuple[OfficerRating, bool]:
    """Store a rating once per served page (its key); (the rating, whether it was created now)."""
    existing = db.session.scalars(select(OfficerRating).where(OfficerRating.submission_key == key)).first()
    if existing is not None:
        return existing, False
    now = (now or datetime.now(UTC)).replace(second=0, microsecond=0)  # to the minute, like responses
    entry = on_duty(desk, now) if desk is not None else None
    reason = "; ".join(flag_reasons)
    row = OfficerRating(
        organisation_id=point.organisation_id, point_id=point.id, desk_id=desk.id if desk else None,
        roster_id=entry.id if entry else None, officer_name=entry.officer_name if entry else None,
        level=rating.level, reasons=",".join(rating.reasons) or None, comment=rating.comment, channel=channel,
        device_id=device.id if device else None, submitted_at=now, day_key=day_key(now), submission_key=key,
        flagged=bool(reason), flag_reason=(reason[:199] + "…" if len(reason) > 200 else reason) or None,
    )
    db.session.add(row)
    db.session.flush()
    return row, True


# --- results ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """Per officer and per desk in a period (flagged ratings left out), for admins."""

    officers: list[figures_of.OfficerFigures]
    desks: list[figures_of.OfficerFigures]
    total: int


def results(ward: Organisation, period: Period, min_n: int = figures_of.MIN_N) -> Results:
    base = [OfficerRating.organisation_id == ward.id, OfficerRating.flagged.is_(False),
            within(OfficerRating.day_key, period)]
    by_officer: dict[str, dict[str, int]] = {}
    for name, level, n in db.session.execute(
            select(OfficerRating.officer_name, OfficerRating.level, func.count())
            .where(*base, OfficerRating.officer_name.is_not(None))
            .group_by(OfficerRating.officer_name, OfficerRating.level)):
        by_officer.setdefault(str(name), {})[str(level)] = int(n)
    names = {d.id: f"{d.point.name} · {d.name}" for d in desks(ward)}
    by_desk: dict[str, dict[str, int]] = {}
    total = 0
    for desk_id, level, n in db.session.execute(
            select(OfficerRating.desk_id, OfficerRating.level, func.count()).where(*base)
            .group_by(OfficerRating.desk_id, OfficerRating.level)):
        total += int(n)
        if desk_id is None:
            continue
        by_desk.setdefault(names.get(int(desk_id), str(desk_id)), {})[str(level)] = int(n)
    return Results(figures_of.table(by_officer, min_n), figures_of.table(by_desk, min_n), total)

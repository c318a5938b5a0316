"""Phản ánh, kiến nghị (PAKN): one register for every channel, one state machine, deadlines in working days,
masked publishing, the citizen's rating and reopening, purge of contact details, and the numbers.

Services add and flush; the view or the command commits once. Every change is written to the item's history
(PaknEvent) and to the audit log. E-mail is written to the outbox (pakn_mail) in the same transaction and sent
after the commit (services.pakn_mail), so a failed send never loses a change.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import Select, and_, func, select

from hailong.analysis import pakn as numbers
from hailong.analysis.periods import TZ, Period, day_key
from hailong.analysis.report import mask_personal
from hailong.analysis.workdays import WorkCalendar, vietnam_calendar, vietnam_holiday_names, vietnam_holidays

from ..extensions import db
from ..models import (
    Organisation,
    PaknCalendarDay,
    PaknChannel,
    PaknDeadlineRule,
    PaknEvent,
    PaknItem,
    PaknStatus,
    PaknUnit,
    ServicePoint,
    Submission,
    same_ward,
)
from . import audit, pakn_mail, spreadsheet

S = PaknStatus
TEXT_MAX = 2000
NAME_MAX = 200
PHONE_MAX = 40
EMAIL_MAX = 254
REASON_MAX = 500
AGENCY_MAX = 200
REPLY_MAX = 5000
FLAG_MAX = 200
#: Days after publication during which the citizen may say the reply did not resolve it.
REOPEN_DAYS = 30
#: Công điện 89/CĐ-TTg (16/6/2025): a matter within the agency's authority is answered within 15 days of receipt.
#: Counted as calendar days, moved to the next working day when the last one is not; a ward may change it per
#: category (for example to 10 working days).
DEFAULT_DAYS = 15
DEFAULT_WORKING = False
PER_PAGE = 50
#: States where the ward still owes the citizen an answer.
OPEN = frozenset({S.NEW, S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.PENDING, S.REOPENED})
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U to misread
CODE_LENGTH = 10
FORM_KEY_MAX_AGE = 24 * 3600
_CONTROL = spreadsheet.CONTROL_RE
_PHONE = re.compile(r"\+?[0-9][0-9 .()-]{6,38}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


class PaknError(ValueError):
    """A request that cannot be done as asked; the message is for the user, `field` names the form field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class NotAllowed(PaknError):
    """The account's role may not do this to this item (403)."""


# --- categories -------------------------------------------------------------------------------

_COMMON = {
    "thai_do": _l("Thái độ phục vụ"),
    "co_so_vat_chat": _l("Cơ sở vật chất"),
    "khac": _l("Khác"),
}
_LABELS = {
    **_COMMON,
    "thu_tuc": _l("Thủ tục hành chính"),
    "phi_le_phi": _l("Phí, lệ phí"),
    "kham_chua_benh": _l("Khám, chữa bệnh"),
    "chi_phi": _l("Chi phí khám, chữa bệnh"),
    "day_hoc": _l("Dạy và học"),
    "an_toan": _l("An toàn, môi trường học đường"),
    "khoan_thu": _l("Các khoản thu"),
}
#: A short list per kind of service, in display order.
KIND_CATEGORIES: dict[str, tuple[str, ...]] = {
    "onestop": ("thu_tuc", "thai_do", "phi_le_phi", "co_so_vat_chat", "khac"),
    "health": ("kham_chua_benh", "thai_do", "chi_phi", "co_so_vat_chat", "khac"),
    "education": ("day_hoc", "thai_do", "an_toan", "khoan_thu", "co_so_vat_chat", "khac"),
}
ALL_CATEGORIES = tuple(_LABELS)


def categories(kind: str | None) -> list[tuple[str, str]]:
    """(code, label) of the categories offered for a kind of service (all of them when the kind is unknown)."""
    codes = KIND_CATEGORIES.get(kind or "", ALL_CATEGORIES)
    return [(code, str(_LABELS[code])) for code in codes]


def category_label(code: str) -> str:
    label = _LABELS.get(code)
    return str(label) if label is not None else code


def status_label(status: str) -> str:
    labels = {
        S.NEW: _("Mới tiếp nhận"), S.ACCEPTED: _("Đã phân loại: tiếp nhận"),
        S.REJECTED: _("Không tiếp nhận"), S.TRANSFERRED: _("Đã chuyển cơ quan khác"),
        S.ASSIGNED: _("Đã giao xử lý"), S.IN_PROGRESS: _("Đang xử lý"), S.PENDING: _("Chờ duyệt trả lời"),
        S.PUBLISHED: _("Đã trả lời và công khai"), S.CLOSED: _("Đã đóng"), S.REOPENED: _("Mở lại"),
    }
    return labels.get(status, status)  # type: ignore[call-overload]


def channel_label(channel: str) -> str:
    labels = {
        PaknChannel.FORM: _("Biểu mẫu trực tuyến (mã QR)"), PaknChannel.SURVEY: _("Ý kiến trong phiếu khảo sát"),
        PaknChannel.PAPER: _("Văn bản, thư giấy"), PaknChannel.PHONE: _("Điện thoại"),
        PaknChannel.EMAIL: _("Thư điện tử"), PaknChannel.PORTAL: _("Cổng dịch vụ công, cổng PAKN"),
        PaknChannel.DIRECT: _("Trực tiếp tại trụ sở"),
    }
    return labels.get(channel, channel)  # type: ignore[call-overload]


#: Channels staff type in (the form and survey comments arrive by themselves).
TYPED_CHANNELS = (PaknChannel.PAPER, PaknChannel.PHONE, PaknChannel.EMAIL, PaknChannel.PORTAL, PaknChannel.DIRECT)


# --- tracking codes and form keys -------------------------------------------------------------


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode("utf-8")


def _keyed(purpose: str, text: str) -> str:
    return hmac.new(_secret(), f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def _code_from_int(value: int) -> str:
    chars = []
    for _i in range(CODE_LENGTH):
        chars.append(CODE_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_code() -> str:
    """A fresh tracking code: 10 characters of Crockford base32 (50 random bits)."""
    return _code_from_int(secrets.randbits(5 * CODE_LENGTH))


def code_for_form_key(key: str) -> str:
    """The tracking code of the item sent with this form key: the same for a retried POST, unguessable without
    the server's secret (the key itself is only in the citizen's page)."""
    digest = hmac.new(_secret(), f"pakn-code-of-form:{key}".encode(), hashlib.sha256).digest()
    return _code_from_int(int.from_bytes(digest[:8], "big"))


def format_code(code: str) -> str:
    """"ABCDE-FGHJK": two groups of five, to read aloud or write down."""
    return f"{code[:5]}-{code[5:]}"


def normalize_code(text: str | None) -> str | None:
    """A typed code in canonical form (upper case, no spaces or dashes, O→0, I/L→1), or None if it cannot be one."""
    if not text or len(text) > 40:
        return None
    cleaned = re.sub(r"[\s\-_.]", "", text).upper().translate(str.maketrans("OIL", "011"))
    if len(cleaned) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in cleaned):
        return None
    return cleaned


def tracking_hash(code: str) -> str:
    return _keyed("pakn-track", code)


def find_by_code(text: str | None) -> PaknItem | None:
    """The item a tracking code opens, or None. A code is unique across wards (its hash is), so no ward is needed."""
    code = normalize_code(text)
    if code is None:
        return None
    return db.session.scalar(select(PaknItem).where(PaknItem.tracking_hash == tracking_hash(code)))


def _form_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hailong.pakn-form")


def issue_form_key(point_id: int) -> str:
    """The key of one served PAKN form of a point: signed, timed, so one form stores one item."""
    return str(_form_serializer().dumps([point_id, secrets.token_urlsafe(12)]))


def form_key_time(key: str | None, point_id: int) -> datetime | None:
    """When the server issued `key` for this point's form (None when it did not, or more than a day ago)."""
    if not key or len(key) > 200:
        return None
    try:
        data, issued = _form_serializer().loads(key, max_age=FORM_KEY_MAX_AGE, return_timestamp=True)
    except BadData:
        return None
    if not (isinstance(data, list) and len(data) == 2 and data[0] == point_id):
        return None
    return issued if issued.tzinfo else issued.replace(tzinfo=UTC)


# --- the calendar and deadlines ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    days: int
    working: bool

    def describe(self) -> str:
        if self.working:
            return _("%(n)s ngày làm việc", n=self.days)
        return _("%(n)s ngày (tính cả ngày nghỉ; hạn rơi vào ngày nghỉ thì lùi sang ngày làm việc kế tiếp)",
                 n=self.days)


DEFAULT_RULE = Rule(DEFAULT_DAYS, DEFAULT_WORKING)


def calendar(ward_id: int, years: Iterable[int]) -> WorkCalendar:
    """The ward's working calendar for these years: public holidays, then its own days off and make-up days."""
    span = sorted(set(years))
    if not span:
        span = [datetime.now(TZ).year]
    rows = db.session.execute(
        select(PaknCalendarDay.day, PaknCalendarDay.working).where(
            PaknCalendarDay.organisation_id == ward_id,
            PaknCalendarDay.day >= date(span[0], 1, 1), PaknCalendarDay.day <= date(span[-1], 12, 31),
        )
    ).tuples().all()
    return vietnam_calendar(span, extra_off=[d for d, w in rows if not w], extra_work=[d for d, w in rows if w])


def vietnam_holidays_for(year: int) -> tuple[list[tuple[date, str]], list[date]]:
    """The year's public holidays (named, in the reader's language) and the Government's make-up working days."""
    from flask_babel import get_locale

    language = "en_US" if str(get_locale() or "vi").startswith("en") else "vi"
    return vietnam_holiday_names(year, language), sorted(vietnam_holidays([year])[1])


def calendar_days(ward_id: int) -> list[PaknCalendarDay]:
    return list(db.session.scalars(select(PaknCalendarDay).where(PaknCalendarDay.organisation_id == ward_id)
                                   .order_by(PaknCalendarDay.day)))


def set_calendar_day(ward_id: int, actor: str, day: date, working: bool, note: str) -> PaknCalendarDay:
    """Add or change one of the ward's own days (an extra day off or a make-up working day); audited."""
    note = note.strip()
    if len(note) > 200:
        raise PaknError(_("Ghi chú tối đa 200 ký tự."), "note")
    if _CONTROL.search(note):
        raise PaknError(_("Ghi chú có ký tự điều khiển không hợp lệ."), "note")
    if not date(2015, 1, 1) <= day <= date(2100, 12, 31):
        raise PaknError(_("Ngày phải từ năm 2015 đến năm 2100."), "day")
    row = db.session.scalar(select(PaknCalendarDay).filter_by(organisation_id=ward_id, day=day))
    if row is None:
        row = PaknCalendarDay(organisation_id=ward_id, day=day)
        db.session.add(row)
    row.working, row.note = working, note or None
    db.session.flush()
    audit.record(actor, "pakn.calendar_set", day.isoformat(), "làm bù" if working else "nghỉ thêm", ward_id=ward_id)
    return row


def delete_calendar_day(ward_id: int, actor: str, day_id: int) -> None:
    row = db.session.get(PaknCalendarDay, day_id)
    if row is None or row.organisation_id != ward_id:
        raise PaknError(_("Không có ngày này trong lịch của phường."))
    audit.record(actor, "pakn.calendar_deleted", row.day.isoformat(), ward_id=ward_id)
    db.session.delete(row)
    db.session.flush()


def rules(ward_id: int) -> dict[str, Rule]:
    """Every category's deadline rule for the ward (the default where the ward set none)."""
    found = {r.category: Rule(r.days, r.working) for r in db.session.scalars(
        select(PaknDeadlineRule).where(PaknDeadlineRule.organisation_id == ward_id))}
    return {code: found.get(code, DEFAULT_RULE) for code in ALL_CATEGORIES}


def set_rule(ward_id: int, actor: str, category: str, days: int, working: bool) -> None:
    if category not in ALL_CATEGORIES:
        raise PaknError(_("Không có loại phản ánh này."), "category")
    if not 1 <= days <= 365:
        raise PaknError(_("Thời hạn phải từ 1 đến 365 ngày."), "days")
    row = db.session.scalar(select(PaknDeadlineRule).filter_by(organisation_id=ward_id, category=category))
    if row is None:
        row = PaknDeadlineRule(organisation_id=ward_id, category=category)
        db.session.add(row)
    row.days, row.working = days, working
    db.session.flush()
    audit.record(actor, "pakn.rule_set", category, f"{days} {'working' if working else 'calendar'} days",
                 ward_id=ward_id)


def due_date(ward_id: int, category: str, received: date) -> date:
    """The last day to reply to an item of this category received on this local date."""
    rule = rules(ward_id).get(category, DEFAULT_RULE)
    cal = calendar(ward_id, range(received.year, received.year + 2))
    return cal.deadline(received, rule.days, working=rule.working)


def local_date(moment: datetime) -> date:
    return moment.astimezone(TZ).date()


def today() -> date:
    return datetime.now(TZ).date()


# --- units ------------------------------------------------------------------------------------


def units(ward_id: int, active_only: bool = False) -> list[PaknUnit]:
    query = select(PaknUnit).where(PaknUnit.organisation_id == ward_id).order_by(PaknUnit.name)
    if active_only:
        query = query.where(PaknUnit.active.is_(True))
    return list(db.session.scalars(query))


def unit_by_code(ward_id: int, code: str) -> PaknUnit | None:
    return db.session.scalar(select(PaknUnit).filter_by(organisation_id=ward_id, code=code))


UNIT_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


def save_unit(ward_id: int, actor: str, code: str, name: str, email: str, digest_all: bool,
              active: bool = True) -> PaknUnit:
    """Create or change a handling unit (its code is the `unit` of points and viewer accounts); audited."""
    code, name, email = code.strip().lower(), name.strip(), email.strip()
    if not UNIT_CODE_RE.match(code):
        raise PaknError(_("Mã đơn vị chỉ gồm chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự."), "code")
    if not name or len(name) > 200 or _CONTROL.search(name):
        raise PaknError(_("Tên đơn vị không được để trống, tối đa 200 ký tự."), "name")
    if email and (len(email) > EMAIL_MAX or not _EMAIL.fullmatch(email)):
        raise PaknError(_("Địa chỉ thư điện tử không đúng dạng."), "email")
    unit = unit_by_code(ward_id, code)
    if unit is None:
        unit = PaknUnit(organisation_id=ward_id, code=code)
        db.session.add(unit)
    unit.name, unit.email, unit.digest_all, unit.active = name, email or None, digest_all, active
    db.session.flush()
    audit.record(actor, "pakn.unit_saved", f"unit:{code}", f"{'email' if email else 'no email'}", ward_id=ward_id)
    return unit


def ensure_units_from_points(ward: Organisation) -> list[PaknUnit]:
    """A handling unit for every unit code of the ward's points that has none yet (named after its first point)."""
    existing = {u.code for u in units(ward.id)}
    points = db.session.scalars(select(ServicePoint).where(ServicePoint.organisation_id == ward.id)
                                .order_by(ServicePoint.code))
    for point in points:
        if point.unit not in existing:
            db.session.add(PaknUnit(organisation_id=ward.id, code=point.unit, name=point.name, active=True))
            existing.add(point.unit)
    db.session.flush()
    return units(ward.id)


# --- the state machine ------------------------------------------------------------------------

ADMIN, REVIEWER, UNIT, CITIZEN = "admin", "reviewer", "unit", "citizen"
STAFF_ROLES = frozenset({ADMIN, REVIEWER})


@dataclass(frozen=True)
class Move:
    """An action: the states it may start from, the state it leads to (None: unchanged) and who may do it."""

    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]


def _m(sources: Iterable[str], target: str | None, *roles: str) -> Move:
    return Move(frozenset(sources), target, frozenset(roles))


#: Every allowed move. Admin approves and publishes; a reviewer classifies, assigns and drafts; the unit the item
#: is assigned to drafts its reply; the citizen reopens. Nothing closes itself.
TRANSITIONS: dict[str, Move] = {
    "accept": _m({S.NEW}, S.ACCEPTED, ADMIN, REVIEWER),
    "reject": _m({S.NEW}, S.REJECTED, ADMIN, REVIEWER),
    "transfer": _m({S.NEW}, S.TRANSFERRED, ADMIN, REVIEWER),
    "assign": _m({S.ACCEPTED, S.ASSIGNED, S.IN_PROGRESS, S.REOPENED}, S.ASSIGNED, ADMIN, REVIEWER),
    "start": _m({S.ASSIGNED}, S.IN_PROGRESS, ADMIN, REVIEWER, UNIT),
    "draft": _m({S.ASSIGNED, S.IN_PROGRESS}, S.IN_PROGRESS, ADMIN, REVIEWER, UNIT),
    "submit": _m({S.ASSIGNED, S.IN_PROGRESS}, S.PENDING, ADMIN, REVIEWER, UNIT),
    "return": _m({S.PENDING}, S.IN_PROGRESS, ADMIN),
    "publish": _m({S.PENDING}, S.PUBLISHED, ADMIN),
    "close": _m({S.PUBLISHED, S.REJECTED, S.TRANSFERRED}, S.CLOSED, ADMIN, REVIEWER),
    "reopen": _m({S.PUBLISHED, S.CLOSED}, S.REOPENED, CITIZEN),
    "rate": _m({S.PUBLISHED, S.CLOSED}, None, CITIZEN),
    "flag": _m(set(S), None, ADMIN, REVIEWER),
    "unflag": _m(set(S), None, ADMIN, REVIEWER),
}


@dataclass(frozen=True)
class Actor:
    """Who acts: an office account (role and unit) or the citizen holding the tracking code."""

    name: str
    role: str
    unit: str | None = None

    @classmethod
    def citizen(cls) -> Actor:
        return cls("citizen", CITIZEN)


def role_on(actor: Actor, item: PaknItem) -> str | None:
    """The actor's role for this item: admin, reviewer, unit (a viewer of the assigned unit), citizen, or None."""
    if actor.role in STAFF_ROLES or actor.role == CITIZEN:
        return actor.role
    if actor.role == "viewer" and actor.unit and item.assigned_unit == actor.unit:
        return UNIT
    return None


def can_see(actor: Actor, item: PaknItem, ward_id: int) -> bool:
    """Staff see the ward's items; a unit viewer only the items assigned to its unit."""
    return item.organisation_id == ward_id and role_on(actor, item) in (ADMIN, REVIEWER, UNIT)


def allowed(item: PaknItem, actor: Actor) -> list[str]:
    """The actions this actor may take on this item now."""
    role = role_on(actor, item)
    out = [name for name, move in TRANSITIONS.items() if item.status in move.sources and role in move.roles]
    if "reopen" in out and not reopen_open(item):
        out.remove("reopen")
    if "rate" in out and (item.rating is not None or not item.published_reply):
        out.remove("rate")
    return [a for a in out if not (a == "flag" and item.flagged) and not (a == "unflag" and not item.flagged)]


def _event(item: PaknItem, actor: str | None, action: str, before: str | None, note: str | None = None) -> None:
    db.session.add(PaknEvent(organisation_id=item.organisation_id, item_id=item.id, actor=actor, action=action,
                             from_status=before, to_status=item.status, note=note))
    audit.record(actor, f"pakn.{action}", f"pakn:{item.id}", f"{before or '-'} → {item.status}"
                 + (f"; {note}" if note else ""), ward_id=item.organisation_id)


def _move(item: PaknItem, action: str, actor: Actor, note: str | None = None) -> None:
    """Check the move against TRANSITIONS, apply it and record it (history and audit)."""
    move = TRANSITIONS[action]
    role = role_on(actor, item)
    if role not in move.roles:
        raise NotAllowed(_("Tài khoản của Ông/Bà không được làm thao tác này với phản ánh này."))
    if item.status not in move.sources:
        raise PaknError(_("Không thể làm thao tác này khi phản ánh đang ở trạng thái “%(status)s”.",
                          status=status_label(item.status)))
    before = item.status
    if move.target is not None:
        item.status = move.target
    db.session.flush()
    _event(item, actor.name, action, before, note)


def _text(value: str | None, field: str, limit: int, *, required: bool = False, label: str = "") -> str | None:
    """A text field stripped and checked: length and no control characters (TAB, LF and CR are kept)."""
    value = (value or "").strip()
    if not value:
        if required:
            raise PaknError(_("Vui lòng nhập %(what)s.", what=label or field), field)
        return None
    if len(value) > limit:
        raise PaknError(_("%(what)s tối đa %(n)s ký tự (hiện có %(m)s).", what=label or field, n=limit,
                          m=len(value)), field)
    if bad := _CONTROL.search(value):
        raise PaknError(_("%(what)s có ký tự điều khiển U+%(code)s không nhìn thấy được (thường do dán từ nơi khác); "
                          "vui lòng xóa ký tự đó.", what=label or field, code=f"{ord(bad.group(0)):04X}"), field)
    return value


# --- registering an item ----------------------------------------------------------------------


@dataclass
class Intake:
    """An item about to enter the register, from any channel."""

    ward: Organisation
    category: str
    text: str
    channel: str
    received_at: datetime
    point: ServicePoint | None = None
    kind: str | None = None
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    consent: bool = False
    flag_reason: str | None = None
    form_key: str | None = None
    submission: Submission | None = None
    actor: str | None = None
    #: Give the item a tracking code (citizens and typed-in items); a survey comment's author cannot get one.
    with_code: bool = True
    errors: list[PaknError] = field(default_factory=list)


def check(intake: Intake) -> list[PaknError]:
    """Every problem of an intake, each naming its field; empty when it can be registered."""
    errors: list[PaknError] = []

    def run(fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except PaknError as exc:
            errors.append(exc)
            return None

    kind = intake.point.kind if intake.point is not None else intake.kind
    if kind is not None and kind not in KIND_CATEGORIES:
        errors.append(PaknError(_("Loại dịch vụ không hợp lệ."), "kind"))
    if intake.category not in dict(categories(kind if kind in KIND_CATEGORIES else None)):
        errors.append(PaknError(_("Vui lòng chọn một loại phản ánh trong danh sách."), "category"))
    if intake.channel not in {c.value for c in PaknChannel}:
        errors.append(PaknError(_("Kênh tiếp nhận không hợp lệ."), "channel"))
    run(_text, intake.text, "text", TEXT_MAX, required=True, label=_("Nội dung phản ánh"))
    name = run(_text, intake.contact_name, "contact_name", NAME_MAX, label=_("Họ và tên"))
    phone = run(_text, intake.contact_phone, "contact_phone", PHONE_MAX, label=_("Số điện thoại"))
    email = run(_text, intake.contact_email, "contact_email", EMAIL_MAX, label=_("Thư điện tử"))
    if phone and not (_PHONE.fullmatch(phone) and 8 <= sum(c.isdigit() for c in phone) <= 15):
        errors.append(PaknError(_("Số điện thoại không đúng dạng (8 đến 15 chữ số)."), "contact_phone"))
    if email and not _EMAIL.fullmatch(email):
        errors.append(PaknError(_("Địa chỉ thư điện tử không đúng dạng, ví dụ ten@example.com."), "contact_email"))
    if (name or phone or email) and not intake.consent:
        errors.append(PaknError(_("Ông/Bà đã ghi thông tin liên hệ: vui lòng đánh dấu ô đồng ý để phường lưu thông tin "
                                  "này, hoặc xóa thông tin liên hệ để gửi không ghi tên."), "consent"))
    if intake.point is not None and intake.point.organisation_id != intake.ward.id:
        errors.append(PaknError(_("Điểm khảo sát không thuộc phường này."), "point"))
    return errors


def register(intake: Intake) -> tuple[PaknItem, str | None]:
    """Add an item to the register (new, with its deadline); returns it and its tracking code, shown only now.

    A form sent twice (same served key) is the same item, with the same code. Raises PaknError with the first
    problem; call `check` first to list them all.
    """
    if errors := check(intake):
        raise errors[0]
    if intake.form_key:
        key_hash = _keyed("pakn-form", intake.form_key)
        existing = db.session.scalar(select(PaknItem).where(PaknItem.form_key_hash == key_hash))
        if existing is not None:
            return existing, code_for_form_key(intake.form_key)
    code = code_for_form_key(intake.form_key) if intake.form_key else (new_code() if intake.with_code else None)
    received = intake.received_at.astimezone(UTC)
    kind = intake.point.kind if intake.point is not None else intake.kind
    has_contact = any(x.strip() for x in (intake.contact_name, intake.contact_phone, intake.contact_email))
    days = int(current_app.config["HAILONG_PAKN_CONTACT_DAYS"])
    item = PaknItem(
        organisation_id=intake.ward.id, point_id=intake.point.id if intake.point else None, kind=kind,
        category=intake.category, channel=intake.channel, received_at=received, received_day=day_key(received),
        text=intake.text.strip(),
        contact_name=intake.contact_name.strip() or None, contact_phone=intake.contact_phone.strip() or None,
        contact_email=intake.contact_email.strip() or None,
        consent_at=datetime.now(UTC) if has_contact else None,
        contact_purge_on=local_date(received) + timedelta(days=days) if has_contact else None,
        tracking_hash=tracking_hash(code) if code else None,
        form_key_hash=_keyed("pakn-form", intake.form_key) if intake.form_key else None,
        submission_id=intake.submission.id if intake.submission is not None else None,
        status=S.NEW.value, due_on=due_date(intake.ward.id, intake.category, local_date(received)),
        flagged=intake.flag_reason is not None, flag_reason=intake.flag_reason, reopen_count=0,
    )
    db.session.add(item)
    db.session.flush()
    _event(item, intake.actor or "citizen", "registered", None, f"{intake.channel}; {intake.category}")
    return item, code


def from_comment(ward: Organisation, submission: Submission, actor: str) -> tuple[PaknItem, bool]:
    """Turn a survey comment into an item, keeping the link (one item per comment); (item, created)."""
    existing = db.session.scalar(select(PaknItem).where(PaknItem.submission_id == submission.id))
    if existing is not None:
        return existing, False
    if not (submission.comment or "").strip():
        raise PaknError(_("Phiếu này không có ý kiến."))
    point = submission.point
    if point.organisation_id != ward.id:
        raise NotAllowed(_("Phiếu này không thuộc phường của Ông/Bà."))
    text = submission.comment.strip()[:TEXT_MAX] if submission.comment else ""
    item, _code = register(Intake(
        ward=ward, category="khac", text=_CONTROL.sub("", text), channel=PaknChannel.SURVEY.value,
        received_at=datetime.now(UTC), point=point, submission=submission, actor=actor, with_code=False,
    ))
    return item, True


# --- office actions ---------------------------------------------------------------------------


def classify(item: PaknItem, actor: Actor, decision: str, *, category: str | None = None, reason: str = "",
             agency: str = "") -> None:
    """Accept, refuse with a reason, or transfer to the competent agency (complaints and denunciations go there)."""
    if decision not in ("accept", "reject", "transfer"):
        raise PaknError(_("Thao tác không hợp lệ."))
    note = None
    if decision == "reject":
        note = _text(reason, "reason", REASON_MAX, required=True, label=_("Lý do không tiếp nhận"))
    elif decision == "transfer":
        note = _text(agency, "agency", AGENCY_MAX, required=True, label=_("Tên cơ quan có thẩm quyền"))
    if category is not None and category != item.category and category not in dict(categories(item.kind)):
        raise PaknError(_("Vui lòng chọn một loại phản ánh trong danh sách."), "category")
    _move(item, decision, actor, note)
    if category is not None and category != item.category:
        item.category = category
        item.due_on = due_date(item.organisation_id, category, local_date(item.received_at))
    item.classification = {"accept": "accepted", "reject": "rejected", "transfer": "transferred"}[decision]
    item.classification_note = note if decision == "reject" else None
    item.agency = note if decision == "transfer" else None
    item.classified_at = datetime.now(UTC)


def assign(item: PaknItem, actor: Actor, unit_code: str, due_on: date | None = None) -> None:
    """Give the item to a unit with a deadline (the rule's unless given); e-mails the unit when mail is set up."""
    unit = unit_by_code(item.organisation_id, unit_code.strip())
    if unit is None or not unit.active:
        raise PaknError(_("Vui lòng chọn một đơn vị xử lý trong danh sách."), "unit")
    received = local_date(item.received_at)
    if due_on is not None and not received <= due_on <= received + timedelta(days=366):
        raise PaknError(_("Hạn xử lý phải từ ngày tiếp nhận đến tối đa một năm sau."), "due_on")
    _move(item, "assign", actor, f"{unit.code}; {(due_on or item.due_on).isoformat()}")
    item.assigned_unit, item.assigned_at = unit.code, datetime.now(UTC)
    if due_on is not None:
        item.due_on = due_on
    _mail_unit(item, unit)


def start(item: PaknItem, actor: Actor) -> None:
    _move(item, "start", actor)


def save_draft(item: PaknItem, actor: Actor, text: str, *, submit: bool = False) -> None:
    """Save the reply being drafted, and with `submit` send it for the admin's approval."""
    reply = _text(text, "reply", REPLY_MAX, required=submit, label=_("Nội dung trả lời"))
    _move(item, "submit" if submit else "draft", actor)
    item.draft_reply, item.drafted_by, item.drafted_at = reply, actor.name, datetime.now(UTC)


def return_draft(item: PaknItem, actor: Actor, note: str) -> None:
    _move(item, "return", actor, _text(note, "note", REASON_MAX, label=_("Ghi chú")))


def masked(item: PaknItem, text: str | None) -> str:
    """The text with personal data hidden: phones, e-mails, ID numbers, links and the sender's name."""
    return mask_personal(text or "", [item.contact_name or ""])


def publish(item: PaknItem, actor: Actor, question: str, reply: str) -> None:
    """Publish the question and the reply as the admin checked them, masked once more; e-mails the citizen."""
    question_text = _text(question, "question", TEXT_MAX, required=True, label=_("Nội dung phản ánh công khai"))
    reply_text = _text(reply, "reply", REPLY_MAX, required=True, label=_("Nội dung trả lời"))
    _move(item, "publish", actor)
    now = datetime.now(UTC)
    item.published_question, item.published_reply = masked(item, question_text), masked(item, reply_text)
    item.published_at = now
    item.rating = item.rating_reason = item.rated_at = None
    if item.first_replied_at is None:
        item.first_replied_at = now
        item.first_reply_on_time = local_date(now) <= item.due_on
    _mail_citizen(item)


def close(item: PaknItem, actor: Actor) -> None:
    _move(item, "close", actor)
    item.closed_at = datetime.now(UTC)


def flag(item: PaknItem, actor: Actor, reason: str) -> None:
    note = _text(reason, "reason", FLAG_MAX, required=True, label=_("Lý do gắn cờ"))
    _move(item, "flag", actor, note)
    item.flagged, item.flag_reason = True, note


def unflag(item: PaknItem, actor: Actor) -> None:
    _move(item, "unflag", actor, item.flag_reason)
    item.flagged, item.flag_reason = False, None


# --- the citizen ------------------------------------------------------------------------------


def reopen_open(item: PaknItem, now: datetime | None = None) -> bool:
    """Whether the citizen may still say the reply did not resolve it (within 30 days of the publication)."""
    if item.published_at is None or item.status not in (S.PUBLISHED, S.CLOSED):
        return False
    return (now or datetime.now(UTC)) <= item.published_at + timedelta(days=REOPEN_DAYS)


def rate(item: PaknItem, satisfied: bool, reason: str) -> None:
    """The citizen's one rating of the published reply (hài lòng / không hài lòng); it closes nothing."""
    note = _text(reason, "reason", REASON_MAX, label=_("Lý do"))
    if item.rating is not None:
        raise PaknError(_("Ông/Bà đã đánh giá câu trả lời này rồi. Mỗi câu trả lời chỉ được đánh giá một lần."))
    if not item.published_reply:
        raise PaknError(_("Phản ánh này chưa có câu trả lời để đánh giá."))
    _move(item, "rate", Actor.citizen(), "satisfied" if satisfied else "unsatisfied")
    item.rating = "satisfied" if satisfied else "unsatisfied"
    item.rating_reason, item.rated_at = note, datetime.now(UTC)


def reopen(item: PaknItem, reason: str, now: datetime | None = None) -> None:
    """The citizen says the reply did not resolve it: the item is open again, with a new deadline."""
    note = _text(reason, "reason", REASON_MAX, label=_("Lý do"))
    now = now or datetime.now(UTC)
    if not reopen_open(item, now):
        raise PaknError(_("Chỉ có thể báo chưa được giải quyết trong %(n)s ngày kể từ khi câu trả lời được công khai.",
                          n=REOPEN_DAYS))
    _move(item, "reopen", Actor.citizen(), note)
    item.reopened_at, item.reopen_reason = now, note
    item.reopen_count = (item.reopen_count or 0) + 1
    item.closed_at = None
    item.due_on = due_date(item.organisation_id, item.category, local_date(now))


# --- retention --------------------------------------------------------------------------------


def purge_contacts(ward_id: int, on: date | None = None) -> int:
    """Delete contact details whose stated period has ended (and any unsent e-mail to them); each audited."""
    on = on or today()
    items = list(db.session.scalars(select(PaknItem).where(
        PaknItem.organisation_id == ward_id, PaknItem.contact_purge_on <= on, PaknItem.contact_purged_at.is_(None),
    )))
    now = datetime.now(UTC)
    for item in items:
        item.contact_name = item.contact_phone = item.contact_email = None
        item.contact_purged_at = now
        pakn_mail.forget_citizen(item.id)
        db.session.add(PaknEvent(organisation_id=ward_id, item_id=item.id, actor="system", action="contact_purged",
                                 from_status=item.status, to_status=item.status))
        kept_until = item.contact_purge_on.isoformat() if item.contact_purge_on else ""
        audit.record("system", "pakn.contact_purged", f"pakn:{item.id}", f"hết hạn lưu {kept_until}", ward_id=ward_id)
    db.session.flush()
    return len(items)


# --- reading ----------------------------------------------------------------------------------


def get(ward_id: int, item_id: int) -> PaknItem | None:
    item = db.session.get(PaknItem, item_id)
    return item if item is not None and item.organisation_id == ward_id else None


def history(item: PaknItem) -> list[PaknEvent]:
    return list(db.session.scalars(select(PaknEvent).where(PaknEvent.item_id == item.id)
                                   .order_by(PaknEvent.at, PaknEvent.id)))


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    #: "week" (due this week, still open) or "overdue" (past due, still open).
    due: str | None = None
    unit: str | None = None
    category: str | None = None
    channel: str | None = None
    kind: str | None = None
    flagged: bool | None = None


@dataclass(frozen=True)
class Page:
    rows: Sequence[PaknItem]
    page: int
    pages: int
    total: int


def _register_query(ward_id: int, scope_unit: str | None, filt: Filter, on: date) -> Select[tuple[PaknItem]]:
    query = select(PaknItem).where(PaknItem.organisation_id == ward_id)
    if scope_unit is not None:
        query = query.where(PaknItem.assigned_unit == scope_unit)
    if filt.status:
        query = query.where(PaknItem.status == filt.status)
    if filt.due == "overdue":
        query = query.where(PaknItem.status.in_(OPEN), PaknItem.due_on < on)
    elif filt.due == "week":
        monday = on - timedelta(days=on.weekday())
        query = query.where(PaknItem.status.in_(OPEN), PaknItem.due_on >= monday,
                            PaknItem.due_on <= monday + timedelta(days=6))
    if filt.unit:
        query = query.where(PaknItem.assigned_unit == filt.unit)
    if filt.category:
        query = query.where(PaknItem.category == filt.category)
    if filt.channel:
        query = query.where(PaknItem.channel == filt.channel)
    if filt.kind:
        query = query.where(PaknItem.kind == filt.kind)
    if filt.flagged is not None:
        query = query.where(PaknItem.flagged.is_(filt.flagged))
    return query


def register_page(ward_id: int, scope_unit: str | None, filt: Filter, page: int = 1, per_page: int = PER_PAGE,
                  on: date | None = None) -> Page:
    """The register, open items with the nearest deadline first, then the rest newest first."""
    query = _register_query(ward_id, scope_unit, filt, on or today())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    is_open = PaknItem.status.in_(OPEN)
    rows = db.session.scalars(
        query.order_by(is_open.desc(), PaknItem.due_on, PaknItem.received_at.desc(), PaknItem.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(rows, page, pages, total)


def list_items(ward_id: int, status: str | None = None, overdue: bool = False) -> list[dict[str, Any]]:
    """Rows for `hailong pakn list`: never contact details or the citizen's text."""
    filt = Filter(status=status, due="overdue" if overdue else None)
    query = _register_query(ward_id, None, filt, today()).order_by(PaknItem.id)
    points = {p.id: p.code for p in db.session.scalars(select(ServicePoint).where(
        ServicePoint.organisation_id == ward_id))}
    return [{
        "id": item.id, "status": item.status, "category": item.category, "channel": item.channel,
        "point": points.get(item.point_id) if item.point_id else None, "unit": item.assigned_unit,
        "received_at": item.received_at.astimezone(TZ).isoformat(), "due": item.due_on.isoformat(),
        "replied_at": item.first_replied_at.astimezone(TZ).isoformat() if item.first_replied_at else None,
    } for item in db.session.scalars(query)]


# --- numbers ----------------------------------------------------------------------------------


def _facts_query(ward_id: int, period: Period, kind: str | None) -> Any:
    lo, hi = period.day_keys()
    query = select(
        PaknItem.received_day, PaknItem.classification, PaknItem.first_replied_at, PaknItem.first_reply_on_time,
        PaknItem.due_on, PaknItem.status, PaknItem.rating, PaknItem.assigned_unit, PaknItem.point_id,
        PaknItem.category,
    ).where(PaknItem.organisation_id == ward_id, PaknItem.received_day >= lo, PaknItem.received_day < hi,
            PaknItem.flagged.is_(False))
    if kind:
        query = query.where(PaknItem.kind == kind)
    return query


def stats_facts(ward_id: int, period: Period, kind: str | None = None) -> list[tuple[Any, ...]]:
    """The item rows `stats` counts (what a stored report's freshness mark compares; services.ward_reports)."""
    return list(db.session.execute(_facts_query(ward_id, period, kind)).tuples().all())


def _day(key: int) -> date:
    return date(key // 10000, key // 100 % 100, key % 100)


def stats(ward_id: int, period: Period, kind: str | None = None, on: date | None = None) -> dict[str, Any]:
    """The period's PAKN numbers, in total and by unit, point and category: the dashboard, the report and
    `hailong pakn stats` all read this.

    Items are read in one query (a ward has hundreds a quarter, and each needs the ward's working calendar, which
    SQL does not know); analysis.pakn counts them.
    """
    on = on or today()
    rows = db.session.execute(_facts_query(ward_id, period, kind)).tuples().all()
    cal = calendar(ward_id, range(period.start.year, max(period.end.year, on.year) + 1))
    grouped: dict[str, dict[Any, list[numbers.ItemFacts]]] = {"unit": {}, "point": {}, "category": {}}
    every: list[numbers.ItemFacts] = []
    for received_day, classification, replied_at, on_time, due, status, rating, unit, point_id, category in rows:
        facts = numbers.ItemFacts(
            received=_day(received_day), classification=classification,
            replied=local_date(replied_at) if replied_at else None, on_time=on_time, due=due,
            open=status in OPEN, rating=rating,
        )
        every.append(facts)
        grouped["unit"].setdefault(unit, []).append(facts)
        grouped["point"].setdefault(point_id, []).append(facts)
        grouped["category"].setdefault(category, []).append(facts)
    unit_names = {u.code: u.name for u in units(ward_id)}
    point_rows = {p.id: p for p in db.session.scalars(select(ServicePoint).where(
        ServicePoint.organisation_id == ward_id))}
    return {
        "period": period.label,
        "kind": kind,
        "totals": numbers.summarize(every, cal, on),
        "by_unit": [
            {"unit": code, "name": unit_names.get(code, code) if code else None,
             **numbers.summarize(found, cal, on)}
            for code, found in sorted(grouped["unit"].items(), key=lambda kv: (kv[0] is None, kv[0] or ""))
        ],
        "by_point": [
            {"point": point_rows[pid].code if pid in point_rows else None,
             "name": point_rows[pid].name if pid in point_rows else None, **numbers.summarize(found, cal, on)}
            for pid, found in sorted(grouped["point"].items(),
                                     key=lambda kv: (kv[0] is None, point_rows[kv[0]].code if kv[0] in point_rows
                                                     else ""))
        ],
        "by_category": [
            {"category": code, "name": category_label(code), **numbers.summarize(found, cal, on)}
            for code, found in sorted(grouped["category"].items(), key=lambda kv: ALL_CATEGORIES.index(kv[0])
                                      if kv[0] in ALL_CATEGORIES else 99)
        ],
    }


def public_summary(ward: Organisation | int, period: Period, on: date | None = None) -> dict[str, Any]:
    """For the public results page: of the items received in the period, how many were replied, how many on
    time (with its %), how many are overdue now, the median working days to the reply, and the citizens' rating
    of the replies (n, satisfied, %): the same numbers as `stats` (its totals)."""
    ward_id = ward if isinstance(ward, int) else ward.id
    totals = stats(ward_id, period, on=on)["totals"]
    return {"period": period.label, "received": totals["received"], "replied": totals["replied"],
            "on_time": totals["replied_on_time"], "on_time_pct": totals["on_time_pct"],
            "overdue_now": totals["overdue_now"], "median_working_days": totals["median_working_days"],
            "rating": dict(totals["rating"])}


@dataclass(frozen=True)
class Published:
    """One published item as the public sees it: masked question and reply, no contact, no code."""

    id: int
    category: str
    category_label: str
    received_on: date
    point_name: str | None
    question: str
    reply: str
    published_at: datetime
    #: The citizen said the reply did not resolve it: the ward is handling it again (the reply shown stays).
    reopened: bool = False


@dataclass(frozen=True)
class PublishedPage:
    rows: list[Published]
    page: int
    pages: int
    total: int


#: The longest text a public search may hold, and its most words.
SEARCH_MAX = 100
SEARCH_WORDS = 8


def fold(text: str) -> str:
    """Text for a search that ignores case and Vietnamese diacritics: "Thủ TỤC đất" → "thu tuc dat"."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


_WORD = re.compile(r"\w+")


def _matches(words: Sequence[str], text: str) -> bool:
    """Whether every searched word (folded) begins a word of the text: "ghe" finds "ghế", "7" does not find "17"."""
    found = _WORD.findall(fold(text))
    return all(any(t.startswith(w) for t in found) for w in words)


def _published_filter(ward_id: int, category: str | None = None, code: str | None = None) -> list[Any]:
    """The ward's published items: only what the admin checked and published, never a flagged one."""
    where: list[Any] = [PaknItem.organisation_id == ward_id, PaknItem.published_at.is_not(None),
                        PaknItem.published_reply.is_not(None), PaknItem.flagged.is_(False)]
    if category:
        where.append(PaknItem.category == category)
    if code:
        where.append(ServicePoint.code == code)
    return where


def _with_point(*columns: Any) -> Select[Any]:
    return select(*columns).outerjoin(ServicePoint, and_(ServicePoint.id == PaknItem.point_id,
                                                         same_ward(ServicePoint, PaknItem)))


def _public(item: PaknItem, point_name: str | None) -> Published:
    assert item.published_at is not None
    return Published(item.id, item.category, category_label(item.category), local_date(item.received_at),
                     point_name, item.published_question or "", item.published_reply or "", item.published_at,
                     reopened=item.status in OPEN)


def published_page(ward: Organisation | int, page: int = 1, category: str | None = None, search: str = "",
                   per_page: int = 20, code: str | None = None, clamp: bool = True) -> PublishedPage:
    """Published items of the ward, newest first, of one category, one point (its code) and/or matching every
    word of `search` at the start of a word of the masked question or reply (case and diacritics ignored).

    With `clamp`, a page out of range is moved into it; without, it is kept as asked (and has no rows)."""
    ward_id = ward if isinstance(ward, int) else ward.id
    where = _published_filter(ward_id, category, code)
    order = (PaknItem.published_at.desc(), PaknItem.id.desc())
    words = _WORD.findall(fold(search))[:SEARCH_WORDS]
    ids: list[int] = []
    if words:
        # SQL cannot fold Vietnamese diacritics on every database: the masked texts are matched here (a ward
        # publishes hundreds of replies a year, read as two columns).
        texts = _with_point(PaknItem.id, PaknItem.published_question, PaknItem.published_reply).where(*where)
        ids = [row_id for row_id, question, reply in db.session.execute(texts.order_by(*order)).tuples()
               if _matches(words, f"{question or ''} {reply or ''}")]
        total = len(ids)
    else:
        total = db.session.scalar(_with_point(func.count(PaknItem.id)).where(*where)) or 0
    pages = max(1, -(-total // per_page))
    if clamp:
        page = min(max(1, page), pages)
    found: Sequence[tuple[PaknItem, str | None]] = []
    if 1 <= page <= pages:
        query = _with_point(PaknItem, ServicePoint.name).where(*where).order_by(*order)
        if words:
            query = query.where(PaknItem.id.in_(ids[(page - 1) * per_page:page * per_page]))
        else:
            query = query.offset((page - 1) * per_page).limit(per_page)
        found = db.session.execute(query).tuples().all()
    return PublishedPage([_public(item, name) for item, name in found], page, pages, total)


def published(ward: Organisation | int, page: int = 1, category: str | None = None, code: str | None = None,
              per_page: int = 20) -> tuple[list[Published], int, int]:
    """Published items of the ward, newest first, optionally of one category or one point (its code):
    (rows, page, pages). Only what the admin checked and published is read (never the original text), and
    never a flagged item."""
    found = published_page(ward, page, category=category, code=code, per_page=per_page)
    return found.rows, found.page, found.pages


def published_item(ward: Organisation | int, item_id: int) -> Published | None:
    """One published item of the ward as the public sees it, or None (not published, flagged, another ward's)."""
    ward_id = ward if isinstance(ward, int) else ward.id
    row = db.session.execute(_with_point(PaknItem, ServicePoint.name)
                             .where(*_published_filter(ward_id), PaknItem.id == item_id)).tuples().first()
    return _public(*row) if row is not None else None


def overdue(ward_id: int, on: date | None = None, unit: str | None = None) -> list[PaknItem]:
    """Open items past their deadline (oldest deadline first), of the ward or of one unit."""
    query = select(PaknItem).where(PaknItem.organisation_id == ward_id, PaknItem.status.in_(OPEN),
                                   PaknItem.due_on < (on or today()))
    if unit is not None:
        query = query.where(PaknItem.assigned_unit == unit)
    return list(db.session.scalars(query.order_by(PaknItem.due_on, PaknItem.id)))


def due_counts(ward_id: int, scope_unit: str | None, on: date | None = None) -> dict[str, int]:
    """How many open items are overdue and due this week (the register's quick filters)."""
    on = on or today()
    monday = on - timedelta(days=on.weekday())
    base = [PaknItem.organisation_id == ward_id, PaknItem.status.in_(OPEN)]
    if scope_unit is not None:
        base.append(PaknItem.assigned_unit == scope_unit)
    row = db.session.execute(select(
        func.count().filter(PaknItem.due_on < on),
        func.count().filter(and_(PaknItem.due_on >= monday, PaknItem.due_on <= monday + timedelta(days=6))),
        func.count(),
    ).where(*base)).one()
    return {"overdue": int(row[0] or 0), "week": int(row[1] or 0), "open": int(row[2] or 0)}


__all__ = [
    "ALL_CATEGORIES", "OPEN", "TRANSITIONS", "Actor", "Filter", "Intake", "NotAllowed", "PaknError", "Published",
    "PublishedPage", "allowed", "assign", "can_see", "categories", "check", "classify", "close", "find_by_code",
    "flag", "fold", "format_code", "from_comment", "masked", "public_summary", "publish", "published",
    "published_item", "published_page", "purge_contacts", "rate", "register", "reopen", "save_draft", "stats",
    "unflag",
]


# --- e-mail (composed here, sent through the outbox of services.pakn_mail) ---------------------------


def _point_name(item: PaknItem) -> str:
    point = db.session.get(ServicePoint, item.point_id) if item.point_id else None
    return point.name if point else "–"


def _mail_unit(item: PaknItem, unit: PaknUnit) -> None:
    """Tell the unit it was given an item (masked text, deadline, link to the office page)."""
    if not pakn_mail.enabled() or not unit.email:
        return
    with force_locale("vi"):
        subject = _("[Hài Lòng] Phản ánh số %(id)s giao cho %(unit)s, hạn %(due)s", id=item.id, unit=unit.name,
                    due=pakn_mail.vn_date(item.due_on))
        body = "\n".join([
            _("Đơn vị %(unit)s được giao xử lý phản ánh, kiến nghị số %(id)s.", unit=unit.name, id=item.id),
            "",
            _("Loại: %(c)s", c=category_label(item.category)),
            _("Điểm phục vụ: %(p)s", p=_point_name(item)),
            _("Ngày tiếp nhận: %(d)s", d=pakn_mail.vn_date(local_date(item.received_at))),
            _("Hạn trả lời: %(d)s", d=pakn_mail.vn_date(item.due_on)),
            "",
            _("Nội dung (đã ẩn thông tin cá nhân):"),
            masked(item, item.text),
            "",
            _("Xem và soạn trả lời: %(url)s", url=f"{pakn_mail.base_url()}/office/pakn/{item.id}"),
        ])
    pakn_mail.enqueue(item.organisation_id, item.id, "unit", unit.email, subject, body)


def _mail_citizen(item: PaknItem) -> None:
    """Tell the citizen who gave an e-mail that the reply is published (the masked reply and where to rate it)."""
    if not pakn_mail.enabled() or not item.contact_email or item.contact_purged_at is not None:
        return
    with force_locale("vi"):
        subject = _("[Hài Lòng] Phản ánh của Ông/Bà đã được trả lời")
        body = "\n".join([
            _("Kính gửi Ông/Bà,"),
            "",
            _("Phản ánh, kiến nghị Ông/Bà gửi ngày %(d)s đã được trả lời và công khai.",
              d=pakn_mail.vn_date(local_date(item.received_at))),
            "",
            _("Câu trả lời:"),
            item.published_reply or "",
            "",
            _("Ông/Bà có thể xem lại, đánh giá câu trả lời hoặc báo chưa được giải quyết (trong %(n)s ngày) tại "
              "%(url)s bằng mã tra cứu đã nhận khi gửi phản ánh.", n=REOPEN_DAYS,
              url=f"{pakn_mail.base_url()}/tra-cuu"),
            "",
            _("Thư này được gửi vì Ông/Bà đã đồng ý để lại địa chỉ thư điện tử; địa chỉ sẽ được xóa khi hết thời hạn "
              "lưu đã nêu."),
        ])
    pakn_mail.enqueue(item.organisation_id, item.id, "citizen", item.contact_email, subject, body)


def queue_digest(ward_id: int, on: date) -> int:
    """Queue the daily digest of overdue items: each unit gets its own, a digest_all unit gets the whole ward's."""
    if not pakn_mail.enabled():
        return 0
    queued = 0
    for unit in units(ward_id, active_only=True):
        if not unit.email:
            continue
        items = overdue(ward_id, on, None if unit.digest_all else unit.code)
        if not items:
            continue
        with force_locale("vi"):
            subject = _("[Hài Lòng] %(n)s phản ánh quá hạn ngày %(d)s", n=len(items), d=pakn_mail.vn_date(on))
            lines = [_("Các phản ánh, kiến nghị đã quá hạn trả lời (%(n)s):", n=len(items)), ""]
            for item in items:
                lines.append(_("- Số %(id)s, %(c)s, đơn vị %(u)s, hạn %(d)s (%(s)s): %(url)s",
                               id=item.id, c=category_label(item.category), u=item.assigned_unit or "–",
                               d=pakn_mail.vn_date(item.due_on), s=status_label(item.status),
                               url=f"{pakn_mail.base_url()}/office/pakn/{item.id}"))
        pakn_mail.enqueue(ward_id, None, "digest", unit.email, subject, "\n".join(lines))
        queued += 1
    return queued

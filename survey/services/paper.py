"""Paper forms: serials issued and printed from the questionnaire file, clerks' double entry, reviewers' choices.

A printed form carries a serial (a running number per ward and a Damm check digit) and its QR code. Clerks type
what the citizen ticked, one key per answer. With double entry (the default, a ward setting) a form becomes a
response only when a second clerk's entry agrees with the first, or a reviewer has chosen between them; until
then it is not in `responses` at all, so nothing waiting is ever counted.
"""

from __future__ import annotations

import base64
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from enum import StrEnum

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from stdnum import damm

from hailong.analysis.periods import TZ
from hailong.forms.builder import CONTROL_RE, NEWLINE_RE, field_name, scale_labels
from hailong.forms.encoding import MULTI_SEPARATOR, NA_TEXT, Answers, EncodingError, encode_row
from hailong.forms.questionnaire import KINDS, NO_OPINION, Question, Questionnaire, QuestionType

from ..extensions import db
from ..models import (
    Channel,
    Organisation,
    PaperEntry,
    PaperSerial,
    PaperSetting,
    PaperState,
    ServicePoint,
    User,
)
from . import audit
from . import questionnaires as qsvc
from . import responses as response_svc
from .points import qr_svg

#: Forms printed by one command at most (a ward's quota is 90–200 a period).
MAX_ISSUE = 2000
#: Digits of the running number before the check digit (more appear after 999,999 forms).
SERIAL_DIGITS = 6
#: Keys of the entry's own fields; a question code can never contain ':' (see forms.questionnaire.CODE_PATTERN).
DAY = ":day"
POINT = ":point"
#: Form field names of those two on the entry screen.
DAY_FIELD = "paper-day"
POINT_FIELD = "paper-point"
#: A tick box (6 mm, 0.6 mm black line) drawn as a background image of its table cell.
BOX = "data:image/svg+xml;base64," + base64.b64encode(
    b'<svg xmlns="http://www.w3.org/2000/svg" width="60" height="60" viewBox="0 0 60 60">'
    b'<rect x="3" y="3" width="54" height="54" fill="none" stroke="#000" stroke-width="6"/></svg>').decode("ascii")
#: A paper form has no time of day: it is stored at noon of the day written on it (local time).
PAPER_TIME = time(12, 0)


class PaperError(ValueError):
    """Something about a paper form that the user must fix; `status` is the HTTP status a view answers with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


# --- serials --------------------------------------------------------------------------------------


def format_serial(number: int) -> str:
    """The printed serial of a running number: zero-padded, then a Damm check digit (catches any one wrong
    digit and any two neighbours swapped, the usual typing slips)."""
    base = f"{number:0{SERIAL_DIGITS}d}"
    return base + damm.calc_check_digit(base)


def normalise_serial(text: str | None) -> str:
    """A typed or scanned serial as stored (digits only; spaces and dashes dropped), or PaperError."""
    cleaned = re.sub(r"[\s.\-]", "", text or "")
    if not cleaned:
        raise PaperError(_("Hãy nhập số phiếu (in ở đầu phiếu, cạnh mã QR)."))
    if len(cleaned) > 20 or not cleaned.isascii() or not cleaned.isdigit():
        raise PaperError(_("Số phiếu chỉ gồm chữ số, ví dụ 0000017."))
    if len(cleaned) <= SERIAL_DIGITS or not damm.is_valid(cleaned):
        raise PaperError(_("Số phiếu “%(serial)s” không đúng (sai chữ số kiểm tra): có lẽ gõ nhầm một chữ số. "
                           "Hãy gõ lại theo số in trên phiếu.", serial=cleaned))
    return cleaned


def issue(ward: Organisation, kind: str, count: int, point: ServicePoint | None = None) -> list[PaperSerial]:
    """Record `count` new serials of the ward for the latest questionnaire of `kind`. Caller commits."""
    if kind not in KINDS:
        raise PaperError(_("Loại phiếu phải là một trong: %(kinds)s.", kinds=", ".join(KINDS)))
    if not 1 <= count <= MAX_ISSUE:
        raise PaperError(_("Số phiếu in mỗi lần từ 1 đến %(max)s.", max=MAX_ISSUE))
    if point is not None and point.organisation_id != ward.id:
        raise PaperError(_("Điểm “%(code)s” không thuộc phường này.", code=point.code))
    if point is not None and point.kind != kind:
        raise PaperError(_("Điểm “%(code)s” dùng phiếu loại %(kind)s, không phải %(asked)s.",
                           code=point.code, kind=point.kind, asked=kind))
    if point is None and not db.session.scalar(
        select(func.count(ServicePoint.id)).where(ServicePoint.organisation_id == ward.id, ServicePoint.kind == kind,
                                                  ServicePoint.active.is_(True))):
        raise PaperError(_("Phường chưa có điểm khảo sát đang hoạt động loại %(kind)s.", kind=kind))
    version = qsvc.latest_version(kind)
    last = db.session.scalar(select(func.max(PaperSerial.number)).where(PaperSerial.organisation_id == ward.id)) or 0
    now = datetime.now(UTC)
    rows = [
        PaperSerial(organisation_id=ward.id, point_id=point.id if point else None, kind=kind,
                    questionnaire_id=version.id, number=n, serial=format_serial(n), issued_at=now,
                    state=PaperState.ISSUED.value)
        for n in range(last + 1, last + count + 1)
    ]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def find(ward: Organisation, text: str | None) -> PaperSerial:
    """The ward's issued form with this serial; PaperError (400 mistyped, 404 never issued) otherwise."""
    serial = normalise_serial(text)
    paper = db.session.scalar(
        select(PaperSerial).where(PaperSerial.organisation_id == ward.id, PaperSerial.serial == serial)
    )
    if paper is None:
        raise PaperError(_("Phiếu số %(serial)s chưa được phát hành ở phường này: chỉ nhập được phiếu in bằng "
                           "lệnh “hailong paper”.", serial=serial), status=404)
    return paper


def check_can_enter(paper: PaperSerial, clerk: User) -> None:
    """Refuse (409) a form that is already stored, waits for a reviewer, or was entered by this clerk."""
    if paper.state == PaperState.STORED:
        raise PaperError(_("Phiếu số %(serial)s đã được nhập đủ và lưu; không nhập lại.", serial=paper.serial),
                         status=409)
    if paper.state == PaperState.CONFLICT or len(paper.entries) >= 2:
        raise PaperError(_("Phiếu số %(serial)s đã có hai lần nhập khác nhau, đang chờ cán bộ xem xét đối chiếu.",
                           serial=paper.serial), status=409)
    if any(e.user_id == clerk.id for e in paper.entries):
        raise PaperError(_("Ông/Bà đã nhập phiếu số %(serial)s; lần nhập thứ hai phải do một cán bộ khác thực hiện.",
                           serial=paper.serial), status=409)


# --- what is printed and typed: one layout from the questionnaire file ----------------------------------


@dataclass(frozen=True)
class Choice:
    """One answer as printed and typed: the key the clerk presses and its label."""

    key: str
    label: str


@dataclass(frozen=True)
class PaperField:
    """One question as printed on paper and as a field of the entry screen, in the same order."""

    code: str
    #: The question's printed number ("Câu 7"); None for the form's own fields (day, point).
    number: int | None
    type: str
    text: str
    help: str | None = None
    choices: tuple[Choice, ...] = ()
    #: Characters the clerk may type: 1 for one key per answer.
    maxlength: int = 1
    #: For a question asked only after certain answers: the question it depends on and those answers' labels.
    condition: str | None = None

    @property
    def name(self) -> str:
        """The form field's name on the entry screen."""
        return {DAY: DAY_FIELD, POINT: POINT_FIELD}.get(self.code, field_name(self.code))

    @property
    def pattern(self) -> str | None:
        """An HTML pattern for the keys this field accepts (the server checks again)."""
        if self.type == QuestionType.SCALE:
            return "[0-5]"
        if self.type in (QuestionType.CHOICE, QuestionType.MULTI) and len(self.choices) <= 9:
            keys = f"[1-{len(self.choices)}]"
            return keys if self.type == QuestionType.CHOICE else f"{keys}*"
        if self.type == QuestionType.NUMBER:
            return "[0-9]*"
        return None

    @property
    def columns(self) -> int:
        """Columns the printed options take: short labels side by side, long ones fewer to a row."""
        longest = max((len(c.label) for c in self.choices), default=0)
        for width, cols in ((10, 4), (18, 3), (40, 2)):
            if longest <= width:
                return min(cols, len(self.choices))
        return 1

    def rows(self) -> list[tuple[Choice, ...]]:
        """The printed options cut into rows of `columns`."""
        n = self.columns
        return [self.choices[i:i + n] for i in range(0, len(self.choices), n)]

    def label_of(self, value: str | None) -> str:
        """A stored value as "key – label" for reading it back (empty: left blank)."""
        if not value:
            return _("(để trống)")
        labels = {c.key: c.label for c in self.choices}
        if self.type == QuestionType.MULTI:
            return "; ".join(f"{k} – {labels.get(k, '?')}" for k in value.split(","))
        if self.type == "day":
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        if self.type == "point":
            return labels.get(value, value)
        if value in labels:
            return f"{value} – {labels[value]}"
        return value


@dataclass(frozen=True)
class Group:
    """An element's statements: one compact grid on paper."""

    label: str
    fields: tuple[PaperField, ...]


@dataclass(frozen=True)
class Layout:
    """Everything a printed form and its entry screen show, built from the questionnaire file."""

    title: str
    intro: str
    scale: tuple[Choice, ...]
    groups: tuple[Group, ...]
    questions: tuple[PaperField, ...]
    #: The form's own fields (which point, which day), entered first.
    head: tuple[PaperField, ...] = field(default=())

    @property
    def fields(self) -> list[PaperField]:
        """Every field in entry order: the form's own fields, the statements, then the other questions."""
        return [*self.head, *(f for g in self.groups for f in g.fields), *self.questions]


def scale_choices() -> tuple[Choice, ...]:
    """The five levels best first and "no opinion" as 0, with the phone form's wording."""
    return tuple(Choice("0" if key == "na" else key, label) for key, label in scale_labels())


def _question_field(question: Question, number: int, q: Questionnaire, locale: str) -> PaperField:
    choices: tuple[Choice, ...] = ()
    maxlength = 1
    if question.type == QuestionType.SCALE:
        choices = scale_choices()
    elif question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        choices = tuple(Choice(str(i), o.label.get(locale)) for i, o in enumerate(question.options, start=1))
        width = len(str(len(choices)))
        # Several options: their keys one after another ("138"), or separated by spaces past nine options.
        maxlength = width if question.type == QuestionType.CHOICE else (
            len(choices) if width == 1 else len(choices) * (width + 1))
    elif question.type == QuestionType.NUMBER:
        assert question.min is not None and question.max is not None
        maxlength = max(len(str(question.min)), len(str(question.max)))
    elif question.type == QuestionType.TEXT:
        maxlength = question.max_length or 1000
    condition = None
    for other, codes in (question.show_if or {}).items():
        target = q.question(other)
        if target is not None:
            labels = [o.label.get(locale) for o in target.options if o.code in codes]
            condition = ", ".join(f"“{label}”" for label in labels)
    return PaperField(code=question.code, number=number, type=question.type.value, text=question.text.get(locale),
                      help=question.help.get(locale) if question.help else None, choices=choices,
                      maxlength=maxlength, condition=condition)


def layout(q: Questionnaire, locale: str = "vi", points: Sequence[ServicePoint] = (),
           with_day: bool = True) -> Layout:
    """The printed form's and entry screen's questions, numbered once, in the file's order.

    `points`: when the form is not for one point, the points the citizen chooses among (printed as boxes,
    entered as a choice); with a single point there is nothing to choose.
    """
    scale = scale_choices()
    number = 0
    groups = []
    for element in q.elements:
        items = []
        for st in element.statements:
            number += 1
            items.append(PaperField(code=st.code, number=number, type=QuestionType.SCALE.value,
                                    text=st.text.get(locale), choices=scale))
        groups.append(Group(element.label.get(locale), tuple(items)))
    questions = []
    for question in q.questions:
        number += 1
        questions.append(_question_field(question, number, q, locale))
    head: list[PaperField] = []
    if len(points) > 1:
        head.append(PaperField(code=POINT, number=None, type="point", text=_("Nơi Ông/Bà đánh giá"),
                               choices=tuple(Choice(str(p.id), p.name) for p in points), maxlength=20))
    if with_day:
        head.append(PaperField(code=DAY, number=None, type="day", text=_("Ngày trả lời phiếu"), maxlength=10))
    return Layout(title=q.title.get(locale), intro=q.intro.get(locale), scale=scale, groups=tuple(groups),
                  questions=tuple(questions), head=tuple(head))


def points_for(paper: PaperSerial) -> list[ServicePoint]:
    """The points a form without its own point may be entered for: the ward's active points of its kind."""
    if paper.point_id is not None:
        return []
    return list(db.session.scalars(
        select(ServicePoint)
        .where(ServicePoint.organisation_id == paper.organisation_id, ServicePoint.kind == paper.kind,
               ServicePoint.active.is_(True))
        .order_by(ServicePoint.code)
    ))


def entry_layout(paper: PaperSerial, locale: str) -> Layout:
    """The entry screen of one form: its version's questions, plus the point when the form has none."""
    return layout(qsvc.definition(paper.questionnaire), locale, points_for(paper))


# --- reading what a clerk typed ------------------------------------------------------------------------


def _clean_comment(text: str) -> str:
    """A typed comment as compared and stored: NFC (input methods differ), lines trimmed, runs of spaces as one."""
    text = unicodedata.normalize("NFC", NEWLINE_RE.sub("\n", text))
    lines = [" ".join(line.split()) for line in text.split("\n")]
    return "\n".join(lines).strip()


def _parse_day(text: str) -> date | None:
    text = text.strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d%m%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _read_one(f: PaperField, raw: str, paper: PaperSerial, today: date) -> str:
    """The canonical text of one typed answer ('' when skipped), or PaperError with the reason."""
    if f.type == QuestionType.TEXT:
        if CONTROL_RE.search(NEWLINE_RE.sub("\n", raw)):
            raise PaperError(_("Có ký tự điều khiển không nhìn thấy được (thường do dán từ nơi khác); hãy xóa và "
                               "gõ lại."))
        value = _clean_comment(raw)
        if len(value) > f.maxlength:
            raise PaperError(_("Dài quá %(max)s ký tự.", max=f.maxlength))
        return value
    value = raw.strip()
    if f.type == "day":
        day = _parse_day(value)
        issued = paper.issued_at.astimezone(TZ).date()
        if day is None:
            raise PaperError(_("Hãy nhập ngày ghi trên phiếu, dạng ngày/tháng/năm."))
        if not issued <= day <= today:
            raise PaperError(_("Ngày phải từ ngày in phiếu (%(issued)s) đến hôm nay.",
                               issued=issued.strftime("%d/%m/%Y")))
        return day.isoformat()
    if value == "":
        if f.type == "point":
            raise PaperError(_("Hãy chọn nơi được đánh giá, như đánh dấu trên phiếu."))
        return ""
    if f.type == "point":
        if value not in {c.key for c in f.choices}:
            raise PaperError(_("Hãy chọn một điểm trong danh sách."))
        return value
    if f.type == QuestionType.SCALE:
        if len(value) != 1 or value not in "012345":
            raise PaperError(_("Gõ 1–5 theo mức đã đánh dấu, 0 nếu “Không có ý kiến”, hoặc để trống."))
        return value
    if f.type == QuestionType.NUMBER:
        if not (value.isascii() and value.isdigit()):
            raise PaperError(_("Gõ một số nguyên."))
        return str(int(value))  # range checked with the questionnaire when stored; see read_entry
    keys = {c.key for c in f.choices}
    if f.type == QuestionType.CHOICE:
        if value.lstrip("0") not in keys:
            raise PaperError(_("Gõ số của lựa chọn, từ 1 đến %(n)s.", n=len(f.choices)))
        return value.lstrip("0")
    # MULTI: with at most nine options each key is one digit ("138"); beyond, keys are separated by spaces.
    tokens = [t for t in re.split(r"[\s,;.+]+", value) if t] if len(f.choices) > 9 else \
        [c for c in value if c not in " ,;.+"]
    if not tokens or any(t.lstrip("0") not in keys for t in tokens):
        raise PaperError(_("Gõ số của các lựa chọn đã đánh dấu, mỗi số từ 1 đến %(n)s.", n=len(f.choices)))
    return ",".join(sorted({t.lstrip("0") for t in tokens}, key=int))


def read_entry(paper: PaperSerial, form: Mapping[str, str], locale: str,
               today: date | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """The typed answers of one form as canonical texts (skipped ones left out), and errors by field name."""
    today = today or datetime.now(TZ).date()
    q = qsvc.definition(paper.questionnaire)
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for f in entry_layout(paper, locale).fields:
        raw = form.get(f.name, "")
        if not isinstance(raw, str):
            errors[f.name] = _("Giá trị không hợp lệ.")
            continue
        try:
            value = _read_one(f, raw, paper, today)
        except PaperError as exc:
            errors[f.name] = str(exc)
            continue
        if value:
            values[f.code] = value
    if not errors:
        encoding_errors = _answers(q, values)[1]
        for e in encoding_errors:
            errors[field_name(e.code)] = e.reason
    return values, errors


def _answers(q: Questionnaire, values: Mapping[str, str]) -> tuple[Answers, list[EncodingError]]:
    """Stored answers of canonical typed values, through the import's encoding (so both agree)."""
    cells: dict[str, str] = {}
    for code, value in values.items():
        if code.startswith(":") or (q.comment is not None and code == q.comment.code):
            continue
        question = q.question(code)
        if question is None or question.type == QuestionType.SCALE:
            cells[code] = NA_TEXT if value == str(NO_OPINION) else value
        elif question.type in (QuestionType.CHOICE, QuestionType.MULTI):
            cells[code] = MULTI_SEPARATOR.join(question.options[int(k) - 1].code for k in value.split(","))
        else:
            cells[code] = value
    return encode_row(q, cells)


# --- double entry ------------------------------------------------------------------------------------------


class Outcome(StrEnum):
    WAITING = "waiting"  # first entry kept; a second clerk must enter the form
    STORED = "stored"  # stored as a response
    CONFLICT = "conflict"  # the two entries differ; a reviewer must choose


@dataclass(frozen=True)
class EntryResult:
    outcome: Outcome
    differences: int = 0
    response_id: int | None = None


def double_entry_required(ward: Organisation) -> bool:
    """Whether the ward counts a paper form only after two agreeing entries (the default) or after the first."""
    row = db.session.get(PaperSetting, ward.id)
    return True if row is None else row.double_entry


def set_double_entry(ward: Organisation, required: bool, actor: str) -> None:
    """Change the ward's rule; audited. Forms already waiting keep waiting for their second entry. Caller commits."""
    row = db.session.get(PaperSetting, ward.id)
    if row is None:
        row = PaperSetting(organisation_id=ward.id)
        db.session.add(row)
    row.double_entry = required
    row.updated_at = datetime.now(UTC)
    audit.record(actor, "paper.setting", f"ward:{ward.code}", "double_entry=" + ("on" if required else "off"))
    db.session.flush()


def differing_codes(first: Mapping[str, str], second: Mapping[str, str]) -> list[str]:
    """Field codes whose values differ (a field left blank in one entry counts as a difference)."""
    return sorted(code for code in set(first) | set(second) if first.get(code, "") != second.get(code, ""))


def record_entry(ward: Organisation, paper: PaperSerial, clerk: User, values: dict[str, str]) -> EntryResult:
    """Keep one clerk's entry; store the form when it is the agreeing second entry (or the only one needed).

    The stored response commits with the entry (services.responses.submit commits); otherwise the caller does.
    """
    if paper.organisation_id != ward.id:
        raise PaperError(_("Phiếu này không thuộc phường của Ông/Bà."), status=404)
    check_can_enter(paper, clerk)
    round_ = len(paper.entries) + 1
    entry = PaperEntry(organisation_id=ward.id, paper=paper, round=round_, user_id=clerk.id, fields=values)
    db.session.add(entry)
    try:
        db.session.flush()
    except IntegrityError:
        # Another clerk's entry of the same form was written in between; the caller rolls back.
        raise PaperError(_("Một cán bộ khác vừa nhập phiếu số %(serial)s; hãy mở lại phiếu.", serial=paper.serial),
                         status=409) from None
    if round_ == 1:
        if double_entry_required(ward):
            paper.state = PaperState.ENTERED.value
            audit.record(clerk.username, "paper.entered", f"paper:{paper.serial}", "round=1; waiting for round 2")
            db.session.flush()
            return EntryResult(Outcome.WAITING)
        audit.record(clerk.username, "paper.entered", f"paper:{paper.serial}", "round=1; single entry")
        return EntryResult(Outcome.STORED, response_id=_store(paper, values, verified=False))
    diffs = differing_codes(paper.entries[0].fields, values)
    if not diffs:
        audit.record(clerk.username, "paper.entered", f"paper:{paper.serial}", "round=2; agrees")
        return EntryResult(Outcome.STORED, response_id=_store(paper, values, verified=True))
    paper.state = PaperState.CONFLICT.value
    audit.record(clerk.username, "paper.entered", f"paper:{paper.serial}",
                 f"round=2; differs in {len(diffs)}: {', '.join(diffs)}")
    db.session.flush()
    return EntryResult(Outcome.CONFLICT, differences=len(diffs))


@dataclass(frozen=True)
class Difference:
    """One field the two clerks typed differently, with both values read back."""

    field: PaperField
    first: str
    second: str

    @property
    def first_label(self) -> str:
        return self.field.label_of(self.first)

    @property
    def second_label(self) -> str:
        return self.field.label_of(self.second)


def differences(paper: PaperSerial, locale: str) -> tuple[list[Difference], int]:
    """The fields where the two entries differ, in form order, and how many fields agree."""
    if len(paper.entries) != 2:
        return [], 0
    first, second = paper.entries[0].fields, paper.entries[1].fields
    fields = entry_layout(paper, locale).fields
    codes = set(differing_codes(first, second))
    found = [Difference(f, first.get(f.code, ""), second.get(f.code, "")) for f in fields if f.code in codes]
    return found, len(fields) - len(found)


def resolve(ward: Organisation, paper: PaperSerial, reviewer: User, choices: Mapping[str, str]) -> int:
    """Store a form whose entries differ, with the reviewer's choice (entry 1 or 2) for every difference; audited.

    Returns the stored response's id; it commits with the choice (services.responses.submit commits).
    """
    if paper.organisation_id != ward.id:
        raise PaperError(_("Phiếu này không thuộc phường của Ông/Bà."), status=404)
    if paper.state != PaperState.CONFLICT or len(paper.entries) != 2:
        raise PaperError(_("Phiếu số %(serial)s không có hai lần nhập khác nhau cần đối chiếu.", serial=paper.serial),
                         status=409)
    first, second = paper.entries[0].fields, paper.entries[1].fields
    codes = differing_codes(first, second)
    missing = [code for code in codes if choices.get(code) not in ("1", "2")]
    if missing:
        raise PaperError(_("Hãy chọn lần nhập đúng với phiếu giấy cho mọi câu khác nhau (còn %(n)s câu).",
                           n=len(missing)))
    final = dict(first)
    for code in codes:
        chosen = first if choices[code] == "1" else second
        if code in chosen:
            final[code] = chosen[code]
        else:
            final.pop(code, None)
    audit.record(reviewer.username, "paper.resolved", f"paper:{paper.serial}",
                 "; ".join(f"{code}=round {choices[code]}" for code in codes))
    return _store(paper, final, verified=True)


def _store(paper: PaperSerial, values: Mapping[str, str], verified: bool) -> int:
    """Store the form once as a response (channel paper); its key comes from the serial, so never twice."""
    q = qsvc.definition(paper.questionnaire)
    answers, errors = _answers(q, values)
    if errors:  # read_entry checked every value; a stored entry that no longer encodes is a bug
        raise PaperError(_("Không lưu được phiếu: %(reason)s", reason=errors[0].reason))
    point = paper.point
    if point is None and POINT in values:
        point = db.session.get(ServicePoint, int(values[POINT]))
    elif point is None:
        candidates = points_for(paper)
        point = candidates[0] if len(candidates) == 1 else None
    if point is None or point.organisation_id != paper.organisation_id or point.kind != paper.kind:
        raise PaperError(_("Hãy chọn nơi được đánh giá, như đánh dấu trên phiếu."))
    day = date.fromisoformat(values[DAY])
    comment = values.get(q.comment.code) if q.comment is not None else None
    paper.state = PaperState.STORED.value
    draft = response_svc.Draft(
        point=point, version=paper.questionnaire, answers=answers,
        submitted_at=datetime.combine(day, PAPER_TIME, tzinfo=TZ), comment=comment or None,
        channel=Channel.PAPER.value, submission_key=paper.submission_key, verified=verified,
    )
    response_id, _created = response_svc.submit(draft)
    return response_id


# --- the office's lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """A form waiting for a second clerk or a reviewer."""

    paper: PaperSerial
    clerks: tuple[str, ...]
    last_at: datetime


def waiting(ward: Organisation, state: PaperState, limit: int = 200) -> list[Waiting]:
    """The ward's forms in one waiting state, oldest entry first."""
    papers = db.session.scalars(
        select(PaperSerial).where(PaperSerial.organisation_id == ward.id, PaperSerial.state == state.value)
        .order_by(PaperSerial.number).limit(limit)
    ).all()
    result = []
    for paper in papers:
        entries = paper.entries
        result.append(Waiting(paper, tuple(e.user.username for e in entries),
                              max((e.entered_at for e in entries), default=paper.issued_at)))
    return result


def counts(ward: Organisation) -> dict[str, int]:
    """How many of the ward's forms are in each state."""
    rows = db.session.execute(
        select(PaperSerial.state, func.count()).where(PaperSerial.organisation_id == ward.id)
        .group_by(PaperSerial.state)
    ).all()
    found = {state: int(n) for state, n in rows}
    return {s.value: found.get(s.value, 0) for s in PaperState}


# --- the printed form ------------------------------------------------------------------------------------


def serial_qr_data(paper: PaperSerial) -> str:
    """What a form's QR code holds: the serial alone, so a scanner types it into the entry screen."""
    return paper.serial


def render_pdf(papers: Sequence[PaperSerial], locale: str = "vi") -> bytes:
    """The A4 forms of issued serials, one after another, as PDF (WeasyPrint); all of one kind and version."""
    from flask import render_template
    from weasyprint import HTML

    if not papers:
        raise PaperError(_("Không có phiếu nào để in."))
    first = papers[0]
    if any(p.questionnaire_id != first.questionnaire_id or p.point_id != first.point_id for p in papers):
        raise ValueError("one PDF holds forms of one questionnaire version and point")
    q = qsvc.definition(first.questionnaire)
    sheets = []
    for paper in papers:
        svg = base64.b64encode(qr_svg(serial_qr_data(paper))).decode("ascii")
        sheets.append({"serial": paper.serial, "qr": f"data:image/svg+xml;base64,{svg}"})
    context = {"layout": layout(q, locale, points_for(first), with_day=False), "ward": first.organisation,
               "point": first.point, "version": first.questionnaire, "box": BOX}
    # Every form of one file has the same pages (same questions, serials of one width): lay out one form first
    # to print "page k/n" on each, then the whole file.
    pages = len(HTML(string=render_template("paper/form.html", sheets=sheets[:1], pages=None, **context))
                .render().pages)
    html = render_template("paper/form.html", sheets=sheets, pages=pages, **context)
    return bytes(HTML(string=html).write_pdf())

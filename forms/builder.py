"""Build a Flask-WTF form class from a questionnaire, once per version, and read answers back from it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import Field, HiddenField, IntegerField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .encoding import Answers
from .questionnaire import NO_OPINION, Question, Questionnaire, QuestionType

SCALE_CHOICES = ("5", "4", "3", "2", "1", "na")
#: Form fields that are not answers; any other unknown field in a POST is refused. `page` and `go` are the paged
#: form's: the page the POST comes from and the button pressed (next, back, send).
SERVICE_FIELDS = frozenset({"csrf_token", "submission_key", "website", "t", "lang", "page", "go"})
#: The honeypot: a text field hidden from people (a bot that fills it in is flagged, never refused).
HONEYPOT = "website"
#: C0 and C1 control characters and DEL: invisible, refused by PostgreSQL (NUL) and by XLSX (most of C0).
#: TAB is kept; line breaks are normalised first (see clean_formdata), so no CR is left to match here.
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
NEWLINE_RE = re.compile("\r\n?")
CONTROL_MESSAGE = _l("Câu trả lời có ký tự điều khiển không nhìn thấy được (thường do dán từ nơi khác); hệ thống "
                     "đã bỏ các ký tự đó. Vui lòng xem lại nội dung bên dưới rồi bấm “Gửi phiếu” lại.")


def field_name(code: str) -> str:
    """HTML-safe field name of a code ('access.seating' -> 'access__seating')."""
    return code.replace(".", "__")


class StrictRadioField(RadioField):
    """A radio group that is optional but refuses values outside its choices, in the user's language."""

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, "", "None"):
            return
        if self.data not in {c.value for c in self.choices}:
            raise ValidationError(_l("Giá trị không hợp lệ. Vui lòng chọn một trong các mức đã cho."))

    def process_formdata(self, valuelist: list[Any]) -> None:
        if len(valuelist) > 1:
            self.data = None
            raise ValueError(_l("Chỉ được chọn một câu trả lời."))
        super().process_formdata(valuelist)


class MultiCheckboxField(SelectMultipleField):
    """Several checkboxes; refuses unknown options in the user's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: Any) -> None:
        allowed = {c.value for c in self.choices}
        if any(v not in allowed for v in self.data or []):
            raise ValidationError(_l("Có lựa chọn không hợp lệ."))


class LenientIntegerField(IntegerField):
    """An optional whole number with a Vietnamese message for text that is not one."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or str(valuelist[0]).strip() == "":
            self.data = None
            return
        try:
            self.data = int(str(valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Vui lòng nhập một số nguyên.")) from None


def _question_field(q: Question) -> Field:
    if q.type == QuestionType.SCALE:
        return StrictRadioField(choices=[SelectChoice(c) for c in SCALE_CHOICES], validators=[Optional()])
    if q.type == QuestionType.CHOICE:
        return StrictRadioField(choices=[SelectChoice(o.code) for o in q.options], validators=[Optional()])
    if q.type == QuestionType.MULTI:
        return MultiCheckboxField(choices=[SelectChoice(o.code) for o in q.options], validators=[Optional()])
    if q.type == QuestionType.NUMBER:
        message = _l("Vui lòng nhập một số từ %(min)s đến %(max)s.", min=q.min, max=q.max)
        return LenientIntegerField(validators=[Optional(), NumberRange(q.min, q.max, message=message)])
    message = _l("Ý kiến dài quá %(max)s ký tự. Vui lòng rút gọn.", max=q.max_length)
    return TextAreaField(validators=[Optional(), Length(max=q.max_length, message=message)])


def clean_formdata(formdata: Any) -> tuple[MultiDict[str, str], frozenset[str]]:
    """Text values of a POST with CRLF/CR as LF and control characters removed, and the fields that had any.

    A browser sends every line break of a textarea as CRLF (the HTML standard's form encoding) while the citizen
    typed and saw one line break, and the textarea's maxlength counts it as one character: LF is what was typed,
    so that is not an alteration. Removing a control character is one, so a form with any comes back to be
    confirmed (SurveyForm.validate). File parts are not text and are left out (the view refuses them).
    """
    cleaned: MultiDict[str, str] = MultiDict()
    altered = set()
    for name, value in formdata.items(multi=True):
        if not isinstance(value, str):
            continue
        value = NEWLINE_RE.sub("\n", value)
        if CONTROL_RE.search(value):
            altered.add(name)
            value = CONTROL_RE.sub("", value)
        cleaned.add(name, value)
    return cleaned, frozenset(altered)


class SurveyForm(FlaskForm):
    """A citizen's form: reads text values only, and shows back without them the control characters it refuses."""

    #: Answer fields whose posted value had control characters (removed in what the form holds and shows).
    altered: frozenset[str] = frozenset()

    class Meta(FlaskForm.Meta):
        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            formdata = super().wrap_formdata(form, formdata)
            if formdata is None:
                return None
            cleaned, altered = clean_formdata(formdata)
            form.altered = altered - SERVICE_FIELDS
            return cleaned

    def validate(self, extra_validators: Any = None) -> bool:
        valid = super().validate(extra_validators)
        for name in sorted(self.altered):
            if name in self._fields:
                self._fields[name].errors = [*self._fields[name].errors, CONTROL_MESSAGE]
                valid = False
        return valid


_form_classes: dict[tuple[str, str, tuple[str, ...] | None], type[FlaskForm]] = {}


def form_class(q: Questionnaire, codes: tuple[str, ...] | None = None) -> type[FlaskForm]:
    """The form class of one questionnaire version, built once (a version's content never changes).

    With `codes`, a class with only those answer fields (one page of the paged form: binding 40 fields for a page
    that shows 4 is most of the cost of a page), besides the service fields.
    """
    key = (q.key, q.checksum, codes)
    cls = _form_classes.get(key)
    if cls is None:
        cls = _form_classes[key] = _build_form_class(q, None if codes is None else frozenset(codes))
    return cls


def _build_form_class(q: Questionnaire, only: frozenset[str] | None = None) -> type[FlaskForm]:
    attrs: dict[str, Any] = {
        # Checked by the view against the keys the server issued (antiabuse.form_key_time), not here.
        "submission_key": HiddenField(),
        # Honeypot: hidden from people by CSS; bots fill it in.
        HONEYPOT: StringField(validators=[Optional(), Length(max=200)]),
    }
    for st in q.statements:
        if only is None or st.code in only:
            attrs[field_name(st.code)] = StrictRadioField(
                choices=[SelectChoice(c) for c in SCALE_CHOICES], validators=[Optional()]
            )
    for question in q.questions:
        if only is None or question.code in only:
            attrs[field_name(question.code)] = _question_field(question)
    suffix = "" if only is None else f"_{len(_form_classes)}"
    return type(f"Form_{q.kind}_v{q.version}{suffix}", (SurveyForm,), attrs)


def allowed_fields(q: Questionnaire) -> frozenset[str]:
    """Every field name a POST of this questionnaire may carry."""
    return SERVICE_FIELDS | {field_name(c) for c in q.all_codes()}


def validate_fields(form: FlaskForm, names: Iterable[str]) -> bool:
    """Validate some fields of a form (one page of the paged form), as SurveyForm.validate does for all of them.

    A field whose posted value had control characters fails (they are removed in what it shows), so the citizen
    confirms the cleaned text; the CSRF token is not one of these fields (the view checks it).
    """
    valid = True
    for name in names:
        field = form._fields.get(name)
        if field is None or name == "csrf_token":
            continue
        if not field.validate(form):
            valid = False
        if name in getattr(form, "altered", frozenset()):
            field.errors = [*field.errors, CONTROL_MESSAGE]
            valid = False
    return valid


def answer_fields(q: Questionnaire) -> list[str]:
    """The answer field names of a questionnaire, in display order of the single-page form."""
    return [field_name(c) for c in q.all_codes()]


def answers_from_form(form: FlaskForm, q: Questionnaire) -> tuple[Answers, str | None]:
    """Encode a validated form into stored values and the comment text."""
    answers: Answers = {}
    for st in q.statements:
        data = form[field_name(st.code)].data
        if data in SCALE_CHOICES:
            answers[st.code] = NO_OPINION if data == "na" else int(data)
    comment: str | None = None
    for question in q.questions:
        data = form[field_name(question.code)].data
        if question.type == QuestionType.SCALE and data in SCALE_CHOICES:
            answers[question.code] = NO_OPINION if data == "na" else int(data)
        elif question.type == QuestionType.CHOICE and data:
            value = question.option_value(data)
            if value is not None:
                answers[question.code] = value
        elif question.type == QuestionType.MULTI and data:
            values = sorted({v for v in (question.option_value(d) for d in data) if v is not None})
            if values:
                answers[question.code] = values
        elif question.type == QuestionType.NUMBER and data is not None:
            answers[question.code] = int(data)
        elif question.type == QuestionType.TEXT and data and data.strip():
            comment = data  # stored as typed (line breaks as LF, see clean_formdata)
    return answers, comment


#: A posted scale value and what is stored for it.
SCALE_VALUES: dict[str, int] = {"5": 5, "4": 4, "3": 3, "2": 2, "1": 1, "na": NO_OPINION}
#: The honeypot's longest text (its Length validator).
HONEYPOT_MAX = 200
#: Digits of the longest whole number read without the form class (a bigger one is rare: the form judges it).
_MAX_DIGITS = 9


def read_plainly(q: Questionnaire, formdata: MultiDict[str, str], names: Iterable[str],
                 altered: frozenset[str] = frozenset()) -> tuple[Answers, str | None] | None:
    """The answers of `names` read without binding a form class, when every one of them is plainly valid; None when
    any value is not (the form class then validates it and explains), so both readings agree wherever this one
    answers.

    Binding the whole form's fields is the costliest part of a citizen's POST, and nearly every POST holds only
    answers clicked on the page: an absent or empty field, or one option of its choices, or digits in range, or a
    comment within its length. Anything else (two values for one choice, blank padding, "None", an unknown option, text
    cleaned of control characters) is left to the form class.
    """
    wanted = set(names)
    if wanted & altered:
        return None
    if HONEYPOT in wanted:
        trap = formdata.getlist(HONEYPOT)
        if len(trap) > 1 or (trap and len(trap[0]) > HONEYPOT_MAX):
            return None
    answers: Answers = {}
    comment: str | None = None
    for reader in _plain_readers(q):
        if reader.name not in wanted:
            continue
        posted = formdata.getlist(reader.name)
        if not posted:
            continue
        read = reader.read(posted)
        if isinstance(read, _NotPlain):
            return None
        if isinstance(read, str):
            if read.strip():
                comment = read  # stored as typed, as answers_from_form does
        elif read is not None:
            answers[reader.code] = read
    return answers, comment


class _NotPlain:
    """A value the form class must judge."""


_NOT_PLAIN = _NotPlain()


class _PlainReader:
    """How one answer field's posted values are read when plain (see read_plainly)."""

    def __init__(self, question: Question | None, code: str) -> None:
        self.code, self.name = code, field_name(code)
        kind = QuestionType.SCALE if question is None else question.type
        self.kind = kind
        self.values: dict[str, int] = (
            SCALE_VALUES if kind == QuestionType.SCALE
            else {o.code: i for i, o in enumerate(question.options, start=1)} if question is not None else {}
        )
        self.low = question.min if question is not None else None
        self.high = question.max if question is not None else None
        self.max_length = question.max_length if question is not None else None

    def read(self, posted: list[str]) -> int | list[int] | str | _NotPlain | None:
        """The stored value (None: no answer), or _NOT_PLAIN."""
        if self.kind == QuestionType.MULTI:
            if all(v in self.values for v in posted):
                return sorted({self.values[v] for v in posted})
            return _NOT_PLAIN
        if len(posted) != 1:
            return _NOT_PLAIN
        value = posted[0]
        if value == "" and self.kind != QuestionType.TEXT:
            return None  # a drop-down list left at its empty first line, an empty number box: no answer
        if self.kind in (QuestionType.SCALE, QuestionType.CHOICE):
            return self.values.get(value, _NOT_PLAIN)
        if self.kind == QuestionType.NUMBER:
            if not (value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS):
                return _NOT_PLAIN
            number = int(value)
            assert self.low is not None and self.high is not None  # a number question has both (questionnaire)
            return number if self.low <= number <= self.high else _NOT_PLAIN
        assert self.max_length is not None  # a text question has one (questionnaire)
        return value if len(value) <= self.max_length else _NOT_PLAIN


_plain_reader_lists: dict[tuple[str, str], tuple[_PlainReader, ...]] = {}


def _plain_readers(q: Questionnaire) -> tuple[_PlainReader, ...]:
    """The readers of a questionnaire version's answer fields in the order answers_from_form stores them, built once."""
    key = (q.key, q.checksum)
    readers = _plain_reader_lists.get(key)
    if readers is None:
        readers = _plain_reader_lists[key] = (
            *(_PlainReader(None, st.code) for st in q.statements),
            *(_PlainReader(question, question.code) for question in q.questions),
        )
    return readers


def scale_labels() -> list[tuple[str, str]]:
    """The five levels and "no opinion", best first, in the user's language."""
    return [
        ("5", str(_l("Rất hài lòng"))),
        ("4", str(_l("Hài lòng"))),
        ("3", str(_l("Bình thường"))),
        ("2", str(_l("Không hài lòng"))),
        ("1", str(_l("Rất không hài lòng"))),
        ("na", str(_l("Không có ý kiến"))),
    ]

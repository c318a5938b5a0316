"""One encoding of answers for the form, the CSV import and the export: text codes <-> stored integers."""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _

from .questionnaire import NO_OPINION, Question, Questionnaire, QuestionType

NA_TEXT = "na"
MULTI_SEPARATOR = "|"

#: Stored answers of one response: code -> int, or a list of ints for a multi question.
Answers = dict[str, int | list[int]]


class EncodingError(ValueError):
    """A value that does not fit its question; `reason` is a sentence in the user's language."""

    def __init__(self, code: str, reason: str):
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


def encode_statement(code: str, text: str) -> int | None:
    """Encode a scale answer: '' -> None (skipped), 'na' -> 0 (no opinion), '1'..'5' -> int."""
    text = text.strip()
    if text == "":
        return None
    if text.lower() == NA_TEXT:
        return NO_OPINION
    if text in ("1", "2", "3", "4", "5"):
        return int(text)
    raise EncodingError(code, _("phải là 1–5, na (không có ý kiến) hoặc để trống, không phải “%(value)s”", value=text))


def encode_question(question: Question, text: str) -> int | list[int] | None:
    """Encode a non-statement answer given as its text code(s); None when empty."""
    text = text.strip()
    if text == "":
        return None
    if question.type == QuestionType.SCALE:
        return encode_statement(question.code, text)
    if question.type == QuestionType.CHOICE:
        value = question.option_value(text)
        if value is None:
            raise EncodingError(question.code, _("không có lựa chọn “%(value)s”", value=text))
        return value
    if question.type == QuestionType.MULTI:
        values: list[int] = []
        for part in text.split(MULTI_SEPARATOR):
            part = part.strip()
            if not part:
                continue
            value = question.option_value(part)
            if value is None:
                raise EncodingError(question.code, _("không có lựa chọn “%(value)s”", value=part))
            if value not in values:
                values.append(value)
        return sorted(values) or None
    if question.type == QuestionType.NUMBER:
        try:
            number = int(text)
        except ValueError:
            raise EncodingError(question.code, _("phải là số nguyên, không phải “%(value)s”", value=text)) from None
        assert question.min is not None and question.max is not None
        if not question.min <= number <= question.max:
            raise EncodingError(
                question.code,
                _(
                    "phải từ %(min)s đến %(max)s, không phải %(value)s",
                    min=question.min,
                    max=question.max,
                    value=number,
                ),
            )
        return number
    raise EncodingError(question.code, _("ý kiến tự do không mã hóa được"))


def encode_row(q: Questionnaire, cells: Mapping[str, str]) -> tuple[Answers, list[EncodingError]]:
    """Encode every known code present in `cells`, collecting all errors instead of stopping at the first."""
    answers: Answers = {}
    errors: list[EncodingError] = []
    for st in q.statements:
        if st.code in cells:
            try:
                value = encode_statement(st.code, cells[st.code])
            except EncodingError as exc:
                errors.append(exc)
                continue
            if value is not None:
                answers[st.code] = value
    for question in q.questions:
        if question.type == QuestionType.TEXT or question.code not in cells:
            continue
        try:
            encoded = encode_question(question, cells[question.code])
        except EncodingError as exc:
            errors.append(exc)
            continue
        if encoded is not None:
            answers[question.code] = encoded
    return answers, errors


def decode_value(q: Questionnaire, code: str, value: int | list[int]) -> str:
    """Turn stored value(s) back into the text an import accepts."""
    question = q.question(code)
    if question is None or question.type == QuestionType.SCALE:
        assert isinstance(value, int)
        return NA_TEXT if value == NO_OPINION else str(value)
    if question.type == QuestionType.NUMBER:
        return str(value)
    values = value if isinstance(value, list) else [value]
    return MULTI_SEPARATOR.join(question.options[v - 1].code for v in sorted(values))

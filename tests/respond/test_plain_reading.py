"""The POST's reading without the form class (forms.builder.read_plainly) agrees with the form class wherever it
answers: same verdict, same answers, same comment; and a citizen's ordinary answers are read that way."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from hailong.forms.builder import (
    HONEYPOT,
    SCALE_CHOICES,
    SERVICE_FIELDS,
    answer_fields,
    answers_from_form,
    clean_formdata,
    field_name,
    form_class,
    read_plainly,
    validate_fields,
)
from hailong.forms.pages import page_of
from hailong.forms.questionnaire import Question, Questionnaire, QuestionType, bundled
from hailong.survey.respond import views
from tests.fixtures.citizen import VALID, counts, open_form, open_paged, stored

QUESTIONNAIRES = sorted(bundled().values(), key=lambda q: q.key)
#: Values no plain answer has: padding, look-alike digits, "None", two answers in one, controls, line breaks.
ODD = ["", " ", "None", "none", "x", "0", "6", "-1", "+3", "٣", "1_0", " 5", "5 ", "NA", "na ", "\x00", "a\r\nb",
       "\ufffd", "9" * 12]


def _candidates(q: Questionnaire, name: str) -> list[str]:
    """Values worth posting to a field: its valid ones, the edges of its range or length, and odd ones."""
    question: Question | None = next((x for x in q.questions if field_name(x.code) == name), None)
    if question is None or question.type == QuestionType.SCALE:
        return [*SCALE_CHOICES, *ODD]
    if question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        return [*(o.code for o in question.options), *ODD]
    if question.type == QuestionType.NUMBER:
        assert question.min is not None and question.max is not None
        edges = [question.min, question.max, question.min - 1, question.max + 1, (question.min + question.max) // 2]
        return [*(str(n) for n in edges), f"00{question.max}", *ODD]
    assert question.max_length is not None
    most = question.max_length
    return ["Cảm ơn cán bộ.", "a" * most, "a" * (most + 1), "dòng 1\r\ndòng 2", "  ", "x\x07y",
            "a" * (most - 1) + "\r\n", *ODD]


def _type(q: Questionnaire, name: str) -> str:
    question = next((x for x in q.questions if field_name(x.code) == name), None)
    return QuestionType.SCALE.value if question is None else question.type.value


def _valid(q: Questionnaire, name: str) -> list[str]:
    """The values a browser sends for a field: its options, digits in range, short text."""
    question: Question | None = next((x for x in q.questions if field_name(x.code) == name), None)
    if question is None or question.type == QuestionType.SCALE:
        return list(SCALE_CHOICES)
    if question.type in (QuestionType.CHOICE, QuestionType.MULTI):
        return [o.code for o in question.options]
    if question.type == QuestionType.NUMBER:
        return [str(question.min), str(question.max)]
    return ["Cảm ơn cán bộ.", ""]


@st.composite
def postings(draw: Any) -> tuple[Questionnaire, MultiDict[str, str], list[str], bool]:
    """A questionnaire, a POST's fields (plain but for a field or two with edge or odd values), the fields judged,
    and whether it sends."""
    q = draw(st.sampled_from(QUESTIONNAIRES))
    fields = answer_fields(q)
    # The odd field's type first, so that the one comment and the few numbers get odd values as often as scales.
    by_type: dict[str, list[str]] = {}
    for name in fields:
        by_type.setdefault(_type(q, name), []).append(name)
    odd = {draw(st.sampled_from(by_type[draw(st.sampled_from(sorted(by_type)))]))
           for _ in range(draw(st.sampled_from([0, 1, 1, 1, 2])))}
    data: MultiDict[str, str] = MultiDict()
    for name in fields:
        if name in odd:
            for _ in range(draw(st.sampled_from([1, 1, 2]))):
                data.add(name, draw(st.sampled_from(_candidates(q, name) + _valid(q, name))))
        else:
            for _ in range(draw(st.sampled_from([0, 1, 1, 1]))):
                data.add(name, draw(st.sampled_from(_valid(q, name))))
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 2]))):
        data.add(HONEYPOT, draw(st.sampled_from(["", "x", " " * 201, "y" * 200, "y" * 201, "\x01"])))
    sends = draw(st.sampled_from([True, True, False]))
    if sends:
        names = [*fields, HONEYPOT]
    else:
        names = [*draw(st.lists(st.sampled_from(fields), max_size=8, unique=True)), HONEYPOT]
    return q, data, names, sends


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(posting=postings())
def test_the_plain_reading_agrees_with_the_form_class(app: Any, posting: Any) -> None:
    q, data, names, sends = posting
    cleaned, altered = clean_formdata(data)
    altered -= SERVICE_FIELDS
    plain = read_plainly(q, cleaned, names, altered)
    with app.test_request_context("/", method="POST"):
        form = form_class(q)(formdata=cleaned)
        form.altered = altered
        valid = validate_fields(form, names)
        # --hypothesis-show-statistics: both readings are taken, and the form class refuses some.
        event(f"{'plain' if plain is not None else 'form class'}, {'valid' if valid else 'refused'}"
              f"{', sent' if sends else ''}")
        if plain is None:
            return
        assert valid, {n: form._fields[n].errors for n in names if n in form._fields and form._fields[n].errors}
        if sends:
            assert plain == answers_from_form(form, q)


def _everything(q: Questionnaire) -> MultiDict[str, str]:
    """A full answer as a phone sends it: one value per field, several ticks for a multiple choice."""
    data: MultiDict[str, str] = MultiDict()
    for st_ in q.statements:
        data.add(field_name(st_.code), "4")
    for question in q.questions:
        name = field_name(question.code)
        if question.type == QuestionType.SCALE:
            data.add(name, "na")
        elif question.type == QuestionType.CHOICE:
            data.add(name, question.options[-1].code)
        elif question.type == QuestionType.MULTI:
            for option in question.options[:2]:
                data.add(name, option.code)
        elif question.type == QuestionType.NUMBER:
            data.add(name, str(question.max))
        else:
            data.add(name, "Cán bộ tận tình.\r\nCảm ơn.")
    data.add(HONEYPOT, "")
    return data


@pytest.mark.parametrize("q", QUESTIONNAIRES, ids=lambda q: q.key)
def test_an_ordinary_full_answer_is_read_plainly(q: Questionnaire) -> None:
    cleaned, altered = clean_formdata(_everything(q))
    read = read_plainly(q, cleaned, [*answer_fields(q), HONEYPOT], altered)
    assert read is not None
    answers, comment = read
    assert comment == "Cán bộ tận tình.\nCảm ơn."
    assert {code for code in answers} == {c for c in q.all_codes() if c != "comment"}


@pytest.fixture
def bound(monkeypatch: Any) -> list[Any]:
    """The POSTs that bound a form class (the view's fallback from the plain reading)."""
    calls: list[Any] = []
    real = views._bound_form

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(views, "_bound_form", counting)
    return calls


def test_a_send_binds_no_form_class_unless_it_must(app: Any, client: Any, points: Any, bound: list[Any]) -> None:
    """An ordinary POST is stored without the form class; a refused one still gets the form's messages."""
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    form = open_form(app, client)
    refused = form.post({**VALID, "overall": "7"})
    assert refused.status_code == 422
    assert "Giá trị không hợp lệ" in refused.get_data(as_text=True)
    assert bound and counts(app) == (0, 0)
    bound.clear()
    sent = form.post()
    assert sent.status_code == 303
    assert not bound
    (response,) = stored(app)
    assert response.comment == VALID["comment"]


def test_pages_are_kept_whichever_reading_reads_them(app: Any, client: Any, points: Any, bound: list[Any]) -> None:
    """A drop-down left at its empty line is read plainly; a value only the form class reads ("None": no answer)
    is judged by the page's form class, and the page is kept either way."""
    form = open_paged(app, client)
    q = next(x for x in QUESTIONNAIRES if x.kind == "onestop")
    target = page_of(q, "field")
    assert target is not None and target > 1
    assert form.press("next", {"overall": "None"}).status_code == 303
    assert len(bound) == 1 and form.step[0] == 2
    bound.clear()
    while form.step[0] < target:
        assert form.press("next").status_code == 303
    assert form.press("next", {"field": ""}).status_code == 303
    assert not bound and form.step[0] == target + 1

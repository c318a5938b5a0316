"""The paged form's plan: every question on exactly one page, the overall question alone first, one element a page."""

from __future__ import annotations

import pytest

from hailong.forms.pages import page_of, plan
from hailong.forms.questionnaire import bundled


@pytest.mark.parametrize("key", sorted(bundled()))
def test_every_code_is_asked_once_and_the_overall_question_first(key: str) -> None:
    q = bundled()[key]
    pages = plan(q)
    asked = [code for page in pages for code in page.codes]
    assert sorted(asked) == sorted(q.all_codes()) and len(asked) == len(set(asked))
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert (pages[0].kind, pages[0].codes) == ("overall", ("overall",))
    elements = [p for p in pages if p.kind == "element"]
    assert [p.element for p in elements] == list(q.elements)
    assert all(not p.questions for p in elements) and all(not p.statements for p in pages if p.kind != "element")
    assert pages[-1].kind == "profile"
    assert plan(q) is pages  # built once per version


def test_the_onestop_pages() -> None:
    q = bundled()["onestop/v1"]
    assert [(p.kind, len(p.codes)) for p in plan(q)] == [
        ("overall", 1), ("element", 4), ("element", 5), ("element", 6), ("element", 3), ("element", 4),
        ("assessment", 7), ("opinion", 2), ("profile", 5)]
    assert [p.title("vi") for p in plan(q)][:3] == ["Đánh giá chung", "Tiếp cận dịch vụ", "Thủ tục hành chính"]
    assert plan(q)[1].title("en") == "Access to the service"
    assert (page_of(q, "apology"), page_of(q, "comment"), page_of(q, "nope")) == (7, 8, None)


def test_a_questionnaire_without_assessment_questions_has_no_such_page() -> None:
    kinds = [p.kind for p in plan(bundled()["education/v1"])]
    assert "assessment" not in kinds and kinds[-2:] == ["opinion", "profile"]
    assert page_of(bundled()["education/v1"], "school_level") == len(kinds)

"""The paged form's plan: which questions each page of a questionnaire shows, in order, derived from the file.

One element per page, so a page is one topic and short on a phone; the overall question stands alone on the
first page, so that one tap already gives an answer worth storing (and the overall rating is given before the
statements can colour it: see README, "The paged form"). The other questions are grouped by their section:
the assessment questions about this visit, then expectations with the free comment, then the optional profile.

The plan is plain data (no application needed), the same for the citizen's phone, a kiosk, the office's funnel or a
paper form, and never stored:
pages can be regrouped in a later release without touching the questionnaire files or their checksums. A page
that would be empty is left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from .questionnaire import Element, Question, Questionnaire, Section, Statement

#: Headings of the pages that are not one element (an element page is headed by the element's label).
TITLES = {
    "overall": _l("Đánh giá chung"),
    "assessment": _l("Về lần sử dụng dịch vụ này"),
    "opinion": _l("Mong đợi và góp ý"),
    "profile": _l("Thông tin về Ông/Bà"),
}


@dataclass(frozen=True)
class Page:
    """One page of the paged form: either one element's statements or a group of other questions."""

    #: 1-based position in the plan.
    number: int
    #: "overall", "element", "assessment", "opinion" or "profile".
    kind: str
    element: Element | None
    questions: tuple[Question, ...]

    @property
    def statements(self) -> tuple[Statement, ...]:
        return self.element.statements if self.element is not None else ()

    def title(self, locale: str | None = None) -> str:
        """The page's heading: the element's label in `locale`, else the group's heading in the user's language."""
        return self.element.label.get(locale) if self.element is not None else str(TITLES[self.kind])

    @property
    def codes(self) -> tuple[str, ...]:
        """The answer codes this page asks, in display order."""
        return tuple(s.code for s in self.statements) + tuple(q.code for q in self.questions)


#: Non-element pages: (page kind, the sections it shows), in order after the elements.
GROUPS: tuple[tuple[str, tuple[Section, ...]], ...] = (
    ("assessment", (Section.ASSESSMENT,)),
    ("opinion", (Section.EXPECT, Section.COMMENT)),
    ("profile", (Section.PROFILE,)),
)


_plans: dict[tuple[str, str], tuple[Page, ...]] = {}


def plan(q: Questionnaire) -> tuple[Page, ...]:
    """The pages of a questionnaire version, built once per version (its content never changes)."""
    key = (q.key, q.checksum)
    found = _plans.get(key)
    if found is None:
        found = _plans[key] = _build(q)
    return found


def _build(q: Questionnaire) -> tuple[Page, ...]:
    parts: list[tuple[str, Element | None, tuple[Question, ...]]] = []
    overall = tuple(x for x in q.questions if x.section == Section.OVERALL)
    if overall:
        parts.append(("overall", None, overall))
    parts.extend(("element", e, ()) for e in q.elements)
    for kind, sections in GROUPS:
        # Kept in the file's order within a page, sections in the group's order.
        questions = tuple(x for s in sections for x in q.questions if x.section == s)
        if questions:
            parts.append((kind, None, questions))
    return tuple(Page(i, kind, element, questions) for i, (kind, element, questions) in enumerate(parts, start=1))


def page_of(q: Questionnaire, code: str) -> int | None:
    """The number of the page that asks `code`, or None for a code the questionnaire does not have."""
    for page in plan(q):
        if code in page.codes:
            return page.number
    return None

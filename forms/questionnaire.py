"""Questionnaires as versioned data: the schema, loading and validation of `forms/questionnaires/*.toml`."""

from __future__ import annotations

import hashlib
import tomllib
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

QUESTIONNAIRE_DIR = Path(__file__).parent / "questionnaires"

#: The kinds of service, in the order every list shows them: questionnaires, service points, the filters and the
#: database's CHECK constraint (survey/models.py) all take them from here.
Kind = Literal["onestop", "health", "education"]
KINDS: tuple[str, ...] = get_args(Kind)
CODE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)?$"
Code = Annotated[str, Field(pattern=CODE_PATTERN, max_length=64)]

#: Stored value of "Không có ý kiến" (no opinion) for scale questions; never counted in a denominator.
NO_OPINION = 0
SCALE_VALUES = (1, 2, 3, 4, 5)


class QuestionnaireError(ValueError):
    """A questionnaire file is broken; the message names the file and the field."""


class Text(BaseModel):
    """A text shown to users, Vietnamese first and English as a translation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    vi: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def get(self, locale: str | None) -> str:
        return self.en if (locale or "vi").startswith("en") else self.vi


class QuestionType(StrEnum):
    SCALE = "scale"  # 1..5 plus "no opinion"
    CHOICE = "choice"  # one option
    MULTI = "multi"  # several options
    NUMBER = "number"  # an integer between min and max
    TEXT = "text"  # free text (only the comment)


class Section(StrEnum):
    OVERALL = "overall"
    ASSESSMENT = "assessment"
    PROFILE = "profile"
    EXPECT = "expect"
    COMMENT = "comment"


class Option(BaseModel):
    """One choice of a choice or multi question; `code` is stable across versions."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    label: Text


class Statement(BaseModel):
    """A rated statement (nhận định) on the 1..5 scale that feeds the SIPAS indices."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    text: Text


class Element(BaseModel):
    """An element (yếu tố) groups statements; its index is the mean of their item indices."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    label: Text
    statements: tuple[Statement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _statement_prefix(self) -> Element:
        for st in self.statements:
            if not st.code.startswith(self.code + "."):
                raise ValueError(f"statement {st.code!r} must start with {self.code + '.'!r}")
        return self


class Question(BaseModel):
    """A question outside the index: overall, assessment, profile, expectations or the comment."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    code: Code
    type: QuestionType
    section: Section
    text: Text
    help: Text | None = None
    options: tuple[Option, ...] = ()
    min: int | None = None
    max: int | None = None
    max_length: int | None = None
    # Shown only when another single-choice question has one of these option codes (still optional).
    show_if: dict[str, list[str]] | None = None

    @model_validator(mode="after")
    def _shape(self) -> Question:
        if self.type in (QuestionType.CHOICE, QuestionType.MULTI):
            if len(self.options) < 2:
                raise ValueError("choice and multi questions need at least two options")
            codes = [o.code for o in self.options]
            if len(set(codes)) != len(codes):
                raise ValueError("option codes must be unique")
        elif self.options:
            raise ValueError(f"a {self.type.value} question takes no options")
        if self.type != QuestionType.NUMBER and (self.min is not None or self.max is not None):
            raise ValueError("min and max belong to number questions only")
        if self.type == QuestionType.NUMBER and (self.min is None or self.max is None or self.min > self.max):
            raise ValueError("a number question needs min <= max")
        if self.type == QuestionType.TEXT:
            if self.max_length is None or not 1 <= self.max_length <= 5000:
                raise ValueError("a text question needs max_length between 1 and 5000")
            if self.code != "comment":
                raise ValueError("the only free-text question is 'comment' (no personal data in free text)")
        return self

    def option_value(self, code: str) -> int | None:
        """Return the stored value (1-based position) of an option code, or None."""
        for i, opt in enumerate(self.options, start=1):
            if opt.code == code:
                return i
        return None


class Questionnaire(BaseModel):
    """One version of one kind's questionnaire, exactly as the file says."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Kind
    version: int = Field(ge=1)
    title: Text
    intro: Text
    elements: tuple[Element, ...] = Field(min_length=1)
    questions: tuple[Question, ...] = ()
    checksum: str = ""

    @model_validator(mode="after")
    def _unique_codes(self) -> Questionnaire:
        seen: set[str] = set()
        for code in [s.code for s in self.statements] + [q.code for q in self.questions]:
            if code in seen:
                raise ValueError(f"code {code!r} is used twice")
            seen.add(code)
        element_codes = [e.code for e in self.elements]
        if len(set(element_codes)) != len(element_codes):
            raise ValueError("element codes must be unique")
        overall = self.question("overall")
        if overall is None or overall.type != QuestionType.SCALE:
            raise ValueError("every questionnaire asks the 'overall' question on the 1..5 scale")
        texts = [q for q in self.questions if q.type == QuestionType.TEXT]
        if len(texts) > 1:
            raise ValueError("at most one free-text question")
        for q in self.questions:
            for other, codes in (q.show_if or {}).items():
                target = next((x for x in self.questions if x.code == other and x.code != q.code), None)
                if target is None or target.type != QuestionType.CHOICE:
                    raise ValueError(f"{q.code}.show_if names {other!r}, which is not a single-choice question")
                unknown = set(codes) - {o.code for o in target.options}
                if unknown:
                    raise ValueError(f"{q.code}.show_if names unknown options {sorted(unknown)}")
        return self

    @property
    def key(self) -> str:
        return f"{self.kind}/v{self.version}"

    @property
    def statements(self) -> list[Statement]:
        return [s for e in self.elements for s in e.statements]

    @property
    def comment(self) -> Question | None:
        return next((q for q in self.questions if q.type == QuestionType.TEXT), None)

    def question(self, code: str) -> Question | None:
        return next((q for q in self.questions if q.code == code), None)

    def all_codes(self) -> list[str]:
        """Every answerable code in display order: statements first, then the other questions."""
        return [s.code for s in self.statements] + [q.code for q in self.questions]


def _format_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path.name}: invalid questionnaire"]
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  {loc}: {e['msg']}")
    return "\n".join(lines)


def load_file(path: Path) -> Questionnaire:
    """Load and validate one questionnaire file, raising QuestionnaireError naming the file and field."""
    raw = path.read_bytes()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise QuestionnaireError(f"{path.name}: not valid UTF-8 TOML: {exc}") from exc
    try:
        q = Questionnaire.model_validate(data)
    except ValidationError as exc:
        raise QuestionnaireError(_format_error(path, exc)) from exc
    # The checksum covers the content, not comments or layout, so tidying a file is not a new version.
    q = q.model_copy(update={"checksum": hashlib.sha256(q.model_dump_json().encode()).hexdigest()[:16]})
    expected = f"{q.kind}.v{q.version}.toml"
    if path.name != expected:
        raise QuestionnaireError(f"{path.name}: file name must be {expected} (kind and version)")
    return q


def load_all(directory: Path = QUESTIONNAIRE_DIR) -> dict[str, Questionnaire]:
    """Load every questionnaire file of a directory, keyed 'kind/vN'."""
    result = {}
    for path in sorted(directory.glob("*.toml")):
        q = load_file(path)
        result[q.key] = q
    return result


@cache
def bundled() -> dict[str, Questionnaire]:
    """The questionnaires shipped with the code, loaded once per process."""
    return load_all()


def latest(kind: str, questionnaires: dict[str, Questionnaire] | None = None) -> Questionnaire:
    """The highest version of one kind."""
    pool = [q for q in (bundled() if questionnaires is None else questionnaires).values() if q.kind == kind]
    if not pool:
        raise QuestionnaireError(f"no questionnaire for kind {kind!r}")
    return max(pool, key=lambda q: q.version)

"""Keep the database's questionnaire versions in step with the bundled files."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from hailong.forms.questionnaire import Questionnaire, QuestionnaireError, bundled

from ..extensions import db
from ..models import Question, QuestionnaireVersion


@dataclass(frozen=True)
class QuestionMap:
    """Ids and bits of one stored version's questions, by code."""

    version_id: int
    ids: dict[str, int]
    bits: dict[str, int]

    @property
    def bit_codes(self) -> tuple[str, ...]:
        return tuple(sorted(self.bits, key=self.bits.__getitem__))


def sync(questionnaires: dict[str, Questionnaire] | None = None) -> list[QuestionnaireVersion]:
    """Insert versions that are new; refuse a file changed under an already-used version number."""
    result = []
    for q in (questionnaires or bundled()).values():
        row = db.session.scalar(select(QuestionnaireVersion).filter_by(kind=q.kind, version=q.version))
        if row is not None:
            if row.checksum != q.checksum:
                raise QuestionnaireError(
                    f"{q.kind}.v{q.version}.toml changed after it was loaded; "
                    f"save the change as version {q.version + 1}"
                )
            result.append(row)
            continue
        row = QuestionnaireVersion(kind=q.kind, version=q.version, checksum=q.checksum)
        db.session.add(row)
        statement_codes = [s.code for s in q.statements]
        for position, code in enumerate(q.all_codes()):
            bit = statement_codes.index(code) if code in statement_codes else None
            row.questions.append(Question(code=code, position=position, bit=bit))
        result.append(row)
    db.session.flush()
    return result


def definition(row: QuestionnaireVersion) -> Questionnaire:
    """The questionnaire file behind a stored version."""
    try:
        return bundled()[row.key]
    except KeyError:
        raise QuestionnaireError(f"questionnaire file {row.kind}.v{row.version}.toml is missing") from None


def latest_version(kind: str) -> QuestionnaireVersion:
    """The newest stored version of a kind (what new responses answer)."""
    row = db.session.scalar(
        select(QuestionnaireVersion).filter_by(kind=kind).order_by(QuestionnaireVersion.version.desc()).limit(1)
    )
    if row is None:
        raise QuestionnaireError(f"no questionnaire loaded for kind {kind!r}; run `hailong init`")
    return row


_maps: dict[tuple[str, int], QuestionMap] = {}


def question_map(version_id: int) -> QuestionMap:
    """Question ids and bits of a version; cached because stored versions never change."""
    key = (str(db.engine.url), version_id)
    cached = _maps.get(key)
    if cached is not None:
        return cached
    rows = db.session.execute(
        select(Question.code, Question.id, Question.bit).filter_by(questionnaire_id=version_id)
    ).all()
    qmap = QuestionMap(
        version_id=version_id,
        ids={code: qid for code, qid, _ in rows},
        bits={code: bit for code, _, bit in rows if bit is not None},
    )
    if rows:
        _maps[key] = qmap
    return qmap


def forget_cache() -> None:
    """Drop cached question maps (tests recreate databases under the same URL)."""
    _maps.clear()

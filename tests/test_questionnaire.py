"""Questionnaire files: the bundled ones load, and broken ones fail naming the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from hailong.forms.questionnaire import QUESTIONNAIRE_DIR, QuestionnaireError, load_all, load_file

ONESTOP_CODES = [
    "access.seating", "access.equipment_adequate", "access.equipment_modern", "access.equipment_easy",
    "procedure.posted_complete", "procedure.posted_accurate", "procedure.documents_lawful",
    "procedure.fees_lawful", "procedure.time_lawful",
    "staff.polite", "staff.listens", "staff.answers_fully", "staff.guides_thorough", "staff.guides_clear",
    "staff.follows_rules",
    "result.lawful", "result.complete", "result.accurate",
    "feedback.channel", "feedback.easy", "feedback.handled", "feedback.notified",
]  # fmt: skip


def test_bundled_questionnaires_load() -> None:
    qs = load_all()
    assert set(qs) == {"onestop/v1", "health/v1", "education/v1"}
    onestop = qs["onestop/v1"]
    assert [s.code for s in onestop.statements] == ONESTOP_CODES
    assert [e.code for e in onestop.elements] == ["access", "procedure", "staff", "result", "feedback"]
    for q in qs.values():
        assert q.question("overall") is not None
        assert q.question("expect") is not None
        assert q.comment is not None and q.comment.max_length
        for code in ("gender", "age_group", "education_level", "ethnicity", "occupation"):
            assert q.question(code) is not None, (q.key, code)
    assert [e.code for e in qs["health"+"/v1"].elements] == ["access", "transparency", "facilities", "staff", "result"]
    assert qs["education/v1"].question("school_level") is not None


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _broken(original: str, old: str, new: str) -> str:
    assert old in original
    return original.replace(old, new, 1)


def test_broken_field_names_file_and_field(tmp_path: Path) -> None:
    text = (QUESTIONNAIRE_DIR / "onestop.v1.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, "onestop.v1.toml", _broken(text, 'code = "access.seating"', 'code = "Access Seating"'))
    with pytest.raises(QuestionnaireError) as err:
        load_file(path)
    message = str(err.value)
    assert "onestop.v1.toml" in message
    assert "elements.0.statements.0.code" in message


def test_statement_outside_its_element_is_refused(tmp_path: Path) -> None:
    text = (QUESTIONNAIRE_DIR / "onestop.v1.toml").read_text(encoding="utf-8")
    path = _write(tmp_path, "onestop.v1.toml", _broken(text, 'code = "access.seating"', 'code = "staff.seating"'))
    with pytest.raises(QuestionnaireError, match=r"onestop\.v1\.toml[\s\S]*must start with 'access\.'"):
        load_file(path)


def test_invalid_toml_and_wrong_file_name(tmp_path: Path) -> None:
    with pytest.raises(QuestionnaireError, match=r"bad\.v1\.toml: not valid UTF-8 TOML"):
        load_file(_write(tmp_path, "bad.v1.toml", "kind = "))
    text = (QUESTIONNAIRE_DIR / "health.v1.toml").read_text(encoding="utf-8")
    with pytest.raises(QuestionnaireError, match=r"file name must be health\.v1\.toml"):
        load_file(_write(tmp_path, "health.v2.toml", text))


def test_checksum_ignores_comments(tmp_path: Path) -> None:
    text = (QUESTIONNAIRE_DIR / "health.v1.toml").read_text(encoding="utf-8")
    original = load_file(QUESTIONNAIRE_DIR / "health.v1.toml")
    commented = load_file(_write(tmp_path, "health.v1.toml", "# tidied\n" + text))
    assert commented.checksum == original.checksum


def test_the_kinds_have_one_home() -> None:
    """Questionnaires, service points and the database's CHECK take the kinds from forms.questionnaire.KINDS."""
    from sqlalchemy import CheckConstraint

    from hailong.forms.questionnaire import KINDS, Questionnaire
    from hailong.survey.models import ServicePoint
    from hailong.survey.services import points as point_svc

    (check,) = [c for c in ServicePoint.__table__.constraints if isinstance(c, CheckConstraint)]
    assert str(check.sqltext) == "kind IN ('onestop', 'health', 'education')"
    migration = Path(__file__).resolve().parent.parent / "migrations/versions/0001_initial_schema.py"
    assert f'"{check.sqltext}"' in migration.read_text(encoding="utf-8")  # the same text: no schema change
    assert point_svc.KINDS is KINDS
    assert set(Questionnaire.model_fields["kind"].annotation.__args__) == set(KINDS)

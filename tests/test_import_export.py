"""CSV import is all-or-nothing with line/column errors; export round-trips and is formula-safe."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from hailong.survey.models import Answer, Submission
from hailong.survey.services import responses as rsvc
from hailong.survey.services import spreadsheet

HEADER = "submitted_at,point,channel,access.seating,staff.polite,overall,on_time,expect,comment,g1_expect_pct\n"


def _count(db: Any) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Submission)),
        db.session.scalar(select(func.count()).select_from(Answer)),
    )


def test_import_good_file(db: Any, demo_points: Any) -> None:
    data = (
        HEADER
        + "2026-03-31T20:00:00Z,mc-1,paper,5,na,4,late,more_info|lower_fees,\"=1+1, cảm ơn\",\n"
        + "2026-02-01,tram-y-te,,,,3,,,,120\n"
    ).encode()
    assert rsvc.import_csv(data) == 2
    first, second = db.session.scalars(select(Submission).order_by(Submission.id)).all()
    # 2026-03-31T20:00Z is 2026-04-01 03:00 in Hanoi: stored local day is in Q2.
    assert first.day_key == 20260401
    assert first.channel == "paper"
    assert first.comment == "=1+1, cảm ơn"
    assert second.channel == "import"
    assert second.submitted_at.astimezone(UTC) == datetime(2026, 1, 31, 17, 0, tzinfo=UTC)
    assert _count(db) == (2, 1 + 1 + 1 + 1 + 2 + 1 + 1)


def test_bad_file_imports_nothing_and_reports_every_error(db: Any, demo_points: Any) -> None:
    data = (
        HEADER
        + "2026-03-01T09:00:00,mc-1,qr,5,4,4,,,,\n"  # fine
        + "not-a-date,mc-1,qr,7,x,4,,,,\n"  # three errors
        + "2026-03-01,nope,qr,5,,,,,,\n"  # unknown point
        + "2026-03-01,mc-1,fax,5,,,,bogus,,\n"  # bad channel and option
        + "2026-03-01,mc-1,qr,,,,,,,50\n"  # health question on a one-stop point
    ).encode()
    with pytest.raises(rsvc.ImportRefused) as err:
        rsvc.import_csv(data)
    found = {(e.line, e.column) for e in err.value.errors}
    assert found == {
        (3, "submitted_at"), (3, "access.seating"), (3, "staff.polite"),
        (4, "point"),
        (5, "channel"), (5, "expect"),
        (6, "g1_expect_pct"),
    }  # fmt: skip
    assert _count(db) == (0, 0)


def test_unknown_column_and_non_utf8(db: Any, demo_points: Any) -> None:
    with pytest.raises(rsvc.ImportRefused) as err:
        rsvc.import_csv(b"submitted_at,point,hacked\n2026-01-01,mc-1,1\n")
    assert [(e.line, e.column) for e in err.value.errors] == [(1, "hacked")]
    with pytest.raises(rsvc.ImportRefused):
        rsvc.import_csv(b"submitted_at,point,comment\n2026-01-01,mc-1,c\xe1m \xf5n\n")
    assert _count(db) == (0, 0)


def test_cli_import_reports_lines_and_exits_nonzero(runner: Any, db: Any, demo_points: Any, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "2026-03-01,mc-1,qr,9,,,,,,\n", encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(path)])
    assert result.exit_code == 1
    assert "dòng 2, cột access.seating" in result.output
    assert _count(db) == (0, 0)


def _snapshot(db: Any) -> list[tuple[Any, ...]]:
    rows = []
    for r in db.session.scalars(select(Submission).order_by(Submission.submitted_at, Submission.id)):
        answers = sorted((a.question_id, a.value) for a in r.answers)
        rows.append((r.submitted_at.astimezone(UTC), r.point_id, r.channel, r.comment, r.verified,
                     r.flag_reason, r.sat_mask, r.valid_mask, tuple(answers)))  # fmt: skip
    return rows


def test_export_reimport_round_trip(app: Any, db: Any, demo_points: Any, tmp_path: Path) -> None:
    from hailong.survey.services import demo, questionnaires

    versions = {v.kind: (v, questionnaires.definition(v)) for v in questionnaires.sync()}
    demo.generate(demo_points, versions, date(2026, 2, 15), seed=7, start=date(2026, 1, 20))
    db.session.commit()
    first = db.session.scalar(select(Submission).limit(1))
    first.comment = "=HYPERLINK(\"http://evil\")"
    rsvc.set_flag(first.id, "thử nghiệm")
    db.session.commit()
    before = _snapshot(db)
    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    exported = out.getvalue()
    assert "'=HYPERLINK" in exported
    for row in csv.reader(io.StringIO(exported)):
        assert not any(cell.startswith(("=", "+", "@")) for cell in row)

    db.session.execute(Answer.__table__.delete())
    db.session.execute(Submission.__table__.delete())
    db.session.commit()
    assert rsvc.import_csv(exported.encode()) == len(before)
    assert _snapshot(db) == before


def test_xlsx_export_is_formula_safe(db: Any, demo_points: Any, tmp_path: Path) -> None:
    rsvc.import_csv((HEADER + "2026-03-01,mc-1,qr,5,4,4,,,@SUM(A1),\n").encode())
    path = tmp_path / "out.xlsx"
    assert spreadsheet.write_xlsx(path, rsvc.export_rows(), rsvc.export_columns()) == 1
    sheet = load_workbook(path).active
    values = [c.value for c in sheet[2]]
    assert "'@SUM(A1)" in values
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)


# --- hostile text in exports (issue 10) -----------------------------------------------------------

FORMULA = ("=", "+", "-", "@")
#: Texts a citizen or clerk may have typed that a spreadsheet could run, or that a guard could mangle.
NASTY = [
    "Tot lam\r=1+1*cmd|x",
    "'=1+1",
    "''=HYPERLINK(\"x\")",
    "=x",
    "+84 912 345 678",
    "-3 điểm",
    "@SUM(A1)",
    "\r=x",
    "\n@x",
    "\t-x",
    " =x",
    "\"=x\"",
    "a;=b",
    "a; '=b",
    "a\t=b",
    "x\r\ny\n-z",
    "'abc",
    "'",
    "[U+0001] là chữ, không phải ký tự điều khiển",
    "cảm ơn; tốt",
]


def _store_comments(db: Any, comments: list[str], point_code: str = "mc-1") -> None:
    from hailong.survey.models import ServicePoint
    from hailong.survey.services import questionnaires as qsvc

    point = db.session.scalars(select(ServicePoint).filter_by(code=point_code)).one()
    version = qsvc.latest_version(point.kind)
    rsvc.write_many([
        rsvc.Draft(point=point, version=version, answers={"overall": 4}, comment=c,
                   submitted_at=datetime(2026, 3, 1, 2, i, tzinfo=UTC))
        for i, c in enumerate(comments)
    ])
    db.session.commit()


def _stored_comments(db: Any) -> list[str | None]:
    db.session.expire_all()
    return list(db.session.scalars(select(Submission.comment).order_by(Submission.submitted_at, Submission.id)))


def _assert_no_formula_anywhere(text: str) -> None:
    """No cell a spreadsheet could see starts a formula: parsed properly, or split at any CR, LF, ';' or TAB."""
    import re

    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.startswith(FORMULA), repr(cell)
    for line in re.split(r"\r\n|\r|\n", text):
        for piece in re.split(r"[;\t]", line):
            assert not piece.lstrip(" \"").startswith(FORMULA), repr(piece)


def test_csv_export_quotes_bare_cr_and_guards_every_cell_start(db: Any, demo_points: Any) -> None:
    _store_comments(db, NASTY)
    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    text = out.getvalue()
    assert "\r=" not in text and "\r'=1+1*cmd|x" in text
    _assert_no_formula_anywhere(text)
    # Every CR or LF that is not a record end is inside a quoted field: a strict reader sees one row per response.
    assert len(list(csv.reader(io.StringIO(text, newline=""), strict=True))) == 1 + len(NASTY)


def test_export_reimport_gives_back_the_exact_text(db: Any, demo_points: Any) -> None:
    _store_comments(db, NASTY)
    before = _stored_comments(db)
    assert before == NASTY
    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    db.session.execute(Answer.__table__.delete())
    db.session.execute(Submission.__table__.delete())
    db.session.commit()
    assert rsvc.import_csv(out.getvalue().encode()) == len(NASTY)
    assert _stored_comments(db) == NASTY


def test_xlsx_cells_are_text_and_match_the_csv(db: Any, demo_points: Any, tmp_path: Path) -> None:
    """Same guarded text as the CSV, and never a formula cell.

    XML (so XLSX) keeps no bare CR: a reader sees CRLF and CR as LF, which is how a spreadsheet shows a line break.
    """
    _store_comments(db, NASTY)
    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    csv_comments = [r["comment"] for r in csv.DictReader(io.StringIO(out.getvalue(), newline=""))]
    path = tmp_path / "out.xlsx"
    spreadsheet.write_xlsx(path, rsvc.export_rows(), rsvc.export_columns())
    sheet = load_workbook(path).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    col = header.index("comment")
    cells = [row[col] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == [c.replace("\r\n", "\n").replace("\r", "\n") for c in csv_comments]
    assert {c.data_type for row in sheet.iter_rows() for c in row if c.value is not None} <= {"s", "n"}


def test_stored_control_characters_do_not_break_exports(
    db: Any, demo_points: Any, runner: Any, tmp_path: Path
) -> None:
    """A comment stored with U+0001, U+000B (and NUL where the database keeps it) exports in a visible form."""
    from tests.fixtures.database import USE_PG

    comments = ["Tốt\x01lắm", "a\x0bb"] + ([] if USE_PG else ["c\x00d"])
    _store_comments(db, comments)
    path = tmp_path / "out.xlsx"
    result = runner.invoke(args=["responses", "export", "--format", "xlsx", "--out", str(path)])
    assert result.exit_code == 0, result.output
    sheet = load_workbook(path).active
    assert sheet is not None
    col = [c.value for c in sheet[1]].index("comment")
    expected = ["Tốt[U+0001]lắm", "a[U+000B]b"] + ([] if USE_PG else ["c[U+0000]d"])
    assert [row[col].value for row in sheet.iter_rows(min_row=2)] == expected

    out = io.StringIO()
    spreadsheet.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    assert [r["comment"] for r in csv.DictReader(io.StringIO(out.getvalue(), newline=""))] == expected
    assert "\x01" not in out.getvalue() and "\x0b" not in out.getvalue()

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

from survey.models import Answer, Response
from survey.services import responses as rsvc

HEADER = "submitted_at,point,channel,access.seating,staff.polite,overall,on_time,expect,comment,g1_expect_pct\n"


def _count(db: Any) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Response)),
        db.session.scalar(select(func.count()).select_from(Answer)),
    )


def test_import_good_file(db: Any, demo_points: Any) -> None:
    data = (
        HEADER
        + "2026-03-31T20:00:00Z,mc-1,paper,5,na,4,late,more_info|lower_fees,\"=1+1, cảm ơn\",\n"
        + "2026-02-01,tram-y-te,,,,3,,,,120\n"
    ).encode()
    assert rsvc.import_csv(data) == 2
    first, second = db.session.scalars(select(Response).order_by(Response.id)).all()
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
    for r in db.session.scalars(select(Response).order_by(Response.submitted_at, Response.id)):
        answers = sorted((a.question_id, a.value) for a in r.answers)
        rows.append((r.submitted_at.astimezone(UTC), r.point_id, r.channel, r.comment, r.verified,
                     r.flag_reason, r.sat_mask, r.valid_mask, tuple(answers)))  # fmt: skip
    return rows


def test_export_reimport_round_trip(app: Any, db: Any, demo_points: Any, tmp_path: Path) -> None:
    from survey.services import demo, questionnaires

    versions = {v.kind: (v, questionnaires.definition(v)) for v in questionnaires.sync()}
    demo.generate(demo_points, versions, date(2026, 2, 15), seed=7, start=date(2026, 1, 20))
    db.session.commit()
    first = db.session.scalar(select(Response).limit(1))
    first.comment = "=HYPERLINK(\"http://evil\")"
    rsvc.set_flag(first.id, "thử nghiệm")
    db.session.commit()
    before = _snapshot(db)
    out = io.StringIO()
    rsvc.write_csv(out, rsvc.export_rows(), rsvc.export_columns())
    exported = out.getvalue()
    assert "'=HYPERLINK" in exported
    for row in csv.reader(io.StringIO(exported)):
        assert not any(cell.startswith(("=", "+", "@")) for cell in row)

    db.session.execute(Answer.__table__.delete())
    db.session.execute(Response.__table__.delete())
    db.session.commit()
    assert rsvc.import_csv(exported.encode()) == len(before)
    assert _snapshot(db) == before


def test_xlsx_export_is_formula_safe(db: Any, demo_points: Any, tmp_path: Path) -> None:
    rsvc.import_csv((HEADER + "2026-03-01,mc-1,qr,5,4,4,,,@SUM(A1),\n").encode())
    path = tmp_path / "out.xlsx"
    assert rsvc.write_xlsx(path, rsvc.export_rows(), rsvc.export_columns()) == 1
    sheet = load_workbook(path).active
    values = [c.value for c in sheet[2]]
    assert "'@SUM(A1)" in values
    assert all(not (isinstance(v, str) and v.startswith("=")) for v in values)

"""Careless or hostile CSV imports: every problem is an error with its line, and nothing is imported."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hailong.analysis.periods import TZ
from hailong.survey.models import Answer, Submission
from hailong.survey.services import responses as rsvc

HEADER = "submitted_at,point,channel,access.seating,overall,flag_reason,comment\n"
GOOD = "2026-03-01T09:00:00,mc-1,paper,5,4,,Tốt\n"


def _count(db: Any) -> tuple[int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(Submission)),
        db.session.scalar(select(func.count()).select_from(Answer)),
    )


def _refused(db: Any, text: str | bytes) -> list[rsvc.RowError]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(rsvc.ImportRefused) as err:
        rsvc.import_csv(data)
    db.session.rollback()
    assert _count(db) == (0, 0)
    return err.value.errors


@pytest.mark.parametrize("cell", ["a\x00b", "Tốt\x01lắm", "\x0b", "x\x7f", "[U+0001]"])
@pytest.mark.parametrize("column", ["comment", "flag_reason"])
def test_control_characters_are_refused_with_line_and_column(
    db: Any, demo_points: Any, cell: str, column: str
) -> None:
    row = {"comment": "", "flag_reason": ""} | {column: cell}
    errors = _refused(db, HEADER + GOOD + f"2026-03-02T09:00:00,mc-1,paper,5,4,{row['flag_reason']},{row['comment']}\n")
    assert [(e.line, e.column) for e in errors] == [(3, column)]
    message = str(errors[0])
    assert "U+00" in message and cell not in message


def test_nul_in_a_service_column_is_refused(db: Any, demo_points: Any) -> None:
    errors = _refused(db, HEADER + "2026-03-02T09:00:00,mc\x00-1,paper,5,4,,\n")
    assert [(e.line, e.column) for e in errors] == [(2, "point")]


def test_values_longer_than_their_column_are_refused(db: Any, demo_points: Any) -> None:
    errors = _refused(db, HEADER + GOOD + "2026-03-02T09:00:00,mc-1,paper,5,4," + "x" * 300 + ",\n"
                      + "2026-03-02T09:00:00,mc-1,paper,5,4,," + "ý" * 1001 + "\n"
                      + "2026-03-02T09:00:00," + "m" * 300 + ",paper,5,4,,\n"
                      + "2026-03-02T09:00:00,mc-1,paper," + "5" * 300 + ",4,,\n")
    assert [(e.line, e.column) for e in errors] == [(3, "flag_reason"), (4, "comment"), (5, "point"),
                                                    (6, "access.seating")]
    assert "200" in str(errors[0]) and "1000" in str(errors[1])
    assert all(len(str(e)) < 200 for e in errors)  # no long value repeated back


def test_flag_reason_of_200_characters_is_kept(db: Any, demo_points: Any) -> None:
    assert rsvc.import_csv((HEADER + "2026-03-02T09:00:00,mc-1,paper,5,4," + "x" * 200 + ",\n").encode()) == 1
    assert db.session.scalar(select(Submission.flag_reason)) == "x" * 200


def test_an_unclosed_quote_does_not_swallow_the_next_line(db: Any, demo_points: Any) -> None:
    data = (HEADER + GOOD + '2026-03-02T09:00:00,mc-1,paper,5,4,,"Tốt lắm\n'
            + "2026-03-03T09:00:00,mc-1,paper,9,4,,x,thừa\n")
    errors = _refused(db, data)
    assert [e.line for e in errors] == [3]
    assert "ngoặc kép" in str(errors[0])


def test_a_quote_closed_rows_later_is_an_error(db: Any, demo_points: Any) -> None:
    data = (HEADER + '2026-03-02T09:00:00,mc-1,paper,5,4,,"Tốt lắm\n' + GOOD
            + '2026-03-03T09:00:00,mc-1,paper,5,4,,"ok"\n')
    errors = _refused(db, data)
    assert errors[0].line == 2 and "ngoặc kép" in str(errors[0])


def test_quoted_line_breaks_in_a_comment_are_kept(db: Any, demo_points: Any) -> None:
    data = HEADER + '2026-03-02T09:00:00,mc-1,paper,5,4,,"dòng một\r\ndòng hai, ""trích"""\r\n' + GOOD
    assert rsvc.import_csv(data.encode()) == 2
    assert db.session.scalar(select(Submission.comment).order_by(Submission.submitted_at.desc())) == (
        'dòng một\r\ndòng hai, "trích"')


def test_more_cells_than_the_header_is_an_error(db: Any, demo_points: Any) -> None:
    errors = _refused(db, HEADER + GOOD + "2026-03-03T09:00:00,mc-1,paper,5,4,,x,thừa\n" + GOOD)
    assert [(e.line, e.column) for e in errors] == [(3, "-")]


def test_a_cell_larger_than_the_field_limit_is_an_error(db: Any, demo_points: Any) -> None:
    errors = _refused(db, HEADER + GOOD + "2026-03-03T09:00:00,mc-1,paper,5,4,,\"" + "a" * 200_000 + "\"\n")
    assert [e.line for e in errors] == [3]
    assert "131072" in str(errors[0]) or "128" in str(errors[0])


def _window_text(value: str) -> str:
    return HEADER + f"{value},mc-1,paper,5,4,,\n"


@pytest.mark.parametrize("value", [
    "0001-01-01T00:00:00+00:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59", "2099-01-01",
    "2014-12-31T23:59:59", "2014-12-31T16:59:59Z",
])
def test_impossible_dates_are_refused_and_the_window_is_named(db: Any, demo_points: Any, value: str) -> None:
    errors = _refused(db, _window_text(value))
    assert [(e.line, e.column) for e in errors] == [(2, "submitted_at")]
    assert "01/01/2015" in str(errors[0])


def test_the_window_runs_from_2015_to_the_end_of_tomorrow(db: Any, demo_points: Any) -> None:
    tomorrow = datetime.now(TZ).date() + timedelta(days=1)
    assert rsvc.import_csv(_window_text("2015-01-01T00:00:00").encode()) == 1
    assert rsvc.import_csv(_window_text("2014-12-31T17:00:00Z").encode()) == 1
    assert rsvc.import_csv(_window_text(f"{tomorrow.isoformat()}T23:59:59").encode()) == 1
    after = tomorrow + timedelta(days=1)
    assert [e.column for e in _refused_keep(db, _window_text(after.isoformat()))] == ["submitted_at"]


def _refused_keep(db: Any, text: str) -> list[rsvc.RowError]:
    db.session.commit()  # the imports before: each command commits its own
    before = _count(db)
    with pytest.raises(rsvc.ImportRefused) as err:
        rsvc.import_csv(text.encode())
    db.session.rollback()
    assert _count(db) == before
    return err.value.errors


def test_exports_work_after_an_extreme_stored_time(db: Any, demo_points: Any) -> None:
    """A response stored with year 1 before the window existed still exports (in Hanoi's local mean time then)."""
    from datetime import UTC

    rsvc.import_csv((HEADER + GOOD).encode())
    db.session.execute(Submission.__table__.update().values(submitted_at=datetime(1, 1, 1, tzinfo=UTC)))
    db.session.commit()
    rows = list(rsvc.export_rows())
    assert rows[0]["submitted_at"].startswith("0001-01-01T07:")


def test_import_larger_than_the_limit_is_refused_before_parsing(app: Any, db: Any, demo_points: Any) -> None:
    app.config["MAX_IMPORT_BYTES"] = 2000
    data = (HEADER + GOOD * 100).encode()
    assert len(data) > 2000
    errors = _refused(db, data)
    assert len(errors) == 1 and "2000" in str(errors[0]).replace(".", "").replace(",", "")


def test_import_reads_a_file_and_a_stream(db: Any, demo_points: Any, tmp_path: Path) -> None:
    import io

    path = tmp_path / "phieu.csv"
    path.write_bytes(("\ufeff" + HEADER + GOOD + GOOD).encode())
    assert rsvc.import_csv(path) == 2
    assert rsvc.import_csv(io.BytesIO((HEADER + GOOD).encode())) == 1
    assert _count(db)[0] == 3


def test_non_utf8_names_its_line(db: Any, demo_points: Any) -> None:
    errors = _refused(db, (HEADER + GOOD + GOOD).encode() + b"2026-03-01,mc-1,paper,5,4,,c\xe1m \xf5n\n")
    assert [e.line for e in errors] == [4] and "UTF-8" in str(errors[0])


@pytest.mark.parametrize("content", [
    HEADER + "2026-03-02T09:00:00,mc-1,paper,5,4,,a\x00b\n",
    HEADER + "2026-03-02T09:00:00,mc-1,paper,5,4," + "x" * 300 + ",\n",
    HEADER + "2026-03-03T09:00:00,mc-1,paper,5,4,,\"" + "a" * 200_000 + "\"\n",
    HEADER + "0001-01-01T00:00:00,mc-1,paper,5,4,,\n",
])
def test_cli_import_prints_errors_not_a_traceback(runner: Any, db: Any, demo_points: Any, tmp_path: Path,
                                                   content: str) -> None:
    path = tmp_path / "phieu.csv"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "phieu.csv: dòng" in result.output and "Không nhập phiếu nào" in result.output
    assert len(result.output) < 1000
    assert _count(db) == (0, 0)


def test_cli_import_over_the_limit_is_one_line(app: Any, runner: Any, db: Any, demo_points: Any,
                                               tmp_path: Path) -> None:
    app.config["MAX_IMPORT_BYTES"] = 1000
    path = tmp_path / "phieu.csv"
    path.write_text(HEADER + GOOD * 100, encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(path)])
    assert result.exit_code == 1
    assert "1000" in result.output.replace(".", "")
    assert _count(db) == (0, 0)


def test_a_database_error_prints_no_citizen_text(app: Any, db: Any, demo_points: Any, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the database refuses, the `hailong` command prints its first line, never the statement's parameters."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo
    from sqlalchemy.exc import DataError

    from hailong.survey.cli import main

    comment = "Cảm ơn chị Lan, 0912 345 678"

    def refuse(*_args: Any, **_kwargs: Any) -> list[int]:
        raise DataError("INSERT INTO responses (comment) VALUES (%(comment)s)", {"comment": comment},
                        ValueError("value too long for type character varying(200)\nDETAIL: " + comment))

    monkeypatch.setattr(rsvc, "write_many", refuse)
    path = tmp_path / "phieu.csv"
    path.write_text(HEADER + GOOD.replace("Tốt", comment.replace(",", "")), encoding="utf-8")
    # The real command group (not app.cli), on this test's application.
    result = CliRunner().invoke(main, ["responses", "import", str(path)], obj=ScriptInfo(create_app=lambda: app))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert "value too long" in result.output
    assert "Cảm ơn" not in result.output and "0912" not in result.output
    assert len(result.output.strip().splitlines()) == 1

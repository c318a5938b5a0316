"""The `hailong` command: init is idempotent, points list JSON, QR posters as a real PDF."""

from __future__ import annotations

import errno
import io
import json
import os
import pwd
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from hailong.survey.models import AuditEvent, ServicePoint, Submission, Token

#: The audit log's actor for a command run by this process's (effective) system user.
SYSTEM_ACTOR = f"cli:{pwd.getpwuid(os.geteuid()).pw_name}"


def test_init_demo_twice_is_safe(runner: Any, db: Any) -> None:
    first = runner.invoke(args=["init", "--demo"])
    assert first.exit_code == 0, first.output
    responses = db.session.scalar(select(func.count()).select_from(Submission))
    assert responses > 1000
    second = runner.invoke(args=["init", "--demo"])
    assert second.exit_code == 0, second.output
    assert db.session.scalar(select(func.count()).select_from(Submission)) == responses
    assert db.session.scalar(select(func.count()).select_from(ServicePoint)) == 7


def test_points_list_json(runner: Any, demo_points: Any) -> None:
    result = runner.invoke(args=["points", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 7
    by_code = {r["code"]: r for r in rows}
    assert by_code["mc-1"]["kind"] == "onestop"
    assert by_code["mc-1"]["questionnaire"] == "onestop/v1"
    assert by_code["mc-1"]["url"] == "https://hailong.example/s/mc-1"
    assert by_code["tram-y-te"]["name"] == "Trạm Y tế phường An Tường"


def test_qr_posters_pdf(runner: Any, demo_points: Any, tmp_path: Any) -> None:
    out = tmp_path / "posters.pdf"
    result = runner.invoke(args=["qr", "--out", str(out)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 7
    text = reader.pages[0].extract_text()
    assert "https://hailong.example/s/" in text
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)

    one = tmp_path / "one.pdf"
    assert runner.invoke(args=["qr", "--out", str(one), "--point", "tram-y-te"]).exit_code == 0
    only = PdfReader(io.BytesIO(one.read_bytes()))
    assert len(only.pages) == 1
    assert "Trạm Y tế phường An Tường" in only.pages[0].extract_text()

    missing = runner.invoke(args=["qr", "--out", str(one), "--point", "../etc"])
    assert missing.exit_code != 0
    assert "Không có điểm khảo sát" in missing.output


def test_a_database_without_schema_gives_one_clear_line(tmp_path: Any) -> None:
    """`hailong indices` before `hailong init`: a message naming the fix and exit 1, not a traceback."""
    from click.testing import CliRunner

    from hailong.survey.cli import main

    env = {"HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}", "HAILONG_SECRET_KEY": "k" * 32}
    result = CliRunner().invoke(main, ["indices", "--period", "2026-Q1", "--kind", "health", "--json"], env=env)
    assert result.exit_code == 1
    assert "hailong init" in result.output and "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


# --- one line, not a traceback (issue 10) ---------------------------------------------------------

OUT_COMMANDS = [
    ["backup", "--out", "{missing}/x.db"],
    ["qr", "--out", "{missing}/x.pdf"],
    ["tokens", "issue", "--point", "mc-1", "--count", "2", "--out", "{missing}/x.pdf"],
    ["responses", "export", "--out", "{missing}/x.csv"],
    ["responses", "export", "--format", "xlsx", "--out", "{missing}/x.xlsx"],
    ["report", "--period", "2026-Q1", "--out", "{missing}/x.pdf"],
]


@pytest.mark.parametrize("args", OUT_COMMANDS, ids=lambda a: "-".join(a[:2]))
def test_out_in_a_missing_folder_is_one_line_and_exit_2(
    runner: Any, db: Any, demo_points: Any, tmp_path: Path, args: list[str]
) -> None:
    missing = tmp_path / "khong-co"
    result = runner.invoke(args=[a.replace("{missing}", str(missing)) for a in args])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert str(missing) in lines[0] and "thư mục" in lines[0].lower()
    assert db.session.scalar(select(func.count()).select_from(Token)) == 0


def test_an_export_that_cannot_be_written_is_one_line_exit_1_and_leaves_no_file(
    runner: Any, db: Any, demo_points: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hailong.survey.services import spreadsheet

    def full_disk(*_args: Any, **_kwargs: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(spreadsheet, "write_csv", full_disk)
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "x.csv"
    result = runner.invoke(args=["responses", "export", "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert len(result.output.strip().splitlines()) == 1 and str(out) in result.output
    assert not list(folder.iterdir())
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions == ["export.responses.failed"]


def test_a_cli_export_is_audited_once_written(runner: Any, db: Any, demo_points: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    result = runner.invoke(args=["responses", "export", "--format", "xlsx", "--out", str(out)])
    assert result.exit_code == 0, result.output
    event = db.session.scalars(select(AuditEvent)).one()
    assert (event.actor, event.action, event.target, event.detail) == (
        SYSTEM_ACTOR, "export.responses", "ward:an-tuong", "xlsx; 0 responses")


def _hailong(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """The installed `hailong` command in its own process, as an operator runs it."""
    exe = Path(sys.executable).with_name("hailong")
    full = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    full |= {"HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"} | env
    return subprocess.run([str(exe), *args], env=full, capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.parametrize(("env", "variable"), [
    ({"HAILONG_ENV": "production"}, "HAILONG_SECRET_KEY"),
    ({"HAILONG_SECRET_KEY": "k" * 40, "HAILONG_PROXY_HOPS": "hai"}, "HAILONG_PROXY_HOPS"),
    ({"HAILONG_SECRET_KEY": "k" * 40, "HAILONG_PROXY_HOPS": "-1"}, "HAILONG_PROXY_HOPS"),
])
def test_bad_configuration_is_one_line_naming_the_variable(tmp_path: Path, env: dict[str, str],
                                                           variable: str) -> None:
    for args in (["points", "list"], ["--help"]):
        done = _hailong(tmp_path, env, *args)
        assert "Traceback" not in done.stderr, done.stderr
        assert variable in done.stderr
        if args != ["--help"]:
            assert done.returncode == 2, done.stderr
            assert len(done.stderr.strip().splitlines()) == 1, done.stderr

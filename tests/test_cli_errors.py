"""One way to fail: every refusal of a `hailong` command is one "Lỗi: …" line on stderr, exit status 2 for bad
input (an argument or option that is malformed or names nothing) and 1 for an action that could not be done."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hailong.survey import commands
from hailong.survey.models import Submission

COMMANDS_DIR = Path(commands.__file__).parent

BAD_INPUT = [
    (["indices", "--period", "2026-Q5"], 2, "--period: Kỳ không hợp lệ."),
    (["indices", "--period", "2026-Q1", "--kind", "hospital"], 2, "--kind: Loại điểm không hợp lệ."),
    (["indices", "--period", "2026-Q1", "--point", "khong-co"], 2, "--point: Không có điểm khảo sát “khong-co”."),
    (["indices", "--period", "2026-Q1", "--kind", "health", "--point", "mc-1"], 2,
     "--point: Điểm “mc-1” không thuộc loại health."),
    (["report", "--period", "2026-Q5"], 2, "--period: Kỳ báo cáo “2026-Q5” không hợp lệ."),
    (["report", "--period", "2026-Q1", "--kind", "school"], 2, "--kind: Loại dịch vụ “school” không hợp lệ."),
    (["qr", "--out", "{tmp}/x.pdf", "--point", "khong-co"], 2,
     "--point: Không có điểm khảo sát đang hoạt động với mã “khong-co”."),
    (["qr", "--out", "{tmp}/x.pdf", "--ward", "khong-co"], 2, "--ward: Không có phường “khong-co”"),
    (["tokens", "issue", "--point", "khong-co", "--count", "2", "--out", "{tmp}/x.pdf"], 2,
     "--point: Không có điểm khảo sát đang hoạt động với mã “khong-co”."),
    (["users", "password", "khong-co"], 2, "Không có tài khoản “khong-co”."),
    (["users", "role", "khong-co", "--role", "admin"], 2, "Không có tài khoản “khong-co”."),
    (["users", "unlock", "khong-co"], 2, "Không có tài khoản “khong-co”."),
    (["users", "create", "thu", "--role", "admin"], 1, "ít nhất 10 ký tự"),
]


@pytest.mark.parametrize(("args", "status", "message"), BAD_INPUT, ids=[a[0] + m.split(":")[0] if m.startswith("--")
                                                                      else "-".join(a[:2]) for a, _, m in BAD_INPUT])
def test_a_refusal_is_one_line_with_its_exit_status(runner: Any, db: Any, demo_points: Any, tmp_path: Path,
                                                    args: list[str], status: int, message: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    result = runner.invoke(args=[a.replace("{tmp}", str(out)) for a in args], input="ngan\n")
    assert result.exit_code == status, result.output
    assert isinstance(result.exception, SystemExit)  # click's exit, not an uncaught exception
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Lỗi: ") and message in lines[0], lines[0]
    assert not list(out.iterdir())


def test_a_refused_import_prints_every_error_then_one_summary_line(runner: Any, db: Any, demo_points: Any,
                                                                    tmp_path: Path) -> None:
    path = tmp_path / "phieu.csv"
    path.write_text("submitted_at,point,access.seating\n2026-03-01T09:00:00,khong-co,5\n2026-03-02T09:00:00,mc-1,9\n",
                    encoding="utf-8")
    result = runner.invoke(args=["responses", "import", str(path)])
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    *errors, summary = result.stderr.splitlines()
    assert len(errors) == 2 and all(e.startswith("phieu.csv: dòng") for e in errors), errors
    assert summary == "Lỗi: Không nhập phiếu nào: 2 lỗi."
    assert db.session.scalar(select(func.count()).select_from(Submission)) == 0


def test_commands_fail_only_through_the_two_exceptions() -> None:
    """No sys.exit, ctx.exit or bare ClickException in the command modules: base.BadInput or base.CommandFailed."""
    sources = [COMMANDS_DIR.parent / "cli.py", *COMMANDS_DIR.glob("*.py")]
    offending = re.compile(r"\bsys\.exit\(|\.exit\(\d|\bexit\(\d|click\.(ClickException|UsageError|BadParameter)\(")
    found = [f"{path.name}:{n}" for path in sources if path.name != "base.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if offending.search(line)]
    assert found == []


def test_every_command_module_is_listed_with_its_commands() -> None:
    """Each survey/commands/<area>.py (base aside) is in MODULES, and COMMANDS names exactly the commands each one
    defines: a command is found by that name before its module is imported."""
    assert set(commands.MODULES) == {p.stem for p in COMMANDS_DIR.glob("*.py") if p.stem not in ("__init__", "base")}
    defined = [(c.name, area) for area in commands.MODULES for c in commands.module(area).commands]
    assert len(defined) == len(dict(defined))
    assert dict(defined) == commands.COMMANDS
    assert [c.name for c in commands.all_commands()] == [name for name, _ in defined]
    assert {"init", "serve", "qr", "points", "responses", "indices", "report", "tokens", "backup", "restore",
            "users"} <= set(commands.COMMANDS)


def test_help_loads_no_heavy_library(tmp_path: Path) -> None:
    """`hailong --help` lists the commands without importing pandas, WeasyPrint, openpyxl or gunicorn."""
    code = ("import sys\nfrom hailong.survey.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print('LOADED', sorted(m for m in ('pandas', 'weasyprint', 'openpyxl', 'gunicorn', 'matplotlib')"
            " if m in sys.modules))\n")
    env = {"HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "HAILONG_SECRET_KEY": "k" * 40,
           "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert "  points " in done.stdout and "  responses " in done.stdout, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == "LOADED []"


@pytest.mark.parametrize("args", [["indices", "--period", "2026-Q4"], ["report", "--period", "2026-Q4"]])
def test_a_database_without_questionnaires_asks_for_init(runner: Any, db: Any, args: list[str]) -> None:
    """A database migrated but never seeded (an interrupted `hailong init`) gets one line, not a traceback."""
    from sqlalchemy import delete

    from hailong.survey.models import Question, QuestionnaireVersion
    from hailong.survey.services import questionnaires as qsvc

    db.session.execute(delete(Question))
    db.session.execute(delete(QuestionnaireVersion))
    db.session.commit()
    qsvc.forget_cache()
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Lỗi: ") and "hailong init" in lines[0], result.stderr

"""What a `hailong` process imports: a command loads its own module and the app without its web parts.

Structural checks in child processes (a fresh interpreter each), no timing: bench/cli_start.py times it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Libraries `hailong indices` has no use for: migrations, the web stack's forms and rate limits, the
#: other commands' PDF, spreadsheet, import, queue and server code.
NOT_FOR_INDICES = ("alembic", "flask_migrate", "mako", "flask_limiter", "flask_wtf", "wtforms", "weasyprint",
                   "openpyxl", "pandas", "qrcode", "pypdf", "gunicorn", "rq", "redis")
#: Our modules it has no use for: the blueprints and the other commands.
NOT_OURS = ("hailong.survey.office", "hailong.survey.respond", "hailong.survey.public", "hailong.survey.errors",
            "hailong.survey.security", "hailong.survey.commands.setup", "hailong.survey.commands.report",
            "hailong.survey.commands.paper", "hailong.survey.commands.pakn", "hailong.survey.commands.backup",
            "hailong.survey.commands.responses", "hailong.survey.commands.posters")

RUN = """
import json, sys
from hailong.survey.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print("\\nMODULES", json.dumps(sorted(sys.modules)), "EXIT", code)
"""


def _hailong(tmp_path: Path, *args: str) -> tuple[str, list[str]]:
    """Run `hailong ARGS` in a fresh interpreter; its output and the modules it had imported when it ended."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    env |= {"HAILONG_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "HAILONG_SECRET_KEY": "k" * 40}
    done = subprocess.run([sys.executable, "-c", RUN, *args], env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    output, _, tail = done.stdout.rpartition("\nMODULES ")
    modules, _, code = tail.rpartition(" EXIT ")
    assert code.strip() == "0", done.stdout + done.stderr
    return output, json.loads(modules)


def _under(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({m for m in modules for n in names if m == n or m.startswith(n + ".")})


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    _, modules = _hailong(folder, "init")
    assert "alembic" in modules  # the migrations ran: Flask-Migrate bound on first use
    return folder


def test_indices_imports_neither_the_web_stack_nor_other_commands(initialised: Path) -> None:
    output, modules = _hailong(initialised, "indices", "--period", "2026-Q1", "--json")
    assert [r["kind"] for r in json.loads(output)] == ["onestop", "health", "education"]
    assert _under(modules, NOT_FOR_INDICES) == []
    assert _under(modules, NOT_OURS) == []
    assert "hailong.survey.commands.indices" in modules


def test_flask_commands_get_the_whole_app(initialised: Path) -> None:
    """`hailong routes` (Flask's own command) sees every blueprint's routes: the web parts are added for it."""
    output, modules = _hailong(initialised, "routes")
    assert "/office/login" in output and "/cong-khai/<ward>/du-lieu.json" in output, output
    assert "hailong.survey.office" in modules


def test_the_migrations_group_binds_flask_migrate(initialised: Path) -> None:
    output, _ = _hailong(initialised, "db", "current")
    assert "(head)" in output


def test_help_lists_every_command(initialised: Path) -> None:
    from hailong.survey.commands import COMMANDS

    output, modules = _hailong(initialised, "--help")
    listed = {line.split()[0] for line in output.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) | {"db", "routes", "run", "shell"} <= listed
    assert _under(modules, ("weasyprint", "openpyxl", "pandas")) == []

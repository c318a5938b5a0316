"""The settings model: the one reader of the environment, typed values, one-line errors, the README's table."""

from __future__ import annotations

import gzip
import importlib.util
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hailong.survey import create_app
from hailong.survey.cli import main
from hailong.survey.settings import (
    ConfigError,
    Settings,
    default_rate_limits,
    load,
    markdown_table,
    variable,
)

ROOT = Path(__file__).resolve().parent.parent

#: One bad value per variable (the secret key has none: any text will do; its absence in production is tested).
BAD = {
    "HAILONG_ENV": "prod",
    "HAILONG_INSTANCE_PATH": "{file}",
    "HAILONG_DATABASE_URL": "mysql://hailong:hunter2-secret@db/hailong",
    "HAILONG_BASE_URL": "hailong.antuong.gov.vn",
    "HAILONG_PROXY_HOPS": "hai",
    "HAILONG_REDIS_URL": "http://:hunter2-secret@127.0.0.1:6379",
    "HAILONG_RATELIMIT_SUBMIT": "nhiều lần",
    "HAILONG_MIN_FILL_SECONDS": "-1",
    "HAILONG_KIOSK_MIN_GAP_SECONDS": "hai mươi",
    "HAILONG_KIOSK_BURST": "1",
    "HAILONG_STATS_WORKERS": "0",
    "HAILONG_LANG": "fr",
    "HAILONG_GZIP": "có",
    "HAILONG_WARD_CODE": "An Tường",
    "HAILONG_WARD_NAME": "Phường\x07An Tường",
    "HAILONG_PROVINCE": "x" * 201,
    "HAILONG_SMTP_URL": "mail.antuong.gov.vn:25",
    "HAILONG_MAIL_FROM": "",
    "HAILONG_PAKN_CONTACT_DAYS": "0",
    "HAILONG_RATELIMIT_PAKN": "0 per minute",
    "HAILONG_RATELIMIT_TRACKING": "mãi mãi",
    "HAILONG_EMBED_ORIGINS": "https://portal.example.vn/trang",
    "HAILONG_RATELIMIT_PAGES": "0 per minute",
    "HAILONG_DRAFT_HOURS": "một ngày",
    "HAILONG_QUEUE_URL": "http://:hunter2-secret@127.0.0.1:6379/1",
    "HAILONG_QUEUE_NAME": "Hàng đợi",
    "HAILONG_REPORT_FILE_DAYS": "0",
    "HAILONG_EXPORT_FILE_DAYS": "một tuần",
}
#: More values that must be refused, each for a reason a person could get wrong.
MORE_BAD = [
    ("HAILONG_BASE_URL", "ftp://hailong.antuong.gov.vn"),
    ("HAILONG_BASE_URL", "https://hailong.antuong.gov.vn/?a=1"),
    ("HAILONG_RATELIMIT_SUBMIT", "0 per minute"),
    ("HAILONG_RATELIMIT_SUBMIT", "3 per fortnight"),
    ("HAILONG_PROXY_HOPS", ""),
    ("HAILONG_MIN_FILL_SECONDS", "5.5"),
    ("HAILONG_DATABASE_URL", "không phải địa chỉ"),
]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No HAILONG_* variable from the caller (the PostgreSQL run sets one), and a private XDG data folder."""
    for key in list(os.environ):
        if key.startswith("HAILONG_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    return monkeypatch


def _cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A subprocess environment with only the given HAILONG_* variables and a private XDG data folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAILONG_")}
    return env | {"XDG_DATA_HOME": str(tmp_path / "xdg")} | extra


# --- one reader of the environment ---------------------------------------------------------------

ENV_READ = re.compile(r"\bos\.environ\b|\bgetenv\(|\bfrom os import\b.*\benviron\b|\bos\.environb\b")
#: Code that passes the environment on to a child process without reading a setting from it.
PASSES_ON = {("survey/services/backup.py", "env = dict(os.environ)")}


def test_only_the_settings_module_reads_the_environment() -> None:
    found = []
    for top in ("survey", "forms", "analysis"):
        for path in sorted((ROOT / top).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if name == "survey/settings.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if ENV_READ.search(line) and (name, line.strip()) not in PASSES_ON:
                    found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "read the environment in survey/settings.py only:\n" + "\n".join(found)


# --- the README's table --------------------------------------------------------------------------


def _readme_table() -> str | None:
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts" / "settings_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.readme_table((ROOT / "README.md").read_text(encoding="utf-8"))


def test_the_readme_table_is_the_models() -> None:
    table = _readme_table()
    assert table is not None, "README.md lost the settings table's markers"
    listed = set(re.findall(r"^\| `(HAILONG_[A-Z_]+)` \|", table, re.MULTILINE))
    fields = {variable(f) for f in Settings.model_fields}
    assert not fields - listed, f"missing from the README: {sorted(fields - listed)}"
    assert not listed - fields, f"in the README but not in survey/settings.py: {sorted(listed - fields)}"
    assert table == markdown_table(), "run `python scripts/settings_table.py --write` (descriptions differ)"


def test_the_rate_limit_defaults_taken_without_limits_are_readable_by_it() -> None:
    """The defaults skip `limits` at start-up (settings.default_rate_limits): each must be a limit it reads."""
    from limits import parse_many

    defaults = default_rate_limits()
    assert len(defaults) == 4
    for text in defaults:
        assert parse_many(text) and all(limit.amount >= 1 for limit in parse_many(text)), text


def test_every_setting_is_described_and_says_what_it_expects() -> None:
    for field, info in Settings.model_fields.items():
        extra = info.json_schema_extra
        assert isinstance(extra, dict), field
        assert info.description and len(info.description) > 10, field
        assert str(extra["expect"]).strip(), field
    assert set(BAD) == {variable(f) for f in Settings.model_fields} - {"HAILONG_SECRET_KEY"}


# --- one line per bad value ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "value"), [*BAD.items(), *MORE_BAD], ids=lambda v: str(v)[:24])
def test_a_bad_value_is_one_vietnamese_line_naming_it(clean_env: pytest.MonkeyPatch, tmp_path: Path,
                                                      name: str, value: str) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    clean_env.setenv(name, value.replace("{file}", str(a_file)))
    with pytest.raises(ConfigError) as err:
        load()
    message = str(err.value)
    assert message.startswith(f"{name} phải là ") and "\n" not in message, message
    assert "hunter2" not in message  # a password in a URL is never echoed
    # The same through create_app's overrides (the tests' and benchmarks' way in).
    clean_env.delenv(name)
    with pytest.raises(ConfigError, match=name):
        create_app({name: value.replace("{file}", str(a_file))})


def test_several_bad_values_are_named_on_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HAILONG_LANG", "fr")
    clean_env.setenv("HAILONG_GZIP", "có")
    with pytest.raises(ConfigError) as err:
        load()
    assert "HAILONG_LANG" in str(err.value) and "HAILONG_GZIP" in str(err.value) and "\n" not in str(err.value)


def test_production_without_a_secret_key_is_one_line(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("HAILONG_ENV", "production")
    clean_env.setenv("HAILONG_SECRET_KEY", "   ")  # blank is unset
    with pytest.raises(ConfigError, match=r"^Thiếu HAILONG_SECRET_KEY") as err:
        load()
    assert "\n" not in str(err.value)


# --- typed values in the app's config ------------------------------------------------------------


def test_values_from_the_environment_arrive_typed(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in {"HAILONG_PROXY_HOPS": " 2 ", "HAILONG_MIN_FILL_SECONDS": "0", "HAILONG_STATS_WORKERS": "3",
                        "HAILONG_GZIP": "off", "HAILONG_LANG": "en", "HAILONG_REDIS_URL": "",
                        "HAILONG_BASE_URL": "https://Hailong.AnTuong.gov.vn/khao-sat/",
                        "HAILONG_DATABASE_URL": "postgresql://hailong@db/hailong"}.items():
        clean_env.setenv(name, value)
    app = create_app({"SECRET_KEY": "k" * 32, "TESTING": True})
    cfg = app.config
    assert (cfg["HAILONG_PROXY_HOPS"], cfg["HAILONG_MIN_FILL_SECONDS"], cfg["HAILONG_STATS_WORKERS"]) == (2, 0, 3)
    assert cfg["HAILONG_GZIP"] is False and cfg["HAILONG_LANG"] == "en" and cfg["TESTING"] is True
    assert cfg["HAILONG_REDIS_URL"] is None and cfg["RATELIMIT_STORAGE_URI"] == "memory://"
    assert cfg["HAILONG_BASE_URL"] == "https://hailong.antuong.gov.vn/khao-sat"
    assert cfg["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://hailong@db/hailong"
    assert not (tmp_path / "xdg").exists()  # a database URL and a key given: no instance folder is made


def test_gzip_off_in_the_environment_turns_compression_off(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """HAILONG_GZIP was documented but only read from the config: the environment had no effect."""
    def page_encoding() -> str | None:
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'g.db'}", "SECRET_KEY": "k" * 32})
        response = app.test_client().get("/static/site.css", headers={"Accept-Encoding": "gzip"})
        try:
            body = response.get_data()
            encoding = response.headers.get("Content-Encoding")
            assert (gzip.decompress(body) if encoding == "gzip" else body).startswith(b"/*") or body
            return encoding
        finally:
            response.close()

    assert page_encoding() == "gzip"
    clean_env.setenv("HAILONG_GZIP", "0")
    assert page_encoding() is None


# --- the instance folder -------------------------------------------------------------------------


def test_the_default_instance_folder_is_per_user(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = create_app()
    folder = tmp_path / "xdg" / "hailong"
    assert Path(app.instance_path) == folder
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{folder / 'hailong.db'}"
    assert (folder / "secret_key").read_text().strip() == app.config["SECRET_KEY"]
    assert folder.stat().st_mode & 0o077 == 0  # the key and the database are the owner's only

    clean_env.delenv("XDG_DATA_HOME")
    clean_env.setenv("HOME", str(tmp_path / "home"))
    assert Path(create_app().instance_path) == tmp_path / "home" / ".local" / "share" / "hailong"


def test_instance_path_can_be_relative_to_the_current_folder(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.chdir(tmp_path)
    clean_env.setenv("HAILONG_INSTANCE_PATH", "data/hailong")
    app = create_app()
    assert Path(app.instance_path) == tmp_path / "data" / "hailong"
    assert (tmp_path / "data" / "hailong" / "secret_key").is_file()
    assert not (tmp_path / "xdg").exists()


def test_an_instance_folder_that_cannot_be_made_is_one_line(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    clean_env.setenv("HAILONG_INSTANCE_PATH", str(tmp_path / "a-file" / "below"))
    with pytest.raises(ConfigError, match="HAILONG_INSTANCE_PATH") as err:
        create_app()
    assert "\n" not in str(err.value)


# --- the commands --------------------------------------------------------------------------------


def test_hailong_config_prints_every_setting_with_secrets_hidden(tmp_path: Path) -> None:
    env = _cli_env(tmp_path, HAILONG_SECRET_KEY="s3cret-" + "k" * 30,
                   HAILONG_DATABASE_URL=f"sqlite:///{tmp_path / 'c.db'}", HAILONG_PROXY_HOPS="1",
                   HAILONG_REDIS_URL="redis://:hunter2@127.0.0.1:6379/0")
    result = CliRunner().invoke(main, ["config"], env=env)
    assert result.exit_code == 0, result.output
    lines = dict(line.split("=", 1) for line in result.output.splitlines())
    assert set(lines) == {variable(f) for f in Settings.model_fields}
    assert "s3cret" not in result.output and "hunter2" not in result.output
    assert lines["HAILONG_SECRET_KEY"].startswith("********  #")
    assert lines["HAILONG_PROXY_HOPS"].startswith("1  #") and lines["HAILONG_ENV"].startswith("development  #")
    assert lines["HAILONG_INSTANCE_PATH"].startswith(str(tmp_path / "xdg" / "hailong"))


def _run(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=_cli_env(tmp_path, **env), capture_output=True, text=True, timeout=120,
                          check=False, cwd=tmp_path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("env", [{"HAILONG_STATS_WORKERS": "0"}, {"HAILONG_GZIP": "có"}, {"HAILONG_LANG": "fr"}],
                         ids=lambda e: next(iter(e)))
def test_hailong_serve_refuses_a_bad_value_in_one_line(tmp_path: Path, env: dict[str, str]) -> None:
    exe = str(Path(sys.executable).with_name("hailong"))
    done = _run(tmp_path, env, exe, "serve", "--port", str(_free_port()))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert next(iter(env)) in done.stderr


@pytest.mark.parametrize("preload", [[], ["--preload"]], ids=["workers", "preload"])
def test_gunicorn_refuses_a_bad_value_without_a_traceback(tmp_path: Path, preload: list[str]) -> None:
    exe = str(Path(sys.executable).with_name("gunicorn"))
    done = _run(tmp_path, {"HAILONG_PROXY_HOPS": "hai"}, exe, *preload, "--bind", f"127.0.0.1:{_free_port()}",
                "hailong.survey.wsgi:app()")
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert "HAILONG_PROXY_HOPS phải là một số nguyên" in done.stderr


def test_the_cli_speaks_english_with_hailong_lang_en(tmp_path: Path) -> None:
    env = _cli_env(tmp_path, HAILONG_LANG="en", HAILONG_SECRET_KEY="k" * 32,
                   HAILONG_DATABASE_URL=f"sqlite:///{tmp_path / 'e.db'}")
    result: Any = CliRunner().invoke(main, ["config"], env=env)
    assert result.exit_code == 0, result.output
    assert "# default" in result.output and "# mặc định" not in result.output

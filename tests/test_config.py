"""Configuration: production needs a secret key; laptops get a persistent generated one."""

from __future__ import annotations

from pathlib import Path

import pytest

from hailong.survey.config import ConfigError, build_config


def test_production_requires_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAILONG_SECRET_KEY", raising=False)
    monkeypatch.setenv("HAILONG_ENV", "production")
    with pytest.raises(ConfigError, match="HAILONG_SECRET_KEY"):
        build_config(tmp_path)
    monkeypatch.setenv("HAILONG_SECRET_KEY", "x" * 40)
    cfg = build_config(tmp_path)
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_laptop_secret_is_generated_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAILONG_SECRET_KEY", raising=False)
    monkeypatch.delenv("HAILONG_ENV", raising=False)
    monkeypatch.delenv("HAILONG_DATABASE_URL", raising=False)
    first = build_config(tmp_path)
    assert build_config(tmp_path)["SECRET_KEY"] == first["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'hailong.db'}"


def test_postgres_url_uses_psycopg3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAILONG_DATABASE_URL", "postgresql://u@h/db")
    assert build_config(tmp_path)["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize("value", ["hai", "-1", "1.5", "", "9999999"])
def test_proxy_hops_must_be_a_whole_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HAILONG_SECRET_KEY", "x" * 40)
    monkeypatch.setenv("HAILONG_PROXY_HOPS", value)
    with pytest.raises(ConfigError, match="HAILONG_PROXY_HOPS") as err:
        build_config(tmp_path)
    assert "số nguyên" in str(err.value) and "\n" not in str(err.value)
    monkeypatch.setenv("HAILONG_PROXY_HOPS", " 2 ")
    assert build_config(tmp_path)["HAILONG_PROXY_HOPS"] == 2

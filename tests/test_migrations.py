"""The accounts migration goes down and up again on SQLite (batch mode) and PostgreSQL, keeping the accounts."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from hailong.survey.extensions import db as _db


def _columns(table: str) -> set[str]:
    return {c["name"] for c in inspect(_db.engine).get_columns(table)}


def _drift(tables: set[str]) -> list[Any]:
    """Differences between the models and the migrated schema that mention these tables."""
    with _db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
    return [d for d in diffs if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in tables)]


def test_accounts_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        assert _drift({"users", "login_throttles"}) == []
        downgrade(directory=directory, revision="0001")
        assert {"failed_logins", "locked_until"} <= _columns("users")
        assert "session_version" not in _columns("users")
        assert "login_throttles" not in inspect(_db.engine).get_table_names()
        with _db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO users (username, password_hash, role, active, failed_logins, created_at) "
                "VALUES ('chi', 'scrypt:x', 'admin', :yes, 2, CURRENT_TIMESTAMP)"), {"yes": True})
        upgrade(directory=directory)
        assert "session_version" in _columns("users")
        assert not {"failed_logins", "locked_until"} & _columns("users")
        with _db.engine.connect() as conn:
            assert conn.execute(text("SELECT username, session_version FROM users")).all() == [("chi", 1)]
        assert _drift({"users", "login_throttles"}) == []


def test_form_drafts_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        tables = {"form_drafts", "form_page_counts"}
        assert _drift(tables) == []
        downgrade(directory=directory, revision="0002_accounts_sessions")
        assert not tables & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert tables <= set(inspect(_db.engine).get_table_names())
        assert _drift(tables) == []

"""The migrations build exactly the models' schema, on SQLite (batch mode) and PostgreSQL; they go down and up.

Alembic's comparison covers tables, columns, types (UTCDateTime by its impl, DateTime(timezone=True)), nullability,
server defaults, indexes, unique constraints and foreign keys; CHECK constraints, which it does not compare, are
compared here by name and allowed values.
"""

from __future__ import annotations

import re
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, Connection, inspect, text

from hailong.survey.extensions import db as _db

#: What `alembic check` compares (migrations/env.py sets the same).
COMPARE = {"compare_type": True, "compare_server_default": True}


def _columns(table: str) -> set[str]:
    return {c["name"] for c in inspect(_db.engine).get_columns(table)}


def _differences(conn: Connection) -> list[Any]:
    """Every difference Alembic's autogenerate finds between the models and the database."""
    return list(compare_metadata(MigrationContext.configure(conn, opts=COMPARE), _db.metadata))


def _drift(tables: set[str]) -> list[Any]:
    """Differences between the models and the migrated schema that mention these tables."""
    with _db.engine.connect() as conn:
        diffs = _differences(conn)
    return [d for d in diffs if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in tables)]


def _checks_in_models() -> set[tuple[str, str, tuple[str, ...]]]:
    return {(table.name, str(c.name), tuple(re.findall(r"'([^']*)'", str(c.sqltext))))
            for table in _db.metadata.sorted_tables for c in table.constraints if isinstance(c, CheckConstraint)}


def _checks_in_database() -> set[tuple[str, str, tuple[str, ...]]]:
    """(table, name, allowed values) of each CHECK constraint; PostgreSQL rewrites the text, the values stay."""
    found = inspect(_db.engine)
    return {(table, str(c["name"]), tuple(re.findall(r"'([^']*)'", c["sqltext"])))
            for table in found.get_table_names() for c in found.get_check_constraints(table)}


def test_models_and_migrations_agree(app: Flask) -> None:
    with app.app_context():
        with _db.engine.connect() as conn:
            assert _differences(conn) == []
        assert _checks_in_database() == _checks_in_models()
        named = {c[1] for c in _checks_in_models()}
        assert {"ck_responses_channel", "ck_service_points_kind", "ck_users_role"} <= named
        # `hailong db check` (alembic check, through migrations/env.py) agrees: it raises on any difference.
        migrate = app.extensions["migrate"]
        command.check(migrate.migrate.get_config(migrate.directory))


def test_the_comparison_sees_a_missing_index(app: Flask) -> None:
    """The check above can fail: an index dropped behind the migrations' back is reported."""
    # PostgreSQL drops it only inside the transaction; each SQLite test has its own copy of the database.
    with app.app_context(), _db.engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text("DROP INDEX ix_service_points_unit"))
        diffs = _differences(conn)
        transaction.rollback()
    assert [(d[0], d[1].name) for d in diffs] == [("add_index", "ix_service_points_unit")]


def test_every_migration_goes_down_to_nothing_and_up_again(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        downgrade(directory=directory, revision="base")
        assert set(inspect(_db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(directory=directory)
        with _db.engine.connect() as conn:
            assert _differences(conn) == []
        assert _checks_in_database() == _checks_in_models()


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


PAKN_TABLES = {"pakn_units", "pakn_items", "pakn_events", "pakn_calendar_days", "pakn_deadline_rules", "pakn_mail"}


def test_pakn_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        assert _drift(PAKN_TABLES) == []
        downgrade(directory=directory, revision="0002_accounts_sessions")
        assert not PAKN_TABLES & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert set(inspect(_db.engine).get_table_names()) >= PAKN_TABLES
        assert _drift(PAKN_TABLES) == []


def test_public_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        tables = {"public_settings", "public_snapshots"}
        assert _drift(tables) == []
        downgrade(directory=directory, revision="0004_pakn")
        assert not tables & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert tables <= set(inspect(_db.engine).get_table_names())
        assert _drift(tables) == []
        with _db.engine.begin() as conn:
            ward = conn.execute(text("SELECT id FROM organisations")).scalar()
            conn.execute(text("INSERT INTO public_settings (organisation_id, kind, enabled, live, min_n, updated_at) "
                              "VALUES (:w, 'health', :yes, :yes, 30, CURRENT_TIMESTAMP)"), {"w": ward, "yes": True})


def test_form_drafts_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        tables = {"form_drafts", "form_page_counts"}
        assert _drift(tables) == []
        downgrade(directory=directory, revision="0008_paper")
        assert not tables & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert tables <= set(inspect(_db.engine).get_table_names())
        assert _drift(tables) == []

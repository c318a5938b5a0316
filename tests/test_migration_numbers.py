"""The numbers migration (population margins, generated reports) goes down and up on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from hailong.survey.extensions import db as _db

TABLES = {"population_margins", "generated_reports"}


def _drift() -> list[Any]:
    with _db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
    return [d for d in diffs if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in TABLES)]


def test_numbers_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        assert set(inspect(_db.engine).get_table_names()) >= TABLES
        assert _drift() == []
        downgrade(directory=directory, revision="0007_form_drafts")
        assert not TABLES & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert set(inspect(_db.engine).get_table_names()) >= TABLES
        assert _drift() == []

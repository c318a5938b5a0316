"""The paper migration goes down and up again on SQLite (batch mode) and PostgreSQL, matching the models."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from hailong.survey.extensions import db as _db

TABLES = {"paper_serials", "paper_entries", "paper_settings"}


def _drift() -> list[Any]:
    with _db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
    return [d for d in diffs if any(f"'{t}'" in repr(d) or f"<{t}>" in repr(d) for t in TABLES)]


def test_paper_migration_down_and_up(app: Flask) -> None:
    with app.app_context():
        directory = app.extensions["migrate"].directory
        assert set(inspect(_db.engine).get_table_names()) >= TABLES
        assert _drift() == []
        downgrade(directory=directory, revision="0006_public")
        assert not TABLES & set(inspect(_db.engine).get_table_names())
        upgrade(directory=directory)
        assert set(inspect(_db.engine).get_table_names()) >= TABLES
        assert _drift() == []
        indexes = {ix["name"] for ix in inspect(_db.engine).get_indexes("paper_serials")}
        assert "ix_paper_serials_organisation_id_state" in indexes

"""Alembic environment: runs inside the Flask app so the URL and metadata come from create_app()."""

from __future__ import annotations

from alembic import context
from flask import current_app

config = context.config
migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
target_metadata = migrate_ext.db.metadata
# render_as_batch (set in create_app) lets ALTER TABLE work on SQLite by copying the table. Autogenerate and
# `hailong db check` compare column types (a TypeDecorator such as UTCDateTime by its impl) and server defaults.
configure_args = {"compare_type": True, "compare_server_default": True, **migrate_ext.configure_args}


def run_migrations_offline() -> None:
    """Emit SQL for the configured URL without connecting."""
    context.configure(url=engine.url, target_metadata=target_metadata, literal_binds=True, **configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection.

    On SQLite, foreign keys are off while they run (Alembic's advice for batch mode): a batch rebuild drops the
    old table, and with foreign keys on that DROP deletes through ON DELETE CASCADE (rebuilding `responses`
    emptied `answers`). The PRAGMA only works outside a transaction, so it is set before and after, and the
    keys are checked before they are turned on again.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, **configure_args)
        with context.begin_transaction():
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()
            if broken:
                raise RuntimeError(f"foreign keys broken by the migration: {broken[:5]}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

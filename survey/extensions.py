"""Flask extensions, created unbound here and initialised in create_app()."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Migrations:
    """Flask-Migrate, bound to an app when a migration first needs it, not when the app is created.

    Importing Flask-Migrate imports Alembic and its dialects, about a fifth of a command's start-up, which only
    `hailong init`, `hailong db` and the migration tests need. init_app puts a stand-in at
    app.extensions["migrate"] that knows the migrations' directory; asking it for anything else (Flask-Migrate's
    `upgrade()` asks for `.migrate`, migrations/env.py for `.db`) binds the real extension, which replaces it.
    """

    def init_app(self, app: Flask, db: SQLAlchemy, directory: str, **options: Any) -> None:
        app.extensions["migrate"] = _UnboundMigrations(app, db, directory, options)


class _UnboundMigrations:
    """app.extensions["migrate"] until Flask-Migrate is needed (see Migrations)."""

    def __init__(self, app: Flask, db: SQLAlchemy, directory: str, options: dict[str, Any]) -> None:
        self.directory = directory
        self._app, self._db, self._options = app, db, options

    def bind(self) -> Any:
        """Flask-Migrate's configuration on the app, initialising the extension (which replaces this) once."""
        if self._app.extensions.get("migrate") is self:
            from flask_migrate import Migrate

            Migrate(self._app, self._db, self.directory, **self._options)
        return self._app.extensions["migrate"]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not set yet (a copy being made): never bind for a private name
            raise AttributeError(name)
        return getattr(self.bind(), name)


db = SQLAlchemy(model_class=Base)
migrate = Migrations()
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# Storage is chosen in create_app from HAILONG_REDIS_URL (Redis for several workers, memory otherwise).
limiter = Limiter(key_func=get_remote_address, default_limits=[])

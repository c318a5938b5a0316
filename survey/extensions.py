"""Flask extensions, created unbound here and initialised in create_app().

`limiter` and `csrf` only serve requests: they are made when first imported from here (the blueprints do), so
a `hailong` command, whose app has no blueprints, does not import Flask-Limiter's storage layer or WTForms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_wtf import CSRFProtect

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


def _limiter() -> Limiter:
    from flask_limiter import Limiter
    from flask_limiter.util import get_remote_address

    # Storage is chosen in create_app from HAILONG_REDIS_URL (Redis for several workers, memory otherwise).
    return Limiter(key_func=get_remote_address, default_limits=[])


def _csrf() -> CSRFProtect:
    from flask_wtf import CSRFProtect

    return CSRFProtect()


_ON_FIRST_USE: dict[str, Callable[[], Any]] = {"limiter": _limiter, "csrf": _csrf}
_made = threading.Lock()

db = SQLAlchemy(model_class=Base)
migrate = Migrations()
babel = Babel()
login_manager = LoginManager()
if TYPE_CHECKING:
    limiter: Limiter
    csrf: CSRFProtect


def __getattr__(name: str) -> Any:
    """`limiter` and `csrf`, made once, on first use (module attributes from then on)."""
    make = _ON_FIRST_USE.get(name)
    if make is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _made:
        if name not in globals():
            globals()[name] = make()
    return globals()[name]

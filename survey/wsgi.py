"""The WSGI entry for a server run by hand: `gunicorn 'hailong.survey.wsgi:app()'` (`hailong serve` checks first).

A bad setting stops gunicorn with the one-line message instead of a worker's traceback.
"""

from __future__ import annotations

from flask import Flask
from gunicorn.errors import AppImportError

from . import create_app
from .settings import ConfigError


class StartRefused(AppImportError, RuntimeError):
    """A settings error as gunicorn prints in one line: a worker's AppImportError, the master's RuntimeError."""


def app() -> Flask:
    """The application, built from the environment's settings."""
    try:
        return create_app()
    except ConfigError as exc:
        raise StartRefused(str(exc)) from None

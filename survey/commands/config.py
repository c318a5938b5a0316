"""`hailong config`: the effective settings, as the app read them at start (secrets masked)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from flask_babel import gettext as _

from ..services.stats import configured_workers
from ..settings import Settings, shown_values


@click.command("config")
@with_appcontext
def config() -> None:
    """Print every HAILONG_* setting in effect, one `VARIABLE=value  # source` line each, secrets masked."""
    settings: Settings = current_app.extensions["hailong.settings"]
    instance = current_app.config["HAILONG_INSTANCE_PATH"]
    # What an unset setting resolved to, where the value alone would be empty.
    resolved = {
        "HAILONG_INSTANCE_PATH": (str(instance), ""),
        "HAILONG_DATABASE_URL": (current_app.config["SQLALCHEMY_DATABASE_URI"], ""),
        "HAILONG_SECRET_KEY": ("", _("tạo tự động trong %(path)s", path=str(instance / "secret_key"))),
        "HAILONG_REDIS_URL": ("", _("bộ nhớ của từng tiến trình")),
        "HAILONG_STATS_WORKERS": (str(configured_workers()), ""),
    }
    for name, value, was_set in shown_values(settings):
        note = _("đã đặt") if was_set else _("mặc định")
        if not value and name in resolved:
            value, more = resolved[name]
            note = f"{note}: {more}" if more else note
        click.echo(f"{name}={value}  # {note}")


commands = [config]

"""The `hailong` command group; the commands themselves live in survey/commands/ (one module per area)."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import ExitStack
from functools import partial
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import configure_mappers

from . import commands as command_modules
from . import settings, transaction
from .config import ConfigError

#: Loads the commands of one module (or Flask-Migrate's `db` group) when a command of it is first looked up.
Loader = Callable[[], list[click.Command]]


def _create_app() -> Flask:
    from . import create_app
    from .commands.base import BadInput

    try:
        # Without the blueprints: our commands serve no request. Flask's own and the plugins' get them added
        # (_Group.resolve_command).
        return create_app(web=False)
    except ConfigError as exc:  # a bad environment variable: one line naming it, exit status 2
        raise BadInput(str(exc)) from None


class _Group(FlaskGroup):
    """The command group: a bad configuration, an unreadable database or a file error is one line, not a traceback.

    The cyclic garbage collector is paused from the start of `main` until the command is resolved: what is made
    meanwhile (the app, the models and their mappings, the command's module and its libraries) lives as long as
    the process, so the collector's passes over it would free nothing (about a tenth of `hailong indices`'s CPU).
    resolve_command freezes it and resumes the collector before the command runs, so a long command (`hailong
    worker`, `serve`) collects as usual.
    """

    #: Whether resolve_command resumes the collector (`main` paused it).
    _resume_collector = False

    def main(self, *args: Any, **kwargs: Any) -> Any:
        settings.one_blas_thread()  # before anything imports numpy
        collecting = gc.isenabled()
        gc.disable()
        self._resume_collector = collecting
        try:
            return super().main(*args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a traceback when the app cannot load while listing commands (`hailong --help`).
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as exc:
            exc.show()
            return click.Group.list_commands(self, ctx)
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands or name not in command_modules.COMMANDS:
            return super().get_command(ctx, name)
        # One of ours: found on the app without Flask's scan of every installed package's `flask.commands`
        # plugins (which imports them: Flask-Limiter's pulls in its whole storage layer). What
        # FlaskGroup.get_command does once a name is not a built-in or plugin command.
        app = ctx.ensure_object(ScriptInfo).load_app()
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        found = super().resolve_command(ctx, args)
        if found[0] not in command_modules.COMMANDS:  # Flask's `run`, `shell`, `routes`, a plugin's command
            from . import add_web

            add_web(ctx.ensure_object(ScriptInfo).load_app())
        # The app is created and the command's module imported. The mappers are configured now (every command
        # queries through them; the first query would otherwise do it, with the collector running). What is alive
        # now (modules, mapped classes, the app: ~10^5 objects) lives as long as the process. Frozen, it is left
        # out of the collector's full passes, which a command's own rows (10^4-10^5 objects) would otherwise
        # trigger over all of it, and out of the passes of the interpreter's exit. Never unfrozen: unfreezing
        # before the exit costs more than it frees. Then the collector runs again (paused by `main`).
        configure_mappers()
        gc.freeze()
        if self._resume_collector:
            gc.enable()
        return found

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke(ctx, super().invoke)


class _AppCommands(AppGroup):
    """`app.cli`, which tests invoke: the same transaction and one-line errors as the `hailong` group.

    Each command module is imported when one of its commands is first looked up: running one command imports
    its own module, not every other command's (WeasyPrint, openpyxl, Alembic...); listing them imports them all.
    """

    def __init__(self, name: str | None, loaders: dict[str, Loader]) -> None:
        super().__init__(name)
        self.loaders = loaders

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.loaders})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        load = self.loaders.get(name)
        if name not in self.commands and load is not None:
            for command in load():
                self.add_command(command)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke(ctx, super().invoke)


def _invoke(ctx: click.Context, invoke: Callable[[click.Context], Any]) -> Any:
    """Run a command in one transaction on the app's context (survey/transaction.py): it commits when the command
    returns and rolls back when it fails; a file or database error is one line."""
    from hailong.forms.questionnaire import QuestionnaireError

    from .commands.base import CommandFailed

    try:
        app = ctx.ensure_object(ScriptInfo).load_app()
        with ExitStack() as stack:
            if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
                stack.enter_context(app.app_context())
            with transaction.boundary():
                return invoke(ctx)
    except OSError as exc:  # a file that cannot be read or written, whichever command met it
        raise CommandFailed(_("Lỗi tệp %(path)s: %(error)s", path=str(exc.filename or "?"),
                              error=exc.strerror or type(exc).__name__)) from None
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise CommandFailed(_(
            "Không đọc được cơ sở dữ liệu (%(reason)s). Nếu cơ sở dữ liệu còn mới hoặc vừa nâng cấp "
            "phần mềm, hãy chạy “hailong init” trước; nếu không, kiểm tra HAILONG_DATABASE_URL.",
            reason=reason)) from None
    except QuestionnaireError as exc:  # a database migrated but never seeded (an interrupted `hailong init`)
        raise CommandFailed(_("Chưa nạp được bảng hỏi (%(reason)s); hãy chạy “hailong init”.",
                              reason=str(exc).split(";")[0])) from None
    except DBAPIError as exc:
        # The statement's parameters may hold citizens' text: only the database's first line is shown.
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else type(exc).__name__
        raise CommandFailed(_("Cơ sở dữ liệu từ chối thao tác, không có gì được lưu: %(reason)s",
                              reason=reason)) from None


@click.group(cls=_Group, create_app=_create_app, add_default_commands=True, add_version_option=False)
def main() -> None:
    """Hài Lòng: khảo sát sự hài lòng của người dân (citizen satisfaction surveys)."""


def register_commands(app: Flask) -> None:
    """Give the application's command group every command of survey/commands/ and `db`, each loaded on use."""
    loaders: dict[str, Loader] = {name: partial(command_modules.load, name) for name in command_modules.COMMANDS}
    loaders["db"] = partial(_migration_commands, app)
    commands = _AppCommands(app.cli.name, loaders)
    commands.commands.update(app.cli.commands)
    app.cli = commands


def _migration_commands(app: Flask) -> list[click.Command]:
    """Flask-Migrate's `db` group, bound to the app on first use (it imports Alembic: survey/extensions.py)."""
    from flask_migrate.cli import db as db_group

    app.extensions["migrate"].bind()
    return [db_group]

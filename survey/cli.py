"""The `hailong` command group; the commands themselves live in survey/commands/ (one module per area)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from flask_babel import gettext as _
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

from hailong.forms.questionnaire import QuestionnaireError

from . import transaction
from .commands.base import BadInput, CommandFailed
from .config import ConfigError


def _create_app() -> Flask:
    from . import create_app

    try:
        return create_app()
    except ConfigError as exc:  # a bad environment variable: one line naming it, exit status 2
        raise BadInput(str(exc)) from None


class _Group(FlaskGroup):
    """The command group: a bad configuration, an unreadable database or a file error is one line, not a traceback."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Flask prints a traceback when the app cannot load while listing commands (`hailong --help`).
        try:
            ctx.ensure_object(ScriptInfo).load_app()
        except click.ClickException as exc:
            exc.show()
            return click.Group.list_commands(self, ctx)
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke(ctx, super().invoke)


class _AppCommands(AppGroup):
    """`app.cli`, which tests invoke: the same transaction and one-line errors as the `hailong` group."""

    def invoke(self, ctx: click.Context) -> Any:
        return _invoke(ctx, super().invoke)


def _invoke(ctx: click.Context, invoke: Callable[[click.Context], Any]) -> Any:
    """Run a command in one transaction on the app's context (survey/transaction.py): it commits when the command
    returns and rolls back when it fails; a file or database error is one line."""
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
    """Add every command of survey/commands/ to the application's command group."""
    from .commands import all_commands

    commands = _AppCommands(app.cli.name)
    commands.commands.update(app.cli.commands)
    app.cli = commands
    for command in all_commands():
        app.cli.add_command(command)

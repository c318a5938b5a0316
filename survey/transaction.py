"""The one transaction boundary: each request and each command commits once when it succeeds, else rolls back.

Services only add and flush (a flush when they need an id, a savepoint where a race must not undo the rest);
they never commit. A request commits after its view answered with a status below 400 (a redirect included) and
before the answer leaves, so a commit that fails is an error the client sees, never a thank-you for something
not stored; an error status rolls back. A command commits when it returns and rolls back when it raises. A
refusal or a failure that must itself be stored (a wrong password's throttle and audit rows, a failed export's
audit event) says so with `keep_on_error`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask, current_app, has_request_context
from sqlalchemy import event
from werkzeug.wrappers import Response

from .extensions import db

#: Marks the session whose changes are stored although its request or command fails (session.info is per session).
_KEEP = "hailong.keep_on_error"
#: Work to do once the changes are stored (sending e-mail queued in an outbox), in transactions of its own.
_AFTER = "hailong.after_commit"


def keep_on_error() -> None:
    """Store this request's or command's changes even though it ends in an error (an audited refusal or failure)."""
    db.session.info[_KEEP] = True


def start_over() -> None:
    """Drop what this request or command changed so far (a failed action); what follows starts a new transaction."""
    db.session.info.pop(_AFTER, None)
    db.session.rollback()


def after_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once this request's or command's changes are committed, in a transaction of its own.

    For side effects that must follow a stored change and never a rolled-back one (an outbox's e-mail). A request
    logs a callback's failure (the change itself is stored); a command reports it as its error.
    """
    db.session.info.setdefault(_AFTER, []).append(callback)


def finish(succeeded: bool) -> None:
    """Commit the session's transaction when the work succeeded (or asked to keep its changes), else roll it back.

    A failed commit is rolled back and raised, so the caller reports an error instead of a success.
    """
    keep = bool(db.session.info.pop(_KEEP, False))
    callbacks: list[Callable[[], None]] = db.session.info.pop(_AFTER, [])
    if not (succeeded or keep):
        db.session.rollback()
        return
    try:
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    for callback in callbacks if succeeded else ():
        _run_after_commit(callback)


def _succeeded(exc: BaseException) -> bool:
    """Whether an exception only ends a command that succeeded (click's or sys.exit's status 0)."""
    if isinstance(exc, click.exceptions.Exit):
        return exc.exit_code == 0
    return isinstance(exc, SystemExit) and exc.code in (0, None)


@contextmanager
def boundary() -> Iterator[None]:
    """The boundary of a command, a script or a test: commit when the block succeeds, roll back when it raises."""
    try:
        yield
    except BaseException as exc:
        finish(_succeeded(exc))
        raise
    finish(True)


def _run_after_commit(callback: Callable[[], None]) -> None:
    """One after-commit callback in its own transaction; in a request its failure is logged, not raised."""
    try:
        with boundary():
            callback()
    except Exception as exc:
        if not has_request_context():
            raise
        # The request's own changes are stored, so its answer stands; the type only (no citizen text in logs).
        current_app.logger.warning("after-commit work failed (%s)", type(exc).__name__)


def _finish_request(response: Response) -> Response:
    finish(response.status_code < 400)
    return response


def _begin_before_savepoint(conn: Any, _name: str) -> None:
    """SQLite: open a real transaction before a savepoint, or releasing the savepoint would commit on its own.

    The sqlite3 driver begins a transaction only at the first INSERT, UPDATE or DELETE; a SAVEPOINT outside a
    transaction starts one that its RELEASE ends. IMMEDIATE takes the write lock now (waiting busy_timeout for
    it), as the savepoint is taken to write.
    """
    dbapi_connection = conn.connection.dbapi_connection
    if not dbapi_connection.in_transaction:
        dbapi_connection.execute("BEGIN IMMEDIATE")


def register(app: Flask) -> None:
    """Install the request boundary (registered first, so it runs after every other after-request hook)."""
    app.after_request(_finish_request)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "savepoint", _begin_before_savepoint)

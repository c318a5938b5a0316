"""Logs without citizens (Decree 13/2023): what failed and where, never a client's address or what it sent.

Exception messages are dropped from every logged traceback, whatever raised them: a database error quotes the
statement's values (a comment), a validation error may quote the input. The exception's type and the frames stay,
which is what a developer needs to find the bug. gunicorn's own lines that quote the client are rewritten.
"""

from __future__ import annotations

import logging
import re
import traceback

from flask import Flask

#: Loggers of this application and its libraries that may see request data.
APP_LOGGERS = ("werkzeug", "flask-limiter")
# werkzeug's development server starts each request line with the client's address.
_WERKZEUG_ADDRESS = re.compile(r"^\S+ - - \[")
# gunicorn: "Invalid request from ip=1.2.3.4: Invalid HTTP request line: 'what the client sent'".
_GUNICORN_INVALID = "Invalid request from ip="
_GUNICORN_URI = "Error handling request %s"
# A PAKN tracking code in a path opens the citizen's item: logged as "/tra-cuu/…".
_TRACKING_PATH = re.compile(r"(/tra-cuu/)[^/\s?\"]+")


def hide_codes(text: str) -> str:
    """A path or request line with any PAKN tracking code replaced by "…"."""
    return _TRACKING_PATH.sub(r"\1…", text)


def _type_name(exc: BaseException) -> str:
    kind = type(exc)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def traceback_without_messages(exc: BaseException) -> str:
    """A traceback with its frames and exception types (causes included), but none of the exceptions' messages."""
    # Newest first: each exception with the sentence that links it to the older one it came from.
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if current.__cause__ is not None:
            older, link = current.__cause__, "The above exception was the direct cause of the following exception"
        elif current.__context__ is not None and not current.__suppress_context__:
            older, link = current.__context__, "During handling of the above exception, another exception occurred"
        else:
            older, link = None, ""
        chain.append((current, link))
        current = older
    parts: list[str] = []
    for i in range(len(chain) - 1, -1, -1):
        item = chain[i][0]
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(item.__traceback__))
        parts.append(f"{_type_name(item)}: (message not logged)")
        if i:
            parts.append(f"\n\n{chain[i - 1][1]}:\n\n")
    return "".join(parts)


def _scrub_args(args: tuple[object, ...]) -> tuple[object, ...]:
    """An exception passed as a %s argument is logged by its type only."""
    return tuple(_type_name(a) if isinstance(a, BaseException) else a for a in args)


class PrivacyFilter(logging.Filter):
    """Drop exception messages (and exceptions passed as arguments) from a logger's records; keep types and frames."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc_info = record.exc_info
        if exc_info and exc_info[1] is not None:
            record.exc_text = traceback_without_messages(exc_info[1])
            record.exc_info = None
        if isinstance(record.args, tuple) and record.args:
            record.args = _scrub_args(record.args)
        if record.name == "werkzeug" and isinstance(record.msg, str):
            record.msg = _WERKZEUG_ADDRESS.sub("- - - [", record.msg)
            if isinstance(record.args, tuple):
                record.args = tuple(hide_codes(a) if isinstance(a, str) else a for a in record.args)
        return True


class GunicornPrivacyFilter(PrivacyFilter):
    """PrivacyFilter for gunicorn's error log, which also names the client's address and quotes its bytes."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(_GUNICORN_INVALID):
            error = message.split(": ", 1)[1] if ": " in message else ""
            # Keep the kind of error ("Invalid HTTP request line"), not the quoted request or the address.
            kind = re.split(r"[:('\"]", error, maxsplit=1)[0].strip() or "unknown"
            record.msg, record.args = "Invalid request: %s (client address and data not logged)", (kind,)
        elif message == _GUNICORN_URI:
            record.msg, record.args = "Error handling request (URI not logged)", ()
        return super().filter(record)


class GunicornAccessFilter(logging.Filter):
    """gunicorn's access log: the path (and request line) without a PAKN tracking code."""

    def filter(self, record: logging.LogRecord) -> bool:
        atoms = record.args
        if isinstance(atoms, dict):
            for key in ("U", "r"):
                if isinstance(atoms.get(key), str):
                    atoms[key] = hide_codes(atoms[key])
        return True


def protect_gunicorn_access(access_log: logging.Logger) -> None:
    """Install the tracking-code filter on gunicorn's access logger (called from `hailong serve`)."""
    if not any(isinstance(f, GunicornAccessFilter) for f in access_log.filters):
        access_log.addFilter(GunicornAccessFilter())


def _protect(logger: logging.Logger, kind: type[PrivacyFilter] = PrivacyFilter) -> None:
    if not any(isinstance(f, PrivacyFilter) for f in logger.filters):
        logger.addFilter(kind())


def protect_gunicorn(error_log: logging.Logger) -> None:
    """Install the filter on gunicorn's error logger (called from `hailong serve`'s logger class)."""
    _protect(error_log, GunicornPrivacyFilter)


def configure(app: Flask) -> None:
    """Install the filter on the application's logger and on the libraries' loggers that see requests."""
    _protect(app.logger)
    for name in APP_LOGGERS:
        _protect(logging.getLogger(name))


__all__ = ["PrivacyFilter", "configure", "hide_codes", "protect_gunicorn", "protect_gunicorn_access",
           "traceback_without_messages"]

"""What every `hailong` command shares: one-line errors with the right exit status, and output files."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from flask_babel import gettext as _


def _show(message: str, file: IO[Any] | None) -> None:
    click.echo(_("Lỗi: %(message)s", message=message), file=file, err=file is None)


class CommandFailed(click.ClickException):
    """An action that failed (a file not written, a tool missing): one line on stderr, exit status 1."""

    exit_code = 1

    def show(self, file: IO[Any] | None = None) -> None:
        _show(self.format_message(), file)


class BadInput(click.UsageError):
    """Bad input (an option, a path, an environment variable): one line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file: IO[Any] | None = None) -> None:
        _show(self.format_message(), file)


class OutFile(click.ParamType):
    """A file to write: its folder must exist and be writable, checked before any work is done."""

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        path = Path(value)
        option = param.opts[0] if param is not None and param.opts else "--out"
        folder = path.parent
        if path.is_dir():
            raise BadInput(_("%(option)s: %(path)s là một thư mục; hãy cho tên tệp.", option=option, path=str(path)))
        if not folder.exists():
            raise BadInput(_("%(option)s: thư mục %(folder)s không tồn tại; hãy tạo thư mục trước hoặc chọn nơi khác.",
                             option=option, folder=str(folder)))
        if not folder.is_dir():
            raise BadInput(_("%(option)s: %(folder)s không phải thư mục.", option=option, folder=str(folder)))
        if not os.access(folder, os.W_OK | os.X_OK):
            raise BadInput(_("%(option)s: không có quyền ghi vào thư mục %(folder)s.", option=option,
                             folder=str(folder)))
        return path


OUT_FILE = OutFile()


def write_failed(path: Path, exc: OSError) -> CommandFailed:
    """One line for a file that could not be written (the system's reason, never a traceback)."""
    return CommandFailed(_("Không ghi được tệp %(path)s: %(error)s", path=str(path),
                           error=exc.strerror or type(exc).__name__))


@contextmanager
def output_file(path: Path) -> Iterator[Path]:
    """A temporary file beside `path`, renamed into place when the block succeeds and removed when it fails.

    A half-written export or PDF is never left under the final name; an OSError becomes one line (exit 1).
    """
    part = path.with_name(f".{path.name}.part")
    try:
        yield part
        os.replace(part, path)
    except OSError as exc:
        raise write_failed(path, exc) from None
    finally:
        part.unlink(missing_ok=True)

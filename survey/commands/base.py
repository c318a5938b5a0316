"""What every `hailong` command shares: one-line errors with the right exit status, output files, the ward, the actor.

One way to fail: `BadInput` (a click.UsageError, exit status 2) when an argument or option is wrong — malformed,
or naming nothing that exists (an unknown point, account or ward); `CommandFailed` (a click.ClickException, exit
status 1) when the command was well formed but the action could not be done (a code already taken, a file's
contents refused, a file not written, the database refusing). Either prints one line, "Lỗi: …", on stderr.
"""

from __future__ import annotations

import os
import pwd
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click
from flask_babel import gettext as _

from hailong.forms.questionnaire import KINDS

from ..models import Organisation
from ..services import audit
from ..services import points as point_svc


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

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(f"{option}: {message}" if option else message)

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


def cli_actor() -> str:
    """The audit log's actor for a command: "cli:" and the system account running it (its effective user id).

    The effective user, not $USER, which the caller can set to anything; office user names hold no ":".
    """
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:  # a container's user without a passwd entry
        name = f"uid-{uid}"
    return f"cli:{name}"


def check_kind(kind: str, option: str = "--kind") -> str:
    """A service kind as typed, or BadInput listing the kinds."""
    if kind not in KINDS:
        raise BadInput(f"{_('Loại điểm không hợp lệ.')} ({', '.join(KINDS)})", option=option)
    return kind


#: `--ward CODE` for commands whose work belongs to one ward; resolve it with `ward_of()`.
ward_option = click.option("--ward", "ward_code", metavar="CODE",
                           help="The ward's code (default: the only ward in the database).")


def ward_of(code: str | None) -> Organisation:
    """The ward named by --ward, or the only ward when the option is left out: the one resolver of every command.

    With more than one ward in the database the option is required (one line listing the codes). The audit
    events of the command are filed under the ward found.
    """
    ward = _resolve_ward(code)
    audit.use_ward(ward.id)
    return ward


def _resolve_ward(code: str | None) -> Organisation:
    wards = point_svc.wards()
    if code is not None:
        for ward in wards:
            if ward.code == code.strip():
                return ward
        raise BadInput(_("Không có phường “%(code)s” (có: %(codes)s).", code=code,
                         codes=", ".join(w.code for w in wards) or "-"), option="--ward")
    if not wards:
        raise CommandFailed(_("Chưa có phường trong hệ thống; hãy chạy `hailong init`."))
    if len(wards) > 1:
        raise BadInput(_("Cơ sở dữ liệu có %(n)s phường (%(codes)s); hãy chọn một bằng --ward.", n=len(wards),
                         codes=", ".join(w.code for w in wards)), option="--ward")
    return wards[0]

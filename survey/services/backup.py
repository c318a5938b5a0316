"""Online backup and restore: SQLite through its backup API, PostgreSQL through pg_dump/pg_restore.

SQLite: the backup copies the whole database in one step of the backup API, which reads one consistent
snapshot while WAL lets citizens keep submitting; the copy is checked with PRAGMA integrity_check and
renamed into place only when whole. PostgreSQL: `pg_dump --format=custom` (a consistent snapshot too) and
`pg_restore --clean --if-exists --single-transaction`; both need the PostgreSQL client tools on PATH.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import URL

from ..extensions import db
from ..models import Submission


class BackupError(Exception):
    """A backup or restore was refused or failed; the message is for the user."""


@dataclass(frozen=True)
class Result:
    #: Responses in the backup (for PostgreSQL: counted just before the dump started).
    responses: int


def backup(url: URL, out: Path, force: bool = False) -> Result:
    """Write a consistent copy of the database at `url` to `out`."""
    if out.exists() and not force:
        raise BackupError(_("Tệp %(path)s đã có. Dùng --force để ghi đè.", path=str(out)))
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _backup_sqlite(_sqlite_path(url), out)
    if backend == "postgresql":
        return _pg_dump(url, out)
    raise BackupError(_("Chưa hỗ trợ sao lưu cơ sở dữ liệu loại %(kind)s.", kind=backend))


def restore(engine: Engine, file: Path, force: bool = False) -> Result:
    """Replace the database behind `engine` with a backup, after checking the backup."""
    backend = engine.url.get_backend_name()
    if backend == "sqlite":
        engine.dispose()
        return _restore_sqlite(file, _sqlite_path(engine.url), force)
    if backend == "postgresql":
        return _pg_restore(engine, file, force)
    raise BackupError(_("Chưa hỗ trợ khôi phục cơ sở dữ liệu loại %(kind)s.", kind=backend))


# --- SQLite -------------------------------------------------------------------------------------


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
        raise BackupError(_("Chỉ sao lưu được cơ sở dữ liệu SQLite nằm trong một tệp."))
    return Path(url.database)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def check_sqlite(path: Path) -> int:
    """Integrity-check an SQLite file that should hold a Hài Lòng database; returns its response count."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            (status,) = conn.execute("PRAGMA integrity_check").fetchone()
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if status != "ok":
                raise BackupError(_("Tệp %(path)s bị hỏng (%(status)s).", path=str(path), status=status))
            if not {"responses", "answers", "alembic_version"} <= tables:
                raise BackupError(_("Tệp %(path)s không phải bản sao lưu của Hài Lòng.", path=str(path)))
            return int(conn.execute("SELECT count(*) FROM responses").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise BackupError(_("Tệp %(path)s không phải cơ sở dữ liệu SQLite hợp lệ (%(error)s).",
                            path=str(path), error=str(exc))) from None


def _backup_sqlite(source: Path, out: Path) -> Result:
    if not source.exists():
        raise BackupError(_("Không thấy cơ sở dữ liệu %(path)s.", path=str(source)))
    if out.resolve() == source.resolve():
        raise BackupError(_("Không thể sao lưu đè lên chính cơ sở dữ liệu đang dùng."))
    part = out.with_name(out.name + ".part")
    part.unlink(missing_ok=True)
    try:
        with closing(_connect(source)) as src, closing(_connect(part)) as dst:
            # pages=-1: the whole database in one step, so one read snapshot (writers continue under WAL).
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
        count = check_sqlite(part)
        with part.open("rb") as fh:
            os.fsync(fh.fileno())
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return Result(count)


def _restore_sqlite(file: Path, target: Path, force: bool) -> Result:
    if file.resolve() == target.resolve():
        raise BackupError(_("Tệp sao lưu chính là cơ sở dữ liệu đang dùng."))
    expected = check_sqlite(file)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(_("Cơ sở dữ liệu %(path)s đã có dữ liệu. Dùng --force để thay bằng bản sao lưu.",
                            path=str(target)))
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as src, closing(_connect(target)) as dst:
        # The backup API replaces the target's pages under its lock; other connections see old or new, whole.
        src.backup(dst, pages=-1)
    restored = check_sqlite(target)
    if restored != expected:
        raise BackupError(_("Khôi phục không khớp: %(a)s phiếu thay vì %(b)s.", a=restored, b=expected))
    return Result(restored)


# --- PostgreSQL ---------------------------------------------------------------------------------


def _pg_env(url: URL) -> dict[str, str]:
    """Connection settings as libpq variables, so the password never shows in the process list."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value not in (None, ""):
            env[key] = str(value)
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(_("Không tìm thấy lệnh %(tool)s. Cài gói postgresql-client (cùng phiên bản máy chủ) "
                            "rồi chạy lại.", tool=name))
    return path


def _pg_dump(url: URL, out: Path) -> Result:
    tool = _pg_tool("pg_dump")
    count = int(db.session.scalar(select(func.count(Submission.id))) or 0)
    part = out.with_name(out.name + ".part")
    try:
        done = subprocess.run([tool, "--format=custom", "--no-owner", "--file", str(part)],
                              env=_pg_env(url), capture_output=True, text=True, timeout=3600, check=False)
        if done.returncode != 0:
            raise BackupError(_("pg_dump lỗi: %(error)s", error=done.stderr.strip()[-500:]))
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return Result(count)


def _pg_restore(engine: Engine, file: Path, force: bool) -> Result:
    tool = _pg_tool("pg_restore")
    listing = subprocess.run([tool, "--list", str(file)], capture_output=True, text=True, timeout=600, check=False)
    if listing.returncode != 0 or " TABLE public responses " not in listing.stdout:
        raise BackupError(_("Tệp %(path)s không phải bản sao lưu PostgreSQL của Hài Lòng.", path=str(file)))
    with engine.connect() as conn:
        has_data = conn.execute(select(func.count(Submission.id))).scalar_one() > 0
    if has_data and not force:
        raise BackupError(_("Cơ sở dữ liệu đã có dữ liệu. Dùng --force để thay bằng bản sao lưu."))
    engine.dispose()
    done = subprocess.run([tool, "--clean", "--if-exists", "--no-owner", "--single-transaction",
                           "--exit-on-error", "--dbname", str(engine.url.database), str(file)],
                          env=_pg_env(engine.url), capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        raise BackupError(_("pg_restore lỗi: %(error)s", error=done.stderr.strip()[-500:]))
    with engine.connect() as conn:
        return Result(int(conn.execute(select(func.count(Submission.id))).scalar_one()))

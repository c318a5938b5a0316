"""The wheel as an operator installs it: build, install into a fresh venv outside the checkout, and use it.

    python scripts/wheel_smoke.py [--pg postgresql://postgres@127.0.0.1:5432/test] [--keep]

Steps: copy the checkout's files (tracked and new, not ignored) to a temporary folder and build the wheel there
(`pip wheel --no-deps`, so the checkout gets no build/ or stale files), create a fresh venv under $TMPDIR and
install the wheel with pip (its cache and the package registries only), then from a folder outside the checkout,
on SQLite (the default database in the default per-user folder, $XDG_DATA_HOME/hailong) and, with --pg, on a
separate PostgreSQL database `<db>_wheel` (created and dropped here, instance folder from HAILONG_INSTANCE_PATH):
`hailong init --demo`, `hailong serve` on a free port, a citizen's GET and POST of a form (hidden fields parsed from
the served HTML), the thank-you page, one more stored row (`hailong responses export` before and after), and
`hailong report` for the last full quarter (a PDF with pages). Exit status 0 when all passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

CHECKOUT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()


class SmokeFailed(Exception):
    """A step did not do what an operator expects."""


def step(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {message}", flush=True)


def run(args: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: int = 300) -> str:
    """Run a command; its output on failure, stdout on success."""
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise SmokeFailed(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- build and install ---------------------------------------------------------------------------


def source_copy(target: Path) -> Path:
    """The checkout's files as git sees them (tracked or new, never ignored ones such as .venv, build/, *.mo)."""
    listed = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=CHECKOUT)
    for name in filter(None, listed.split("\0")):
        source = CHECKOUT / name
        if source.is_file():  # a tracked file deleted in the work tree is not part of the build
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


def build_and_install(tmp: Path) -> Path:
    """Build the wheel and install it into a fresh venv; return the venv's bin folder."""
    src = source_copy(tmp / "src")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp / "dist"), str(src)], cwd=tmp)
    wheel = next((tmp / "dist").glob("hailong-*.whl"))
    step(f"built {wheel.name} ({wheel.stat().st_size // 1024} kB)")
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(tmp / "venv")], cwd=tmp)
    bindir = tmp / "venv" / "bin"
    # --no-compile: byte-compiling pandas and the rest would double the install time; imports compile what they use.
    run([str(bindir / "python"), "-m", "pip", "install", "-q", "--no-compile", str(wheel)], cwd=tmp, timeout=600)
    step("installed into a fresh venv")
    where = run([str(bindir / "python"), "-c", "import hailong.survey as s, importlib.util as u; print(s.__file__); "
                 "print([n for n in ('survey', 'forms', 'analysis') if u.find_spec(n)])"], cwd=tmp).splitlines()
    if not Path(where[0]).is_relative_to(tmp / "venv") or where[1] != "[]":
        raise SmokeFailed(f"the installed package is not the wheel's, or generic names leaked: {where}")
    return bindir


# --- a citizen -------------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The fields of the page's form, filled as a hurried citizen would: every rating 4, every first choice."""

    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "form" and a.get("method", "").lower() == "post":
            self.action = a.get("action", "")
        elif tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "hidden" or (kind == "radio" and (name not in self.fields or a.get("value") == "4")):
                self.fields[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and a.get("value") and self._select not in self.fields:
            self.fields[self._select] = a["value"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(bindir: Path, cwd: Path, env: dict[str, str], port: int) -> Iterator[str]:
    """`hailong serve` on the port until the block ends; the base URL once it answers."""
    log = (cwd / "serve.log").open("w")
    proc = subprocess.Popen([str(bindir / "hailong"), "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1"], cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise SmokeFailed(f"hailong serve exited {proc.returncode}:\n{(cwd / 'serve.log').read_text()}")
            try:
                with urllib.request.urlopen(base + "/", timeout=5):  # noqa: S310 (our own server on loopback)
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SmokeFailed("hailong serve did not answer within 60 s") from None
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


def citizen(base: str, code: str) -> None:
    """Open a point's form, answer it and check the thank-you page, with cookies like a phone's browser."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(f"{base}/s/{code}", timeout=30) as page:
        html = page.read().decode("utf-8")
    form = FormReader()
    form.feed(html)
    if "submission_key" not in form.fields or "csrf_token" not in form.fields:
        raise SmokeFailed("the served form has no CSRF token or submission key")
    # The paged form's first page holds the overall question; "Gửi luôn" (go=send) stores what is answered so far.
    body = urllib.parse.urlencode({**form.fields, "overall": "5", "go": "send"}).encode()
    with opener.open(urllib.parse.urljoin(f"{base}/s/{code}", form.action), data=body, timeout=30) as answer:
        thanks = answer.read().decode("utf-8")
        if answer.status != 200 or "Cảm ơn Ông/Bà" not in thanks:
            raise SmokeFailed(f"no thank-you page after the POST (status {answer.status}, {answer.url})")
    # The English catalogue is compiled into the wheel: a visitor who picks English reads it.
    with opener.open(f"{base}/s/{code}?lang=en", timeout=30) as page:
        if ">Send now</button>" not in page.read().decode("utf-8"):
            raise SmokeFailed("the form in English has no “Send now” button: the wheel's catalogue was not found")
    step(f"citizen: GET /s/{code}, POST {len(form.fields)} fields, thank-you page; the form in English")


# --- one database ----------------------------------------------------------------------------------


def stored(database: str) -> int:
    """Responses stored in the database (a SQLite file's path, or a PostgreSQL URL)."""
    query = "SELECT count(*) FROM responses"
    if database.startswith("postgresql"):
        import psycopg

        with psycopg.connect(database) as conn:
            row = conn.execute(query).fetchone()
    else:
        import sqlite3

        with closing(sqlite3.connect(database)) as conn:
            row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0


def last_full_quarter() -> str:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    quarter = (today.month - 1) // 3
    return f"{today.year - 1}-Q4" if quarter == 0 else f"{today.year}-Q{quarter}"


def pdf_pages(path: Path) -> int:
    data = path.read_bytes()
    if not data.startswith(b"%PDF-"):
        raise SmokeFailed(f"{path} is not a PDF")
    try:
        from pypdf import PdfReader
    except ImportError:  # outside the test venv: poppler's pdfinfo
        info = run(["pdfinfo", str(path)], cwd=path.parent)
        return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    return len(PdfReader(path).pages)


def use(bindir: Path, cwd: Path, env: dict[str, str], database: str, label: str) -> None:
    """What an operator and a citizen do with a new install, on the database `env` names (`database` to count)."""
    cwd.mkdir(parents=True)
    port = free_port()
    env = {**env, "HAILONG_BASE_URL": f"http://127.0.0.1:{port}",
           # The smoke citizen answers at machine speed; the row must count, not be flagged as too fast.
           "HAILONG_MIN_FILL_SECONDS": "0"}
    hailong = str(bindir / "hailong")
    out = run([hailong, "init", "--demo"], cwd=cwd, env=env)
    if "Demo:" not in out:
        raise SmokeFailed(f"hailong init --demo said:\n{out}")
    step(f"{label}: hailong init --demo: {out.splitlines()[1]}")
    before = stored(database)
    with server(bindir, cwd, env, port) as base:
        citizen(base, "mc-1")
    after = stored(database)
    if after != before + 1:
        raise SmokeFailed(f"{label}: {before} stored responses before the POST and {after} after, not one more")
    step(f"{label}: one more stored response ({before} → {after})")
    period = last_full_quarter()
    run([hailong, "report", "--period", period, "--out", "bao-cao.pdf"], cwd=cwd, env=env)
    pages = pdf_pages(cwd / "bao-cao.pdf")
    if pages < 2:
        raise SmokeFailed(f"{label}: the {period} report has {pages} page(s)")
    step(f"{label}: hailong report --period {period}: a PDF of {pages} pages")


def base_env(tmp: Path) -> dict[str, str]:
    """The caller's environment without any HAILONG_* or Python path that could point back at the checkout."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HAILONG_", "PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and not Path(p).resolve().is_relative_to(CHECKOUT))
    env["XDG_DATA_HOME"] = str(tmp / "xdg")
    return env


@contextmanager
def pg_database(url: str) -> Iterator[str]:
    """A fresh database `<db>_wheel` beside the one `url` names, dropped afterwards."""
    import psycopg
    from psycopg import sql

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/") + "_wheel"
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres", scheme="postgresql"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urllib.parse.urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def scratch() -> str | None:
    """$TMPDIR when set, else RAM-backed /dev/shm where there is one: the venv is ~370 MB written and removed."""
    if os.environ.get("TMPDIR"):
        return None
    shm = Path("/dev/shm")  # noqa: S108 (a private folder inside it, from mkdtemp)
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="a PostgreSQL URL; the smoke test uses the database <its name>_wheel")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (printed)")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hailong-wheel-", dir=scratch()))
    if tmp.resolve().is_relative_to(CHECKOUT):
        raise SystemExit("TMPDIR is inside the checkout: the smoke test must run outside it")
    try:
        bindir = build_and_install(tmp)
        env = base_env(tmp)
        # The default database: hailong.db in the default instance folder, $XDG_DATA_HOME/hailong.
        default_db = tmp / "xdg" / "hailong" / "hailong.db"
        use(bindir, tmp / "sqlite", env, str(default_db), "SQLite")
        if not (default_db.parent / "secret_key").is_file():
            raise SmokeFailed(f"the default instance folder {default_db.parent} has no secret key")
        step("SQLite: database and secret key in the default folder $XDG_DATA_HOME/hailong")
        if options.pg:
            with pg_database(options.pg) as url:
                instance = tmp / "pg-instance"
                use(bindir, tmp / "postgresql", {**env, "HAILONG_DATABASE_URL": url,
                                                  "HAILONG_INSTANCE_PATH": str(instance)}, url, "PostgreSQL")
                if not (instance / "secret_key").is_file():
                    raise SmokeFailed("HAILONG_INSTANCE_PATH was not used for the secret key")
            step("PostgreSQL: secret key in HAILONG_INSTANCE_PATH; database dropped")
    except (SmokeFailed, subprocess.TimeoutExpired) as exc:
        print(f"wheel smoke test FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if options.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    step("wheel smoke test passed (cleaned up)")
    return 0


if __name__ == "__main__":
    sys.exit(main())


"""Load bench: distinct respondents against `hailong serve --workers 2` (SQLite, PostgreSQL) and a bare baseline.

    .venv/bin/python -m bench.load                      # 5,000 journeys at 32 concurrent on each target
    .venv/bin/python -m bench.load --journeys 1000 --targets baseline,sqlite
    .venv/bin/python -m bench.load --school             # the simulation behind the submission rate limit

A journey is one respondent with its own cookie jar: GET the form, read its CSRF token and hidden fields,
POST a full valid answer, follow the 303 to the thank-you page. After the run the bench checks that the
database holds exactly one new response per journey and that the client saw no error.

Both servers run 2 gunicorn workers with --threads threads each (default 1, `hailong serve`'s default: gunicorn's
sync worker; more threads use gunicorn's gthread worker for both).

The targets run side by side and take turns in --rounds rounds, so a busy moment of a shared machine
hits each of them. Rate-limit counters live in Redis (database 13 of 127.0.0.1:6379, cleared afterwards)
when it answers, as in a multi-worker deployment; --no-redis keeps them in each worker's memory.

Only 127.0.0.1 is ever contacted. Every respondent comes from 127.0.0.1, so the bench raises the
per-address submission limit (HAILONG_RATELIMIT_SUBMIT) for its servers; the per-browser daily mark does not
touch distinct respondents. It also sets HAILONG_MIN_FILL_SECONDS=0: its respondents answer instantly,
and would otherwise all be stored flagged "too fast" (stored all the same).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "load"
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
POINT = "mc-1"
SECRET = "bench-secret-key-not-for-production"
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
PG_DB = "hailong_w6_load"
#: Threads per gunicorn worker, for both servers: `hailong serve`'s default (survey/commands/setup.py).
THREADS = 1
#: Rate-limit storage shared by the two workers, as in production; a database number of its own.
REDIS_URL = "redis://127.0.0.1:6379/13"
SERVER_ENV = {
    "HAILONG_SECRET_KEY": SECRET,
    "HAILONG_RATELIMIT_SUBMIT": "1000000 per minute",
    "HAILONG_MIN_FILL_SECONDS": "0",
    "HAILONG_BASE_URL": "http://127.0.0.1",
}

HIDDEN_RE = re.compile(r'<input[^>]*name="(csrf_token|submission_key|started|t)"[^>]*value="([^"]*)"')
HIDDEN_RE2 = re.compile(r'<input[^>]*value="([^"]*)"[^>]*name="(csrf_token|submission_key|started|t)"')

STATEMENTS = [
    "access__seating", "access__equipment_adequate", "access__equipment_modern", "access__equipment_easy",
    "procedure__posted_complete", "procedure__posted_accurate", "procedure__documents_lawful",
    "procedure__fees_lawful", "procedure__time_lawful", "staff__polite", "staff__listens", "staff__answers_fully",
    "staff__guides_thorough", "staff__guides_clear", "staff__follows_rules", "result__lawful", "result__complete",
    "result__accurate", "feedback__channel", "feedback__easy", "feedback__handled", "feedback__notified",
]


def answers(rng: random.Random) -> list[tuple[str, str]]:
    """A full, valid onestop answer: every statement, overall, the assessment, expectations, profile, comment."""
    pairs = [(name, rng.choice(["5", "5", "4", "4", "4", "3", "2", "1", "na"])) for name in STATEMENTS]
    pairs += [
        ("overall", rng.choice(["5", "4", "3"])), ("visits", rng.choice(["one", "two"])),
        ("on_time", "yes"), ("extra_payment", "no"), ("harassment", "no"), ("channel_submit", "in_person"),
        ("field", "tu_phap_ho_tich"), ("expect", "more_online"), ("expect", "shorter_time"),
        ("gender", rng.choice(["male", "female"])), ("comment", "Cán bộ hướng dẫn tận tình, cảm ơn."),
    ]
    return pairs


# --- client -------------------------------------------------------------------------------------


class JourneyError(Exception):
    pass


@dataclass
class Outcome:
    ok: bool
    latencies: list[tuple[str, float]] = field(default_factory=list)
    total: float = 0.0
    submission_key: str | None = None
    posted_ok: bool = False
    error: str | None = None
    retried: int = 0
    retried_what: list[str] = field(default_factory=list)


def _request(port: int, method: str, path: str, cookies: dict[str, str], body: bytes | None = None,
             gzip: bool = False) -> tuple[int, dict[str, str], bytes, float]:
    if HOST != "127.0.0.1":
        raise RuntimeError("the bench only talks to 127.0.0.1")
    headers = {"User-Agent": "hailong-bench", "Accept": "text/html"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        elapsed = time.perf_counter() - start
        for raw in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = raw.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed
    finally:
        conn.close()


def hidden_fields(html: str) -> dict[str, str]:
    found = {name: value for name, value in HIDDEN_RE.findall(html)}
    found.update({name: value for value, name in HIDDEN_RE2.findall(html)})
    return found


def journey(port: int, seed: int, gzip: bool = False, on_posted: Callable[[str], None] | None = None,
            retries: int = 0) -> Outcome:
    """One respondent: GET the form, POST a full answer, GET the thank-you page.

    With `retries`, a request that failed (connection lost, 5xx) is sent again, as a person taps again;
    a retried POST carries the same submission key, so it must not store a second response.
    """
    import gzip as gz

    rng = random.Random(seed)
    cookies: dict[str, str] = {}
    out = Outcome(ok=False)
    start = time.perf_counter()

    def send(label: str, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        for attempt in range(retries + 1):
            try:
                status, headers, data, t = _request(port, method, path, cookies, body, gzip=gzip)
            except (OSError, http.client.HTTPException):
                if attempt == retries:
                    raise
                out.retried += 1
                out.retried_what.append(label)
                time.sleep(0.2)
                continue
            out.latencies.append((label, t))
            if status >= 500 and attempt < retries:
                out.retried += 1
                out.retried_what.append(f"{label} ({status})")
                time.sleep(0.2)
                continue
            return status, headers, data
        raise AssertionError("unreachable")

    try:
        status, headers, body = send("GET form", "GET", f"/s/{POINT}")
        if status != 200:
            raise JourneyError(f"GET form: {status}")
        if headers.get("content-encoding") == "gzip":
            body = gz.decompress(body)
        fields = hidden_fields(body.decode("utf-8"))
        if "csrf_token" not in fields or "submission_key" not in fields:
            raise JourneyError("form without csrf_token/submission_key")
        out.submission_key = fields["submission_key"]
        payload = urlencode(list(fields.items()) + answers(rng)).encode()
        status, headers, _ = send("POST answer", "POST", f"/s/{POINT}", payload)
        location = headers.get("location", "")
        thanks = urlsplit(location)  # "/s/<code>/cam-on", with "?low=1" after a low score (the PAKN offer)
        if status != 303 or not thanks.path.endswith("/cam-on"):
            raise JourneyError(f"POST: {status} {location}")
        out.posted_ok = True
        if on_posted:
            on_posted(out.submission_key)
        status, _, _ = send("GET thanks", "GET", thanks.path + (f"?{thanks.query}" if thanks.query else ""))
        if status != 200:
            raise JourneyError(f"GET thanks: {status}")
        out.ok = True
    except (OSError, http.client.HTTPException, JourneyError, UnicodeDecodeError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.total = time.perf_counter() - start
    return out


@dataclass
class RunResult:
    name: str
    journeys: int
    seconds: float
    outcomes: list[Outcome]

    @property
    def errors(self) -> int:
        return sum(not o.ok for o in self.outcomes)

    @property
    def rate(self) -> float:
        return self.journeys / self.seconds

    def percentiles(self, kind: str | None = None) -> dict[str, float]:
        if kind == "journey":
            values = [o.total for o in self.outcomes if o.ok]
        else:
            values = [t for o in self.outcomes for k, t in o.latencies if kind is None or k == kind]
        return pct(values)


def pct(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": math.nan, "p95": math.nan, "p99": math.nan, "max": math.nan}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))] * 1000

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": ordered[-1] * 1000}


def run_load(name: str, port: int, journeys: int, concurrency: int, gzip: bool = False, seed0: int = 0,
             on_posted: Callable[[str], None] | None = None,
             during: Callable[[Callable[[], int]], None] | None = None, retries: int = 0) -> RunResult:
    """Run `journeys` respondents, `concurrency` at a time; `during` runs alongside with a progress counter."""
    done = [0]
    lock = threading.Lock()

    def one(i: int) -> Outcome:
        outcome = journey(port, seed0 + i, gzip=gzip, on_posted=on_posted, retries=retries)
        with lock:
            done[0] += 1
        return outcome

    side: threading.Thread | None = None
    if during is not None:
        side = threading.Thread(target=during, args=(lambda: done[0],), daemon=True)
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        if side:
            side.start()
        outcomes = list(pool.map(one, range(journeys)))
    seconds = time.perf_counter() - start
    if side:
        side.join(timeout=60)
    return RunResult(name, journeys, seconds, outcomes)


# --- servers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class Server:
    """A gunicorn server started by the bench in its own process group; stopped by its own pid."""

    def __init__(self, name: str, argv: list[str], port: int, env: dict[str, str], log: Path):
        self.name, self.port = name, port
        self.log = log.open("wb")
        self.proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=ROOT, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log.name}")
            try:
                status, *_ = _request(self.port, "GET", f"/s/{POINT}", {})
                if status == 200 and len(self.workers()) >= 2:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout:.0f}s")

    def workers(self) -> list[int]:
        """Pids of the gunicorn workers (children of the master this bench started)."""
        try:
            text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        return [int(p) for p in text.split()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)  # our own process group only
                self.proc.wait(timeout=10)
        self.log.close()


def redis_available(url: str = REDIS_URL) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:
        return False


def clear_redis(url: str = REDIS_URL) -> None:
    """Drop the rate-limit counters the bench's servers left (only Flask-Limiter's keys, only in its db)."""
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter("LIMITS:*"):
        client.delete(key)


def hailong_env(db_url: str, redis_url: str = "") -> dict[str, str]:
    return {**SERVER_ENV, "HAILONG_DATABASE_URL": db_url, "HAILONG_REDIS_URL": redis_url}


def prepare_hailong_db(db_url: str) -> None:
    """A fresh, migrated database with the questionnaires, the ward and the demo points (no responses)."""
    if db_url.startswith("postgresql"):
        import psycopg

        base, _, name = db_url.rpartition("/")
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(db_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    code = (
        "from flask_migrate import upgrade\n"
        "from hailong.survey import create_app\n"
        "from hailong.survey.extensions import db\n"
        "from hailong.survey.services import points, questionnaires\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    upgrade(directory=app.extensions['migrate'].directory)\n"
        "    questionnaires.sync()\n"
        "    org = points.ensure_organisation('an-tuong', 'Phường An Tường', 'Tuyên Quang')\n"
        "    points.ensure_demo_points(org)\n"
        "    db.session.commit()\n"
    )
    # A separate process, so this one never holds a connection or a Flask app of its own.
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **hailong_env(db_url)}, cwd=ROOT, check=True,
                   capture_output=True)


def start_hailong(db_url: str, tag: str, redis_url: str = "", threads: int = THREADS) -> Server:
    port = free_port()
    argv = [str(VENV_BIN / "hailong"), "serve", "--host", HOST, "--port", str(port), "--workers", "2",
            "--threads", str(threads)]
    return Server(f"hailong ({tag})", argv, port, hailong_env(db_url, redis_url), OUT / f"hailong-{tag}.log")


def start_baseline(db_path: Path, form_html: str, threads: int = THREADS) -> Server:
    form_file = OUT / "baseline-form.html"
    form_file.write_text(form_html, encoding="utf-8")
    db_path.unlink(missing_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "bench.baseline_app", "--port", str(port), "--db", str(db_path),
            "--form", str(form_file), "--threads", str(threads)]
    return Server("baseline", argv, port, {}, OUT / "baseline.log")


def count_responses(db_url: str, table: str = "responses") -> int:
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 (constant name)
            return int(row[0]) if row else 0
    import sqlite3

    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=30)
    try:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608
    finally:
        conn.close()


def stored_keys(db_url: str, table: str = "responses") -> list[str]:
    query = f"SELECT submission_key FROM {table}"  # noqa: S608 (constant name)
    if db_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(db_url) as conn:
            return [r[0] for r in conn.execute(query).fetchall()]
    import sqlite3

    conn = sqlite3.connect(db_url.removeprefix("sqlite:///"), timeout=30)
    try:
        return [r[0] for r in conn.execute(query).fetchall()]
    finally:
        conn.close()


# --- the run ------------------------------------------------------------------------------------


@dataclass
class TargetReport:
    name: str
    result: RunResult
    before: int
    after: int

    @property
    def new(self) -> int:
        return self.after - self.before

    def as_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "target": self.name, "journeys": r.journeys, "seconds": round(r.seconds, 2),
            "journeys_per_s": round(r.rate, 1), "errors": r.errors, "new_rows": self.new,
            "request_ms": {k: round(v, 1) for k, v in r.percentiles().items()},
            "post_ms": {k: round(v, 1) for k, v in r.percentiles("POST answer").items()},
            "get_form_ms": {k: round(v, 1) for k, v in r.percentiles("GET form").items()},
            "journey_ms": {k: round(v, 1) for k, v in r.percentiles("journey").items()},
            "first_errors": [o.error for o in r.outcomes if o.error][:5],
        }


def print_report(reports: list[TargetReport], concurrency: int) -> None:
    print(f"\n{'target':<20} {'journeys':>8} {'s':>7} {'j/s':>7} {'errors':>6} {'new rows':>8}   "
          f"{'request ms p50/p95/p99':>24}   {'POST ms p50/p95/p99':>21}   {'journey ms p50/p95/p99':>22}")
    for rep in reports:
        r = rep.result
        req, post, jour = r.percentiles(), r.percentiles("POST answer"), r.percentiles("journey")
        print(f"{rep.name:<20} {r.journeys:>8} {r.seconds:>7.1f} {r.rate:>7.1f} {r.errors:>6} {rep.new:>8}   "
              f"{req['p50']:>6.1f}/{req['p95']:>6.1f}/{req['p99']:>6.1f}     "
              f"{post['p50']:>6.1f}/{post['p95']:>6.1f}/{post['p99']:>6.1f}    "
              f"{jour['p50']:>6.1f}/{jour['p95']:>6.1f}/{jour['p99']:>6.1f}")
    base = next((r for r in reports if r.name == "baseline"), None)
    if base:
        for rep in reports:
            if rep is not base:
                print(f"ratio {rep.name} / baseline: {rep.result.rate / base.result.rate:.2f}"
                      f"  (at {concurrency} concurrent respondents)")


def school(trials: int = 500, seed: int = 6) -> None:
    """Busiest minute of submissions when a school's parents scan together and share one address."""
    rng = random.Random(seed)
    print("Parents scan within 2 minutes, fill in for a log-normal time (median 3 min, sigma 0.6);")
    print("submissions in the busiest fixed 1-minute window, over", trials, "meetings:")
    for n in (100, 300, 600, 1000, 1500):
        peaks = []
        for _ in range(trials):
            offset = rng.uniform(0, 60)
            minutes: dict[int, int] = {}
            for _ in range(n):
                t = rng.uniform(0, 120) + math.exp(rng.gauss(math.log(180), 0.6)) + offset
                minutes[int(t // 60)] = minutes.get(int(t // 60), 0) + 1
            peaks.append(max(minutes.values()))
        peaks.sort()
        print(f"  {n:>5} parents: median {statistics.median(peaks):>5.0f}  p99 {peaks[int(0.99 * trials)]:>5}"
              f"  max {peaks[-1]:>5}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5, help="turns each target takes (interleaved)")
    parser.add_argument("--targets", default="baseline,sqlite,postgres")
    parser.add_argument("--pg-base", default=PG_BASE, help="PostgreSQL server URL (the bench creates its own DB)")
    parser.add_argument("--pg-db", default=PG_DB, help="name of the database the bench creates (and drops)")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="threads per gunicorn worker of both servers (1: gunicorn's sync worker)")
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip like a phone")
    parser.add_argument("--no-redis", action="store_true",
                        help="keep rate-limit counters in each worker's memory instead of Redis")
    parser.add_argument("--school", action="store_true", help="only print the rate-limit simulation")
    args = parser.parse_args()
    if args.school:
        school()
        return 0
    if not 1 <= args.journeys <= 100_000 or not 1 <= args.concurrency <= 256 or not 1 <= args.rounds <= 50:
        parser.error("journeys 1..100000, concurrency 1..256, rounds 1..50")
    if urlsplit(args.pg_base).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the bench only uses a local PostgreSQL")
    OUT.mkdir(parents=True, exist_ok=True)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    redis_url = "" if args.no_redis or not redis_available() else REDIS_URL
    print(f"rate-limit storage: {redis_url or 'memory (per worker)'}", flush=True)
    reports: list[TargetReport] = []
    ok = True

    sqlite_url = f"sqlite:///{OUT / 'hailong.db'}"
    prepare_hailong_db(sqlite_url)
    server = start_hailong(sqlite_url, "form")
    try:
        status, _, form_html, _ = _request(server.port, "GET", f"/s/{POINT}", {})
    finally:
        server.stop()
    assert status == 200

    # All servers run side by side and take turns in rounds, so a busy moment of the machine hits each.
    servers: dict[str, tuple[Server, str]] = {}
    try:
        for target in targets:
            if target == "baseline":
                db_path = OUT / "baseline.db"
                servers[target] = (start_baseline(db_path, form_html.decode("utf-8"), args.threads),
                                   f"sqlite:///{db_path}")
            elif target in ("sqlite", "postgres"):
                url = sqlite_url if target == "sqlite" else f"{args.pg_base}/{args.pg_db}"
                prepare_hailong_db(url)
                servers[target] = (start_hailong(url, target, redis_url, args.threads), url)
            else:
                parser.error(f"unknown target {target}")
        before = {}
        for target, (server, url) in servers.items():
            if args.warmup:
                run_load(server.name, server.port, args.warmup, args.concurrency, gzip=args.gzip, seed0=10**6)
            before[target] = count_responses(url)
        per_round = [args.journeys // args.rounds + (1 if r < args.journeys % args.rounds else 0)
                     for r in range(args.rounds)]
        parts: dict[str, list[RunResult]] = {t: [] for t in servers}
        print(f"{args.journeys} journeys per target at {args.concurrency} concurrent, in {args.rounds} rounds "
              f"taking turns ({', '.join(servers)}), after {args.warmup} warm-up journeys each", flush=True)
        for r, n in enumerate(per_round):
            order = list(servers)[r % len(servers):] + list(servers)[:r % len(servers)]
            for target in order:
                server, _ = servers[target]
                part = run_load(server.name, server.port, n, args.concurrency, gzip=args.gzip, seed0=r * 100_000)
                parts[target].append(part)
                print(f"  round {r + 1}: {target:<9} {part.rate:7.1f} journeys/s", flush=True)
        for target, (server, url) in servers.items():
            result = RunResult(server.name, sum(p.journeys for p in parts[target]),
                               sum(p.seconds for p in parts[target]),
                               [o for p in parts[target] for o in p.outcomes])
            name = "baseline" if target == "baseline" else f"hailong-{target}"
            report = TargetReport(name, result, before[target], count_responses(url))
            reports.append(report)
            exact = report.new == args.journeys and result.errors == 0
            ok = ok and exact
            print(f"{name}: {report.new} new rows for {args.journeys} journeys; {result.errors} client errors"
                  f" -> {'OK' if exact else 'MISMATCH'}", flush=True)
    finally:
        for server, _ in servers.values():
            server.stop()
        if redis_url:
            clear_redis(redis_url)

    print_report(reports, args.concurrency)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"load-{stamp}.json").write_text(json.dumps([r.as_dict() for r in reports], indent=2), encoding="utf-8")
    print(f"details: {OUT / f'load-{stamp}.json'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Public page bench: GET /cong-khai from `hailong serve --workers 2` against a bare Flask app serving the same bytes.

    .venv/bin/python -m bench.public                      # the demo ward on SQLite, 20,000 requests per target
    .venv/bin/python -m bench.public --requests 5000 --concurrency 16 --rounds 3
    .venv/bin/python -m bench.public --size 100000        # also: the cold recompute on a 100k-response ward

Both targets run under gunicorn with the settings of `hailong serve` (2 sync workers, the same timeouts, an
access line per request on stdout) and take turns in rounds, so a busy moment of a shared machine hits both.
The baseline is a Flask app whose one view returns a static bytes string: the gzipped page that Hài Lòng sends,
with the same Content-Encoding. Every request asks for gzip, as a phone does.

It prints:
- requests per second of each target and their ratio (goal: hailong ≥ 0.5 × the baseline);
- the warm server time of GET /cong-khai, in-process (the WSGI app called with a prepared environ: request
  context, hooks, view and headers; no socket), median and p99, and gunicorn's request time from the access log;
- the client's latency p50 / p99 at the chosen concurrency, the page's weight, and whether the snapshot was
  recomputed during the load (it must not be: figures are computed once, then served).

Only 127.0.0.1 is contacted. The bench owns bench/out/public/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.load import HOST, VENV_BIN, Server, free_port, pct

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "public"
PATH = "/cong-khai"
SECRET = "bench-secret-key-not-for-production"
ACCESS_MS = re.compile(r'"GET /cong-khai HTTP/1\.[01]" 200 \d+ (\d+)ms')


# --- the baseline ----------------------------------------------------------------------------------------


def baseline_app(body: bytes) -> Any:
    from flask import Flask, Response

    app = Flask("baseline")

    @app.get(PATH)
    def page() -> Response:
        return Response(body, mimetype="text/html", headers={"Content-Encoding": "gzip"})

    return app


def serve_baseline(port: int, body_file: Path) -> None:
    """gunicorn with the settings of `hailong serve` (survey/cli.py), serving one static string."""
    from gunicorn.app.base import BaseApplication

    app = baseline_app(body_file.read_bytes())

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{HOST}:{port}")
            self.cfg.set("workers", 2)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", '"%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms')
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)

        def load(self) -> Any:
            return app

    _Server().run()


# --- the client ------------------------------------------------------------------------------------------


def get(port: int, path: str = PATH) -> tuple[int, dict[str, str], bytes, float]:
    if HOST != "127.0.0.1":
        raise RuntimeError("the bench only talks to 127.0.0.1")
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip", "User-Agent": "hailong-bench"})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data, time.perf_counter() - start
    finally:
        conn.close()


@dataclass
class Run:
    requests: int = 0
    seconds: float = 0.0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(port: int, requests: int, concurrency: int, into: Run) -> float:
    """`requests` GETs from `concurrency` threads; returns this part's rate."""
    left = [requests]
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def worker() -> None:
        while True:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            try:
                status, _, _, seconds = get(port)
            except (OSError, http.client.HTTPException):
                status, seconds = 0, 0.0
            with lock:
                if status == 200:
                    latencies.append(seconds)
                else:
                    errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    into.requests += requests
    into.seconds += seconds
    into.errors += errors[0]
    into.latencies.extend(latencies)
    return requests / seconds


# --- the database and the servers ------------------------------------------------------------------------


class PageServer(Server):
    """bench.load's gunicorn process, ready when GET /cong-khai answers and both workers are up."""

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}; see {self.log.name}")
            try:
                if get(self.port)[0] == 200 and len(self.workers()) >= 2:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer on port {self.port} within {timeout:.0f}s")


def env(url: str) -> dict[str, str]:
    return {"HAILONG_DATABASE_URL": url, "HAILONG_SECRET_KEY": SECRET, "HAILONG_BASE_URL": "http://127.0.0.1",
            "HAILONG_REDIS_URL": ""}


def demo_db() -> str:
    """A fresh demo ward (a year of synthetic responses, every kind published) in bench/out/public/demo.db."""
    path = OUT / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    subprocess.run([str(VENV_BIN / "hailong"), "init", "--demo"], env={**os.environ, **env(url)}, cwd=ROOT,
                   check=True, capture_output=True)
    return url


def snapshot_time(url: str) -> str | None:
    import sqlite3

    conn = sqlite3.connect(url.removeprefix("sqlite:///"), timeout=30)
    try:
        row = conn.execute("SELECT computed_at FROM public_snapshots").fetchone()
        return str(row[0]) if row else None
    finally:
        conn.close()


def server_ms(log: Path, skip: int) -> list[float]:
    """gunicorn's request times (whole ms) of GET /cong-khai in a log, after its first `skip` lines."""
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines()[skip:]
    return [float(m.group(1)) for line in lines if (m := ACCESS_MS.search(line))]


def log_lines(log: Path) -> int:
    return len(log.read_text(encoding="utf-8", errors="replace").splitlines())


# --- in-process ------------------------------------------------------------------------------------------


def in_process(url: str, count: int) -> dict[str, float]:
    """Warm server time of GET /cong-khai: the WSGI app called directly with a prepared environ."""
    os.environ.update(env(url))
    from werkzeug.test import EnvironBuilder

    from hailong.survey import create_app

    app = create_app()
    base = EnvironBuilder(path=PATH, headers={"Accept-Encoding": "gzip"}).get_environ()

    def call() -> int:
        status: list[str] = []
        body = app(dict(base), lambda s, h, e=None: status.append(s))
        size = sum(len(chunk) for chunk in body)
        if hasattr(body, "close"):
            body.close()
        assert status[0].startswith("200"), status
        return size

    start = time.perf_counter()
    call()  # cold: computes (or reads the shared copy) and renders once
    cold = time.perf_counter() - start
    for _ in range(200):
        call()
    times = []
    for _ in range(count):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    times.sort()
    return {"first_ms": cold * 1000, "median_ms": statistics.median(times) * 1000,
            "p99_ms": times[int(0.99 * len(times)) - 1] * 1000}


def cold_compute(size: int) -> dict[str, Any]:
    """Recompute time of the snapshot on a bench.build_db database of `size` onestop responses (a copy)."""
    from bench import build_db

    source = Path(build_db.build_sqlite(size))
    copy = OUT / f"onestop-{size}.db"
    shutil.copyfile(source, copy)
    url = f"sqlite:///{copy}"
    code = (
        "import json, sys, time\n"
        "from datetime import UTC, datetime\n"
        "from hailong.survey import create_app\n"
        "from hailong.survey.extensions import db\n"
        "from hailong.survey.models import Organisation\n"
        "from hailong.survey.services import publication\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    ward = db.session.query(Organisation).first()\n"
        "    publication.publish_all(ward.id, 'bench'); db.session.commit()\n"
        "    runs = []\n"
        "    for _ in range(3):\n"
        "        start = time.perf_counter()\n"
        "        marks = publication.probe(db.session.connection(), ward.id, None, datetime.now(UTC))\n"
        "        probe = time.perf_counter() - start\n"
        "        publication.compute(ward, datetime(2026, 12, 10, 3, tzinfo=UTC), marks)\n"
        "        runs.append((time.perf_counter() - start, probe))\n"
        "        start = time.perf_counter()\n"
        "        publication.probe(db.session.connection(), ward.id, marks, datetime.now(UTC))\n"
        "        runs[-1] = runs[-1] + (time.perf_counter() - start,)\n"
        "        db.session.rollback()\n"
        "    print(json.dumps({'compute_s': min(r[0] for r in runs), 'first_probe_ms': 1000 * min(r[1] for r in runs),"
        " 'warm_probe_ms': 1000 * min(r[2] for r in runs)}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env(url)}, cwd=ROOT, check=True,
                          capture_output=True, text=True)
    return {"size": size, **json.loads(done.stdout.strip().splitlines()[-1])}


# --- the run ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000, help="requests per target")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--in-process", type=int, default=3000, help="warm requests timed in-process")
    parser.add_argument("--size", type=int, default=0, help="also time a recompute on this many responses")
    parser.add_argument("--serve-baseline", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--body", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline, args.body)
        return 0
    if not 1 <= args.requests <= 1_000_000 or not 1 <= args.concurrency <= 256 or not 1 <= args.rounds <= 50:
        parser.error("requests 1..1000000, concurrency 1..256, rounds 1..50")
    OUT.mkdir(parents=True, exist_ok=True)
    url = demo_db()
    print(f"demo ward ready: {url}", flush=True)

    servers: dict[str, Server] = {}
    try:
        port = free_port()
        hailong = PageServer("hailong", [str(VENV_BIN / "hailong"), "serve", "--host", HOST, "--port", str(port),
                                     "--workers", "2"], port, env(url), OUT / "hailong.log")
        servers["hailong"] = hailong
        status, headers, body, _ = get(port)
        assert status == 200 and headers.get("content-encoding") == "gzip", (status, headers)
        import gzip

        raw = gzip.decompress(body)
        body_file = OUT / "page.html.gz"
        body_file.write_bytes(body)
        port = free_port()
        servers["baseline"] = PageServer("baseline", [sys.executable, "-m", "bench.public", "--serve-baseline",
                                                  str(port), "--body", str(body_file)], port, {},
                                     OUT / "baseline.log")
        for server in servers.values():
            load(server.port, args.warmup, args.concurrency, Run())
        before = snapshot_time(url)
        skip = log_lines(OUT / "hailong.log")
        runs = {name: Run() for name in servers}
        per_round = [args.requests // args.rounds + (1 if r < args.requests % args.rounds else 0)
                     for r in range(args.rounds)]
        print(f"{args.requests} GET {PATH} per target at {args.concurrency} concurrent, {args.rounds} rounds "
              f"taking turns, after {args.warmup} warm-up requests each", flush=True)
        names = list(servers)
        for r, n in enumerate(per_round):
            for name in names[r % 2:] + names[:r % 2]:
                rate = load(servers[name].port, n, args.concurrency, runs[name])
                print(f"  round {r + 1}: {name:<9} {rate:8.1f} requests/s", flush=True)
        after = snapshot_time(url)
        gunicorn_ms = server_ms(OUT / "hailong.log", skip)
    finally:
        for server in servers.values():
            server.stop()

    inproc = in_process(url, args.in_process)
    ratio = runs["hailong"].rate / runs["baseline"].rate
    print()
    print(f"{'target':<10} {'requests':>9} {'errors':>6} {'req/s':>8}   {'client ms p50/p99':>18}")
    for name, run in runs.items():
        lat = pct(run.latencies)
        print(f"{name:<10} {run.requests:>9} {run.errors:>6} {run.rate:>8.1f}   {lat['p50']:>8.2f}/{lat['p99']:.2f}")
    print(f"ratio hailong / baseline: {ratio:.2f}  (goal ≥ 0.5)")
    gms = sorted(gunicorn_ms)
    if gms:
        print(f"gunicorn request time of GET {PATH} (whole ms): p50 {statistics.median(gms):.0f}, "
              f"p99 {gms[int(0.99 * len(gms)) - 1]:.0f}, max {gms[-1]:.0f} over {len(gms)} requests")
    print(f"in-process warm server time: median {inproc['median_ms']:.3f} ms, p99 {inproc['p99_ms']:.3f} ms "
          f"(goal < 20 ms); first request in a new process {inproc['first_ms']:.0f} ms")
    print(f"page: {len(raw)} B raw, {len(body)} B gzip, one request (its stylesheet is inline)")
    print(f"snapshot recomputed during the load: {'no' if before == after else f'yes ({before} -> {after})'}")
    result: dict[str, Any] = {
        "requests_per_s": {name: round(run.rate, 1) for name, run in runs.items()}, "ratio": round(ratio, 3),
        "errors": {name: run.errors for name, run in runs.items()},
        "client_ms": {name: {k: round(v, 2) for k, v in pct(run.latencies).items()} for name, run in runs.items()},
        "in_process_ms": {k: round(v, 3) for k, v in inproc.items()},
        "gunicorn_ms": {"p50": statistics.median(gms) if gms else None, "p99": gms[int(0.99 * len(gms)) - 1]
                        if gms else None},
        "page_bytes": {"raw": len(raw), "gzip": len(body)}, "recomputed": before != after,
        "concurrency": args.concurrency,
    }
    if args.size:
        cold = cold_compute(args.size)
        print(f"recompute on {cold['size']:,} responses: {cold['compute_s']:.2f} s; freshness query "
              f"{cold['first_probe_ms']:.1f} ms for a new process, {cold['warm_probe_ms']:.2f} ms after")
        result["cold"] = cold
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"public-{stamp}.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"details: {OUT / f'public-{stamp}.json'}")
    ok = all(run.errors == 0 for run in runs.values()) and before == after
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark `hailong indices` against the bare GROUP BY it is built on, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.indices [--sizes 100000,1000000] [--pg] [--repeat 3]

For each size it builds (or reuses) a database of onestop responses spread over 2026 and 10 points
(bench/build_db.py), then for one quarter and for the whole year across all points times:
  baseline   SELECT question_id, value, count(*) FROM answers WHERE day_key BETWEEN ... GROUP BY question_id, value
  command    `hailong indices --period P --kind onestop --json` in-process (the click command, JSON included)
  process    the same command as a child process (Python start-up, imports, app creation included), run once
and prints best and median seconds, the ratio command/baseline (best over best), database bytes per response
and peak RSS. Each size is measured in its own child process so the RSS figures are per size.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.build_db import PG_BASE, ROOT, make_app, run_build

QUARTER = "2026-Q4"  # the previous quarter (Q3) holds data too, as in a real quarterly report
YEAR = "2026"
HAILONG = str(Path(sys.executable).with_name("hailong"))
_LAUNCH = (
    "import json, resource, subprocess, sys, time\n"
    "started = time.perf_counter()\n"
    "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
    "print(json.dumps([time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n"
)


def _times(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float, Any]:
    """(best, median, best CPU seconds of this process, last result) of `repeat` calls after one warm-up call."""
    result = fn()
    samples, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    return min(samples), statistics.median(samples), min(cpu), result


def _db_bytes(url: str) -> int:
    from sqlalchemy import text

    from hailong.survey.extensions import db

    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists())
    return int(db.session.scalar(text("SELECT pg_database_size(current_database())")))


def measure(url: str, repeat: int, periods: Sequence[str], config: dict[str, Any], process: bool = True
            ) -> dict[str, Any]:
    """Time the baseline and the command for each period on one database (run in a child process)."""
    from sqlalchemy import text

    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db

    app = make_app(url)
    app.config.update(config)
    runner = app.test_cli_runner()
    out: dict[str, Any] = {"url": url, "rows": []}
    with app.app_context():
        responses = int(db.session.scalar(text("SELECT count(*) FROM responses")))
        out["responses"] = responses
        out["db_bytes"] = _db_bytes(url)
        for label in periods:
            period = parse_period(label)
            lo, end = period.day_keys()
            last = int((period.end - timedelta(days=1)).strftime("%Y%m%d"))
            assert end > last >= lo
            sql = text("SELECT question_id, value, count(*) FROM answers WHERE day_key BETWEEN :lo AND :hi "
                       "GROUP BY question_id, value")

            def baseline(sql: Any = sql, lo: int = lo, last: int = last) -> int:
                rows = db.session.execute(sql, {"lo": lo, "hi": last}).all()
                db.session.rollback()
                return sum(r[2] for r in rows)

            args = ["indices", "--period", label, "--kind", "onestop", "--json"]

            def command(args: list[str] = args) -> dict[str, Any]:
                result = runner.invoke(args=args)
                if result.exit_code != 0:
                    raise RuntimeError(result.output)
                return dict(json.loads(result.output))

            b_best, b_median, b_cpu, answers = _times(baseline, repeat)
            c_best, c_median, c_cpu, payload = _times(command, repeat)
            # Launched from a small Python process: a child forked from this one would report this
            # process's RSS as its own peak (Linux records the old image's high-water mark at exec).
            seconds, child_rss = float("nan"), float("nan")
            if process:
                done = subprocess.run([sys.executable, "-c", _LAUNCH, HAILONG, *args], check=True, cwd=ROOT,
                                      capture_output=True, text=True,
                                      env={**os.environ, "HAILONG_DATABASE_URL": url, **_env(config)})
                seconds, child_rss = json.loads(done.stdout)
            out["rss_child_mb"] = max(out.get("rss_child_mb", 0.0), child_rss / 1024)
            out["rows"].append({
                "period": label, "answers": answers, "responses": payload["responses"],
                "overall": payload["overall"]["index"], "ci_method": payload["overall"]["ci_method"],
                "baseline_best": b_best, "baseline_median": b_median,
                "command_best": c_best, "command_median": c_median, "process": seconds,
                "baseline_cpu": b_cpu, "command_cpu": c_cpu, "load": os.getloadavg()[0],
            })
    out["rss_self_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _env(config: dict[str, Any]) -> dict[str, str]:
    """Environment equivalents of the config overrides, for the child `hailong` process."""
    return {k: str(v) for k, v in config.items() if k.startswith("HAILONG_")}


def _table(results: list[dict[str, Any]]) -> str:
    head = (f"{'db':<10} {'size':>9} {'period':<7} {'answers':>10} {'baseline s':>15} {'command s':>15} "
            f"{'ratio':>5} {'cpu b/c':>11} {'process s':>9} {'B/resp':>6} {'RSS MB':>11} {'load':>4}")
    lines = [head, "-" * len(head)]
    for r in results:
        db = "sqlite" if r["url"].startswith("sqlite") else "postgresql"
        for row in r["rows"]:
            ratio = row["command_best"] / row["baseline_best"]
            lines.append(
                f"{db:<10} {r['responses']:>9,} {row['period']:<7} {row['answers']:>10,} "
                f"{row['baseline_best']:>6.3f} /{row['baseline_median']:>7.3f} "
                f"{row['command_best']:>6.3f} /{row['command_median']:>7.3f} {ratio:>5.2f} "
                f"{row['baseline_cpu']:>5.2f}/{row['command_cpu']:>5.2f} {row['process']:>9.3f} "
                f"{r['db_bytes'] / r['responses']:>6,.0f} {r['rss_self_mb']:>5.0f} /{r['rss_child_mb']:>4.0f} "
                f"{row['load']:>4.1f}"
            )
    lines += [
        "",
        "baseline, command: best / median wall seconds of the timed runs; ratio: command best / baseline best;",
        "cpu b/c: best CPU seconds of this process for baseline / command (SQLite work runs in-process; on",
        "PostgreSQL the server's CPU is not included); process: one `hailong indices` child process, start-up",
        "included; B/resp: database bytes per response; RSS MB: peak resident memory of the measuring process",
        "(baseline + in-process command) / of the child; load: 1-minute load average when the row was measured.",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000", help="comma-separated numbers of responses")
    parser.add_argument("--pg", action="store_true", help="also measure on PostgreSQL")
    parser.add_argument("--pg-only", action="store_true", help="measure on PostgreSQL only")
    parser.add_argument("--pg-base", default=PG_BASE, help="PostgreSQL server URL without a database name")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per figure (after one warm-up)")
    parser.add_argument("--periods", default=f"{QUARTER},{YEAR}", help="periods to time")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="app config override for the measured command, e.g. HAILONG_STATS_WORKERS=1")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # internal: measure one URL, print JSON
    args = parser.parse_args(argv)
    config = dict(item.split("=", 1) for item in args.set)
    periods = args.periods.split(",")
    if args.measure:
        print(json.dumps(measure(args.measure, args.repeat, periods, config)))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ([] if args.pg_only else [False]) + ([True] if args.pg or args.pg_only else [])
    results = []
    for pg in backends:
        for size in sizes:
            url = run_build(size, pg, args.pg_base)
            print(f"measuring {url} ...", flush=True)
            cmd = [sys.executable, "-m", "bench.indices", "--measure", url, "--repeat", str(args.repeat),
                   "--periods", args.periods, *[f"--set={s}" for s in args.set]]
            done = subprocess.run(cmd, check=True, cwd=ROOT, capture_output=True, text=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(_table(results[-1:]).splitlines()[2], flush=True)
    print()
    print(f"hailong indices benchmark ({os.cpu_count()} CPUs), config overrides: {config or 'none'}")
    print(_table(results))


if __name__ == "__main__":
    main()

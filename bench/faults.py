"""Fault bench: a gunicorn worker is killed with SIGKILL mid-run; nothing a citizen was thanked for is lost.

    .venv/bin/python -m bench.faults                    # SQLite, 3,000 journeys at 32 concurrent, 1 kill
    .venv/bin/python -m bench.faults --db postgres --kills 2

The same respondents as bench.load. A respondent whose request failed (the connection died with its
worker) taps again once, re-sending the same form (same submission key). After the run every POST that
got the 303 to the thank-you page must be in the database, and no submission key may be stored twice.
Only the gunicorn master started here and its own workers are signalled, by pid.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable

from bench.load import OUT, PG_BASE, PG_DB, count_responses, prepare_hailong_db, run_load, start_hailong, stored_keys


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kills", type=int, default=1, help="workers to kill, spread over the run (1..5)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--pg-base", default=PG_BASE)
    args = parser.parse_args()
    if not 100 <= args.journeys <= 50_000 or not 1 <= args.kills <= 5:
        parser.error("journeys 100..50000, kills 1..5")
    OUT.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{OUT / 'faults.db'}" if args.db == "sqlite" else f"{args.pg_base}/{PG_DB}_faults"
    prepare_hailong_db(url)
    server = start_hailong(url, f"faults-{args.db}")
    thanked: list[str] = []
    lock = threading.Lock()
    killed: list[int] = []

    def on_posted(key: str) -> None:
        with lock:
            thanked.append(key)

    def killer(progress: Callable[[], int]) -> None:
        for k in range(1, args.kills + 1):
            target = args.journeys * k // (args.kills + 1)
            deadline = time.monotonic() + 600
            while progress() < target and time.monotonic() < deadline:
                time.sleep(0.01)
            workers = [w for w in server.workers() if w not in killed]
            if workers:
                os.kill(workers[0], signal.SIGKILL)  # a worker of the master this bench started
                killed.append(workers[0])
                print(f"  SIGKILL worker {workers[0]} after {progress()} journeys", flush=True)

    print(f"hailong ({args.db}): {args.journeys} journeys at {args.concurrency} concurrent, "
          f"{args.kills} worker kill(s)", flush=True)
    try:
        before = count_responses(url)
        result = run_load("faults", server.port, args.journeys, args.concurrency, on_posted=on_posted,
                          during=killer, retries=1)
        after = count_responses(url)
        keys = stored_keys(url)
    finally:
        server.stop()

    stored = Counter(keys)
    duplicates = sum(n - 1 for n in stored.values() if n > 1)
    lost = [k for k in thanked if k not in stored]
    attempted = {o.submission_key for o in result.outcomes if o.submission_key}
    unthanked_stored = len([k for k in attempted if k in stored and k not in set(thanked)])
    errors = Counter((o.error or "").split(":")[0] for o in result.outcomes if o.error)
    retried = Counter(w for o in result.outcomes for w in o.retried_what)
    print(f"\nkilled workers: {killed}")
    print(f"journeys: {result.journeys}  completed: {result.journeys - result.errors}  failed: {result.errors} "
          f"{dict(errors)}  requests re-sent after a failure: {dict(retried) or 0}")
    print(f"POSTs thanked (303): {len(thanked)}  new rows: {after - before}  distinct keys stored: {len(stored)}")
    print(f"thanked but not stored (lost): {len(lost)}  stored twice: {duplicates}  "
          f"stored though the client saw no thank-you: {unthanked_stored}")
    ok = not lost and duplicates == 0 and len(killed) == args.kills
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

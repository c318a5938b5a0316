"""The citizen's journey in one process: CPU and SQL statements per request, without gunicorn or the network.

    .venv/bin/python -m bench.write_path                       # SQLite, 400 journeys, Redis rate limits
    .venv/bin/python -m bench.write_path --pg --journeys 300   # PostgreSQL (database writepath_bench, recreated)
    .venv/bin/python -m bench.write_path --profile             # and the functions that cost most (cProfile)

Per request it prints CPU, SQL statements and Redis round trips (a pipeline counts once). --profile measures CPU
(not wall time, which other jobs on the machine inflate), prints the 30 costliest functions by cumulative and by
own time, and leaves the profile in bench/out/load/write_path.prof for pstats' callers and callees.

The same respondents as bench.load (GET the form, POST a full answer, GET the thank-you page), each with its own
cookie jar, through Flask's test client. CPU is this process's (time.process_time), so other jobs on the machine
disturb it less than bench.load's wall-clock rates; a bare Flask + sqlite3 journey (bench.baseline_app) is run the
same way first, as the baseline.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import random
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from bench import baseline_app, load

LABELS = ("GET form", "POST answer", "GET thanks")


def baseline(journeys: int) -> float:
    """CPU ms per journey of the bare app, in-process."""
    path = load.OUT / "write_path_baseline.db"
    path.unlink(missing_ok=True)
    baseline_app.init_db(str(path))
    app = baseline_app.make_app(str(path), "<!doctype html>" + "x" * 8000)
    start = time.process_time()
    for i in range(journeys):
        client = app.test_client()
        client.get(f"/s/{load.POINT}")
        body = urlencode(load.answers(random.Random(i)))
        client.post(f"/s/{load.POINT}", data=body, content_type="application/x-www-form-urlencoded")
        client.get(f"/s/{load.POINT}/cam-on")
    return 1000 * (time.process_time() - start) / journeys


def _count_redis(label: list[str], counter: collections.Counter[str]) -> Any:
    """Count Redis round trips per request label (a pipeline is one); returns the function that stops counting."""
    import redis

    command, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def counted_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter[label[0]] += 1
        return command(self, *args, **kwargs)

    def counted_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        counter[label[0]] += 1
        return pipeline(self, *args, **kwargs)

    redis.Redis.execute_command = counted_command  # type: ignore[method-assign]
    redis.client.Pipeline.execute = counted_pipeline  # type: ignore[method-assign]

    def undo() -> None:
        redis.Redis.execute_command = command  # type: ignore[method-assign]
        redis.client.Pipeline.execute = pipeline  # type: ignore[method-assign]

    return undo


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=400)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL on 127.0.0.1 instead of SQLite")
    parser.add_argument("--no-redis", action="store_true", help="rate-limit counters in memory")
    parser.add_argument("--profile", action="store_true", help="print the 30 costliest functions (cProfile)")
    args = parser.parse_args()
    if not 10 <= args.journeys <= 20_000:
        parser.error("journeys 10..20000")
    load.OUT.mkdir(parents=True, exist_ok=True)
    url = f"{load.PG_BASE}/writepath_bench" if args.pg else f"sqlite:///{load.OUT / 'write_path.db'}"
    redis_url = "" if args.no_redis or not load.redis_available() else load.REDIS_URL
    load.prepare_hailong_db(url)
    os.environ.update(load.hailong_env(url, redis_url))

    from sqlalchemy import event

    from hailong.survey import create_app
    from hailong.survey.extensions import db

    app = create_app()
    label: list[str] = [""]
    statements: collections.Counter[str] = collections.Counter()
    redis_commands: collections.Counter[str] = collections.Counter()
    cpu: collections.Counter[str] = collections.Counter()
    with app.app_context():
        engine = db.engine

    def count(*_args: Any) -> None:
        statements[label[0]] += 1

    def journey(seed: int) -> None:
        client = app.test_client()

        def timed(name: str, method: str, path: str, **kwargs: Any) -> Any:
            label[0] = name
            start = time.process_time()
            response = client.open(path, method=method, **kwargs)
            cpu[name] += time.process_time() - start
            return response

        form = timed("GET form", "GET", f"/s/{load.POINT}")
        assert form.status_code == 200, form.status_code
        fields = load.hidden_fields(form.get_data(as_text=True))
        body = urlencode(list(fields.items()) + load.answers(random.Random(seed)))
        sent = timed("POST answer", "POST", f"/s/{load.POINT}", data=body,
                     content_type="application/x-www-form-urlencoded")
        assert sent.status_code == 303, sent.status_code
        thanks = urlsplit(sent.headers["Location"])
        page = timed("GET thanks", "GET", thanks.path + (f"?{thanks.query}" if thanks.query else ""))
        assert page.status_code == 200, page.status_code

    for i in range(30):  # warm-up: caches, compiled statements, connections
        journey(10**6 + i)
    cpu.clear()
    event.listen(engine, "before_cursor_execute", count)
    unpatch = _count_redis(label, redis_commands)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, as the totals
    start = time.process_time()
    if profiler:
        profiler.enable()
    for i in range(args.journeys):
        journey(i)
    if profiler:
        profiler.disable()
    total = 1000 * (time.process_time() - start) / args.journeys
    event.remove(engine, "before_cursor_execute", count)
    unpatch()
    if redis_url:
        load.clear_redis(redis_url)

    bare = baseline(args.journeys)
    print(f"hailong ({'PostgreSQL' if args.pg else 'SQLite'}, rate limits in {redis_url or 'memory'}), "
          f"{args.journeys} journeys in one process{' (profiled)' if profiler else ''}:")
    for name in LABELS:
        print(f"  {name:<12} {1000 * cpu[name] / args.journeys:6.2f} ms CPU  "
              f"{statements[name] / args.journeys:4.1f} SQL statements  "
              f"{redis_commands[name] / args.journeys:4.1f} Redis round trips")
    print(f"  journey      {total:6.2f} ms CPU   (bare Flask + sqlite3: {bare:.2f} ms, {total / bare:.1f} ×)")
    if profiler:
        profiler.dump_stats(load.OUT / "write_path.prof")  # for pstats' callers/callees
        for order in ("cumulative", "tottime"):
            pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(30)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())

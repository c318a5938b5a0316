"""Does a wrong sign-in take as long for an unknown username as for a known one? (username enumeration by timing)

    .venv/bin/python -m bench.login_timing [--rounds 200] [--pg]

Times POST /office/login in-process (Flask test client, CSRF off) on a fresh database with one admin account,
interleaving in random order, each from its own client address so that no throttle or rate limit applies:
  known     the admin's name with a wrong password
  unknown   a name that does not exist, same length, wrong password
  inactive  a deactivated account's name, wrong password
then the same two first kinds from networks that are already throttled for that name (429 answers).
Prints median, 10th and 90th percentile in milliseconds per kind, and the median of each kind as a ratio to
the unknown name's median in the same run (the baseline): 1.00 means no timing difference to see.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PG_URL = "postgresql://postgres@127.0.0.1:5432/bench_login_timing"


def _fresh_pg(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _app(url: str) -> Any:
    from flask_migrate import upgrade
    from werkzeug.security import generate_password_hash

    from hailong.survey import create_app
    from hailong.survey.extensions import db
    from hailong.survey.models import User
    from hailong.survey.services import users as user_svc

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-secret",
                      "HAILONG_BASE_URL": "http://bench.invalid", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        for name, active in (("admin", True), ("retired", False)):
            db.session.add(User(organisation_id=1, username=name, role="admin", active=active,
                                password_hash=generate_password_hash("right-password-1",
                                                                     method=user_svc.HASH_METHOD)))
        db.session.commit()
    return app


def _post(client: Any, address: str, username: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.post("/office/login", data={"username": username, "password": "wrong-password-1"},
                           environ_overrides={"REMOTE_ADDR": address})
    return time.perf_counter() - started, response.status_code


def _summary(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return statistics.median(ordered) * 1000, ordered[n // 10] * 1000, ordered[(9 * n) // 10] * 1000


def run(url: str, rounds: int, seed: int) -> None:
    from hailong.survey.services import users as user_svc

    app = _app(url)
    client = app.test_client()
    rng = random.Random(seed)
    names = {"known": "admin", "unknown": "admnx", "inactive": "retired"}
    # Throttled networks: enough wrong passwords that every timed attempt is answered 429.
    throttled = {"known (throttled)": ("admin", "10.99.0.1"), "unknown (throttled)": ("admnx", "10.99.0.2")}
    for name, address in throttled.values():
        for _ in range(user_svc.FREE_FAILURES + 1):
            _post(client, address, name)
    times: dict[str, list[float]] = {kind: [] for kind in [*names, *throttled]}
    statuses: dict[str, set[int]] = {kind: set() for kind in times}
    for kind in times:  # warm-up
        _post(client, "10.98.0.1", names.get(kind, "x"))
    plan = [kind for kind in times for _ in range(rounds)]
    rng.shuffle(plan)
    for i, kind in enumerate(plan):
        if kind in throttled:
            name, address = throttled[kind]
        else:
            name, address = names[kind], f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}"
        seconds, status = _post(client, address, name)
        times[kind].append(seconds)
        statuses[kind].add(status)
    base = statistics.median(times["unknown"])
    print(f"{url.partition(':')[0]}: {rounds} attempts per kind")
    for kind, samples in times.items():
        median, p10, p90 = _summary(samples)
        ratio = statistics.median(samples) / base
        print(f"  {kind:<20} status {sorted(statuses[kind])}  median {median:7.1f} ms  "
              f"p10 {p10:7.1f}  p90 {p90:7.1f}  × unknown {ratio:5.2f}")
    known, unknown = statistics.median(times["known"]), statistics.median(times["unknown"])
    print(f"  known − unknown median: {(known - unknown) * 1000:+.1f} ms")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (database bench_login_timing)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'login.db'}", args.rounds, args.seed)
    if args.pg:
        _fresh_pg(PG_URL)
        run(PG_URL, args.rounds, args.seed)


if __name__ == "__main__":
    main()

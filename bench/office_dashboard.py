"""Benchmark the office dashboard's server time for one quarter of about 100,000 onestop responses.

    .venv/bin/python -m bench.office_dashboard [--size 400000] [--period 2026-Q4] [--pg] [--repeat 3]

bench/build_db.py spreads --size responses over the weekdays of 2026 on 10 onestop points, so the default
400,000 puts about 100,000 in each quarter. The script signs a bench admin in (a session cookie, no form),
then times, after one warm-up call each:
  overview / trend / points   the three service calls behind the dashboard (hailong.survey.services.dashboard)
  GET /office/                the whole page: filters, the three calls, both SVG charts, the template
  GET /office/element/staff   the element drill-down
  GET /office/point/<id>      one point's page (its own indices, trend and all statements)
  GET /office/comments        the comments of the quarter, first page
and prints best and median wall seconds of each, and the best CPU seconds of this process (SQLite runs
in-process, so there CPU time is the server's work whatever else the machine is doing).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.build_db import PG_BASE, make_app, run_build

BENCH_USER = "bench-admin"


def _times(fn: Callable[[], Any], repeat: int) -> tuple[float, float, float]:
    """(best, median) wall seconds and best CPU seconds of this process, over `repeat` calls after a warm-up."""
    fn()
    samples, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        fn()
        samples.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return min(samples), statistics.median(samples), min(cpu)


def _bench_admin() -> str:
    """An admin account for the bench (created once, never used with a password); its Flask-Login session id."""
    from werkzeug.security import generate_password_hash

    from hailong.survey.extensions import db
    from hailong.survey.models import User

    user = db.session.query(User).filter_by(username=BENCH_USER).one_or_none()
    if user is None:
        user = User(organisation_id=1, username=BENCH_USER, role="admin", active=True,
                    password_hash=generate_password_hash(secrets.token_urlsafe(24), method="scrypt"))
        db.session.add(user)
        db.session.commit()
    return str(user.get_id())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=400_000, help="responses over 2026 (default: 100k a quarter)")
    parser.add_argument("--period", default="2026-Q4")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--pg-base", default=PG_BASE)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import ServicePoint, Submission
    from hailong.survey.services import dashboard as results
    from hailong.survey.services.periods import within

    url = run_build(args.size, args.pg, args.pg_base)
    app = make_app(url)
    period = parse_period(args.period)
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(Submission).where(
            within(Submission.day_key, period)))
        point_id = db.session.scalar(select(ServicePoint.id).filter_by(code="mc-1"))
        session_id = _bench_admin()
        print(f"{db.engine.dialect.name}: {n:,} responses in {period.label} ({args.size:,} in the database)")
        rows: list[tuple[str, Callable[[], Any]]] = [
            ("overview (stats.count + previous from patterns)", lambda: results.overview(period, "onestop", None)),
            ("trend (6 quarters)", lambda: results.trend(period, "onestop", None)),
            ("points table (10 points)", lambda: results.points_table(period, "onestop", None)),
        ]
        for name, fn in rows:
            best, median, cpu = _times(fn, args.repeat)
            print(f"  {name:<52} best {best:6.2f} s   median {median:6.2f} s   cpu {cpu:6.2f} s")

    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True

    def page(path: str) -> Callable[[], Any]:
        def fetch() -> Any:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
            return response

        return fetch

    for path in (f"/office/?period={period.label}&kind=onestop",
                 f"/office/element/staff?period={period.label}&kind=onestop",
                 f"/office/point/{point_id}?period={period.label}",
                 f"/office/comments?period={period.label}&kind=onestop"):
        best, median, cpu = _times(page(path), args.repeat)
        print(f"  GET {path:<48} best {best:6.2f} s   median {median:6.2f} s   cpu {cpu:6.2f} s")


if __name__ == "__main__":
    main()

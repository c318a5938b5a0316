"""The plans of the joins between two ward tables, as the services build them, on an existing database (read only).

    .venv/bin/python -m bench.ward_joins --pg postgresql://postgres@127.0.0.1:5432/DB [--ward xa-001]
        [--period 2026-Q2] [--kind onestop] [--analyze] [--probe-runs 2000]

Calls, for one ward, each service whose SQL joins two ward tables (the comments page and one comment, the
responses' export, verified-only answer counts, the score rows of the mean-based conventions, SDG 16.6.2, the
weighting's cells, the published PAKN replies, a retired code) and the public page's freshness probe. Every
statement with a JOIN (and the probe) is sent as EXPLAIN, or with --analyze as EXPLAIN (ANALYZE, BUFFERS), on a
second cursor of the same transaction; then the service's statement runs as usual (one ward's rows: fit for a
database of realistic size). The connection is read only (default_transaction_read_only): nothing is written.
With --probe-runs N it then times the probe alone N times, as a kept public page checks itself (statements per
call, median and 95th percentile in ms, Python and the driver included).
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, func, select

#: Statements worth a plan: a join, or the probe's newest ids.
WANTED = re.compile(r"\bJOIN\b|max\(audit_events\.id\)", re.IGNORECASE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg", metavar="URL", required=True, help="the database (only read)")
    parser.add_argument("--ward", help="the ward's code (default: the first ward)")
    parser.add_argument("--period", default="2026-Q2")
    parser.add_argument("--kind", default="onestop")
    parser.add_argument("--analyze", action="store_true", help="EXPLAIN (ANALYZE, BUFFERS): runs each statement")
    parser.add_argument("--probe-runs", type=int, default=0, help="time the freshness probe this many times")
    args = parser.parse_args()
    run(args.pg, args.ward, args.period, args.kind, args.analyze, args.probe_runs)


def run(url: str, ward_code: str | None, period_text: str, kind: str, analyze: bool, probe_runs: int = 0) -> None:
    from hailong.analysis.periods import parse_period
    from hailong.survey import create_app
    from hailong.survey.extensions import db
    from hailong.survey.models import Organisation, RetiredCode, Submission
    from hailong.survey.services import comments, pakn, points, publication, rollups, sdg, stats, weighting
    from hailong.survey.services import responses as response_svc

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://",
                      "SQLALCHEMY_ENGINE_OPTIONS": {
                          "connect_args": {"options": "-c default_transaction_read_only=on"}}}, web=False)
    period = parse_period(period_text)
    explain = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " if analyze else "EXPLAIN "
    plans: list[tuple[str, list[str]]] = []

    def with_plan(_conn: Any, cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        if WANTED.search(statement):
            with cursor.connection.cursor() as other:  # the same transaction; the service's own statement follows
                other.execute(explain + statement, parameters)
                plans.append((statement, [row[0] for row in other.fetchall()]))

    with app.app_context():
        ward = db.session.scalars(select(Organisation).where(Organisation.code == ward_code) if ward_code
                                  else select(Organisation).order_by(Organisation.id).limit(1)).one()
        point_ids = stats.ward_point_ids(ward.id, kind)
        f = stats.Filter(period, kind, point_ids)
        lo, hi = period.day_keys()
        one = db.session.scalar(select(func.max(Submission.id)).where(
            Submission.organisation_id == ward.id, Submission.day_key >= lo, Submission.day_key < hi)) or 0
        retired = db.session.scalar(select(RetiredCode.code).limit(1)) or "khong-co"
        newest = db.session.scalar(select(func.max(Submission.id))) or 0
        known = publication.Marks(0, 0, "", max(0, newest - 50))

        calls: list[tuple[str, Callable[[], Any]]] = [
            ("comments.search (count, page)", lambda: comments.search(period, kinds=[kind], point_ids=point_ids)),
            ("comments.get", lambda: comments.get(one, ward.id)),
            ("responses.export_rows (first batch)",
             lambda: next(response_svc.export_rows(day_range=(lo, hi), ward_ids=[ward.id]), None)),
            ("stats._verified_counts", lambda: db.session.execute(stats._verified_counts(
                stats.Filter(period, kind, point_ids, True), rollups.scope(kind, point_ids),
                stats._questions(kind))).all()),
            ("stats.score_rows", lambda: stats.score_rows(f)),
            ("sdg.indicator (answers, responses)", lambda: sdg.indicator(period, kind, point_ids)),
            ("weighting.cell_patterns", lambda: weighting.cell_patterns(f)),
            ("pakn.published_page (count, page)", lambda: pakn.published_page(ward, 1)),
            ("points.find_retired", lambda: points.find_retired(f"{ward.code}/{retired}")),
            ("publication.probe (newest 50 responses to re-read)",
             lambda: publication.probe(db.session.connection(), ward.id, known, datetime.now(UTC))),
        ]
        print(f"ward {ward.code} (id {ward.id}), {kind}, {period.label}, {len(point_ids)} points; "
              f"{'EXPLAIN ANALYZE' if analyze else 'EXPLAIN'}")
        event.listen(db.engine, "before_cursor_execute", with_plan)
        try:
            for name, call in calls:
                plans.clear()
                call()
                print(f"\n=== {name}")
                for sql, plan in plans:
                    print(re.sub(r"\s+", " ", sql)[:400])
                    print("\n".join(plan))
        finally:
            event.remove(db.engine, "before_cursor_execute", with_plan)
            db.session.rollback()
        if probe_runs:
            time_probe(lambda: publication.probe(db.session.connection(), ward.id, known, datetime.now(UTC)),
                       probe_runs)


def time_probe(call: Callable[[], Any], runs: int) -> None:
    """Statements per call, median and p95 of `runs` calls (after 50 to warm up)."""
    from hailong.survey.extensions import db

    sent: list[str] = []

    def count(*_args: Any) -> None:
        sent.append("")

    for _ in range(50):
        call()
    times = []
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        for _ in range(runs):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1000)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    times.sort()
    print(f"\n=== probe x {runs}: {len(sent) / runs:g} statement(s) per call, "
          f"median {statistics.median(times):.3f} ms, p95 {times[int(0.95 * len(times))]:.3f} ms")


if __name__ == "__main__":
    main()

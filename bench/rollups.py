"""What the rollups cost and hold: a stored response with its rollup upserts against the same write without them.

    .venv/bin/python -m bench.rollups [--pg URL] [--responses 300] | --size-of URL | --reads URL

Writes `--responses` single onestop responses, each in its own transaction as the citizen's POST does
(services.responses.write_many, then commit), alternately with the rollups kept (the app) and with the hook
replaced by a no-op (the baseline, same run, same database), and prints both medians and their ratio.
`--size-of URL` prints, for an existing database, the rows of answers, responses and both rollup tables and the
ratio rollup rows : answer rows (and, on PostgreSQL, their sizes on disk). `--reads URL` times one ward's
dashboard overview, trend, pattern results and yearly indices through the rollups and from the raw rows
(rollups.raw_reads), in the same run.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def _app(url: str) -> Any:
    from bench.build_db import make_app

    return make_app(url)


def measure_writes(url: str, count: int) -> dict[str, Any]:
    """Median seconds of one stored response with and without its rollup upserts (interleaved)."""
    from flask_migrate import upgrade

    from hailong.survey.extensions import db
    from hailong.survey.services import points as point_svc
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as rsvc
    from hailong.survey.services import rollups

    app = _app(url)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        qsvc.sync()
        ward = point_svc.ensure_organisation("bench-rollups", "Phường Bench", "Tuyên Quang")
        points = [p for p in point_svc.ensure_demo_points(ward) if p.kind == "onestop"]
        db.session.commit()
        version = qsvc.latest_version("onestop")
        q = qsvc.definition(version)
        rng = random.Random(15)
        start = datetime(2026, 4, 1, 2, tzinfo=UTC)
        kept = rollups.add_responses
        timings: dict[str, list[float]] = {"with_rollups": [], "without": []}
        for i in range(2 * count):
            answers: dict[str, Any] = {s.code: rng.choice([3, 4, 4, 5, 5]) for s in q.statements}
            answers["overall"] = rng.choice([4, 5])
            draft = rsvc.Draft(point=rng.choice(points), version=version, answers=answers,
                               submitted_at=start + timedelta(minutes=i))
            mode = "with_rollups" if i % 2 == 0 else "without"
            rollups.add_responses = kept if mode == "with_rollups" else (lambda *_: None)  # type: ignore[assignment]
            t0 = time.perf_counter()
            rsvc.write_many([draft])
            db.session.commit()
            timings[mode].append(time.perf_counter() - t0)
        rollups.add_responses = kept  # type: ignore[assignment]
        rollups.rebuild()  # the baseline's rows were never counted
        db.session.commit()
    with_ms = statistics.median(timings["with_rollups"]) * 1000
    without_ms = statistics.median(timings["without"]) * 1000
    return {"database": url.split(":")[0], "responses_each": count, "with_rollups_median_ms": round(with_ms, 3),
            "without_median_ms": round(without_ms, 3), "ratio": round(with_ms / without_ms, 3)}


def sizes(url: str) -> dict[str, Any]:
    """Rows (and PostgreSQL bytes) of the raw tables and the rollups of an existing database."""
    from sqlalchemy import text

    from hailong.survey.extensions import db

    app = _app(url)
    out: dict[str, Any] = {}
    with app.app_context():
        for table in ("responses", "answers", "answer_rollups", "pattern_rollups"):
            out[f"{table}_rows"] = int(db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())  # noqa: S608
            if db.engine.dialect.name == "postgresql":
                out[f"{table}_bytes"] = int(db.session.execute(
                    text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar_one())
        days = db.session.execute(text("SELECT count(*) FROM answer_rollups WHERE day_key % 100 <> 0")).scalar_one()
        out["answer_rollup_day_rows"] = int(days)
        out["rollup_rows_per_answer_row"] = round(
            (out["answer_rollups_rows"] + out["pattern_rollups_rows"]) / max(1, out["answers_rows"]), 4)
        out["answer_rollup_rows_per_answer_row"] = round(out["answer_rollups_rows"] / max(1, out["answers_rows"]), 4)
        out["pattern_rollup_rows_per_response"] = round(
            out["pattern_rollups_rows"] / max(1, out["responses_rows"]), 4)
    return out


def reads(url: str, runs: int = 5) -> dict[str, Any]:
    """One ward's figures read through the rollups against the raw rows (rollups.raw_reads), median ms, warm."""
    from sqlalchemy import select

    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import Organisation
    from hailong.survey.services import dashboard, patterns, rollups, stats

    app = _app(url)
    out: dict[str, Any] = {}
    with app.app_context():
        ward = db.session.scalars(select(Organisation).order_by(Organisation.id)).first()
        assert ward is not None
        ids = stats.ward_point_ids(ward.id, "onestop")
        quarter, year = parse_period("2026-Q2"), parse_period("2026")
        cases = {
            "overview_quarter": lambda: dashboard.overview(quarter, "onestop", ids),
            "trend_six_quarters": lambda: dashboard.trend(quarter, "onestop", ids),
            "pattern_results_quarter": lambda: patterns.results(quarter, "onestop", ids),
            "indices_year": lambda: stats.indices_for(year, "onestop", ward_id=ward.id),
        }

        def median_ms(fn: Any) -> float:
            fn()  # warm
            times = []
            for _ in range(runs):
                t0 = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t0)
            return round(statistics.median(times) * 1000, 1)

        for name, fn in cases.items():
            fast = median_ms(fn)
            with rollups.raw_reads():
                slow = median_ms(fn)
            out[name] = {"rollups_ms": fast, "raw_ms": slow, "ratio": round(fast / slow, 2)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", metavar="URL", help="measure the writes on this PostgreSQL database (emptied)")
    parser.add_argument("--responses", type=int, default=300, help="responses written in each mode")
    parser.add_argument("--size-of", metavar="URL", help="only report the rows of an existing database")
    parser.add_argument("--reads", metavar="URL", help="only time one ward's reads, rollups against raw rows")
    args = parser.parse_args()
    if args.size_of:
        print(json.dumps(sizes(args.size_of), indent=2))
        return
    if args.reads:
        print(json.dumps(reads(args.reads), indent=2))
        return
    if args.pg:
        from sqlalchemy import create_engine, text

        with create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://", 1)).begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        print(json.dumps(measure_writes(args.pg, args.responses), indent=2))
        return
    with tempfile.TemporaryDirectory() as folder:
        print(json.dumps(measure_writes(f"sqlite:///{Path(folder) / 'bench.db'}", args.responses), indent=2))


if __name__ == "__main__":
    main()

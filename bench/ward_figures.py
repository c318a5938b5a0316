"""What ward B reads again after one flag in ward A: its kept rollup pieces, its report mark, the province's marks.

    .venv/bin/python -m bench.ward_figures [--pg postgresql://postgres@127.0.0.1:5432/SCRATCH] [--per-ward 300]

Builds a fresh database (SQLite in a temporary folder, or the PostgreSQL database given, whose schema is dropped
first: it refuses one that holds responses), three wards of one province with one one-stop point each and
`--per-ward` responses each spread over 2025-Q4..2026-Q2, then: reads each ward's dashboard figures for 2026-Q2
twice (rollups prefetched in a shared block, as the page does: the first read fills the PieceMemo, the second is
served from it), B's report mark and the snapshot marks of the province (A, B, C) and of B and C alone; flags one
response of A; and reads them all again. Prints, per ward, the rollup queries, the kept pieces read again and the
statements of its figures, and whether each mark is still current.
"""

from __future__ import annotations

import argparse
import random
import tempfile
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, inspect, select, text

Counts = tuple[int, int, int, int]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pg", metavar="URL", help="a scratch PostgreSQL database (its schema is dropped)")
    parser.add_argument("--per-ward", type=int, default=300, help="responses per ward (default 300)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run(args.pg or f"sqlite:///{Path(folder) / 'ward_figures.db'}", args.per_ward, Path(folder))


def run(url: str, per_ward: int, folder: Path) -> None:
    from flask_migrate import upgrade

    from hailong.analysis.periods import TZ
    from hailong.survey import create_app
    from hailong.survey.extensions import db
    from hailong.survey.services import points as point_svc
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as rsvc

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "HAILONG_INSTANCE_PATH": folder / "instance", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        if url.startswith("postgresql"):
            if "responses" in inspect(db.engine).get_table_names():
                with db.engine.connect() as conn:
                    held = int(conn.execute(text("SELECT count(*) FROM responses")).scalar() or 0)
                if held:
                    raise SystemExit(f"{url} holds {held:,} responses: give a scratch database")
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        upgrade(directory=app.extensions["migrate"].directory)
        qsvc.sync()
        wards = [point_svc.ensure_organisation(c, f"Phường {c}", "Tuyên Quang") for c in ("ward-a", "ward-b", "ward-c")]
        points = [point_svc.create(w, "mc-1", f"Một cửa {w.code}", "onestop") for w in wards]
        db.session.commit()
        version = qsvc.latest_version("onestop")
        codes = [s.code for s in qsvc.definition(version).statements]
        rng = random.Random(7)
        for point in points:
            rsvc.write_many([rsvc.Draft(point=point, version=version,
                                        answers={c: rng.choice([2, 3, 4, 5, 5]) for c in codes},
                                        submitted_at=datetime.combine(date(2025, 10, 1) + timedelta(
                                            days=rng.randrange(270)), time(10), tzinfo=TZ))
                             for _ in range(per_ward)])
        db.session.commit()
        found = measure([w.id for w in wards])

    print(f"database: {url.split(':', 1)[0]}, 3 wards, {per_ward} responses each")
    print("(rollup queries, kept pieces read again, statements, responses in 2026-Q2) of a ward's figures")
    for name in ("A", "B"):
        print(f"ward {name}: cold {found[name]['cold']}, warm {found[name]['warm']}, "
              f"after A's flag {found[name]['after']}")
    for what, current in found["marks"].items():
        print(f"{what} still current after A's flag: {current}")


def measure(ward_ids: list[int]) -> dict[str, Any]:
    """Each ward's figures cold, warm and after one flag in the first ward; whether each mark is still current."""
    from hailong.analysis import windows
    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import Submission
    from hailong.survey.services import dashboard, report_marks, rollups, stats, targets
    from hailong.survey.services import province_snapshots as snap
    from hailong.survey.services import responses as rsvc

    a, b, c = ward_ids
    period = parse_period("2026-Q2")
    queries: list[str] = []
    pieces: list[Any] = []
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda conn, cursor, sql, *args: statements.append(sql))
    read: Callable[[Any], list[tuple[Any, ...]]] = rollups._driver_rows
    put = rollups.PieceMemo.put

    def driver_rows(query: Any) -> list[tuple[Any, ...]]:
        queries.append(str(query))
        return read(query)

    def counting_put(self: Any, key: Any, marks: Any, rows: Any) -> None:
        pieces.append(key)
        put(self, key, marks, rows)

    rollups._driver_rows = driver_rows  # type: ignore[assignment]
    rollups.PieceMemo.put = counting_put  # type: ignore[method-assign]

    def page(ward_id: int) -> Counts:
        """(rollup queries, pieces read, statements, responses) of the ward's dashboard figures now."""
        for seen in (queries, pieces, statements):
            seen.clear()
        ids = stats.ward_point_ids(ward_id, "onestop")
        with rollups.shared_reads():
            dashboard.prefetch(period, "onestop", ids, year_to_date=windows.year_to_date(period))
            result = dashboard.overview(period, "onestop", ids)
            dashboard.trend(period, "onestop", ids)
            targets.year_to_date(period, "onestop", ids)
        db.session.rollback()
        # The prefetch's rollup queries run on the driver's cursor, beside SQLAlchemy's statements.
        return len(queries), len(pieces), len(statements) + len(queries), int(result["responses"])

    cold = {w: page(w) for w in (a, b)}
    warm = {w: page(w) for w in (a, b)}
    options = report_marks.Options(period)
    b_mark = report_marks.mark(b, options)
    province = snap.probe(db.session.connection(), [a, b, c], period)
    others = snap.probe(db.session.connection(), [b, c], period)
    db.session.rollback()

    victim = db.session.scalar(select(Submission.id).where(Submission.organisation_id == a,
                                                           Submission.day_key >= 20260401).limit(1))
    rsvc.set_flag(int(victim or 0), "thử")
    db.session.commit()

    after = {w: page(w) for w in (b, a)}
    marks = {
        "B's report mark": report_marks.mark(b, options, int(b_mark.split(":", 1)[0])) == b_mark,
        "the province's (A, B, C) snapshot marks": snap.probe(db.session.connection(), [a, b, c], period,
                                                              province.through) == province,
        "the marks of B and C alone": snap.probe(db.session.connection(), [b, c], period, others.through) == others,
    }
    db.session.rollback()
    return {"A": {"cold": cold[a], "warm": warm[a], "after": after[a]},
            "B": {"cold": cold[b], "warm": warm[b], "after": after[b]}, "marks": marks}


if __name__ == "__main__":
    main()

"""The province roll-up served from stored figures, and the refresh that stores them, on a bench.province database.

    .venv/bin/python -m bench.province_snapshot --responses 3000000

Needs a database built by `python -m bench.province --pg` (hailong_province_<responses>); it builds nothing and
writes nothing but rows of `province_snapshots` (services.province_snapshots) and, for the stale page, keys of a
queue of its own on Redis database 13. A database migrated before 0014_province_snapshots gets that table, and one
migrated before 0017_ward_figures `figures_tokens` (no trigger, no alembic_version change), for this run only, so it
is left as it was found; the wards' 'figures' tokens are then absent, which the freshness check reads as 0.

Measures in one process, in this order: the bare baseline (bench.province's Flask page with one query); the
refresh (what `hailong worker` runs for stale figures: services.province_snapshots.refresh, every kind × every
ward, the first in a new process with no interval memo, then warm); `GET /office/tinh/` served from the stored
figures (no queue configured: a stale snapshot would be computed inline, so the stored rows are checked to be
unchanged afterwards); the freshness check alone; and `GET /office/tinh/` with stale figures and a queue (marks
altered on the stored rows: the page shows them marked and queues one refresh on Redis, deduplicated). Writes
bench/out/province_snapshot/<timestamp>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.build_db import PG_BASE, make_app
from bench.province import PERIOD, PREFIX, PROVINCE, PROVINCE_USER, _get, _quantiles, _sample, _signed_in, baseline_app

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "province_snapshot"
REDIS_URL = "redis://127.0.0.1:6379/13"


def _log(msg: str) -> None:
    print(f"[province-snapshot {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@contextmanager
def own_table(app: Any) -> Iterator[bool]:
    """The table, created and dropped again if the database predates it; else its bench rows put back at the end.

    `figures_tokens` (0017_ward_figures), which the freshness check reads, likewise if it is missing.
    """
    from sqlalchemy import delete, insert, inspect, select

    from hailong.survey.extensions import db
    from hailong.survey.models import FiguresToken, ProvinceSnapshot

    table = ProvinceSnapshot.__table__
    scope = (ProvinceSnapshot.province == PROVINCE) & (ProvinceSnapshot.period == PERIOD)
    with app.app_context():
        names = inspect(db.engine).get_table_names()
        created = "province_snapshots" not in names
        tokens = None if "figures_tokens" in names else FiguresToken.__table__
        found: list[dict[str, Any]] = []
        if tokens is not None:
            _log("the database predates 0017_ward_figures: creating figures_tokens for this run only")
            tokens.create(db.engine)
        if created:
            _log("the database predates 0014_province_snapshots: creating province_snapshots for this run only")
            table.create(db.engine)
        else:
            with db.engine.connect() as conn:
                found = [dict(r._mapping) for r in conn.execute(select(table).where(scope))]
    try:
        yield created
    finally:
        with app.app_context():
            if tokens is not None:
                tokens.drop(db.engine)
                _log("dropped figures_tokens again")
            if created:
                table.drop(db.engine)
                _log("dropped province_snapshots again")
            else:
                with db.engine.begin() as conn:
                    conn.execute(delete(table).where(scope))
                    if found:
                        conn.execute(insert(table), found)
            db.engine.dispose()


def _stored_at(app: Any) -> list[tuple[str, str, int]]:
    """(kind, computed_at, payload length) of the stored rows of the bench's province and period."""
    from sqlalchemy import func, select

    from hailong.survey.extensions import db
    from hailong.survey.models import ProvinceSnapshot

    with app.app_context():
        rows = db.session.execute(select(ProvinceSnapshot.kind, ProvinceSnapshot.computed_at,
                                         func.length(ProvinceSnapshot.payload)).where(
            ProvinceSnapshot.province == PROVINCE, ProvinceSnapshot.period == PERIOD)).all()
        db.session.rollback()
    return sorted((str(k), str(at), int(n)) for k, at, n in rows)


def _refresh(app: Any) -> Callable[[], None]:
    from hailong.analysis.periods import parse_period
    from hailong.survey.services import province_snapshots as snap
    from hailong.survey.services import wards as ward_svc

    def run() -> None:
        with app.app_context():
            wards = ward_svc.of_province(PROVINCE)
            snap.refresh(PROVINCE, parse_period(PERIOD), wards)
            from hailong.survey import transaction

            transaction.start_over()

    return run


def _check(app: Any) -> Callable[[], None]:
    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.services import province_snapshots as snap
    from hailong.survey.services import wards as ward_svc

    def run() -> None:
        with app.app_context():
            period = parse_period(PERIOD)
            stored = snap.load(PROVINCE, period)
            assert stored is not None
            assert snap.current(stored, [w.id for w in ward_svc.of_province(PROVINCE)], period)
            db.session.rollback()

    return run


def _make_stale(app: Any) -> None:
    """Alter the stored rows' marks (this run's own rows): the page then sees figures that are not current."""
    from sqlalchemy import select, update

    from hailong.survey.extensions import db
    from hailong.survey.models import ProvinceSnapshot

    with app.app_context(), db.engine.begin() as conn:
        for row_id, payload in conn.execute(select(ProvinceSnapshot.id, ProvinceSnapshot.payload).where(
                ProvinceSnapshot.province == PROVINCE, ProvinceSnapshot.period == PERIOD)).all():
            data = json.loads(payload)
            data["marks"]["seen"] -= 1
            conn.execute(update(ProvinceSnapshot).where(ProvinceSnapshot.id == row_id)
                         .values(payload=json.dumps(data, ensure_ascii=False, separators=(",", ":"))))


def _drop_queue(name: str) -> int:
    from redis import Redis

    with Redis.from_url(REDIS_URL) as conn:
        keys = list(conn.scan_iter(f"*{name}*"))
        conn.srem("rq:queues", f"rq:queue:{name}")
        queued = int(conn.llen(f"rq:queue:{name}"))
        if keys:
            conn.delete(*keys)
    return queued


def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    os.environ.setdefault("HAILONG_INSTANCE_PATH", str(OUT / "instance"))
    app = make_app(url)
    app.config.update(HAILONG_QUEUE_URL=None, HAILONG_REDIS_URL=None)
    results: dict[str, Any] = {"rows": []}
    base = baseline_app(url).test_client()
    results["baseline"] = _quantiles(_sample(_get(base, "/"), 20, 200, args.budget))

    def row(name: str, what: str, fn: Callable[[], Any], samples: int, warmup: int = 2) -> dict[str, Any]:
        _log(f"measuring {name}")
        q = _quantiles(_sample(fn, warmup, samples, args.budget, args.min_samples))
        reference = _quantiles(_sample(_get(base, "/"), 5, 100, args.budget))["p50_ms"]
        q.update(name=name, what=what, baseline_p50_ms=reference, ratio_p50=round(q["p50_ms"] / reference, 2))
        results["rows"].append(q)
        _log(f"  {name}: p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms (n={q['n']})")
        return q

    with own_table(app) as created:
        results["created_table"] = created
        refresh = _refresh(app)
        _log("the first refresh of this process (no interval memo)")
        t0 = time.perf_counter()
        refresh()
        results["refresh_first_ms"] = round((time.perf_counter() - t0) * 1000, 1)
        _log(f"  {results['refresh_first_ms']:.0f} ms")
        row("refresh job, warm", "services.province_snapshots.refresh: 3 kinds x every ward, stored (what `hailong "
            "worker` runs)", refresh, args.refresh_samples, warmup=0)
        stored = _stored_at(app)
        results["payload_bytes"] = {k: n for k, _at, n in stored}
        province = _signed_in(app, PROVINCE_USER)
        page = _get(province, f"/office/tinh/?period={PERIOD}")
        row("province roll-up from the snapshot", f"GET /office/tinh/?period={PERIOD} (province account, stored "
            "figures current)", page, args.samples)
        assert _stored_at(app) == stored, "the page recomputed: the stored figures were not current"
        row("freshness check", "load the 3 rows + services.province_snapshots.current (one probe query)",
            _check(app), args.samples)
        body = province.get(f"/office/tinh/?period={PERIOD}").get_data(as_text=True)
        assert 'data-stale="no"' in body and "<tbody>" in body

        name = f"bench-{uuid.uuid4().hex[:8]}"
        app.config.update(HAILONG_QUEUE_URL=REDIS_URL, HAILONG_QUEUE_NAME=name)
        _make_stale(app)
        try:
            row("province roll-up, stale + queued", f"GET /office/tinh/?period={PERIOD}: stored figures not "
                "current, a queue configured: served marked, one refresh queued (deduplicated)", page, args.samples)
            body = province.get(f"/office/tinh/?period={PERIOD}").get_data(as_text=True)
            assert 'data-stale="yes"' in body and 'id="refreshing"' in body
        finally:
            results["stale_jobs_queued"] = _drop_queue(name)
        assert results["stale_jobs_queued"] == 1, results["stale_jobs_queued"]
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


def table(report: dict[str, Any]) -> str:
    m = report["measure"]
    b = m["baseline"]
    how = "created for this run and dropped" if m["created_table"] else "already there (its rows put back)"
    lines = [f"{report['database']}: the province roll-up from stored figures; server time in-process (Flask test "
             "client).", "",
             "| measurement | n | p50 ms | p95 ms | app CPU p50 ms | baseline p50 ms | × baseline (p50) |",
             "|---|---:|---:|---:|---:|---:|---:|",
             f"| bare Flask page + 1 query (baseline) | {b['n']} | {b['p50_ms']:.2f} | {b['p95_ms']:.2f} | "
             f"{b['cpu_p50_ms']:.2f} | | 1 |"]
    for r in m["rows"]:
        lines.append(f"| {r['name']} | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['cpu_p50_ms']:.1f} | "
                     f"{r['baseline_p50_ms']:.2f} | {r['ratio_p50']:,} |")
    lines += ["", f"First refresh of the process (no interval memo): {m['refresh_first_ms']:,} ms. Stored JSON per "
              f"kind: {m['payload_bytes']} bytes. Stale visits queued {m['stale_jobs_queued']} job(s). Table "
              f"{how}. Load average {m['load_average']}."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg-base", default=PG_BASE, help="server URL without database name")
    parser.add_argument("--responses", type=int, default=3_000_000)
    parser.add_argument("--database", help="database name (default hailong_province_<responses>)")
    parser.add_argument("--samples", type=int, default=50, help="samples per page after warm-up")
    parser.add_argument("--refresh-samples", type=int, default=3)
    parser.add_argument("--budget", type=float, default=180.0, help="seconds per measurement before it stops early")
    parser.add_argument("--min-samples", type=int, default=3, help="samples taken even over the budget")
    args = parser.parse_args(argv)
    name = args.database or f"{PREFIX}_{args.responses}"
    url = f"{args.pg_base.rstrip('/')}/{name}"
    report: dict[str, Any] = {"database": name, "measure": measure(args, url),
                              "at": datetime.now(UTC).isoformat(timespec="seconds")}
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(table(report))
    print(f"\n{path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

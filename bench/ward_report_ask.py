"""Time the ward report's button with a queue: from the click to the page back, against the synchronous PDF.

    .venv/bin/python -m bench.ward_report_ask [--size 100000] [--rounds 30] [--sync-runs 3]
    .venv/bin/python -m bench.ward_report_ask --db postgresql://postgres@127.0.0.1:5432/hailong_province_3000000 \
        [--ward an-tuong] [--period 2026-Q4] [--rounds 30]

Default: on bench.report's SQLite database (`size` responses over the 7 demo points in 2026-Q2, built once and
reused; copied so the bench's rows stay out of it), an app with a queue on Redis database 14 (a queue name of its
own, its keys deleted at the end) and an admin signed in through the test client. Each round, in turn: a bare
page (one trivial query, same app: the baseline), the click that queues a new job (kind health; the row is then
marked failed so the next click queues again), the click while one is waiting (kind education, never run), the
click that gets the finished file (all kinds, made once by `jobs.run` in-process, whose time is printed too), and
the reports page. Wall and CPU time per request, medians and p95, ratios to the bare page. Then `--sync-runs`
synchronous builds of the same report (the route without a queue), what the click used to cost.

With --db (read only, every connection READ_ONLY): the SQL the click adds on a province database, the data's
mark (`report_marks.mark`, as a click reads it to decide on reuse) and its check from a stored `through`
(`current`), against one trivial query, alternately.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REDIS_URL = "redis://127.0.0.1:6379/14"
READ_ONLY = "options=-c%20default_transaction_read_only%3Don"


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2),
            "n": len(ordered)}


def _timed(call: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def run_sqlite(size: int, rounds: int, sync_runs: int) -> dict[str, Any]:
    from redis import Redis
    from sqlalchemy import select, text, update
    from werkzeug.security import generate_password_hash

    from bench.report import build
    from hailong.survey import create_app, transaction
    from hailong.survey.extensions import db
    from hailong.survey.models import JobKind, JobStatus, ReportJob, User
    from hailong.survey.services import jobs as job_svc
    from hailong.survey.services import users as user_svc

    source = build(size)
    work = Path(tempfile.mkdtemp(prefix="hailong-ward-ask-"))
    path = work / "bench.db"
    shutil.copy(source, path)
    name = f"bench-{uuid.uuid4().hex[:10]}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench-only-not-secret",
                      "HAILONG_QUEUE_URL": REDIS_URL, "HAILONG_QUEUE_NAME": name,
                      "HAILONG_INSTANCE_PATH": work / "instance",
                      "HAILONG_BASE_URL": "http://bench.invalid"})

    def bare() -> str:
        db.session.execute(text("SELECT 1")).scalar()
        return "ok"

    app.add_url_rule("/bench-bare", "bench_bare", bare)
    with app.app_context(), transaction.boundary():
        db.session.add(User(organisation_id=1, username="admin", role="admin", active=True,
                            password_hash=generate_password_hash("bench-password-1", method=user_svc.HASH_METHOD)))
    client = app.test_client()

    def csrf(url: str) -> str:
        found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
        assert found, f"no CSRF token on {url}"
        return found.group(1)

    signed = client.post("/office/login", data={"csrf_token": csrf("/office/login"), "username": "admin",
                                                "password": "bench-password-1"})
    assert signed.status_code == 303, signed.status_code
    form_token = csrf("/office/bao-cao")
    out: dict[str, Any] = {"size": size, "period": "2026-Q2"}
    try:
        def ask(kind: str | None) -> Any:
            data = {"csrf_token": form_token, "period": "2026-Q2", **({"kind": kind} if kind else {})}
            return client.post("/office/report", data=data)

        # The finished report the reuse samples get (its build timed: the job's own time at this size).
        first = ask(None)
        assert first.status_code == 303, first.status_code
        with app.app_context():
            job_id = int(db.session.scalar(select(ReportJob.id).order_by(ReportJob.id.desc()).limit(1)) or 0)
            _, wall, cpu = _timed(lambda: job_svc.run(job_id))
            done = db.session.get(ReportJob, job_id)
            assert done is not None and done.status == JobStatus.DONE, done and done.error
        out["job_s"] = {"wall": round(wall, 2), "cpu": round(cpu, 2)}
        _log(f"job built in {wall:.2f} s (CPU {cpu:.2f} s)")
        reused = ask(None)
        assert reused.headers["Location"].endswith(f"/office/bao-cao/{job_id}/tep"), reused.headers["Location"]
        assert ask("education").status_code == 303  # the one left waiting

        samples: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}

        def note(label: str, call: Any, expect: int) -> None:
            response, wall, cpu = _timed(call)
            assert response.status_code == expect, (label, response.status_code)
            response.close()
            samples.setdefault(label, []).append(wall)
            cpus.setdefault(label, []).append(cpu)

        for i in range(rounds + 1):
            note("bare page", lambda: client.get("/bench-bare"), 200)
            note("click: queue a new job", lambda: ask("health"), 303)
            with app.app_context(), db.engine.begin() as conn:
                conn.execute(update(ReportJob).where(ReportJob.kind == JobKind.WARD_REPORT_PDF,
                                                     ReportJob.service_kind == "health")
                             .values(status=JobStatus.FAILED.value))
            note("click: one already waiting", lambda: ask("education"), 303)
            note("click: the finished file (redirect)", lambda: ask(None), 303)
            note("the reports page", lambda: client.get("/office/bao-cao"), 200)
            if i == 0:  # warm-up round
                samples.clear()
                cpus.clear()
        base = statistics.median(samples["bare page"])
        out["click"] = {label: {**_stats(values), "cpu_p50_ms": round(statistics.median(cpus[label]) * 1000, 2),
                                "x_bare_p50": round(statistics.median(values) / base, 1)}
                        for label, values in samples.items()}
        app.config.update(HAILONG_QUEUE_URL=None)
        sync = []
        for _ in range(sync_runs):
            response, wall, cpu = _timed(lambda: client.get("/office/report?period=2026-Q2"))
            assert response.status_code == 200 and response.mimetype == "application/pdf"
            sync.append((wall, cpu))
        out["synchronous_pdf_s"] = {"wall": [round(w, 2) for w, _ in sync], "cpu": [round(c, 2) for _, c in sync]}
    finally:
        with Redis.from_url(REDIS_URL) as conn:
            mine = list(conn.scan_iter(f"*{name}*"))
            conn.srem("rq:queues", f"rq:queue:{name}")
            if mine:
                conn.delete(*mine)
        shutil.rmtree(work, ignore_errors=True)
    return out


def run_db(url: str, ward_code: str, period_text: str, rounds: int) -> dict[str, Any]:
    from sqlalchemy import select, text

    from bench.build_db import make_app
    from hailong.analysis import windows
    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import Organisation
    from hailong.survey.services import report_marks

    app = make_app(url + ("&" if "?" in url else "?") + READ_ONLY)
    period = windows.in_window(parse_period(period_text), windows.REPORT)
    samples: dict[str, list[float]] = {}
    with app.app_context():
        ward = db.session.scalars(select(Organisation).filter_by(code=ward_code)).one()
        for annex in (False, True):
            options = report_marks.Options(period, None, annex)
            stored = report_marks.mark(ward.id, options)
            through = int(stored.split(":")[0])
            suffix = " (annex)" if annex else ""
            calls = (("one trivial query", lambda: db.session.execute(text("SELECT 1")).scalar()),
                     (f"mark{suffix}", lambda o=options: report_marks.mark(ward.id, o)),
                     (f"check from the stored through{suffix}",
                      lambda o=options, t=through, m=stored: report_marks.mark(ward.id, o, t) == m))
            for i in range(rounds + 1):
                for label, call in calls:
                    _, wall, _cpu = _timed(call)
                    if i:
                        samples.setdefault(label, []).append(wall)
                db.session.rollback()
    base = statistics.median(samples["one trivial query"])
    return {"db": url.rsplit("/", 1)[-1], "ward": ward_code, "period": period.label,
            "sql": {label: {**_stats(v), "x_trivial_p50": round(statistics.median(v) / base, 1)}
                    for label, v in samples.items()}}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100_000, help="responses of the SQLite database (100000)")
    parser.add_argument("--rounds", type=int, default=30, help="timed rounds after one warm-up (30)")
    parser.add_argument("--sync-runs", type=int, default=3, help="synchronous PDF builds to compare (3)")
    parser.add_argument("--db", help="an existing PostgreSQL database (read only): time the click's SQL there")
    parser.add_argument("--ward", default="an-tuong", help="the ward's code with --db (an-tuong)")
    parser.add_argument("--period", default="2026-Q4", help="the period with --db (2026-Q4)")
    args = parser.parse_args(argv)
    if args.db:
        result = run_db(args.db, args.ward, args.period, args.rounds)
    else:
        result = run_sqlite(args.size, args.rounds, args.sync_runs)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()

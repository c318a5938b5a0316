"""Time one quarter's formal report on a database of 100k responses across the 7 demo points.

    .venv/bin/python -m bench.report [--size 100000] [--runs 3] [--force]
    .venv/bin/python -m bench.report --db postgresql://postgres@127.0.0.1:5432/hailong_province_3000000 \
        [--ward an-tuong] [--period 2026-Q4] [--runs 5] [--process-runs 3]

With --db, an existing database (a bench.province one) is only read: each round times the ward's report split
into its parts (the data, the template, WeasyPrint's layout and PDF writing, the SQL statements' summed time,
the time the process's threads waited for a CPU from /proc's schedstat) and, in the same round, two baselines:
one trivial query on the same database and WeasyPrint writing a fixed one-line page. Then the whole
`hailong report` process against a bare process that connects and runs one query. Medians and ratios, as JSON.

The SQLite database is built once under bench/out/report-<size>.db (through
hailong.survey.services.responses.write_many,
exactly as the application stores responses) and reused while its sidecar .json matches. Prints the wall time of
`build_pdf` and, separately, the data + template part (`render_html`) and the WeasyPrint part (`HTML.write_pdf`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
PERIOD = "2026-Q2"
SEED = 2026
CHUNK = 2_000
GENERATOR_VERSION = 1
COMMENTS = (
    "Cán bộ hướng dẫn tận tình, dễ hiểu.",
    "Phòng chờ hơi nóng vào buổi trưa, đề nghị lắp thêm quạt.",
    "Thủ tục nhanh hơn năm ngoái nhiều.",
    "Mong có thêm chỗ để xe cho người dân.",
    "Có việc gì xin gọi cho tôi số 0912 345 678, cảm ơn.",
    "Góp ý thêm xin gửi về nguyenvana@example.com.",
    "Nhà vệ sinh cần được dọn thường xuyên hơn.",
    "Cô giáo quan tâm đến các cháu, gia đình rất yên tâm.",
    "Máy lấy số thứ tự hay bị lỗi.",
)


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _schema() -> str:
    """A fingerprint of the migrations, so a database built with other indexes is rebuilt."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def build(size: int, force: bool = False) -> Path:
    """The benchmark database (reused when fresh): `size` responses spread over the 7 demo points in one quarter."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"report-{size}.db"
    sidecar = path.with_suffix(".json")
    meta = {"size": size, "period": PERIOD, "generator": GENERATOR_VERSION, "seed": SEED, "schema": _schema()}
    if not force and path.exists() and sidecar.exists() and json.loads(sidecar.read_text()) == meta:
        return path
    path.unlink(missing_ok=True)
    sidecar.unlink(missing_ok=True)
    from flask_migrate import upgrade

    from hailong.analysis.periods import TZ, parse_period
    from hailong.survey import create_app
    from hailong.survey.extensions import db
    from hailong.survey.services import points as point_svc
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services.demo import synthetic_answers
    from hailong.survey.services.responses import Draft, write_many

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    started = time.perf_counter()
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        qsvc.sync()
        org = point_svc.ensure_organisation(
            app.config["HAILONG_WARD_CODE"], app.config["HAILONG_WARD_NAME"], app.config["HAILONG_PROVINCE"]
        )
        points = point_svc.ensure_demo_points(org)
        db.session.commit()
        versions = {k: qsvc.latest_version(k) for k in {p.kind for p in points}}
        definitions = {k: qsvc.definition(v) for k, v in versions.items()}
        period = parse_period(PERIOD)
        days = [period.start + timedelta(days=i) for i in range(period.days)]
        workdays = [d for d in days if d.weekday() < 5]
        rng = random.Random(SEED)
        drafts: list[Any] = []
        for i in range(size):
            point = points[i % len(points)]
            base = {"onestop": 4.2, "health": 4.45, "education": 4.55}[point.kind] + (i % 3 - 1) * 0.1
            day: date = rng.choice(workdays)
            moment = datetime(day.year, day.month, day.day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=TZ)
            comment = rng.choice(COMMENTS) if rng.random() < 0.08 else None
            drafts.append(
                Draft(
                    point=point,
                    version=versions[point.kind],
                    answers=synthetic_answers(rng, definitions[point.kind], base + rng.gauss(0, 0.55)),
                    submitted_at=moment,
                    comment=comment,
                    channel=rng.choices(["qr", "paper", "kiosk"], [0.75, 0.2, 0.05])[0],
                    flag_reason="Nghi là phiếu trùng lặp" if rng.random() < 0.01 else None,
                )
            )
            if len(drafts) == CHUNK:
                write_many(drafts)
                db.session.commit()
                drafts = []
                if (i + 1) % 20_000 == 0:
                    _log(f"  {i + 1} responses written ({time.perf_counter() - started:.0f} s)")
        write_many(drafts)
        db.session.commit()
        db.engine.dispose()
    sidecar.write_text(json.dumps(meta))
    _log(f"built {path} in {time.perf_counter() - started:.0f} s")
    return path


def run(path: Path, runs: int) -> dict[str, Any]:
    """Time build_pdf, and render_html + WeasyPrint separately, `runs` times each after one warm-up."""
    from weasyprint import HTML

    from hailong.analysis.periods import parse_period
    from hailong.survey import create_app
    from hailong.survey.services import reports, stats

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    period = parse_period(PERIOD)
    totals: list[float] = []
    totals_cpu: list[float] = []
    htmls: list[float] = []
    pdfs: list[float] = []
    pdfs_cpu: list[float] = []
    stats_only: list[float] = []
    with app.app_context():
        reports.build_pdf(period)  # warm-up: font discovery, template compilation, SQLite page cache
        pages = 0
        for _ in range(runs):
            t0, c0 = time.perf_counter(), time.process_time()
            pdf = reports.build_pdf(period)
            totals.append(time.perf_counter() - t0)
            totals_cpu.append(time.process_time() - c0)
            t1 = time.perf_counter()
            html = reports.render_html(period)
            t2, c2 = time.perf_counter(), time.process_time()
            document = HTML(string=html).render()
            pdf = document.write_pdf()
            t3, c3 = time.perf_counter(), time.process_time()
            htmls.append(t2 - t1)
            pdfs.append(t3 - t2)
            pdfs_cpu.append(c3 - c2)
            pages = len(document.pages)
            t4 = time.perf_counter()
            stats.indices_for(period)  # the part the report shares with `hailong indices --period`
            stats_only.append(time.perf_counter() - t4)
        total_responses = sum(s["responses"] for s in reports.gather(period)["sections"])
    wall = statistics.median(totals)
    split = statistics.median(htmls) + statistics.median(pdfs)
    return {
        "period": PERIOD,
        "responses_counted": total_responses,
        "pages": pages,
        "pdf_bytes": len(pdf),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "build_pdf_wall_s": [round(t, 3) for t in totals],
        "build_pdf_median_wall_s": round(wall, 3),
        "build_pdf_median_cpu_s": round(statistics.median(totals_cpu), 3),
        "data_and_template_median_s": round(statistics.median(htmls), 3),
        "of_which_stats_indices_for_median_s": round(statistics.median(stats_only), 3),
        "weasyprint_median_s": round(statistics.median(pdfs), 3),
        "weasyprint_median_cpu_s": round(statistics.median(pdfs_cpu), 3),
        "weasyprint_share": round(statistics.median(pdfs) / split, 3),
        "goal_s": 5.0,
        "goal_met": wall < 5.0,
    }


TRIVIAL_PAGE = "<!doctype html><html lang=vi><meta charset=utf-8><p>Báo cáo</p></html>"


def _run_queue_s() -> float:
    """Seconds this process's threads have spent runnable but waiting for a CPU (schedstat's run delay)."""
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total / 1e9


class _Clock:
    """Wall, CPU (all threads) and run-queue seconds of one block."""

    def __enter__(self) -> _Clock:
        self.wall, self.cpu, self.queued = time.perf_counter(), time.process_time(), _run_queue_s()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.queued = _run_queue_s() - self.queued


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 3)


#: libpq options that make every transaction of a connection read-only: a shared database is never written.
READ_ONLY = "options=-c%20default_transaction_read_only%3Don"


def run_db(url: str, ward_code: str, period_text: str, runs: int, process_runs: int) -> dict[str, Any]:
    """The ward report on an existing database, split, with same-round baselines (see the module docstring).

    Every connection is read-only (READ_ONLY). `hailong report` records the generated report at its end: that
    commit is refused, so the process exits with an error after writing the PDF, which is checked instead.
    """
    import subprocess
    import tempfile

    from sqlalchemy import event, select, text
    from weasyprint import HTML

    from bench.build_db import make_app
    from hailong.analysis import windows
    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import Organisation
    from hailong.survey.services import reports

    url = url + ("&" if "?" in url else "?") + READ_ONLY
    app = make_app(url)
    period = windows.in_window(parse_period(period_text), windows.REPORT)
    rows: dict[str, list[float]] = {}

    def note(name: str, value: float) -> None:
        rows.setdefault(name, []).append(value)

    with app.app_context():
        sql: list[float] = []

        @event.listens_for(db.engine, "before_cursor_execute")
        def _before(conn: Any, *args: Any) -> None:
            conn.info.setdefault("hailong_bench_t0", []).append(time.perf_counter())

        @event.listens_for(db.engine, "after_cursor_execute")
        def _after(conn: Any, *args: Any) -> None:
            sql.append(time.perf_counter() - conn.info["hailong_bench_t0"].pop())

        ward = db.session.scalars(select(Organisation).filter_by(code=ward_code)).one()
        pdf = reports.build_pdf(period, None, ward)  # warm-up: imports, fonts, templates, caches
        HTML(string=TRIVIAL_PAGE).write_pdf()
        pages = 0
        for _ in range(runs):
            with _Clock() as c:
                db.session.execute(text("SELECT 1")).scalar()
            note("baseline_query_s", c.wall)
            with _Clock() as c:
                HTML(string=TRIVIAL_PAGE).write_pdf()
            note("baseline_weasyprint_s", c.wall)
            db.session.rollback()
            sql.clear()
            with _Clock() as c:
                html = reports.render_html(period, None, ward)
            note("data_and_template_s", c.wall)
            note("data_and_template_cpu_s", c.cpu)
            note("data_and_template_queued_s", c.queued)
            note("sql_summed_s", sum(sql))
            note("sql_statements", len(sql))
            with _Clock() as c:
                document = HTML(string=html).render()
            note("layout_s", c.wall)
            note("layout_cpu_s", c.cpu)
            with _Clock() as c:
                document.write_pdf()
            note("pdf_write_s", c.wall)
            pages = len(document.pages)
            db.session.rollback()
            with _Clock() as c:
                pdf = reports.build_pdf(period, None, ward)
            note("build_pdf_s", c.wall)
            note("build_pdf_cpu_s", c.cpu)
            note("build_pdf_queued_s", c.queued)
            db.session.rollback()
        db.engine.dispose()
    out: dict[str, Any] = {"database": url.rsplit("/", 1)[-1].split("?")[0], "ward": ward_code, "period": period.label,
                           "pages": pages, "pdf_bytes": len(pdf), "runs": runs}
    out.update({f"median_{k}": _median(v) for k, v in rows.items()})
    out["build_pdf_runs_s"] = [round(x, 3) for x in rows["build_pdf_s"]]
    out["build_pdf_over_baseline_weasyprint"] = round(
        statistics.median(rows["build_pdf_s"]) / statistics.median(rows["baseline_weasyprint_s"]), 1)
    if process_runs:
        env = {**os.environ, "HAILONG_DATABASE_URL": url}
        hailong = str(Path(sys.executable).with_name("hailong"))
        bare = [sys.executable, "-c", "import sys, psycopg; psycopg.connect(sys.argv[1]).execute('SELECT 1')", url]
        walls: dict[str, list[float]] = {"bare_process_s": [], "hailong_report_process_s": []}
        with tempfile.TemporaryDirectory() as tmp:
            report = [hailong, "report", "--ward", ward_code, "--period", period_text, "--out", f"{tmp}/r.pdf"]
            for _ in range(process_runs):  # alternated, so both see the same load
                for name, cmd in (("bare_process_s", bare), ("hailong_report_process_s", report)):
                    Path(f"{tmp}/r.pdf").unlink(missing_ok=True)
                    t0 = time.perf_counter()
                    done = subprocess.run(cmd, env=env, check=False, capture_output=True, text=True)
                    walls[name].append(time.perf_counter() - t0)
                    if cmd is report and not Path(f"{tmp}/r.pdf").exists():
                        raise RuntimeError(f"hailong report wrote no PDF: {done.stderr[-2000:]}")
        out.update({f"median_{k}": _median(v) for k, v in walls.items()})
        out["hailong_report_over_bare_process"] = round(
            statistics.median(walls["hailong_report_process_s"]) / statistics.median(walls["bare_process_s"]), 1)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="number of responses (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    parser.add_argument("--force", action="store_true", help="rebuild the database even if it is fresh")
    parser.add_argument("--db", help="an existing database URL (read only): time the ward report there")
    parser.add_argument("--ward", default="an-tuong", help="the ward's code with --db (default an-tuong)")
    parser.add_argument("--period", default="2026-Q4", help="the period with --db (default 2026-Q4)")
    parser.add_argument("--process-runs", type=int, default=3,
                        help="with --db: whole `hailong report` processes, alternated with a bare one (default 3)")
    args = parser.parse_args(argv)
    if args.db:
        result = run_db(args.db, args.ward, args.period, max(1, args.runs), max(0, args.process_runs))
    else:
        result = run(build(args.size, args.force), max(1, args.runs))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

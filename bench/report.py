"""Time one quarter's formal report on a database of 100k responses across the 7 demo points.

    .venv/bin/python -m bench.report [--size 100000] [--runs 3] [--force]

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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=100_000, help="number of responses (default 100000)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs after one warm-up (default 3)")
    parser.add_argument("--force", action="store_true", help="rebuild the database even if it is fresh")
    args = parser.parse_args(argv)
    path = build(args.size, args.force)
    result = run(path, max(1, args.runs))
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()

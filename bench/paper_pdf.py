"""Time `hailong paper`'s PDF: N numbered forms of each kind, against one form rendered alone in the same run.

    .venv/bin/python -m bench.paper_pdf [--count 20] [--kinds onestop,health,education]

Builds a throw-away SQLite database under bench/out/, issues the serials through the service and renders them with
`hailong.survey.services.paper.render_pdf` (the command's own path: one form laid out first for "page k/n", then
the whole file), after one warm-up file (fonts). Wall time depends on how busy the machine is; CPU seconds of this
process (WeasyPrint runs in-process) much less, so both are printed. The ratio is the N-form file's CPU time over
N times the one-form file's; the one-form file lays its form out twice (once to count its pages), so a ratio near
0.5 means the cost grows linearly with the number of forms.
"""

from __future__ import annotations

import argparse
import io
import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20)
    parser.add_argument("--kinds", default="onestop,health,education")
    args = parser.parse_args()
    from flask_migrate import upgrade
    from pypdf import PdfReader

    from hailong.survey import create_app
    from hailong.survey.extensions import db
    from hailong.survey.services import paper, points, questionnaires

    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "paper-bench.db"
    path.unlink(missing_ok=True)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "SECRET_KEY": "bench"})
    print(f"{'kind':10} {'forms':>5} {'pages':>5} {'wall s':>7} {'cpu s':>6} {'cpu s/form':>10} "
          f"{'1 form cpu s':>12} {'ratio':>5} {'load':>5}")
    with app.app_context(), app.test_request_context():
        upgrade(directory=app.extensions["migrate"].directory)
        questionnaires.sync()
        ward = points.ensure_organisation("an-tuong", "Phường An Tường", "Tuyên Quang")
        demo = points.ensure_demo_points(ward)
        db.session.commit()
        for kind in args.kinds.split(","):
            point = next(p for p in demo if p.kind == kind)
            one = paper.issue(ward, kind, 1, point)
            paper.render_pdf(one)  # warm-up: fonts and stylesheets
            many = paper.issue(ward, kind, args.count, point)
            cpu = time.process_time()
            paper.render_pdf(one)
            cpu_one = time.process_time() - cpu
            wall, cpu = time.perf_counter(), time.process_time()
            pdf = paper.render_pdf(many)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            pages = len(PdfReader(io.BytesIO(pdf)).pages)
            print(f"{kind:10} {args.count:>5} {pages:>5} {wall:>7.1f} {cpu:>6.1f} {cpu / args.count:>10.2f} "
                  f"{cpu_one:>12.2f} {cpu / (args.count * cpu_one):>5.2f} {os.getloadavg()[0]:>5.1f}")
            db.session.rollback()
    path.unlink(missing_ok=True)


if __name__ == "__main__":
    main()

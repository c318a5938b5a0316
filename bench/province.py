"""A province at full size on PostgreSQL: 124 wards, 1,000 points, 3 million responses over 2026 (issue 15).

    .venv/bin/python -m bench.province --pg                     # build (or reuse with --keep) and measure
    .venv/bin/python -m bench.province --pg --responses 300000 --keep

Builds `hailong_province_<responses>` on --pg-base: wards through services.wards.add (what `hailong wards add`
calls), points through services.points.create over the three kinds, a ward admin and a province account through
services.users.create, the real questionnaires of forms/, then responses and answers loaded with COPY in chunks
(seeded; answers correlated as bench.build_db makes them). Column lists come from the SQLAlchemy tables and every
column is filled through RESPONSE_VALUES / ANSWER_VALUES, so a new column is one entry there. A sample of each kind
is written through services.responses.write_many first and must come back identical from the bulk loader (masks,
day_key and every other column are the app's). If services.rollups exists, its rebuild() runs after the load.

Then measures server time in-process (the Flask test client on the real PostgreSQL database, no socket), after
warm-up, against a bare Flask app answering a trivial page with one query on the same database, and writes
bench/out/province/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import compileall
import importlib
import importlib.util
import json
import os
import secrets
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bench import build_db
from bench.build_db import PG_BASE, Chunk, Layout, make_app

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out" / "province"
HAILONG = str(Path(sys.executable).with_name("hailong"))
PREFIX = "hailong_province"
PROVINCE = "Tuyên Quang"
GENERATOR_VERSION = 1  # bump when the generated rows change, so a --keep database is rebuilt
SEED = 2026
CHUNK = 50_000
SAMPLE = 200  # responses per kind written through write_many and compared with the bulk rows
#: Share of the responses per kind: the one-stop centre answers most, schools least (parents, once a term).
KIND_SHARE = {"onestop": 0.5, "health": 0.3, "education": 0.2}
#: Kind of a ward's j-th point, cycling: about 2 one-stop counters, 2 health points and 4 schools per ward.
KIND_CYCLE = ("onestop", "health", "education", "education")
WARD_ADMIN = "bench-ward-admin"
PROVINCE_USER = "bench-province"
PERIOD = "2026-Q4"
YEAR = "2026"

Int = npt.NDArray[np.int64]


def _log(msg: str) -> None:
    print(f"[province {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --- rows: one value function per column ------------------------------------------------------------------


@dataclass
class Rows:
    """One generated chunk with what its columns are computed from."""

    layout: Layout
    chunk: Chunk
    ward_of_point: dict[int, int]

    def __post_init__(self) -> None:
        points = np.array(self.layout.point_ids, dtype=np.int64)
        ward = np.zeros(max(self.ward_of_point) + 1, dtype=np.int64)  # ward id by point id
        ward[list(self.ward_of_point)] = list(self.ward_of_point.values())
        self.point_ids: Int = points[self.chunk.point]
        self.ward_ids: Int = ward[self.point_ids]
        self.day_keys: Int = build_db._day_keys(build_db.YEAR)[self.chunk.day_index]
        # build_db's matrix, its columns named by build_db.ANSWER_COLUMNS (its ward is the layout's: replaced here).
        self.answers: Int = build_db.answer_matrix(self.layout, self.chunk)
        self.answer_ward: Int = ward[self.answer_column("point_id")]

    def answer_column(self, name: str) -> Int:
        return self.answers[:, build_db.ANSWER_COLUMNS.index(name)]

    @property
    def n(self) -> int:
        return len(self.chunk.ids)


def _stamps(r: Rows) -> list[datetime]:
    utc = build_db._utc(r.chunk).astype("datetime64[s]").astype(datetime).tolist()
    return [d.replace(tzinfo=UTC) for d in utc]


def _comments(r: Rows) -> list[str | None]:
    return [build_db.COMMENTS[i] if i >= 0 else None for i in r.chunk.comment.tolist()]


def _signed(masks: Int) -> list[int]:
    return [build_db._signed(int(m)) for m in masks.tolist()]


#: responses: column -> values of a chunk (a list or array, one per response). A new column is one entry here.
RESPONSE_VALUES: dict[str, Callable[[Rows], Sequence[Any]]] = {
    "id": lambda r: r.chunk.ids.tolist(),
    "point_id": lambda r: r.point_ids.tolist(),
    "organisation_id": lambda r: r.ward_ids.tolist(),
    "questionnaire_id": lambda r: [r.layout.version_id] * r.n,
    "submitted_at": _stamps,
    "day_key": lambda r: r.day_keys.tolist(),
    "channel": lambda r: [build_db.CHANNELS[i] for i in r.chunk.channel.tolist()],
    "comment": _comments,
    "submission_key": lambda r: r.chunk.keys,
    "verified": lambda r: r.chunk.verified.tolist(),
    "flagged": lambda r: r.chunk.flagged.tolist(),
    "flag_reason": lambda r: [build_db.FLAG_REASON if f else None for f in r.chunk.flagged.tolist()],
    "sat_mask": lambda r: _signed(r.chunk.sat),
    "valid_mask": lambda r: _signed(r.chunk.valid),
    "comment_handled": lambda r: [False] * r.n,
    "comment_note": lambda r: [None] * r.n,
}

#: answers: column -> numpy array over the chunk's answer rows (fixed-width types, sent as binary COPY).
ANSWER_VALUES: dict[str, Callable[[Rows], npt.NDArray[Any]]] = {
    "response_id": lambda r: r.answer_column("response_id"),
    "question_id": lambda r: r.answer_column("question_id"),
    "value": lambda r: r.answer_column("value"),
    "point_id": lambda r: r.answer_column("point_id"),
    "organisation_id": lambda r: r.answer_ward,
    "day_key": lambda r: r.answer_column("day_key"),
    "excluded": lambda r: r.answer_column("excluded"),
}


def _columns(table: Any, values: dict[str, Any]) -> list[str]:
    """The table's columns that the bench fills; a required column without a value function is an error."""
    names = []
    for column in table.columns:
        if column.name in values:
            names.append(column.name)
        elif not (column.nullable or column.server_default is not None):
            raise SystemExit(f"{table.name}.{column.name} is required: add it to {table.name.upper()}_VALUES "
                             "in bench/province.py")
        else:
            _log(f"note: {table.name}.{column.name} is left to its default/NULL (no value function)")
    return names


def _binary_dtype(table: Any, names: Sequence[str]) -> np.dtype[Any]:
    """A numpy record of PostgreSQL's binary COPY tuple for fixed-width columns (field count, then length+value)."""
    from sqlalchemy import BigInteger, Boolean, Integer, SmallInteger

    fields: list[tuple[str, str]] = [("nf", ">i2")]
    for name in names:
        kind = table.columns[name].type
        if isinstance(kind, BigInteger):
            code = ">i8"
        elif isinstance(kind, SmallInteger):
            code = ">i2"
        elif isinstance(kind, Integer):
            code = ">i4"
        elif isinstance(kind, Boolean):
            code = "u1"
        else:
            raise SystemExit(f"answers.{name}: {kind!r} is not a fixed-width type the binary COPY knows")
        fields += [(f"len_{name}", ">i4"), (name, code)]
    return np.dtype(fields)


_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)


class Loader:
    """COPY of generated chunks into responses (text rows) and answers (binary, built with numpy)."""

    def __init__(self) -> None:
        from hailong.survey.models import Answer, Submission

        self.response_columns = _columns(Submission.__table__, RESPONSE_VALUES)
        self.answer_columns = _columns(Answer.__table__, ANSWER_VALUES)
        self.answer_dtype = _binary_dtype(Answer.__table__, self.answer_columns)

    def load(self, conn: Any, rows: Rows) -> int:
        """COPY one chunk on a psycopg connection (the caller commits); returns its answer rows."""
        values = [RESPONSE_VALUES[c](rows) for c in self.response_columns]
        with conn.cursor() as cur:
            with cur.copy(f"COPY responses ({', '.join(self.response_columns)}) FROM STDIN") as copy:
                for row in zip(*values, strict=True):
                    copy.write_row(row)
            rec = np.zeros(len(rows.answers), dtype=self.answer_dtype)
            rec["nf"] = len(self.answer_columns)
            for name in self.answer_columns:
                rec[f"len_{name}"] = self.answer_dtype[name].itemsize
                rec[name] = ANSWER_VALUES[name](rows)
            with cur.copy(f"COPY answers ({', '.join(self.answer_columns)}) FROM STDIN WITH (FORMAT binary)") as copy:
                copy.write(_HEADER + rec.tobytes() + struct.pack(">h", -1))
        return len(rec)


# --- the province: wards, points, accounts ----------------------------------------------------------------


def _ward_code(i: int) -> str:
    return "an-tuong" if i == 0 else f"xa-{i:03d}"


def _ward_name(i: int) -> str:
    return "Phường An Tường" if i == 0 else f"Xã số {i:03d}"


def _point_name(kind: str, ward: str, j: int) -> str:
    names = {"onestop": "Trung tâm Phục vụ hành chính công - Quầy", "health": "Trạm Y tế - Điểm",
             "education": "Trường học - Điểm"}
    return f"{names[kind]} {j + 1} ({ward})"


def setup_province(n_wards: int, n_points: int, first: int = 0) -> dict[str, Any]:
    """Wards (numbered from `first`), points and accounts through the app's services; returns the layouts."""
    from hailong.survey.extensions import db
    from hailong.survey.services import points as point_svc
    from hailong.survey.services import publication
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import users as user_svc
    from hailong.survey.services import wards as ward_svc

    qsvc.sync()
    wards = [ward_svc.add(_ward_code(i), _ward_name(i), PROVINCE) for i in range(first, first + n_wards)]
    by_kind: dict[str, list[Any]] = {k: [] for k in KIND_SHARE}
    for p in range(n_points):
        ward = wards[p % n_wards]
        j = p // n_wards
        kind = KIND_CYCLE[j % len(KIND_CYCLE)]
        by_kind[kind].append(point_svc.create(ward, f"{kind[:2]}-{j + 1}", _point_name(kind, ward.name, j), kind))
    password = secrets.token_urlsafe(24)  # never used: the bench signs in with a session cookie
    user_svc.create(WARD_ADMIN, password, "admin", ward=wards[0])
    user_svc.create(PROVINCE_USER, password, "province", province=PROVINCE)
    publication.publish_all(wards[0].id, "bench")
    db.session.commit()
    return {"layouts": {k: build_db.layout_of(v, k) for k, v in by_kind.items() if v},
            "ward_of_point": {p.id: p.organisation_id for v in by_kind.values() for p in v}}


def check_sample(loader: Loader, layouts: dict[str, Layout], ward_of_point: dict[int, int]) -> None:
    """Per kind: rows written through write_many must equal the bulk loader's rows for the same responses."""
    from sqlalchemy import text

    from hailong.survey.extensions import db
    from hailong.survey.services.responses import write_many

    for i, (kind, layout) in enumerate(layouts.items()):
        (chunk,) = build_db.generate(layout, SAMPLE, seed=SEED + 100 + i, chunk=SAMPLE)
        ids = write_many(build_db.drafts(layout, chunk))
        db.session.commit()
        expected = build_db._dump()
        build_db._clear()
        chunk.ids = np.array(ids, dtype=np.int64)
        raw = db.session.connection().connection.driver_connection
        loader.load(raw, Rows(layout, chunk, ward_of_point))
        db.session.commit()
        got = build_db._dump()
        build_db._clear()
        if got != expected:
            diff = [(a, b) for a, b in zip(expected[0] + expected[1], got[0] + got[1], strict=False) if a != b][:3]
            raise AssertionError(f"{kind}: bulk rows differ from write_many's: {diff}")
        _log(f"{kind}: {SAMPLE} responses ({len(expected[1])} answers): bulk rows == write_many rows")
    db.session.execute(text("SELECT setval('responses_id_seq', 1, false)"))
    db.session.commit()


def _sizes(total: int) -> dict[str, int]:
    """Responses per kind: KIND_SHARE of the total, the remainder to onestop."""
    sizes = {k: int(total * s) for k, s in KIND_SHARE.items()}
    sizes["onestop"] += total - sum(sizes.values())
    return sizes


def _rollups() -> Any | None:
    """services.rollups if this branch has it."""
    if importlib.util.find_spec("hailong.survey.services.rollups") is None:
        return None
    return importlib.import_module("hailong.survey.services.rollups")


def _sidecar(dbname: str) -> Path:
    return OUT / f"{dbname}.json"


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    return {"responses": args.responses, "wards": args.wards, "points": args.points, "generator": GENERATOR_VERSION,
            "seed": SEED, "schema": build_db.schema_fingerprint()}


def build(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Build the province database (or reuse it with --keep when its sidecar and row count match)."""
    import psycopg

    dbname = url.rsplit("/", 1)[1]
    build_db._ensure_pg_database(url)
    sidecar = _sidecar(dbname)
    if args.keep:
        stored = json.loads(sidecar.read_text()) if sidecar.exists() else None
        with psycopg.connect(url) as conn:
            loaded = conn.execute("SELECT to_regclass('responses') IS NOT NULL").fetchone()
            row = conn.execute("SELECT count(*) FROM responses").fetchone() if loaded and loaded[0] else None
        wanted = _meta(args)
        differs = [k for k, v in wanted.items() if k != "schema" and (stored or {}).get(k) != v]
        if stored is not None and not differs and row is not None and row[0] == args.responses:
            if stored.get("schema") != wanted["schema"]:
                # New migrations since the load: upgrade in place, as a deployed database would be.
                _log(f"{dbname}: migrations changed since the load; alembic upgrade head")
                app = make_app(url)
                with app.app_context():
                    from flask_migrate import upgrade

                    upgrade(directory=app.extensions["migrate"].directory)
                stored["schema"] = wanted["schema"]
                sidecar.write_text(json.dumps(stored, indent=2))
            _log(f"reusing {dbname} ({row[0]:,} responses)")
            return dict(stored, reused=True)
        if row is not None and row[0]:
            # --keep never drops data: a database built from another checkout has its sidecar there (copy it
            # to bench/out/province/), and one that does not match is rebuilt only when asked (without --keep).
            raise SystemExit(f"{dbname} holds {row[0]:,} responses but "
                             + ("has no sidecar " + str(sidecar) if stored is None
                                else "its sidecar does not match (" + ", ".join(differs or ["row count"]) + ")")
                             + "; --keep does not rebuild a loaded database (run without --keep to rebuild it)")
        _log(f"{dbname} is empty; building")
    sidecar.unlink(missing_ok=True)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    app = make_app(url)
    with app.app_context():
        from flask_migrate import upgrade

        from hailong.survey.extensions import db

        upgrade(directory=app.extensions["migrate"].directory)
        built = setup_province(args.wards, args.points)
        layouts, ward_of_point = built["layouts"], built["ward_of_point"]
        loader = Loader()
        check_sample(loader, layouts, ward_of_point)
        db.session.remove()
        db.engine.dispose()
    timings["setup_s"] = time.perf_counter() - started

    t0 = time.perf_counter()
    answers = 0
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")  # consistent by construction: skip FK triggers
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('answers', 'responses') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)").fetchall()
        for index, _ in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        conn.commit()
        first_id = 1
        done = 0
        for i, (kind, size) in enumerate(_sizes(args.responses).items()):
            if kind not in layouts or size == 0:
                continue
            for chunk in build_db.generate(layouts[kind], size, seed=SEED + i, chunk=CHUNK, first_id=first_id):
                answers += loader.load(conn, Rows(layouts[kind], chunk, ward_of_point))
                conn.commit()
                done += len(chunk.ids)
                if done % (CHUNK * 10) == 0 or done == args.responses:
                    rate = done / (time.perf_counter() - t0)
                    _log(f"{done:>10,} / {args.responses:,} responses, {answers:,} answers ({rate:,.0f} responses/s)")
            first_id += size
        timings["copy_s"] = time.perf_counter() - t0
        t1 = time.perf_counter()
        _log(f"creating {len(indexes)} indexes")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("SELECT setval('responses_id_seq', (SELECT max(id) FROM responses))")
        conn.commit()
        timings["indexes_s"] = time.perf_counter() - t1
    rollups = _rollups()
    if rollups is not None:
        t2 = time.perf_counter()
        app = make_app(url)
        with app.app_context():
            from hailong.survey.extensions import db

            rollups.rebuild()
            db.session.commit()
            db.engine.dispose()
        timings["rollups_rebuild_s"] = time.perf_counter() - t2
        _log(f"rollups.rebuild(): {timings['rollups_rebuild_s']:.1f} s")
    else:
        _log("no survey.services.rollups on this branch: no rollup rebuild")
    t3 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        _log("VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")
    timings["vacuum_analyze_s"] = time.perf_counter() - t3
    timings["total_s"] = time.perf_counter() - started
    meta = {**_meta(args), "answers": answers, **{k: round(v, 1) for k, v in timings.items()},
            "rollups": rollups is not None, "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    OUT.mkdir(parents=True, exist_ok=True)
    sidecar.write_text(json.dumps(meta, indent=2))
    _log(f"built {dbname}: {args.responses:,} responses, {answers:,} answers in {timings['total_s']:.0f} s")
    return dict(meta, reused=False)


# --- measurements ----------------------------------------------------------------------------------------


def _quantiles(samples: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """n, p50/p95/max wall ms and p50 CPU ms of this process, from (wall, cpu) samples."""
    ms = [w for w, _ in samples]
    return {"n": len(ms), "p50_ms": round(float(np.percentile(ms, 50)), 2),
            "p95_ms": round(float(np.percentile(ms, 95)), 2), "max_ms": round(max(ms), 2),
            "cpu_p50_ms": round(float(np.percentile([c for _, c in samples], 50)), 2)}


def _sample(fn: Callable[[], Any], warmup: int, samples: int, budget: float,
            least: int = 3, before: Callable[[], None] | None = None) -> list[tuple[float, float]]:
    """(wall, CPU of this process) ms of `samples` calls after `warmup` calls; stops after `least` over `budget` s.

    CPU time is this process's only (the Flask app, or the waiting parent of a child process), not PostgreSQL's:
    on a machine shared with other jobs it shows how much of the wall time the app itself spent.
    """
    for _ in range(warmup):
        if before is not None:
            before()
        fn()
    out: list[tuple[float, float]] = []
    started = time.perf_counter()
    for _ in range(samples):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        out.append(((time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000))
        if len(out) >= least and time.perf_counter() - started > budget:
            break
    return out


def baseline_app(url: str) -> Any:
    """The bare baseline: a Flask app whose one page runs one trivial query on the same database."""
    import psycopg
    from flask import Flask

    app = Flask("baseline")
    conn = psycopg.connect(url, autocommit=True)

    @app.get("/")
    def page() -> str:
        (n,) = conn.execute("SELECT count(*) FROM organisations").fetchone() or (0,)
        return f"<!doctype html><html lang=vi><meta charset=utf-8><title>Phường</title><p>{n} phường</p></html>"

    return app


def _signed_in(app: Any, username: str) -> Any:
    """A test client carrying the Flask-Login session of an existing account (no password form)."""
    from sqlalchemy import select

    from hailong.survey.extensions import db
    from hailong.survey.models import User

    with app.app_context():
        user = db.session.scalars(select(User).filter_by(username=username)).one()
        session_id = user.get_id()
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def _get(client: Any, path: str, status: int = 200) -> Callable[[], Any]:
    def fetch() -> Any:
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == status, (path, response.status_code)
        response.close()
        return response

    return fetch


def _new_response(app: Any, ward_id: int, written: list[int]) -> Callable[[], None]:
    """Commit a real citizen response (health, the ward's, a day of the quarter), untimed before a visit: what the
    first visit after a new answer costs (the quarter's rollup rows read again, its intervals resampled). The ids
    go to `written`, for _erase."""
    import random
    from datetime import date
    from datetime import time as clock

    from sqlalchemy import select

    from hailong.analysis.periods import TZ, parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import ServicePoint
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as rsvc

    rng = random.Random(SEED + 15)
    period = parse_period(PERIOD)

    def write() -> None:
        with app.app_context():
            points = list(db.session.scalars(select(ServicePoint).filter_by(
                organisation_id=ward_id, kind="health", active=True).order_by(ServicePoint.id)))
            version = qsvc.latest_version("health")
            q = qsvc.definition(version)
            answers: dict[str, Any] = {s.code: rng.choice([2, 3, 4, 4, 5, 5]) for s in q.statements}
            last = min(period.end, date.today())  # a day of the quarter that has come
            day = period.start + timedelta(days=rng.randrange(max(1, (last - period.start).days)))
            written.extend(rsvc.write_many([rsvc.Draft(
                point=rng.choice(points), version=version, answers=answers,
                submitted_at=datetime.combine(day, clock(9, 30), tzinfo=TZ))]))
            db.session.commit()

    return write


def _erase(app: Any, ids: Sequence[int]) -> None:
    """Erase responses the bench wrote, as the office erases them (their rollups with them)."""
    from hailong.survey.extensions import db
    from hailong.survey.services import responses as rsvc

    if ids:
        with app.app_context():
            rsvc.erase(list(ids))
            db.session.commit()


def _forget_memos(app: Any) -> Callable[[], None]:
    """Forget, untimed before a visit, what a new worker would not have: kept rollup rows, memoised intervals."""
    from hailong.analysis import intervals

    def forget() -> None:
        app.extensions.pop("hailong_rollup_pieces", None)
        intervals.clear_memos()

    return forget


def _process(cmd: list[str], env: dict[str, str]) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(cmd, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)

    return run


def _job(app: Any, make: Callable[[], Any]) -> Callable[[], None]:
    """A job run in-process as `hailong worker` runs it: `make()` gives the row as the office makes it (no Redis)."""
    from hailong.survey.extensions import db
    from hailong.survey.models import ReportJob
    from hailong.survey.services import jobs

    def run() -> None:
        with app.app_context():
            job = make()
            db.session.add(job)
            db.session.commit()
            job_id = job.id
            jobs.run(job_id)
            done = db.session.get_one(ReportJob, job_id)
            db.session.refresh(done)
            assert done.status == "done", (done.status, done.error)

    return run


def _province_job(app: Any, kind: str) -> Callable[[], None]:
    """One province job (the province report or export) for PERIOD, asked by the province account."""
    from sqlalchemy import select

    from hailong.survey.extensions import db
    from hailong.survey.models import ReportJob, User

    def make() -> Any:
        account = db.session.scalars(select(User).filter_by(username=PROVINCE_USER)).one()
        return ReportJob(organisation_id=None, province=account.province, requested_by=account.id, kind=kind,
                         period=PERIOD, service_kind=None, status="queued")

    return _job(app, make)


def _ward_report_job(app: Any, ward_id: int) -> Callable[[], None]:
    """The ward's quarterly report (all kinds, its reporting window), asked as the office's report button asks it
    (services.ward_reports)."""
    from sqlalchemy import select

    from hailong.analysis import windows
    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import JobKind, Organisation, ReportJob, User

    def make() -> Any:
        account = db.session.scalars(select(User).filter_by(username=WARD_ADMIN)).one()
        ward = db.session.get_one(Organisation, ward_id)
        period = windows.in_window(parse_period(PERIOD), windows.REPORT)
        return ReportJob(organisation_id=ward.id, province=ward.province, requested_by=account.id,
                         kind=JobKind.WARD_REPORT_PDF.value, period=period.label, service_kind=None,
                         status="queued")

    return _job(app, make)


def _db_size(url: str) -> dict[str, Any]:
    import psycopg

    with psycopg.connect(url) as conn:
        total = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        tables = conn.execute(
            "SELECT c.relname, pg_total_relation_size(c.oid), pg_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND n.nspname = 'public' "
            "ORDER BY 2 DESC").fetchall()
    assert total is not None
    rollup = sum(t[1] for t in tables if "rollup" in t[0])
    return {"database_bytes": int(total[0]),
            "tables": {name: {"total_bytes": int(t), "heap_bytes": int(h)} for name, t, h in tables if t > 1 << 20},
            "rollup_bytes": int(rollup), "rollup_share": round(rollup / int(total[0]), 4) if rollup else None}


def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Every page and command of the brief, with its p50/p95 and ratio to the baseline's p50."""
    from sqlalchemy import func, select

    from hailong.analysis.periods import parse_period
    from hailong.survey.extensions import db
    from hailong.survey.models import Organisation, Submission
    from hailong.survey.services import publication
    from hailong.survey.services.periods import within

    # The jobs write their files into the instance folder: the bench's own, not the user's.
    os.environ.setdefault("HAILONG_INSTANCE_PATH", str(OUT / "instance"))
    app = make_app(url)
    ward = _ward_code(0)
    results: dict[str, Any] = {"rows": []}
    with app.app_context():
        ward_id = db.session.scalars(select(Organisation.id).filter_by(code=ward)).one()
        counted = db.session.execute(
            select(func.count()).select_from(Submission).where(within(Submission.day_key, parse_period(PERIOD)))
        ).scalar_one()
        results["responses_in_period"] = counted
    base = baseline_app(url).test_client()
    ms = _sample(_get(base, "/"), 20, max(args.samples, 200), args.budget)
    results["baseline"] = _quantiles(ms)

    selected = None if not args.only else {name for key in args.only for name in ONLY[key]}

    def row(name: str, what: str, fn: Callable[[], Any], samples: int, warmup: int = 2,
            reference: float | None = None, before: Callable[[], None] | None = None) -> None:
        if selected is not None and name not in selected:
            return
        _log(f"measuring {name}")
        q = _quantiles(_sample(fn, warmup, samples, args.budget, args.min_samples, before))
        if reference is None:
            # The machine's load changes over a long run: each row's ratio is to a baseline measured right after it.
            reference = _quantiles(_sample(_get(base, "/"), 5, 100, args.budget))["p50_ms"]
        q.update(name=name, what=what, baseline_p50_ms=reference, ratio_p50=round(q["p50_ms"] / reference, 2))
        results["rows"].append(q)
        _log(f"  {name}: p50 {q['p50_ms']:.1f} ms, p95 {q['p95_ms']:.1f} ms (n={q['n']})")

    admin = _signed_in(app, WARD_ADMIN)
    province = _signed_in(app, PROVINCE_USER)
    public = app.test_client()
    row("ward dashboard", f"GET /office/?period={PERIOD}&kind=health (ward admin)",
        _get(admin, f"/office/?period={PERIOD}&kind=health"), args.samples)
    written: list[int] = []
    try:
        row("ward dashboard, after a response", f"GET /office/?period={PERIOD}&kind=health (ward admin), one new "
            "health response of the ward in the quarter written and committed before each visit (not timed)",
            _get(admin, f"/office/?period={PERIOD}&kind=health"), args.samples,
            before=_new_response(app, ward_id, written))
    finally:
        _erase(app, written)  # the database keeps the row count its sidecar records
    row("ward dashboard, new process", f"GET /office/?period={PERIOD}&kind=health (ward admin), the kept rollup "
        "rows and interval memos of the process forgotten before each visit",
        _get(admin, f"/office/?period={PERIOD}&kind=health"), args.samples, before=_forget_memos(app))
    row("province roll-up", f"GET /office/tinh/?period={PERIOD} (province account, {args.wards} wards x 3 kinds)",
        _get(province, f"/office/tinh/?period={PERIOD}"), args.samples, warmup=1)
    row("province drill-down", f"GET /office/tinh/{ward}/?period={PERIOD}&kind=health (province account)",
        _get(province, f"/office/tinh/{ward}/?period={PERIOD}&kind=health"), args.samples)
    row("element drill-down", f"GET /office/element/staff?period={PERIOD}&kind=health (ward admin)",
        _get(admin, f"/office/element/staff?period={PERIOD}&kind=health"), args.samples)
    if selected is None or "public page" in selected:
        # The first visit of a process with no shared copy computes the snapshot; then visits serve stored bytes.
        t0 = time.perf_counter()
        _get(public, f"/cong-khai/{ward}")()
        results["public_first_visit_ms"] = round((time.perf_counter() - t0) * 1000, 1)
    row("public page", f"GET /cong-khai/{ward} (gzip, the process's snapshot)", _get(public, f"/cong-khai/{ward}"),
        max(args.samples, 100))
    page = _get(public, f"/cong-khai/{ward}")

    def revalidated() -> None:
        # Without the process's copy: the shared copy is loaded from the store and checked with one probe query
        # (what every visit after the 5 s check interval, and a new worker's first visit, costs).
        app.extensions["hailong.public"].forget()
        page()

    row("public page, revalidated", f"GET /cong-khai/{ward}: store load + freshness probe", revalidated,
        max(args.samples, 100))
    with app.app_context():
        ward_row = db.session.get_one(Organisation, ward_id)
        marks = publication.probe(db.session.connection(), ward_id, None, datetime.now(UTC))
        row("public recompute", "publication.compute(ward): after a response, off the request",
            lambda: publication.compute(ward_row, datetime.now(UTC), marks), 3, warmup=0)
        db.session.rollback()
    row("ward quarterly PDF", f"GET /office/report?period={PERIOD} (all kinds, ward admin), built in the request "
        "as it is without a queue",
        _get(admin, f"/office/report?period={PERIOD}"), args.pdf_samples, warmup=1)
    env = {**os.environ, "HAILONG_DATABASE_URL": url}
    bare = [sys.executable, "-c", "import sys, psycopg; psycopg.connect(sys.argv[1]).execute('SELECT 1')", url]
    # An installed wheel has its bytecode compiled at install time; an editable checkout run with
    # PYTHONDONTWRITEBYTECODE=1 would compile every module of the project from source in each process (0.1-0.5 s
    # of CPU here, measured with and without survey/__pycache__).
    for package in ("analysis", "forms", "survey"):
        compileall.compile_dir(ROOT / package, quiet=1)
    if selected is None or "hailong indices (process)" in selected:
        _log("measuring the bare process")
        results["baseline_process"] = _quantiles(_sample(_process(bare, env), 1, args.cli_samples, args.budget))
        row("hailong indices (process)", f"hailong indices --ward {ward} --period {YEAR}",
            _process([HAILONG, "indices", "--ward", ward, "--period", YEAR], env), args.cli_samples, warmup=1,
            reference=results["baseline_process"]["p50_ms"])
    row("ward report job", f"services.jobs.run: the ward's quarterly PDF for {PERIOD} (all kinds, its reporting "
        "window), what `hailong worker` runs when the office's report button asks for it",
        _ward_report_job(app, ward_id), args.pdf_samples, warmup=0)
    row("province report job", f"services.jobs.run: the province roll-up PDF for {PERIOD} ({args.wards} wards x 3 "
        "kinds, this period and the previous), what `hailong worker` runs, without the queue",
        _province_job(app, "province_report_pdf"), args.pdf_samples, warmup=0)
    row("province export job", f"services.jobs.run: every ward's responses of {PERIOD} as one CSV",
        _province_job(app, "province_export_csv"), args.pdf_samples, warmup=0)
    results["size"] = _db_size(url)
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return results


#: --only's names: the measurement rows each selects.
ONLY = {"dashboard": ("ward dashboard", "ward dashboard, after a response", "ward dashboard, new process"),
        "rollup": ("province roll-up",), "drilldown": ("province drill-down",),
        "element": ("element drill-down",), "public": ("public page", "public page, revalidated", "public recompute"),
        "pdf": ("ward quarterly PDF", "ward report job"), "indices": ("hailong indices (process)",),
        "jobs": ("ward report job", "province report job"), "export": ("province export job",)}


GOALS_MS = {"ward dashboard": 300, "ward dashboard, after a response": 300, "ward dashboard, new process": 300,
            "province roll-up": 300, "province drill-down": 300, "element drill-down": 300,
            "public page": 300, "public page, revalidated": 300, "ward quarterly PDF": 3000,
            "hailong indices (process)": 1000}  # the jobs have no goal: they run off the request


def table(report: dict[str, Any]) -> str:
    """The results as a markdown table."""
    m = report["measure"]
    lines = [f"{report['responses']:,} responses, {report['wards']} wards, {report['points']} points on PostgreSQL; "
             f"{m['responses_in_period']:,} responses in {PERIOD}; server time in-process (Flask test client).",
             "",
             "| measurement | n | p50 ms | p95 ms | app CPU p50 ms | baseline p50 ms | × baseline (p50) | goal p95 |",
             "|---|---:|---:|---:|---:|---:|---:|---|"]
    b, bp = m["baseline"], m.get("baseline_process")
    lines.append(f"| bare Flask page + 1 query (baseline) | {b['n']} | {b['p50_ms']:.2f} | {b['p95_ms']:.2f} | "
                 f"{b['cpu_p50_ms']:.2f} | | 1 | |")
    if bp is not None:
        lines.append(f"| bare Python process + connect (process baseline) | {bp['n']} | {bp['p50_ms']:.0f} | "
                     f"{bp['p95_ms']:.0f} | | | 1 | |")
    for r in m["rows"]:
        goal = GOALS_MS.get(r["name"])
        met = "" if goal is None else f"< {goal} ms: {'yes' if r['p95_ms'] < goal else '**no**'}"
        lines.append(f"| {r['name']} | {r['n']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['cpu_p50_ms']:.1f} | "
                     f"{r['baseline_p50_ms']:.2f} | {r['ratio_p50']:,} | {met} |")
    size = m["size"]
    gb = size["database_bytes"] / 1e9
    build = report["build"]
    first = m.get("public_first_visit_ms")
    lines += ["", (f"Public page, first visit of the process (computes the snapshot): {first:,} ms. "
                   if first is not None else "") + "Jobs run in-process as `hailong worker` runs them.",
              f"Database {gb:.2f} GB ({size['database_bytes'] / report['responses']:,.0f} B/response); "
              + ", ".join(f"{k} {v['total_bytes'] / 1e9:.2f} GB" for k, v in list(size["tables"].items())[:4])
              + (f"; rollups {size['rollup_bytes'] / 1e9:.3f} GB ({size['rollup_share']:.1%})"
                 if size["rollup_share"] else "; no rollup tables") + ".",
              f"Build: {build.get('total_s', '?')} s ({'reused' if build.get('reused') else 'built'}"
              f"; COPY {build.get('copy_s', '?')} s, indexes {build.get('indexes_s', '?')} s, "
              f"rollups {build.get('rollups_rebuild_s', '-')} s, VACUUM ANALYZE "
              f"{build.get('vacuum_analyze_s', '?')} s). Load average {m['load_average']}."]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL (the only backend of this bench)")
    parser.add_argument("--pg-base", default=PG_BASE, help="server URL without database name")
    parser.add_argument("--responses", type=int, default=3_000_000)
    parser.add_argument("--wards", type=int, default=124)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--keep", action="store_true",
                        help="reuse the loaded database (upgraded in place if migrations were added); never drops it")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--samples", type=int, default=20, help="samples per page after warm-up")
    parser.add_argument("--pdf-samples", type=int, default=5)
    parser.add_argument("--cli-samples", type=int, default=5)
    parser.add_argument("--budget", type=float, default=180.0, help="seconds per measurement before it stops early")
    parser.add_argument("--min-samples", type=int, default=3, help="samples taken even over the budget")
    parser.add_argument("--only", type=lambda v: {x.strip() for x in v.split(",") if x.strip()}, default=None,
                        help="measure only these, comma-separated: " + ", ".join(ONLY) + " (default: everything)")
    args = parser.parse_args(argv)
    if args.only and not args.only <= set(ONLY):
        parser.error(f"--only takes {', '.join(ONLY)}")
    if not args.pg:
        parser.error("this bench runs on PostgreSQL only: pass --pg")
    if args.points < args.wards:
        parser.error("--points must be at least --wards")
    suffix = "" if (args.wards, args.points) == (124, 1000) else f"_w{args.wards}_p{args.points}"
    url = f"{args.pg_base.rstrip('/')}/{PREFIX}_{args.responses}{suffix}"
    built = build(args, url)
    report: dict[str, Any] = {"responses": args.responses, "wards": args.wards, "points": args.points,
                              "database": url.rsplit("/", 1)[1], "build": built}
    if not args.build_only:
        report["measure"] = measure(args, url)
        report["at"] = datetime.now(UTC).isoformat(timespec="seconds")
        OUT.mkdir(parents=True, exist_ok=True)
        path = OUT / f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2))
        print(table(report))
        print(f"\n{path.relative_to(ROOT)}")
    else:
        print(json.dumps(built, indent=2))


if __name__ == "__main__":
    main()

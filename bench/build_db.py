"""Build benchmark databases fast: seeded onestop responses bulk-loaded exactly as write_many stores them.

    .venv/bin/python -m bench.build_db --size 100000 [--pg] [--force]

SQLite files go to bench/out/onestop-<size>.db; PostgreSQL databases are named issue3_bench_<size>
on the server of --pg-base. A database is reused when its sidecar bench/out/*.json says it was built
with the same size, generator and migration files. Every build first writes a sample through
hailong.survey.services.responses.write_many and checks that the bulk rows are byte-for-byte the same.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sqlite3
import struct
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from hailong.survey.services.demo import COMMENTS as DEMO_COMMENTS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
YEAR = 2026
N_POINTS = 10
SEED = 2026
CHUNK = 50_000
SAMPLE = 400
GENERATOR_VERSION = 2  # bump when the generated rows change, so stored databases are rebuilt
PG_BASE = "postgresql://postgres@127.0.0.1:5432"
PG_PREFIX = "issue3_bench"
FLAG_REASON = "Nghi là phiếu trùng lặp"
MULTI_SLOTS = 3  # a respondent picks 1..3 expectations, as in hailong.survey.services.demo
UTC_OFFSET_MIN = 7 * 60  # Asia/Ho_Chi_Minh has no daylight saving time

Int = npt.NDArray[np.int64]
Bool = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Column:
    """One value column of the generated matrix: a statement, a question or one slot of a multi question."""

    code: str
    question_id: int
    type: str  # statement | scale | choice | multi | number
    options: int  # options of a choice/multi question, max of a number question
    bit: int | None


@dataclass(frozen=True)
class Layout:
    """Ids of the stored questionnaire version, its questions and the bench's points."""

    version_id: int
    organisation_id: int
    point_ids: tuple[int, ...]
    columns: tuple[Column, ...]
    elements: tuple[tuple[int, ...], ...]  # column indexes of each element's statements


@dataclass
class Chunk:
    """A block of generated responses, one array entry (or matrix row) per response."""

    ids: Int
    point: Int  # index into Layout.point_ids
    local_minute: Int  # minutes since local midnight of 1 January YEAR
    channel: Int  # index into CHANNELS
    comment: Int  # index into COMMENTS, -1 for none
    keys: list[str]
    verified: Bool
    flagged: Bool
    values: npt.NDArray[np.int16]  # responses x columns, -1 = not answered
    sat: Int
    valid: Int

    @property
    def day_index(self) -> Int:
        return self.local_minute // 1440


CHANNELS = ("qr", "paper", "kiosk")


#: The demo's one-stop comments; their hash is in the sidecar, so editing them rebuilds the stored databases.
COMMENTS: tuple[str, ...] = DEMO_COMMENTS["onestop"]


# --- generation --------------------------------------------------------------------------------


def _weekdays(year: int) -> Int:
    """Day indexes (0 = 1 January) of the weekdays of a year."""
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    return np.array([i for i in range(days) if (first + timedelta(days=i)).weekday() < 5], dtype=np.int64)


def _day_keys(year: int) -> Int:
    """yyyymmdd of every local day of a year, by day index."""
    first = date(year, 1, 1)
    days = (date(year + 1, 1, 1) - first).days
    return np.array([int((first + timedelta(days=i)).strftime("%Y%m%d")) for i in range(days)], dtype=np.int64)


def _moments(rng: np.random.Generator, size: int) -> Int:
    """Local submission minutes over the weekdays of YEAR, sorted: office hours, some evenings, a few at dawn."""
    days = _weekdays(YEAR)[rng.integers(0, len(_weekdays(YEAR)), size)]
    roll = rng.random(size)
    hour = rng.integers(7, 17, size)  # 07:00-16:59 local, as in the demo
    hour = np.where(roll < 0.04, rng.integers(19, 24, size), hour)  # scanned at home in the evening
    hour = np.where(roll < 0.01, rng.integers(5, 7, size), hour)  # before 07:00 local = the previous UTC day
    minute = rng.integers(0, 60, size)
    return np.sort(days * 1440 + hour * 60 + minute)


def generate(layout: Layout, size: int, seed: int = SEED, chunk: int = CHUNK, first_id: int = 1) -> Iterator[Chunk]:
    """Seeded responses in time order, chunk by chunk, with hailong.survey.services.demo's correlated answers."""
    rng = np.random.default_rng(seed)
    moments = _moments(rng, size)
    year_days = (date(YEAR + 1, 1, 1) - date(YEAR, 1, 1)).days
    n_points = len(layout.point_ids)
    base = np.array([4.2 + (i % 3 - 1) * 0.15 for i in range(n_points)])  # demo.generate's onestop moods
    n_comments = len(COMMENTS)
    for start in range(0, size, chunk):
        minutes = moments[start : start + chunk]
        n = len(minutes)
        point = rng.integers(0, n_points, n)
        mood = base[point] + 0.35 * (minutes // 1440) / year_days + rng.normal(0, 0.55, n)
        values = np.full((n, len(layout.columns)), -1, dtype=np.int16)
        for element in layout.elements:
            element_mood = mood + rng.normal(0, 0.25, n)
            for col in element:
                roll = rng.random(n)
                v = np.clip(np.rint(element_mood + rng.normal(0, 0.6, n)), 1, 5)
                v[roll < 0.07] = 0  # no opinion
                v[roll < 0.03] = -1  # skipped
                values[:, col] = v
        _other_questions(rng, layout, mood, values)
        weights = np.zeros(len(layout.columns), dtype=np.int64)
        for i, c in enumerate(layout.columns):
            if c.bit is not None:
                weights[i] = 1 << c.bit
        valid = ((values >= 1) & (values <= 5)).astype(np.int64) @ weights
        sat = (values >= 4).astype(np.int64) @ weights  # statements only carry a weight
        comment = np.where(rng.random(n) < 0.12, rng.integers(0, n_comments, n), -1)
        raw = rng.bytes(16 * n)  # 16 random bytes per key, as secrets.token_urlsafe(16)
        key_list = [_key(raw[16 * i : 16 * i + 16]) for i in range(n)]
        yield Chunk(
            ids=np.arange(first_id + start, first_id + start + n, dtype=np.int64),
            point=point,
            local_minute=minutes,
            channel=rng.choice(3, size=n, p=[0.75, 0.2, 0.05]),
            comment=comment,
            keys=key_list,
            verified=rng.random(n) < 0.25,
            flagged=rng.random(n) < 0.005,
            values=values,
            sat=sat,
            valid=valid,
        )


def _key(raw: bytes) -> str:
    """The 22-character URL-safe text of 16 random bytes (what secrets.token_urlsafe(16) returns)."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _other_questions(rng: np.random.Generator, layout: Layout, mood: npt.NDArray[np.float64],
                     values: npt.NDArray[np.int16]) -> None:
    """Overall, assessment, expectations and profile answers in the demo's proportions."""
    n = len(mood)
    done: set[str] = set()
    for i, c in enumerate(layout.columns):
        if c.type == "scale":
            values[:, i] = np.clip(np.rint(mood + rng.normal(0, 0.5, n)), 1, 5)
        elif c.type == "choice":
            w = np.array([0.7**j for j in range(c.options)])
            if c.code in ("extra_payment", "harassment"):
                w = np.array([0.03, 0.9, 0.07][: c.options])
            v = rng.choice(c.options, size=n, p=w / w.sum()) + 1
            values[:, i] = np.where(rng.random(n) < 0.85, v, -1)
        elif c.type == "number":
            v = np.clip(np.rint(rng.normal(60 + 10 * mood, 15)), 0, c.options)
            values[:, i] = np.where(rng.random(n) < 0.8, v, -1)
        elif c.type == "multi" and c.code not in done:
            done.add(c.code)
            slots = [j for j, x in enumerate(layout.columns) if x.code == c.code]
            present = rng.random(n) < 0.7
            k = rng.integers(1, MULTI_SLOTS + 1, n)
            picks = np.argsort(rng.random((n, c.options)), axis=1)[:, : len(slots)] + 1
            used = (np.arange(len(slots))[None, :] < k[:, None]) & present[:, None]
            picks = np.sort(np.where(used, picks, 10_000), axis=1)
            values[:, slots] = np.where(picks == 10_000, -1, picks)


# --- rows ----------------------------------------------------------------------------------------


def _utc(chunk: Chunk) -> npt.NDArray[np.datetime64]:
    start = np.datetime64(f"{YEAR}-01-01T00:00", "m")
    return start + (chunk.local_minute - UTC_OFFSET_MIN).astype("timedelta64[m]")


def answer_matrix(layout: Layout, chunk: Chunk) -> Int:
    """Answer rows (response_id, question_id, value, organisation_id, point_id, day_key, excluded), an int matrix."""
    r, c = np.nonzero(chunk.values >= 0)
    qids = np.array([col.question_id for col in layout.columns], dtype=np.int64)
    points = np.array(layout.point_ids, dtype=np.int64)
    day_keys = _day_keys(YEAR)[chunk.day_index]
    return np.column_stack([
        chunk.ids[r], qids[c], chunk.values[r, c].astype(np.int64), np.full(len(r), layout.organisation_id),
        points[chunk.point[r]], day_keys[r],
        chunk.flagged[r].astype(np.int64),
    ])


def response_rows(layout: Layout, chunk: Chunk, dialect: str) -> list[tuple[Any, ...]]:
    """Response rows in table column order, values typed as the dialect stores them."""
    comments = COMMENTS
    day_keys = _day_keys(YEAR)[chunk.day_index].tolist()
    utc = _utc(chunk).astype("datetime64[s]")
    if dialect == "sqlite":  # SQLAlchemy's SQLite DateTime text (the UTC wall time)
        stamps: list[Any] = [s.replace("T", " ") + ".000000" for s in utc.astype(str).tolist()]
        yes, no = 1, 0
    else:
        stamps = [d.replace(tzinfo=UTC) for d in utc.astype(datetime).tolist()]
        yes, no = True, False
    rows = []
    for i, rid in enumerate(chunk.ids.tolist()):
        flagged = bool(chunk.flagged[i])
        ci = int(chunk.comment[i])
        rows.append((
            rid, layout.organisation_id, layout.point_ids[int(chunk.point[i])], layout.version_id, stamps[i],
            day_keys[i],
            CHANNELS[int(chunk.channel[i])], comments[ci] if ci >= 0 else None, chunk.keys[i],
            yes if chunk.verified[i] else no, yes if flagged else no, FLAG_REASON if flagged else None,
            _signed(int(chunk.sat[i])), _signed(int(chunk.valid[i])), no, None,
        ))
    return rows


def _signed(mask: int) -> int:
    """A mask as the signed 64-bit value a BIGINT column holds."""
    return mask - (1 << 64) if mask >= 1 << 63 else mask


RESPONSE_COLUMNS = ("id", "organisation_id", "point_id", "questionnaire_id", "submitted_at", "day_key", "channel",
                    "comment", "submission_key", "verified", "flagged", "flag_reason", "sat_mask", "valid_mask",
                    "comment_handled", "comment_note")
ANSWER_COLUMNS = ("response_id", "question_id", "value", "organisation_id", "point_id", "day_key", "excluded")


def drafts(layout: Layout, chunk: Chunk) -> list[Any]:
    """The same responses as hailong.survey.services.responses.Draft objects, for checking the bulk rows."""
    from hailong.survey.extensions import db
    from hailong.survey.models import QuestionnaireVersion, ServicePoint
    from hailong.survey.services.responses import Draft

    version = db.session.get_one(QuestionnaireVersion, layout.version_id)
    points = {pid: db.session.get_one(ServicePoint, pid) for pid in layout.point_ids}
    comments = COMMENTS
    utc = _utc(chunk).astype("datetime64[s]").astype(datetime).tolist()
    result = []
    for i in range(len(chunk.ids)):
        answers: dict[str, int | list[int]] = {}
        for j, col in enumerate(layout.columns):
            v = int(chunk.values[i, j])
            if v < 0:
                continue
            if col.type == "multi":
                listed = answers.setdefault(col.code, [])
                assert isinstance(listed, list)
                listed.append(v)
            else:
                answers[col.code] = v
        ci = int(chunk.comment[i])
        result.append(Draft(
            point=points[layout.point_ids[int(chunk.point[i])]], version=version, answers=answers,
            submitted_at=utc[i].replace(tzinfo=UTC), comment=comments[ci] if ci >= 0 else None,
            channel=CHANNELS[int(chunk.channel[i])], submission_key=chunk.keys[i], verified=bool(chunk.verified[i]),
            flag_reason=FLAG_REASON if chunk.flagged[i] else None,
        ))
    return result


# --- loaders -------------------------------------------------------------------------------------


def load_sqlite(conn: sqlite3.Connection, layout: Layout, chunk: Chunk) -> int:
    """executemany the chunk's responses and answers on a sqlite3 connection; returns answer rows."""
    marks = ", ".join("?" * len(RESPONSE_COLUMNS))
    conn.executemany(f"INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                     response_rows(layout, chunk, "sqlite"))
    answers = answer_matrix(layout, chunk)
    conn.executemany(f"INSERT INTO answers ({', '.join(ANSWER_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                     answers.tolist())
    return len(answers)


_PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_PG_ANSWER = np.dtype([
    ("nf", ">i2"), ("l1", ">i4"), ("rid", ">i4"), ("l2", ">i4"), ("qid", ">i4"), ("l3", ">i4"), ("value", ">i2"),
    ("l7", ">i4"), ("org", ">i4"), ("l4", ">i4"), ("pid", ">i4"), ("l5", ">i4"), ("day", ">i4"), ("l6", ">i4"),
    ("excluded", "u1"),
])


def load_pg(conn: Any, layout: Layout, chunk: Chunk) -> int:
    """COPY the chunk's responses (text rows) and answers (binary, built with numpy) on a psycopg connection."""
    with conn.cursor() as cur:
        with cur.copy(f"COPY responses ({', '.join(RESPONSE_COLUMNS)}) FROM STDIN") as copy:
            for row in response_rows(layout, chunk, "postgresql"):
                copy.write_row(row)
        answers = answer_matrix(layout, chunk)
        rec = np.zeros(len(answers), dtype=_PG_ANSWER)
        rec["nf"] = 7
        for length, name in (("l1", "rid"), ("l2", "qid"), ("l3", "value"), ("l7", "org"), ("l4", "pid"),
                             ("l5", "day"), ("l6", "excluded")):
            rec[length] = rec.dtype[name].itemsize
        for j, name in enumerate(("rid", "qid", "value", "org", "pid", "day", "excluded")):
            rec[name] = answers[:, j]
        with cur.copy(f"COPY answers ({', '.join(ANSWER_COLUMNS)}) FROM STDIN WITH (FORMAT binary)") as copy:
            copy.write(_PG_HEADER + rec.tobytes() + struct.pack(">h", -1))
    return len(answers)


# --- schema and checks ------------------------------------------------------------------------------


def make_app(url: str) -> Any:
    """An application on a bench database (no instance secret written, no network)."""
    from hailong.survey import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-only-not-secret",
                       "HAILONG_BASE_URL": "http://bench.invalid"})


def prepare(app: Any) -> Layout:
    """Migrate, load the questionnaires, create the ward's onestop points up to N_POINTS; returns the layout."""
    from flask_migrate import upgrade
    from sqlalchemy import select

    from hailong.survey.extensions import db
    from hailong.survey.models import ServicePoint
    from hailong.survey.services import points as point_svc
    from hailong.survey.services import questionnaires as qsvc

    upgrade(directory=app.extensions["migrate"].directory)
    qsvc.sync()
    org = point_svc.ensure_organisation("an-tuong", "Phường An Tường", "Tuyên Quang")
    points = [p for p in point_svc.ensure_demo_points(org) if p.kind == "onestop"]
    for i in range(len(points) + 1, N_POINTS + 1):
        code = f"mc-{i}"
        point = db.session.scalar(select(ServicePoint).filter_by(code=code))
        points.append(point or point_svc.create(org, code, f"Trung tâm Phục vụ hành chính công - Quầy {i}",
                                                "onestop", "motcua"))
    db.session.commit()
    return layout_of(points)


def layout_of(points: Sequence[Any], kind: str = "onestop") -> Layout:
    """The value columns of a kind's latest questionnaire, in the order its answers are written."""
    from hailong.forms.questionnaire import QuestionType
    from hailong.survey.services import questionnaires as qsvc

    version = qsvc.latest_version(kind)
    q = qsvc.definition(version)
    qmap = qsvc.question_map(version.id)
    columns: list[Column] = []
    elements = []
    for element in q.elements:
        idx = []
        for st in element.statements:
            idx.append(len(columns))
            columns.append(Column(st.code, qmap.ids[st.code], "statement", 5, qmap.bits[st.code]))
        elements.append(tuple(idx))
    for question in q.questions:
        if question.type == QuestionType.TEXT:
            continue
        kind = question.type.value
        size = question.max or 0 if question.type == QuestionType.NUMBER else len(question.options)
        for _ in range(MULTI_SLOTS if question.type == QuestionType.MULTI else 1):
            columns.append(Column(question.code, qmap.ids[question.code], kind, size, qmap.bits.get(question.code)))
    return Layout(version.id, points[0].organisation_id, tuple(p.id for p in points), tuple(columns),
                  tuple(elements))


def _dump() -> tuple[list[Any], list[Any]]:
    from sqlalchemy import text

    from hailong.survey.extensions import db

    responses = db.session.execute(text("SELECT * FROM responses ORDER BY id")).all()
    answers = db.session.execute(text("SELECT * FROM answers ORDER BY response_id, question_id, value")).all()
    return [tuple(r) for r in responses], [tuple(a) for a in answers]


def check_sample(layout: Layout, size: int = SAMPLE, seed: int = SEED + 1) -> int:
    """Write a sample through write_many, then the same rows through the bulk loader; they must be equal."""
    from sqlalchemy import text

    from hailong.survey.extensions import db
    from hailong.survey.services.responses import write_many

    dialect = db.engine.dialect.name
    (chunk,) = generate(layout, size, seed=seed, chunk=size)
    ids = write_many(drafts(layout, chunk))
    db.session.commit()
    expected = _dump()
    _clear()
    chunk.ids = np.array(ids, dtype=np.int64)
    raw = db.session.connection().connection.driver_connection
    if dialect == "sqlite":
        assert isinstance(raw, sqlite3.Connection)
        load_sqlite(raw, layout, chunk)
    else:
        load_pg(raw, layout, chunk)
    db.session.commit()
    got = _dump()
    _clear()
    if got != expected:
        diff = [(a, b) for a, b in zip(expected[0] + expected[1], got[0] + got[1], strict=False) if a != b][:3]
        raise AssertionError(f"bulk rows differ from write_many's: {diff}")
    if dialect == "postgresql":
        db.session.execute(text("SELECT setval('responses_id_seq', 1, false)"))
        db.session.commit()
    return len(expected[1])


def _clear() -> None:
    from sqlalchemy import text

    from hailong.survey.extensions import db

    db.session.execute(text("DELETE FROM answers"))
    db.session.execute(text("DELETE FROM responses"))
    db.session.execute(text("DELETE FROM answer_rollups"))
    db.session.execute(text("DELETE FROM pattern_rollups"))
    db.session.commit()


def schema_fingerprint() -> str:
    """Hash of the migration files, so a changed index definition rebuilds the stored databases."""
    h = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def meta_for(size: int) -> dict[str, Any]:
    comments = hashlib.sha256("\n".join(COMMENTS).encode()).hexdigest()[:16]
    return {"size": size, "generator": GENERATOR_VERSION, "seed": SEED, "schema": schema_fingerprint(),
            "comments": comments}


# --- builds ------------------------------------------------------------------------------------------


def sqlite_path(size: int) -> Path:
    return OUT / f"onestop-{size}.db"


def pg_url(size: int, base: str = PG_BASE) -> str:
    return f"{base.rstrip('/')}/{PG_PREFIX}_{size}"


def _sidecar(name: str) -> Path:
    return OUT / f"{name}.json"


def _fresh(name: str, size: int) -> bool:
    path = _sidecar(name)
    if not path.exists():
        return False
    stored = json.loads(path.read_text())
    return all(stored.get(k) == v for k, v in meta_for(size).items())


def _log(msg: str) -> None:
    print(f"[build {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _secondary_indexes_sqlite(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    rows = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                        "AND tbl_name IN ('answers', 'responses')").fetchall()
    return [(name, sql) for name, sql in rows]


def _prepared(url: str) -> Layout:
    """Migrate an empty database, load the fixtures and check the bulk loader against write_many on a sample."""
    app = make_app(url)
    with app.app_context():
        from hailong.survey.extensions import db

        layout = prepare(app)
        rows = check_sample(layout)
        _log(f"sample of {SAMPLE} responses ({rows} answers): bulk rows == write_many rows")
        db.session.remove()
        db.engine.dispose()
    return layout


def build_sqlite(size: int, force: bool = False) -> Path:
    """Build (or reuse) the SQLite database of `size` responses; returns its path."""
    path = sqlite_path(size)
    name = path.stem
    if not force and path.exists() and _fresh(name, size):
        _log(f"reusing {path}")
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    _sidecar(name).unlink(missing_ok=True)
    started = time.perf_counter()
    layout = _prepared(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    conn.execute("PRAGMA threads=2")
    indexes = _secondary_indexes_sqlite(conn)
    for index, _ in indexes:
        conn.execute(f'DROP INDEX "{index}"')
    total = _load(size, layout, lambda chunk: _sqlite_chunk(conn, layout, chunk), started)
    _log(f"creating {len(indexes)} indexes")
    for _, sql in indexes:
        conn.execute(sql)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    _rebuild_rollups(f"sqlite:///{path}")
    _finish(name, size, total, started)
    return path


def _sqlite_chunk(conn: sqlite3.Connection, layout: Layout, chunk: Chunk) -> int:
    conn.execute("BEGIN")
    n = load_sqlite(conn, layout, chunk)
    conn.execute("COMMIT")
    return n


def _load(size: int, layout: Layout, load: Any, started: float) -> int:
    total = 0
    for chunk in generate(layout, size):
        total += load(chunk)
        done = int(chunk.ids[-1])
        if done % (CHUNK * 4) == 0 or done == size:
            rate = done / (time.perf_counter() - started)
            _log(f"{done:>9,} / {size:,} responses, {total:,} answers ({rate:,.0f} responses/s)")
    return total


def _finish(name: str, size: int, answers: int, started: float) -> None:
    seconds = time.perf_counter() - started
    meta = {**meta_for(size), "answers": answers, "build_seconds": round(seconds, 1),
            "built_at": datetime.now(UTC).isoformat(timespec="seconds")}
    _sidecar(name).write_text(json.dumps(meta, indent=2))
    _log(f"built {name}: {size:,} responses, {answers:,} answers in {seconds:.0f} s")


def _ensure_pg_database(url: str) -> None:
    """Create the bench's own PostgreSQL database if it does not exist."""
    import psycopg

    base, dbname = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{dbname}"')


def build_pg(size: int, base: str = PG_BASE, force: bool = False) -> str:
    """Build (or reuse) the PostgreSQL database of `size` responses; returns its URL."""
    import psycopg

    url = pg_url(size, base)
    name = url.rsplit("/", 1)[1]
    _ensure_pg_database(url)
    if not force and _fresh(name, size):
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM responses").fetchone()
        if row is not None and row[0] == size:
            _log(f"reusing {name}")
            return url
    _sidecar(name).unlink(missing_ok=True)
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    layout = _prepared(url)
    with psycopg.connect(url) as conn:
        conn.execute("SET session_replication_role = replica")  # rows are consistent by construction: skip FK triggers
        conn.execute("SET maintenance_work_mem = '1GB'")
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('answers', 'responses') "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)"
        ).fetchall()
        for index, _ in indexes:
            conn.execute(f'DROP INDEX "{index}"')
        conn.commit()

        def chunk_pg(chunk: Chunk) -> int:
            n = load_pg(conn, layout, chunk)
            conn.commit()
            return n

        total = _load(size, layout, chunk_pg, started)
        _log(f"creating {len(indexes)} indexes")
        for _, sql in indexes:
            conn.execute(sql)
        conn.execute("SELECT setval('responses_id_seq', (SELECT max(id) FROM responses))")
        conn.commit()
    _rebuild_rollups(url)
    with psycopg.connect(url, autocommit=True) as conn:
        _log("VACUUM ANALYZE")
        conn.execute("VACUUM ANALYZE")
    _finish(name, size, total, started)
    return url


def _rebuild_rollups(url: str) -> None:
    """The bulk load bypasses the app's writes, so the rollups are computed once from the loaded rows."""
    app = make_app(url)
    with app.app_context():
        from hailong.survey.extensions import db
        from hailong.survey.services import rollups

        answers, patterns = rollups.rebuild()
        db.session.commit()
        _log(f"rollups rebuilt: {answers:,} answer rows, {patterns:,} pattern rows")
        db.session.remove()
        db.engine.dispose()


def run_build(size: int, pg: bool, pg_base: str = PG_BASE, force: bool = False) -> str:
    """Build in a child process (so the caller's peak RSS is its own) and return the database URL."""
    cmd = [sys.executable, "-m", "bench.build_db", "--size", str(size), "--pg-base", pg_base]
    cmd += ["--pg"] if pg else []
    cmd += ["--force"] if force else []
    subprocess.run(cmd, check=True, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return pg_url(size, pg_base) if pg else f"sqlite:///{sqlite_path(size)}"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, required=True, help="number of onestop responses")
    parser.add_argument("--pg", action="store_true", help="build on PostgreSQL instead of SQLite")
    parser.add_argument("--pg-base", default=PG_BASE, help="server URL without database name")
    parser.add_argument("--force", action="store_true", help="rebuild even if a fresh database exists")
    args = parser.parse_args(argv)
    if args.pg:
        print(build_pg(args.size, args.pg_base, args.force))
    else:
        print(build_sqlite(args.size, args.force))


if __name__ == "__main__":
    main()

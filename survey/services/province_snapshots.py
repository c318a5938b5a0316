"""The province roll-up stored per (province, period, kind): the page reads it, `hailong worker` refreshes it.

Computing the roll-up (services.province.rollup for three kinds × every ward) takes tens of seconds at a province's
size, so a visit never computes it when a queue exists: `serve` reads the stored rows (`province_snapshots`, one
query), checks they are current (one query, below) and, when they are missing or stale, puts one refresh on the RQ
queue (deduplicated by a Redis key, so twenty visits queue one job) and shows the last figures meanwhile, marked
as being updated, or, with none yet, a page that reloads itself until they are there. Without a queue (the demo, a
small deployment) the visit computes and stores them inline, as the page did before. If the queue's Redis does not
answer, the stored figures are shown marked as not being updated; with none stored the page answers 503 with a
Vietnamese reason rather than computing inline: a deployment with a queue has one because the roll-up is too slow
for a request (at 3 million responses the first computation outlasts gunicorn's timeout, and every visitor would
start another one on an already troubled system); `hailong province refresh` computes them from the shell.

What a snapshot was computed from (its `Marks`), read just before computing, so a change that lands during the
computation makes it stale (one refresh too many), never current when it is not:

* `through`, the newest response id of any ward, and `seen`, how many responses of the province's wards with days
  in the page's span (the period and the trend's quarters) have an id above `through - REREAD`;
* `figures`, the province's wards' 'figures' tokens summed (services.rollups.figures_token): triggers (migration
  0017_ward_figures) give a ward a new token whenever one of its responses is deleted (erasure, retention) or a
  column it is counted from changes (a flag), so a change in any of its wards makes a province's figures stale
  and a change in another province's ward does not;
* `citizen`, the 'citizen' token (0013_writepath), which changes with wards, points and questionnaires (a ward
  added or renamed, a point moved, a new questionnaire version).

The check reads both tokens and counts again above the same `through - REREAD`: a new response of the province in
the span raises the count, one still in flight when the snapshot was computed (ids are handed out before commit,
publication.REREAD) is in that window and raises it too, a deletion changes `figures`. The count walks the primary
key only from `through - REREAD`, so it costs the responses since the snapshot, milliseconds at millions of rows.
This follows the public page's marks (services.publication.probe: newest ids, read from `through` onwards) with two
changes: tokens instead of the newest audit event, because sign-ins, exports and PAKN steps all write audit
events and would keep a province's figures stale all day; and a count rather than the newest id, so a late commit
with a lower id than one already seen is not missed. A per-ward counter kept by services.rollups was the other
choice; it would add a write to the citizen's insert path, which the count does not. A snapshot older than
MAX_AGE is refreshed anyway (a change no trigger sees, such as answers edited by hand).

Rows are written on connections of their own (a cache, not a record, as services.snapshots does), the three kinds
of a period in one transaction, so a page never mixes kinds of two computations.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from hailong.analysis.periods import Period, parse_period, recent_quarters
from hailong.forms.questionnaire import KINDS

from ..extensions import db
from ..models import CacheVersion, Organisation, ProvinceSnapshot, Submission
from . import jobs as job_svc
from . import province as province_svc
from . import rollups
from .dashboard import TREND_QUARTERS
from .publication import REREAD

log = logging.getLogger(__name__)

#: Bump when the payload's shape changes: stored rows of another shape are then recomputed, not read.
SCHEMA = 1
#: Even when nothing seen has changed, figures older than this are refreshed (changes no trigger sees).
MAX_AGE = timedelta(hours=24)
#: The function `hailong worker` runs for a refresh, by name (RQ imports it; only strings are pickled).
ENTRY_POINT = "hailong.survey.services.province_snapshots.run_refresh"
#: How long a queued refresh keeps others from queueing the same one (and RQ's limit for running it).
REFRESH_SECONDS = 30 * 60
#: Seconds between reloads of the page that waits for the first figures.
WAIT_RELOAD_SECONDS = 10


class Unavailable(RuntimeError):
    """No figures are stored and the queue that would compute them does not answer; the message is Vietnamese."""


@dataclass(frozen=True)
class Marks:
    """What a snapshot was computed from (see the module's doc)."""

    through: int
    seen: int
    figures: int
    citizen: int

    def as_dict(self) -> dict[str, int]:
        return {"through": self.through, "seen": self.seen, "figures": self.figures, "citizen": self.citizen}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Marks:
        return cls(int(data["through"]), int(data["seen"]), int(data["figures"]), int(data["citizen"]))


def span(period: Period) -> tuple[int, int]:
    """The day keys (start, end exclusive) the page's figures read: the period and its trend's quarters."""
    quarters = recent_quarters(period.end - timedelta(days=1), TREND_QUARTERS)
    start = min([period, *quarters], key=lambda p: p.start).day_keys()[0]
    return start, period.day_keys()[1]


def _token(name: str) -> Any:
    return select(CacheVersion.token).where(CacheVersion.name == name).scalar_subquery()


def probe(conn: Connection, ward_ids: Sequence[int], period: Period, through: int | None = None) -> Marks:
    """The marks of the data now: as of `through` (a stored snapshot's), or of the newest response when None."""
    if through is None:
        through = int(conn.execute(select(func.max(Submission.id))).scalar() or 0)
    start, end = span(period)
    seen = (select(func.count()).select_from(Submission)
            .where(Submission.id > through - REREAD, Submission.organisation_id.in_(list(ward_ids)),
                   Submission.day_key >= start, Submission.day_key < end).scalar_subquery())
    row = conn.execute(select(seen, rollups.figures_token(ward_ids), _token("citizen"))).one()
    return Marks(through, int(row[0] or 0), int(row[1] or 0), int(row[2] or 0))


# --- the stored figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WardRef:
    """The ward of a stored row: what the page links and shows."""

    id: int
    code: str
    name: str


def row_data(row: province_svc.WardRow) -> dict[str, Any]:
    """A row as JSON-ready data: exactly what the page shows."""
    return {"ward": {"id": row.ward.id, "code": row.ward.code, "name": row.ward.name}, "n": row.responses,
            "index": row.index, "ci95": list(row.ci95) if row.ci95 is not None else None, "low_n": row.low_n,
            "rank": row.rank, "meets_target": row.meets_target,
            "trend": [[label, value] for label, value in row.trend]}


def row_of(data: Mapping[str, Any]) -> province_svc.WardRow:
    """A stored row read back as the roll-up's own row, its ward reduced to id, code and name."""
    ward = data["ward"]
    return province_svc.WardRow(WardRef(int(ward["id"]), str(ward["code"]), str(ward["name"])), int(data["n"]),
                                data["index"], data["ci95"], bool(data["low_n"]), data["rank"],
                                data["meets_target"], [(str(label), value) for label, value in data["trend"]])


@dataclass(frozen=True)
class Snapshot:
    """The stored figures of one province and period: the rows of each kind, when and from what they were computed."""

    kinds: dict[str, list[dict[str, Any]]]
    computed_at: datetime
    marks: Marks
    compute_seconds: float = 0.0

    def rows(self, kind: str) -> list[province_svc.WardRow]:
        return [row_of(r) for r in self.kinds.get(kind, [])]

    def payload(self, province: str, period: Period, kind: str) -> str:
        return json.dumps({"schema": SCHEMA, "province": province, "period": period.label, "kind": kind,
                           "computed_at": self.computed_at.isoformat(timespec="seconds"),
                           "compute_seconds": round(self.compute_seconds, 3), "marks": self.marks.as_dict(),
                           "rows": self.kinds[kind]}, ensure_ascii=False, separators=(",", ":"))


def compute(province: str, period: Period, wards: Sequence[Organisation]) -> Snapshot:
    """Compute every kind's roll-up now, with the marks read before it (nothing stored)."""
    started = time.perf_counter()
    marks = probe(db.session.connection(), [w.id for w in wards], period)
    now = datetime.now(UTC).replace(microsecond=0)
    kinds = {kind: [row_data(r) for r in province_svc.rollup(period, kind, wards)] for kind in KINDS}
    return Snapshot(kinds, now, marks, time.perf_counter() - started)


def load(province: str, period: Period) -> Snapshot | None:
    """The stored figures of a province and period, if every kind is there, of this SCHEMA and of one computation."""
    rows = db.session.execute(select(ProvinceSnapshot.kind, ProvinceSnapshot.payload).where(
        ProvinceSnapshot.organisation_id.is_(None), ProvinceSnapshot.province == province,
        ProvinceSnapshot.period == period.label)).all()
    found = {}
    for kind, raw in rows:
        data = json.loads(raw)
        if isinstance(data, dict) and data.get("schema") == SCHEMA:
            found[kind] = data
    if set(found) != set(KINDS):
        return None
    first = found[KINDS[0]]
    if any(d["marks"] != first["marks"] or d["computed_at"] != first["computed_at"] for d in found.values()):
        return None  # written by two computations (cannot happen through save(); a hand edit, say)
    return Snapshot({k: d["rows"] for k, d in found.items()}, datetime.fromisoformat(first["computed_at"]),
                    Marks.from_dict(first["marks"]), float(first.get("compute_seconds") or 0.0))


def save(province: str, period: Period, snapshot: Snapshot) -> None:
    """Store every kind of a computation in one transaction of its own (replacing the rows it finds)."""
    for attempt in (1, 2):
        try:
            with db.engine.begin() as conn:
                for kind in KINDS:
                    scope = and_(ProvinceSnapshot.organisation_id.is_(None), ProvinceSnapshot.province == province,
                                 ProvinceSnapshot.period == period.label, ProvinceSnapshot.kind == kind)
                    values = {"computed_at": snapshot.computed_at,
                              "payload": snapshot.payload(province, period, kind)}
                    if conn.execute(update(ProvinceSnapshot).where(scope).values(**values)).rowcount == 0:
                        conn.execute(insert(ProvinceSnapshot).values(organisation_id=None, province=province,
                                                                     period=period.label, kind=kind, **values))
            return
        except IntegrityError:
            if attempt == 2:
                raise
            # Another process inserted the same scope first; the second attempt updates its rows.


def current(snapshot: Snapshot, ward_ids: Sequence[int], period: Period, now: datetime | None = None) -> bool:
    """Whether stored figures still show the database as it is (one query; see the module's doc)."""
    now = now or datetime.now(UTC)
    if now - snapshot.computed_at > MAX_AGE:
        return False
    return probe(db.session.connection(), ward_ids, period, snapshot.marks.through) == snapshot.marks


def refresh(province: str, period: Period, wards: Sequence[Organisation] | None = None,
            if_stale: bool = False) -> Snapshot | None:
    """Compute and store a province's figures for a period; None when `if_stale` and the stored ones are current."""
    wards = list(wards) if wards is not None else _wards(province)
    if if_stale:
        stored = load(province, period)
        if stored is not None and current(stored, [w.id for w in wards], period):
            return None
    snapshot = compute(province, period, wards)
    save(province, period, snapshot)
    return snapshot


def _wards(province: str) -> list[Organisation]:
    from . import wards as ward_svc

    return ward_svc.of_province(province)


def provinces() -> list[str]:
    """Every province that has a ward, by name."""
    return list(db.session.scalars(select(Organisation.province).distinct().order_by(Organisation.province)))


# --- the page ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class View:
    """What the page shows: the stored figures (None: none yet) and whether they are current or being updated."""

    snapshot: Snapshot | None
    stale: bool = False
    #: A refresh is on the queue (or running): the page says the figures are being updated.
    refreshing: bool = False
    #: Why they are not being updated (the queue's Redis does not answer), in Vietnamese.
    error: str | None = None


def serve(province: str, period: Period, wards: Sequence[Organisation]) -> View:
    """The figures for the page now, never computed in the request when a queue exists (see the module's doc)."""
    stored = load(province, period)
    ward_ids = [w.id for w in wards]
    if stored is not None and current(stored, ward_ids, period):
        return View(stored)
    if job_svc.queue_url() is None:
        return View(refresh(province, period, wards))
    try:
        request_refresh(province, period)
    except job_svc.QueueUnavailable as exc:
        log.warning("province figures: no refresh queued (%s)", exc)
        if stored is None:
            raise Unavailable(unavailable_message()) from None
        return View(stored, stale=True, error=unavailable_message())
    return View(stored, stale=stored is not None, refreshing=True)


# --- the queue -------------------------------------------------------------------------------------------


def _digest(province: str, period: Period) -> str:
    return hashlib.sha256(f"{province}\n{period.label}".encode()).hexdigest()[:16]


def refresh_key(province: str, period: Period) -> str:
    """The Redis key held while a refresh of this province and period is queued or running."""
    return f"hailong:{job_svc.queue_name()}:province-refresh:{_digest(province, period)}"


def request_refresh(province: str, period: Period) -> bool:
    """Queue a refresh unless one is queued or running already; True if this call queued it.

    QueueUnavailable (Vietnamese) when the queue's Redis does not answer.
    """
    from redis.exceptions import RedisError

    key = refresh_key(province, period)
    try:
        conn = job_svc.connection()
        if not conn.set(key, "1", nx=True, ex=REFRESH_SECONDS):
            return False
        try:
            job_svc.queue(conn).enqueue(
                ENTRY_POINT, province, period.label, job_id=f"{job_svc.queue_name()}-province-"
                f"{_digest(province, period)}", job_timeout=REFRESH_SECONDS, result_ttl=600, failure_ttl=86400,
                description=f"hailong province refresh {period.label}")
        except BaseException:
            conn.delete(key)
            raise
    except (RedisError, OSError):
        raise job_svc.QueueUnavailable(unavailable_message()) from None
    return True


def run_refresh(province: str, period_label: str) -> None:
    """The worker's entry point: compute and store the figures unless they are current by now; release the key.

    No report_jobs row: there is nothing to download or follow, the page itself says when its figures were
    computed. The queue key is released at the end, failed or not, so the next stale visit may queue again.
    """
    from flask_babel import force_locale

    from .. import transaction

    period = parse_period(period_label)
    try:
        with force_locale("vi"):
            refresh(province, period, if_stale=True)
    finally:
        transaction.start_over()  # the job only read through the session: end that read
        release(province, period)


def release(province: str, period: Period) -> None:
    """Let the next stale visit queue a refresh again (the job's end); nothing if Redis is away (the key expires)."""
    from redis.exceptions import RedisError

    try:
        job_svc.connection().delete(refresh_key(province, period))
    except (RedisError, OSError, job_svc.QueueUnavailable) as exc:
        log.warning("province refresh: the queue key was not released (%s)", type(exc).__name__)


def unavailable_message() -> str:
    return _("Không kết nối được hàng đợi công việc nền (Redis) để tính số liệu toàn tỉnh. Vui lòng thử lại sau ít "
             "phút, hoặc báo quản trị viên kiểm tra Redis và “hailong worker” (lệnh “hailong province refresh” tính "
             "ngay được từ máy chủ).")

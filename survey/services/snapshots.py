"""The published figures of each ward kept ready to serve: never recomputed per visit, fresh within a minute.

Three layers:

* a copy per process (`Entry`), served as is for CHECK_SECONDS; then one cheap query (`publication.probe`: the
  newest response id overall, the newest audit event id, and the newest response of the ward among those added
  since the last check) says whether anything it shows may have changed;
* a shared copy (Redis when HAILONG_REDIS_URL is set, else the `public_snapshots` table) that a process reads
  when its own copy is behind, so several gunicorn workers do not each recompute;
* a single-flight lock (Redis SET NX, or a conditional UPDATE of the table's row): one process recomputes; the
  others keep serving the copy they have, or (a process with no copy at all) wait a few seconds for it.

The process that takes the lock serves its current copy and recomputes after the response is sent (the view
runs the job when the server closes the response), as long as that copy was checked or computed less than
DEFER_SECONDS ago; a copy older than that (a page nobody visited for a while) is recomputed before answering.
A snapshot is not recomputed before it is MIN_AGE_SECONDS old, or twice the time its computation took, so a busy
ward costs one recompute per spacing at most. A new response is therefore shown within CHECK_SECONDS + the
spacing + the time to compute: about 20 s for a ward's figures that take well under a second, plus the pages'
max-age of PUBLIC_MAX_AGE in a browser or proxy.

If the database cannot be read, the last good copy is served and marked as such; without any copy the caller
gets `Unavailable` (never a partial page). The clock is a parameter so tests can move time instead of sleeping.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .. import transaction
from ..extensions import db
from ..models import Organisation, PublicSnapshot
from . import publication
from .publication import SCHEMA, Marks, computed_at

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0
MIN_AGE_SECONDS = 15.0
#: Even when nothing seen has changed (a change no audit event records), a copy is recomputed after this.
MAX_AGE_SECONDS = 3600.0
#: A copy checked (or computed) at most this long ago is served while a recompute runs after the response; an older
#: one (a page nobody visited for a while) is recomputed before answering, so a quiet page never shows old figures.
DEFER_SECONDS = 30.0
#: A recompute lock is given up after this (a worker killed while computing does not block the others).
LOCK_SECONDS = 120.0
#: A process with no copy at all waits this long for another process's recompute before computing itself.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.25
#: Seconds a browser or proxy may keep a page: fresh data still shows within a minute.
PUBLIC_MAX_AGE = 20

Snapshot = dict[str, Any]


class Unavailable(RuntimeError):
    """No copy of the figures exists in this process or the shared store, and the database cannot be read."""


@dataclass
class Entry:
    """One ward's figures as this process serves them, and what has been rendered from them."""

    snapshot: Snapshot
    marks: Marks
    computed: float  # clock seconds when the snapshot was computed
    checked: float  # clock seconds of the last freshness check
    verified: float  # clock seconds when the snapshot was last known to be current
    degraded: bool = False  # the database could not be read at the last check: this is the last good copy
    rendered: dict[Any, Any] = field(default_factory=dict)

    @property
    def spacing(self) -> float:
        """Seconds before this snapshot may be recomputed: MIN_AGE_SECONDS, or twice what computing it took."""
        return max(MIN_AGE_SECONDS, 2.0 * float(self.snapshot.get("compute_seconds") or 0.0))

    @property
    def key(self) -> str:
        """Identifies the snapshot (for ETags and rendered pages)."""
        return f"{self.marks.fingerprint}@{self.snapshot['computed_at']}"

    @classmethod
    def of(cls, snapshot: Snapshot, checked: float = float("-inf")) -> Entry:
        computed = computed_at(snapshot).timestamp()
        return cls(snapshot, Marks.from_dict(snapshot["marks"]), computed, checked, computed)


class Store(Protocol):
    """Where processes share the last snapshot of each ward, and the lock that lets one of them recompute."""

    def load(self, ward_id: int) -> Snapshot | None: ...

    def save(self, ward_id: int, snapshot: Snapshot) -> None: ...

    def lock(self, ward_id: int, now: datetime, seconds: float) -> bool: ...

    def unlock(self, ward_id: int) -> None: ...


def _dump(snapshot: Snapshot) -> str:
    return json.dumps(snapshot, ensure_ascii=False, separators=(",", ":"))


def _usable(raw: str | bytes | None) -> Snapshot | None:
    if not raw:
        return None
    snapshot = json.loads(raw)
    return snapshot if isinstance(snapshot, dict) and snapshot.get("schema") == SCHEMA else None


class DatabaseStore:
    """The shared copy in the `public_snapshots` table, written on connections of its own (a cache, not a record)."""

    def load(self, ward_id: int) -> Snapshot | None:
        with db.engine.connect() as conn:
            raw = conn.execute(select(PublicSnapshot.payload)
                               .where(PublicSnapshot.organisation_id == ward_id)).scalar()
        return _usable(raw)

    def _ensure_row(self, ward_id: int) -> None:
        try:
            with db.engine.begin() as conn:
                exists = conn.execute(select(PublicSnapshot.organisation_id)
                                      .where(PublicSnapshot.organisation_id == ward_id)).first()
                if exists is None:
                    conn.execute(insert(PublicSnapshot).values(organisation_id=ward_id, fingerprint=""))
        except IntegrityError:
            pass  # another process inserted it first

    def save(self, ward_id: int, snapshot: Snapshot) -> None:
        self._ensure_row(ward_id)
        with db.engine.begin() as conn:
            conn.execute(update(PublicSnapshot).where(PublicSnapshot.organisation_id == ward_id).values(
                fingerprint=Marks.from_dict(snapshot["marks"]).fingerprint, computed_at=computed_at(snapshot),
                payload=_dump(snapshot)))

    def lock(self, ward_id: int, now: datetime, seconds: float) -> bool:
        self._ensure_row(ward_id)
        with db.engine.begin() as conn:
            taken = conn.execute(
                update(PublicSnapshot)
                .where(PublicSnapshot.organisation_id == ward_id,
                       or_(PublicSnapshot.locked_until.is_(None), PublicSnapshot.locked_until < now))
                .values(locked_until=now + timedelta(seconds=seconds)))
        return taken.rowcount == 1

    def unlock(self, ward_id: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(update(PublicSnapshot).where(PublicSnapshot.organisation_id == ward_id)
                         .values(locked_until=None))


class RedisStore:
    """The shared copy in Redis; keys carry a hash of the database URL, so two databases never share figures."""

    def __init__(self, url: str, database_url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        space = hashlib.sha256(database_url.encode()).hexdigest()[:12]
        self.prefix = f"hailong:public:{space}:{SCHEMA}"
        self.token = secrets.token_hex(8)

    def load(self, ward_id: int) -> Snapshot | None:
        return _usable(self.client.get(f"{self.prefix}:{ward_id}"))  # type: ignore[arg-type]

    def save(self, ward_id: int, snapshot: Snapshot) -> None:
        self.client.set(f"{self.prefix}:{ward_id}", _dump(snapshot).encode(), ex=7 * 86400)

    def lock(self, ward_id: int, now: datetime, seconds: float) -> bool:
        return bool(self.client.set(f"{self.prefix}:{ward_id}:lock", self.token, nx=True, px=int(seconds * 1000)))

    def unlock(self, ward_id: int) -> None:
        key = f"{self.prefix}:{ward_id}:lock"
        if self.client.get(key) == self.token.encode():
            self.client.delete(key)


class _Guarded:
    """A store whose failures (Redis down, a locked database) cost the sharing, never the page."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _warn(self, what: str, exc: Exception) -> None:
        log.warning("public snapshot store: %s failed (%s)", what, type(exc).__name__)

    def load(self, ward_id: int) -> Snapshot | None:
        try:
            return self.store.load(ward_id)
        except Exception as exc:
            self._warn("load", exc)
            return None

    def save(self, ward_id: int, snapshot: Snapshot) -> None:
        try:
            self.store.save(ward_id, snapshot)
        except Exception as exc:
            self._warn("save", exc)

    def lock(self, ward_id: int, now: datetime, seconds: float) -> bool:
        try:
            return self.store.lock(ward_id, now, seconds)
        except Exception as exc:
            self._warn("lock", exc)
            return True

    def unlock(self, ward_id: int) -> None:
        try:
            self.store.unlock(ward_id)
        except Exception as exc:
            self._warn("unlock", exc)


Compute = Callable[[int, datetime, Marks], Snapshot]
Job = Callable[[], None]
Probe = Callable[[int, "Marks | None", datetime], Marks]


def _rollback() -> None:
    with contextlib.suppress(SQLAlchemyError):
        transaction.start_over()


class SnapshotCache:
    """Per-process copies of each ward's snapshot, refreshed through the shared store (see the module's doc)."""

    def __init__(self, compute: Compute, probe: Probe, store: Store, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.compute, self.probe, self.store = compute, probe, _Guarded(store)
        self.clock, self.sleep = clock, sleep
        self._entries: dict[int, Entry] = {}
        self._locks: dict[int, threading.Lock] = {}
        self._guard = threading.Lock()
        self.computed = 0  # recomputes done by this process (tests and the bench read it)

    def forget(self) -> None:
        self._entries.clear()

    def _lock_for(self, ward_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(ward_id, threading.Lock())

    def _at(self, seconds: float) -> datetime:
        return datetime.fromtimestamp(seconds, UTC)

    def get(self, ward_id: int) -> Entry:
        """The ward's figures to serve now, recomputed here and now if they are due (see `get_deferred`)."""
        entry, job = self.get_deferred(ward_id)
        if job is None:
            return entry
        job()
        return self._entries[ward_id]

    def get_deferred(self, ward_id: int) -> tuple[Entry, Job | None]:
        """The figures to serve now and, when they are due for a recompute, the job that does it.

        The caller serves the entry at once and runs the job after its response is sent (stale while
        revalidating), so no visitor waits for a recompute except the very first one of a process that has no
        copy at all (that one is computed before returning). The job holds the single-flight lock until it ends.
        """
        entry = self._entries.get(ward_id)
        if entry is not None and self.clock() - entry.checked < CHECK_SECONDS:
            return entry, None
        lock = self._lock_for(ward_id)
        # Another thread of this process is already checking: its copy is at most one check old, serve it.
        if not lock.acquire(blocking=entry is None):
            assert entry is not None
            return entry, None
        try:
            entry = self._entries.get(ward_id)
            if entry is not None and self.clock() - entry.checked < CHECK_SECONDS:
                return entry, None
            fresh, job = self._refresh(ward_id, entry, self.clock())
            self._entries[ward_id] = fresh
            return fresh, job
        finally:
            lock.release()

    def _refresh(self, ward_id: int, entry: Entry | None, now: float) -> tuple[Entry, Job | None]:
        if entry is None and (shared := self.store.load(ward_id)) is not None:
            entry = Entry.of(shared)
        try:
            wanted = self.probe(ward_id, entry.marks if entry else None, self._at(now))
        except SQLAlchemyError as exc:
            _rollback()
            return self._last_good(entry, now, exc), None
        if entry is not None and entry.marks.covers(wanted) and now - entry.computed < MAX_AGE_SECONDS:
            return replace(entry, marks=replace(entry.marks, through=max(entry.marks.through, wanted.through)),
                           checked=now, verified=now, degraded=False), None
        if entry is not None:
            shared = self.store.load(ward_id)
            if shared is not None:
                other = Entry.of(shared, checked=now)
                if other.computed > entry.computed and other.marks.covers(wanted):
                    return other, None
            if now - entry.computed < entry.spacing:
                return replace(entry, checked=now, degraded=False), None  # recomputed once old enough
        locked = self.store.lock(ward_id, self._at(now), LOCK_SECONDS)
        if entry is not None:
            kept = replace(entry, checked=now, degraded=False)
            if not locked:
                return kept, None  # another process is recomputing
            if now - max(entry.checked, entry.verified) <= DEFER_SECONDS:
                # A page being visited: serve this copy while the job recomputes after this response.
                return kept, lambda: self._install(ward_id, self._recompute(ward_id, kept, wanted, locked, now))
        elif not locked and (waited := self._wait_for_other(ward_id, wanted)) is not None:
            return waited, None
        # No copy, or one not known current for a while (a quiet page): this visitor waits for fresh figures.
        return self._recompute(ward_id, entry, wanted, locked, now), None

    def _install(self, ward_id: int, entry: Entry) -> None:
        current = self._entries.get(ward_id)
        if current is None or entry.computed >= current.computed:
            self._entries[ward_id] = entry

    def _recompute(self, ward_id: int, entry: Entry | None, wanted: Marks, locked: bool, probed: float) -> Entry:
        """Compute, share and return a new entry (or the last good one if computing fails); releases the lock."""
        started = time.perf_counter()
        try:
            snapshot = self.compute(ward_id, self._at(self.clock()), wanted)
        except Exception as exc:
            _rollback()
            return self._last_good(entry, self.clock(), exc)
        finally:
            if locked:
                self.store.unlock(ward_id)
        snapshot["compute_seconds"] = round(time.perf_counter() - started, 3)
        self.computed += 1
        self.store.save(ward_id, snapshot)
        return Entry(snapshot, wanted, computed_at(snapshot).timestamp(), self.clock(), probed)

    def _wait_for_other(self, ward_id: int, wanted: Marks) -> Entry | None:
        """A process without any copy: wait for the process holding the lock to save its snapshot."""
        deadline = self.clock() + WAIT_SECONDS
        while self.clock() < deadline:
            self.sleep(POLL_SECONDS)
            shared = self.store.load(ward_id)
            if shared is not None and Entry.of(shared).marks.covers(wanted):
                return Entry.of(shared, checked=self.clock())
        return None

    def _last_good(self, entry: Entry | None, now: float, exc: Exception) -> Entry:
        """The copy this process has, marked degraded; without one, Unavailable."""
        if isinstance(exc, SQLAlchemyError):
            log.warning("public figures: the database could not be read (%s); serving the last good copy",
                        type(exc).__name__)
        else:
            log.error("public figures: recomputing failed", exc_info=exc)
        if entry is None:
            raise Unavailable from exc
        return replace(entry, checked=now, degraded=True)


def for_app(redis_url: str, database_url: str) -> SnapshotCache:
    """The cache of one application: shared through Redis when it is configured, else through the database."""
    store: Store = RedisStore(redis_url, database_url) if redis_url else DatabaseStore()
    return SnapshotCache(_compute, _probe, store)


def _compute(ward_id: int, now: datetime, marks: Marks) -> Snapshot:
    ward = db.session.get(Organisation, ward_id)
    if ward is None:
        raise LookupError(f"no ward {ward_id}")
    return publication.compute(ward, now, marks)


def _probe(ward_id: int, known: Marks | None, now: datetime) -> Marks:
    return publication.probe(db.session.connection(), ward_id, known, now)

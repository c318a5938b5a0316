"""The published figures are cached, fresh within a minute, shared between workers, and survive a database outage.

Time is moved with the test clock (tests/public/conftest.py), never slept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from hailong.survey.extensions import db
from hailong.survey.models import ServicePoint, Submission
from hailong.survey.services import comments as comment_svc
from hailong.survey.services import snapshots
from hailong.survey.services.snapshots import DatabaseStore, RedisStore, SnapshotCache, Unavailable
from tests.public.conftest import NOW, Q4_DAY, Clock

REDIS_URL = "redis://127.0.0.1:6379/14"


def mc1_q4(client: FlaskClient) -> dict[str, Any]:
    doc = json.loads(client.get("/cong-khai/du-lieu.json").get_data(as_text=True))
    onestop = next(k for k in doc["kinds"] if k["kind"] == "onestop")
    q4 = next(p for p in onestop["periods"] if p["period"] == "2026-Q4")
    return next(p for p in q4["points"] if p["code"] == "mc-1")  # type: ignore[no-any-return]


def _seconds_until(client: FlaskClient, clock: Clock, responses: int) -> int | None:
    """Seconds (moving the clock one at a time, one visit each) until mc-1 shows `responses`, up to a minute."""
    for second in range(1, 61):
        clock.advance(1)
        if mc1_q4(client)["responses"] == responses:
            return second
    return None


def test_visits_read_the_cache_and_a_new_response_shows_within_a_minute(
        client: FlaskClient, world: Any, cache: SnapshotCache, clock: Clock, add: Callable[..., Any]) -> None:
    before = mc1_q4(client)["responses"]
    computed = cache.computed
    for _ in range(30):
        client.get("/cong-khai")
        client.get("/cong-khai/nhung")
        clock.advance(1)
    assert cache.computed == computed  # thirty seconds of visits, nothing recomputed
    add("mc-1", 1, Q4_DAY, seed=40)
    assert _seconds_until(client, clock, before + 1) is not None
    assert cache.computed == computed + 1
    # The worst case: a response just after a recompute waits for the snapshot to be MIN_AGE_SECONDS old.
    add("mc-1", 1, Q4_DAY, seed=41)
    assert mc1_q4(client)["responses"] == before + 1  # the kept copy
    waited = _seconds_until(client, clock, before + 2)
    assert waited is not None and waited <= snapshots.CHECK_SECONDS + snapshots.MIN_AGE_SECONDS
    assert cache.computed == computed + 2
    page = client.get("/cong-khai").get_data(as_text=True)
    assert f"n = {before + 2}" in page  # the page follows the same snapshot


def test_a_flag_set_in_the_office_shows_within_a_minute(app: Flask, client: FlaskClient, world: Any,
                                                        clock: Clock) -> None:
    before = mc1_q4(client)["responses"]
    with app.app_context():
        mc1 = db.session.scalar(select(ServicePoint.id).where(ServicePoint.code == "mc-1"))
        response = db.session.scalars(select(Submission).where(
            Submission.point_id == mc1, Submission.flagged.is_(False), Submission.day_key >= 20261001).limit(1)).one()
        comment_svc.flag(response, "admin", "trùng lặp")
        db.session.commit()
    clock.advance(61)
    assert mc1_q4(client)["responses"] == before - 1


def test_a_new_day_recomputes(client: FlaskClient, world: Any, cache: SnapshotCache, clock: Clock) -> None:
    client.get("/cong-khai")
    computed = cache.computed
    clock.advance(20 * 3600)  # the next local day, nothing else changed
    doc = json.loads(client.get("/cong-khai/du-lieu.json").get_data(as_text=True))
    assert cache.computed == computed + 1
    onestop = next(k for k in doc["kinds"] if k["kind"] == "onestop")
    assert onestop["periods"][0]["through"] == "2026-11-21"


@contextmanager
def database_down(app: Flask) -> Iterator[None]:
    """Every new connection fails as if the server were unreachable; pooled ones are closed first."""
    with app.app_context():
        engine = db.engine
        dbapi = engine.dialect.loaded_dbapi

        def refuse(*_args: Any, **_kwargs: Any) -> None:
            raise dbapi.OperationalError("connection refused (test)")

        engine.dispose()
        event.listen(engine, "do_connect", refuse)
    try:
        yield
    finally:
        with app.app_context():
            event.remove(engine, "do_connect", refuse)


def test_database_down_serves_the_last_good_copy(app: Flask, client: FlaskClient, world: Any,
                                                 clock: Clock) -> None:
    good = client.get("/cong-khai/du-lieu.json").get_data(as_text=True)
    page = client.get("/cong-khai").get_data(as_text=True)
    with database_down(app):
        clock.advance(61)
        down = client.get("/cong-khai")
        assert down.status_code == 200
        html = down.get_data(as_text=True)
        assert "Hệ thống đang tạm gián đoạn" in html
        assert down.headers["Cache-Control"] == "public, max-age=5"
        # The same figures, whole: everything between the headings is the good copy's.
        for marker in ('id="onestop"', 'id="health"', "Theo điểm phục vụ", "Cách tính"):
            assert html.count(marker) == page.count(marker)
        assert client.get("/cong-khai/du-lieu.json").get_data(as_text=True) == good
        assert client.get("/cong-khai/nhung").status_code == 200
    clock.advance(6)
    back = client.get("/cong-khai").get_data(as_text=True)
    assert "Hệ thống đang tạm gián đoạn" not in back


def test_no_copy_and_no_database_is_a_503_not_a_partial_page(app: Flask, client: FlaskClient, world: Any,
                                                               clock: Clock) -> None:
    client.get("/cong-khai")  # the ward is known to this process
    app.extensions["hailong.public"].forget()  # a fresh worker; the shared copy is in the database, which is down
    with database_down(app):
        response = client.get("/cong-khai")
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "30"
        assert "Trang kết quả tạm thời chưa xem được" in response.get_data(as_text=True)
        assert client.get("/cong-khai/du-lieu.json").status_code == 503


def _worker(app: Flask, store: Any, clock: Clock) -> SnapshotCache:
    """A cache as a second gunicorn worker has it: its own copy, the same shared store."""
    base = snapshots.for_app("", app.config["SQLALCHEMY_DATABASE_URI"])
    cache = SnapshotCache(base.compute, base.probe, store, clock=clock, sleep=clock.advance)
    return cache


def _ward(app: Flask) -> int:
    with app.app_context():
        from hailong.survey.models import Organisation

        return int(db.session.query(Organisation.id).scalar())


@pytest.fixture(params=["database", "redis"])
def store(request: pytest.FixtureRequest, app: Flask) -> Iterator[Any]:
    if request.param == "database":
        yield DatabaseStore()
        return
    try:
        shared = RedisStore(REDIS_URL, app.config["SQLALCHEMY_DATABASE_URI"] + "#" + request.node.name)
        shared.client.ping()
    except Exception:  # Redis is optional
        pytest.skip("no Redis on 127.0.0.1:6379")
    yield shared
    for key in shared.client.scan_iter(f"{shared.prefix}:*"):
        shared.client.delete(key)


def test_workers_share_one_recompute(app: Flask, world: Any, store: Any, clock: Clock,
                                     add: Callable[..., Any]) -> None:
    ward = _ward(app)
    first, second = _worker(app, store, clock), _worker(app, store, clock)
    with app.app_context():
        a = first.get(ward)
        b = second.get(ward)
    assert (first.computed, second.computed) == (1, 0)
    assert a.snapshot == b.snapshot
    add("mc-1", 1, Q4_DAY, seed=41)
    clock.advance(61)
    with app.app_context():
        first.get(ward)
        fresh = second.get(ward)
    assert (first.computed, second.computed) == (2, 0)
    assert fresh.marks.ward_response > b.marks.ward_response


def test_while_one_worker_recomputes_the_others_serve_their_copy(app: Flask, world: Any, store: Any,
                                                                 clock: Clock, add: Callable[..., Any]) -> None:
    ward = _ward(app)
    worker = _worker(app, store, clock)
    with app.app_context():
        old = worker.get(ward)
    add("mc-1", 1, Q4_DAY, seed=42)
    clock.advance(61)
    with app.app_context():
        assert store.lock(ward, datetime.fromtimestamp(clock(), UTC), 120)  # another worker is computing
        served = worker.get(ward)
        assert worker.computed == 1 and served.snapshot == old.snapshot
        store.unlock(ward)
        clock.advance(snapshots.CHECK_SECONDS)
        assert worker.get(ward).marks.ward_response > old.marks.ward_response
    assert worker.computed == 2


def test_a_worker_without_any_copy_waits_for_the_one_computing(app: Flask, world: Any, store: Any,
                                                               clock: Clock) -> None:
    ward = _ward(app)
    computing, waiting = _worker(app, store, clock), _worker(app, store, clock)
    with app.app_context():
        now = datetime.fromtimestamp(clock(), UTC)
        assert store.lock(ward, now, 120)

        def sleep(seconds: float) -> None:
            clock.advance(seconds)
            if store.load(ward) is None and clock() - now.timestamp() > 1:
                store.unlock(ward)
                computing.get(ward)  # the other worker finishes and saves its copy

        waiting.sleep = sleep
        got = waiting.get(ward)
        assert got.snapshot == store.load(ward)
    assert (computing.computed, waiting.computed) == (1, 0)


def test_a_worker_without_copy_or_database_is_unavailable(app: Flask, world: Any, clock: Clock) -> None:
    ward = _ward(app)
    worker = _worker(app, DatabaseStore(), clock)
    with database_down(app), app.app_context(), pytest.raises(Unavailable):
        worker.get(ward)


def test_a_redis_outage_costs_only_the_sharing(app: Flask, world: Any, clock: Clock) -> None:
    ward = _ward(app)
    dead = RedisStore("redis://127.0.0.1:1/0", app.config["SQLALCHEMY_DATABASE_URI"])
    worker = _worker(app, dead, clock)
    with app.app_context():
        entry = worker.get(ward)
    assert worker.computed == 1 and entry.snapshot["kinds"]


def test_now_is_read_from_the_clock(app: Flask, world: Any, clock: Clock) -> None:
    ward = _ward(app)
    worker = _worker(app, DatabaseStore(), clock)
    with app.app_context():
        entry = worker.get(ward)
    assert datetime.fromisoformat(entry.snapshot["computed_at"]) == NOW


def test_a_visited_page_is_recomputed_after_the_response(app: Flask, world: Any, clock: Clock,
                                                         add: Callable[..., Any]) -> None:
    ward = _ward(app)
    worker = _worker(app, DatabaseStore(), clock)
    with app.app_context():
        first = worker.get(ward)
        clock.advance(snapshots.MIN_AGE_SECONDS)
        assert worker.get_deferred(ward)[1] is None  # checked: still current
        add("mc-1", 1, Q4_DAY, seed=43)
        clock.advance(snapshots.CHECK_SECONDS)
        served, job = worker.get_deferred(ward)
        assert served.snapshot == first.snapshot and job is not None  # this visitor does not wait
        assert worker.get_deferred(ward) == (served, None)  # nor the next ones while the job runs
        job()
        assert worker.computed == 2
        clock.advance(0.5)
        fresh, again = worker.get_deferred(ward)
    assert again is None and fresh.marks.ward_response > first.marks.ward_response


def test_a_quiet_page_is_recomputed_before_answering(app: Flask, world: Any, clock: Clock,
                                                     add: Callable[..., Any]) -> None:
    ward = _ward(app)
    worker = _worker(app, DatabaseStore(), clock)
    with app.app_context():
        first = worker.get(ward)
        add("mc-1", 1, Q4_DAY, seed=44)
        clock.advance(snapshots.DEFER_SECONDS + 1)  # nobody looked since
        fresh, job = worker.get_deferred(ward)
    assert job is None and fresh.marks.ward_response > first.marks.ward_response


def test_a_slow_recompute_is_spaced_out(app: Flask, world: Any, clock: Clock, add: Callable[..., Any]) -> None:
    ward = _ward(app)
    worker = _worker(app, DatabaseStore(), clock)
    with app.app_context():
        first = worker.get(ward)
        first.snapshot["compute_seconds"] = 25.0  # as on a very large ward
        assert first.spacing == 50.0
        add("mc-1", 1, Q4_DAY, seed=45)
        for _ in range(9):
            clock.advance(snapshots.CHECK_SECONDS)
            assert worker.get(ward).snapshot is first.snapshot  # fewer than 50 s: not yet
        clock.advance(snapshots.CHECK_SECONDS + 1)
        assert worker.get(ward).marks.ward_response > first.marks.ward_response

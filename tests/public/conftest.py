"""Public page fixtures: the demo points with responses in known quarters, a clock the tests move, publication on.

The clock stands at NOW (2026-11-20, so 2026-Q4 is the current quarter and 2026-Q3 the last closed one) and
drives the snapshot cache of the test app: freshness is tested by moving it, never by sleeping.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, ServicePoint
from hailong.survey.public import results
from hailong.survey.services import demo as demo_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import publication
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import responses as response_svc
from hailong.survey.services.snapshots import SnapshotCache

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
Q3_DAY = datetime(2026, 8, 12, 9, 0, tzinfo=TZ)
Q4_DAY = datetime(2026, 10, 15, 9, 0, tzinfo=TZ)
#: Text that must never leave the office: a comment with a phone number and an e-mail address.
PRIVATE = "Bí mật riêng 0912345678 canbo.riengtu@example.com"
#: A flag reason, office-only as well.
FLAG_REASON = "Nghi trùng lặp theo ghi chú nội bộ số 7"


class Clock:
    """A wall clock (seconds since the epoch) that only moves when a test moves it."""

    def __init__(self, start: datetime) -> None:
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def use_clock(app: Flask, clock: Clock) -> SnapshotCache:
    """Create the app's snapshot cache now and make it read `clock`."""
    with app.test_request_context():
        cache = results._cache()
    cache.clock = clock
    cache.sleep = clock.advance
    return cache


@pytest.fixture
def clock(app: Flask) -> Clock:
    clock = Clock(NOW)
    use_clock(app, clock)
    return clock


@pytest.fixture
def cache(app: Flask, clock: Clock) -> SnapshotCache:
    return use_clock(app, clock)


@pytest.fixture
def add(app: Flask) -> Callable[..., list[int]]:
    """Write `n` plausible responses to a point, a minute apart from `when` (committed); returns their ids."""

    def _add(point_code: str, n: int, when: datetime, seed: int = 1, mood: float = 4.3,
             comment: str | None = None, flag_reason: str | None = None) -> list[int]:
        with app.app_context():
            point = _db.session.query(ServicePoint).filter_by(code=point_code).one()
            version = qsvc.latest_version(point.kind)
            q = qsvc.definition(version)
            rng = random.Random(seed)
            drafts = [
                response_svc.Draft(point=point, version=version,
                                   answers=demo_svc.synthetic_answers(rng, q, mood + rng.gauss(0, 0.4)),
                                   submitted_at=when + timedelta(minutes=i), comment=comment,
                                   flag_reason=flag_reason)
                for i in range(n)
            ]
            ids = response_svc.write_many(drafts)
            _db.session.commit()
            return ids

    return _add


@pytest.fixture
def publish(app: Flask) -> Callable[..., None]:
    """Set what the ward publishes: publish(onestop=(True, True, 30), ...) as (enabled, live, min_n)."""

    def _publish(**kinds: tuple[bool, bool, int]) -> None:
        with app.app_context():
            ward = _db.session.query(Organisation).one()
            publication.update_settings(ward.id, "test", [publication.KindSetting(k, *v) for k, v in kinds.items()])
            _db.session.commit()

    return _publish


@pytest.fixture
def world(app: Flask, clock: Clock, add: Callable[..., list[int]], publish: Callable[..., None]) -> dict[str, Any]:
    """onestop: mc-1 60 (Q3) + 45 (Q4), mc-2 40 (Q3) + 12 (Q4, under 30), mc-3 none; health: tram-y-te 50 (Q3)
    + 20 (Q4, under 30 for the kind); education: 40 (Q3) but not published. Comments carry PRIVATE; two flagged.
    """
    with app.app_context():
        org = _db.session.query(Organisation).one()
        point_svc.ensure_demo_points(org)
        _db.session.commit()
    add("mc-1", 60, Q3_DAY, seed=1, comment=PRIVATE)
    add("mc-1", 45, Q4_DAY, seed=2, mood=4.5)
    add("mc-2", 40, Q3_DAY, seed=3, mood=3.9)
    add("mc-2", 12, Q4_DAY, seed=4, mood=3.2, comment=PRIVATE)
    add("mc-1", 2, Q4_DAY, seed=9, mood=1.0, flag_reason=FLAG_REASON)
    add("tram-y-te", 50, Q3_DAY, seed=5, mood=4.4)
    add("tram-y-te", 20, Q4_DAY, seed=6, mood=4.6)
    add("th-an-tuong", 40, Q3_DAY, seed=7, mood=4.6, comment=PRIVATE)
    publish(onestop=(True, True, 30), health=(True, True, 30), education=(False, True, 30))
    return {"now": NOW}


class SentClient(FlaskClient):
    """A test client that reads and closes each response, as a server does after sending it.

    Closing runs what a view left for after the response (the deferred recompute of the public figures).
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = SentClient
    return app.test_client()

"""Wrong passwords slow down one (account, network) with growing delays; nobody elsewhere is locked out, and
an unknown username gets the same answer and the same work as a known one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db as _db
from hailong.survey.extensions import limiter
from hailong.survey.models import LoginThrottle, User
from hailong.survey.services import users as user_svc
from tests.fixtures.office import PASSWORDS, token
from tests.fixtures.pages import csrf_of

HOME = "203.0.113.7"
ELSEWHERE = "198.51.100.20"
NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"')


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _attempt(client: FlaskClient, username: str, password: str) -> Any:
    page = client.get("/office/login")
    return client.post("/office/login", data={"csrf_token": csrf_of(page.get_data(as_text=True)),
                                              "username": username, "password": password})


def _failures_until_throttled(client: FlaskClient, username: str) -> int:
    for n in range(1, 9):
        if _attempt(client, username, "not-the-password").status_code == 429:
            return n
    raise AssertionError("never throttled")


def test_other_networks_can_sign_in_while_one_is_throttled(app: Flask, accounts: Any) -> None:
    attacker = _client(app, HOME)
    assert _failures_until_throttled(attacker, "admin") <= 8
    refused = _attempt(attacker, "admin", PASSWORDS["admin"])
    assert refused.status_code == 429  # even the right password, from this network, for now
    assert int(refused.headers["Retry-After"]) > 0
    admin = _client(app, ELSEWHERE)
    assert _attempt(admin, "admin", PASSWORDS["admin"]).status_code == 303
    assert admin.get("/office/users").status_code == 200


def test_an_ipv6_network_is_its_slash_64(app: Flask, accounts: Any) -> None:
    attacker = _client(app, "2001:db8:1:2::1")
    _failures_until_throttled(attacker, "reviewer")
    # Another address of the same /64 is the same network; another /64 is not.
    assert _attempt(_client(app, "2001:db8:1:2::ffff"), "reviewer", PASSWORDS["reviewer"]).status_code == 429
    assert _attempt(_client(app, "2001:db8:1:3::1"), "reviewer", PASSWORDS["reviewer"]).status_code == 303


def _normalised(response: Any, username: str) -> tuple[int, str, list[tuple[str, str]]]:
    html = TOKEN_RE.sub('name="csrf_token" type="hidden" value="TOKEN"', response.get_data(as_text=True))
    html = html.replace(f'value="{username}"', 'value="NAME"')
    # Cookies hold the CSRF token; a throttled answer's Retry-After may tick a second between two requests.
    ticking = ("Set-Cookie", "Retry-After")
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ticking)
    return response.status_code, html, headers


@pytest.mark.parametrize("known", ["admin", "viewer (inactive)"])
def test_known_and_unknown_usernames_get_the_same_answers(app: Flask, accounts: Any, known: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(user_svc, "utcnow", lambda: NOW)
    name = known.split()[0]
    if "inactive" in known:
        with app.app_context():
            _db.session.scalars(select(User).filter_by(username=name)).one().active = False
            _db.session.commit()
    # Same length as the known name, so nothing but the answer itself could tell them apart.
    unknown = "x" * len(name)
    known_client, unknown_client = _client(app, HOME), _client(app, ELSEWHERE)
    statuses = []
    for _ in range(8):
        a = _attempt(known_client, name, "not-the-password")
        b = _attempt(unknown_client, unknown, "not-the-password")
        assert _normalised(a, name) == _normalised(b, unknown)
        waits = [int(r.headers.get("Retry-After", -1)) for r in (a, b)]
        assert abs(waits[0] - waits[1]) <= 1 and (waits[0] > 0) == (a.status_code == 429)
        with known_client.session_transaction() as sa, unknown_client.session_transaction() as sb:
            assert sorted(sa) == sorted(sb)
        statuses.append(a.status_code)
    assert statuses[0] == 401 and statuses[-1] == 429  # both were refused, then both throttled


def test_every_attempt_checks_one_password_hash(app: Flask, accounts: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    checked: list[str] = []
    original = user_svc.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return original(pwhash, password)

    monkeypatch.setattr(user_svc, "check_password_hash", counting)
    with app.app_context():
        _db.session.scalars(select(User).filter_by(username="viewer")).one().active = False
        cases = [("admin", "wrong-password"), ("admin", PASSWORDS["admin"]), ("nobody", "wrong-password"),
                 ("viewer", PASSWORDS["viewer"]), ("a" * 200, "x" * 300), ("admin", "x" * 10_000)]
        for name, password in cases:
            before = len(checked)
            user_svc.verify(name, password, "net-a", NOW)
            assert len(checked) == before + 1, name[:20]
        # While throttled, too.
        for _ in range(10):
            user_svc.verify("reviewer", "wrong-password", "net-b", NOW)
        before = len(checked)
        assert user_svc.verify("reviewer", PASSWORDS["reviewer"], "net-b", NOW).failure == \
            user_svc.LoginFailure.THROTTLED
        assert len(checked) == before + 1
        _db.session.rollback()


def test_the_dummy_hash_costs_what_a_real_one_costs() -> None:
    from werkzeug.security import generate_password_hash

    method = generate_password_hash("x", method=user_svc.HASH_METHOD).split("$", 1)[0]
    assert user_svc.DUMMY_HASH.split("$", 1)[0] == method


def test_the_delay_grows(app: Flask, accounts: Any) -> None:
    when = NOW
    delays: list[int] = []
    with app.app_context():
        for _ in range(user_svc.FREE_FAILURES + 8):
            result = user_svc.verify("admin", "not-the-password", "net-a", when)
            assert result.user is None
            delays.append(result.retry_after)
            if result.retry_after:
                blocked = user_svc.verify("admin", PASSWORDS["admin"], "net-a",
                                          when + timedelta(seconds=result.retry_after - 1))
                assert blocked.user is None and blocked.failure == user_svc.LoginFailure.THROTTLED
                assert "thử lại sau" in blocked.message()
            when += timedelta(seconds=result.retry_after + 1)
        free = user_svc.FREE_FAILURES
        assert delays[:free] == [0] * free
        growing = delays[free:]
        assert growing[0] > 0
        assert all(b > a for a, b in pairwise(growing[:5])), delays
        assert growing == sorted(growing) and growing[-1] == user_svc.MAX_DELAY_SECONDS, delays
        # Another network and another account are untouched.
        assert user_svc.verify("admin", PASSWORDS["admin"], "net-b", when - timedelta(seconds=2)).user is not None
        assert user_svc.verify("reviewer", "not-the-password", "net-a", when).retry_after == 0
        # Once the delay has passed, the right password works and the failures are forgotten.
        assert user_svc.verify("admin", PASSWORDS["admin"], "net-a", when).user is not None
        assert user_svc.verify("admin", "not-the-password", "net-a", when).retry_after == 0
        _db.session.rollback()


def test_failures_are_forgotten_after_a_quiet_day(app: Flask, accounts: Any) -> None:
    with app.app_context():
        for _ in range(user_svc.FREE_FAILURES):
            user_svc.verify("admin", "not-the-password", "net-a", NOW)
        later = NOW + timedelta(seconds=user_svc.FORGET_AFTER_SECONDS + 1)
        assert user_svc.verify("admin", "not-the-password", "net-a", later).retry_after == 0
        _db.session.rollback()


def test_throttle_state_holds_no_name_or_address(app: Flask, accounts: Any) -> None:
    _failures_until_throttled(_client(app, HOME), "admin")
    with app.app_context():
        rows = _db.session.scalars(select(LoginThrottle)).all()
        assert len(rows) == 1
        stored = " ".join(str(getattr(rows[0], c.key)) for c in LoginThrottle.__table__.columns)
        assert "admin" not in stored and HOME not in stored


def test_login_rate_limit_keys_hold_no_address(app: Flask, accounts: Any) -> None:
    _attempt(_client(app, HOME), "admin", "not-the-password")
    with app.app_context():
        keys = list(limiter.storage.storage)  # type: ignore[attr-defined]
    assert keys and not any(HOME in key for key in keys)


def test_admin_page_shows_and_clears_a_throttle(app: Flask, accounts: Any) -> None:
    _failures_until_throttled(_client(app, HOME), "reviewer")
    admin = _client(app, ELSEWHERE)
    assert _attempt(admin, "admin", PASSWORDS["admin"]).status_code == 303
    page = admin.get("/office/users").get_data(as_text=True)
    assert "Đang bị chặn đăng nhập" in page
    with app.app_context():
        reviewer_id = _db.session.scalars(select(User.id).filter_by(username="reviewer")).one()
    response = admin.post(f"/office/users/{reviewer_id}/unlock", data={"csrf_token": token(admin, "/office/users")})
    assert response.status_code == 303
    assert "Đang bị chặn đăng nhập" not in admin.get("/office/users").get_data(as_text=True)
    assert _attempt(_client(app, HOME), "reviewer", PASSWORDS["reviewer"]).status_code == 303


def test_cli_lists_and_clears_a_throttle(app: Flask, accounts: Any) -> None:
    _failures_until_throttled(_client(app, HOME), "viewer")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["users", "list"]).output
    assert re.search(r"^viewer .* throttled$", listing, re.M), listing
    assert runner.invoke(args=["users", "unlock", "viewer"]).exit_code == 0
    assert "throttled" not in runner.invoke(args=["users", "list"]).output
    assert _attempt(_client(app, HOME), "viewer", PASSWORDS["viewer"]).status_code == 303

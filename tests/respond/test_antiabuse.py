"""Open posters: flags for honeypot, fill time and repeat browsers; rate limits per hashed address."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db
from hailong.survey.models import Answer
from hailong.survey.services import antiabuse
from tests.fixtures.citizen import VALID, counts, open_form, stored
from tests.fixtures.pages import retry_after

SCHOOL = {"access__teacher_contact": "5", "overall": "4"}


def _reason(app: Flask) -> str | None:
    return stored(app)[-1].flag_reason


def test_clean_submission_is_not_flagged(app: Flask, client: FlaskClient, points: Any) -> None:
    assert open_form(app, client).backdate().post().status_code == 303
    assert _reason(app) is None and not stored(app)[0].flagged


def test_honeypot_is_stored_but_flagged(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    assert form.post({**VALID, "website": "http://spam.example"}).status_code == 303
    (row,) = stored(app)
    assert row.flagged and "trường ẩn" in (row.flag_reason or "")
    with app.app_context():
        assert all(db.session.scalars(select(Answer.excluded)))


def test_too_fast_is_flagged_with_the_seconds(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client)  # posted right away
    assert form.post().status_code == 303
    assert "gửi quá nhanh" in (_reason(app) or "")


@pytest.mark.parametrize("tamper", ["earlier", "mac", "nonce", "old-started-field"])
def test_a_tampered_form_key_is_refused_with_the_answers_kept(
    app: Flask, client: FlaskClient, points: Any, tamper: str
) -> None:
    """Moving the served time back (to pass the fill-time check) breaks the key's signature."""
    form = open_form(app, client)
    nonce, seconds, mac = form.hidden["submission_key"].split(".")
    if tamper == "earlier":
        form.hidden["submission_key"] = f"{nonce}.{int(seconds) - 600}.{mac}"
    elif tamper == "mac":
        form.hidden["submission_key"] = f"{nonce}.{seconds}.{'A' * 16}"
    elif tamper == "nonce":
        form.hidden["submission_key"] = f"{'B' * 22}.{seconds}.{mac}"
    else:  # a page served before form keys, with its separate signed start time
        form.hidden["started"] = "1700000000.AAAAAAAAAAAAAAAA"
    response = form.post()
    assert response.status_code == 400
    assert "Cán bộ nhiệt tình.</textarea>" in response.get_data(as_text=True)
    assert counts(app) == (0, 0)


def test_min_fill_time_is_configurable(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_MIN_FILL_SECONDS"] = 0
    assert open_form(app, client).post().status_code == 303
    assert _reason(app) is None


def test_second_answer_same_browser_same_day_is_flagged(app: Flask, client: FlaskClient, points: Any) -> None:
    assert open_form(app, client).backdate().post().status_code == 303
    cookie = client.get_cookie(antiabuse.SEEN_COOKIE)
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax" and cookie.max_age == 86400
    assert open_form(app, client).backdate().post().status_code == 303
    assert [r.flag_reason for r in stored(app)] == [None, "trùng trình duyệt trong ngày"]
    # Another point from the same browser, and the same point from another browser, are fine.
    assert open_form(app, client, "/s/mc-2").backdate().post().status_code == 303
    assert open_form(app, app.test_client()).backdate().post().status_code == 303
    assert [r.flagged for r in stored(app)] == [False, True, False, False]


def test_tampered_or_stale_browser_mark_is_ignored(app: Flask, points: Any) -> None:
    now = datetime.now(UTC)
    with app.test_request_context():
        from werkzeug.wrappers import Response

        response = Response()
        antiabuse.remember(response, 1, None, now)
        value = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
        assert antiabuse.seen_today(value, now) == [1]
        assert antiabuse.seen_today(value, now + timedelta(days=1)) == []
        assert antiabuse.seen_today(value[:-3] + "abc", now) == []
        assert antiabuse.seen_today("garbage", now) == []


def test_an_accepted_answer_has_no_rate_limit_headers_and_a_refusal_says_when_to_retry(
    app: Flask, points: Any
) -> None:
    """The headers would cost two storage reads per POST while its write holds SQLite's lock (config.py)."""
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "1 per minute"
    accepted = open_form(app, app.test_client()).backdate().post()
    assert accepted.status_code == 303
    assert not [name for name, _ in accepted.headers.items() if name.lower().startswith("x-ratelimit")]
    retry_after(open_form(app, app.test_client()).backdate().post(), 60)


def test_a_refusal_waits_for_the_window_it_breached(app: Flask, points: Any) -> None:
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "100 per minute;1 per hour"
    assert open_form(app, app.test_client()).backdate().post().status_code == 303
    assert retry_after(open_form(app, app.test_client()).backdate().post(), 3600) > 60


def test_a_refusal_still_says_when_to_retry_if_the_storage_fails_meanwhile(
    app: Flask, points: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Reading the reset time after the check fails: the whole window, and the form back, never a 500."""
    from flask_limiter import RequestLimit

    def unreachable(_limit: RequestLimit) -> int:
        raise ConnectionError("storage unreachable")

    app.config["HAILONG_RATELIMIT_SUBMIT"] = "1 per minute"
    assert open_form(app, app.test_client()).backdate().post().status_code == 303
    monkeypatch.setattr(RequestLimit, "reset_at", property(unreachable))
    refused = open_form(app, app.test_client()).backdate().post()
    assert retry_after(refused, 60) == 60
    assert "quá nhiều phiếu gửi từ cùng một mạng" in refused.get_data(as_text=True)
    assert "reset time" in caplog.text


def test_the_code_uses_no_private_state_of_flask_limiter() -> None:
    """Its request context (`limiter.context`) is private: the headers are off in config.py instead."""
    root = Path(__file__).resolve().parents[2] / "survey"
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if "limiter.context" in line or "view_rate_limit" in line
    ]
    assert found == [], found


def test_rate_limit_per_address_and_point(app: Flask, client: FlaskClient, points: Any) -> None:
    app.config["HAILONG_RATELIMIT_SUBMIT"] = "3 per minute"
    for _ in range(3):
        assert open_form(app, app.test_client()).backdate().post().status_code == 303
    refused = open_form(app, app.test_client()).backdate().post()
    retry_after(refused, 60)
    page = refused.get_data(as_text=True)
    # The form comes back with the citizen's answers kept, asking to send again in a minute.
    assert "quá nhiều phiếu gửi từ cùng một mạng" in page
    assert "Cán bộ nhiệt tình.</textarea>" in page
    assert page.count("checked") >= 3
    assert counts(app)[0] == 3
    # Another point, or another address, still gets through.
    assert open_form(app, app.test_client(), "/s/mc-2").backdate().post().status_code == 303
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.9.8.7"
    assert open_form(app, other).backdate().post().status_code == 303
    assert counts(app)[0] == 5


def test_default_limit_lets_a_school_on_one_wifi_through(app: Flask, points: Any) -> None:
    """The busiest minute of 600 parents on one address (bench/load.py --school) is about 165 submissions."""
    for _ in range(170):
        assert open_form(app, app.test_client(), "/s/th-an-tuong").backdate().post(SCHOOL).status_code == 303
    assert counts(app)[0] == 170


def test_limit_key_hashes_the_address_and_rotates_daily(app: Flask) -> None:
    with app.test_request_context("/s/mc-1", environ_base={"REMOTE_ADDR": "203.113.7.42"}):
        from flask import request

        request.view_args = {"code": "mc-1"}
        key = antiabuse.limit_key()
        assert "203.113" not in key and key.endswith(":mc-1")
        today = antiabuse.address_hash("203.113.7.42")
        assert today == antiabuse.address_hash("203.113.7.42")
        assert today != antiabuse.address_hash("203.113.7.42", datetime.now(UTC) + timedelta(days=1))
        assert today != antiabuse.address_hash("203.113.7.43")


def test_redis_is_the_limit_storage_when_configured(tmp_path: Path, points: Any, app: Flask) -> None:
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/15"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    from hailong.survey import create_app
    from hailong.survey.extensions import limiter

    prefix = f"hailong-test-{uuid.uuid4().hex}"
    redis_app = create_app({
        "TESTING": True, "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "HAILONG_REDIS_URL": url, "RATELIMIT_KEY_PREFIX": prefix, "HAILONG_RATELIMIT_SUBMIT": "2 per minute",
    })
    try:
        assert redis_app.config["RATELIMIT_STORAGE_URI"] == url
        assert type(limiter.storage).__name__.startswith("Redis")
        answers = [open_form(redis_app, redis_app.test_client()).backdate().post() for _ in range(3)]
        assert [a.status_code for a in answers] == [303, 303, 429]
        retry_after(answers[2], 60)
        keys = [k.decode() for k in client.scan_iter(f"*{prefix}*")]
        assert keys and not any("127.0.0.1" in k for k in keys)
    finally:
        for k in client.scan_iter(f"*{prefix}*"):
            client.delete(k)
        with redis_app.app_context():
            db.engine.dispose()

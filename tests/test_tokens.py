"""One-time receipt codes: slips, hashed storage, one use, verified responses, forged and reused codes."""

from __future__ import annotations

import contextlib
import hashlib
import io
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import select

from hailong.survey.extensions import db
from hailong.survey.models import ServicePoint, Submission, Token
from hailong.survey.services import tokens as token_svc
from tests.fixtures.citizen import VALID, counts, open_form, stored, token_rows


def _issue(app: Flask, code: str = "mc-1", count: int = 3) -> list[str]:
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code=code))
        tokens = token_svc.issue(point, count)
        db.session.commit()
    return tokens


def test_cli_prints_slips_and_stores_only_hashes(app: Flask, runner: FlaskCliRunner, points: Any, tmp_path: Path
                                                 ) -> None:
    from pypdf import PdfReader

    out = tmp_path / "slips.pdf"
    result = runner.invoke(args=["tokens", "issue", "--point", "mc-1", "--count", "12", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "12" in result.output
    reader = PdfReader(io.BytesIO(out.read_bytes()))
    assert len(reader.pages) == 2  # ten slips per A4 page
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = " ".join(reader.pages[0].extract_text().split())
    assert "Mời Ông/Bà đánh giá lần giao dịch này" in text
    rows = token_rows(app)
    assert len(rows) == 12
    assert all(len(r.token_hash) == 64 and r.used_at is None for r in rows)


def test_cli_refuses_unknown_point_and_bad_count(runner: FlaskCliRunner, points: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["tokens", "issue", "--point", "khong-co", "--count", "2", "--out", str(out)])
    assert result.exit_code != 0
    assert "Không có điểm khảo sát" in result.output
    result = runner.invoke(args=["tokens", "issue", "--point", "mc-1", "--count", "0", "--out", str(out)])
    assert result.exit_code != 0
    assert not out.exists()


def test_token_url_carries_a_signed_token_whose_hash_is_stored(app: Flask, points: Any) -> None:
    (token,) = _issue(app, count=1)
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        url = token_svc.token_url("https://hailong.example", point, token)
    parts = urlsplit(url)
    assert parts.path == "/s/mc-1"
    assert parse_qs(parts.query)["t"] == [token]
    (row,) = token_rows(app)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in row.token_hash


def test_valid_token_gives_a_verified_response_and_is_used_once(app: Flask, client: FlaskClient, points: Any
                                                                ) -> None:
    (token,) = _issue(app, count=1)
    form = open_form(app, client, f"/s/mc-1?t={token}").backdate()
    assert form.status == 200
    assert form.hidden["t"] == token
    assert form.post().status_code == 303
    (response,) = stored(app)
    assert response.verified and not response.flagged
    (row,) = token_rows(app)
    assert row.used_at is not None and row.response_id == response.id

    # A second visit with the same slip: a polite page, nothing stored.
    again = app.test_client().get(f"/s/mc-1?t={token}")
    assert again.status_code == 409
    assert "Lần giao dịch này đã được đánh giá" in again.get_data(as_text=True)
    other = open_form(app, app.test_client(), "/s/mc-1").backdate()
    reuse = other.post({**VALID, "t": token})
    assert reuse.status_code == 409
    assert counts(app)[0] == 1


def test_double_tap_with_a_token_stores_one_and_thanks_twice(app: Flask, client: FlaskClient, points: Any) -> None:
    (token,) = _issue(app, count=1)
    form = open_form(app, client, f"/s/mc-1?t={token}").backdate()
    first, second = form.post(), form.post()
    assert first.status_code == second.status_code == 303
    assert counts(app)[0] == 1


def test_forged_unknown_or_foreign_tokens_are_refused(app: Flask, client: FlaskClient, points: Any) -> None:
    (token,) = _issue(app, "mc-2", count=1)
    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        # Correctly signed but never issued (not in the table).
        unissued = token_svc._serializer().dumps([point.id, "AAAAAAAAAAAA"])
    for bad in [token[:-2] + "xx", "abc", "x" * 500, token, unissued, "' OR 1=1 --"]:
        response = client.get("/s/mc-1", query_string={"t": bad})
        assert response.status_code == 400, bad
        assert "Mã đánh giá không hợp lệ" in response.get_data(as_text=True)
    form = open_form(app, client).backdate()
    assert form.post({**VALID, "t": token}).status_code == 400  # a slip of mc-2 used on mc-1
    assert counts(app) == (0, 0)
    assert all(r.used_at is None for r in token_rows(app))


def test_invalid_form_with_token_keeps_token_unused(app: Flask, client: FlaskClient, points: Any) -> None:
    (token,) = _issue(app, count=1)
    form = open_form(app, client, f"/s/mc-1?t={token}").backdate()
    response = form.post({**VALID, "overall": "8"})
    assert response.status_code == 422
    assert f'name="t" value="{token}"' in response.get_data(as_text=True)
    assert token_rows(app)[0].used_at is None
    assert form.post().status_code == 303
    assert token_rows(app)[0].used_at is not None


def test_two_tabs_race_for_one_token_store_exactly_one(app: Flask, points: Any) -> None:
    (token,) = _issue(app, count=1)
    forms = [open_form(app, app.test_client(), f"/s/mc-1?t={token}").backdate() for _ in range(6)]
    results: list[int] = []
    barrier = threading.Barrier(len(forms))

    def go(form: Any) -> None:
        barrier.wait()
        results.append(form.post().status_code)

    threads = [threading.Thread(target=go, args=(f,)) for f in forms]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [303] + [409] * 5
    assert counts(app)[0] == 1
    (row,) = token_rows(app)
    assert row.response_id == stored(app)[0].id


def test_token_response_skips_the_browser_mark(app: Flask, client: FlaskClient, points: Any) -> None:
    # A browser that already answered mc-1 today from the poster can still use a receipt slip unflagged.
    assert open_form(app, client).backdate().post().status_code == 303
    (token,) = _issue(app, count=1)
    assert open_form(app, client, f"/s/mc-1?t={token}").backdate().post().status_code == 303
    rows = stored(app)
    assert [r.verified for r in rows] == [False, True]
    assert not rows[1].flagged


def test_submit_with_token_rolls_back_when_the_insert_fails(app: Flask, points: Any, monkeypatch: Any) -> None:
    """Consuming the token and storing the response are one commit: a failed insert leaves the token unused."""
    from datetime import UTC, datetime

    from hailong.survey import transaction
    from hailong.survey.services import questionnaires as qsvc
    from hailong.survey.services import responses as response_svc

    (token,) = _issue(app, count=1)

    def boom(_drafts: Any) -> list[int]:
        raise RuntimeError("disk full")

    with app.app_context():
        point = db.session.scalar(select(ServicePoint).filter_by(code="mc-1"))
        draft = response_svc.Draft(point=point, version=qsvc.latest_version("onestop"), answers={"overall": 4},
                                   submitted_at=datetime.now(UTC))
        monkeypatch.setattr(response_svc, "write_many", boom)
        with contextlib.suppress(RuntimeError), transaction.boundary():
            response_svc.submit(draft, token)
        monkeypatch.undo()
        assert db.session.scalar(select(Token.used_at)) is None
        with transaction.boundary():
            rid, created = response_svc.submit(draft, token)
        assert created and db.session.get(Submission, rid).verified

"""Kept pages and compression: every visitor still gets fresh hidden values, renames show, gzip is exact."""

from __future__ import annotations

import gzip
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.survey.extensions import db
from hailong.survey.models import ServicePoint
from hailong.survey.services import tokens as token_svc
from tests.fixtures.citizen import counts, open_form


def test_each_visitor_gets_own_hidden_values_from_the_kept_page(app: Flask, points: Any) -> None:
    forms = [open_form(app, app.test_client()).backdate() for _ in range(3)]
    assert len({f.hidden["submission_key"] for f in forms}) == 3
    assert len({f.hidden["csrf_token"] for f in forms}) == 3
    assert all(f.html.count('name="submission_key"') == 1 for f in forms)
    for form in forms:
        assert form.post().status_code == 303
    assert counts(app)[0] == 3


def test_renamed_point_shows_its_new_name(app: Flask, client: FlaskClient, points: Any) -> None:
    assert "Quầy 1" in client.get("/s/mc-1").get_data(as_text=True)
    with app.app_context():
        db.session.scalar(select(ServicePoint).filter_by(code="mc-1")).name = "Quầy Một mới"
        db.session.commit()
    assert "Quầy Một mới" in client.get("/s/mc-1").get_data(as_text=True)


def test_each_receipt_code_is_put_in_its_own_page(app: Flask, points: Any) -> None:
    with app.app_context():
        tokens = token_svc.issue(db.session.scalar(select(ServicePoint).filter_by(code="mc-1")), 3)
        db.session.commit()
    for token in tokens:
        form = open_form(app, app.test_client(), f"/s/mc-1?t={token}")
        assert form.hidden["t"] == token
        assert form.html.count(token) == 1


def test_gzip_when_asked_and_identical_content(app: Flask, client: FlaskClient, points: Any) -> None:
    plain = client.get("/s/mc-1/cam-on")
    packed = client.get("/s/mc-1/cam-on", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    form = client.get("/s/mc-1", headers={"Accept-Encoding": "gzip"})
    assert len(form.data) * 2 < len(gzip.decompress(form.data))


def test_stylesheet_gzip_keeps_conditional_requests(app: Flask, client: FlaskClient) -> None:
    first = client.get("/static/site.css", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    assert etag.startswith("W/")
    again = client.get("/static/site.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag})
    assert again.status_code == 304
    first.close()
    again.close()


def test_errors_and_redirects_are_not_compressed(app: Flask, client: FlaskClient, points: Any) -> None:
    missing = client.get("/s/khong-co", headers={"Accept-Encoding": "gzip"})
    assert missing.status_code == 404 and "Content-Encoding" not in missing.headers
    assert "Không tìm thấy trang" in missing.get_data(as_text=True)


def test_the_stylesheet_address_carries_its_hash_and_is_kept_a_year(app: Flask, client: FlaskClient,
                                                                    points: Any) -> None:
    """Each page of the paged form would otherwise revalidate it: one more round trip per page."""
    import hashlib
    import re
    from pathlib import Path

    page = client.get("/s/mc-1").get_data(as_text=True)
    found = re.search(r'href="(/static/site\.css\?v=([0-9a-f]{12}))"', page)
    assert found
    assert found[2] == hashlib.sha256((Path(app.static_folder or "") / "site.css").read_bytes()).hexdigest()[:12]
    kept = client.get(found[1])
    assert kept.status_code == 200
    assert kept.cache_control.max_age == 365 * 24 * 3600 and kept.cache_control.immutable
    assert "no-cache" not in kept.headers["Cache-Control"]
    other = client.get("/static/site.css?v=000000000000")
    assert other.status_code == 200 and other.cache_control.max_age != 365 * 24 * 3600
    assert client.get("/static/../secret_key?v=x").status_code == 404
    kept.close()
    other.close()

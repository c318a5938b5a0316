"""Security headers, the production secret key, and error pages that never show a stack trace."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hailong.survey.config import ConfigError, build_config
from tests.fixtures.citizen import open_form

PAGES = ["/", "/s/mc-1", "/s/mc-1/cam-on", "/s/khong-co", "/static/site.css", "/s/mc-1?t=forged"]


def _directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in csp.split(";") if part.strip()}


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_kind_of_page(client: FlaskClient, points: Any, path: str) -> None:
    response = client.get(path)
    response.close()
    csp = _directives(response.headers["Content-Security-Policy"])
    assert csp["script-src"] == "'self'"
    assert csp["style-src"] == "'self'"
    assert csp["default-src"] == "'self'"
    assert csp["frame-ancestors"] == "'none'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_headers_on_posts_and_errors(app: Flask, client: FlaskClient, points: Any) -> None:
    form = open_form(app, client).backdate()
    for response in (form.post(), form.post({"overall": "9"}), client.post("/s/mc-1", data={})):
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/s/mc-1", "/s/mc-1/cam-on", "/s/khong-co", "/s/mc-1?t=forged"])
def test_citizen_pages_need_no_inline_script_or_style(client: FlaskClient, points: Any, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    assert "<style" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers
    # Every external resource is our own.
    for url in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert url.startswith(("/", "?", "#")), url


def test_production_requires_a_secret_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAILONG_SECRET_KEY", raising=False)
    monkeypatch.setenv("HAILONG_ENV", "production")
    with pytest.raises(ConfigError, match="HAILONG_SECRET_KEY"):
        build_config(tmp_path)
    assert not (tmp_path / "secret_key").exists()  # no key silently invented in production
    monkeypatch.setenv("HAILONG_SECRET_KEY", "a-long-random-secret")
    cfg = build_config(tmp_path)
    assert cfg["SECRET_KEY"] == "a-long-random-secret"
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_development_keeps_a_generated_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HAILONG_SECRET_KEY", raising=False)
    monkeypatch.delenv("HAILONG_ENV", raising=False)
    first = build_config(tmp_path)["SECRET_KEY"]
    assert len(first) >= 40
    assert build_config(tmp_path)["SECRET_KEY"] == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_sends_hsts(app: Flask, client: FlaskClient) -> None:
    app.config["HAILONG_ENV"] = "production"
    assert client.get("/").headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("testing", [True, False])
def test_a_crash_shows_the_friendly_500_page_without_a_trace(app: Flask, testing: bool) -> None:
    app.config["TESTING"] = testing

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("secret detail /etc/passwd line 42")

    response = app.test_client().get("/boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Hệ thống đang gặp sự cố" in html
    for leak in ("Traceback", "RuntimeError", "secret detail", "boom", 'File "'):
        assert leak not in html
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_a_database_failure_is_a_friendly_500(app: Flask, client: FlaskClient, points: Any,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from sqlalchemy.exc import OperationalError

    from hailong.survey.services import responses as response_svc

    def down(_draft: Any, _token: str | None = None) -> Any:
        raise OperationalError("INSERT ...", {}, Exception("database is locked"))

    form = open_form(app, client).backdate()
    monkeypatch.setattr(response_svc, "submit", down)
    response = form.post()
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Hệ thống đang gặp sự cố" in html and "INSERT" not in html and "locked" not in html


def test_session_cookie_flags(app: Flask, client: FlaskClient, points: Any) -> None:
    client.get("/s/mc-1")
    cookie = client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"


def test_method_and_size_errors_are_friendly(app: Flask, client: FlaskClient, points: Any) -> None:
    response = client.delete("/s/mc-1")
    assert response.status_code == 405
    assert "Thao tác không được hỗ trợ" in response.get_data(as_text=True)
    form = open_form(app, client)
    big = client.post(form.url, data={**form.hidden, "comment": "x" * 70_000})
    assert big.status_code == 413
    assert "vượt quá giới hạn" in big.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/office/login", "/office/logout", "/s/mc-1"])
def test_a_multipart_part_without_a_name_is_a_4xx(client: FlaskClient, points: Any, path: str) -> None:
    """A part whose Content-Disposition has no readable name (found by the fuzz test) is not a form field."""
    body = (b'--BB\r\nContent-Disposition: form-data; name="\r"\r\n\r\nx\r\n'
            b'--BB\r\nContent-Disposition: form-data\r\n\r\ny\r\n--BB--\r\n')
    response = client.post(path, data=body, content_type="multipart/form-data; boundary=BB")
    assert 400 <= response.status_code < 500

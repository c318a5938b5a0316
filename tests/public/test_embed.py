"""The widget may be framed by the configured origins only; every other page keeps refusing frames."""

from __future__ import annotations

import base64
import gzip
import hashlib
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hailong.survey.config import ConfigError, build_config
from hailong.survey.public.results import WIDGET_CSS, WIDGET_CSS_HASH

PORTAL = "https://antuong.tuyenquang.gov.vn"


def directives(csp: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in csp.split(";") if part.strip()}


def test_allowed_origins_may_frame_the_widget_only(app: Flask, client: FlaskClient, world: Any) -> None:
    app.config["HAILONG_EMBED_ORIGINS"] = (PORTAL, "http://127.0.0.1:8080")
    widget = client.get("/cong-khai/nhung")
    assert widget.status_code == 200
    csp = directives(widget.headers["Content-Security-Policy"])
    assert csp["frame-ancestors"] == f"{PORTAL} http://127.0.0.1:8080"
    assert "X-Frame-Options" not in widget.headers
    assert csp["default-src"] == "'none'" and csp["style-src"] == f"'{WIDGET_CSS_HASH}'"
    for path in ("/cong-khai", "/cong-khai/du-lieu.json", "/s/mc-1", "/office/login", "/static/public.css"):
        other = client.get(path)
        other.close()
        assert directives(other.headers["Content-Security-Policy"])["frame-ancestors"] == "'none'", path
        assert other.headers["X-Frame-Options"] == "DENY", path


def test_without_origins_the_widget_refuses_frames_too(app: Flask, client: FlaskClient, world: Any) -> None:
    app.config["HAILONG_EMBED_ORIGINS"] = ()
    widget = client.get("/cong-khai/nhung")
    assert directives(widget.headers["Content-Security-Policy"])["frame-ancestors"] == "'none'"
    assert widget.headers["X-Frame-Options"] == "DENY"


def test_the_widget_is_small_and_self_contained(client: FlaskClient, world: Any) -> None:
    response = client.get("/cong-khai/nhung", headers={"Accept-Encoding": "gzip", "Host": "evil.example"})
    raw = gzip.decompress(response.get_data())
    html = raw.decode()
    assert len(raw) < 2048 and len(response.get_data()) < 1024, (len(raw), len(response.get_data()))
    assert "<script" not in html and not re.search(r"\s(src|on[a-z]+)=", html)
    # Its only style is the inline one the CSP allows by hash.
    assert html.count("<style>") == 1 and f"<style>{WIDGET_CSS}</style>" in html
    assert "stylesheet" not in html
    # The link is built from HAILONG_BASE_URL, never from the request's Host: the widget is rendered once for all.
    # The ward's own address: it stays right when the database later holds several wards.
    assert '<a href="https://hailong.example/cong-khai/an-tuong" target="_blank" rel="noopener">' in html
    assert "Hành chính công" in html and "Y tế" in html and "%" in html


@pytest.mark.parametrize("value", ["https://a.example.vn/path", "javascript:alert(1)", "a.example.vn",
                                   "https://a.example.vn;frame-ancestors *", "*"])
def test_a_bad_origin_stops_the_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("HAILONG_EMBED_ORIGINS", value)
    with pytest.raises(ConfigError, match="HAILONG_EMBED_ORIGINS"):
        build_config(tmp_path)


def test_origins_are_read_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAILONG_EMBED_ORIGINS", f" {PORTAL}/, https://*.Example.vn:8443 ")
    assert build_config(tmp_path)["HAILONG_EMBED_ORIGINS"] == (PORTAL, "https://*.example.vn:8443")
    monkeypatch.delenv("HAILONG_EMBED_ORIGINS")
    assert build_config(tmp_path)["HAILONG_EMBED_ORIGINS"] == ()


def test_the_page_is_one_request_its_style_allowed_by_hash(client: FlaskClient, world: Any) -> None:
    response = client.get("/cong-khai")
    html = response.get_data(as_text=True)
    header = response.headers["Content-Security-Policy"]
    csp = directives(header)
    styles = re.findall(r"<style>(.*?)</style>", html, flags=re.S)
    assert len(styles) == 1
    digest = base64.b64encode(hashlib.sha256(styles[0].encode()).digest()).decode()
    assert csp["style-src"] == f"'sha256-{digest}'"
    assert csp["script-src"] == "'self'" and csp["frame-ancestors"] == "'none'" and "unsafe" not in header
    assert "<script" not in html and not re.search(r"\sstyle=", html) and not re.search(r"\son[a-z]+=", html)
    # Nothing to fetch: no stylesheet, image, font or script; links are our own pages.
    assert not re.search(r"<(link|img|script|iframe)\b", html)
    for url in re.findall(r'href="([^"]+)"', html):
        assert url.startswith(("/", "#")), url

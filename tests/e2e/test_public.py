"""/cong-khai in Chromium: axe-core finds no WCAG 2.2 AA violation, the page reflows at 390×844 and at 200% zoom,
it weighs at most 30 KB compressed in at most 2 requests, and only the configured origins can frame the widget.

Set HAILONG_SHOTS=/some/folder to keep screenshots of the page at phone and desktop width and of the widget.
"""

from __future__ import annotations

import gzip
import os
import re
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from sqlalchemy import func, select

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, PaknItem
from hailong.survey.services import demo as demo_svc
from hailong.survey.services import demo_pakn, publication
from hailong.survey.services import pakn as pakn_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc

AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BUDGET = 30 * 1024
# DevTools' "Slow 3G" preset: 400 ms × 5 round trip, 400 kbit/s each way.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}
SHOTS = os.environ.get("HAILONG_SHOTS")


@pytest.fixture
def public(app: Flask) -> None:
    """The demo ward with a year of synthetic responses up to today, every kind published."""
    with app.app_context():
        org = _db.session.query(Organisation).one()
        points = point_svc.ensure_demo_points(org)
        versions = {v.kind: (v, qsvc.definition(v)) for v in (qsvc.latest_version(k) for k in point_svc.KINDS)}
        demo_svc.generate(points, versions, datetime.now(TZ).date())
        _db.session.refresh(org)
        pakn_svc.ensure_units_from_points(org)
        demo_pakn.generate(org, datetime.now(TZ).date())  # a quarter of PAKN items, some published
        publication.publish_all(org.id, "test")
        _db.session.commit()


def violations(page: Any) -> list[str]:
    """Every WCAG 2.0–2.2 A/AA violation axe-core finds, whatever its impact."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]]


def shot(page: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def shot_element(page: Any, locator: Any, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        locator.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def test_page_and_widget_pass_axe(public: None, live_server: str, axe_page: Any) -> None:
    page = axe_page
    for path in ("/cong-khai", "/cong-khai?lang=en", "/cong-khai/nhung", "/cong-khai/nhung?lang=en",
                 "/cong-khai/phan-anh", "/cong-khai/phan-anh?lang=en&q=xyz", "/cong-khai/phan-anh?trang=0"):
        page.goto(live_server + path)
        assert violations(page) == [], path
    page.goto(f"{live_server}/cong-khai")
    page.locator("details summary").first.click()  # the chart's table, opened
    assert violations(page) == [], "chart table open"
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/cong-khai")
    assert violations(page) == [], "phone width"


def _no_page_scroll_sideways(page: Any) -> None:
    width = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert width[0] <= width[1], width


def _usable(page: Any) -> None:
    """Headline figures readable without scrolling sideways, the jump links and the chart's table work."""
    _no_page_scroll_sideways(page)
    assert page.locator("h1").is_visible()
    value = page.locator(".index .value").first
    assert value.is_visible() and "%" in value.inner_text()
    box = value.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]
    page.get_by_role("link", name="Y tế", exact=True).click()
    assert page.url.endswith("#health")
    summary = page.locator("#health details summary")
    summary.click()
    assert page.locator("#health details table").is_visible()
    _no_page_scroll_sideways(page)
    # Every table fits, or scrolls inside its own box: the page itself never does.
    for table in page.locator(".scroll").all():
        table_box = table.bounding_box()
        assert table_box["x"] >= 0 and table_box["x"] + table_box["width"] <= page.viewport_size["width"] + 1


def test_usable_on_a_phone(public: None, live_server: str, phone: Any) -> None:
    phone.goto(f"{live_server}/cong-khai")
    _usable(phone)
    phone.goto(f"{live_server}/cong-khai")
    shot(phone, "phone-390x844")
    shot_element(phone, phone.locator("#health .periods"), "health-target-390x844")


def test_pakn_on_a_phone(app: Flask, public: None, live_server: str, phone: Any) -> None:
    """The PAKN part of the page, the list, its search and its pages, at 390×844 without any script."""
    phone.goto(f"{live_server}/cong-khai#pakn")
    section = phone.locator("#pakn")
    assert section.locator(".figures").first.is_visible()
    assert section.locator(".reply").count() >= 1
    _no_page_scroll_sideways(phone)
    shot_element(phone, section, "pakn-section-390x844")
    phone.get_by_role("link", name=re.compile("Xem tất cả")).click()
    assert "/cong-khai/an-tuong/phan-anh" in phone.url  # links carry the ward (a province holds several)
    assert phone.locator(".replies .reply").count() == min(20, _published(app))
    _no_page_scroll_sideways(phone)
    shot(phone, "pakn-list-390x844")
    phone.get_by_label("Tìm trong nội dung").fill("ghe")
    phone.get_by_label("Loại phản ánh").select_option("co_so_vat_chat")
    phone.get_by_role("button", name="Tìm").click()
    assert "q=ghe" in phone.url and "loai=co_so_vat_chat" in phone.url
    found = phone.locator(".replies .reply")
    for i in range(found.count()):
        assert "ghế" in found.nth(i).inner_text().lower()
    shot(phone, "pakn-search-390x844")
    phone.get_by_label("Tìm trong nội dung").fill("khongcotukhoanay")
    phone.get_by_role("button", name="Tìm").click()
    assert phone.get_by_text("Không có câu trả lời nào phù hợp với điều kiện tìm.").is_visible()
    phone.goto(f"{live_server}/cong-khai/phan-anh?trang=abc")
    assert phone.get_by_text("Số trang không hợp lệ").is_visible()
    shot(phone, "pakn-bad-page-390x844")


def _published(app: Flask) -> int:
    with app.app_context(), _db.engine.connect() as conn:
        return int(conn.execute(select(func.count(PaknItem.id)).where(
            PaknItem.published_at.is_not(None), PaknItem.flagged.is_(False))).scalar() or 0)


def test_usable_at_200_percent_zoom(public: None, live_server: str, browser: Any) -> None:
    # 200% zoom of a 1280×900 window: 640×450 CSS pixels, each drawn as 2×2 device pixels.
    context = browser.new_context(viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(f"{live_server}/cong-khai")
        font = page.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 18  # 112.5% of the browser's 16 px: text is never shrunk to fit
        _usable(page)
    finally:
        context.close()


def test_desktop_screenshot(public: None, live_server: str, desktop: Any) -> None:
    desktop.goto(f"{live_server}/cong-khai")
    _no_page_scroll_sideways(desktop)
    assert desktop.locator(".periods .period").count() >= 2
    shot(desktop, "desktop-1280")
    desktop.goto(f"{live_server}/cong-khai/nhung")
    desktop.set_viewport_size({"width": 320, "height": 240})
    shot(desktop, "widget-320")


def _weigh(phone: Any, live_server: str, path: str) -> None:
    """Load `path` once: first party only, at most 2 requests, style inline, gzip, within BUDGET compressed."""
    seen: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        body = b"" if response.status in (204, 301, 302, 303, 304) else response.body()
        seen.append({"url": response.url, "type": response.request.resource_type, "raw": len(body),
                     "gzip": len(gzip.compress(body, compresslevel=6)),
                     "encoding": response.headers.get("content-encoding", "")})

    phone.on("response", on_response)
    phone.goto(f"{live_server}{path}", wait_until="load")
    phone.wait_for_load_state("networkidle")
    phone.remove_listener("response", on_response)
    host = urlsplit(live_server).netloc
    assert all(urlsplit(r["url"]).netloc == host for r in seen), seen
    assert len(seen) <= 2, [r["url"] for r in seen]
    assert {r["type"] for r in seen} == {"document"}  # the stylesheet is inline: one round trip to a first render
    assert all(r["encoding"] == "gzip" for r in seen if r["raw"] > 1000)
    compressed = sum(r["gzip"] for r in seen)
    for r in seen:
        print(f"  {r['type']:<11} {r['raw']:>7} B raw {r['gzip']:>6} B gzip  {urlsplit(r['url']).path}")
    print(f"{path}: {len(seen)} requests, {sum(r['raw'] for r in seen)} B raw, {compressed} B gzip "
          f"(budget {BUDGET} B)")
    assert compressed <= BUDGET


def test_pakn_list_weight(app: Flask, public: None, live_server: str, phone: Any) -> None:
    """A full page of 20 published replies (the demo's texts) and a reply in full stay within the budget."""
    _weigh(phone, live_server, "/cong-khai/phan-anh")
    assert phone.locator(".replies .reply").count() == min(20, _published(app))
    first = phone.locator(".replies .reply h2").first.get_attribute("id")
    assert first is not None
    _weigh(phone, live_server, f"/cong-khai/phan-anh/{first.removeprefix('r-')}")


def test_weight_requests_and_slow_3g(app: Flask, public: None, live_server: str, phone: Any) -> None:
    _weigh(phone, live_server, "/cong-khai")
    assert phone.locator("#pakn .reply").count() >= 1  # the weight counts the PAKN part too

    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    start = time.monotonic()
    phone.goto(f"{live_server}/cong-khai?lang=en", wait_until="load", timeout=120_000)
    loaded = time.monotonic() - start
    paint = phone.evaluate("""() => new Promise(resolve => {
      const seen = performance.getEntriesByName('first-contentful-paint')[0];
      if (seen) { resolve(seen.startTime); return; }
      new PerformanceObserver(list => {
        const fcp = list.getEntries().find(e => e.name === 'first-contentful-paint');
        if (fcp) resolve(fcp.startTime);
      }).observe({type: 'paint', buffered: true});
      setTimeout(() => resolve(-1), 10000);
    })""")
    print(f"slow 3G (2000 ms RTT, 400 kbit/s): first contentful paint {paint / 1000:.2f} s, load {loaded:.2f} s")


class _Parent(BaseHTTPRequestHandler):
    """A portal page on another origin that frames the widget."""

    body = b""

    def do_GET(self) -> None:  # the standard library names it
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def portals(live_server: str) -> Iterator[tuple[str, str]]:
    """Two sites on their own origins, each framing the widget and the full page."""
    body = (f'<!doctype html><html lang="vi"><title>Cổng</title><iframe id="w" title="widget" '
            f'src="{live_server}/cong-khai/nhung"></iframe><iframe id="p" title="page" '
            f'src="{live_server}/cong-khai"></iframe></html>').encode()
    handler = type("Parent", (_Parent,), {"body": body})
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for _ in range(2)]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for t in threads:
        t.start()
    try:
        yield tuple(f"http://127.0.0.1:{s.server_port}" for s in servers)  # type: ignore[misc]
    finally:
        for s in servers:
            s.shutdown()
            s.server_close()


def _framed_text(page: Any, frame_id: str) -> str:
    frame = page.frame_locator(f"#{frame_id}")
    try:
        return str(frame.locator("body").inner_text(timeout=3000))
    except Exception:  # a refused frame has no document to read
        return ""


def test_widget_framed_by_an_allowed_origin_only(app: Flask, public: None, portals: tuple[str, str],
                                                 desktop: Any) -> None:
    allowed, other = portals
    app.config["HAILONG_EMBED_ORIGINS"] = (allowed,)
    refused: list[str] = []
    desktop.on("console", lambda m: refused.append(m.text) if "frame-ancestors" in m.text else None)
    desktop.goto(allowed)
    desktop.wait_for_load_state("load")
    assert "Mức độ hài lòng" in _framed_text(desktop, "w")
    assert "Kết quả khảo sát" not in _framed_text(desktop, "p")  # the full page still refuses frames
    desktop.goto(other)
    desktop.wait_for_load_state("load")
    assert "Mức độ hài lòng" not in _framed_text(desktop, "w")
    assert refused, "Chromium should report the frame-ancestors refusal"

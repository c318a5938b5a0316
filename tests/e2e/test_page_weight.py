"""The citizen pages' weight budget in Chromium: each page of the paged form under 20 KB gzipped (HTML + CSS + JS),
no third-party request.

Also measured, printed, never asserted: first render, page change and send times on a throttled slow-3G phone.
"""

from __future__ import annotations

import gzip
import time
from typing import Any
from urllib.parse import urlsplit

import pytest

BUDGET = 20 * 1024
COUNTED = {"document", "stylesheet", "script"}
# Milliseconds from navigation start to the first contentful paint (waits for the entry; -1 if none in 10 s).
FIRST_PAINT = """() => new Promise(resolve => {
  const seen = performance.getEntriesByName('first-contentful-paint')[0];
  if (seen) { resolve(seen.startTime); return; }
  new PerformanceObserver(list => {
    const fcp = list.getEntries().find(e => e.name === 'first-contentful-paint');
    if (fcp) resolve(fcp.startTime);
  }).observe({type: 'paint', buffered: true});
  setTimeout(() => resolve(-1), 10000);
})"""
# DevTools' "Slow 3G" preset: 400 ms × 5 round trip, 400 kbit/s each way.
SLOW_3G = {"offline": False, "latency": 2000, "downloadThroughput": 500 * 1000 / 8 * 0.8,
           "uploadThroughput": 500 * 1000 / 8 * 0.8}


def _record(page: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []

    def on_response(response: Any) -> None:
        request = response.request
        body = b"" if response.status in (204, 301, 302, 303, 304) else response.body()
        seen.append({
            "url": response.url, "type": request.resource_type, "raw": len(body),
            "gzip": len(gzip.compress(body, compresslevel=6)),
            "encoding": response.headers.get("content-encoding", ""), "status": response.status,
        })

    page.on("response", on_response)
    return seen


def test_citizen_pages_are_small_and_first_party(app: Any, demo_points: Any, live_server: str, phone: Any) -> None:
    requests: list[str] = []
    phone.on("request", lambda r: requests.append(r.url))
    seen = _record(phone)
    phone.goto(f"{live_server}/s/mc-1", wait_until="load")
    phone.wait_for_load_state("networkidle")
    pages: list[list[dict[str, Any]]] = []
    while True:
        counted = [r for r in seen if r["type"] in COUNTED]
        pages.append(counted)
        seen.clear()
        step = phone.locator(".step").first.inner_text()
        if step.endswith("9/9"):
            break
        phone.get_by_role("button", name="Tiếp tục", exact=True).click()
        phone.wait_for_load_state("networkidle")

    host = urlsplit(live_server).netloc
    assert requests and all(urlsplit(u).netloc == host for u in requests if not u.startswith("data:")), requests
    css = next(r for r in pages[0] if r["type"] == "stylesheet")
    print(f"\n  stylesheet {css['raw']} B raw, {css['gzip']} B gzip (fetched once, then from the cache)")
    total = css["gzip"]
    for number, counted in enumerate(pages, start=1):
        doc = next(r for r in counted if r["type"] == "document" and r["status"] == 200)  # not the POST's 303
        total += doc["gzip"]
        # Each page on its own, as if nothing were cached: its document and the stylesheet.
        alone = doc["gzip"] + css["gzip"]
        print(f"  page {number}/9: document {doc['raw']:>6} B raw {doc['gzip']:>5} B gzip, served as "
              f"{doc['encoding'] or 'identity'}; with the stylesheet {alone} B (budget {BUDGET} B)")
        assert doc["encoding"] == "gzip"  # the server compresses what Chromium asks gzip for
        assert {r["type"] for r in counted} <= COUNTED and "script" not in {r["type"] for r in counted}
        assert alone < BUDGET
    print(f"citizen form /s/mc-1, all 9 pages: {total} B gzip in all (documents + one stylesheet)")


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "identity"])
def test_slow_3g_timings_are_reported(app: Any, demo_points: Any, live_server: str, phone: Any, compress: bool) -> None:
    app.config["HAILONG_GZIP"] = compress
    cdp = phone.context.new_cdp_session(phone)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", SLOW_3G)
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    start = time.monotonic()
    phone.goto(f"{live_server}/s/mc-1", wait_until="load", timeout=120_000)
    loaded = time.monotonic() - start
    paint = phone.evaluate(FIRST_PAINT)
    phone.locator("input[name='overall'][value='4']").check()
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})  # later pages: the stylesheet is cached
    start = time.monotonic()
    phone.get_by_role("button", name="Tiếp tục", exact=True).click()
    phone.wait_for_url("**p=2**", wait_until="load", timeout=120_000)
    paged = time.monotonic() - start
    phone.locator("input[name='access__seating'][value='5']").check()
    start = time.monotonic()
    phone.get_by_role("button", name="Gửi luôn", exact=True).click()
    phone.wait_for_url("**/cam-on", wait_until="load", timeout=120_000)
    submitted = time.monotonic() - start
    label = "gzip" if compress else "uncompressed"
    print(f"slow 3G (2000 ms RTT, 400 kbit/s), {label}: first contentful paint {paint / 1000:.2f} s, "
          f"load {loaded:.2f} s, next page {paged:.2f} s, send to thank-you page {submitted:.2f} s")
    assert "Cảm ơn" in phone.locator("h1").inner_text()

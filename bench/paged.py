"""Paged-form bench: a citizen answering page by page against one answering the whole form in one POST, on the
same `hailong serve --workers 2`, in the same run.

    .venv/bin/python -m bench.paged                      # 1,000 journeys of each kind at 32 concurrent, SQLite
    .venv/bin/python -m bench.paged --pg --journeys 2000

A single-page journey is bench.load's: GET the form, POST every answer, GET the thank-you page (3 requests).
A paged journey answers the same questions on the one-stop form's nine pages: GET page 1, then for each page
POST its answers ("Tiếp tục", a 303) and GET the next page, and "Gửi phiếu" on the last (19 requests). The two
kinds take turns in rounds; the ratio is paged / single-page journeys per second. After the run the bench checks
that the database holds exactly one response per journey and no draft (a sent form's draft is deleted).
"""

from __future__ import annotations

import argparse
import gzip as gz
import http.client
import random
import re
import sys
import time
from urllib.parse import urlencode, urlsplit

from hailong.forms.builder import field_name
from hailong.forms.pages import plan
from hailong.forms.questionnaire import bundled

from .load import (
    OUT,
    PG_BASE,
    POINT,
    REDIS_URL,
    JourneyError,
    Outcome,
    RunResult,
    _request,
    answers,
    clear_redis,
    count_responses,
    journey,
    pct,
    prepare_hailong_db,
    redis_available,
    start_hailong,
)

PG_DB = "hailong_form_paged"
HIDDEN = re.compile(r'name="(csrf_token|submission_key|page)" (?:type="hidden" )?value="([^"]*)"')
#: Field name -> page number of the one-stop form.
PAGE_OF = {field_name(code): page.number for page in plan(bundled()["onestop/v1"]) for code in page.codes}
PAGES = max(PAGE_OF.values())


def _hidden(html: str) -> dict[str, str]:
    return dict(HIDDEN.findall(html))


def paged_journey(port: int, seed: int, gzip: bool = False) -> Outcome:
    """One respondent walking the nine pages with the same answers as bench.load's journey."""
    rng = random.Random(seed)
    by_page: dict[int, list[tuple[str, str]]] = {}
    for name, value in answers(rng):
        by_page.setdefault(PAGE_OF[name], []).append((name, value))
    cookies: dict[str, str] = {}
    out = Outcome(ok=False)
    start = time.perf_counter()

    def send(label: str, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        status, headers, data, t = _request(port, method, path, cookies, body, gzip=gzip)
        out.latencies.append((label, t))
        if headers.get("content-encoding") == "gzip":
            data = gz.decompress(data)
        return status, headers, data

    try:
        status, _, body = send("GET page", "GET", f"/s/{POINT}")
        for number in range(1, PAGES + 1):
            if status != 200:
                raise JourneyError(f"GET page {number}: {status}")
            fields = _hidden(body.decode("utf-8"))
            if fields.get("page") != str(number):
                raise JourneyError(f"expected page {number}, got {fields.get('page')}")
            out.submission_key = fields["submission_key"]
            go = "send" if number == PAGES else "next"
            payload = urlencode([*fields.items(), ("go", go), *by_page.get(number, [])]).encode()
            status, headers, _ = send("POST page" if go == "next" else "POST send", "POST", f"/s/{POINT}", payload)
            location = urlsplit(headers.get("location", ""))
            if status != 303:
                raise JourneyError(f"POST page {number}: {status}")
            path = location.path + (f"?{location.query}" if location.query else "")
            if go == "send":
                if not location.path.endswith("/cam-on"):
                    raise JourneyError(f"send: {status} {path}")
                out.posted_ok = True
                status, _, _ = send("GET thanks", "GET", path)
                if status != 200:
                    raise JourneyError(f"GET thanks: {status}")
                break
            status, _, body = send("GET page", "GET", path)
        out.ok = True
    except (OSError, http.client.HTTPException, JourneyError, UnicodeDecodeError, KeyError) as exc:
        out.error = f"{type(exc).__name__}: {exc}"
    out.total = time.perf_counter() - start
    return out


def _run(kind: str, port: int, n: int, concurrency: int, gzip: bool, seed0: int) -> RunResult:
    from concurrent.futures import ThreadPoolExecutor

    walk = paged_journey if kind == "paged" else (lambda p, s, gzip=False: journey(p, s, gzip=gzip))
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(lambda i: walk(port, seed0 + i, gzip=gzip), range(n)))
    return RunResult(kind, n, time.perf_counter() - start, outcomes)


def _count_drafts(url: str) -> int:
    return count_responses(url, "form_drafts")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--journeys", type=int, default=1000, help="journeys of each kind")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--pg-base", default=PG_BASE)
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip like a phone")
    args = parser.parse_args()
    if not 1 <= args.journeys <= 100_000 or not 1 <= args.concurrency <= 256 or not 1 <= args.rounds <= 50:
        parser.error("journeys 1..100000, concurrency 1..256, rounds 1..50")
    if urlsplit(args.pg_base).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the bench only uses a local PostgreSQL")
    OUT.mkdir(parents=True, exist_ok=True)
    url = f"{args.pg_base}/{PG_DB}" if args.pg else f"sqlite:///{OUT / 'paged.db'}"
    redis_url = REDIS_URL if redis_available() else ""
    prepare_hailong_db(url)
    server = start_hailong(url, "paged-pg" if args.pg else "paged-sqlite", redis_url)
    results: dict[str, list[RunResult]] = {"single": [], "paged": []}
    try:
        for kind in results:
            _run(kind, server.port, args.warmup, args.concurrency, args.gzip, 10**7)
        before = count_responses(url)
        per_round = [args.journeys // args.rounds + (1 if r < args.journeys % args.rounds else 0)
                     for r in range(args.rounds)]
        print(f"{args.journeys} journeys of each kind at {args.concurrency} concurrent on "
              f"{'PostgreSQL' if args.pg else 'SQLite'}, {args.rounds} rounds taking turns", flush=True)
        for r, n in enumerate(per_round):
            for kind in (["single", "paged"] if r % 2 == 0 else ["paged", "single"]):
                part = _run(kind, server.port, n, args.concurrency, args.gzip, r * 100_000 + (kind == "paged"))
                results[kind].append(part)
                print(f"  round {r + 1}: {kind:<6} {part.rate:7.1f} journeys/s, {part.rate * _requests(part):7.1f}"
                      f" requests/s", flush=True)
        new, drafts = count_responses(url) - before, _count_drafts(url)
    finally:
        server.stop()
        if redis_url:
            clear_redis(redis_url)
    rates = {}
    for kind, parts in results.items():
        outcomes = [o for p in parts for o in p.outcomes]
        seconds = sum(p.seconds for p in parts)
        errors = sum(not o.ok for o in outcomes)
        rates[kind] = len(outcomes) / seconds
        requests = pct([t for o in outcomes for _, t in o.latencies])
        whole = pct([o.total for o in outcomes if o.ok])
        print(f"{kind:<6}: {rates[kind]:7.1f} journeys/s, {errors} errors; request p50 {requests['p50']:.0f} ms, "
              f"p99 {requests['p99']:.0f} ms; journey p50 {whole['p50']:.0f} ms, p99 {whole['p99']:.0f} ms")
    print(f"paged / single-page journeys per second: {rates['paged'] / rates['single']:.2f}")
    exact = new == 2 * args.journeys and drafts == 0
    print(f"{new} new responses for {2 * args.journeys} journeys, {drafts} drafts left -> "
          f"{'OK' if exact else 'MISMATCH'}")
    return 0 if exact else 1


def _requests(result: RunResult) -> float:
    """Requests per journey in a run."""
    return sum(len(o.latencies) for o in result.outcomes) / max(1, len(result.outcomes))


if __name__ == "__main__":
    sys.exit(main())

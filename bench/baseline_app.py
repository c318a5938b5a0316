"""The bare baseline for bench.load: a Flask app serving a static form and inserting one row per POST.

    python -m bench.baseline_app --port 8001 --db bench/out/load/baseline.db --form bench/out/load/form.html

Served by gunicorn with the same settings as `hailong serve` (2 workers, the threads bench.load gives both,
same timeouts, access log on stdout in the same format), and SQLite with the same pragmas (WAL,
synchronous=NORMAL, busy_timeout), so the ratio measures what Hài Lòng adds: sessions, CSRF, validation, the
questionnaire, masks and answer rows.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, Response, redirect, request

SCHEMA = "CREATE TABLE IF NOT EXISTS responses (id INTEGER PRIMARY KEY, submission_key TEXT, body TEXT, at REAL)"
THANKS = "<!doctype html><html lang=vi><meta charset=utf-8><title>Cảm ơn</title><h1>Cảm ơn Ông/Bà!</h1></html>"


def make_app(db_path: str, form_html: str) -> Flask:
    app = Flask("baseline")
    state = threading.local()

    def conn() -> sqlite3.Connection:
        # One connection per worker thread (sqlite3 connections stay in their thread), opened after the fork.
        if getattr(state, "pid", None) != os.getpid():
            c = sqlite3.connect(db_path, timeout=10, isolation_level=None)
            c.execute("PRAGMA journal_mode=WAL")
            c.execute("PRAGMA busy_timeout=10000")
            c.execute("PRAGMA synchronous=NORMAL")
            state.pid, state.conn = os.getpid(), c
        return state.conn  # type: ignore[no-any-return]

    @app.get("/s/<code>")
    def form(code: str) -> Response:
        return Response(form_html, mimetype="text/html")

    @app.post("/s/<code>")
    def submit(code: str) -> Any:
        c = conn()
        body = "&".join(f"{k}={v}" for k, v in request.form.items(multi=True))
        c.execute("INSERT INTO responses (submission_key, body, at) VALUES (?, ?, ?)",
                  (request.form.get("submission_key"), body, time.time()))
        return redirect(f"/s/{code}/cam-on", code=303)

    @app.get("/s/<code>/cam-on")
    def thanks(code: str) -> Response:
        return Response(THANKS, mimetype="text/html")

    return app


def init_db(db_path: str) -> None:
    with sqlite3.connect(db_path) as c:
        c.execute("PRAGMA journal_mode=WAL")
        c.execute(SCHEMA)


def main() -> None:
    from gunicorn.app.base import BaseApplication

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--form", required=True, help="HTML file served as the form")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    init_db(args.db)
    app = make_app(args.db, Path(args.form).read_text(encoding="utf-8"))

    class _Server(BaseApplication):  # type: ignore[misc]
        # The same settings as `hailong serve` (survey/cli.py).
        def load_config(self) -> None:
            self.cfg.set("bind", f"127.0.0.1:{args.port}")
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            self.cfg.set("accesslog", "-")
            self.cfg.set("access_log_format", '"%(r)s" %(s)s %(b)s %(M)sms')
            self.cfg.set("timeout", 60)
            self.cfg.set("graceful_timeout", 20)

        def load(self) -> Flask:
            return app

    _Server().run()


if __name__ == "__main__":
    main()

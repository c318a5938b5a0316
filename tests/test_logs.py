"""`hailong serve` logs neither client addresses nor anything a client sent (Decree 13/2023), checked against a real
gunicorn: a bad request line, a bad header, a crash whose message holds a citizen's comment, a database error
whose parameters hold it, and a receipt code in a query string."""

from __future__ import annotations

import http.client
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
#: The test's requests come from another loopback address, so the server's own address in its start-up lines is
#: not mistaken for a client's.
CLIENT = "127.0.0.2"
SECRET = "zzcitizen"  # every piece of client text carries it

# The server under test: `hailong serve`, with two routes added that fail on a citizen's text, the way a bug would.
SERVER = """
import sys
from flask import request
from sqlalchemy import text
from hailong import survey

_create_app = survey.create_app

def create_app(config=None, **options):
    app = _create_app(config, **options)
    from hailong.survey.extensions import csrf, db

    @app.post("/test-crash")
    @csrf.exempt
    def crash():
        raise RuntimeError("could not store the comment " + request.form.get("comment", ""))

    @app.post("/test-db-crash")
    @csrf.exempt
    def db_crash():
        db.session.execute(text("SELECT * FROM no_such_table WHERE note = :note"),
                           {"note": request.form.get("comment", "")})
        return "unreachable"

    return app

survey.create_app = create_app
from hailong.survey.cli import main
main(["serve", "--host", sys.argv[1], "--port", sys.argv[2], "--workers", "1"])
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _request(port: int, method: str, path: str, form: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection(HOST, port, timeout=10, source_address=(CLIENT, 0))
    try:
        body = urlencode(form) if form is not None else None
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form is not None else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def _raw(port: int, data: bytes) -> bytes:
    with socket.create_connection((HOST, port), timeout=10, source_address=(CLIENT, 0)) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(4096):
            chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def server(app: Flask, tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """`hailong serve` on a free port, on the test's database; yields the port and the file of its output."""
    port = _free_port()
    log = tmp_path / "server.log"
    env = {**os.environ, "HAILONG_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "HAILONG_SECRET_KEY": "test-secret-key", "HAILONG_REDIS_URL": "", "HAILONG_ENV": "development"}
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", SERVER, HOST, str(port)], env=env, stdout=out,
                                stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if _request(port, "GET", "/office/login") == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        yield port, log
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)  # the process group this test started
                proc.wait(timeout=10)


def test_served_logs_hold_no_address_and_no_client_text(server: tuple[int, Path]) -> None:
    port, log = server
    comment = f"{SECRET}-comment: chị Nguyễn Thị Hoa, 0912345678, cán bộ thu thêm tiền"
    assert _raw(port, f"BAD {SECRET}-line\r\n\r\n".encode()).startswith(b"HTTP/1.1 400")
    assert _raw(port, f"GET /office/login HTTP/1.1\r\nHost: x\r\nBad header {SECRET}-header\r\n\r\n".encode()
                ).startswith(b"HTTP/1.1 400")
    assert _request(port, "POST", f"/test-crash?q={SECRET}-query", {"comment": comment}) == 500
    assert _request(port, "POST", "/test-db-crash", {"comment": comment}) == 500
    assert _request(port, "GET", f"/s/mc-1?t={SECRET}-receipt") in (200, 404)
    assert _request(port, "GET", f"/tra-cuu/{SECRET}-tracking-code") == 404
    time.sleep(0.5)  # the worker writes its log lines after the response
    text = log.read_text(encoding="utf-8", errors="replace")
    # The events were logged (so the test can fail)...
    assert "Invalid request" in text
    assert "RuntimeError" in text and "Traceback" in text
    assert "sqlalchemy.exc." in text  # OperationalError on SQLite, ProgrammingError on PostgreSQL
    assert '"POST /test-crash' in text and '"GET /s/mc-1' in text and '"GET /tra-cuu/…' in text
    # ...without who sent them or what they wrote.
    assert CLIENT not in text
    assert SECRET not in text, text
    assert "0912345678" not in text and "Nguyễn" not in text


def test_a_crash_is_logged_without_its_message(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    from flask import request

    @app.post("/boom")
    def boom() -> str:
        raise ValueError(f"bad comment {request.form['comment']}")

    app.config["WTF_CSRF_ENABLED"] = False
    with caplog.at_level(logging.ERROR):
        assert app.test_client().post("/boom", data={"comment": f"{SECRET} 0912345678"}).status_code == 500
    assert "ValueError: (message not logged)" in caplog.text and "in boom" in caplog.text
    assert SECRET not in caplog.text and "0912345678" not in caplog.text


def test_the_development_server_log_has_no_address(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        # As werkzeug.serving logs a request: the address is already in the format string.
        logging.getLogger("werkzeug").info(f'{CLIENT} - - [01/Dec/2026 10:00:00] "%s" %s %s',
                                           "GET / HTTP/1.1", 200, "-")
    assert "GET / HTTP/1.1" in caplog.text and CLIENT not in caplog.text


def test_a_tracking_code_never_reaches_the_logs(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        logging.getLogger("werkzeug").info('- - - [01/Dec/2026 10:00:00] "%s" %s %s',
                                           "GET /tra-cuu/7K3QX-M2D9A?moi=1 HTTP/1.1", 200, "-")
    assert "GET /tra-cuu/…?moi=1 HTTP/1.1" in caplog.text and "7K3QX" not in caplog.text

"""Shared fixtures: a fresh database per test on SQLite (default) or PostgreSQL (HAILONG_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select, text

from hailong.survey import create_app
from hailong.survey.extensions import db as _db
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from tests.fixtures.database import PG_URL, USE_PG


def _config(url: str, instance: Path) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret-key",
        "HAILONG_BASE_URL": "https://hailong.example",
        "RATELIMIT_STORAGE_URI": "memory://",
    }


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate one database per session; each test then gets a copy (SQLite) or a truncated one (PostgreSQL)."""
    from flask_migrate import upgrade

    if USE_PG:
        url = PG_URL
        app = create_app(_config(url, tmp_path_factory.mktemp("inst")))
        with app.app_context():
            with _db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            upgrade(directory=app.extensions["migrate"].directory)
            _db.engine.dispose()
        return url
    path = tmp_path_factory.mktemp("template") / "template.db"
    app = create_app(_config(f"sqlite:///{path}", tmp_path_factory.mktemp("inst")))
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        _db.engine.dispose()
    return str(path)


def _truncate_all() -> None:
    tables = [t.name for t in _db.metadata.sorted_tables]
    with _db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app(_template_db: str, tmp_path: Path) -> Iterator[Flask]:
    """An application on an empty, migrated database with the questionnaires and the ward loaded."""
    if USE_PG:
        url = _template_db
    else:
        path = tmp_path / "test.db"
        shutil.copyfile(_template_db, path)
        url = f"sqlite:///{path}"
    application = create_app(_config(url, tmp_path / "instance"))
    qsvc.forget_cache()
    with application.app_context():
        if USE_PG:
            _truncate_all()
        qsvc.sync()
        point_svc.ensure_organisation("an-tuong", "Phường An Tường", "Tuyên Quang")
        _db.session.commit()
    yield application
    with application.app_context():
        _db.session.remove()
        _db.engine.dispose()
    qsvc.forget_cache()


@pytest.fixture
def db(app: Flask) -> Iterator[SQLAlchemy]:
    """The database inside an application context."""
    with app.app_context():
        yield _db
        _db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def demo_points(db: SQLAlchemy) -> list[Any]:
    """The An Tường demo service points, without responses."""
    from hailong.survey.models import Organisation

    org = db.session.query(Organisation).one()
    points = point_svc.ensure_demo_points(org)
    db.session.commit()
    return points


@pytest.fixture
def points(app: Flask) -> dict[str, int]:
    """The An Tường demo points by code -> id, made outside any lasting app context so each request gets its own."""
    from hailong.survey.models import Organisation

    with app.app_context():
        org = _db.session.scalars(select(Organisation)).one()
        created = {p.code: p.id for p in point_svc.ensure_demo_points(org)}
        _db.session.commit()
    return created


#: Server time zones a test runs under (`server_tz`): what is stored and shown must not depend on them.
SERVER_ZONES = ("UTC", "Asia/Ho_Chi_Minh", "America/New_York")


@pytest.fixture(params=SERVER_ZONES)
def server_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test as if the server's TZ were this zone (restored afterwards)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
def smtp_server() -> Iterator[dict[str, Any]]:
    """A real SMTP server on a free local port (aiosmtpd): {"url": smtp://…, "messages": [email.message.Message]}."""
    import socket
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    messages: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            messages.append(message_from_bytes(envelope.original_content or b"", policy=policy.default))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield {"url": f"smtp://127.0.0.1:{port}", "messages": messages}
    finally:
        controller.stop()

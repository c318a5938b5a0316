"""Hài Lòng: citizen satisfaction surveys for Vietnamese wards. The Flask application factory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from sqlalchemy import event

from . import logs
from .config import build_config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

#: Where templates, migrations and catalogues live: the checkout, or site-packages/hailong in an installed wheel.
ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    """Vietnamese unless the visitor chose English with ?lang=en (remembered in the session)."""
    if not has_request_context():
        # The CLI speaks Vietnamese unless HAILONG_LANG=en.
        return "en" if os.environ.get("HAILONG_LANG", "").startswith("en") else "vi"
    lang = request.args.get("lang")
    if lang in ("vi", "en"):
        session["lang"] = lang
    chosen = session.get("lang")
    return chosen if chosen in ("vi", "en") else "vi"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets citizens submit while the office reads; busy_timeout waits instead of failing on a lock.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build an application; `config` overrides defaults and HAILONG_* environment variables."""
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(Path(__file__).resolve().parent / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.update(build_config(Path(app.instance_path), config))
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A database error's text must not quote the statement's values: they can be a citizen's comment.
    engine_options.setdefault("hide_parameters", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options.setdefault("connect_args", {"timeout": 10})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    logs.configure(app)

    hops = int(app.config["HAILONG_PROXY_HOPS"])
    if hops:
        # Behind nginx/Caddy the client address comes from X-Forwarded-For; rate limits need the real one.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))
    login_manager.init_app(app)
    login_manager.login_view = "office.login"
    from .services.users import load_user

    login_manager.user_loader(load_user)
    limiter.init_app(app)

    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    from . import errors, security
    from .office import bp as office_bp
    from .public import bp as public_bp
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    app.register_blueprint(office_bp, url_prefix="/office")
    app.register_blueprint(public_bp)
    errors.register(app)
    security.register(app)

    from .cli import register_commands

    register_commands(app)
    return app


__all__ = ["create_app"]

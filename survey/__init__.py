"""Hài Lòng: citizen satisfaction surveys for Vietnamese wards. The Flask application factory."""

from __future__ import annotations

import gc

# Importing the application makes ~10^5 objects that live as long as the process (modules, classes, SQLAlchemy's
# tables); the collector's passes over them while they are made free nothing (~0.1 s of a command's start-up).
# So the collector is paused while this package's imports run; then what they made is frozen (left out of every
# later pass: resuming would otherwise start with one pass over all of it) and the collector runs as before.
_collecting = gc.isenabled()
gc.disable()
try:
    from pathlib import Path
    from typing import Any

    from flask import Flask, current_app, has_app_context, has_request_context, request, session
    from sqlalchemy import event

    from . import logs, transaction
    from . import settings as settings_model
    from .config import flask_config
    from .extensions import babel, db, login_manager, migrate
finally:
    if _collecting:
        gc.freeze()
        gc.enable()

#: Where templates, migrations and catalogues live: the checkout, or site-packages/hailong in an installed wheel.
ROOT = Path(__file__).resolve().parent.parent


def select_locale() -> str:
    """Vietnamese unless the visitor chose English with ?lang=en (remembered in the session)."""
    if not has_request_context():
        # The CLI speaks Vietnamese unless HAILONG_LANG=en.
        return "en" if has_app_context() and current_app.config.get("HAILONG_LANG") == "en" else "vi"
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


def create_app(config: dict[str, Any] | None = None, *, web: bool = True) -> Flask:
    """Build an application; `config` overrides defaults and HAILONG_* environment variables.

    The settings are read here, once (survey/settings.py): a bad value raises ConfigError, one line naming it.
    Keys of `config` named like a setting (`HAILONG_BASE_URL`, or Flask's `SECRET_KEY` and
    `SQLALCHEMY_DATABASE_URI`) are validated as settings; the others go to Flask's config as they are.
    With `web=False` the app serves no request until `add_web` is called: the `hailong` commands' app (survey/cli.py),
    which need the database, the settings, the translations and the templates, not the blueprints, sessions,
    CSRF, rate limits and error pages (importing and routing those is a fifth of a command's start-up).
    """
    settings = settings_model.load(config)
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(Path(__file__).resolve().parent / "static"),
        instance_path=str(settings.instance_folder()),
    )
    app.config.update(flask_config(settings, config))
    app.extensions["hailong.settings"] = settings
    engine_options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    # A database error's text must not quote the statement's values: they can be a citizen's comment.
    engine_options.setdefault("hide_parameters", True)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        engine_options.setdefault("connect_args", {"timeout": 10})
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options
    logs.configure(app)

    db.init_app(app)
    transaction.register(app)  # first: its after-request hook commits after every other hook ran
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=str(ROOT / "translations"))

    from flask_babel import get_locale

    app.jinja_env.globals["get_locale"] = get_locale

    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_pragmas)

    if web:
        add_web(app)

    from .cli import register_commands

    register_commands(app)
    return app


def add_web(app: Flask) -> None:
    """What serves requests: the proxy fix, CSRF, sign-in, rate limits, the blueprints, error pages and headers.

    Once per app, before its first request: create_app calls it, and the CLI for Flask's own `run`, `shell` and
    `routes` (survey/cli.py). Babel, set up before, adds no request hook, so the hooks run in the order they
    always did (the transaction's after-request hook first registered, so last run).
    """
    if app.extensions.get("hailong.web"):
        return
    app.extensions["hailong.web"] = True
    hops = int(app.config["HAILONG_PROXY_HOPS"])
    if hops:
        # Behind nginx/Caddy the client address comes from X-Forwarded-For; rate limits need the real one.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from .extensions import csrf, limiter

    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "office.login"
    from .services.users import load_user

    login_manager.user_loader(load_user)
    limiter.init_app(app)

    from . import errors, security
    from .office import bp as office_bp
    from .public import bp as public_bp
    from .respond import bp as respond_bp

    app.register_blueprint(respond_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(office_bp, url_prefix="/office")
    errors.register(app)
    security.register(app)


__all__ = ["add_web", "create_app"]

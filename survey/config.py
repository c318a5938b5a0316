"""Flask configuration: fixed defaults, plus what the settings model (survey/settings.py) read from HAILONG_*."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from .settings import FLASK_ALIASES, ConfigError, Settings, field_of, load, variable

__all__ = ["DEFAULTS", "ConfigError", "build_config", "flask_config"]

#: Flask and extension settings that are not deployment choices (no environment variable sets them).
DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    "WTF_CSRF_TIME_LIMIT": 4 * 3600,
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ("vi", "en"),
    "MAX_CONTENT_LENGTH": 64 * 1024,
    "MAX_IMPORT_BYTES": 50 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # No X-RateLimit-* headers: no browser reads them, and they cost two storage reads per limited request (on the
    # citizen's POST, while its write holds SQLite's lock). survey/errors.py gives each refusal its Retry-After.
    "RATELIMIT_HEADERS_ENABLED": False,
    # If Redis is down, count in memory instead of failing: a citizen's answer must never become a 500.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Form messages come from Flask-Babel; WTForms' own catalogue lookup per field is wasted work.
    "WTF_I18N_ENABLED": False,
}


def _instance(folder: Path) -> Path:
    """The instance folder, created (owner only: it holds the secret key and the database) when first needed."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(_("Không tạo được thư mục %(path)s (%(error)s): đặt HAILONG_INSTANCE_PATH là một thư mục "
                            "ghi được.", path=str(folder), error=exc.strerror or type(exc).__name__)) from None
    return folder


def _secret_key(instance_path: Path) -> str:
    """Return a key kept in the instance folder, creating it once, so laptop sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    _instance(instance_path)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def flask_config(settings: Settings, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The app's config: the defaults, each setting under its variable's name, then the plain Flask overrides.

    Code reads a setting as `current_app.config["HAILONG_..."]`, typed (an int, a bool, None when unset).
    """
    cfg: dict[str, Any] = dict(DEFAULTS)
    for field in Settings.model_fields:
        if field not in FLASK_ALIASES.values():  # the URL and the key are read under Flask's own names
            cfg[variable(field)] = getattr(settings, field)
    instance = settings.instance_folder()
    cfg["HAILONG_INSTANCE_PATH"] = instance
    cfg["SQLALCHEMY_DATABASE_URI"] = settings.database_url or f"sqlite:///{_instance(instance) / 'hailong.db'}"
    secret = settings.secret_key.get_secret_value() if settings.secret_key else _secret_key(instance)
    cfg["SECRET_KEY"] = secret
    if settings.env == "production":
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True
    cfg["RATELIMIT_STORAGE_URI"] = settings.redis_url or "memory://"
    # The settings among the overrides were validated by the model: the others are plain Flask config (TESTING).
    cfg.update({k: v for k, v in (overrides or {}).items() if field_of(k) is None})
    return cfg


def build_config(instance_path: Path | None = None, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read the settings (with `overrides`) and return the Flask config; `instance_path` stands for the variable."""
    overrides = dict(overrides or {})
    if instance_path is not None:
        overrides.setdefault("HAILONG_INSTANCE_PATH", instance_path)
    return flask_config(load(overrides), overrides)

"""Configuration: laptop defaults, a testing profile and HAILONG_* environment overrides."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from flask_babel import gettext as _


class ConfigError(RuntimeError):
    """The configuration cannot run safely (for example production without a secret key).

    The message is one line in Vietnamese naming the variable; the CLI prints it as is.
    """


DEFAULTS: dict[str, Any] = {
    "HAILONG_ENV": "development",
    "HAILONG_BASE_URL": "http://127.0.0.1:5000",
    "HAILONG_REDIS_URL": "",
    "HAILONG_WARD_CODE": "an-tuong",
    "HAILONG_WARD_NAME": "Phường An Tường",
    "HAILONG_PROVINCE": "Tuyên Quang",
    "HAILONG_PROXY_HOPS": "0",
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
    "RATELIMIT_HEADERS_ENABLED": True,
    # If Redis is down, count in memory instead of failing: a citizen's answer must never become a 500.
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # Form messages come from Flask-Babel; WTForms' own catalogue lookup per field is wasted work.
    "WTF_I18N_ENABLED": False,
    # int, hours: a paged form's unsent answers (services.drafts) are deleted this long after their last change.
    "HAILONG_DRAFT_HOURS": 24,
}

# Settings read from the environment; the variable name is the config key.
ENV_KEYS = (
    "HAILONG_ENV",
    "HAILONG_BASE_URL",
    "HAILONG_REDIS_URL",
    "HAILONG_WARD_CODE",
    "HAILONG_WARD_NAME",
    "HAILONG_PROVINCE",
    "HAILONG_PROXY_HOPS",
    "HAILONG_RATELIMIT_SUBMIT",
    "HAILONG_MIN_FILL_SECONDS",
    # str, a Flask-Limiter limit: the paged form's page changes per network address and point (antiabuse).
    "HAILONG_RATELIMIT_PAGES",
    "HAILONG_DRAFT_HOURS",
    "HAILONG_STATS_WORKERS",
)


def _secret_key(instance_path: Path) -> str:
    """Return a key kept in the instance folder, creating it once, so laptop sessions survive restarts."""
    path = instance_path / "secret_key"
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _whole_number(cfg: dict[str, Any], key: str) -> int:
    """A setting that must be a whole number >= 0, or a ConfigError naming its variable."""
    text = str(cfg[key]).strip()
    if not re.fullmatch(r"[0-9]{1,6}", text):
        raise ConfigError(_("%(name)s phải là một số nguyên từ 0 trở lên, không phải “%(value)s”.",
                            name=key, value=text[:40]))
    return int(text)


def build_config(instance_path: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Merge defaults, the environment and explicit overrides, and refuse unsafe production settings."""
    cfg: dict[str, Any] = dict(DEFAULTS)
    for key in ENV_KEYS:
        if key in os.environ:
            cfg[key] = os.environ[key]
    overrides = dict(overrides or {})
    cfg.update(overrides)

    db_url = overrides.get("SQLALCHEMY_DATABASE_URI") or os.environ.get("HAILONG_DATABASE_URL")
    if not db_url:
        instance_path.mkdir(parents=True, exist_ok=True)
        db_url = f"sqlite:///{instance_path / 'hailong.db'}"
    if db_url.startswith("postgresql://"):
        db_url = "postgresql+psycopg://" + db_url.removeprefix("postgresql://")
    cfg["SQLALCHEMY_DATABASE_URI"] = db_url

    production = cfg["HAILONG_ENV"] == "production"
    secret = overrides.get("SECRET_KEY") or os.environ.get("HAILONG_SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(_("Thiếu HAILONG_SECRET_KEY: bắt buộc khi HAILONG_ENV=production (tạo một khóa bằng "
                                "python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."))
        secret = _secret_key(instance_path)
    cfg["SECRET_KEY"] = secret
    if production:
        cfg["SESSION_COOKIE_SECURE"] = True
        cfg["REMEMBER_COOKIE_SECURE"] = True
    cfg["HAILONG_PROXY_HOPS"] = _whole_number(cfg, "HAILONG_PROXY_HOPS")
    cfg["RATELIMIT_STORAGE_URI"] = cfg["HAILONG_REDIS_URL"] or "memory://"
    cfg["HAILONG_BASE_URL"] = str(cfg["HAILONG_BASE_URL"]).rstrip("/")
    return cfg

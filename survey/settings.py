"""Every HAILONG_* setting in one typed model, read once from the environment when the app is created.

This module is the only one that reads the process environment (tests/test_settings.py checks it). A bad value
stops the start with one Vietnamese line naming the variable and what it expects (`ConfigError`); the README's
settings table is generated from the fields (`markdown_table`, `python scripts/settings_table.py --write`).
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, BeforeValidator, Field, HttpUrl, SecretStr, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PREFIX = "HAILONG_"
DEFAULT_SUBMIT_LIMIT = "400 per minute;3000 per hour"
#: Characters a name may not hold: control characters break the one-line messages and the printed report.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")


class ConfigError(RuntimeError):
    """The configuration cannot run safely (a malformed value, or production without a secret key).

    The message is one line in Vietnamese naming the variable; the CLI prints it as is. It is a RuntimeError so
    that gunicorn's master (`--preload`) prints it as one line too.
    """


def _setting(default: Any, description: str, expect: Any, shown_default: str | None = None,
             sensitive: bool = False, **kwargs: Any) -> Any:
    """A field with what the README and the errors say about it.

    `description` is the README's meaning (English); `expect` the Vietnamese words for a valid value, used in the
    one-line error; `shown_default` the README's default when the value itself says little (computed defaults);
    `sensitive` values are never echoed (secrets, URLs that may carry a password).
    """
    extra = {"expect": expect, "shown_default": shown_default, "sensitive": sensitive}
    return Field(default, description=description, json_schema_extra=extra, **kwargs)


def _blank_is_unset(value: Any) -> Any:
    """An empty variable (`HAILONG_REDIS_URL=`) means "not set" for the settings whose default is "none"."""
    return None if isinstance(value, str) and not value.strip() else value


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _database_url(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        backend = make_url(url).get_backend_name()
    except (ArgumentError, ValueError):
        raise ValueError("not a database URL") from None
    if backend not in ("sqlite", "postgresql"):
        raise ValueError("only SQLite and PostgreSQL")
    # psycopg 3 is the driver installed with the app; SQLAlchemy's plain postgresql:// means psycopg2.
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _http_url(url: str) -> str:
    parsed = TypeAdapter(HttpUrl).validate_python(url)
    if parsed.query or parsed.fragment or parsed.username or parsed.password:
        raise ValueError("no query, fragment or user")
    # Point addresses are built as BASE_URL + "/s/<code>".
    return str(parsed).rstrip("/")


def _redis_url(url: str) -> str:
    if not re.match(r"(redis|rediss|redis\+unix|redis\+sentinel|redis\+cluster)://", url):
        raise ValueError("not a Redis URL")
    return url


def _smtp_url(url: str) -> str:
    if not re.match(r"(smtp|smtps|smtp\+starttls)://[^/?#\s]+", url):
        raise ValueError("not an SMTP URL")
    return url


#: An origin a frame-ancestors directive can name: scheme, host (optionally "*." for subdomains), port.
ORIGIN_RE = re.compile(r"https?://(\*\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?")


def _origins(value: Any) -> tuple[str, ...]:
    """Web origins separated by spaces or commas (a list is taken as it is), lower-cased, without a final "/"."""
    items = value if isinstance(value, (list, tuple)) else re.split(r"[\s,]+", str(value))
    origins = []
    for item in (str(i).strip().rstrip("/") for i in items):
        if not item:
            continue
        if not ORIGIN_RE.fullmatch(item):
            raise ValueError("not an origin")
        origins.append(item.lower())
    return tuple(origins)


def _rate_limits(text: str) -> str:
    if text in default_rate_limits():  # pydantic-settings validates the defaults too: no need to import `limits`
        return text
    from limits import parse_many

    parsed = parse_many(text)  # ValueError for text it cannot read
    if not parsed or any(limit.amount < 1 for limit in parsed):
        raise ValueError("a limit of zero refuses every citizen")
    return text


@functools.cache
def default_rate_limits() -> frozenset[str]:
    """The rate-limit settings' defaults, which `limits` reads (tests/test_settings.py checks it).

    Reading one with `limits` imports its storage layer (~20 ms of CPU): a `hailong` command, which serves no
    request, would pay it at every start-up for four constants.
    """
    return frozenset(str(info.default) for name, info in Settings.model_fields.items() if name.startswith("ratelimit_"))


def one_blas_thread() -> None:
    """numpy's matrix products on one thread unless OPENBLAS_NUM_THREADS says otherwise (the `hailong` commands).

    OpenBLAS starts a thread per core when numpy is imported, and they spin a while waiting for work: about 0.1 s
    of CPU of `hailong indices`, taken from the main thread on a 2-core machine, for products of at most a few
    thousand rows. It must be set before numpy is imported; `hailong serve`'s workers inherit it (several of them
    share the cores anyway). The intervals are the same floats either way (tests/analysis/test_intervals_pinned.py).
    """
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def _ward_code(code: str) -> str:
    if not _CODE.fullmatch(code):
        raise ValueError("bad code")
    return code


def _name(text: str) -> str:
    if not text or len(text) > 200 or _CONTROL.search(text):
        raise ValueError("bad name")
    return text


def _instance_path(path: Path) -> Path:
    path = path.expanduser().absolute()
    if path.exists() and not path.is_dir():
        raise ValueError("not a folder")
    return path


def _optional(check: Any) -> Any:
    """An after-validator that leaves an unset (None) value alone."""
    return AfterValidator(lambda value: None if value is None else check(value))


Name = Annotated[str, BeforeValidator(_strip), AfterValidator(_name)]
#: A URL whose empty value means "not set".
OptionalURL = Annotated[str | None, BeforeValidator(_strip), BeforeValidator(_blank_is_unset)]


def default_instance_path() -> Path:
    """$XDG_DATA_HOME/hailong, else ~/.local/share/hailong: one place per user, whatever the current folder."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    if xdg and Path(xdg).is_absolute():
        return Path(xdg) / "hailong"
    try:
        home = Path.home()
    except RuntimeError:  # no HOME and no password entry (some service managers)
        raise ConfigError(_("Không xác định được thư mục dữ liệu của người dùng: hãy đặt HAILONG_INSTANCE_PATH "
                             "(thư mục chứa cơ sở dữ liệu SQLite và khóa bí mật).")) from None
    return home / ".local" / "share" / "hailong"


class Settings(BaseSettings):
    """The deployment's settings: one field per HAILONG_* environment variable (the field name, upper-cased)."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore")

    env: Literal["development", "production"] = _setting(
        "development",
        "`production` refuses to start without a secret key and sets Secure cookies",
        _l("“development” hoặc “production”"))
    instance_path: Annotated[Path | None, BeforeValidator(_blank_is_unset), _optional(_instance_path)] = _setting(
        None,
        "the instance folder: the SQLite database and the generated secret key (created when first needed, "
        "readable by its owner only)",
        _l("đường dẫn một thư mục"),
        shown_default="`$XDG_DATA_HOME/hailong`, else `~/.local/share/hailong`")
    database_url: Annotated[OptionalURL, _optional(_database_url)] = _setting(
        None,
        "SQLAlchemy URL, e.g. `postgresql://hailong@127.0.0.1/hailong`",
        _l("một địa chỉ cơ sở dữ liệu SQLite (sqlite:///…) hoặc PostgreSQL (postgresql://…)"),
        shown_default="SQLite `hailong.db` in the instance folder", sensitive=True)
    secret_key: Annotated[SecretStr | None, BeforeValidator(_blank_is_unset)] = _setting(
        None,
        "signs sessions, CSRF tokens, form keys and receipt codes; required when `HAILONG_ENV=production`",
        _l("một chuỗi bí mật"),
        shown_default="generated once into `secret_key` in the instance folder", sensitive=True)
    base_url: Annotated[str, BeforeValidator(_strip), AfterValidator(_http_url)] = _setting(
        "http://127.0.0.1:5000",
        "the public address printed in QR codes, e.g. `https://hailong.antuong.gov.vn`",
        _l("một địa chỉ http:// hoặc https:// không có “?” hay “#”, ví dụ https://hailong.antuong.gov.vn"))
    proxy_hops: int = _setting(
        0,
        "number of reverse proxies in front (sets werkzeug's ProxyFix so rate limits see the citizen's address, "
        "not the proxy's)",
        _l("một số nguyên từ 0 đến 10"), ge=0, le=10)
    redis_url: Annotated[OptionalURL, _optional(_redis_url)] = _setting(
        None,
        "rate-limit storage shared by all workers, e.g. `redis://127.0.0.1:6379/0`",
        _l("một địa chỉ redis://, rediss:// hoặc redis+unix://"),
        shown_default="per-process memory", sensitive=True)
    queue_url: Annotated[OptionalURL, _optional(_redis_url)] = _setting(
        None,
        "the Redis of the background job queue (RQ: the province report and province-wide export; run "
        "`hailong worker`), e.g. `redis://127.0.0.1:6379/1`",
        _l("một địa chỉ redis://, rediss:// hoặc redis+unix://"),
        shown_default="`HAILONG_REDIS_URL`; neither: no background jobs", sensitive=True)
    queue_name: Annotated[str, BeforeValidator(_strip), AfterValidator(_ward_code)] = _setting(
        "hailong",
        "name of the RQ queue the office fills and `hailong worker` empties (two deployments sharing one Redis "
        "need two names)",
        _l("chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự"))
    report_file_days: int = _setting(
        30,
        "days the PDF a background job made (the province's report, a ward's report) is kept for download after "
        "it was made; `hailong jobs prune` and the worker then delete it (the job's row stays)",
        _l("một số ngày nguyên từ 1 đến 3650"), ge=1, le=3650)
    export_file_days: int = _setting(
        7,
        "days a province-wide CSV export (every response's answers and comments) is kept for download after it "
        "was made, then deleted like the reports",
        _l("một số ngày nguyên từ 1 đến 3650"), ge=1, le=3650)
    ratelimit_submit: Annotated[str, BeforeValidator(_strip), AfterValidator(_rate_limits)] = _setting(
        DEFAULT_SUBMIT_LIMIT,
        "answers accepted per point from one network address (a school's parents share one Wi-Fi address: "
        "`python -m bench.load --school` puts the busiest minute of a 1,500-parent meeting at 385, p99); a refused "
        "citizen gets the form back with every answer kept",
        _l("giới hạn theo cú pháp của thư viện limits, ví dụ “400 per minute;3000 per hour”, mỗi giới hạn từ 1 trở "
           "lên"))
    ratelimit_pages: Annotated[str, BeforeValidator(_strip), AfterValidator(_rate_limits)] = _setting(
        "4000 per minute;30000 per hour",
        "page changes (Tiếp, Quay lại) of the paged form accepted per point from one network address; only sent "
        "forms count against `HAILONG_RATELIMIT_SUBMIT`",
        _l("giới hạn theo cú pháp của thư viện limits, ví dụ “4000 per minute;30000 per hour”"))
    draft_hours: int = _setting(
        24,
        "hours a paged form's unsent answers (its draft) are kept after their last change; `hailong drafts purge` "
        "deletes older ones",
        _l("một số giờ nguyên từ 1 đến 720"), ge=1, le=720)
    min_fill_seconds: int = _setting(
        5,
        "a citizen's answer sent sooner than this after the form was served is stored flagged (too fast)",
        _l("một số giây nguyên từ 0 đến 3600"), ge=0, le=3600)
    kiosk_min_gap_seconds: int = _setting(
        20,
        "a kiosk tablet's answer (officer rating or form) sent sooner than this after the device's previous one is "
        "stored flagged (a shared device has no per-browser duplicate flag)",
        _l("một số giây nguyên từ 0 đến 3600"), ge=0, le=3600)
    kiosk_burst: int = _setting(
        12,
        "answers from one kiosk tablet within 10 minutes beyond which each further one is stored flagged (a burst)",
        _l("một số nguyên từ 2 đến 1000"), ge=2, le=1000)
    stats_workers: Annotated[int | None, BeforeValidator(_blank_is_unset)] = _setting(
        None,
        "database connections the indices' counts of raw rows run on at once (whole wards' rollups are read on one)",
        _l("một số nguyên từ 1 đến 64"), shown_default="the CPU count, at most 4", ge=1, le=64)
    lang: Literal["vi", "en"] = _setting(
        "vi",
        "language of the `hailong` command's messages (the web pages follow the visitor's choice)",
        _l("“vi” hoặc “en”"))
    gzip: bool = _setting(
        True,
        "compress text pages for clients that accept gzip (turn off when the reverse proxy compresses)",
        _l("đúng/sai: 1 hoặc 0, true hoặc false, yes hoặc no, on hoặc off"))
    ward_code: Annotated[str, BeforeValidator(_strip), AfterValidator(_ward_code)] = _setting(
        "an-tuong",
        "code of the ward created by `hailong init`",
        _l("chữ thường không dấu, số và dấu gạch ngang, tối đa 40 ký tự"))
    ward_name: Name = _setting(
        "Phường An Tường",
        "name of that ward",
        _l("một tên từ 1 đến 200 ký tự, không có ký tự điều khiển"))
    province: Name = _setting(
        "Tuyên Quang",
        "province of that ward",
        _l("một tên từ 1 đến 200 ký tự, không có ký tự điều khiển"))

    smtp_url: Annotated[OptionalURL, _optional(_smtp_url)] = _setting(
        None,
        "where PAKN e-mail goes out: `smtp://user:pass@host:port`, `smtp+starttls://…` or `smtps://…`",
        _l("một địa chỉ smtp://, smtp+starttls:// hoặc smtps://"),
        shown_default="no e-mail", sensitive=True)
    mail_from: Name = _setting(
        "Hài Lòng <no-reply@localhost>",
        "the From of PAKN e-mail",
        _l("một tên từ 1 đến 200 ký tự, không có ký tự điều khiển"))
    pakn_contact_days: int = _setting(
        90,
        "days a PAKN sender's contact details are kept after receipt, as the form tells the sender",
        _l("một số ngày nguyên từ 1 đến 3650"), ge=1, le=3650)
    ratelimit_pakn: Annotated[str, BeforeValidator(_strip), AfterValidator(_rate_limits)] = _setting(
        "10 per minute;100 per hour",
        "PAKN items accepted per point from one network address",
        _l("giới hạn theo cú pháp của thư viện limits, ví dụ “10 per minute;100 per hour”"))
    ratelimit_tracking: Annotated[str, BeforeValidator(_strip), AfterValidator(_rate_limits)] = _setting(
        "20 per minute;200 per day",
        "wrong PAKN tracking codes accepted from one network address (guessing is slowed down)",
        _l("giới hạn theo cú pháp của thư viện limits, ví dụ “20 per minute;200 per day”"))

    embed_origins: Annotated[tuple[str, ...], NoDecode, BeforeValidator(_origins)] = _setting(
        (),
        "the sites that may show the public widget `/cong-khai/nhung` in a frame (`frame-ancestors`), spaces or "
        "commas between them, e.g. `https://antuong.tuyenquang.gov.vn`; every other page refuses frames",
        _l("các địa chỉ gốc như https://phuong.example.gov.vn (chỉ giao thức, tên miền và cổng), cách nhau bởi dấu "
           "cách hoặc dấu phẩy"),
        shown_default="none")

    def instance_folder(self) -> Path:
        """The instance folder: HAILONG_INSTANCE_PATH, or the per-user default."""
        return self.instance_path or default_instance_path()


def variable(field: str) -> str:
    """The environment variable of a field: `proxy_hops` → `HAILONG_PROXY_HOPS`."""
    return PREFIX + field.upper()


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


#: Flask config keys create_app(config=...) accepts for a setting besides the HAILONG_* names.
FLASK_ALIASES = {"SQLALCHEMY_DATABASE_URI": "database_url", "SECRET_KEY": "secret_key"}


def field_of(key: str) -> str | None:
    """The field a create_app config key sets (`HAILONG_PROXY_HOPS`, `SECRET_KEY`), or None for plain Flask config."""
    name = FLASK_ALIASES.get(key) or (key.removeprefix(PREFIX).lower() if key.startswith(PREFIX) else "")
    return name if name in Settings.model_fields else None


def fields_of(overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings among create_app's config overrides, by field name (the others are plain Flask config)."""
    return {name: value for key, value in overrides.items() if (name := field_of(key))}


def _shown(value: Any) -> str:
    text = _CONTROL.sub("?", str(value))
    return text if len(text) <= 40 else text[:39] + "…"


def _message(error: ValidationError) -> str:
    """One line naming each bad variable and what it expects (never echoing a secret)."""
    parts: list[str] = []
    for item in error.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        info = Settings.model_fields.get(field)
        if info is None:
            parts.append(_shown(item["msg"]))
            continue
        extra = _extra(info)
        name, expect = variable(field), str(extra["expect"])
        if extra["sensitive"]:
            parts.append(_("%(name)s phải là %(expect)s.", name=name, expect=expect))
        else:
            parts.append(_("%(name)s phải là %(expect)s, không phải “%(value)s”.", name=name, expect=expect,
                           value=_shown(item["input"])))
    return " ".join(dict.fromkeys(parts))


def load(overrides: Mapping[str, Any] | None = None) -> Settings:
    """Read the environment once, with create_app's overrides on top; a bad value is a one-line ConfigError."""
    try:
        settings = Settings(**fields_of(overrides or {}))
    except ValidationError as exc:
        raise ConfigError(_message(exc)) from None
    if settings.env == "production" and settings.secret_key is None:
        raise ConfigError(_("Thiếu HAILONG_SECRET_KEY: bắt buộc khi HAILONG_ENV=production (tạo một khóa bằng "
                             "python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."))
    return settings


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table() -> str:
    """The README's settings table, one row per field, from the model's descriptions and defaults."""
    lines = ["| variable | meaning | default |", "|---|---|---|"]
    for field, info in Settings.model_fields.items():
        extra = _extra(info)
        if extra["shown_default"]:
            default = str(extra["shown_default"])
        elif isinstance(info.default, bool):
            default = f"`{int(info.default)}`"
        else:
            default = f"`{info.default}`"
        lines.append(f"| `{variable(field)}` | {_cell(str(info.description))} | {_cell(default)} |")
    return "\n".join(lines) + "\n"


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "********"


def shown_values(settings: Settings) -> list[tuple[str, str, bool]]:
    """(variable, value as `hailong config` prints it, whether it was set) per field; secrets masked."""
    rows = []
    for field, info in Settings.model_fields.items():
        value = getattr(settings, field)
        if value is None:
            text = ""
        elif isinstance(value, SecretStr):
            text = "********"
        elif _extra(info)["sensitive"]:  # a URL: shown without its password
            text = _without_password(str(value))
        elif isinstance(value, bool):
            text = "1" if value else "0"
        else:
            text = str(value)
        rows.append((variable(field), text, field in settings.model_fields_set))
    return rows

"""/cong-khai: the ward's published figures as a page, a widget other sites may frame, JSON and CSV.

Every response is made from the ward's snapshot (services.snapshots), rendered once per snapshot, output,
language and state, and then served as stored bytes with their gzip copy and ETag: a visit reads no answer and
computes nothing. The language comes from ?lang=en alone (no session), so the pages carry no cookie.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from hailong.analysis import charts
from hailong.analysis.formatting import fmt_ci, fmt_int, fmt_num, fmt_pct
from hailong.analysis.periods import TZ
from hailong.analysis.planner import about

from .. import transaction
from ..extensions import db, limiter
from ..models import Organisation
from ..security import CSP, embed_csp
from ..services import pakn as pakn_svc
from ..services import publication, snapshots, spreadsheet
from ..services.points import CODE_RE
from ..services.snapshots import PUBLIC_MAX_AGE, Entry, SnapshotCache, Unavailable
from . import bp

CACHE_KEY = "hailong.public"
WARD_KEY = "hailong.public.ward"
ONLY_WARD_KEY = "hailong.public.only_ward"
ONLY_WARD_TTL = 30.0
TYPES = {
    "page": "text/html; charset=utf-8",
    "widget": "text/html; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
#: The widget's whole stylesheet, inline so that it is one request; the CSP allows exactly this text by its hash.
WIDGET_CSS = (
    "body{margin:0;font:15px/1.4 system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#111;"
    "background:#fff}main{padding:.6rem .8rem;border:2px solid #0b3d6e;border-radius:.5rem}"
    "h1{font-size:1rem;margin:0 0 .4rem;color:#0b3d6e}ul{list-style:none;margin:0;padding:0}"
    "li{display:flex;flex-wrap:wrap;justify-content:space-between;gap:0 .5rem;padding:.25rem 0;"
    "border-top:1px solid #d5dce3}b{font-size:1.15rem}small{flex-basis:100%;color:#4a4a4a}"
    "p{margin:.4rem 0 0;font-size:.9rem;color:#4a4a4a}a{color:#0b4f96;font-weight:600}"
)
GZIP_LEVEL = 6


def _stylesheet() -> str:
    """static/public.css without comments and line breaks, to inline in the page (one request on a slow phone)."""
    text = (Path(__file__).resolve().parent.parent / "static" / "public.css").read_text(encoding="utf-8")
    return "".join(line.strip() for line in re.sub(r"/\*.*?\*/", "", text, flags=re.S).splitlines())


def _hash(css: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()


#: The page's stylesheet, inline: on a slow 3G line a second request costs a whole round trip before the first
#: render. The page's CSP allows exactly this text by its hash, and no other inline style.
PAGE_CSS = _stylesheet()
WIDGET_CSS_HASH = _hash(WIDGET_CSS)
PAGE_CSP = CSP.replace("style-src 'self'", f"style-src '{_hash(PAGE_CSS)}'")


@dataclass(frozen=True)
class Body:
    """One rendered output of one snapshot: its bytes, their gzip copy and the tag of both."""

    raw: bytes
    gz: bytes
    etag: str
    mimetype: str


def _cache() -> SnapshotCache:
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        cfg = current_app.config
        cache = snapshots.for_app(cfg.get("HAILONG_REDIS_URL") or "", cfg["SQLALCHEMY_DATABASE_URI"])
        current_app.extensions[CACHE_KEY] = cache
    return cache


class NoSuchWard(LookupError):
    """The address names no ward (404), or names none while the database holds several (the list of wards)."""


def _ward_id(code: str | None) -> int:
    """The ward whose figures this address publishes: the ward named in it, or the only ward of the database.

    Ward ids by code are kept per process (a ward's code never changes); a code not (yet) known is looked up.
    """
    known: dict[str, int] = current_app.extensions.setdefault(WARD_KEY, {})
    if code is not None:
        found = known.get(code)
        if found is None:
            if not CODE_RE.match(code):
                raise NoSuchWard(code)  # never a ward's code: no query (a NUL byte would fail on PostgreSQL)
            found = db.session.scalar(select(Organisation.id).where(Organisation.code == code))
            if found is None:
                raise NoSuchWard(code)
            known[code] = found
        return found
    # The only ward, checked again every ONLY_WARD_TTL seconds (a second ward added later turns /cong-khai into
    # the list of wards); while the database is down the last answer stands, so the kept copy is served.
    only: tuple[int, float] | None = current_app.extensions.get(ONLY_WARD_KEY)
    now = time.monotonic()
    if only is not None and now - only[1] < ONLY_WARD_TTL:
        return only[0]
    try:
        ids = list(db.session.scalars(select(Organisation.id).order_by(Organisation.id).limit(2)))
    except SQLAlchemyError:
        if only is None:
            raise
        transaction.start_over()
        return only[0]
    if not ids:
        raise Unavailable("no ward")
    if len(ids) > 1:
        current_app.extensions.pop(ONLY_WARD_KEY, None)
        raise NoSuchWard(None)
    current_app.extensions[ONLY_WARD_KEY] = (ids[0], now)
    return ids[0]


#: Served from the snapshot's stored bytes: nothing a visit does is worth counting against a rate limit, and the
#: limiter's per-request bookkeeping would cost more than serving the page (a reverse proxy shields the site).
CACHED_ENDPOINTS = frozenset({"public.results", "public.widget", "public.data_json", "public.data_csv"})


@limiter.request_filter
def _not_limited() -> bool:
    return request.endpoint in CACHED_ENDPOINTS


# Each address twice: without a ward for a one-ward database (the addresses published before wards were tenants),
# and with the ward's code for a province's database. "nhung" is never a ward's code (services.wards.RESERVED).
@bp.get("/cong-khai", defaults={"ward": None})
@bp.get("/cong-khai/<ward>")
def results(ward: str | None) -> Response | tuple[str, int]:
    return _serve("page", ward)


@bp.get("/cong-khai/nhung", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/nhung")
def widget(ward: str | None) -> Response | tuple[str, int]:
    return _serve("widget", ward)


@bp.get("/cong-khai/du-lieu.json", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/du-lieu.json")
def data_json(ward: str | None) -> Response | tuple[str, int]:
    return _serve("json", ward)


@bp.get("/cong-khai/du-lieu.csv", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/du-lieu.csv")
def data_csv(ward: str | None) -> Response | tuple[str, int]:
    return _serve("csv", ward)


def _ward_list(variant: str) -> tuple[str, int]:
    """/cong-khai of a database holding several wards: which ward's page to open (404 for a wrong ward code)."""
    if variant != "page":
        abort(404)
    wards = db.session.scalars(select(Organisation).order_by(Organisation.province, Organisation.name)).all()
    return render_template("public/wards.html", wards=wards, lang="vi", css=PAGE_CSS), 200


@bp.after_request
def _cors_preflight(response: Response) -> Response:
    """Open data may be read from any site's script: the automatic OPTIONS answer says so too."""
    if request.method == "OPTIONS" and request.endpoint in ("public.data_json", "public.data_csv"):
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def _serve(variant: str, ward: str | None) -> Response | tuple[str, int]:
    lang = "en" if variant in ("page", "widget") and request.args.get("lang") == "en" else "vi"
    try:
        entry, job = _cache().get_deferred(_ward_id(ward))
    except NoSuchWard as missing:
        if missing.args[0] is not None:
            abort(404)
        return _ward_list(variant)
    except (Unavailable, SQLAlchemyError):
        transaction.start_over()  # the database failed mid-transaction: nothing of this request is kept anyway
        return _unavailable(variant, lang)
    key = (variant, lang, entry.degraded)
    body = entry.rendered.get(key)
    if body is None:
        body = _body(variant, RENDER[variant](entry, lang))
        entry.rendered[key] = body
    response = _send(body, variant, entry.degraded)
    if job is not None:
        # Recompute once this visitor has the page: the server calls it after sending the body.
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def refresh() -> None:
            with app.app_context():
                job()

        response.call_on_close(refresh)
    return response


def _body(variant: str, raw: bytes) -> Body:
    tag = hashlib.blake2b(raw, digest_size=12).hexdigest()
    return Body(raw, gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0), tag, TYPES[variant])


def _send(body: Body, variant: str, degraded: bool) -> Response:
    zipped = "gzip" in request.accept_encodings
    tag = f"{body.etag}-gz" if zipped else body.etag
    headers = {
        "ETag": f'"{tag}"',
        "Vary": "Accept-Encoding",
        # A copy served while the database is unreachable is kept briefly, so the fresh one follows soon.
        "Cache-Control": f"public, max-age={5 if degraded else PUBLIC_MAX_AGE}",
    }
    if variant in ("json", "csv"):
        headers["Access-Control-Allow-Origin"] = "*"
    if variant == "csv":
        headers["Content-Disposition"] = 'attachment; filename="cong-khai.csv"'
    if variant == "page":
        headers["Content-Security-Policy"] = PAGE_CSP
    if variant == "widget":
        headers["Content-Security-Policy"] = embed_csp(current_app.config["HAILONG_EMBED_ORIGINS"],
                                                       WIDGET_CSS_HASH)
    if request.if_none_match.contains_weak(tag):  # If-None-Match compares weakly (RFC 9110, 13.1.2)
        return current_app.response_class(status=304, headers=headers)
    if zipped:
        headers["Content-Encoding"] = "gzip"
    return current_app.response_class(body.gz if zipped else body.raw, content_type=body.mimetype, headers=headers)


def _unavailable(variant: str, lang: str) -> Response:
    """No copy and no database: a short page (or JSON) saying so, never a partial one."""
    with force_locale(lang):
        message = _("Trang kết quả tạm thời chưa xem được. Vui lòng thử lại sau ít phút.")
        if variant in ("json", "csv"):
            raw = json.dumps({"error": message}, ensure_ascii=False).encode()
            mimetype = "application/json"
        else:
            raw = render_template("error.html", code=503, title=_("Tạm thời chưa xem được"),
                                  message=message).encode()
            mimetype = "text/html; charset=utf-8"
    return current_app.response_class(raw, status=503, mimetype=mimetype,
                                      headers={"Retry-After": "30", "Cache-Control": "no-store"})


# --- rendering -------------------------------------------------------------------------------------------


def _local(snapshot: dict[str, Any]) -> datetime:
    return publication.computed_at(snapshot).astimezone(TZ)


def kind_title(kind: str) -> str:
    titles = {
        "onestop": _("Dịch vụ hành chính công (Trung tâm Phục vụ hành chính công)"),
        "health": _("Dịch vụ y tế công"),
        "education": _("Dịch vụ giáo dục công"),
    }
    return titles.get(kind, kind)


def kind_short(kind: str) -> str:
    names = {"onestop": _("Hành chính công"), "health": _("Y tế"), "education": _("Giáo dục")}
    return names.get(kind, kind)


ROMAN = ("I", "II", "III", "IV")


def quarter_name(label: str) -> str:
    """ "2026-Q4" as "Quý IV/2026" (English: "Q4 2026")."""
    year, n = label.split("-Q")
    # Vietnamese writes quarters in Roman numerals, English in Arabic ones.
    number = n if str(get_locale() or "vi").startswith("en") else ROMAN[int(n) - 1]
    return _("Quý %(number)s/%(year)s", number=number, year=year)


def _date(text: str) -> str:
    return datetime.fromisoformat(text).strftime("%d/%m/%Y")


def _trend_svg(kind: dict[str, Any]) -> Markup:
    points = [(t["period"], t["index"]) for t in kind["trend"]]
    title = _("Chỉ số hài lòng chung qua %(n)s quý gần nhất", n=len(points))
    # analysis.charts escapes every text it draws.
    return Markup(charts.trend_line(points, target=kind.get("target"), title=title))  # noqa: S704


def _element_rows(kind: dict[str, Any], lang: str) -> list[tuple[str, list[dict[str, Any] | None]]]:
    """(element label, its figure in each period) for the periods that are published."""
    first = next((p for p in kind["periods"] if p.get("published")), None)
    if first is None:
        return []
    rows = []
    for element in first["elements"]:
        cells = []
        for period in kind["periods"]:
            found = next((e for e in period.get("elements", []) if e["code"] == element["code"]), None)
            cells.append(found if found and found.get("published") else None)
        rows.append((element["label_en"] if lang == "en" else element["label"], cells))
    return rows


def _point_rows(kind: dict[str, Any]) -> list[tuple[str, list[dict[str, Any] | None]]]:
    """(point name, its figure in each period or None) for every point listed in any period."""
    names: dict[str, str] = {}
    for period in kind["periods"]:
        for point in period["points"]:
            names.setdefault(point["code"], point["name"])
    rows = []
    for code, name in names.items():
        cells = []
        for period in kind["periods"]:
            found = next((p for p in period["points"] if p["code"] == code), None)
            cells.append(found if found and found.get("published") else None)
        rows.append((name, cells))
    return rows


def _lang_args(lang: str) -> dict[str, Any]:
    return {"lang": "en"} if lang == "en" else {}


def _context(entry: Entry, lang: str) -> dict[str, Any]:
    snapshot = entry.snapshot
    local = _local(snapshot)
    return {
        "lang": lang, "ward": snapshot["ward"], "kinds": snapshot["kinds"], "pakn": snapshot.get("pakn"),
        "degraded": entry.degraded, "updated_time": local.strftime("%H:%M"),
        "updated_date": local.strftime("%d/%m/%Y"),
        "updated_iso": snapshot["computed_at"],
        "pct": fmt_pct, "ci": fmt_ci, "count": fmt_int, "num": fmt_num, "quarter_name": quarter_name,
        "kind_title": kind_title, "kind_short": kind_short, "date": _date, "trend_svg": _trend_svg,
        "element_rows": lambda kind: _element_rows(kind, lang), "point_rows": _point_rows,
        "headline": publication.headline, "pakn_category": pakn_svc.category_label,
        "about": about,
        # Links carry the ward's code: a copy rendered once serves both addresses of the page.
        "here": lambda endpoint, **kw: url_for(endpoint, ward=snapshot["ward"]["code"], **_lang_args(lang), **kw),
    }


def _render_page(entry: Entry, lang: str) -> bytes:
    with force_locale(lang):
        return render_template("public/results.html", css=PAGE_CSS, **_context(entry, lang)).encode()


def _render_widget(entry: Entry, lang: str) -> bytes:
    with force_locale(lang):
        return render_template("public/widget.html", css=WIDGET_CSS, **_context(entry, lang)).encode()


def _render_json(entry: Entry, lang: str) -> bytes:
    data = publication.open_data(entry.snapshot, current_app.config["HAILONG_BASE_URL"])
    return json.dumps(data, ensure_ascii=False, indent=1).encode()


def _render_csv(entry: Entry, lang: str) -> bytes:
    out = io.StringIO()
    out.write("\ufeff")  # so that a spreadsheet opens the Vietnamese names as UTF-8
    spreadsheet.write_csv(out, publication.csv_rows(entry.snapshot), publication.CSV_COLUMNS)
    return out.getvalue().encode()


RENDER: dict[str, Callable[[Entry, str], bytes]] = {
    "page": _render_page, "widget": _render_widget, "json": _render_json, "csv": _render_csv,
}

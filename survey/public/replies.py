"""/cong-khai/phan-anh: the ward's published PAKN replies, searchable and paginated, one reply in full, and CSV.

Only what the admin checked and published is read (services.pakn.published_page: masked question and reply,
never a flagged item, never a contact or tracking code). Like /cong-khai, the language comes from ?lang=en alone
and the pages set no cookie; a bad parameter gets the page again with a Vietnamese message and a 4xx.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from hailong.analysis.formatting import fmt_int

from .. import transaction
from ..extensions import db
from ..models import Organisation
from ..services import pakn as pakn_svc
from ..services import publication, spreadsheet
from ..services.snapshots import PUBLIC_MAX_AGE, Unavailable
from . import bp, results

PER_PAGE = 20
#: The most rows one CSV download holds (a ward publishes hundreds of replies a year).
CSV_MAX = 20_000
PAGE_DIGITS = 5
#: Ids beyond a 32-bit integer are no item's (and a database refuses to compare them).
ID_MAX = 2**31 - 1


class BadQuery(ValueError):
    """A query parameter the list cannot use; the message is for the visitor."""


@dataclass(frozen=True)
class Query:
    page: int
    category: str
    search: str


def _lang() -> str:
    return "en" if request.args.get("lang") == "en" else "vi"


def _query() -> Query:
    """The list's parameters, checked (unknown parameters, such as Zalo's tracking ones, are ignored)."""
    page_text = request.args.get("trang", "1").strip() or "1"
    if not page_text.isdigit() or len(page_text) > PAGE_DIGITS or int(page_text) < 1:
        raise BadQuery(_("Số trang không hợp lệ: vui lòng dùng các nút chuyển trang."))
    category = request.args.get("loai", "").strip()
    if category and category not in pakn_svc.ALL_CATEGORIES:
        raise BadQuery(_("Không có loại phản ánh này. Vui lòng chọn một loại trong danh sách."))
    search = " ".join(request.args.get("q", "").split())
    if len(search) > pakn_svc.SEARCH_MAX:
        raise BadQuery(_("Từ khóa tìm kiếm tối đa %(n)s ký tự.", n=pakn_svc.SEARCH_MAX))
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in search):
        raise BadQuery(_("Từ khóa tìm kiếm có ký tự không hợp lệ."))
    return Query(int(page_text), category, search)


def _ward(code: str | None) -> Organisation:
    """The ward named in the address, or the only ward of the database (404 for a wrong code or several wards)."""
    try:
        ward = db.session.get(Organisation, results._ward_id(code))
    except results.NoSuchWard:
        abort(404, _("Không tìm thấy phường này. Vui lòng mở trang công khai của phường từ danh sách."))
    if ward is None:
        raise Unavailable("no ward")
    return ward


def _send(raw: str, status: int = 200, mimetype: str = "text/html; charset=utf-8",
          headers: dict[str, str] | None = None) -> Response:
    response = current_app.response_class(raw, status=status, mimetype=mimetype, headers=headers or {})
    response.headers["Cache-Control"] = f"public, max-age={PUBLIC_MAX_AGE}" if status == 200 else "no-store"
    if mimetype.startswith("text/html"):
        response.headers["Content-Security-Policy"] = results.PAGE_CSP
    return response


def _context(ward: Organisation, lang: str) -> dict[str, Any]:
    def here(endpoint: str, **kw: Any) -> str:
        args: dict[str, Any] = {key: value for key, value in kw.items()
                                if value not in (None, "", 1) or key == "item_id"}
        if lang == "en":
            args["lang"] = "en"
        return url_for(endpoint, ward=ward.code, **args)

    return {"lang": lang, "ward": {"name": ward.name, "province": ward.province, "code": ward.code},
            "css": results.PAGE_CSS, "date": results._date, "count": fmt_int, "here": here,
            "reply": publication.pakn_reply}


# Like the other public addresses: without a ward for a one-ward database, with the ward's code for a province's.
@bp.get("/cong-khai/phan-anh", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/phan-anh")
def pakn_list(ward: str | None) -> Response:
    lang = _lang()
    with force_locale(lang):
        try:
            org = _ward(ward)
            shown = publication.pakn_public(org.id)
            error, status, query = None, 200, Query(1, "", "")
            try:
                query = _query()
            except BadQuery as exc:
                error, status = str(exc), 400
                query = Query(1, "", "")
            found = pakn_svc.published_page(org, query.page, category=query.category or None, search=query.search,
                                            per_page=PER_PAGE, clamp=False) if shown and not error else None
        except (Unavailable, SQLAlchemyError):
            transaction.start_over()
            return results._unavailable("page", lang)
        if found is not None and query.page > found.pages:
            error, status = _("Không có trang %(page)s: danh sách chỉ có %(pages)s trang.", page=query.page,
                              pages=found.pages), 404
        page = render_template(
            "public/replies.html", **_context(org, lang), shown=shown, found=found, query=query, error=error,
            categories=pakn_svc.categories(None), pakn_category=pakn_svc.category_label,
            looks_like_code=bool(query.search) and pakn_svc.normalize_code(query.search) is not None,
            keep={"q": query.search or None, "loai": query.category or None})
    return _send(page, status)


@bp.get("/cong-khai/phan-anh/<int:item_id>", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/phan-anh/<int:item_id>")
def pakn_item(item_id: int, ward: str | None) -> Response:
    lang = _lang()
    with force_locale(lang):
        try:
            org = _ward(ward)
            wanted = item_id <= ID_MAX and publication.pakn_public(org.id)
            row = pakn_svc.published_item(org, item_id) if wanted else None
        except (Unavailable, SQLAlchemyError):
            transaction.start_over()
            return results._unavailable("page", lang)
        page = render_template("public/reply.html", **_context(org, lang), row=row,
                               pakn_category=pakn_svc.category_label)
    return _send(page, 200 if row is not None else 404)


@bp.get("/cong-khai/phan-anh.csv", defaults={"ward": None})
@bp.get("/cong-khai/<ward>/phan-anh.csv")
def pakn_csv(ward: str | None) -> Response:
    """Every published reply (of a category, matching a search) with its masked texts in full, as CSV."""
    try:
        query = _query()
    except BadQuery as exc:
        return _send(str(exc) + "\n", 400, "text/plain; charset=utf-8")
    try:
        org = _ward(ward)
        rows = pakn_svc.published_page(org, 1, category=query.category or None, search=query.search,
                                       per_page=CSV_MAX).rows if publication.pakn_public(org.id) else []
    except (Unavailable, SQLAlchemyError):
        transaction.start_over()
        return results._unavailable("csv", "vi")
    out = io.StringIO()
    out.write("\ufeff")  # so that a spreadsheet opens the Vietnamese texts as UTF-8
    spreadsheet.write_csv(out, publication.pakn_csv_rows(rows), publication.PAKN_CSV_COLUMNS)
    return _send(out.getvalue(), mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": 'attachment; filename="phan-anh.csv"', "Access-Control-Allow-Origin": "*"})

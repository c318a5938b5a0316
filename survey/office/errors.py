"""Error pages inside the office layout, with the reason in Vietnamese (the app-wide pages serve citizens)."""

from __future__ import annotations

from flask import render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import BadRequest, Forbidden, Gone, HTTPException, NotFound

from . import bp


def _own_message(e: HTTPException) -> str | None:
    """The message a view gave to abort(), not Werkzeug's English default."""
    description = e.description
    if not description or description == type(e).description:
        return None
    return description


@bp.errorhandler(CSRFError)
def _csrf(_e: CSRFError) -> tuple[str, int]:
    return render_template(
        "office/error.html", code=400, title=_("Phiên làm việc đã hết hạn"),
        message=_("Trang đã mở quá lâu hoặc thiếu mã bảo vệ. Vui lòng tải lại trang và thực hiện lại."),
    ), 400


@bp.errorhandler(BadRequest)
def _bad_request(e: BadRequest) -> tuple[str, int]:
    message = _own_message(e) or _("Yêu cầu không hợp lệ. Vui lòng kiểm tra lại.")
    return render_template("office/error.html", code=400, title=_("Yêu cầu không hợp lệ"), message=message), 400


@bp.errorhandler(Forbidden)
def _forbidden(e: Forbidden) -> tuple[str, int]:
    message = _own_message(e) or _("Tài khoản của Ông/Bà không có quyền xem trang này.")
    return render_template("office/error.html", code=403, title=_("Không có quyền truy cập"), message=message), 403


@bp.errorhandler(NotFound)
def _not_found(e: NotFound) -> tuple[str, int]:
    message = _own_message(e) or _("Không tìm thấy trang hoặc dữ liệu này.")
    return render_template("office/error.html", code=404, title=_("Không tìm thấy"), message=message), 404


@bp.errorhandler(Gone)
def _gone(e: Gone) -> tuple[str, int]:
    """A job's file no longer kept (services.job_files): why, and what to do."""
    message = _own_message(e) or _("Tệp này không còn được lưu trữ.")
    return render_template("office/error.html", code=410, title=_("Tệp không còn được lưu trữ"), message=message), 410

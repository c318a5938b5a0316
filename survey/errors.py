"""Friendly error pages in the user's language; never a stack trace."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException


def _page(code: int, title: str, message: str) -> tuple[str, int]:
    return render_template("error.html", code=code, title=title, message=message), code


def http_error_page(e: HTTPException) -> tuple[str, int]:
    """The friendly page of an HTTP error, in the user's language."""
    code = e.code or 500
    titles = {
        400: _("Yêu cầu không hợp lệ"),
        403: _("Không có quyền truy cập"),
        404: _("Không tìm thấy trang"),
        405: _("Thao tác không được hỗ trợ"),
        413: _("Dữ liệu gửi lên quá lớn"),
        415: _("Định dạng dữ liệu không được hỗ trợ"),
        429: _("Quá nhiều yêu cầu"),
    }
    messages = {
        404: _("Địa chỉ này không có hoặc đã ngừng sử dụng. Vui lòng kiểm tra lại mã QR."),
        429: _("Ông/Bà đã gửi quá nhiều lần trong thời gian ngắn. Vui lòng thử lại sau ít phút."),
        413: _("Nội dung gửi lên vượt quá giới hạn cho phép."),
    }
    ours = code == 400 and e.description and not e.description.startswith("The browser")
    message = e.description if ours else None
    return _page(code, titles.get(code, _("Có lỗi xảy ra")), message or messages.get(code, _("Vui lòng thử lại.")))


def register(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(_e: CSRFError) -> tuple[str, int]:
        return _page(400, _("Phiên làm việc đã hết hạn"),
                     _("Trang đã mở quá lâu hoặc thiếu mã bảo vệ. Vui lòng quay lại, tải lại trang và gửi lại."))

    @app.errorhandler(HTTPException)
    def _http(e: HTTPException) -> tuple[str, int]:
        return http_error_page(e)

    @app.errorhandler(Exception)
    def _crash(e: Exception) -> tuple[str, int]:
        app.logger.exception("unhandled error", exc_info=e)
        return _page(500, _("Hệ thống đang gặp sự cố"), _("Xin lỗi Ông/Bà. Vui lòng thử lại sau ít phút."))


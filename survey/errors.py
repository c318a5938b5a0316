"""Friendly error pages in the user's language, never a stack trace; a rate limit's refusal says when to retry."""

from __future__ import annotations

import math
import time

from flask import Flask, current_app, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .extensions import limiter


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


def _retry_after(response: Response) -> Response:
    """A refusal by a rate limit says when to try again: the seconds until the breached limit's window resets.

    Flask-Limiter's own headers are off (config.py); its public `current_limit` is the breached limit during a
    refusal, and its reset time costs one storage read, on refusals only. Another 429 (the sign-in throttle) sets
    its own Retry-After and is left alone.
    """
    if response.status_code != 429:
        return response
    limit = limiter.current_limit
    if limit is None or not limit.breached:
        return response
    now = time.time()
    try:
        reset_at = float(limit.reset_at)
    except Exception:  # the storage failed since the check: the whole window, rather than a 500 for the refusal
        current_app.logger.exception("rate limit storage failed reading a refused limit's reset time")
        reset_at = now + limit.limit.get_expiry()
    response.headers.setdefault("Retry-After", str(max(1, math.ceil(reset_at - now))))
    return response


def register(app: Flask) -> None:
    app.after_request(_retry_after)

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


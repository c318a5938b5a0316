"""Public pages for citizens: the questionnaire of a service point and the thank-you page."""

from flask import Blueprint

from .compress import gzip_response

bp = Blueprint("respond", __name__)
# App-wide, so the stylesheet (served by the app's static route) is compressed as well as the pages.
bp.after_app_request(gzip_response)

from . import (  # noqa: E402,F401
    assets,
    kiosk,
    pakn,
    views,
)

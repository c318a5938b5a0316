"""Public pages for citizens: the questionnaire of a service point and the thank-you page."""

from flask import Blueprint

bp = Blueprint("respond", __name__)

from . import views  # noqa: E402,F401

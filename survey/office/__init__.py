"""Pages for the VHXH office: sign-in, dashboard, comments, points, exports, audit."""

from flask import Blueprint

bp = Blueprint("office", __name__)

from . import views  # noqa: E402,F401

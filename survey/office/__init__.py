"""Pages for the VHXH office: sign-in, dashboard, comments, points, exports, audit."""

from flask import Blueprint

bp = Blueprint("office", __name__)

from . import admin, auth, comments, dashboard, errors, exports, helpers, points  # noqa: E402,F401

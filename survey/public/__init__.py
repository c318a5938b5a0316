"""Public pages that need no sign-in: the results page, its embeddable widget and the open data."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import results  # noqa: E402,F401

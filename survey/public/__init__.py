"""Public pages that need no sign-in: the results page, its widget and open data, and PAKN tracking."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import replies, results, tracking  # noqa: E402,F401

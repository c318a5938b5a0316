"""Public pages that need no sign-in: PAKN tracking (/tra-cuu) and, from the `public` helper, /cong-khai."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from . import tracking  # noqa: E402,F401

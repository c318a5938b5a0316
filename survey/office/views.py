"""Office views (placeholder until the office issue): everything requires sign-in."""

from __future__ import annotations

from flask import abort

from . import bp


@bp.route("/")
def dashboard() -> str:
    abort(404)

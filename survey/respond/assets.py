"""The citizen stylesheet's address carries a hash of its content, so browsers keep it for a year.

Each page of the paged form would otherwise ask whether the stylesheet changed (a 304, one more round trip: two
seconds on a slow 3G link, for every page). A new stylesheet has a new address, so nothing stale is ever shown.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import current_app, request, url_for
from werkzeug.wrappers import Response

from . import bp

YEAR = 365 * 24 * 3600
_versions: dict[Path, str] = {}


def _version(filename: str) -> str | None:
    """A short hash of a static file's content (read once per process), None if there is no such file."""
    folder = Path(current_app.static_folder or ".")
    path = (folder / filename).resolve()
    if folder.resolve() not in path.parents or not path.is_file():
        return None
    if path not in _versions:
        _versions[path] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _versions[path]


@bp.app_template_global()
def asset_url(filename: str) -> str:
    """The address of a static file with its content's hash (`v`), to be cached for a year."""
    return url_for("static", filename=filename, v=_version(filename))


@bp.after_app_request
def cache_versioned(response: Response) -> Response:
    """A static file asked for with its current hash is cached for a year; any other answer as before."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    wanted = request.args.get("v")
    filename = (request.view_args or {}).get("filename")
    if wanted and isinstance(filename, str) and wanted == _version(filename):
        response.cache_control.no_cache = None  # what send_file sets when there is no max-age
        response.cache_control.public = True
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    return response

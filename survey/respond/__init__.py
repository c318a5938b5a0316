"""Public pages for citizens: the questionnaire of a service point and the thank-you page."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from .codes import CitizenCodeConverter
from .compress import gzip_response

bp = Blueprint("respond", __name__)


@bp.record_once
def _converters(state: BlueprintSetupState) -> None:
    # Recorded before the views below add their rules, which use it.
    state.app.url_map.converters["citizen"] = CitizenCodeConverter

# App-wide, so the stylesheet (served by the app's static route) is compressed as well as the pages.
bp.after_app_request(gzip_response)

from . import (  # noqa: E402,F401
    assets,
    kiosk,
    pakn,
    views,
)

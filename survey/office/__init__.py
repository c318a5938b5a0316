"""Pages for the VHXH office: sign-in, dashboard, comments, points, exports, audit."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from .filters import RowIdConverter

bp = Blueprint("office", __name__)


@bp.record_once
def _converters(state: BlueprintSetupState) -> None:
    # Recorded before the views below add their rules, which use it.
    state.app.url_map.converters["row_id"] = RowIdConverter


from . import (  # noqa: E402,F401
    admin,
    auth,
    comments,
    dashboard,
    errors,
    exports,
    helpers,
    kiosk,
    numbers,
    pakn,
    paper,
    points,
    province,
    province_jobs,
    publication,
    ward_jobs,
)

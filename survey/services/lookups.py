"""The citizen path's lookups (a point by its address, a kind's newest questionnaire) kept in each worker's memory.

Every citizen request reads one row, `cache_versions.token`, which database triggers change in the same transaction
as any change to service points, wards, retired codes or questionnaires (migration 0013_writepath). A worker's copy
is used only while the token it was filled under is the one just read, so a deactivation, a rotated code, a new
ward or a new questionnaire version takes effect at the next request in every worker, whoever made the change.

Only request contexts use the copy, and only citizen views call these functions: they never change points, so the
token read once per request stays right for the whole request. Commands and office pages query directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from flask import current_app, has_request_context, request
from sqlalchemy import inspect, select
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import instance_dict

from ..extensions import db
from ..models import CacheVersion, QuestionnaireVersion, ServicePoint
from . import points as point_svc
from . import questionnaires as qsvc

#: Addresses kept per worker: emptied when full (a scan of made-up codes must not grow memory).
MAX_ENTRIES = 1024
#: On the table, run on the session's connection: the ORM's statement machinery costs more than this read.
_TOKEN = select(CacheVersion.__table__.c.token).where(CacheVersion.__table__.c.name == "citizen")
_NOT_READ = object()
M = TypeVar("M", ServicePoint, QuestionnaireVersion)


@dataclass
class _Copy:
    """What one worker keeps of one database, valid under `token`: column values by address and by kind."""

    token: int
    points: dict[str, dict[str, Any] | None] = field(default_factory=dict)
    versions: dict[str, dict[str, Any]] = field(default_factory=dict)


#: Where an application keeps its copy (one application per worker process; tests run several side by side).
_EXTENSION = "hailong.lookups"


def _copy() -> _Copy | None:
    """This worker's copy for the current database, checked against the token once per request; None outside a
    request or when the token row is missing (then every lookup queries)."""
    if not has_request_context():
        return None
    # Per request, not on `g`: an application context (and its `g`) can outlive several requests.
    found = request.environ.get(_EXTENSION, _NOT_READ)
    if found is not _NOT_READ:
        return found
    token = db.session.connection().scalar(_TOKEN)
    copy = None
    if token is not None:
        copy = current_app.extensions.get(_EXTENSION)
        if copy is None or copy.token != token:
            # Filled under the token read first: a change committed meanwhile only makes the next request refill.
            copy = current_app.extensions[_EXTENSION] = _Copy(token)
    request.environ[_EXTENSION] = copy
    return copy


def _values(obj: ServicePoint | QuestionnaireVersion) -> dict[str, Any]:
    return {attr.key: getattr(obj, attr.key) for attr in inspect(type(obj)).column_attrs}


def _attach(model: type[M], values: dict[str, Any]) -> M:
    """An instance of this request's session from kept column values, without a query (the session's own when it
    already holds that row)."""
    key = db.session.identity_key(model, values["id"])
    held = db.session.identity_map.get(key)
    if held is not None:
        return held
    # Filled as a query's row would be (the class's constructor records each value as a change, at twice the cost).
    obj = model._sa_class_manager.new_instance()
    instance_dict(obj).update(values)
    make_transient_to_detached(obj)
    db.session.add(obj)
    return obj


def find_active(path: str) -> ServicePoint | None:
    """points.find_active, from the worker's copy when it is current."""
    copy = _copy()
    if copy is None:
        return point_svc.find_active(path)
    if path not in copy.points:
        point = point_svc.find_active(path)
        if len(copy.points) >= MAX_ENTRIES:
            copy.points.clear()
        copy.points[path] = None if point is None else _values(point)
        return point
    values = copy.points[path]
    return None if values is None else _attach(ServicePoint, values)


def latest_version(kind: str) -> QuestionnaireVersion:
    """questionnaires.latest_version, from the worker's copy when it is current."""
    copy = _copy()
    if copy is None:
        return qsvc.latest_version(kind)
    values = copy.versions.get(kind)
    if values is None:
        row = qsvc.latest_version(kind)
        copy.versions[kind] = _values(row)
        return row
    return _attach(QuestionnaireVersion, values)

"""A ward's report reads its target's year to date from its own points only, never the other ward's."""

from __future__ import annotations

from datetime import datetime, time

from flask import Flask
from sqlalchemy import select

from hailong.analysis.periods import TZ, parse_period
from hailong.survey.extensions import db
from hailong.survey.models import Organisation, ServicePoint
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import reports
from hailong.survey.services import responses as response_svc
from tests.fixtures.office import Q1_DAY
from tests.tenancy.conftest import Wards


def _health_answers(point_id: int, value: int, n: int) -> None:
    point = db.session.get_one(ServicePoint, point_id)
    version = qsvc.latest_version("health")
    answers = {s.code: value for s in qsvc.definition(version).statements}
    when = datetime.combine(Q1_DAY.date(), time(10), tzinfo=TZ)
    response_svc.write_many([response_svc.Draft(point=point, version=version, answers=answers, submitted_at=when)
                             for _ in range(n)])


def test_the_year_to_date_of_a_ward_report_counts_only_that_ward(app: Flask, two_wards: Wards) -> None:
    with app.app_context():
        a_health = db.session.scalars(select(ServicePoint.id).where(
            ServicePoint.organisation_id == two_wards.a, ServicePoint.kind == "health")).first()
        assert a_health is not None
        _health_answers(a_health, 5, 4)  # ward A: all satisfied
        _health_answers(two_wards.b_points["tram-mx"], 1, 6)  # ward B: none satisfied
        db.session.commit()
        ward_a = db.session.get_one(Organisation, two_wards.a)
        [section] = reports.gather(parse_period("2026-Q1"), "health", ward_a)["sections"]
        assert section["responses"] == 4 and section["overall"]["index"] == 100.0
        ytd = section["ytd"]
        assert ytd["responses"] == 4 and ytd["index"] == 100.0

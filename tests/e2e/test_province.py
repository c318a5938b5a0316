"""The province roll-up in a browser: three demo wards, the Sở Nội vụ's account, a drill-down into one ward.

Set HAILONG_SHOTS_DIR to keep screenshots (1280×900) of the roll-up and of a ward's read-only dashboard.
"""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from hailong.analysis.periods import TZ
from hailong.survey.extensions import db as _db
from hailong.survey.models import Organisation, User
from hailong.survey.services import demo as demo_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from hailong.survey.services import users as user_svc
from hailong.survey.services import wards as ward_svc

PASSWORD = "province-password-1"


def _shot(page: Any, name: str) -> None:
    folder = os.environ.get("HAILONG_SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def three_wards(app: Flask) -> date:
    """An Tường with its demo points, Minh Xuân with three points, Yên Sơn with one school (few answers)."""
    from datetime import datetime

    today = datetime.now(TZ).date()
    with app.app_context():
        versions = {}
        for kind in ("onestop", "health", "education"):
            v = qsvc.latest_version(kind)
            versions[kind] = (v, qsvc.definition(v))
        a = _db.session.query(Organisation).filter_by(code="an-tuong").one()
        b = ward_svc.add("minh-xuan", "Phường Minh Xuân", "Tuyên Quang")
        c = ward_svc.add("yen-son", "Xã Yên Sơn", "Tuyên Quang")
        start = today - timedelta(days=270)
        demo_svc.generate(point_svc.ensure_demo_points(a), versions, today, seed=1, start=start)
        b_points = [point_svc.create(b, "mc-1", "Bộ phận một cửa Minh Xuân", "onestop", "motcua"),
                    point_svc.create(b, "tram-y-te", "Trạm Y tế phường Minh Xuân", "health", "tram-y-te"),
                    point_svc.create(b, "th-minh-xuan", "Trường Tiểu học Minh Xuân", "education", "th-mx")]
        demo_svc.generate(b_points, versions, today, seed=2, start=start)
        c_points = [point_svc.create(c, "mn-yen-son", "Trường Mầm non Yên Sơn", "education", "mn-ys")]
        demo_svc.generate(c_points, versions, today, seed=3, start=today - timedelta(days=20))
        _db.session.add(User(organisation_id=None, province="Tuyên Quang", username="so-noi-vu", role="province",
                             active=True, password_hash=generate_password_hash(PASSWORD,
                                                                               method=user_svc.HASH_METHOD)))
        _db.session.commit()
    return today


def test_the_province_reads_every_ward_and_drills_down(live_server: str, desktop: Any, three_wards: date) -> None:
    page = desktop
    page.goto(f"{live_server}/office/login")
    page.fill("input[name=username]", "so-noi-vu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/office/tinh/")
    tables = page.locator("table.province-table")
    assert tables.count() == 3
    onestop = tables.nth(0).locator("tbody tr")
    assert onestop.count() == 3
    # The two wards with many answers are ranked; Yên Sơn has no one-stop answers and is shown unranked.
    assert onestop.nth(0).locator("td").first.inner_text() == "1"
    assert "Yên Sơn" in onestop.nth(2).inner_text()
    _shot(page, "province-rollup")
    page.click("text=Phường Minh Xuân >> nth=0")
    page.wait_for_selector("#read-only")
    assert "Tải báo cáo PDF" not in page.content()
    _shot(page, "province-drilldown-minh-xuan")

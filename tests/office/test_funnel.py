"""Where people give up, on the office pages: page counts of the paged form summed per version, period, points
and ward; a viewer sees only the points of their unit."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hailong.analysis.periods import parse_period
from hailong.survey.extensions import db as _db
from hailong.survey.models import ServicePoint
from hailong.survey.services import drafts
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc
from tests.office.conftest import Q1_DAY


def _forms(app: Flask, code: str, paths: list[tuple[int, str]], when: datetime = Q1_DAY) -> None:
    """Forms that went up to a page and then were sent there ("sent") or left ("left")."""
    with app.app_context():
        point = _db.session.scalar(select(ServicePoint).filter_by(code=code))
        version = qsvc.latest_version(point.kind)
        for i, (page, end) in enumerate(paths):
            key = f"form-{code}-{i}-{when.isoformat()}"
            draft = drafts.save(point, version, key, {"overall": ["4"]}, page, now=when)
            if end == "sent":
                drafts.finish(draft, point, version, page, now=when)
        _db.session.commit()


def _rows(html: str, table_id: str) -> list[list[str]]:
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = []
    for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)[1:]:
        cells = [re.sub(r"<[^>]+>", "", c).split("(")[0].strip()
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        rows.append([cells[0], cells[1], cells[3], cells[4]])  # page, reached, sent here, stopped
    return rows


def test_the_dashboard_shows_the_funnel_of_the_period(
    app: Flask, login: Callable[[str], FlaskClient], points: dict[str, int]
) -> None:
    _forms(app, "mc-1", [(1, "sent"), (3, "left"), (9, "sent"), (9, "left")])
    _forms(app, "mc-2", [(2, "sent")])
    _forms(app, "mc-1", [(5, "left")], when=Q1_DAY + timedelta(days=90))  # the next quarter
    client = login("admin")
    html = client.get("/office/?period=2026-Q1&kind=onestop").get_data(as_text=True)
    assert "Người trả lời dừng ở phần nào" in html
    assert "5 phiếu bắt đầu, 3 phiếu đã gửi (60,0%)" in html
    assert _rows(html, "funnel-onestop-v1") == [
        ["1/9", "5", "1", "0"], ["2/9", "4", "1", "0"], ["3/9", "3", "0", "1"],
        *[[f"{p}/9", "2", "0", "0"] for p in range(4, 9)], ["9/9", "2", "1", "1"]]
    point_page = client.get(f"/office/point/{points['mc-2']}?period=2026-Q1").get_data(as_text=True)
    assert "1 phiếu bắt đầu, 1 phiếu đã gửi" in point_page
    empty = client.get("/office/?period=2026-Q1&kind=health").get_data(as_text=True)
    assert "Chưa có phiếu nào được trả lời theo từng phần trong kỳ này." in empty


def test_a_viewer_sees_the_funnel_of_their_own_points_only(
    app: Flask, login: Callable[[str], FlaskClient], points: dict[str, int]
) -> None:
    _forms(app, "th-an-tuong", [(3, "sent")])
    _forms(app, "mn-an-tuong", [(8, "sent"), (2, "left")])
    html = login("viewer").get("/office/?period=2026-Q1&kind=education").get_data(as_text=True)
    assert "1 phiếu bắt đầu, 1 phiếu đã gửi" in html


def test_another_wards_counts_are_never_read(app: Flask, login: Callable[[str], FlaskClient],
                                              points: dict[str, int]) -> None:
    with app.app_context():
        other = point_svc.ensure_organisation("xa-khac", "Xã Khác", "Tuyên Quang")
        _db.session.flush()
        point_svc.create(other, "xk-1", "Xã Khác - Một cửa", "onestop", "xk")
        _db.session.commit()
    _forms(app, "xk-1", [(4, "sent")])
    _forms(app, "mc-1", [(1, "sent")])
    html = login("admin").get("/office/?period=2026-Q1&kind=onestop").get_data(as_text=True)
    assert "1 phiếu bắt đầu, 1 phiếu đã gửi" in html
    with app.app_context():
        ward = _db.session.scalar(select(ServicePoint.organisation_id).filter_by(code="xk-1"))
        totals = drafts.page_totals(ward, [qsvc.latest_version("onestop").id], parse_period("2026-Q1"))
        assert [(t.page, t.reached, t.sent) for t in totals] == [(1, 1, 0), (2, 1, 0), (3, 1, 0), (4, 1, 1)]

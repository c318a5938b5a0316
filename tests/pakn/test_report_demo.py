"""The quarterly report's PAKN section prints the numbers of `hailong pakn stats`; the demo has every state."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date, datetime

from flask_sqlalchemy import SQLAlchemy
from pypdf import PdfReader

from hailong.analysis.periods import TZ, parse_period
from hailong.survey.models import Organisation, PaknItem, PaknStatus
from hailong.survey.services import demo_pakn, pakn, reports

AddItem = Callable[..., tuple[PaknItem, str | None]]


def test_report_section_equals_the_command(db: SQLAlchemy, ward: Organisation, add_item: AddItem) -> None:
    for n in range(3):
        item, _ = add_item(f"Phản ánh {n}", when=datetime(2026, 8, 3 + n, 9, 0, tzinfo=TZ))
        if n:
            pakn.classify(item, pakn.Actor("r", "reviewer"), "reject" if n == 1 else "accept", reason="Trùng")
    db.session.commit()
    period = parse_period("2026-Q3")
    context = reports.gather(period)
    assert context["pakn"] == pakn.stats(ward.id, period)
    html = reports.render_html(period)
    assert "III. TIẾP NHẬN, XỬ LÝ PHẢN ÁNH, KIẾN NGHỊ" in html and "IV. ĐÁNH GIÁ CHUNG" in html
    assert "tiếp nhận 3 phản ánh" in html and "không tiếp nhận 1" in html
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(reports.build_pdf(period))).pages)
    assert "PHẢN ÁNH, KIẾN NGHỊ" in text
    empty = reports.render_html(parse_period("2025-Q1"))
    assert "chưa tiếp nhận phản ánh" in empty


def test_demo_has_a_quarter_in_every_state(db: SQLAlchemy, ward: Organisation) -> None:
    today = date(2026, 11, 30)
    assert demo_pakn.generate(ward, today) == demo_pakn.DEMO_ITEMS
    db.session.commit()
    states = {item.status for item in db.session.query(PaknItem)}
    assert states == {s.value for s in PaknStatus}
    oldest = min(item.received_at for item in db.session.query(PaknItem)).astimezone(TZ).date()
    assert (today - oldest).days <= 92
    assert demo_pakn.generate(ward, today) == 0

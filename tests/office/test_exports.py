"""Exports: responses and indices as CSV and XLSX, as the CLI writes them, guarded, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from flask import Flask
from openpyxl import load_workbook
from sqlalchemy import select

from hailong.analysis import flat
from hailong.survey.extensions import db as _db
from hailong.survey.models import AuditEvent
from hailong.survey.services import responses as response_svc

Q1 = "period=2026-Q1"


def _csv(data: bytes) -> list[dict[str, str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


def test_exports_page_has_labelled_controls(login: Any) -> None:
    html = login("reviewer").get("/office/exports").get_data(as_text=True)
    assert '<label for="e-period">Kỳ báo cáo</label>' in html
    assert "<legend>Định dạng</legend>" in html


def test_responses_csv_same_columns_as_cli_and_guarded(
    login: Any, app: Flask, add_responses: Callable[..., list[int]]
) -> None:
    add_responses("mc-1", 3, 4, comment="=HYPERLINK(\"http://x\")")
    add_responses("tram-y-te", 2, 5)
    response = login("reviewer").get(f"/office/export?what=responses&format=csv&{Q1}&kind=onestop")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'filename="hailong-responses-2026-Q1-onestop.csv"' in response.headers["Content-Disposition"]
    rows = _csv(response.data)
    assert len(rows) == 3
    with app.app_context():
        assert list(rows[0]) == response_svc.export_columns(["onestop"])
    assert rows[0]["comment"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["staff.polite"] == "4"
    with app.app_context():
        event = _db.session.scalars(select(AuditEvent).filter_by(action="export.responses")).one()
        assert event.actor == "reviewer" and event.target == "2026-Q1" and event.detail is not None
        assert event.detail.startswith("csv; onestop")


def test_responses_xlsx_has_vietnamese_second_header(login: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("tram-y-te", 2, 5, comment="-1+2")
    response = login("admin").get(f"/office/export?what=responses&format=xlsx&{Q1}&kind=health")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("submitted_at", "point", "channel")
    assert rows[1][:3] == ("Thời điểm gửi", "Mã điểm khảo sát", "Kênh")
    assert len(rows) == 4
    comment_col = rows[0].index("comment")
    assert rows[2][comment_col] == "'-1+2"


def test_indices_csv_and_xlsx(login: Any, add_responses: Callable[..., list[int]]) -> None:
    add_responses("mc-1", 31, 5)
    client = login("reviewer")
    text = client.get(f"/office/export?what=indices&format=csv&{Q1}&kind=onestop").data.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert tuple(rows[0]) == flat.COLUMNS
    assert rows[1][:7] == ["2026-Q1", "onestop", "", "overall", "overall", "31", "100.0"]
    xlsx = client.get(f"/office/export?what=indices&format=xlsx&{Q1}")
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][:3] == ("Kỳ", "Loại dịch vụ", "Điểm khảo sát")
    overall = next(v for v in values[2:] if v[1] == "onestop" and v[3] == "overall")
    assert overall[5] == 31 and overall[6] == 100.0  # numbers stay numbers
    assert {v[1] for v in values[2:]} == {"onestop", "health", "education"}


def test_stored_control_characters_export_as_xlsx(login: Any, add_responses: Callable[..., list[int]]) -> None:
    """A comment stored with control characters no longer makes the XLSX export fail; they show as [U+XXXX]."""
    add_responses("mc-1", 1, 4, comment="Tốt\x01lắm\x0b")
    response = login("reviewer").get(f"/office/export?what=responses&format=xlsx&{Q1}&kind=onestop")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][rows[0].index("comment")] == "Tốt[U+0001]lắm[U+000B]"


def test_csv_exports_quote_line_breaks_and_guard_after_semicolons(
    login: Any, add_responses: Callable[..., list[int]]
) -> None:
    add_responses("mc-1", 1, 4, comment="Tot lam\r=1+1*cmd|x; @x")
    client = login("reviewer")
    data = client.get(f"/office/export?what=responses&format=csv&{Q1}").data.decode("utf-8")
    assert "\r=" not in data and "; '@x" in data
    assert _csv(data.encode())[0]["comment"] == "Tot lam\r'=1+1*cmd|x; '@x"
    indices = client.get(f"/office/export?what=indices&format=csv&{Q1}").data.decode("utf-8")
    assert indices.splitlines()[0].lstrip("\ufeff") == ",".join(flat.COLUMNS)
    assert "\r\n" in indices


def test_a_failed_export_is_audited_as_a_failure_and_logs_no_text(
    login: Any, app: Flask, add_responses: Callable[..., list[int]], monkeypatch: Any, caplog: Any
) -> None:
    from hailong.survey.services import spreadsheet

    comment = "Cảm ơn chị Lan"
    add_responses("mc-1", 1, 4, comment=comment)

    def broken(*_args: Any, **_kwargs: Any) -> int:
        raise RuntimeError(f"cannot write {comment!r}")  # as openpyxl's IllegalCharacterError quoted the cell

    monkeypatch.setattr(spreadsheet, "write_xlsx", broken)
    client = login("reviewer")
    response = client.get(f"/office/export?what=responses&format=xlsx&{Q1}")
    assert response.status_code == 500
    assert "Cảm ơn" not in response.get_data(as_text=True)
    assert "Cảm ơn" not in caplog.text
    with app.app_context():
        actions = list(_db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("export%"))))
    assert actions == ["export.responses.failed"]

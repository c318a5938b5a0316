"""`hailong paper`: numbered A4 paper forms printed from the questionnaire files, each serial issued and recorded,
its QR code the serial's; serials carry a check digit so a typing slip is caught."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import qrcode
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from hailong.forms.questionnaire import KINDS
from hailong.survey.models import AuditEvent, Organisation, PaperSerial, ServicePoint
from hailong.survey.services import paper as paper_svc
from hailong.survey.services import points as point_svc
from hailong.survey.services import questionnaires as qsvc


def _text(pdf: bytes) -> str:
    """The PDF's text without white space (a line may break after "Ông/"), NFC as the questionnaire files are."""
    raw = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return _flat(raw)


def _flat(text: str) -> str:
    return "".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture
def ward(db: SQLAlchemy) -> Organisation:
    org = db.session.scalars(select(Organisation)).one()
    point_svc.ensure_demo_points(org)
    db.session.commit()
    return org


@pytest.mark.parametrize("kind", KINDS)
def test_the_form_prints_every_text_of_its_questionnaire_file(app: Flask, ward: Organisation, kind: str) -> None:
    with app.test_request_context():
        papers = paper_svc.issue(ward, kind, 2)
        pdf = paper_svc.render_pdf(papers)
        q = qsvc.definition(qsvc.latest_version(kind))
    text = _text(pdf)
    missing = [s.code for s in q.statements if _flat(f"{s.text.vi}") not in text]
    assert missing == []
    for question in q.questions:
        assert _flat(question.text.vi) in text, question.code
        for option in question.options:
            assert _flat(option.label.vi) in text, (question.code, option.code)
    for element in q.elements:
        assert _flat(element.label.vi) in text
    assert _flat(q.title.vi).upper() in text or _flat(q.title.vi) in text
    # The five levels and "no opinion" head each element's grid, with the key a clerk types.
    assert text.count("Khôngcóýkiến") >= len(q.elements)
    for serial in (p.serial for p in papers):
        assert f"Sốphiếu{serial}" in text
    reader = PdfReader(io.BytesIO(pdf))
    per_form = len(reader.pages) // 2
    assert len(reader.pages) == 2 * per_form and per_form % 2 == 0  # two-sided sheets never mix two forms
    first_form = " ".join(reader.pages[i].extract_text() for i in range(per_form))
    assert f"Trang {per_form}/{per_form}" in first_form and papers[1].serial not in first_form


def _matrix(data: str) -> list[list[bool]]:
    """The modules qrcode makes for `data` with the settings of points.qr_svg, without the quiet zone."""
    code = qrcode.QRCode(border=0)
    code.add_data(data)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def _read_modules(png: Image.Image, size: int) -> list[list[bool]]:
    """Sample the QR code printed in the top-right box of a form's first page, module by module."""
    grey = png.convert("L")
    width, height = grey.size
    dark = lambda x, y: grey.getpixel((x, y)) < 128  # noqa: E731
    # The box around the QR: the first long dark horizontal line in the top right of the page.
    top = next(y for y in range(height // 4) if sum(dark(x, y) for x in range(width // 2, width)) > width // 12)
    xs = [x for x in range(width // 2, width) if dark(x, top)]
    left, right = min(xs), max(xs)
    # Inside it, under white padding and the quiet zone, the QR's first row runs from finder to finder.
    inner = range(left + 8, right - 8)
    row0 = next(y for y in range(top + 8, height // 3) if any(dark(x, y) for x in inner))
    row_xs = [x for x in inner if dark(x, row0 + 1)]
    x0, x1 = min(row_xs), max(row_xs) + 1
    module = (x1 - x0) / size
    return [[dark(int(x0 + (c + 0.5) * module), int(row0 + (r + 0.5) * module)) for c in range(size)]
            for r in range(size)]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler's pdftoppm is not installed")
def test_each_form_carries_the_qr_code_of_its_own_serial(app: Flask, ward: Organisation, tmp_path: Path) -> None:
    with app.test_request_context():
        papers = paper_svc.issue(ward, "education", 2, point_svc.find_active("th-an-tuong"))
        assert [paper_svc.serial_qr_data(p) for p in papers] == [p.serial for p in papers]
        pdf = paper_svc.render_pdf(papers)
    path = tmp_path / "forms.pdf"
    path.write_bytes(pdf)
    per_form = len(PdfReader(io.BytesIO(pdf)).pages) // 2
    for i, paper in enumerate(papers):
        page = 1 + i * per_form
        subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", str(page), "-l", str(page), "-singlefile",
                        str(path), str(tmp_path / f"p{i}")], check=True)
        expected = _matrix(paper.serial)
        printed = _read_modules(Image.open(tmp_path / f"p{i}.png"), len(expected))
        assert printed == expected, paper.serial
        other = papers[1 - i].serial
        assert printed != _matrix(other)


def test_serials_carry_a_check_digit_that_catches_slips() -> None:
    serial = paper_svc.format_serial(123)
    assert serial.startswith("000123") and len(serial) == 7
    assert paper_svc.normalise_serial(f" {serial[:3]} {serial[3:6]}-{serial[6]} ") == serial
    for i in range(len(serial)):  # every single wrong digit
        for d in "0123456789":
            if d != serial[i]:
                with pytest.raises(paper_svc.PaperError, match="chữ số kiểm tra"):
                    paper_svc.normalise_serial(serial[:i] + d + serial[i + 1:])
    for i in range(len(serial) - 1):  # every swap of neighbours that changes the text
        swapped = serial[:i] + serial[i + 1] + serial[i] + serial[i + 2:]
        if swapped != serial:
            with pytest.raises(paper_svc.PaperError):
                paper_svc.normalise_serial(swapped)
    for bad in ("", "abc", "12345", "١٢٣٤٥٦٧", "9" * 30):
        with pytest.raises(paper_svc.PaperError):
            paper_svc.normalise_serial(bad)


def test_cli_issues_records_and_prints_numbered_forms(runner: FlaskCliRunner, db: SQLAlchemy,
                                                      ward: Organisation, tmp_path: Path) -> None:
    out = tmp_path / "phieu.pdf"
    result = runner.invoke(args=["paper", "--kind", "onestop", "--point", "mc-2", "--count", "3", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = db.session.scalars(select(PaperSerial).order_by(PaperSerial.number)).all()
    assert [r.number for r in rows] == [1, 2, 3]
    version = qsvc.latest_version("onestop")
    mc2 = db.session.scalars(select(ServicePoint).filter_by(code="mc-2")).one()
    for r in rows:
        assert (r.organisation_id, r.point_id, r.kind, r.questionnaire_id, r.state) == \
               (ward.id, mc2.id, "onestop", version.id, "issued")
        assert r.issued_at is not None and r.serial == paper_svc.format_serial(r.number)
    text = _text(out.read_bytes())
    assert all(r.serial in text for r in rows) and _flat(mc2.name) in text
    assert f"{rows[0].serial} đến {rows[-1].serial}" in result.output
    event = db.session.scalars(select(AuditEvent).filter_by(action="paper.issued")).one()
    assert event.detail == f"onestop; onestop/v1; mc-2; 3; {rows[0].serial}..{rows[-1].serial}"
    # Without a point: numbering goes on, and the citizen ticks which of the kind's points the form is about.
    again = runner.invoke(args=["paper", "--kind", "onestop", "--count", "1", "--out", str(tmp_path / "b.pdf")])
    assert again.exit_code == 0, again.output
    last = db.session.scalars(select(PaperSerial).order_by(PaperSerial.number.desc())).first()
    assert last is not None and (last.number, last.point_id) == (4, None)
    text = _text((tmp_path / "b.pdf").read_bytes())
    assert "NơiÔng/Bàđánhgiá" in text and "Quầy3" in text


@pytest.mark.parametrize(("args", "message"), [
    (["--kind", "health", "--point", "mc-1", "--count", "2"], "dùng phiếu loại onestop"),
    (["--kind", "onestop", "--point", "khong-co", "--count", "2"], "không có điểm khảo sát"),
    (["--kind", "onestop", "--count", "0"], "0"),
    (["--kind", "onestop", "--count", "2001"], "2001"),
    (["--kind", "tax", "--count", "2"], "tax"),
    (["--kind", "onestop", "--ward", "khac", "--count", "2"], "Không có phường"),
])
def test_cli_refuses_bad_input_and_issues_nothing(runner: FlaskCliRunner, db: SQLAlchemy, ward: Organisation,
                                                 tmp_path: Path, args: list[str], message: str) -> None:
    out = tmp_path / "x.pdf"
    result = runner.invoke(args=["paper", *args, "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not out.exists()
    assert db.session.scalars(select(PaperSerial)).first() is None


def test_cli_out_folder_must_exist(runner: FlaskCliRunner, ward: Organisation, tmp_path: Path) -> None:
    result = runner.invoke(args=["paper", "--kind", "onestop", "--count", "1", "--out",
                                 str(tmp_path / "none" / "x.pdf")])
    assert result.exit_code == 2 and re.search("không tồn tại", result.output)

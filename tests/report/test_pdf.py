"""The formal report PDF: A4, embedded Vietnamese serif, Nghị định 30 header, numbers equal `hailong indices`."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from flask_sqlalchemy import SQLAlchemy
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from hailong.analysis.formatting import fmt_ci, fmt_diff, fmt_int, fmt_pct
from hailong.analysis.periods import parse_period
from hailong.analysis.wording import kind_name
from hailong.survey.models import Setting
from hailong.survey.services import reports
from tests.fixtures.report import Seeder, pdf_text

A4 = (595.28, 841.89)  # points

COMMENTS = {  # two one-stop comments: both are printed (at most two per kind)
    "mc-1": ["Có gì xin gọi tôi: 0912 345 678 hoặc thư về nguyen.van.a@example.com"],
    "mc-2": ["Thủ tục <b>nhanh</b> & gọn"],
    "tram-y-te": ["Nhân viên y tế nhiệt tình, chu đáo với người già."],
}
FLAGGED = {"mc-2": ["Ý KIẾN BỊ ĐÁNH DẤU KHÔNG ĐƯỢC IN"]}
POINTS = {"mc-1": 60, "mc-2": 45, "mc-3": 12, "tram-y-te": 70, "mn-an-tuong": 40, "th-an-tuong": 35}


@pytest.fixture
def quarter(seed: Seeder) -> str:
    """2026-Q1 with responses at six points (one with low n) and a smaller 2025-Q4 to compare with."""
    seed(date(2026, 1, 1), date(2026, 4, 1), POINTS, comments=COMMENTS, flagged=FLAGGED, seed=11)
    seed(date(2025, 10, 1), date(2026, 1, 1), {"mc-1": 40, "tram-y-te": 30, "th-an-tuong": 30}, mood=4.0, seed=12)
    return "2026-Q1"


def _cli_json(runner: FlaskCliRunner, *args: str) -> Any:
    result = runner.invoke(args=["indices", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _flat(pages: list[str]) -> str:
    """All pages as one text, runs of spaces collapsed and the page-number line of pages 2+ dropped."""
    bodies = [pages[0]] + [re.sub(r"\A\s*\d+[ \t]*\n", "", p) for p in pages[1:]]
    return re.sub(r"[ \t]+", " ", "\n".join(bodies))


def test_layout_facts(db: SQLAlchemy, quarter: str, tmp_path: Path) -> None:
    pdf = reports.build_pdf(parse_period(quarter))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 3
    for page in reader.pages:
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(A4, abs=0.5)

    fonts = _embedded_fonts(reader)
    serif = {name: cmap for name, cmap in fonts.items() if "LiberationSerif" in name.replace("-", "")}
    assert serif, sorted(fonts)
    assert any("Bold" in n for n in serif) and any("Italic" in n for n in serif)
    regular = next(cmap for name, cmap in serif.items() if name.replace("-", "") == "LiberationSerif")
    assert {ord(c) for c in "ệươĐảốữ"} <= regular  # Vietnamese glyphs come from the embedded serif itself
    assert {ord(c) for c in "ỦỜƯỘ"} <= set().union(*serif.values())

    pages = pdf_text(pdf, tmp_path)
    first = pages[0]
    for text in (
        "ỦY BAN NHÂN DÂN",
        "PHƯỜNG AN TƯỜNG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Số: ……/BC-UBND",
        "An Tường, ngày …… tháng …… năm",
        "BÁO CÁO",
        "Kết quả đo lường sự hài lòng của người dân quý I năm 2026",
    ):
        assert text in first, text
    # two columns: the ward on the left of the national motto, on the same line
    line = next(x for x in first.splitlines() if "CỘNG HÒA" in x)
    assert line.index("ỦY BAN NHÂN DÂN") < line.index("CỘNG HÒA")
    line = next(x for x in first.splitlines() if "Số:" in x)
    assert line.index("Số:") < line.index("An Tường, ngày")
    # page numbers: none on page 1, centred at the top from page 2
    assert not re.match(r"\s*1\s*$", first.strip().splitlines()[0])
    for number, body in enumerate(pages[1:], start=2):
        top = next(x for x in body.splitlines() if x.strip())
        assert top.strip() == str(number)
    text = _flat(pages)
    # no missing glyphs: every printed character is in one of the embedded fonts
    covered = set().union(*fonts.values())
    missing = {c for c in text if not c.isspace() and ord(c) not in covered}
    assert not missing, missing
    for heading in ("Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "PHỤ LỤC I", "Wilson", "Biểu đồ 1"):
        assert heading in text, heading
    assert "Ý KIẾN BỊ ĐÁNH DẤU" not in text
    assert "0912" not in text and "example.com" not in text and "[đã ẩn]" in text
    assert "Thủ tục <b>nhanh</b> & gọn" in text  # printed as typed, not interpreted as markup


def _embedded_fonts(reader: PdfReader) -> dict[str, set[int]]:
    """Embedded TrueType fonts by base name (subset prefix removed) with the code points their cmap covers."""
    fonts: dict[str, set[int]] = {}
    for page in reader.pages:
        resources: Any = page["/Resources"].get_object()
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            for desc in [d.get_object() for d in font.get("/DescendantFonts", [])] or [font]:
                descriptor = desc.get("/FontDescriptor")
                if descriptor is None or "/FontFile2" not in descriptor.get_object():
                    continue
                data = descriptor.get_object()["/FontFile2"].get_object().get_data()
                name = str(desc["/BaseFont"]).lstrip("/").split("+", 1)[-1]
                fonts.setdefault(name, set()).update(TTFont(io.BytesIO(data)).getBestCmap() or {})
    return fonts


def _tuples(result: dict[str, Any]) -> list[tuple[int, float, list[float]]]:
    """(n, index, ci95) of the overall, elements and items of one `indices` result."""
    out = [(result["responses"], result["overall"]["index"], result["overall"]["ci95"])]
    for e in result["elements"]:
        out.append((e["responses"], e["index"], e["ci95"]))
        out += [(i["n"], i["index"], i["ci95"]) for i in e["items"]]
    return [t for t in out if t[1] is not None]


ROW = re.compile(r"(?<![\d,.])(\d{1,3}(?:\.\d{3})*)\*?\s+(\d{1,3},\d{2}%)\s+(\d{1,3},\d{2}–\d{1,3},\d{2})(?![\d,])")


def test_every_index_equals_hailong_indices(
    db: SQLAlchemy, runner: FlaskCliRunner, quarter: str, tmp_path: Path
) -> None:
    pdf = reports.build_pdf(parse_period(quarter))
    text = _flat(pdf_text(pdf, tmp_path))
    results = _cli_json(runner, "--period", quarter)
    expected: set[tuple[str, str, str]] = set()
    for r in results:
        for n, index, ci in _tuples(r):
            expected.add((fmt_int(n), fmt_pct(index), fmt_ci(ci)))
    for code in POINTS:
        r = _cli_json(runner, "--period", quarter, "--point", code)
        expected.add((fmt_int(r["responses"]), fmt_pct(r["overall"]["index"]), fmt_ci(r["overall"]["ci95"])))

    found = set(ROW.findall(text))
    assert len(found) > 30
    assert found <= expected, sorted(found - expected)  # every "n index interval" row of the PDF is an index
    assert expected <= found, sorted(expected - found)  # and every index of `hailong indices` is printed

    for r in results:
        o, prev = r["overall"], r["previous"]
        if not r["responses"]:
            continue
        row = rf"{fmt_int(r['responses'])}\*?\s+{fmt_pct(o['index'])}\s+{fmt_ci(o['ci95'])}"
        row += (
            rf"\s+{re.escape(fmt_pct(prev['overall']['index']))}\s+{re.escape(fmt_diff(prev['overall']['diff']))}"
        )
        assert re.search(row, text), (r["kind"], row)
        before = {e["code"]: e for e in prev["elements"]}
        for e in r["elements"]:
            cells = [fmt_pct(e["index"]), fmt_ci(e["ci95"]), fmt_pct(before[e["code"]]["index"])]
            cells.append(fmt_diff(before[e["code"]]["diff"]))
            assert re.search(r"\s+".join(re.escape(c) for c in cells), text), (e["code"], cells)
        # the summary paragraph states the same numbers as the tables
        name = kind_name(r["kind"], form="in_sentence")
        sentence = f"{name} đạt {fmt_pct(o['index'])} (n = {fmt_int(r['responses'])})"
        assert sentence in re.sub(r"\s+", " ", text)


def test_one_kind_and_settings(db: SQLAlchemy, seed: Seeder, tmp_path: Path) -> None:
    seed(date(2026, 4, 1), date(2026, 7, 1), {"tram-y-te": 40, "mc-1": 20})
    values = {
        "report.number": "15",
        "report.date": "2026-06-12",
        "report.signer_title": "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH",
        "report.signer_name": "Nguyễn Thị Hạnh",
        "report.recipients": "Sở Nội vụ tỉnh Tuyên Quang\nThường trực Đảng ủy phường\nLưu: VT, VHXH",
    }
    db.session.add_all(Setting(organisation_id=1, key=k, value=v) for k, v in values.items())
    db.session.commit()
    text = _flat(pdf_text(reports.build_pdf(parse_period("2026-Q2"), "health"), tmp_path))
    assert "Số: 15/BC-UBND" in text
    assert "An Tường, ngày 12 tháng 06 năm 2026" in text
    assert "đối với dịch vụ y tế công" in text
    for value in (
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
        "Nguyễn Thị Hạnh",
        "- Sở Nội vụ tỉnh Tuyên Quang;",
        "- Lưu: VT, VHXH.",
    ):
        assert value in text, value
    assert "Dịch vụ y tế công" in text and "Trung tâm Phục vụ hành chính công - Quầy 1" not in text
    assert "Mục tiêu 90%" in text or "mục tiêu 90%" in text


def test_blank_settings_are_left_blank(db: SQLAlchemy, seed: Seeder, tmp_path: Path) -> None:
    seed(date(2026, 4, 1), date(2026, 7, 1), {"mc-1": 35})
    html = reports.render_html(parse_period("2026-Q2"))
    assert '<div class="signer">………………………</div>' in html  # a blank line to sign over, no invented name
    assert "Số: ……/BC-UBND" in html and "ngày …… tháng ……" in html
    assert html.count("- ………………………") == 3  # recipients to fill in by hand


def test_empty_period_says_so(db: SQLAlchemy, demo_points: Any, tmp_path: Path) -> None:
    pdf = reports.build_pdf(parse_period("2026-Q2"))
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 1
    text = _flat(pdf_text(pdf, tmp_path))
    assert "Không có dữ liệu" in text
    assert "chưa ghi nhận phiếu khảo sát hợp lệ nào" in text
    assert "Biểu đồ" not in text and "<svg" not in reports.render_html(parse_period("2026-Q2"))
    assert "BÁO CÁO" in text and "Nơi nhận:" in text


def test_cli_writes_the_pdf_and_refuses_bad_input(
    runner: FlaskCliRunner, demo_points: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "q.pdf"
    result = runner.invoke(args=["report", "--period", "2026-Q1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert "Đã ghi báo cáo Quý I/2026 (kỳ báo cáo 15/12/2025–14/03/2026)" in result.output

    monkeypatch.chdir(tmp_path)
    result = runner.invoke(args=["report", "--period", "2026", "--kind", "education"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bao-cao-2026-education.pdf").read_bytes().startswith(b"%PDF-")

    bad = runner.invoke(args=["report", "--period", "2026-Q5"])
    assert bad.exit_code == 2
    assert "Kỳ báo cáo “2026-Q5” không hợp lệ" in bad.output
    bad = runner.invoke(args=["report", "--period", "2026-Q1", "--kind", "school"])
    assert bad.exit_code == 2
    assert "Loại dịch vụ “school” không hợp lệ" in bad.output


def test_default_file_names() -> None:
    assert reports.default_filename(parse_period("2026-Q1@report")) == "bao-cao-2026-Q1.pdf"
    assert reports.default_filename(parse_period("2026-Q1")) == "bao-cao-2026-Q1-calendar.pdf"
    assert reports.default_filename(parse_period("2026-H1@report"), "health") == "bao-cao-2026-H1-health.pdf"
    assert reports.default_filename(parse_period("2026-01-01..2026-03-31")) == "bao-cao-2026-01-01_2026-03-31.pdf"

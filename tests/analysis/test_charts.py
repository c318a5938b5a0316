"""SVG charts: well-formed, accessible, escaped, self-contained; bars, whiskers, low n, gaps and targets."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from hailong.analysis.charts import NO_DATA, Bar, element_bars, trend_line

NS = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def texts(root: ET.Element) -> list[str]:
    return ["".join(t.itertext()) for t in root.iter(f"{NS}text")]


BARS = [
    Bar("Tiếp cận dịch vụ", 87.16, 80.5, 92.25, 120, False),
    Bar("Thủ tục hành chính", 55.0, 40.0, 70.0, 12, True),
    Bar("Kết quả giải quyết", None, None, None, 0, True),
]


def test_bars_are_well_formed_and_accessible() -> None:
    root = parse(element_bars(BARS, title="Một cửa"))
    assert root.tag == f"{NS}svg"
    assert root.get("role") == "img"
    assert root.get("viewBox", "").startswith("0 0 ")
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and title.text == "Một cửa"
    assert desc is not None and "Tiếp cận dịch vụ: 87,16%" in (desc.text or "")
    labelled = (root.get("aria-labelledby") or "").split()
    assert title.get("id") in labelled and desc.get("id") in labelled


def test_bars_show_values_n_and_vietnamese_numbers() -> None:
    shown = texts(parse(element_bars(BARS)))
    assert "87,16%" in shown
    assert "55,00%" in shown
    assert "n = 120" in shown and "n = 12 · n nhỏ" in shown and "n = 0" in shown
    for label in ("Tiếp cận dịch vụ", "Thủ tục hành chính", "Kết quả giải quyết"):
        assert label in shown


def test_missing_value_says_no_data_instead_of_a_zero_bar() -> None:
    root = parse(element_bars(BARS))
    assert NO_DATA in texts(root)
    bars = [r for r in root.iter(f"{NS}rect") if r.get("height") == "16"]
    assert len(bars) == 2  # only the two bars with a value


def test_low_n_bar_is_hatched_and_marked() -> None:
    root = parse(element_bars(BARS))
    fills = [r.get("fill", "") for r in root.iter(f"{NS}rect") if r.get("height") == "16"]
    assert fills[0].startswith("#")
    assert fills[1].startswith("url(#") and fills[1].endswith("-hatch)")
    pattern = root.find(f"{NS}defs/{NS}pattern")
    assert pattern is not None and fills[1] == f"url(#{pattern.get('id')})"
    assert sum("n nhỏ" in t for t in texts(root)) == 1  # the no-data bar is not marked, it has no bar


def test_whisker_spans_the_interval() -> None:
    root = parse(element_bars([Bar("A", 50.0, 25.0, 75.0, 100, False)]))
    rect = next(r for r in root.iter(f"{NS}rect") if r.get("height") == "16")
    x0, width = float(rect.get("x", "0")), float(rect.get("width", "0"))
    full = width * 2  # 50% of the bar area
    horizontal = [ln for ln in root.iter(f"{NS}line") if ln.get("y1") == ln.get("y2") and ln.get("stroke") == "#000000"]
    assert len(horizontal) == 1
    assert float(horizontal[0].get("x1", "0")) == pytest.approx(x0 + full * 0.25, abs=0.2)
    assert float(horizontal[0].get("x2", "0")) == pytest.approx(x0 + full * 0.75, abs=0.2)


def test_target_is_a_dashed_labelled_line() -> None:
    without = parse(element_bars(BARS))
    assert not [ln for ln in without.iter(f"{NS}line") if ln.get("stroke-dasharray")]
    root = parse(element_bars(BARS, target=90))
    dashed = [ln for ln in root.iter(f"{NS}line") if ln.get("stroke-dasharray")]
    assert dashed and all(ln.get("x1") == dashed[0].get("x1") for ln in dashed)
    assert "Mục tiêu 90%" in texts(root)


def test_text_is_escaped_and_nothing_external() -> None:
    svg = element_bars([Bar('<script>alert("x")</script> & co', 70.0, 60.0, 80.0, 50, False)], title="<b>t</b>")
    root = parse(svg)
    assert '<script>alert("x")</script> & co' in texts(root)
    assert "<script" not in svg and "<b>" not in svg
    for forbidden in ("href", "style=", "<image", "<foreignObject", "http://", "https://"):
        assert forbidden not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_ids_do_not_clash_between_charts_and_are_stable() -> None:
    a = element_bars(BARS, title="Một cửa")
    b = element_bars(BARS, title="Y tế")
    assert parse(a).get("aria-labelledby") != parse(b).get("aria-labelledby")
    assert a == element_bars(BARS, title="Một cửa")


def test_empty_bars_say_no_data() -> None:
    root = parse(element_bars([]))
    assert NO_DATA in texts(root)
    assert not [r for r in root.iter(f"{NS}rect") if r.get("height") == "16"]


def test_long_labels_wrap_to_two_lines() -> None:
    label = "Tiếp nhận, xử lý góp ý, phản ánh, kiến nghị của người dân và tổ chức về thủ tục hành chính ở phường"
    shown = texts(parse(element_bars([Bar(label, 80.0, 70.0, 90.0, 40, False)])))
    lines = [t for t in shown if t.rstrip("…") and t.rstrip("…") in label]
    assert len(lines) == 2 and all(len(x) <= 38 for x in lines)
    assert lines[0].startswith("Tiếp nhận") and lines[1].endswith("…")


def test_trend_breaks_at_missing_periods() -> None:
    points = [("2025-Q3", 80.0), ("2025-Q4", 82.5), ("2026-Q1", None), ("2026-Q2", 85.0), ("2026-Q3", 91.25)]
    root = parse(trend_line(points, target=90, title="Một cửa"))
    polylines = list(root.iter(f"{NS}polyline"))
    assert [len((p.get("points") or "").split()) for p in polylines] == [2, 2]
    assert len(list(root.iter(f"{NS}circle"))) == 4
    shown = texts(root)
    assert "91,25%" in shown and "2026-Q1" in shown and "Mục tiêu 90%" in shown
    assert [ln for ln in root.iter(f"{NS}line") if ln.get("stroke-dasharray")]
    desc = root.find(f"{NS}desc")
    assert desc is not None and f"2026-Q1: {NO_DATA}" in (desc.text or "")


def test_trend_single_point_and_all_missing() -> None:
    single = parse(trend_line([("2026-Q3", 91.2)]))
    assert not list(single.iter(f"{NS}polyline"))
    assert len(list(single.iter(f"{NS}circle"))) == 1
    empty = parse(trend_line([("2026-Q2", None), ("2026-Q3", None)], target=90))
    assert NO_DATA in texts(empty)
    assert not list(empty.iter(f"{NS}circle"))
    assert parse(trend_line([])).find(f"{NS}title") is not None


def test_trend_points_are_higher_for_higher_values() -> None:
    root = parse(trend_line([("a", 60.0), ("b", 95.0)]))
    ys = [float(c.get("cy", "0")) for c in root.iter(f"{NS}circle")]
    assert ys[1] < ys[0]

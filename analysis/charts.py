"""Server-rendered SVG charts (pure strings, no scripts or external resources) for the office pages and the PDF."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from .formatting import fmt_int, fmt_pct

NO_DATA = "không có dữ liệu"
LOW_N_MARK = "n nhỏ"
TARGET_LABEL = "Mục tiêu"

# Geometry in viewBox units; the SVG scales to its container (width 100%), so phones and print both stay sharp.
_W = 420
_PAD = 12
_BAR_X0 = _PAD
_BAR_X1 = 300
_VALUE_X = 310
_FONT = 15
_SMALL = 13
_LABEL_LINE = 18
_BAR_H = 16
_LABEL_CHARS = 38

# Sans for charts (legible when small); Liberation Sans is metric-compatible with Arial and has Vietnamese.
_FAMILY = "'Liberation Sans', Arial, 'DejaVu Sans', sans-serif"
_INK = "#1a1a1a"
_MUTED = "#5c5c5c"
_GRID = "#c8c8c8"
_BAR = "#1f4e79"
_BAR_LOW = "#8fb0d3"
_WHISKER = "#000000"
_TARGET = "#b3261e"


@dataclass(frozen=True)
class Bar:
    """One horizontal bar: an index 0–100 with its 95% interval, n and whether n is too small to rank on."""

    label: str
    value: float | None
    low: float | None
    high: float | None
    n: int
    low_n: bool


def element_bars(bars: Sequence[Bar], *, target: float | None = None, title: str = "") -> str:
    """Horizontal 0–100 bars with interval whiskers, value and n, low-n marked, optional dashed target line."""
    uid = _uid("bars", title, repr(bars), repr(target))
    rows: list[str] = []
    spans: list[tuple[float, float]] = []
    y = _PAD + _SMALL + 6  # room for the axis labels on top
    axis_top = y + 2
    for bar in bars:
        lines = _wrap(bar.label, _LABEL_CHARS)
        for i, line in enumerate(lines):
            y += _LABEL_LINE
            rows.append(_text(_PAD, y - 4, line, size=_FONT))
            if i == 0:
                rows.append(_n_text(bar, y - 4))
        bar_y = y + 2
        rows.append(_bar_row(bar, bar_y, uid))
        spans.append((bar_y - 4, bar_y + _BAR_H + 4))
        y = bar_y + _BAR_H + 12
    if not bars:
        y += _LABEL_LINE
        rows.append(_text(_PAD, y, NO_DATA, size=_FONT, fill=_MUTED, italic=True))
        y += 12
    axis_bottom = y - 6
    height = y + (_SMALL + 8 if target is not None else 4)
    grid = _grid(axis_top, spans)
    target_mark = _target_v(target, spans, axis_bottom) if target is not None else ""
    desc = "; ".join(_bar_desc(b) for b in bars) or NO_DATA
    if target is not None:
        desc += f". {TARGET_LABEL}: {fmt_pct(target, 0)}"
    defs = (
        f'<defs><pattern id="{uid}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{_BAR_LOW}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2.5"/></pattern></defs>'
    )
    return _svg(uid, title or "Chỉ số theo yếu tố", desc, _W, height, defs + grid + "".join(rows) + target_mark)


def trend_line(points: Sequence[tuple[str, float | None]], *, target: float | None = None, title: str = "") -> str:
    """A 0–100-scaled line over periods, broken where a period has no value, with an optional dashed target."""
    uid = _uid("trend", title, repr(points), repr(target))
    height = 250 if target is not None else 232
    left, right, top, bottom = 56, _W - 30, 22, 192
    values = [v for _, v in points if v is not None]
    desc_parts = [f"{label}: {fmt_pct(v) if v is not None else NO_DATA}" for label, v in points]
    desc = "; ".join(desc_parts) or NO_DATA
    if target is not None:
        desc += f". {TARGET_LABEL}: {fmt_pct(target, 0)}"
    if not values:
        body = _text(_W / 2, height / 2, NO_DATA, size=_FONT, fill=_MUTED, italic=True, anchor="middle")
        return _svg(uid, title or "Xu hướng", desc, _W, height, body)
    floor_candidates = [*values, *([target] if target is not None else [])]
    lo = max(0.0, min(50.0, 10.0 * int(min(floor_candidates) // 10) - 10.0))
    hi = 100.0

    def sy(v: float) -> float:
        return bottom - (min(max(v, lo), hi) - lo) / (hi - lo) * (bottom - top)

    step = (right - left) / max(len(points) - 1, 1)

    def sx(i: int) -> float:
        return left + (i * step if len(points) > 1 else (right - left) / 2)

    parts: list[str] = []
    tick = 10.0 if hi - lo <= 50 else 20.0
    v = lo
    while v <= hi + 1e-9:
        parts.append(_line(left, sy(v), right, sy(v), stroke=_GRID))
        parts.append(_text(left - 8, sy(v) + 4, fmt_pct(v, 0), size=_SMALL - 1, fill=_MUTED, anchor="end"))
        v += tick
    if target is not None:
        ty = sy(target)
        parts.append(_line(left, ty, right, ty, stroke=_TARGET, dash=True, width=1.5))
        legend_y = bottom + 44
        parts.append(_line(right - 130, legend_y - 4, right - 104, legend_y - 4, stroke=_TARGET, dash=True, width=1.5))
        parts.append(_text(right - 98, legend_y, f"{TARGET_LABEL} {fmt_pct(target, 0)}", size=_SMALL - 1, fill=_TARGET))
    run: list[str] = []
    for i, (_, value) in enumerate(points):
        if value is None:
            if len(run) > 1:
                parts.append(_polyline(run))
            run = []
            continue
        run.append(f"{sx(i):.1f},{sy(value):.1f}")
    if len(run) > 1:
        parts.append(_polyline(run))
    for i, (label, value) in enumerate(points):
        x = sx(i)
        parts.append(_text(x, bottom + 18, label, size=_SMALL - 1, fill=_INK, anchor="middle"))
        if value is None:
            parts.append(_text(x, bottom - 6, "–", size=_SMALL, fill=_MUTED, anchor="middle"))
            continue
        y = sy(value)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{_BAR}"/>')
        parts.append(_text(x, y - 9, fmt_pct(value), size=_SMALL - 1, fill=_INK, anchor="middle"))
    return _svg(uid, title or "Xu hướng", desc, _W, height, "".join(parts))


def _bar_row(bar: Bar, y: float, uid: str) -> str:
    """One bar with its whisker and value text, or the no-data note."""
    out: list[str] = []
    mid = y + _BAR_H / 2
    if bar.value is None:
        out.append(_text(_BAR_X0 + 4, mid + 5, NO_DATA, size=_SMALL, fill=_MUTED, italic=True))
        return "".join(out)
    width = max(_scale(bar.value) - _BAR_X0, 0.0)
    fill = f"url(#{uid}-hatch)" if bar.low_n else _BAR
    stroke = f' stroke="{_BAR}" stroke-width="0.8"' if bar.low_n else ""
    out.append(f'<rect x="{_BAR_X0}" y="{y:.1f}" width="{width:.1f}" height="{_BAR_H}" fill="{fill}"{stroke}/>')
    if bar.low is not None and bar.high is not None:
        x0, x1 = _scale(bar.low), _scale(bar.high)
        out.append(_line(x0, mid, x1, mid, stroke=_WHISKER, width=1.4))
        out.append(_line(x0, mid - 5, x0, mid + 5, stroke=_WHISKER, width=1.4))
        out.append(_line(x1, mid - 5, x1, mid + 5, stroke=_WHISKER, width=1.4))
    value = fmt_pct(bar.value)
    out.append(_text(_VALUE_X, mid + 5, value, size=_FONT, fill=_INK, bold=True))
    return "".join(out)


def _n_text(bar: Bar, y: float) -> str:
    """Right-aligned "n = 123" on a bar's label line, with a red "n nhỏ" when n is too small to rank on."""
    low = ""
    if bar.low_n and bar.value is not None:
        low = f'<tspan fill="{_TARGET}" font-style="italic"> · {escape(LOW_N_MARK)}</tspan>'
    return (
        f'<text x="{_W - _PAD:.1f}" y="{y:.1f}" font-size="{_SMALL}" fill="{_MUTED}" text-anchor="end">'
        f"n = {escape(fmt_int(bar.n))}{low}</text>"
    )


def _bar_desc(bar: Bar) -> str:
    """Plain-text reading of one bar for screen readers."""
    if bar.value is None:
        return f"{bar.label}: {NO_DATA} (n = {fmt_int(bar.n)})"
    ci = f", khoảng tin cậy 95% {fmt_pct(bar.low)}–{fmt_pct(bar.high)}" if bar.low is not None else ""
    low = f", {LOW_N_MARK}" if bar.low_n else ""
    return f"{bar.label}: {fmt_pct(bar.value)}{ci} (n = {fmt_int(bar.n)}{low})"


def _grid(top: float, spans: Sequence[tuple[float, float]]) -> str:
    """Axis labels at 0, 25, 50, 75, 100% and grid lines across the bar rows only (never over labels)."""
    out: list[str] = []
    for v in (0, 25, 50, 75, 100):
        x = _scale(v)
        out.append(_text(x, top - 5, fmt_pct(v, 0), size=_SMALL - 2, fill=_MUTED, anchor="middle"))
        out.extend(_line(x, a, x, b, stroke=_GRID) for a, b in spans)
    return "".join(out)


def _target_v(target: float, spans: Sequence[tuple[float, float]], bottom: float) -> str:
    """Dashed target line across each bar row (never over the labels), labelled under the bars."""
    x = _scale(target)
    label = f"{TARGET_LABEL} {fmt_pct(target, 0)}"
    lines = "".join(_line(x, top, x, end, stroke=_TARGET, dash=True, width=1.6) for top, end in spans)
    return lines + _text(x, bottom + _SMALL + 2, label, size=_SMALL - 1, fill=_TARGET, anchor="middle")


def _scale(v: float) -> float:
    """0–100 to the bar area's x."""
    return _BAR_X0 + (min(max(v, 0.0), 100.0) / 100.0) * (_BAR_X1 - _BAR_X0)


def _wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap to at most two lines (the second ends in an ellipsis if still too long)."""
    words = text.split()
    lines: list[str] = []
    current = ""
    for word in words:
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    lines.append(current)
    if len(lines) > 2:
        second = " ".join(lines[1:])
        lines = [lines[0], second[: width - 1].rstrip() + "…"]
    return lines


def _uid(*parts: str) -> str:
    """A stable id prefix so several charts can sit on one page without clashing ids."""
    return "c" + hashlib.sha1("\x1f".join(parts).encode(), usedforsecurity=False).hexdigest()[:10]


def _svg(uid: str, title: str, desc: str, width: float, height: float, body: str) -> str:
    """The root element: scalable, accessible (title/desc), no external references."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" role="img" font-family="{_FAMILY}" '
        f'aria-labelledby="{uid}-title {uid}-desc" class="chart">'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>'
        f"{body}</svg>"
    )


def _text(
    x: float,
    y: float,
    text: str,
    *,
    size: float,
    fill: str = _INK,
    anchor: str = "start",
    bold: bool = False,
    italic: bool = False,
) -> str:
    """An escaped text element with presentation attributes only (no style attribute, CSP-safe)."""
    extra = (' font-weight="bold"' if bold else "") + (' font-style="italic"' if italic else "")
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{fill}"{anchor_attr}{extra}>{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, *, stroke: str, width: float = 1.0, dash: bool = False) -> str:
    """A straight line."""
    dash_attr = ' stroke-dasharray="6 4"' if dash else ""
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" '
        f'stroke-width="{width}"{dash_attr}/>'
    )


def _polyline(points: list[str]) -> str:
    """A connected run of the trend line."""
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="{_BAR}" stroke-width="2.2"/>'

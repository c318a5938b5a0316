"""Numbers written the Vietnamese way (decimal comma, dot thousands): one formatter for tables, charts and text."""

from __future__ import annotations

import math


def fmt_num(value: float | None, digits: int = 2, *, blank: str = "–") -> str:
    """A number the Vietnamese way (decimal comma, dot thousands): the one formatter for tables and text."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return blank
    text = f"{float(value):,.{digits}f}" if digits else f"{round(float(value)):,d}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_int(value: int | None, *, blank: str = "–") -> str:
    """A count with Vietnamese thousands dots ("100.000")."""
    return blank if value is None else fmt_num(value, 0)


def fmt_pct(value: float | None, digits: int = 2, *, blank: str = "–") -> str:
    """A percentage like "87,16%"."""
    return blank if value is None else f"{fmt_num(value, digits)}%"


def fmt_diff(value: float | None, digits: int = 2, *, blank: str = "–") -> str:
    """A signed difference in points like "+1,25" or "−0,40" (a zero has no sign)."""
    if value is None:
        return blank
    text = fmt_num(abs(value), digits)
    if round(value, digits) == 0:
        return text
    return f"+{text}" if value > 0 else f"−{text}"


def fmt_ci(bounds: list[float] | tuple[float, float] | None, digits: int = 2, *, blank: str = "–") -> str:
    """A 95% interval like "85,10–89,02"."""
    if not bounds:
        return blank
    return f"{fmt_num(bounds[0], digits)}–{fmt_num(bounds[1], digits)}"

"""How many answers are enough: sample sizes for a margin of error, and target calls that respect the interval.

Textbook (Cochran 1977, eq. 4.2 and the finite-population correction 4.3): n0 = z^2 p (1 - p) / e^2 for a
proportion p and margin e (both as fractions), and n = n0 / (1 + (n0 - 1) / N) for a population of N.
For an index that is not one proportion (SIPAS averages statements whose answers come from the same people),
the last quarter's own interval says how variable it is: with its half-width h at 95% and its n responses,
the design effect is deff = (h / z95)^2 / (p (1 - p) / n), and n = deff * n0. Both give whole responses,
rounded up.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

from .intervals import Z95

#: Fewer responses than this and the last quarter's interval is too rough to plan from: use the textbook.
MIN_OBSERVED = 30


def z_value(confidence: float) -> float:
    """The two-sided normal quantile of a confidence level in percent (95 -> 1.96)."""
    if not 50 <= confidence < 100:
        raise ValueError("confidence must be at least 50 and below 100 (percent)")
    return NormalDist().inv_cdf(0.5 + confidence / 200)


def textbook(margin: float, confidence: float = 95.0, p: float = 0.5, population: int | None = None,
             deff: float = 1.0) -> int:
    """Responses needed for a margin (percentage points) at a confidence (percent), Cochran's formula.

    p is the expected proportion (0..1; 0.5 when unknown, the most cautious), `population` the number of
    people served in the period (the finite-population correction; None for a large population).
    """
    if margin <= 0:
        raise ValueError("margin must be positive")
    if not 0 <= p <= 1:
        raise ValueError("p must be between 0 and 1")
    e = margin / 100.0
    n0 = deff * z_value(confidence) ** 2 * p * (1 - p) / (e * e)
    if population is not None:
        if population <= 0:
            raise ValueError("population must be positive")
        n0 = n0 / (1 + (n0 - 1) / population)
    return max(1, math.ceil(n0 - 1e-9))


def design_effect(index: float, ci95: Sequence[float], n: int) -> float | None:
    """How much wider the index's 95% interval is than one proportion's of the same n, squared."""
    p = index / 100.0
    if n <= 0 or not 0 < p < 1:
        return None
    half = (ci95[1] - ci95[0]) / 2 / 100.0
    se = half / Z95
    return (se * se) / (p * (1 - p) / n)


@dataclass(frozen=True)
class Plan:
    """Responses needed for a margin, and how they were worked out."""

    needed: int
    basis: str  # "observed" (last quarter's proportion and design effect) or "textbook"
    p: float
    deff: float


def plan(margin: float, confidence: float = 95.0, *, index: float | None = None, ci95: Sequence[float] | None = None,
         n: int = 0, population: int | None = None) -> Plan:
    """Responses needed for a margin: from an observed index, interval and n when there are enough, else textbook."""
    if index is not None and ci95 is not None and n >= MIN_OBSERVED:
        deff = design_effect(index, ci95, n)
        if deff is not None:
            p = index / 100.0
            return Plan(textbook(margin, confidence, p, population, deff), "observed", p, deff)
    return Plan(textbook(margin, confidence, 0.5, population), "textbook", 0.5, 1.0)


#: Beyond this many times the responses at hand, "about N more" is no plan: the estimate sits on the target.
FAR_BEYOND = 10


def target_call(index: float | None, ci95: Sequence[float] | None, n: int, target: float) -> dict[str, Any]:
    """Whether a target is met, as the point estimate says and as the 95% interval allows.

    call: "met" when the interval's lower bound is at or above the target, "not_met" when its upper bound is
    below, "undecided" when the interval contains it (the data cannot tell). For undecided, `more` is about how
    many more responses would shrink the interval's side facing the target to the distance between the
    estimate and the target, if the estimate stayed where it is (None when they are equal). When that would take
    more than `FAR_BEYOND` times the responses at hand, `more` is None and `too_close` is True: the estimate sits so
    near the target that collecting more is no practical way to decide, and a six-digit count would mislead.
    """
    if index is None:
        return {"target": target, "index": None, "ci95": None, "point_met": None, "gap": None, "call": None,
                "more": None, "too_close": False}
    out: dict[str, Any] = {
        "target": target,
        "index": index,
        "ci95": list(ci95) if ci95 else None,
        "point_met": index >= target,
        "gap": round(max(target - index, 0.0), 2),
        "call": None,
        "more": None,
        "too_close": False,
    }
    if not ci95:
        return out
    low, high = ci95
    if low >= target:
        out["call"] = "met"
    elif high < target:
        out["call"] = "not_met"
    else:
        out["call"] = "undecided"
        distance = abs(index - target)
        side = (high - index) if index < target else (index - low)
        if distance >= 0.005 and side > 0 and n > 0:
            more = max(1, math.ceil(n * (side / distance) ** 2 - n))
            if more > FAR_BEYOND * n:
                out["too_close"] = True
            else:
                out["more"] = more
        elif n > 0:
            out["too_close"] = True
    return out


def about(count: int) -> int:
    """A count rounded to two significant figures, for "about N more responses"."""
    if count < 100:
        return count
    digits = len(str(count)) - 2
    return int(math.ceil(count / 10**digits) * 10**digits)

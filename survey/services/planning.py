"""How many responses a quarter needs, per service point and for the ward, and how far each point is."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from hailong.analysis import planner
from hailong.analysis.periods import parse_period, quarter_of

from ..extensions import db
from ..models import Organisation, ServicePoint
from . import patterns


def plan(ward: Organisation | int, kind: str, margin: float, confidence: float, today: date,
         population: int | None = None) -> dict[str, Any]:
    """Responses needed for a margin of error on the overall index: per point and for the ward (the kind).

    From last quarter's index, interval and n where it had at least planner.MIN_OBSERVED responses (its own
    design effect), else Cochran's textbook formula with p = 0.5. `population` (people served in a quarter)
    applies the finite-population correction to the ward's figure.
    """
    ward_id = ward if isinstance(ward, int) else ward.id
    current = parse_period(quarter_of(today))
    last = current.previous()
    points = list(db.session.scalars(
        select(ServicePoint).where(ServicePoint.organisation_id == ward_id, ServicePoint.kind == kind)
        .order_by(ServicePoint.name)))
    ids = [p.id for p in points]
    before = patterns.results(last, kind, ids, by_point=True) if ids else {}
    now = patterns.results(current, kind, ids, by_point=True) if ids else {}
    rows = []
    for p in points:
        found = before.get(p.id)
        this = int(now[p.id]["responses"]) if p.id in now else 0
        if found is None and not p.active:
            continue
        rows.append({"code": p.code, "name": p.name, "active": p.active,
                     **_row(found, margin, confidence, None, this)})
    whole = patterns.results(last, kind, ids).get(0) if ids else None
    this_total = sum(int(r["responses"]) for r in now.values())
    return {
        "kind": kind,
        "margin": margin,
        "confidence": confidence,
        "population": population,
        "last_period": last.label,
        "current_period": current.label,
        "points": rows,
        "ward": _row(whole, margin, confidence, population, this_total),
    }


def _row(result: dict[str, Any] | None, margin: float, confidence: float, population: int | None,
         this_quarter: int) -> dict[str, Any]:
    overall = (result or {}).get("overall") or {}
    n = int((result or {}).get("responses") or 0)
    made = planner.plan(margin, confidence, index=overall.get("index"), ci95=overall.get("ci95"), n=n,
                        population=population)
    return {
        "last_n": n,
        "last_index": overall.get("index"),
        "last_ci95": overall.get("ci95"),
        "deff": round(made.deff, 3),
        "basis": made.basis,
        "needed": made.needed,
        "this_quarter": this_quarter,
        "progress": round(100.0 * this_quarter / made.needed, 1) if made.needed else None,
        "missing": max(made.needed - this_quarter, 0),
    }


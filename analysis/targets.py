"""The ward's plan targets for the overall satisfaction index, read by the dashboard, its charts and the report."""

from __future__ import annotations

from typing import Any

#: The 2026 plan (domain.md): at least 90% satisfaction with public health and education services.
TARGETS: dict[str, float] = {"health": 90.0, "education": 90.0}


def target(kind: str) -> float | None:
    """The plan's target index for a kind of service, if it has one."""
    return TARGETS.get(kind)


def target_gap(kind: str, index: float | None) -> dict[str, Any] | None:
    """Whether a kind's overall index meets its target, and by how many points it falls short."""
    goal = target(kind)
    if goal is None:
        return None
    if index is None:
        return {"target": goal, "met": None, "gap": None}
    return {"target": goal, "met": index >= goal, "gap": round(max(goal - index, 0.0), 2)}

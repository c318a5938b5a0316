"""Where citizens give up: the paged form's funnel from per-page counts (pure; the counts are summed in SQL).

For each page of one questionnaire version: forms that reached it, forms sent from it ("Gửi luôn", or "Gửi phiếu"
on the last page), and forms that stopped there without being sent (reached, but neither went on nor were sent).
A form counts from its first button press, so page 1's "reached" is the number of forms started.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One page of the funnel."""

    page: int
    reached: int
    sent: int
    stopped: int
    #: Share of started forms that reached this page (percent), None when none started.
    reached_pct: float | None


@dataclass(frozen=True)
class Funnel:
    """The funnel of one questionnaire version over a filter."""

    steps: tuple[Step, ...]
    started: int
    sent: int

    @property
    def sent_pct(self) -> float | None:
        """Share of started forms that were sent (percent)."""
        return 100.0 * self.sent / self.started if self.started else None


def funnel(pages: int, counts: Mapping[int, tuple[int, int]]) -> Funnel:
    """The funnel of a form with `pages` pages from {page: (reached, sent)}; pages without counts are zeros.

    Stopped on page p = reached(p) - reached(p + 1) - sent(p), never below zero (a page's counts can trail its
    neighbour's by the forms in flight when the period ends).
    """
    reached = [counts.get(p, (0, 0))[0] for p in range(1, pages + 1)]
    sent = [counts.get(p, (0, 0))[1] for p in range(1, pages + 1)]
    started = reached[0] if reached else 0
    steps = []
    for i in range(pages):
        further = reached[i + 1] if i + 1 < pages else 0
        steps.append(Step(
            page=i + 1, reached=reached[i], sent=sent[i], stopped=max(0, reached[i] - further - sent[i]),
            reached_pct=100.0 * reached[i] / started if started else None,
        ))
    return Funnel(tuple(steps), started, sum(sent))

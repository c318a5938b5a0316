"""Post-stratification by raking: weights that make who answered look like who lives in the ward.

Respondents are grouped in cells by their profile answers (sex x age group). Raking (iterative proportional
fitting, Deming & Stephan 1940) scales the cells' weights until the weighted share of each category of each
dimension equals the ward's population share (the margins an admin enters), alternating over the dimensions.
Weights are then trimmed at TRIM_CAP times the mean weight and raked again, in turns, until no weight
exceeds the cap (Battaglia, Izrael, Hoaglin & Frankel 2009, "Practical considerations in raking survey
data"): after the last trim a margin may be missed by a little, reported as `margin_error`.

Reported with every weighted figure: Kish's effective sample size n_eff = (sum w)^2 / sum w^2 and the design
effect of weighting deff = n / n_eff. Respondents whose sex or age group is not in the margins (skipped, or
"khác" when the margins only have nam/nữ) cannot be weighted and are left out of the weighted figures (their
number is reported). The interval of a weighted index resamples responses and rakes every replicate again,
so it includes the weights' own variability.

The implementation is small and numpy-only (the well-kept raking libraries pull in heavy dependencies or are
unmaintained); tests/analysis/test_weighting.py checks it against the ipfn package and against the raking
solution's defining properties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from .intervals import (
    BOOTSTRAP_REPLICATES,
    BOOTSTRAP_SEED,
    DEFAULT_ADJUSTMENT,
    Z95,
    _adjusted,
    _block,
    _estimates,
    bootstrap_method,
)

#: Weights above this multiple of the mean are trimmed (and the rest raked again).
TRIM_CAP = 5.0
MAX_ITERATIONS = 500
TOLERANCE = 1e-9  # largest relative difference between a weighted and a target margin at convergence
REPLICATE_TOLERANCE = 1e-6  # the same for bootstrap replicates (their spread is what matters there)
REPLICATE_ITERATIONS = 200
MAX_TRIM_ROUNDS = 10

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


class RakingError(ValueError):
    """Margins that cannot be met: `reason` says why ("empty_category", "not_converged", "no_responses")."""

    def __init__(self, reason: str, dimension: str | None = None, category: str | None = None,
                 share: float | None = None) -> None:
        self.reason, self.dimension, self.category, self.share = reason, dimension, category, share
        detail = f" ({dimension}={category}, {100 * (share or 0):.1f}% of the population)" if category else ""
        super().__init__(f"cannot rake to these margins: {reason}{detail}")


@dataclass(frozen=True)
class Margins:
    """Population shares per category of each dimension, e.g. {"gender": {"male": 0.49, "female": 0.51}}."""

    shares: Mapping[str, Mapping[str, float]]
    source: str = ""

    @classmethod
    def from_counts(cls, counts: Mapping[str, Mapping[str, float]], source: str = "") -> Margins:
        """Margins from population counts (each dimension normalised to shares; a category of 0 people is not a
        target, so its respondents are left out like those who did not answer; empty dimensions dropped)."""
        shares: dict[str, dict[str, float]] = {}
        for dim, cats in counts.items():
            total = float(sum(cats.values()))
            if total > 0:
                shares[dim] = {c: float(v) / total for c, v in cats.items() if v > 0}
        return cls(shares, source)

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.shares)


@dataclass
class Cells:
    """Respondent cells: each cell's category per dimension and its number of responses."""

    dimensions: tuple[str, ...]
    keys: list[tuple[str, ...]]
    counts: FloatArray
    index: dict[tuple[str, ...], int] = field(default_factory=dict)

    @classmethod
    def of(cls, dimensions: Sequence[str], counts: Mapping[tuple[str, ...], float]) -> Cells:
        keys = sorted(counts)
        return cls(tuple(dimensions), keys, np.array([float(counts[k]) for k in keys]),
                   {k: i for i, k in enumerate(keys)})


@dataclass(frozen=True)
class Weights:
    """The raked weight of each cell (mean weight 1 over the responses weighted) and what to report with it."""

    cells: Cells
    weights: FloatArray
    n: int
    n_eff: float
    deff: float
    trimmed: bool
    margin_error: float  # largest |weighted share - target share|, in percentage points
    iterations: int

    def of(self, key: tuple[str, ...]) -> float | None:
        i = self.cells.index.get(key)
        return None if i is None else float(self.weights[i])

    def summary(self) -> dict[str, Any]:
        w = self.weights[self.cells.counts > 0]
        return {
            "responses_used": self.n,
            "n_eff": round(self.n_eff, 1),
            "deff": round(self.deff, 3),
            "min_weight": round(float(w.min()), 3) if w.size else None,
            "max_weight": round(float(w.max()), 3) if w.size else None,
            "trim_cap": TRIM_CAP,
            "trimmed": self.trimmed,
            "margin_error": round(self.margin_error, 3),
            "cells": [
                {**dict(zip(self.cells.dimensions, key, strict=True)), "responses": int(c),
                 "weight": round(float(f), 4)}
                for key, c, f in zip(self.cells.keys, self.cells.counts, self.weights, strict=True)
            ],
        }


def _design(cells: Cells, margins: Margins) -> tuple[list[IntArray], list[FloatArray], list[list[str]]]:
    """Per dimension: each cell's category number, the target shares and the category names."""
    cats, targets, names = [], [], []
    for d, dim in enumerate(cells.dimensions):
        order = list(margins.shares[dim])
        position = {c: i for i, c in enumerate(order)}
        cats.append(np.array([position[key[d]] for key in cells.keys], dtype=np.int64))
        targets.append(np.array([margins.shares[dim][c] for c in order], dtype=np.float64))
        names.append(order)
    return cats, targets, names


def check(cells: Cells, margins: Margins) -> None:
    """Refuse margins that cannot be met: a category with people in the ward and nobody in the sample."""
    if cells.counts.sum() <= 0:
        raise RakingError("no_responses")
    for d, dim in enumerate(cells.dimensions):
        seen = {key[d] for key, c in zip(cells.keys, cells.counts, strict=True) if c > 0}
        for category, share in margins.shares[dim].items():
            if share > 0 and category not in seen:
                raise RakingError("empty_category", dim, category, share)


def rake_batch(counts: FloatArray, cats: Sequence[IntArray], targets: Sequence[FloatArray], *,
               cap: float | None = TRIM_CAP, tolerance: float = TOLERANCE, max_iterations: int = MAX_ITERATIONS
               ) -> tuple[FloatArray, npt.NDArray[np.bool_], int, FloatArray]:
    """Rake many samples at once: counts is samples x cells; returns (weights, converged, iterations, error).

    Weights are per cell, scaled so each sample's mean weight over its responses is 1. A sample with nobody in
    a category that has a target share cannot be raked: its weights are NaN and it is not converged. `error` is
    each sample's largest |weighted share - target share| after the last trim (a fraction).
    """
    rows, width = counts.shape
    onehots = [np.eye(t.size)[c] for c, t in zip(cats, targets, strict=True)]  # cells x categories
    feasible = np.ones(rows, dtype=np.bool_)
    for onehot, t in zip(onehots, targets, strict=True):
        feasible &= ~np.any(((counts @ onehot) <= 0) & (t[None, :] > 0), axis=1)
    f = np.full((rows, width), np.nan)
    converged = np.zeros(rows, dtype=np.bool_)
    error = np.full(rows, np.nan)
    iterations = 0
    if not feasible.any():
        return f, converged, iterations, error
    c = counts[feasible]
    n = c.sum(axis=1, keepdims=True)
    goal = [t[None, :] * n for t in targets]
    w = np.ones_like(c)
    settled = np.zeros(c.shape[0], dtype=np.bool_)
    failed = np.zeros(c.shape[0], dtype=np.bool_)
    again = np.ones(c.shape[0], dtype=np.bool_)  # samples to rake (all at first, then those trimmed)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _round in range(MAX_TRIM_ROUNDS):
            active = again.copy()
            previous = np.full(c.shape[0], np.inf)
            gap_all = np.full(c.shape[0], np.inf)
            for step in range(max_iterations):
                iterations += 1
                # Whole-array updates (a finished sample's factors are 1): cheaper than gathering the active ones.
                for onehot, g in zip(onehots, goal, strict=True):
                    totals = (c * w) @ onehot
                    ratio = np.divide(g, totals, out=np.ones_like(totals), where=(totals > 0) & active[:, None])
                    w = w * (ratio @ onehot.T)
                if step % 4 != 3 and step != max_iterations - 1:
                    continue
                gap = _margin_error(c, w, onehots, goal)
                gap_all = np.where(active, gap, gap_all)
                # Margins that cannot be met together send some weights to 0 or infinity: give up on those.
                broken = active & (~np.isfinite(gap) | ~np.all(np.isfinite(w), axis=1)
                                   | (np.nanmax(np.where(np.isfinite(w), w, np.inf), axis=1) > 1e9))
                failed |= broken
                w[broken] = 1.0
                # A gap that no longer shrinks will not close (the cells' empty corners forbid it): stop there.
                stuck = gap > previous * (1 - 1e-4)
                previous = np.where(active, gap, previous)
                active &= (gap >= tolerance) & ~broken & ~stuck
                if not active.any():
                    break
            settled[again] = (gap_all[again] < tolerance) & ~failed[again]
            w[again] = _normalise(c[again], w[again])
            if cap is None:
                break
            # Trim and rake again; a sample whose raking stalled would only stall again, so it is trimmed once.
            again = np.any(w > cap * (1 + 1e-12), axis=1) & settled
            if not again.any():
                break
            w[again] = np.minimum(w[again], cap)
        if cap is not None:
            w = np.minimum(_normalise(c, w), cap)
        weighted = c * w
        total = np.maximum(weighted.sum(axis=1, keepdims=True), 1e-300)
        gaps = [np.abs((weighted @ onehot) / total - t[None, :]).max(axis=1)
                for onehot, t in zip(onehots, targets, strict=True)]
    w[failed] = np.nan
    done = settled & ~failed
    f[feasible] = w
    converged[feasible] = done
    error[feasible] = np.max(np.stack(gaps), axis=0)
    return f, converged, iterations, error


def _margin_error(counts: FloatArray, f: FloatArray, onehots: Sequence[FloatArray], goal: Sequence[FloatArray]
                  ) -> FloatArray:
    """Largest relative gap between weighted and target category totals, per sample."""
    gaps = []
    for onehot, g in zip(onehots, goal, strict=True):
        totals = (counts * f) @ onehot
        gaps.append(np.max(np.abs(totals - g) / np.maximum(g, 1e-12), axis=1))
    return np.max(np.stack(gaps), axis=0)


def _normalise(counts: FloatArray, f: FloatArray) -> FloatArray:
    """Scale each sample's weights to a mean of 1 over its responses."""
    total = (counts * f).sum(axis=1, keepdims=True)
    n = counts.sum(axis=1, keepdims=True)
    return np.asarray(f * np.divide(n, total, out=np.ones_like(total), where=total > 0))


def rake(cells: Cells, margins: Margins, *, cap: float | None = TRIM_CAP) -> Weights:
    """Raked (and trimmed) weights of the cells; RakingError when the margins cannot be met."""
    check(cells, margins)
    cats, targets, _ = _design(cells, margins)
    f, converged, iterations, error = rake_batch(cells.counts[None, :], cats, targets, cap=cap)
    weights = f[0]
    if not converged[0]:
        raise RakingError("not_converged")
    c = cells.counts
    total, squares = float(c @ weights), float(c @ (weights * weights))
    n = round(float(c.sum()))
    n_eff = total * total / squares if squares > 0 else 0.0
    trimmed = bool(cap is not None and np.any(weights[c > 0] >= cap * (1 - 1e-9)))
    return Weights(cells, weights, n, n_eff, n / n_eff if n_eff else float("nan"), trimmed,
                   100.0 * float(error[0]), iterations)


#: One row of the weighted pattern table: (cell key, bit codes, sat_mask, valid_mask, count).
CellPattern = tuple[tuple[str, ...], tuple[str, ...], int, int, int]


def weighted_indices(
    codes: Sequence[str],
    groups: Sequence[Sequence[int]],
    rows: Sequence[CellPattern],
    margins: Margins,
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    adjust: str = DEFAULT_ADJUSTMENT,
    cap: float | None = TRIM_CAP,
) -> dict[str, Any]:
    """Weighted SIPAS element and overall indices from (cell, pattern) counts, with a re-raked bootstrap interval.

    Rows whose cell has a category outside the margins are left out (counted in `responses_left_out`).
    """
    dims = margins.dimensions
    in_scope = [r for r in rows if all(r[0][d] in margins.shares[dim] for d, dim in enumerate(dims))]
    left_out = sum(r[4] for r in rows) - sum(r[4] for r in in_scope)
    cell_counts: dict[tuple[str, ...], float] = {}
    for key, _bits, _s, _v, count in in_scope:
        cell_counts[key] = cell_counts.get(key, 0.0) + count
    cells = Cells.of(dims, cell_counts)
    weights = rake(cells, margins, cap=cap)
    row_cells = np.array([cells.index[r[0]] for r in in_scope], dtype=np.int64)
    stacked = _row_matrix(codes, in_scope)
    counts = np.array([r[4] for r in in_scope], dtype=np.float64)
    width = len(codes)
    groups_list = [list(g) for g in groups]
    w_rows = weights.weights[row_cells]
    totals = (counts * w_rows) @ stacked
    elements, overall = _estimates(totals[None, :width], totals[None, width:], groups_list)
    unweighted = counts @ stacked
    _, plain = _estimates(unweighted[None, :width], unweighted[None, width:], groups_list)
    ci = _weighted_interval(counts, row_cells, stacked, width, groups_list, cells, margins, float(overall[0]),
                            replicates, seed, adjust, cap)
    estimate = None if np.isnan(overall[0]) else float(overall[0])
    return {
        "index": None if estimate is None else round(estimate, 2),
        "ci95": None if ci is None or estimate is None else [round(min(ci[0], estimate), 2),
                                                              round(max(ci[1], estimate), 2)],
        "ci_method": (bootstrap_method(replicates, seed, adjust) + ", raked again in every replicate"
                      if ci is not None else None),
        "unweighted_same_responses": None if np.isnan(plain[0]) else round(float(plain[0]), 2),
        "responses_left_out": int(left_out),
        "elements": [None if np.isnan(e) else round(float(e), 2) for e in elements[0]],
        "dimensions": list(dims),
        "margins_source": margins.source,
        **weights.summary(),
    }


def _row_matrix(codes: Sequence[str], rows: Sequence[CellPattern]) -> FloatArray:
    """Each row's satisfied and valid bits over `codes` (mapped by name across versions), side by side."""
    index = {code: i for i, code in enumerate(codes)}
    out = np.zeros((len(rows), 2 * len(codes)))
    by_version: dict[tuple[str, ...], list[int]] = {}
    for i, row in enumerate(rows):
        by_version.setdefault(row[1], []).append(i)
    for bits, positions in by_version.items():
        sat, valid, _ = _block(bits, [(rows[i][2], rows[i][3], 1) for i in positions], index)
        out[positions] = np.hstack([sat, valid]).astype(np.float64)
    return out


def _weighted_interval(counts: FloatArray, row_cells: IntArray, stacked: FloatArray, width: int,
                       groups: list[list[int]], cells: Cells, margins: Margins, estimate: float, replicates: int,
                       seed: int, adjust: str, cap: float | None) -> tuple[float, float] | None:
    """Resample responses over (cell, pattern) rows, rake each replicate again, weight, estimate."""
    n = int(counts.sum())
    if n == 0 or np.isnan(estimate):
        return None
    cats, targets, _ = _design(cells, margins)
    onehot_cells = np.eye(len(cells.keys))[row_cells]  # rows x cells
    rng = np.random.Generator(np.random.PCG64(seed))
    draws = rng.multinomial(n, counts / n, size=replicates).astype(np.float64)  # replicates x rows
    values = _replicate_estimates(draws, onehot_cells, stacked, width, groups, cats, targets, cap)
    # Jackknife: each row less one response.
    jack_counts = counts[None, :] - np.eye(counts.size)
    jack = _replicate_estimates(jack_counts, onehot_cells, stacked, width, groups, cats, targets, cap)
    return _adjusted(values, estimate, jack, counts, n, adjust, Z95)


def _replicate_estimates(draws: FloatArray, onehot_cells: FloatArray, stacked: FloatArray, width: int,
                         groups: list[list[int]], cats: Sequence[IntArray], targets: Sequence[FloatArray],
                         cap: float | None) -> FloatArray:
    cell_counts = draws @ onehot_cells  # replicates x cells
    f, _converged, _, _ = rake_batch(cell_counts, cats, targets, cap=cap, tolerance=REPLICATE_TOLERANCE,
                                     max_iterations=REPLICATE_ITERATIONS)
    lost = np.isnan(f).any(axis=1)  # a replicate without a category that has people cannot be weighted
    row_weights = np.nan_to_num(f) @ onehot_cells.T  # replicates x rows
    totals = (draws * row_weights) @ stacked
    _, overall = _estimates(totals[:, :width], totals[:, width:], groups)
    # A replicate whose raking stalls short of the margins keeps its nearest weights (dropping it would bias
    # the interval towards the easy samples); one that lost a category is left out.
    overall[lost] = np.nan
    return np.asarray(overall)

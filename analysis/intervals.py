"""Confidence intervals: Wilson for one statement, bootstrap or delta method for elements and overall."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: One row of the pattern table: (bit_codes, sat_mask, valid_mask, count).
Pattern = tuple[tuple[str, ...], int, int, int]
Interval = tuple[float, float]

Z95 = 1.959964
BOOTSTRAP_REPLICATES = 2000
BOOTSTRAP_SEED = 20260101
#: Above this many distinct patterns the delta method replaces the bootstrap.
BOOTSTRAP_MAX_PATTERNS = 2_500  # above this the bootstrap costs > 0.4 s; the delta method agrees within 0.1 point there
DELTA_METHOD = "delta-method normal approximation"

_CHUNK_CELLS = 2_000_000  # replicate weights held in memory at once (rows x patterns)
_MASK_CHUNK = 62  # bits converted per int64 pass
_UINT64 = 1 << 64

BoolMatrix = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def wilson(k: int, n: int, z: float = Z95) -> Interval | None:
    """Wilson score interval of k successes in n trials, in percent; None when n == 0."""
    if n < 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return None
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def bootstrap_method(replicates: int = BOOTSTRAP_REPLICATES, seed: int = BOOTSTRAP_SEED) -> str:
    """The name of the bootstrap method as shown next to its intervals."""
    return f"bootstrap-percentile (B={replicates}, seed={seed}, resampling responses)"


def bootstrap_settings(method: str | None) -> tuple[int, int] | None:
    """(replicates, seed) of a method name made by bootstrap_method, else None: for wording it in a language."""
    found = re.match(r"bootstrap-percentile \(B=(\d+), seed=(\d+)", method or "")
    return (int(found[1]), int(found[2])) if found else None


@dataclass(frozen=True)
class PatternTable:
    """Distinct answer patterns over one questionnaire's statements, with how many responses had each."""

    codes: tuple[str, ...]
    sat: BoolMatrix  # patterns x statements: answer was 4 or 5
    valid: BoolMatrix  # patterns x statements: answer was 1..5
    counts: IntArray  # responses per pattern

    @classmethod
    def build(cls, codes: Sequence[str], patterns: Iterable[Pattern], total: int = 0) -> PatternTable:
        """Map every version's bits to `codes` by name, merge equal rows, pad to `total` responses."""
        index = {code: i for i, code in enumerate(codes)}
        groups: dict[tuple[str, ...], list[tuple[int, int, int]]] = {}
        for bit_codes, sat_mask, valid_mask, count in patterns:
            if count < 0:
                raise ValueError("a pattern count cannot be negative")
            if count:
                groups.setdefault(tuple(bit_codes), []).append((sat_mask, valid_mask, count))
        blocks = [_block(bit_codes, rows, index) for bit_codes, rows in groups.items()]
        seen = sum(int(b[2].sum()) for b in blocks)
        if total > seen:  # responses missing from the pattern rows answered no statement
            empty = np.zeros((1, len(codes)), dtype=np.bool_)
            blocks.append((empty, empty, np.array([total - seen], dtype=np.int64)))
        return _merge(tuple(codes), blocks)

    @property
    def size(self) -> int:
        """Number of distinct patterns."""
        return int(self.counts.size)

    @property
    def responses(self) -> int:
        """Number of responses in the table."""
        return int(self.counts.sum())

    def responses_answering(self, columns: Sequence[int]) -> int:
        """Responses with at least one valid answer among the given statements."""
        if not columns:
            return 0
        hit = self.valid[:, list(columns)].any(axis=1)
        return int(self.counts[hit].sum())

    def comprehensive(self, elements: Sequence[Sequence[int]] = (), min_elements: int = 1) -> tuple[int, int]:
        """(responses counted whose every valid answer is 4-5, responses counted).

        A response is counted when it has a valid answer in at least `min_elements` of the `elements` (groups of
        columns); without elements, when it has any valid answer.
        """
        if elements:
            rated = np.zeros(self.counts.size, dtype=np.int64)
            for columns in elements:
                if columns:
                    rated += self.valid[:, list(columns)].any(axis=1)
            counted = np.asarray(rated >= max(1, min_elements), dtype=np.bool_)
        else:
            counted = np.asarray(self.valid.any(axis=1), dtype=np.bool_)
        all_sat = (self.sat == self.valid).all(axis=1)
        return int(self.counts[counted & all_sat].sum()), int(self.counts[counted].sum())


@dataclass(frozen=True)
class ElementIntervals:
    """95% intervals (percent) per element and overall, and the method that produced them."""

    elements: tuple[Interval | None, ...]
    overall: Interval | None
    method: str


def element_intervals(
    table: PatternTable,
    elements: Sequence[Sequence[int]],
    *,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    max_bootstrap_patterns: int = BOOTSTRAP_MAX_PATTERNS,
    z: float = Z95,
) -> ElementIntervals:
    """Intervals of element and overall indices: percentile bootstrap when small, else delta method."""
    groups = [list(g) for g in elements]
    if table.size <= max_bootstrap_patterns:
        el, ov = _bootstrap(table, groups, replicates, seed)
        return ElementIntervals(el, ov, bootstrap_method(replicates, seed))
    el, ov = _delta(table, groups, z)
    return ElementIntervals(el, ov, DELTA_METHOD)


def _block(
    bit_codes: tuple[str, ...], rows: list[tuple[int, int, int]], index: dict[str, int]
) -> tuple[BoolMatrix, BoolMatrix, IntArray]:
    """Bit matrices over `index`'s codes for the patterns of one questionnaire version."""
    sat = np.zeros((len(rows), len(index)), dtype=np.bool_)
    valid = np.zeros_like(sat)
    targets = [(bit, index[code]) for bit, code in enumerate(bit_codes) if code in index]
    fast = _int64_rows(rows) if len(bit_codes) <= 64 else None
    if fast is not None:
        for col, source in ((1, valid), (0, sat)):
            bits = fast[:, col].view(np.uint64)  # BIGINT two's complement read as the unsigned bit pattern
            for bit, j in targets:
                source[:, j] = ((bits >> np.uint64(bit)) & np.uint64(1)).astype(np.bool_)
        sat &= valid
        return sat, valid, fast[:, 2].copy()
    for col, source in ((1, valid), (0, sat)):
        masks = [r[col] % _UINT64 if r[col] < 0 else r[col] for r in rows]  # BIGINT two's complement
        for first in range(0, len(bit_codes), _MASK_CHUNK):
            part = np.fromiter(((m >> first) & ((1 << _MASK_CHUNK) - 1) for m in masks), np.int64, len(masks))
            for bit, j in targets:
                if first <= bit < first + _MASK_CHUNK:
                    source[:, j] = ((part >> (bit - first)) & 1).astype(np.bool_)
    sat &= valid
    counts = np.fromiter((r[2] for r in rows), np.int64, len(rows))
    return sat, valid, counts


def _int64_rows(rows: list[tuple[int, int, int]]) -> IntArray | None:
    """The rows as one int64 array (one C-level conversion), or None when a mask is outside int64."""
    try:
        return np.array(rows, dtype=np.int64).reshape(-1, 3)
    except OverflowError:
        return None


def _merge(codes: tuple[str, ...], blocks: list[tuple[BoolMatrix, BoolMatrix, IntArray]]) -> PatternTable:
    """Merge identical rows (in a canonical order, so input order never changes a result)."""
    width = len(codes)
    if not blocks:
        empty = np.zeros((0, width), dtype=np.bool_)
        return PatternTable(codes, empty, empty.copy(), np.zeros(0, dtype=np.int64))
    rows = np.vstack([np.hstack([s, v]) for s, v, _ in blocks])
    counts = np.concatenate([c for _, _, c in blocks])
    first, inverse = _unique_rows(rows)
    merged = np.zeros(first.size, dtype=np.int64)
    np.add.at(merged, inverse, counts)
    unique = rows[first]
    return PatternTable(codes, unique[:, :width].copy(), unique[:, width:].copy(), merged)


def _unique_rows(rows: BoolMatrix) -> tuple[IntArray, IntArray]:
    """(index of each distinct row's first copy, in lexicographic row order; each row's distinct number).

    Rows are packed into big-endian 64-bit words, whose numeric order is the rows' lexicographic order, so
    sorting a few integer columns replaces np.unique(axis=0) (a sort of whole rows, 5x slower at 10^5 rows).
    """
    packed = np.packbits(rows, axis=1)
    pad = -packed.shape[1] % 8
    if pad:
        packed = np.hstack([packed, np.zeros((packed.shape[0], pad), dtype=np.uint8)])
    keys = np.ascontiguousarray(packed).view(">u8").astype(np.uint64)
    order = np.lexsort(keys.T[::-1]) if keys.shape[1] > 1 else np.argsort(keys[:, 0], kind="stable")
    ordered = keys[order]
    starts = np.ones(order.size, dtype=np.bool_)
    starts[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(starts) - 1
    return order[starts], inverse


def _estimates(sat: FloatArray, valid: FloatArray, groups: list[list[int]]) -> tuple[FloatArray, FloatArray]:
    """Element and overall indices (NaN when undefined) from rows of per-statement totals."""
    ok = valid > 0
    items = np.divide(100.0 * sat, valid, out=np.zeros_like(sat), where=ok)
    elements = np.stack([_nan_mean(items[:, g], ok[:, g]) for g in groups], axis=1)
    overall = _nan_mean(np.nan_to_num(elements), ~np.isnan(elements))
    return elements, overall


def _nan_mean(values: FloatArray, ok: npt.NDArray[np.bool_]) -> FloatArray:
    """Row means over the cells marked ok; NaN for rows with none (no warning)."""
    n = ok.sum(axis=1)
    total = np.where(ok, values, 0.0).sum(axis=1)
    out = np.full(values.shape[0], np.nan)
    np.divide(total, n, out=out, where=n > 0)
    return out


def _bootstrap(
    table: PatternTable, groups: list[list[int]], replicates: int, seed: int
) -> tuple[tuple[Interval | None, ...], Interval | None]:
    """Percentile intervals from multinomial resampling of the responses over their patterns."""
    n = table.responses
    if n == 0 or not groups:
        return tuple(None for _ in groups), None
    rng = np.random.Generator(np.random.PCG64(seed))
    pvals = table.counts / n
    stacked = np.hstack([table.sat, table.valid]).astype(np.float64)
    width = table.sat.shape[1]
    totals = np.empty((replicates, 2 * width))
    step = max(1, _CHUNK_CELLS // max(1, table.size))
    for start in range(0, replicates, step):
        size = min(step, replicates - start)
        weights = rng.multinomial(n, pvals, size=size)
        totals[start : start + size] = weights @ stacked
    elements, overall = _estimates(totals[:, :width], totals[:, width:], groups)
    return tuple(_percentile(elements[:, i]) for i in range(len(groups))), _percentile(overall)


def _percentile(values: FloatArray) -> Interval | None:
    """2.5th and 97.5th percentiles of the defined replicates; None if there are none."""
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return None
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return float(lo), float(hi)


def _delta(
    table: PatternTable, groups: list[list[int]], z: float
) -> tuple[tuple[Interval | None, ...], Interval | None]:
    """Normal intervals from the linearized (influence) variance, O(patterns x statements)."""
    if table.responses == 0 or not groups:
        return tuple(None for _ in groups), None
    counts = table.counts.astype(np.float64)
    sat_tot = counts @ table.sat.astype(np.float64)
    val_tot = counts @ table.valid.astype(np.float64)
    elements, overall = _estimates(sat_tot[None, :], val_tot[None, :], groups)
    ok = val_tot > 0
    ratio = np.divide(sat_tot, val_tot, out=np.zeros_like(sat_tot), where=ok)
    resid = (table.sat - ratio * table.valid) / np.where(ok, val_tot, 1.0)  # influence of each item
    influence = np.zeros((table.size, len(groups)))
    for i, g in enumerate(groups):
        used = [j for j in g if ok[j]]
        if used:
            influence[:, i] = resid[:, used].mean(axis=1)
    defined = ~np.isnan(elements[0])
    result = tuple(
        _normal(float(elements[0, i]), influence[:, i], counts, z) if defined[i] else None
        for i in range(len(groups))
    )
    if not defined.any():
        return result, None
    return result, _normal(float(overall[0]), influence[:, defined].mean(axis=1), counts, z)


def _normal(estimate: float, influence: FloatArray, counts: FloatArray, z: float) -> Interval:
    """estimate +- z standard errors (variance = sum of squared influences), clipped to 0..100."""
    se = 100.0 * math.sqrt(float(counts @ (influence * influence)))
    return max(0.0, estimate - z * se), min(100.0, estimate + z * se)

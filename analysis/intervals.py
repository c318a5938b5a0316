"""Confidence intervals: Wilson for one statement, bootstrap or delta method for elements and overall."""

from __future__ import annotations

import collections
import functools
import hashlib
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

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
#: From this many responses on the delta method replaces the bootstrap too: bench/coverage.py (300 simulated
#: quarters per row, true overall 80/90/95%) found both covering alike at n = 1000 (delta 94.3-95.3%, expanded
#: BCa 94.6-95.7%, widths equal to 0.1 point), not at n = 500 (at a true 95%: delta 90.7%, expanded BCa 92.7%).
#: A fresh bootstrap of a ward's quarter (1,000-2,500 patterns) costs 0.1-0.4 s: a page after each new answer.
BOOTSTRAP_MAX_RESPONSES = 1_000
DELTA_METHOD = "delta-method normal approximation"
#: How bootstrap replicates become an interval. The default, "bca-expanded", is Efron's bias-corrected and
#: accelerated interval (BCa) read on the tails of Hesterberg's expanded percentile interval (z widened to
#: sqrt(n/(n-1)) t(n-1)): bench/coverage.py found the plain percentile interval covering 88.9-96% of
#: simulated one-stop quarters at n = 30-200 and true levels 70-95%, this one 92.1-96% (README, "Intervals").
BOOTSTRAP_ADJUSTMENTS = ("bca-expanded", "bca", "percentile", "expanded")
DEFAULT_ADJUSTMENT = "bca-expanded"
_ADJUSTMENT_NAMES = {"bca": "BCa", "percentile": "percentile", "expanded": "expanded-percentile",
                     "bca-expanded": "expanded-BCa"}

#: Bootstraps kept in memory (each a few hundred kB at most): a page, a report or a CLI run that asks again for the
#: same table gets the identical result without resampling.
BOOTSTRAP_MEMO_SIZE = 64
#: Finished element intervals kept in memory, keyed by a digest of every input (each entry a few hundred bytes):
#: enough for a province roll-up (wards x kinds) to be read again without resampling, where the bootstrap memo
#: above, which holds the replicates, would be too large.
INTERVAL_MEMO_SIZE = 8_192
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


def bootstrap_method(replicates: int = BOOTSTRAP_REPLICATES, seed: int = BOOTSTRAP_SEED,
                     adjust: str = DEFAULT_ADJUSTMENT) -> str:
    """The name of the bootstrap method as shown next to its intervals."""
    return f"bootstrap-{_ADJUSTMENT_NAMES[adjust]} (B={replicates}, seed={seed}, resampling responses)"


_METHOD_RE = re.compile(r"bootstrap-(BCa|percentile|expanded-percentile|expanded-BCa) \(B=(\d+), seed=(\d+)")


def bootstrap_settings(method: str | None) -> tuple[int, int] | None:
    """(replicates, seed) of a method name made by bootstrap_method, else None: for wording it in a language."""
    found = _METHOD_RE.match(method or "")
    return (int(found[2]), int(found[3])) if found else None


def bootstrap_adjustment(method: str | None) -> str | None:
    """"bca", "percentile" or "expanded" for a method name made by bootstrap_method, else None."""
    found = _METHOD_RE.match(method or "")
    if not found:
        return None
    return next(k for k, v in _ADJUSTMENT_NAMES.items() if v == found[1])


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
    max_bootstrap_responses: int = BOOTSTRAP_MAX_RESPONSES,
    z: float = Z95,
    adjust: str = DEFAULT_ADJUSTMENT,
) -> ElementIntervals:
    """Intervals of element and overall indices: a bootstrap (BCa by default) when small, else delta method."""
    if adjust not in BOOTSTRAP_ADJUSTMENTS:
        raise ValueError(f"unknown bootstrap adjustment {adjust!r}")
    groups = [list(g) for g in elements]
    if table.size <= max_bootstrap_patterns and table.responses < max_bootstrap_responses:
        key = _interval_key(table, groups, replicates, seed, z, adjust)
        with _interval_lock:
            found = _interval_memo.get(key)
            if found is not None:
                _interval_memo.move_to_end(key)
                return found
        boot = bootstrap(table, groups, replicates, seed)
        el, ov = boot.intervals(adjust, z)
        result = ElementIntervals(el, ov, bootstrap_method(replicates, seed, adjust))
        with _interval_lock:
            _interval_memo[key] = result
            while len(_interval_memo) > INTERVAL_MEMO_SIZE:
                _interval_memo.popitem(last=False)
        return result
    el, ov = _delta(table, groups, z)
    return ElementIntervals(el, ov, DELTA_METHOD)


_interval_memo: collections.OrderedDict[bytes, ElementIntervals] = collections.OrderedDict()
_interval_lock = threading.Lock()  # threaded web workers share the memo


def _interval_key(table: PatternTable, groups: Sequence[Sequence[int]], replicates: int, seed: int, z: float,
                  adjust: str) -> bytes:
    """A SHA-256 of everything an interval depends on; the seeded bootstrap makes equal inputs give equal results."""
    digest = hashlib.sha256()
    digest.update(repr((table.codes, tuple(table.sat.shape), [list(map(int, g)) for g in groups], int(replicates),
                        int(seed), float(z), adjust)).encode())
    for array, dtype in ((table.sat, np.bool_), (table.valid, np.bool_), (table.counts, np.int64)):
        digest.update(np.ascontiguousarray(array, dtype=dtype).tobytes())
    return digest.digest()


def clear_memos() -> None:
    """Forget every memoised bootstrap and interval (tests that count real resampling)."""
    _bootstrap_memo.cache_clear()
    with _interval_lock:
        _interval_memo.clear()


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


@dataclass(frozen=True)
class Bootstrap:
    """Bootstrap replicates of the element and overall indices, with what the adjusted intervals need."""

    estimates: FloatArray  # elements then overall, NaN where undefined
    replicates: FloatArray  # replicates x (elements + 1)
    jackknife: FloatArray  # patterns x (elements + 1): the estimates without one response of that pattern
    counts: FloatArray  # responses per pattern (jackknife weights)
    n: int

    def intervals(self, adjust: str = DEFAULT_ADJUSTMENT, z: float = Z95
                  ) -> tuple[tuple[Interval | None, ...], Interval | None]:
        """(element intervals, overall interval) by percentile, BCa or expanded percentile."""
        if self.n == 0:
            width = self.estimates.size - 1
            return tuple(None for _ in range(width)), None
        out = [self._one(i, adjust, z) for i in range(self.estimates.size)]
        return tuple(out[:-1]), out[-1]

    def _one(self, i: int, adjust: str, z: float) -> Interval | None:
        return _adjusted(self.replicates[:, i], float(self.estimates[i]), self.jackknife[:, i], self.counts,
                         self.n, adjust, z)


def _adjusted(values: FloatArray, estimate: float, jackknife: FloatArray, counts: FloatArray, n: int,
              adjust: str, z: float) -> Interval | None:
    """One interval from bootstrap replicates: percentile, BCa or expanded percentile."""
    finite = values[~np.isnan(values)]
    if finite.size == 0 or math.isnan(estimate):
        return None
    alpha = NormalDist().cdf(-z)  # 0.025 for 95%
    if adjust == "percentile":
        return _quantiles(finite, alpha, 1 - alpha)
    if adjust == "expanded":
        return _quantiles(finite, *_expanded_tails(n, alpha))
    if adjust == "bca-expanded":  # BCa's bias and skew corrections, on the expanded tails
        return _bca(finite, estimate, jackknife, counts, _expanded_tails(n, alpha)[0])
    return _bca(finite, estimate, jackknife, counts, alpha)


def _expanded_tails(n: int, alpha: float) -> tuple[float, float]:
    """Hesterberg (2015): the percentiles of a wider interval, as if z were sqrt(n / (n - 1)) * t(n - 1)."""
    n = max(n, 2)
    wider = math.sqrt(n / (n - 1)) * _t_quantile(1 - alpha, n - 1)
    a = NormalDist().cdf(-wider)
    return a, 1 - a


def ratio_interval(
    numerator: FloatArray,
    denominator: FloatArray,
    counts: IntArray,
    *,
    scale: float = 1.0,
    replicates: int = BOOTSTRAP_REPLICATES,
    seed: int = BOOTSTRAP_SEED,
    max_bootstrap_patterns: int = BOOTSTRAP_MAX_PATTERNS,
    max_bootstrap_responses: int = BOOTSTRAP_MAX_RESPONSES,
    z: float = Z95,
    adjust: str = DEFAULT_ADJUSTMENT,
) -> tuple[Interval | None, str | None]:
    """Interval of scale * sum(numerator) / sum(denominator) over responses, rows weighted by `counts`.

    The same resampling of responses as the element intervals (BCa by default), or the delta method (the
    ratio's linearized variance) when there are more distinct rows than max_bootstrap_patterns or at least
    max_bootstrap_responses responses.
    """
    num = np.asarray(numerator, dtype=np.float64)
    den = np.asarray(denominator, dtype=np.float64)
    cnt = np.asarray(counts, dtype=np.int64)
    keep = cnt > 0
    num, den, cnt = num[keep], den[keep], cnt[keep]
    if num.size:  # responses with equal totals are one row (sorted, so input order never matters)
        pairs, inverse = np.unique(np.column_stack([num, den]), axis=0, return_inverse=True)
        merged = np.zeros(pairs.shape[0], dtype=np.int64)
        np.add.at(merged, inverse.ravel(), cnt)
        num, den, cnt = pairs[:, 0], pairs[:, 1], merged
    n = int(cnt.sum())
    weights = cnt.astype(np.float64)
    num_total, den_total = float(weights @ num), float(weights @ den)
    if n == 0 or den_total <= 0:
        return None, None
    estimate = num_total / den_total
    if num.size > max_bootstrap_patterns or n >= max_bootstrap_responses:
        resid = num - estimate * den
        variance = float(weights @ (resid * resid)) / den_total**2 * (n / (n - 1) if n > 1 else 1.0)
        half = z * math.sqrt(variance)
        return (scale * (estimate - half), scale * (estimate + half)), DELTA_METHOD
    rng = np.random.Generator(np.random.PCG64(seed))
    stacked = np.column_stack([num, den])
    boot = np.empty((replicates, 2))
    step = max(1, _CHUNK_CELLS // max(1, num.size))
    for start in range(0, replicates, step):
        size = min(step, replicates - start)
        boot[start : start + size] = rng.multinomial(n, weights / n, size=size) @ stacked
    values = np.divide(boot[:, 0], boot[:, 1], out=np.full(replicates, np.nan), where=boot[:, 1] > 0)
    left_den = den_total - den
    jack = np.divide(num_total - num, left_den, out=np.full(num.size, np.nan), where=left_den > 0)
    bounds = _adjusted(values, estimate, jack, weights, n, adjust, z)
    if bounds is None:
        return None, None
    return (scale * bounds[0], scale * bounds[1]), bootstrap_method(replicates, seed, adjust)


def bootstrap(table: PatternTable, groups: Sequence[Sequence[int]], replicates: int = BOOTSTRAP_REPLICATES,
              seed: int = BOOTSTRAP_SEED) -> Bootstrap:
    """Multinomial resampling of the responses over their patterns, and the jackknife over responses.

    Memoised on every input (the table's bytes, the groups, replicates, seed): the resampling is seeded, so a
    repeated call returns the identical (read-only) result.
    """
    shape = (int(table.sat.shape[0]), int(table.sat.shape[1]))
    return _bootstrap_memo(
        tuple(tuple(int(j) for j in g) for g in groups), table.codes, shape,
        np.ascontiguousarray(table.sat, dtype=np.bool_).tobytes(),
        np.ascontiguousarray(table.valid, dtype=np.bool_).tobytes(),
        np.ascontiguousarray(table.counts, dtype=np.int64).tobytes(), int(replicates), int(seed))


@functools.lru_cache(maxsize=BOOTSTRAP_MEMO_SIZE)
def _bootstrap_memo(groups: tuple[tuple[int, ...], ...], codes: tuple[str, ...], shape: tuple[int, int], sat: bytes,
                    valid: bytes, counts: bytes, replicates: int, seed: int) -> Bootstrap:
    table = PatternTable(codes, np.frombuffer(sat, dtype=np.bool_).reshape(shape),
                         np.frombuffer(valid, dtype=np.bool_).reshape(shape),
                         np.frombuffer(counts, dtype=np.int64).copy())
    result = _bootstrap([list(g) for g in groups], table, replicates, seed)
    for array in (result.estimates, result.replicates, result.jackknife, result.counts):
        array.setflags(write=False)  # shared between callers: nobody may change a cached result
    return result


def _bootstrap(groups: list[list[int]], table: PatternTable, replicates: int, seed: int) -> Bootstrap:
    n = table.responses
    stacked = np.hstack([table.sat, table.valid]).astype(np.float64)
    width = table.sat.shape[1]
    counts = table.counts.astype(np.float64)
    totals = counts @ stacked if table.size else np.zeros(2 * width)
    elements, overall = _estimates(totals[None, :width], totals[None, width:], groups)
    estimates = np.append(elements[0], overall[0])
    if n == 0 or not groups:
        empty = np.zeros((0, len(groups) + 1))
        return Bootstrap(estimates, empty, empty, counts, n)
    rng = np.random.Generator(np.random.PCG64(seed))
    pvals = table.counts / n
    boot = np.empty((replicates, 2 * width))
    step = max(1, _CHUNK_CELLS // max(1, table.size))
    for start in range(0, replicates, step):
        size = min(step, replicates - start)
        weights = rng.multinomial(n, pvals, size=size)
        # As floats, BLAS does the product (5x faster than int64 @ float64); 0/1 columns times integer counts
        # sum exactly in float64, so the totals are the same numbers.
        boot[start : start + size] = weights.astype(np.float64) @ stacked
    el, ov = _estimates(boot[:, :width], boot[:, width:], groups)
    # Leaving out one response of pattern p: the totals less that pattern's row.
    left = totals[None, :] - stacked
    jel, jov = _estimates(left[:, :width], left[:, width:], groups)
    return Bootstrap(estimates, np.column_stack([el, ov]), np.column_stack([jel, jov]), counts, n)


def _quantiles(values: FloatArray, lo: float, hi: float) -> Interval:
    low, high = np.quantile(values, [min(max(lo, 0.0), 1.0), min(max(hi, 0.0), 1.0)])
    return float(low), float(high)


def _bca(values: FloatArray, estimate: float, jackknife: FloatArray, counts: FloatArray, alpha: float
         ) -> Interval:
    """Bias-corrected and accelerated percentile interval (Efron 1987; Efron & Tibshirani 1993, ch. 14)."""
    normal = NormalDist()
    alpha = min(max(alpha, 1e-9), 0.5 - 1e-9)  # one or two responses: the expanded tail can reach 0
    below = (np.count_nonzero(values < estimate) + 0.5 * np.count_nonzero(values == estimate)) / values.size
    if below <= 0.0 or below >= 1.0:  # every replicate on one side: no bias correction can be read off
        return _quantiles(values, alpha, 1 - alpha)
    z0 = normal.inv_cdf(float(below))
    ok = ~np.isnan(jackknife) & (counts > 0)
    w = counts[ok]
    theta = jackknife[ok]
    accel = 0.0
    if w.sum() > 0:
        d = float(w @ theta / w.sum()) - theta
        spread = float(w @ (d * d))
        if spread > 0:
            accel = float(w @ (d**3)) / (6.0 * spread**1.5)
    probabilities = []
    for z_alpha in (normal.inv_cdf(alpha), normal.inv_cdf(1 - alpha)):
        shifted = z0 + z_alpha
        denominator = 1.0 - accel * shifted
        if denominator > 0:
            probabilities.append(normal.cdf(z0 + shifted / denominator))
        else:  # beyond the acceleration's reach: the extreme replicate
            probabilities.append(1.0 if z_alpha > 0 else 0.0)
    return _quantiles(values, probabilities[0], probabilities[1])


def _t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion of the normal one (Abramowitz & Stegun 26.7.5).

    Within 0.001 of the exact value for df >= 5 at p = 0.975 (2.571 for df 5, 2.045 for df 29).
    """
    x = NormalDist().inv_cdf(p)
    g1 = (x**3 + x) / 4
    g2 = (5 * x**5 + 16 * x**3 + 3 * x) / 96
    g3 = (3 * x**7 + 19 * x**5 + 17 * x**3 - 15 * x) / 384
    g4 = (79 * x**9 + 776 * x**7 + 1482 * x**5 - 1920 * x**3 - 945 * x) / 92160
    return x + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


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

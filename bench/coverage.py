"""Do the 95% intervals cover the truth 95% of the time at a ward's sample sizes? A simulation.

    .venv/bin/python -m bench.coverage [--quarters 1000] [--sizes 30,60,200] [--levels 70,80,85,90,95]

Each simulated quarter is n one-stop responses (the 22 statements in 5 elements of onestop.v1) with
correlated answers, made as survey.services.demo makes them: a respondent's mood ~ N(mu, 0.55), an element's
shift ~ N(0, 0.25) shared by its statements, each answer round(mood + shift + N(0, 0.6) + d_j) clipped to 1..5,
with a fixed offset d_j per statement (so statements differ), 3% skipped and 4% "no opinion". Because the
answer is 4-5 exactly when the latent value is >= 3.5, each statement's true index is 100 * Phi((mu + d_j - 3.5)
/ s) with s = sqrt(0.55^2 + 0.25^2 + 0.6^2): the true element and overall indices are known exactly, and mu is
solved for each true overall level asked.

For every size and level it draws `--quarters` quarters and reports how often the interval contained the
truth: items (Wilson, averaged over the 22 statements), elements (averaged over the 5) and overall, for the
bootstrap adjustments in analysis.intervals (percentile, BCa, expanded percentile and BCa on the expanded
tails; one set of B = 2000 replicates per quarter serves all four) and the delta method. The Monte Carlo
error of a coverage of 95% over 1000 quarters is +-0.7 points (one standard error).
"""

from __future__ import annotations

import argparse
import math
import os
import time
from statistics import NormalDist

# One BLAS thread: the work is many small matrix products, where threads only add contention.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np

from hailong.analysis import intervals
from hailong.forms.questionnaire import latest

MOOD_SD, ELEMENT_SD, NOISE_SD = 0.55, 0.25, 0.6
SKIP, NO_OPINION = 0.03, 0.04
SPREAD = math.sqrt(MOOD_SD**2 + ELEMENT_SD**2 + NOISE_SD**2)
ADJUSTMENTS = ("percentile", "bca", "expanded", "bca-expanded")


def _questionnaire() -> tuple[list[str], list[list[int]]]:
    q = latest("onestop")
    codes = [s.code for s in q.statements]
    index = {c: i for i, c in enumerate(codes)}
    return codes, [[index[s.code] for s in e.statements] for e in q.elements]


def _offsets(width: int) -> np.ndarray:
    """Fixed statement offsets in -0.3..0.3 (seeded): some statements are liked more than others."""
    return np.random.Generator(np.random.PCG64(7)).uniform(-0.3, 0.3, width)


def truth(mu: float, offsets: np.ndarray, groups: list[list[int]]) -> tuple[np.ndarray, np.ndarray, float]:
    """Exact item, element and overall indices of the generating model."""
    phi = NormalDist().cdf
    items = np.array([100 * phi((mu + d - 3.5) / SPREAD) for d in offsets])
    elements = np.array([items[g].mean() for g in groups])
    return items, elements, float(elements.mean())


def solve_mu(level: float, offsets: np.ndarray, groups: list[list[int]]) -> float:
    """The mean mood whose true overall index is `level` (bisection)."""
    lo, hi = 0.0, 8.0
    for _ in range(80):
        mid = (lo + hi) / 2
        if truth(mid, offsets, groups)[2] < level:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def simulate(rng: np.random.Generator, n: int, mu: float, offsets: np.ndarray, groups: list[list[int]]
             ) -> np.ndarray:
    """n responses: 0 for skipped or no opinion, else the answer 1..5."""
    width = offsets.size
    mood = rng.normal(mu, MOOD_SD, (n, 1))
    shift = np.zeros((n, width))
    for g in groups:
        shift[:, g] = rng.normal(0, ELEMENT_SD, (n, 1))
    latent = mood + shift + rng.normal(0, NOISE_SD, (n, width)) + offsets
    answers = np.clip(np.rint(latent), 1, 5)
    missing = rng.random((n, width)) < SKIP + NO_OPINION
    return np.where(missing, 0, answers).astype(np.int64)


def table(codes: list[str], answers: np.ndarray) -> intervals.PatternTable:
    bits = 1 << np.arange(answers.shape[1], dtype=np.int64)
    sat = ((answers >= 4) * bits).sum(axis=1)
    valid = ((answers >= 1) * bits).sum(axis=1)
    pairs, counts = np.unique(np.stack([sat, valid], axis=1), axis=0, return_counts=True)
    rows = [(tuple(codes), int(s), int(v), int(c)) for (s, v), c in zip(pairs, counts, strict=True)]
    return intervals.PatternTable.build(codes, rows)


def covered(bounds: intervals.Interval | None, true: float) -> bool:
    return bounds is not None and bounds[0] - 1e-9 <= true <= bounds[1] + 1e-9


def run(sizes: list[int], levels: list[float], quarters: int, seed: int) -> list[dict[str, float]]:
    codes, groups = _questionnaire()
    offsets = _offsets(len(codes))
    rows = []
    for level in levels:
        mu = solve_mu(level, offsets, groups)
        items_true, elements_true, overall_true = truth(mu, offsets, groups)
        for n in sizes:
            rng = np.random.Generator(np.random.PCG64([seed, n, int(level * 100)]))
            hits = {key: 0 for key in ("items", "delta_el", "delta_ov",
                                       *(f"{a}_{w}" for a in ADJUSTMENTS for w in ("el", "ov")))}
            widths = {a: 0.0 for a in (*ADJUSTMENTS, "delta")}
            item_cells = element_cells = 0
            for q in range(quarters):
                answers = simulate(rng, n, mu, offsets, groups)
                for j in range(len(codes)):
                    valid = int((answers[:, j] >= 1).sum())
                    if valid:
                        item_cells += 1
                        ci = intervals.wilson(int((answers[:, j] >= 4).sum()), valid)
                        hits["items"] += covered(ci, items_true[j])
                t = table(codes, answers)
                boot = intervals.bootstrap(t, groups, seed=intervals.BOOTSTRAP_SEED + q)
                element_cells += len(groups)
                for a in ADJUSTMENTS:
                    el, ov = boot.intervals(a)
                    hits[f"{a}_el"] += sum(covered(b, v) for b, v in zip(el, elements_true, strict=True))
                    hits[f"{a}_ov"] += covered(ov, overall_true)
                    widths[a] += (ov[1] - ov[0]) if ov else 0.0
                delta = intervals.element_intervals(t, groups, max_bootstrap_patterns=-1)
                hits["delta_el"] += sum(covered(b, v) for b, v in zip(delta.elements, elements_true, strict=True))
                hits["delta_ov"] += covered(delta.overall, overall_true)
                widths["delta"] += (delta.overall[1] - delta.overall[0]) if delta.overall else 0.0
            row = {"level": level, "n": n, "items": 100 * hits["items"] / item_cells}
            for a in (*ADJUSTMENTS, "delta"):
                row[f"{a}_el"] = 100 * hits[f"{a}_el"] / element_cells
                row[f"{a}_ov"] = 100 * hits[f"{a}_ov"] / quarters
                row[f"{a}_width"] = widths[a] / quarters
            rows.append(row)
            print(_line(row), flush=True)
    return rows


HEADER = (f"{'true':>5} {'n':>4} {'items':>6} | {'percentile el/ov':>16} | {'BCa el/ov':>11} | "
          f"{'expanded el/ov':>14} | {'exp. BCa el/ov':>14} | {'delta el/ov':>11} | "
          "overall width pct/BCa/exp/expBCa/delta")


def _line(r: dict[str, float]) -> str:
    pairs = " | ".join(f"{r[f'{a}_el']:5.1f}/{r[f'{a}_ov']:5.1f}".rjust(w)
                       for a, w in (("percentile", 16), ("bca", 11), ("expanded", 14), ("bca-expanded", 14),
                                    ("delta", 11)))
    widths = "/".join(f"{r[f'{a}_width']:.1f}" for a in (*ADJUSTMENTS, "delta"))
    return f"{r['level']:5.1f} {int(r['n']):4d} {r['items']:6.1f} | {pairs} | {widths}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quarters", type=int, default=1000, help="simulated quarters per size and level")
    parser.add_argument("--sizes", default="30,60,200")
    parser.add_argument("--levels", default="70,80,85,90,95", help="true overall indices")
    parser.add_argument("--seed", type=int, default=20261201)
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    levels = [float(x) for x in args.levels.split(",")]
    started = time.perf_counter()
    print(f"coverage of 95% intervals, {args.quarters} simulated quarters per row (one-stop, 22 statements)")
    print(HEADER)
    rows = run(sizes, levels, args.quarters, args.seed)
    worst = {a: min(min(r[f"{a}_el"], r[f"{a}_ov"]) for r in rows) for a in (*ADJUSTMENTS, "delta")}
    print("lowest coverage (elements or overall): " + ", ".join(f"{a} {v:.1f}%" for a, v in worst.items()))
    print(f"items (Wilson) lowest {min(r['items'] for r in rows):.1f}%; {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()

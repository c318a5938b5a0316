"""Pinned element intervals: the seeded bootstrap and the delta method give these exact floats, bit for bit.

Any change to how the intervals are computed (vectorising the resampling, the products, numpy's thread count)
must leave every published interval as it was: the values below are float.hex() of what the code gave on
2026-12-02. `hailong` runs numpy's BLAS on one thread (survey/settings.py one_blas_thread): the results do not
depend on it, checked here in child processes with 1 and 2 threads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np

from hailong.analysis.intervals import BOOTSTRAP_MAX_PATTERNS, PatternTable, element_intervals

GROUPS = [list(range(0, 5)), list(range(5, 10)), list(range(10, 15)), list(range(15, 19))]
#: name -> (seed, distinct patterns, responses): a ward-quarter's bootstrap and a province-size delta method.
CASES = {"bootstrap": (1, 300, 2400), "delta": (2, 12000, 30000)}
PINNED = {
    "bootstrap": [
        "bootstrap-expanded-BCa (B=2000, seed=20260101, resampling responses)",
        [
            [
                "0x1.254e3c893ba7dp+6",
                "0x1.2c7f0e354391ep+6"
            ],
            [
                "0x1.2da60ab2d0ef2p+6",
                "0x1.33f2a71c7f0fcp+6"
            ],
            [
                "0x1.259efd95d672bp+6",
                "0x1.2c69d1b8bad7ep+6"
            ],
            [
                "0x1.2d06457d7714bp+6",
                "0x1.34d666b0cd929p+6"
            ]
        ],
        [
            "0x1.2b232bc66ae65p+6",
            "0x1.2ec01402c19fbp+6"
        ]
    ],
    "delta": [
        "delta-method normal approximation",
        [
            [
                "0x1.2bc597d335398p+6",
                "0x1.2dabac675110ep+6"
            ],
            [
                "0x1.2b307919bd15fp+6",
                "0x1.2d1b206a5304dp+6"
            ],
            [
                "0x1.2b07b8eeba95bp+6",
                "0x1.2cec97251c899p+6"
            ],
            [
                "0x1.2c375c32faf22p+6",
                "0x1.2e552d1c9b984p+6"
            ]
        ],
        [
            "0x1.2c0c1b248d1bcp+6",
            "0x1.2d0352a3f3e7ep+6"
        ]
    ]
}


def table(seed: int, patterns: int, responses: int, width: int = 19) -> PatternTable:
    """A seeded pattern table: `patterns` random rows (mostly valid, mostly satisfied) over `responses`."""
    rng = np.random.default_rng(seed)
    valid = rng.random((patterns, width)) < 0.85
    sat = valid & (rng.random((patterns, width)) < 0.75)
    counts = rng.multinomial(responses - patterns, np.full(patterns, 1 / patterns)) + 1
    codes = tuple(f"s{i}" for i in range(width))
    bits = 1 << np.arange(width, dtype=np.int64)
    rows = [(codes, int(s), int(v), int(n))
            for s, v, n in zip((sat * bits).sum(1), (valid * bits).sum(1), counts, strict=True)]
    return PatternTable.build(codes, rows)


def computed() -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for name, (seed, patterns, responses) in CASES.items():
        # The resampling itself is pinned: 2,400 responses take the delta method by default (from 1,000 on).
        result = element_intervals(table(seed, patterns, responses), GROUPS, max_bootstrap_responses=10**9)
        assert result.overall is not None
        out[name] = [result.method, [None if e is None else [x.hex() for x in e] for e in result.elements],
                     [x.hex() for x in result.overall]]
    return out


def test_the_cases_take_each_method() -> None:
    assert table(*CASES["bootstrap"]).size <= BOOTSTRAP_MAX_PATTERNS < table(*CASES["delta"]).size


def test_intervals_are_the_pinned_floats() -> None:
    assert computed() == PINNED


def test_numpys_thread_count_changes_no_interval() -> None:
    code = "import json; from tests.analysis.test_intervals_pinned import computed; print(json.dumps(computed()))"
    outputs = []
    for threads in ("1", "2"):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": threads}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                              timeout=300)
        outputs.append(json.loads(done.stdout))
    assert outputs[0] == outputs[1] == PINNED

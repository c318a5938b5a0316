"""Raking against an independent implementation (ipfn) and the raking solution's defining properties."""

from __future__ import annotations

import numpy as np
import pytest
from ipfn import ipfn

from hailong.analysis import weighting as wt

AGES = ("age_18_24", "age_25_34", "age_35_49", "age_50_60", "over_60")
SEXES = ("male", "female")
# A QR sample leaning young and male, and the ward's adult population (made-up but census-like figures).
SAMPLE = np.array([[30, 28, 20, 10, 4], [22, 25, 21, 12, 6]], dtype=np.float64)
POPULATION = {"gender": {"male": 4_900, "female": 5_100},
              "age_group": {"age_18_24": 1_300, "age_25_34": 2_100, "age_35_49": 2_800, "age_50_60": 1_900,
                            "over_60": 1_900}}


def _cells(sample: np.ndarray) -> wt.Cells:
    return wt.Cells.of(("gender", "age_group"), {(s, a): float(sample[i, j]) for i, s in enumerate(SEXES)
                                                  for j, a in enumerate(AGES) if sample[i, j] > 0})


def test_matches_ipfn() -> None:
    margins = wt.Margins.from_counts(POPULATION)
    weights = wt.rake(_cells(SAMPLE), margins, cap=None)
    n = SAMPLE.sum()
    ours = np.array([[SAMPLE[i, j] * weights.of((s, a)) for j, a in enumerate(AGES)]  # type: ignore[operator]
                     for i, s in enumerate(SEXES)])
    aggregates = [np.array([POPULATION["gender"][s] for s in SEXES], dtype=np.float64),
                  np.array([POPULATION["age_group"][a] for a in AGES], dtype=np.float64)]
    aggregates = [a / a.sum() * n for a in aggregates]
    theirs = ipfn.ipfn(SAMPLE.copy(), aggregates, [[0], [1]], convergence_rate=1e-12, max_iteration=10_000,
                       verbose=0).iteration()
    assert ours == pytest.approx(theirs, rel=1e-6)
    # and the margins are met
    assert ours.sum(axis=1) == pytest.approx(aggregates[0], rel=1e-9)
    assert ours.sum(axis=0) == pytest.approx(aggregates[1], rel=1e-9)
    assert weights.trimmed is False and weights.margin_error < 1e-6


def test_two_by_two_keeps_the_odds_ratio() -> None:
    """Raking's solution is the table nearest the sample with the target margins: it keeps the sample's
    cross-product ratio (Deming & Stephan 1940). Sample 40/30/20/10 (odds ratio 40*10/(30*20) = 2/3)."""
    sample = {("m", "young"): 40.0, ("m", "old"): 30.0, ("f", "young"): 20.0, ("f", "old"): 10.0}
    margins = wt.Margins({"sex": {"m": 0.6, "f": 0.4}, "age": {"young": 0.45, "old": 0.55}})
    w = wt.rake(wt.Cells.of(("sex", "age"), sample), margins, cap=None)
    fitted = {k: v * (w.of(k) or 0) for k, v in sample.items()}
    assert fitted[("m", "young")] + fitted[("m", "old")] == pytest.approx(60)
    assert fitted[("m", "young")] + fitted[("f", "young")] == pytest.approx(45)
    odds = fitted[("m", "young")] * fitted[("f", "old")] / (fitted[("m", "old")] * fitted[("f", "young")])
    assert odds == pytest.approx(40 * 10 / (30 * 20))


def test_kish_effective_n_by_hand() -> None:
    """50 men and 50 women answered; the ward is 25% men: weights 0.5 and 1.5. Sum w = 100,
    sum w^2 = 50 x 0.25 + 50 x 2.25 = 125, n_eff = 100^2 / 125 = 80, deff = 100 / 80 = 1.25."""
    cells = wt.Cells.of(("gender",), {("male",): 50.0, ("female",): 50.0})
    w = wt.rake(cells, wt.Margins({"gender": {"male": 0.25, "female": 0.75}}))
    assert (w.of(("male",)), w.of(("female",))) == (pytest.approx(0.5), pytest.approx(1.5))
    assert (w.n, w.n_eff, w.deff) == (100, pytest.approx(80.0), pytest.approx(1.25))


def test_a_margin_that_cannot_be_met_is_a_clear_error() -> None:
    sample = SAMPLE.copy()
    sample[:, AGES.index("over_60")] = 0  # nobody over 60 answered, but 19% of the ward is over 60
    with pytest.raises(wt.RakingError) as error:
        wt.rake(_cells(sample), wt.Margins.from_counts(POPULATION))
    assert (error.value.reason, error.value.dimension, error.value.category) == ("empty_category", "age_group",
                                                                                 "over_60")
    assert error.value.share == pytest.approx(0.19)
    assert "over_60" in str(error.value)
    with pytest.raises(wt.RakingError, match="no_responses"):
        wt.rake(wt.Cells.of(("gender",), {}), wt.Margins({"gender": {"male": 1.0}}))


def test_weights_are_trimmed_at_the_cap() -> None:
    """3 people over 60 answered for 40% of the ward: their weight (about 9) is cut to 5 and the rest raked."""
    cells = wt.Cells.of(("age_group",), {("young",): 97.0, ("over_60",): 3.0})
    margins = wt.Margins({"age_group": {"young": 0.6, "over_60": 0.4}})
    untrimmed = wt.rake(cells, margins, cap=None)
    assert untrimmed.of(("over_60",)) == pytest.approx(40 / 3)
    w = wt.rake(cells, margins)
    assert w.trimmed is True
    assert max(w.of(("over_60",)) or 0, w.of(("young",)) or 0) <= wt.TRIM_CAP + 1e-9
    assert w.margin_error > 1  # the over-60 margin can no longer be met exactly: said, not hidden
    assert w.n_eff > untrimmed.n_eff


def test_weighted_index_by_hand() -> None:
    """One statement: 40 of 50 men satisfied, 10 of 50 women. Unweighted 50%; the ward is 25% men, so
    weighted 0.25 x 80 + 0.75 x 20 = 35%. Two respondents of unknown sex are left out of the weighted figure."""
    codes = ("a.x",)
    rows = [(("male",), codes, 1, 1, 40), (("male",), codes, 0, 1, 10), (("female",), codes, 1, 1, 10),
            (("female",), codes, 0, 1, 40), (("unknown",), codes, 1, 1, 2)]
    result = wt.weighted_indices(codes, [[0]], rows, wt.Margins({"gender": {"male": 0.25, "female": 0.75}}))
    assert result["index"] == 35.0 and result["unweighted_same_responses"] == 50.0
    assert result["responses_used"] == 100 and result["responses_left_out"] == 2
    assert (result["n_eff"], result["deff"]) == (80.0, 1.25)
    # Within-sex shares 0.8 (n 50) and 0.2 (n 50): se = sqrt(0.25^2 x 0.0032 + 0.75^2 x 0.0032) = 0.0447.
    low, high = result["ci95"]
    assert low < 35.0 < high
    assert (high - low) / 2 == pytest.approx(1.96 * 4.47, abs=1.2)
    assert result["ci_method"].endswith("raked again in every replicate")
    assert [c["gender"] for c in result["cells"]] == ["female", "male"]

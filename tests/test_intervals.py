"""Intervals, checked against scipy and Newcombe's published worked example."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hmip.stats.intervals import (
    IntervalError,
    newcombe_difference,
    proportion_interval,
    ratio_interval,
    share_table,
)


def test_wilson_matches_the_closed_form():
    k, n, z = 28, 42, stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert proportion_interval(k, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_clopper_pearson_matches_scipy_exact():
    ci = stats.binomtest(20, 42).proportion_ci(0.95, method="exact")
    assert proportion_interval(20, 42, method="clopper-pearson") == pytest.approx(
        (ci.low, ci.high), abs=1e-9
    )


def test_jeffreys_is_the_beta_quantiles():
    lo, hi = proportion_interval(20, 42, method="jeffreys", level=0.9)
    assert (lo, hi) == pytest.approx(tuple(stats.beta.ppf([0.05, 0.95], 20.5, 22.5)), abs=1e-9)


def test_jeffreys_reaches_0_at_no_yes_and_1_at_all_yes():
    # Brown, Cai and DasGupta (2001) Stat Sci 16:101, section 4.1.2; before: (4.79e-05, 0.2172) and
    # (0.7828, 0.99995); the other limit stays the Beta(x + 1/2, n - x + 1/2) quantile
    for n in (1, 10, 42):
        lo, hi = proportion_interval(0, n, method="jeffreys")
        assert lo == 0 and hi == pytest.approx(stats.beta.ppf(0.975, 0.5, n + 0.5), abs=1e-12)
        lo, hi = proportion_interval(n, n, method="jeffreys")
        assert hi == 1 and lo == pytest.approx(stats.beta.ppf(0.025, n + 0.5, 0.5), abs=1e-12)
    lo, hi = proportion_interval([0, 3, 10], [10, 10, 10], method="jeffreys")
    assert lo[0] == 0 and hi[2] == 1 and 0 < lo[1] < hi[1] < 1


def test_newcombe_reproduces_the_published_example():
    # Newcombe (1998) Stat Med 17:873, example (a): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    d, lo, hi = newcombe_difference(56, 70, 48, 80)
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)


def test_ratio_interval_survives_zero_cells():
    est, lo, hi = ratio_interval(0, 8, 20, 34)
    assert est == 0 and 0 < lo < hi < 2
    est, lo, hi = ratio_interval(5, 8, 0, 34)
    assert np.isinf(est) and np.isfinite(lo) and np.isfinite(hi)


def test_share_table_names_method_and_level_and_handles_empty_cells():
    t = share_table(pd.DataFrame({"yes": [3, 0], "n": [7, 0]}), level=0.9, method="jeffreys")
    assert list(t["method"]) == ["Jeffreys"] * 2 and (t["level"] == 0.9).all()
    assert np.isnan(t.loc[1, "share"]) and np.isnan(t.loc[1, "lower"])


def test_bad_level_and_method_are_refused():
    with pytest.raises(IntervalError, match="accepted: wilson, jeffreys, clopper-pearson"):
        proportion_interval(1, 2, method="wald")
    with pytest.raises(IntervalError, match="0.95"):
        proportion_interval(1, 2, level=95)

"""Intervals, checked against scipy, statsmodels and Newcombe's published worked example."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats import proportion as smp
from statsmodels.stats.proportion import confint_proportions_2indep

from hmip.errors import StatisticsError
from hmip.stats.intervals import (
    IntervalError,
    newcombe_difference,
    proportion_interval,
    ratio_interval,
    share_table,
)
from hmip.stats.results import METHOD_LABELS

ESTIMATE = ("estimate", "lower", "upper")


def one(table: pd.DataFrame, *columns: str) -> tuple[float, ...]:
    """The values of ``columns`` in a one-row result (scalars in, one row out)."""
    assert len(table) == 1
    return tuple(float(table[c].iloc[0]) for c in columns)


def limits(*args, **kwargs) -> tuple[float, float]:
    return one(proportion_interval(*args, **kwargs), "lower", "upper")


def test_wilson_matches_the_closed_form():
    k, n, z = 28, 42, stats.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    assert limits(k, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_clopper_pearson_matches_scipy_exact():
    ci = stats.binomtest(20, 42).proportion_ci(0.95, method="exact")
    assert limits(20, 42, method="clopper-pearson") == pytest.approx((ci.low, ci.high), abs=1e-9)


def test_jeffreys_is_the_beta_quantiles():
    lo, hi = limits(20, 42, method="jeffreys", level=0.9)
    assert (lo, hi) == pytest.approx(tuple(stats.beta.ppf([0.05, 0.95], 20.5, 22.5)), abs=1e-9)


def test_jeffreys_reaches_0_at_no_yes_and_1_at_all_yes():
    # Brown, Cai and DasGupta (2001) Stat Sci 16:101, section 4.1.2; before: (4.79e-05, 0.2172) and
    # (0.7828, 0.99995); the other limit stays the Beta(x + 1/2, n - x + 1/2) quantile
    for n in (1, 10, 42):
        lo, hi = limits(0, n, method="jeffreys")
        assert lo == 0 and hi == pytest.approx(stats.beta.ppf(0.975, 0.5, n + 0.5), abs=1e-12)
        lo, hi = limits(n, n, method="jeffreys")
        assert hi == 1 and lo == pytest.approx(stats.beta.ppf(0.025, n + 0.5, 0.5), abs=1e-12)
    t = proportion_interval([0, 3, 10], [10, 10, 10], method="jeffreys")
    lo, hi = t["lower"].to_numpy(), t["upper"].to_numpy()
    assert lo[0] == 0 and hi[2] == 1 and 0 < lo[1] < hi[1] < 1


def test_newcombe_reproduces_the_published_example():
    # Newcombe (1998) Stat Med 17:873, example (a): 56/70 vs 48/80 -> 0.2000 (0.0524, 0.3339)
    d, lo, hi = one(newcombe_difference(56, 70, 48, 80), *ESTIMATE)
    assert (round(d, 4), round(lo, 4), round(hi, 4)) == (0.2, 0.0524, 0.3339)


def test_ratio_interval_survives_zero_cells():
    est, lo, hi = one(ratio_interval(0, 8, 20, 34), *ESTIMATE)
    assert est == 0 and lo == 0 < hi < 2
    est, lo, hi = one(ratio_interval(5, 8, 0, 34), *ESTIMATE)
    assert np.isinf(est) and np.isfinite(lo) and np.isinf(hi)


def _score_statistic(phi, y1, n1, y2, n2):
    return smp.test_proportions_2indep(
        y1, n1, y2, n2, value=phi, compare="ratio", method="score", correction=False
    ).statistic


def _grid():
    for n1, n2 in [(1, 1), (1, 7), (3, 12), (8, 30), (10, 30), (13, 4), (25, 25)]:
        for y1 in range(n1 + 1):
            for y2 in range(n2 + 1):
                yield y1, n1, y2, n2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_ratio_interval_is_the_statsmodels_score_interval_at_zero_cells():
    # Koopman's score interval; statsmodels' closed form is exact wherever neither share is 100%
    checked = 0
    for y1, n1, y2, n2 in _grid():
        if y1 + y2 == 0 or y1 == n1 or y2 == n2 or (y1 and y2):
            continue  # zero cells only here; the next test covers every table
        lo_sm, hi_sm = confint_proportions_2indep(
            y1, n1, y2, n2, compare="ratio", method="score", correction=False
        )
        lo, hi = one(ratio_interval(y1, n1, y2, n2), "lower", "upper")
        assert lo == pytest.approx(max(float(lo_sm), 0.0), abs=1e-9)
        assert hi == pytest.approx(float(hi_sm), rel=1e-9), (y1, n1, y2, n2)
        checked += 1
    assert checked > 100
    # a table without zero cells as well
    assert one(ratio_interval(3, 8, 20, 34), "lower", "upper") == pytest.approx(
        confint_proportions_2indep(3, 8, 20, 34, compare="ratio", method="score", correction=False),
        rel=1e-9,
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_ratio_interval_inverts_the_score_test_and_holds_its_estimate_on_every_table():
    # every table in the grid, zero and full cells included: the estimate lies inside its interval,
    # and statsmodels' score test statistic is exactly -+z at the limits (so the interval is the set of
    # ratios that test does not reject)
    z = stats.norm.ppf(0.975)
    for y1, n1, y2, n2 in _grid():
        est, lo, hi = one(ratio_interval(y1, n1, y2, n2), *ESTIMATE)
        if y1 + y2 == 0:
            assert np.isnan([est, lo, hi]).all()  # 0/0: no ratio to estimate
            continue
        assert lo <= est <= hi and lo < hi, (y1, n1, y2, n2, est, lo, hi)
        if lo > 0:
            assert _score_statistic(lo, y1, n1, y2, n2) == pytest.approx(z, abs=1e-6)
        if np.isfinite(hi):
            assert _score_statistic(hi, y1, n1, y2, n2) == pytest.approx(-z, abs=1e-6)


def test_ratio_interval_reproducers_at_100_percent_and_zero():
    z2 = stats.norm.ppf(0.975) ** 2
    # before: (1, 1) of zero width; both shares 100%: closed form n1 / (n1 + z^2) and 1 + z^2 / n2
    assert one(ratio_interval(8, 8, 30, 30), *ESTIMATE) == pytest.approx(
        (1, 8 / (8 + z2), 1 + z2 / 30), abs=1e-9
    )
    # before: estimate 0 outside (0.0047, 1.07); now (0, 0.4243), excluding 1 as Newcombe excludes 0
    est, lo, hi = one(ratio_interval(0, 10, 20, 30), *ESTIMATE)
    assert (est, lo) == (0, 0) and hi == pytest.approx(0.424280, abs=1e-6)
    assert newcombe_difference(0, 10, 20, 30)["upper"].iloc[0] < 0


def test_share_table_names_method_and_level_and_handles_empty_cells():
    t = share_table(pd.DataFrame({"yes": [3, 0], "n": [7, 0]}), level=0.9, method="jeffreys")
    assert list(t["method"]) == ["Jeffreys"] * 2 and (t["level"] == 0.9).all()
    assert np.isnan(t.loc[1, "share"]) and np.isnan(t.loc[1, "lower"])


def test_bad_level_and_method_are_refused():
    with pytest.raises(IntervalError, match="accepted: wilson, jeffreys, clopper-pearson"):
        proportion_interval(1, 2, method="wald")
    with pytest.raises(StatisticsError, match="0.95"):
        proportion_interval(1, 2, level=95)


def test_results_are_tidy_tables_naming_method_and_level():
    cols = ["estimate", "lower", "upper", "level", "method"]
    for table, key in [
        (proportion_interval(3, 7, method="clopper-pearson", level=0.9), "clopper-pearson"),
        (newcombe_difference(3, 7, 20, 34, level=0.9), "newcombe"),
        (ratio_interval(3, 7, 20, 34, level=0.9), "ratio-score"),
    ]:
        assert list(table.columns[-5:]) == cols and len(table) == 1
        assert table["method"].iloc[0] == METHOD_LABELS[key] and table["level"].iloc[0] == 0.9
    # arrays in, one row each, the same numbers as one at a time
    many = ratio_interval([0, 3, 8], [10, 8, 8], [20, 20, 30], [30, 34, 30])
    assert len(many) == 3
    assert many.iloc[1][list(ESTIMATE)].tolist() == pytest.approx(
        list(one(ratio_interval(3, 8, 20, 34), *ESTIMATE))
    )
    diffs = newcombe_difference([56, 0], [70, 0], 48, 80)
    assert (
        diffs["estimate"].iloc[0] == pytest.approx(0.2)
        and diffs.iloc[1][list(ESTIMATE)].isna().all()
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ratio_interval(5, 3, 2, 10), r"yes1 \(5\) is more than n1 \(3\)"),
        (lambda: newcombe_difference(2, 10, 12, 11), r"yes2 \(12\) is more than n2 \(11\)"),
        (lambda: proportion_interval(-1, 10), "yes must be a whole number of cases"),
        (lambda: proportion_interval(3, 42.5), "n must be a whole number"),
        (lambda: proportion_interval(float("nan"), 10), "yes must be a whole number"),
        (lambda: ratio_interval(1, 2, 1, float("inf")), "n2 must be a whole number"),
        (lambda: newcombe_difference(True, 2, 1, 2), "yes1 must be a whole number"),
        (lambda: proportion_interval("3", 10), "yes must be a whole number"),
        (lambda: proportion_interval([1, 2], [3, 4, 5]), "same length"),
        (lambda: ratio_interval(1, 2, 1, 2, level=0.4), "from 0.5 to below 1"),
        (lambda: newcombe_difference(1, 2, 1, 2, level=1.0), "from 0.5 to below 1"),
        (lambda: proportion_interval(1, 2, method="exact"), "accepted: wilson"),
        (lambda: share_table(pd.DataFrame({"yes": [3]})), "columns 'yes' and 'n'"),
        (lambda: share_table(pd.DataFrame({"yes": [3], "n": [2]})), "more than n"),
    ],
)
def test_impossible_arguments_are_refused_by_name(call, message):
    with pytest.raises(StatisticsError, match=message):
        call()


def test_empty_samples_give_nan_not_an_error():
    assert np.isnan(one(proportion_interval(0, 0), *ESTIMATE)).all()
    assert np.isnan(one(newcombe_difference(0, 0, 3, 4), *ESTIMATE)).all()
    assert np.isnan(one(ratio_interval(1, 2, 0, 0), *ESTIMATE)).all()

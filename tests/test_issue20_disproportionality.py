"""Issue 20, wrong figures 2, 6 and 8: the pooled Mantel-Haenszel test follows R's mantelhaen.test,
the minimum detectable difference says when none is detectable, and Breslow-Day is computed where
statsmodels gives NaN. Each reference is written out here."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.power import NormalIndPower

from hmip.stats.disproportionality import (
    MH_NO_VARIATION,
    NOT_DETECTABLE,
    breslow_day,
    make_grouping,
    mh_test,
    min_detectable_difference,
    pooled_analysis,
)


def r_mantelhaen(tables, correct=True):
    """R's mantelhaen.test for 2 x 2 x K, transcribed (stats/R/mantelhaen.test.R):
    DELTA <- sum(x[1, 1, ] - mantelhaen.expected); YATES <- if(correct && (abs(DELTA) >= .5)) .5 else 0
    STATISTIC <- (abs(DELTA) - YATES)^2 / sum(var); PVAL <- pchisq(STATISTIC, 1, lower.tail = FALSE)."""
    delta, var = 0.0, 0.0
    for (a, b), (c, d) in tables:
        n1, n0, m1, m0 = a + b, c + d, a + c, b + d
        n = n1 + n0
        delta += a - n1 * m1 / n
        var += n1 * n0 * m1 * m0 / (n**2 * (n - 1))
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        statistic = np.float64((abs(delta) - yates) ** 2) / np.float64(var)
    return float(statistic), float(stats.chi2.sf(statistic, 1))


# R's documented example: Rabbits (penicillin and streptococci), mantelhaen.test(Rabbits) gives
# "Mantel-Haenszel X-squared = 3.9286, df = 1, p-value = 0.04747".
RABBITS = [
    [[0, 6], [0, 5]],
    [[3, 3], [0, 6]],
    [[6, 0], [2, 4]],
    [[5, 1], [6, 0]],
    [[2, 0], [5, 0]],
]


def test_mh_test_reproduces_r_on_the_rabbits_example():
    t = mh_test(RABBITS)
    assert t.statistic == pytest.approx(3.9286, abs=1e-4)
    assert t.p_value == pytest.approx(0.04747, abs=1e-5)
    assert (t.statistic, t.p_value) == pytest.approx(r_mantelhaen(RABBITS))
    assert t.done and not t.note


def test_nothing_varies_gives_an_undefined_test_not_p_0():
    # every PDU 100% sufficient in both groups: zero variance; before, p was 0 (statsmodels: inf)
    tables = [[[5, 0], [5, 0]], [[3, 0], [4, 0]], [[9, 0], [8, 0]]]
    old = StratifiedTable(np.array(tables, float).transpose(1, 2, 0)).test_null_odds(True)
    assert old.pvalue == 0  # the wrong figure that was reported
    t = mh_test(tables)
    assert math.isnan(t.p_value) and math.isnan(r_mantelhaen(tables)[1])  # as R: NaN
    assert not t.done and t.note == MH_NO_VARIATION and "cannot be done" in t.note
    none = mh_test([[[0, 5], [0, 5]], [[0, 3], [0, 4]]])  # all 0%
    assert math.isnan(none.p_value) and none.note == MH_NO_VARIATION


@pytest.mark.parametrize(
    "tables",
    [
        [[[5, 5], [5, 5]], [[3, 3], [4, 4]]],  # identical shares: DELTA = 0
        [[[2, 2], [3, 3]], [[1, 3], [2, 6]]],
        [[[3, 1], [2, 2]], [[1, 2], [2, 1]]],  # |DELTA| < 0.5, not 0
    ],
)
def test_identical_or_nearly_identical_shares_get_no_continuity_correction(tables):
    t = mh_test(tables)
    assert (t.statistic, t.p_value) == pytest.approx(r_mantelhaen(tables))
    delta = sum(a - (a + b) * (a + c) / (a + b + c + d) for (a, b), (c, d) in tables)
    assert abs(delta) < 0.5
    assert t.p_value == pytest.approx(r_mantelhaen(tables, correct=False)[1])  # no 1/2 taken off
    if delta == 0:
        assert t.p_value == 1.0  # was 0.74 with the correction applied regardless
        old = StratifiedTable(np.array(tables, float).transpose(1, 2, 0)).test_null_odds(True)
        assert old.pvalue < 1


def test_mh_test_matches_r_and_statsmodels_when_the_correction_applies():
    rng = np.random.default_rng(20)
    for _ in range(200):
        k = int(rng.integers(1, 6))
        tables = rng.integers(0, 9, size=(k, 2, 2))
        tables[:, :, 0] += 1  # rows never empty
        delta = sum(a - (a + b) * (a + c) / (a + b + c + d) for (a, b), (c, d) in tables.tolist())
        t = mh_test(tables)
        assert t.p_value == pytest.approx(r_mantelhaen(tables.tolist())[1], rel=1e-9, nan_ok=True)
        if abs(delta) >= 0.5 and t.done:
            sm = StratifiedTable(tables.astype(float).transpose(1, 2, 0)).test_null_odds(True)
            assert t.statistic == pytest.approx(sm.statistic, rel=1e-9)


#: Two PDUs where every case of both groups is sufficient: nothing varies, so the MH test cannot be done.
ALL_SUFFICIENT = pd.DataFrame(
    {
        "pdu": ["A", "A", "B", "B"],
        "standard": "planning",
        "key_question": "safety",
        "group": ["White", "Ethnic minority"] * 2,
        "yes": [20, 12, 15, 10],
        "n": [20, 12, 15, 10],
    }
)


def test_pooled_analysis_carries_the_undefined_test_and_its_reason():
    counts = ALL_SUFFICIENT.copy()
    row = pooled_analysis(counts, make_grouping("binary")).iloc[0]
    assert math.isnan(row["mh_p_value"]) and row["mh_note"] == MH_NO_VARIATION
    assert math.isnan(row["mh_p_value_bh"])


def test_ethnicity_conclusion_says_the_test_cannot_be_done():
    from hmip.analyses.ethnicity import disclose

    grouping = make_grouping("binary")
    counts = ALL_SUFFICIENT.copy()
    sizes = counts[["pdu", "group"]].assign(cases=counts["n"])
    shown = disclose(counts, sizes, grouping, rule="none")
    text = " ".join(shown["conclusion"])
    assert "cannot be done" in text and "no variation to test" in text
    assert "more often judged sufficient" not in text and "p < 0.001" not in text


# --- 6. Minimum detectable difference --------------------------------------------------------------
def test_no_shortfall_detectable_is_said_not_the_reference_share():
    v = min_detectable_difference(3, 40, 0.5)
    assert math.isnan(v.value) and NOT_DETECTABLE in v.method  # was 0.5 ("about 50 points")
    # reference: the arcsine effect needed exceeds 2 * asin(sqrt(0.5)), so even 0% is not detected
    h = NormalIndPower().solve_power(effect_size=None, nobs1=3, ratio=40 / 3, alpha=0.05, power=0.8)
    assert h / 2 > math.asin(math.sqrt(0.5))
    # and a detectable case still gives the number: p_ref - sin(asin(sqrt(p_ref)) - h/2)^2
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=30, ratio=40 / 30, alpha=0.05, power=0.8
    )
    expected = 0.5 - math.sin(math.asin(math.sqrt(0.5)) - h / 2) ** 2
    assert min_detectable_difference(30, 40, 0.5).value == pytest.approx(expected)


def test_power_statement_words_an_undetectable_shortfall():
    from hmip.analyses.ethnicity import power_statements

    shares = pd.DataFrame(
        {
            "pdu": ["A", "A"],
            "group": ["White", "Ethnic minority"],
            "n_display": [40, 3],
            "share": [0.5, 0.33],
        }
    )
    text = " ".join(power_statements(shares, make_grouping("binary"), "none"))
    assert "no shortfall is detectable with these numbers" in text and "nan" not in text


# --- 8. Breslow-Day ---------------------------------------------------------------------------------
def test_breslow_day_where_statsmodels_gives_nan():
    tables = [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]
    sm = StratifiedTable(np.array(tables, float).transpose(1, 2, 0))
    with np.errstate(all="ignore"):
        assert math.isnan(sm.test_equal_odds(adjust=True).pvalue)  # the NaN that was reported
    bd = breslow_day(tables)
    # by hand: MH OR = (1/2) / (1/2) = 1, so A = n1 m1 / N = 1/2 in both strata;
    # Var = 1 / (4 / (1/2)) = 1/8; X2 = 2 * (1/2)^2 / (1/8) = 4; Tarone: (sum(a - A))^2 = 0
    assert bd.statistic == pytest.approx(4.0)
    assert bd.p_value == pytest.approx(stats.chi2.sf(4.0, 1))
    assert bd.done


def test_breslow_day_matches_statsmodels_with_tarone_where_it_works():
    rng = np.random.default_rng(8)
    checked = 0
    for _ in range(300):
        k = int(rng.integers(2, 7))
        tables = rng.integers(1, 15, size=(k, 2, 2)).astype(float)
        sm = StratifiedTable(tables.transpose(1, 2, 0))
        if abs(sm.oddsratio_pooled - 1) < 1e-12:
            continue
        for tarone in (True, False):
            ref = sm.test_equal_odds(adjust=tarone)
            bd = breslow_day(tables, tarone=tarone)
            assert bd.statistic == pytest.approx(max(ref.statistic, 0), rel=1e-8, abs=1e-10)
            assert bd.p_value == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-12)
        checked += 1
    assert checked > 250
    # the worked tables of tests/test_disproportionality.py too (zeros inside, OR not 1)
    tables = np.array([[[3, 5], [9, 2]], [[0, 4], [6, 6]], [[7, 7], [2, 9]]], float)
    ref = StratifiedTable(tables.transpose(1, 2, 0)).test_equal_odds(adjust=True)
    assert breslow_day(tables).p_value == pytest.approx(ref.pvalue, rel=1e-8)


def test_breslow_day_says_why_it_cannot_be_computed():
    one = breslow_day([[[3, 2], [1, 4]], [[5, 0], [6, 0]]])  # one informative stratum
    assert math.isnan(one.p_value) and "at least two" in one.note
    zero = breslow_day([[[0, 3], [2, 1]], [[0, 4], [3, 3]]])  # group never sufficient: OR = 0
    assert math.isnan(zero.p_value) and "odds ratio is 0" in zero.note

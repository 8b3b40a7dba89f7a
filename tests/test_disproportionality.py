"""Disproportionality statistics against scipy/statsmodels on worked tables, and validation by simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.power import NormalIndPower

from hmip.data.cases import load_cases
from hmip.data.simulate import DEFAULT_AFFECTED, national_scenario
from hmip.stats.disproportionality import (
    MINORITY,
    assign_groups,
    compare_groups,
    exact_power,
    exact_test,
    group_counts,
    make_grouping,
    mh_risk_ratio,
    min_detectable_difference,
    not_recorded_table,
    pooled_analysis,
)


def test_binary_grouping_follows_moj_practice_and_is_an_option(cases):
    moj = assign_groups(cases, make_grouping("binary"))
    incl = assign_groups(cases, make_grouping("binary", white_minorities_as_minority=True))
    irish = cases["ethnicity_detail"] == "Any other White background"
    assert (moj[irish] == "White").all() and (incl[irish] == MINORITY).all()
    assert make_grouping("binary", white_minorities_as_minority=True).reference == "White British"
    assert (moj[cases["ethnicity"] == "Not recorded"] == "Not recorded").all()


def test_custom_grouping_must_map_everything(cases):
    from hmip.stats.disproportionality import DisproportionalityError

    with pytest.raises(DisproportionalityError, match="does not map"):
        assign_groups(cases, make_grouping("custom", custom={"White": "White"}))


def test_not_recorded_share_per_pdu(cases):
    t = not_recorded_table(cases).set_index("pdu")
    assert t.loc["All PDUs", "not_recorded"] == (cases["ethnicity"] == "Not recorded").sum()
    assert t.loc["Lambeth", "cases"] == 42


def test_comparison_statistics_match_scipy_and_statsmodels():
    counts = pd.DataFrame(
        {
            "pdu": ["P", "P"],
            "standard": ["planning"] * 2,
            "key_question": ["engagement"] * 2,
            "group": [MINORITY, "White"],
            "yes": [3, 20],
            "n": [8, 34],
        }
    )
    row = compare_groups(counts, make_grouping("binary"), include_pooled=False).iloc[0]
    assert row["rri"] == pytest.approx((3 / 8) / (20 / 34))
    from statsmodels.stats.proportion import confint_proportions_2indep

    lo, hi = confint_proportions_2indep(
        3, 8, 20, 34, method="score", compare="ratio", correction=False
    )
    assert (row["rri_lower"], row["rri_upper"]) == pytest.approx((lo, hi))
    # groups are the columns of the table given to scipy (its independent binomial samples)
    assert row["p_value"] == pytest.approx(stats.boschloo_exact([[3, 20], [5, 14]]).pvalue)
    assert exact_test(3, 8, 20, 34, test="fisher") == pytest.approx(
        stats.fisher_exact([[3, 5], [20, 14]])[1]
    )
    assert row["rri_method"].startswith("Koopman score") and row["difference_method"].startswith(
        "Newcombe"
    )


def _boschloo_by_enumeration(y1, n1, y2, n2, grid=2001):
    """Boschloo's two-sided p-value from first principles, independent of scipy's implementation.

    Two independent binomial samples of fixed sizes n1 and n2 with a common share pi under H0. One
    side: the tables whose one-sided Fisher p-value is at most the observed one; its p-value is the
    largest probability of those tables over pi (a fine grid plus the pooled share). Two-sided: twice
    the smaller side, capped at 1 (scipy's convention).
    """
    i = np.arange(n1 + 1)[:, None]
    j = np.arange(n2 + 1)[None, :]
    total = n1 + n2
    pis = np.unique(np.r_[np.linspace(0, 1, grid), (y1 + y2) / total])
    probs = stats.binom.pmf(i[None, :, :], n1, pis[:, None, None]) * stats.binom.pmf(
        j[None, :, :], n2, pis[:, None, None]
    )
    sides = []
    for fisher_side in (
        stats.hypergeom.cdf(i, total, i + j, n1),  # group 1 has few yes
        stats.hypergeom.sf(i - 1, total, i + j, n1),  # group 1 has many yes
    ):
        extreme = fisher_side <= fisher_side[y1, y2] * (1 + 1e-12)
        sides.append(probs[:, extreme].sum(axis=1).max())
    return min(1.0, 2 * min(sides))


@pytest.mark.parametrize(
    "table",
    [
        (6, 6, 14, 25),
        (3, 8, 20, 34),
        (0, 10, 20, 30),
        (5, 12, 30, 34),
        (9, 20, 12, 40),
        (7, 7, 1, 3),
    ],
)
def test_boschloo_takes_the_groups_as_independent_samples(table):
    y1, n1, y2, n2 = table
    p = exact_test(y1, n1, y2, n2, grid=128)
    # scipy called the right way round: the groups are the columns
    assert p == pytest.approx(
        stats.boschloo_exact([[y1, y2], [n1 - y1, n2 - y2]], n=128).pvalue, rel=1e-9
    )
    # and an exact enumeration under two independent binomials (the grid maximum can only be lower)
    ref = _boschloo_by_enumeration(*table)
    assert ref - 1e-9 <= p <= ref + 5e-4


def test_boschloo_reproducer_6_of_6_against_14_of_25():
    # before: 0.0604 (rows taken as the groups, i.e. conditioning on the wrong margin)
    assert exact_test(6, 6, 14, 25) == pytest.approx(0.0479, abs=5e-5)
    assert stats.boschloo_exact([[6, 0], [14, 11]]).pvalue == pytest.approx(0.0604, abs=5e-5)


def test_fisher_is_the_same_either_way_round():
    # Fisher's test conditions on both margins: the transpose gives the same p-value, so it was
    # never affected by the orientation
    for y1, n1, y2, n2 in [(6, 6, 14, 25), (3, 8, 20, 34), (0, 10, 20, 30), (9, 20, 12, 40)]:
        rows = [[y1, n1 - y1], [y2, n2 - y2]]
        cols = [[y1, y2], [n1 - y1, n2 - y2]]
        p = exact_test(y1, n1, y2, n2, test="fisher")
        assert p == pytest.approx(stats.fisher_exact(rows)[1], rel=1e-12)
        assert p == pytest.approx(stats.fisher_exact(cols)[1], rel=1e-12)


def test_zero_cells_do_not_crash():
    counts = pd.DataFrame(
        {
            "pdu": ["P", "P"],
            "standard": ["planning"] * 2,
            "key_question": ["safety"] * 2,
            "group": [MINORITY, "White"],
            "yes": [0, 30],
            "n": [5, 34],
        }
    )
    row = compare_groups(counts, make_grouping("binary"), include_pooled=False).iloc[0]
    assert row["rri"] == 0 and np.isfinite(row["rri_upper"]) and 0 <= row["p_value"] <= 1


def test_mh_risk_ratio_single_stratum_equals_the_katz_interval():
    a, n1, c, n0 = 12, 30, 25, 40
    rr, lo, hi = mh_risk_ratio(np.array([[[a, n1 - a], [c, n0 - c]]], dtype=float))
    se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    assert rr == pytest.approx((a / n1) / (c / n0))
    assert (lo, hi) == pytest.approx(
        (rr * np.exp(-1.959964 * se), rr * np.exp(1.959964 * se)), rel=1e-5
    )


def test_mh_risk_ratio_matches_statsmodels_point_estimate():
    tabs = np.array([[[10, 20], [30, 40]], [[5, 10], [25, 15]], [[8, 4], [20, 22]]], dtype=float)
    assert mh_risk_ratio(tabs)[0] == pytest.approx(
        StratifiedTable(tabs.transpose(1, 2, 0)).riskratio_pooled
    )


def test_power_statement_8_against_34():
    # a 20-point gap with 8 against 34 cases is detected only about one time in five
    for p_ref in (0.6, 0.7, 0.8):
        assert 0.1 < exact_power(8, 34, p_ref - 0.2, p_ref) < 0.25
    mdd = min_detectable_difference(8, 34, 0.7)
    assert mdd > 0.3
    h = 2 * np.arcsin(np.sqrt(0.7)) - 2 * np.arcsin(np.sqrt(0.7 - mdd))
    assert NormalIndPower().power(h, nobs1=8, ratio=34 / 8, alpha=0.05) == pytest.approx(
        0.8, abs=1e-6
    )


def test_bh_adjusted_and_unadjusted_both_shown(cases):
    g = make_grouping("ons5")
    out = compare_groups(group_counts(cases, g, standards=["planning"]), g, test="fisher")
    assert {"p_value", "p_value_bh"} <= set(out.columns) and (
        out["p_value_bh"] >= out["p_value"] - 1e-12
    ).all()
    assert out["adjustment"].iloc[0].startswith("Benjamini-Hochberg over")


def _national(effect):
    import tempfile

    from hmip.data.simulate import write_scenario

    with tempfile.TemporaryDirectory() as d:
        paths = write_scenario(national_scenario(110, ethnicity_effect=effect, seed=11), d)
        return load_cases(paths[0])


def test_pooled_analysis_recovers_the_simulated_effect():
    cases = _national(0.2)  # relative reduction 0.2: risk ratio 0.8
    g = make_grouping("binary")
    # 99% intervals: three affected questions at 95% would miss one about one time in seven by chance
    pooled = pooled_analysis(group_counts(cases, g), g, level=0.99).set_index(
        ["standard", "key_question"]
    )
    for qid in DEFAULT_AFFECTED:
        row = pooled.loc[tuple(qid.split("."))]
        assert row["rr_lower"] < 0.8 < row["rr_upper"], qid
        assert abs(row["mh_risk_ratio"] - 0.8) < 0.06, qid
        assert row["rr_upper"] < 1 and row["mh_p_value_bh"] < 0.05, qid
    unaffected = pooled.drop(index=[tuple(q.split(".")) for q in DEFAULT_AFFECTED])
    assert abs(unaffected["mh_risk_ratio"].mean() - 1) < 0.05


def test_pooled_analysis_finds_no_effect_when_there_is_none():
    cases = _national(0.0)  # the effect parameter at zero
    g = make_grouping("binary")
    pooled = pooled_analysis(group_counts(cases, g), g)
    assert (pooled["mh_p_value_bh"] > 0.05).all()
    assert ((pooled["rr_lower"] < 1) & (pooled["rr_upper"] > 1)).mean() >= 0.8

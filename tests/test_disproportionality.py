"""Disproportionality statistics against scipy/statsmodels on worked tables, and validation by simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from hmip.data.cases import load_cases
from hmip.data.simulate import DEFAULT_AFFECTED, national_scenario
from hmip.errors import StatisticsError
from hmip.stats.disproportionality import (
    MINORITY,
    PER_PDU_FAMILY,
    POOLED_FAMILY,
    POOLED_LABEL,
    adjust_p_values,
    assign_groups,
    compare_groups,
    exact_power,
    exact_test,
    fisher_two_sided_grid,
    group_counts,
    group_shares,
    make_grouping,
    mh_risk_ratio,
    min_detectable_difference,
    not_recorded_table,
    pooled_analysis,
)
from hmip.stats.results import METHOD_LABELS, Value


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


def _one_comparison(key_question: str, *, yes: tuple, n: tuple) -> pd.Series:
    """The ethnic-minority group (yes[0] of n[0]) against White (yes[1] of n[1]) in one PDU, for one
    planning key question: the comparison's row."""
    counts = pd.DataFrame(
        {
            "pdu": ["P", "P"],
            "standard": ["planning"] * 2,
            "key_question": [key_question] * 2,
            "group": [MINORITY, "White"],
            "yes": list(yes),
            "n": list(n),
        }
    )
    return compare_groups(counts, make_grouping("binary"), include_pooled=False).iloc[0]


def test_comparison_statistics_match_scipy_and_statsmodels():
    row = _one_comparison("engagement", yes=(3, 20), n=(8, 34))
    assert row["rri"] == pytest.approx((3 / 8) / (20 / 34))
    from statsmodels.stats.proportion import confint_proportions_2indep

    lo, hi = confint_proportions_2indep(
        3, 8, 20, 34, method="score", compare="ratio", correction=False
    )
    assert (row["rri_lower"], row["rri_upper"]) == pytest.approx((lo, hi))
    # groups are the columns of the table given to scipy (its independent binomial samples)
    assert row["p_value"] == pytest.approx(stats.boschloo_exact([[3, 20], [5, 14]]).pvalue)
    assert exact_test(3, 8, 20, 34, test="fisher").value == pytest.approx(
        stats.fisher_exact([[3, 5], [20, 14]])[1]
    )
    assert row["rri_method"] == METHOD_LABELS["ratio-score"]
    assert row["difference_method"] == METHOD_LABELS["newcombe"]
    assert row["test"] == METHOD_LABELS["boschloo"] + "; grid 32" and row["level"] == 0.95


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
    p = exact_test(y1, n1, y2, n2, grid=128).value
    # scipy called the right way round: the groups are the columns
    assert p == pytest.approx(
        stats.boschloo_exact([[y1, y2], [n1 - y1, n2 - y2]], n=128).pvalue, rel=1e-9
    )
    # and an exact enumeration under two independent binomials (the grid maximum can only be lower)
    ref = _boschloo_by_enumeration(*table)
    assert ref - 1e-9 <= p <= ref + 5e-4


def test_boschloo_reproducer_6_of_6_against_14_of_25():
    # before: 0.0604 (rows taken as the groups, i.e. conditioning on the wrong margin)
    assert exact_test(6, 6, 14, 25).value == pytest.approx(0.0479, abs=5e-5)
    assert stats.boschloo_exact([[6, 0], [14, 11]]).pvalue == pytest.approx(0.0604, abs=5e-5)


def test_fisher_is_the_same_either_way_round():
    # Fisher's test conditions on both margins: the transpose gives the same p-value, so it was
    # never affected by the orientation
    for y1, n1, y2, n2 in [(6, 6, 14, 25), (3, 8, 20, 34), (0, 10, 20, 30), (9, 20, 12, 40)]:
        rows = [[y1, n1 - y1], [y2, n2 - y2]]
        cols = [[y1, y2], [n1 - y1, n2 - y2]]
        p = exact_test(y1, n1, y2, n2, test="fisher").value
        assert p == pytest.approx(stats.fisher_exact(rows)[1], rel=1e-12)
        assert p == pytest.approx(stats.fisher_exact(cols)[1], rel=1e-12)


def test_zero_cells_do_not_crash():
    row = _one_comparison("safety", yes=(0, 30), n=(5, 34))
    assert row["rri"] == 0 and np.isfinite(row["rri_upper"]) and 0 <= row["p_value"] <= 1


def test_mh_risk_ratio_single_stratum_equals_the_katz_interval():
    a, n1, c, n0 = 12, 30, 25, 40
    res = mh_risk_ratio(np.array([[[a, n1 - a], [c, n0 - c]]], dtype=float))
    rr, lo, hi = res.iloc[0][["estimate", "lower", "upper"]]
    assert res["method"].iloc[0] == METHOD_LABELS["mh-rr"] and res["level"].iloc[0] == 0.95
    se = np.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0)
    assert rr == pytest.approx((a / n1) / (c / n0))
    assert (lo, hi) == pytest.approx(
        (rr * np.exp(-1.959964 * se), rr * np.exp(1.959964 * se)), rel=1e-5
    )


def test_mh_risk_ratio_matches_statsmodels_point_estimate():
    tabs = np.array([[[10, 20], [30, 40]], [[5, 10], [25, 15]], [[8, 4], [20, 22]]], dtype=float)
    assert mh_risk_ratio(tabs)["estimate"].iloc[0] == pytest.approx(
        StratifiedTable(tabs.transpose(1, 2, 0)).riskratio_pooled
    )


@pytest.mark.parametrize("ng, nr", [(0, 5), (1, 1), (3, 7), (8, 34), (12, 30), (25, 40), (40, 40)])
def test_fisher_grid_matches_scipy_table_by_table(ng, nr):
    """The vectorised two-sided Fisher p-values behind exact power, against scipy.stats.fisher_exact
    asked one table at a time with groups as rows, as exact power states its tables."""
    grid = fisher_two_sided_grid(ng, nr)
    for i in range(ng + 1):
        for j in range(nr + 1):
            ref = stats.fisher_exact([[i, ng - i], [j, nr - j]])[1]
            assert grid[i, j] == pytest.approx(min(ref, 1.0), rel=1e-12, abs=1e-15), (i, j)


def test_exact_power_equals_the_sum_over_tables_fisher_rejects():
    ng, nr, pg, pr = 8, 34, 0.45, 0.7
    power = sum(
        stats.binom.pmf(i, ng, pg) * stats.binom.pmf(j, nr, pr)
        for i in range(ng + 1)
        for j in range(nr + 1)
        if stats.fisher_exact([[i, ng - i], [j, nr - j]])[1] <= 0.05
    )
    assert exact_power(ng, nr, pg, pr).value == pytest.approx(power, rel=1e-12)


def test_power_statement_8_against_34():
    # a 20-point gap with 8 against 34 cases is detected only about one time in five
    for p_ref in (0.6, 0.7, 0.8):
        assert 0.1 < exact_power(8, 34, p_ref - 0.2, p_ref).value < 0.25
    mdd = min_detectable_difference(8, 34, 0.7).value
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
    assert out["adjustment"].iloc[0].startswith(METHOD_LABELS["bh"] + " over")


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


def _simpson_counts():
    # within each PDU the minority share is close to the reference share (risk ratio near 1), but the
    # minority group's cases sit mostly in the PDU with low shares: summed over PDUs, 26% against 73%
    return pd.DataFrame(
        {
            "pdu": ["A", "A", "B", "B"],
            "standard": ["planning"] * 4,
            "key_question": ["engagement"] * 4,
            "group": [MINORITY, "White"] * 2,
            "yes": [8, 71, 18, 2],
            "n": [10, 90, 90, 10],
        }
    )


def test_pooled_comparison_is_mantel_haenszel_not_the_summed_table():
    counts = _simpson_counts()
    out = compare_groups(counts, make_grouping("binary"), test="fisher")
    pooled = out[out["pdu"] == POOLED_LABEL].iloc[0]
    tabs = np.array([[[8, 2], [71, 19]], [[18, 72], [2, 8]]], dtype=float)
    st = StratifiedTable(tabs.transpose(1, 2, 0))
    assert pooled["rri"] == pytest.approx(st.riskratio_pooled) and abs(pooled["rri"] - 1) < 0.02
    # |O - E| = 0.1 < 1/2: as R's mantelhaen.test, no continuity correction (statsmodels takes 1/2 off)
    assert pooled["p_value"] == pytest.approx(st.test_null_odds(correction=False).pvalue)
    assert pooled["rri_method"] == METHOD_LABELS["mh-rr"]
    assert pooled["test"] == METHOD_LABELS["mh-test"]
    # the summed table would say 0.36 with p < 1e-10; no row shows it
    summed_rr = (26 / 100) / (73 / 100)
    assert not np.isclose(out["rri"], summed_rr).any()
    assert np.isnan(pooled["share_group"]) and np.isnan(pooled["difference"])
    assert "All PDUs (summed)" not in set(out["pdu"])
    # the same figures as the pooled analysis
    pa = pooled_analysis(counts, make_grouping("binary")).iloc[0]
    assert (pooled["rri"], pooled["rri_lower"], pooled["rri_upper"]) == pytest.approx(
        (pa["mh_risk_ratio"], pa["rr_lower"], pa["rr_upper"])
    )
    assert pooled["p_value_bh"] == pytest.approx(pa["mh_p_value_bh"])


def test_benjamini_hochberg_within_one_family_only(cases):
    g = make_grouping("ons5")
    counts = group_counts(cases, g, standards=["planning"])
    both = compare_groups(counts, g, test="fisher")
    alone = compare_groups(counts, g, test="fisher", include_pooled=False)
    assert set(both["family"]) == {PER_PDU_FAMILY, POOLED_FAMILY}
    per_pdu = both[both["family"] == PER_PDU_FAMILY].reset_index(drop=True)
    # adding the pooled rows does not change the per-PDU adjustment
    assert per_pdu["p_value_bh"].to_numpy() == pytest.approx(
        alone["p_value_bh"].to_numpy(), nan_ok=True
    )
    for family, sub in both.groupby("family"):
        ok = sub["p_value"].notna()
        expected = multipletests(sub.loc[ok, "p_value"], method="fdr_bh")[1]
        assert sub.loc[ok, "p_value_bh"].to_numpy() == pytest.approx(expected)
        assert (
            sub["adjustment"] == f"{METHOD_LABELS['bh']} over {ok.sum()} tests within the "
            f"family '{family}'"
        ).all()
    # the pooled family is the pooled analysis' family
    pooled = both[both["family"] == POOLED_FAMILY]
    pa = pooled_analysis(counts, g).dropna(subset=["mh_p_value"])
    assert sorted(pooled["p_value_bh"]) == pytest.approx(sorted(pa["mh_p_value_bh"]))


def test_adjust_p_values_by_family_matches_statsmodels():
    t = pd.DataFrame({"p_value": [0.01, 0.04, 0.03, np.nan, 0.2, 0.005], "family": list("aabbbb")})
    out = adjust_p_values(t, family="family")
    assert out["p_value_bh"].iloc[:2].tolist() == pytest.approx(
        multipletests([0.01, 0.04], method="fdr_bh")[1]
    )
    assert out["p_value_bh"].iloc[[2, 4, 5]].tolist() == pytest.approx(
        multipletests([0.03, 0.2, 0.005], method="fdr_bh")[1]
    )
    assert np.isnan(out["p_value_bh"].iloc[3])
    one = adjust_p_values(t)
    assert one["p_value_bh"].dropna().tolist() == pytest.approx(
        multipletests(t["p_value"].dropna(), method="fdr_bh")[1]
    )


def test_tables_name_their_methods_and_level(cases):
    g = make_grouping("binary")
    counts = group_counts(cases, g, standards=["planning"])
    shares = group_shares(counts, level=0.9)
    assert (shares["method"] == METHOD_LABELS["wilson"]).all() and (shares["level"] == 0.9).all()
    assert (shares["estimate"].dropna() == shares["share"].dropna()).all()
    nr = not_recorded_table(cases, level=0.9)
    assert {"estimate", "lower", "upper", "level", "method"} <= set(nr.columns)
    pooled = pooled_analysis(counts, g, level=0.9)
    assert (pooled["level"] == 0.9).all()
    assert (pooled["rr_method"] == METHOD_LABELS["mh-rr"]).all()
    assert (pooled["or_method"] == METHOD_LABELS["mh-or"]).all()
    assert (pooled["test"] == METHOD_LABELS["mh-test"]).all()
    p = exact_test(3, 8, 20, 34, test="fisher")
    assert isinstance(p, Value) and p.method == METHOD_LABELS["fisher"]
    assert min_detectable_difference(8, 34, 0.7).method.startswith(METHOD_LABELS["power-arcsine"])
    assert exact_power(8, 34, 0.5, 0.7).method.startswith(METHOD_LABELS["power-fisher"])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: exact_test(float("nan"), 6, 14, 25), "yes1 must be a whole number"),
        (lambda: exact_test(7, 6, 14, 25), r"yes1 \(7\) is more than n1 \(6\)"),
        (lambda: exact_test(1, 6, 14, 25.5), "n2 must be a whole number"),
        (lambda: exact_test(1, 6, -1, 25), "yes2 must be a whole number"),
        (lambda: exact_test(1, 6, 1, 25, test="barnard"), "accepted: boschloo, fisher"),
        (lambda: exact_test(1, 6, 1, 25, grid=0), "grid must be"),
        (lambda: min_detectable_difference(8, 34, 1.2), "p_ref must be a proportion"),
        (lambda: min_detectable_difference(8, 34, 0.7, power=1), "power must be"),
        (lambda: exact_power(8, 34, float("nan"), 0.7), "p_group must be"),
        (lambda: exact_power(-8, 34, 0.5, 0.7), "n_group must be"),
        (lambda: mh_risk_ratio([[1, 2], [3, 4]]), "K x 2 x 2"),
        (lambda: mh_risk_ratio([[[1, 2], [0, 0]]]), "no cases"),
        (lambda: mh_risk_ratio([[[1, 2.5], [3, 4]]]), "tables must be a whole number"),
        (lambda: mh_risk_ratio([[[1, 2], [3, 4]]], level=95), "from 0.5 to below 1"),
        (lambda: make_grouping("ons6"), "accepted: ons5, binary, custom"),
        (lambda: adjust_p_values(pd.DataFrame({"p_value": [1.5]})), "from 0 to 1"),
        (lambda: adjust_p_values(pd.DataFrame({"p": [0.5]})), "lacks the column"),
    ],
)
def test_impossible_arguments_are_refused_by_name(call, message):
    with pytest.raises(StatisticsError, match=message):
        call()


def test_impossible_counts_tables_are_refused():
    g = make_grouping("binary")
    bad = _simpson_counts().assign(yes=[8, 71, 18, 12])  # 12 of 10
    for f in (compare_groups, pooled_analysis):
        with pytest.raises(StatisticsError, match=r"yes \(12\) is more than n \(10\)"):
            f(bad, g)
    with pytest.raises(StatisticsError, match=r"yes \(12\) is more than n \(10\)"):
        group_shares(bad)
    with pytest.raises(StatisticsError, match="grouping must be a Grouping"):
        compare_groups(_simpson_counts(), "binary")
    with pytest.raises(StatisticsError, match="level"):
        compare_groups(_simpson_counts(), g, level=95)
    with pytest.raises(StatisticsError, match="lacks the column"):
        pooled_analysis(_simpson_counts().drop(columns="pdu"), g)

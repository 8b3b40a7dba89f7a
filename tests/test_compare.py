"""London comparison statistics: funnel limits, overdispersion, ranks, summary and grid."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hmip.analyses.london_comparison import (
    findings,
    load_comparison,
    ratings_grid_table,
    summary_table,
)
from hmip.stats.funnel import funnel_limits, funnel_table, overdispersion, rank_uncertainty


def test_funnel_limits_for_0_65_and_42():
    lo, hi = funnel_limits(0.65, 42, 0.95)
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.780)


def test_funnel_limits_follow_spiegelhalter_interpolation_by_hand():
    n, theta, p = 42, 0.65, 0.025
    r = 0
    while stats.binom.cdf(r, n, theta) < p:
        r += 1
    alpha = (stats.binom.cdf(r, n, theta) - p) / stats.binom.pmf(r, n, theta)
    assert funnel_limits(theta, n)[0] == pytest.approx((r - alpha) / n)
    lo, hi = funnel_limits(0.65, np.array([20, 42, 200]), 0.998)
    assert (np.diff(hi) < 0).all() and (np.diff(lo) > 0).all()  # the funnel narrows


def test_overdispersion_phi_is_the_mean_squared_winsorised_z():
    yes, n = np.array([10, 20, 30, 15, 25, 5]), np.array([42] * 6)
    theta = yes.sum() / n.sum()
    z = (yes / n - theta) / np.sqrt(theta * (1 - theta) / n)
    lo, hi = np.quantile(z, [0.1, 0.9])
    od = overdispersion(yes, n, theta)
    assert od["phi"] == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))
    assert od["phi"] > 1 and od["tau2"] > 0
    t = funnel_table(
        pd.DataFrame({"pdu": list("abcdef"), "yes": yes, "n": n}),
        overdispersion_method="multiplicative",
    )
    plain = funnel_table(pd.DataFrame({"pdu": list("abcdef"), "yes": yes, "n": n}))
    assert (t["upper_95"] - t["lower_95"] > plain["upper_95"] - plain["lower_95"]).all()
    assert "phi" in t.attrs["overdispersion"]["description"]


def test_units_outside_the_limits_are_flagged():
    t = funnel_table(
        pd.DataFrame({"pdu": ["a", "b", "c"], "yes": [40, 20, 21], "n": [42, 42, 42]}), target=0.5
    )
    assert list(t["outside_95"]) == [True, False, False]


def test_rank_uncertainty_is_seeded_and_wide_for_similar_shares():
    counts = pd.DataFrame({"pdu": list("abcd"), "yes": [10, 11, 12, 35], "n": [42] * 4})
    a, b = rank_uncertainty(counts), rank_uncertainty(counts)
    pd.testing.assert_frame_equal(a, b)
    top = a.set_index("pdu").loc["d"]
    assert top["rank"] == 1 and top["rank_upper"] == 1  # clearly first
    assert (
        a.set_index("pdu").loc[["a", "b", "c"], "rank_upper"]
        - a.set_index("pdu").loc[["a", "b", "c"], "rank_lower"]
        >= 1
    ).all()


def test_ratings_grid_matches_the_published_data():
    grid = ratings_grid_table(load_comparison().published)
    october = [
        "Hammersmith, Fulham, Kensington, Chelsea and Westminster",
        "Lambeth",
        "Ealing and Hillingdon",
    ]
    case_stds = ["court_work", "assessment", "planning", "implementation_and_delivery", "reviewing"]
    assert (grid.loc[october, case_stds] == "Inadequate").all(axis=None)
    assert (
        grid.loc[
            "Lewisham and Bromley",
            ["leadership", "staff", "services", "information_and_facilities"],
        ]
        == "Requires improvement"
    ).all()
    assert grid.loc["Newham"].isna().all()  # unknown stays unknown


def test_summary_table_recomputes_and_shows_a_mismatch():
    d = load_comparison()
    s = summary_table(d.overall, d.ratings, d.cases_per_pdu)
    assert (s["check"] == "matches").all() and (s["cases"] == 42).all()
    assert s.loc[s["pdu"] == "Lambeth", "published_rating"].item() == "Inadequate (I)"
    wrong = d.overall.copy()
    wrong.loc[wrong["pdu"] == "Newham", "overall_rating"] = "Good"
    s2 = summary_table(wrong, d.ratings, d.cases_per_pdu)
    assert s2.loc[s2["pdu"] == "Newham", "check"].item() == "MISMATCH"
    text = " ".join(findings(s2, d.ratings, d.case_ratings))
    assert "does NOT match" in text and "Newham" in text

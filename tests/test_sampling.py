"""Sampling uncertainty: reference values, exact cross-checks and simulation-versus-exact."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hmip.analyses.sample_size import improvement_verdict
from hmip.rules.ratings import Rating, overall_rating
from hmip.stats.sampling import (
    SamplingError,
    accuracy_curve,
    band_probabilities,
    compare_samples,
    correlation_effect,
    overall_distribution,
    p_correct_band,
    p_improved,
    pdu_rating_distribution,
    rating_distribution_correlated,
    rating_distribution_independent,
    sample_size_for_accuracy,
    stability,
)

I, RI, G, O = list(Rating)


def test_jeffreys_band_probabilities_for_20_of_42():
    p = band_probabilities(20, 42)
    assert list(p.index) == list(Rating)
    assert (p[I], p[RI], p[G]) == pytest.approx((0.621, 0.369, 0.010), abs=0.001)


def test_prior_is_configurable():
    assert band_probabilities(20, 42, prior=(1, 1))[I] == pytest.approx(stats.beta.cdf(0.5, 21, 23))


def test_finite_population_census_is_certain_and_large_caseload_is_near_infinite():
    assert band_probabilities(20, 42, caseload=42)[I] == pytest.approx(1.0)
    assert band_probabilities(20, 42, caseload=10**6)[I] == pytest.approx(
        band_probabilities(20, 42)[I], abs=1e-3
    )
    assert (
        band_probabilities(20, 42, caseload=100)[I] > band_probabilities(20, 42)[I]
    )  # less left unknown


def test_p_correct_band_at_0_70_and_42():
    assert p_correct_band(0.70, 42) == pytest.approx(0.663, abs=0.001)
    brute = sum(stats.binom.pmf(k, 42, 0.7) for k in range(28, 34))
    assert p_correct_band(0.70, 42) == pytest.approx(brute, abs=1e-12)


def test_hypergeometric_with_a_caseload():
    brute = sum(stats.hypergeom.pmf(k, 2100, 1470, 42) for k in range(28, 34))
    assert p_correct_band(0.70, 42, caseload=2100) == pytest.approx(brute, abs=1e-12)
    assert p_correct_band(0.70, 2100, caseload=2100) == pytest.approx(1.0)


def test_sample_size_for_accuracy_is_the_point_after_which_it_stays_above():
    for target in (0.8, 0.9):
        n = sample_size_for_accuracy(0.70, target)
        curve = accuracy_curve([0.70], range(n - 1, n + 1500))["p_correct"].to_numpy()
        assert curve[0] < target and (curve[1:] >= target).all()
    assert sample_size_for_accuracy(0.70, 0.9) > sample_size_for_accuracy(0.70, 0.8)
    with pytest.raises(SamplingError, match="band boundary"):
        sample_size_for_accuracy(0.65, 0.8, n_max=3000)


def test_the_saw_tooth_first_crossing_is_not_enough():
    curve = accuracy_curve([0.70], range(1, 400))
    n = sample_size_for_accuracy(0.70, 0.8)
    first = int(curve.loc[curve["p_correct"] >= 0.8, "n"].min())
    assert first < n  # reaching the target once is earlier than staying there


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data(), st.sampled_from([None, 500]))
def test_band_probabilities_and_stability_sum_to_one(n, data, caseload):
    k = data.draw(st.integers(0, n))
    if caseload is not None and caseload < n:
        caseload = None
    assert band_probabilities(k, n, caseload=caseload).sum() == pytest.approx(1.0)
    assert stability(k, n).sum() == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([0.3, 0.42, 0.57, 0.72, 0.9]))
def test_accuracy_converges_to_one_away_from_a_boundary(share):
    assert p_correct_band(share, 4000) > 0.99
    assert p_correct_band(share, 4000) > p_correct_band(share, 42)


def test_dirichlet_simulation_agrees_with_the_exact_beta_binomial_for_one_question():
    answers = pd.DataFrame({"q": ["yes"] * 24 + ["no"] * 18})
    sim = rating_distribution_correlated(answers, draws=200_000, seed=1)
    exact = rating_distribution_independent({"q": (24, 18)}, kind="resample")
    se = sim.attrs["monte_carlo_se"]
    assert np.abs(sim.to_numpy() - exact.to_numpy()).max() < 5 * se
    true_sim = rating_distribution_correlated(answers, kind="true", draws=200_000, seed=2)
    true_exact = rating_distribution_independent({"q": (24, 18)}, kind="true")
    assert (
        np.abs(true_sim.to_numpy() - true_exact.to_numpy()).max()
        < 5 * true_sim.attrs["monte_carlo_se"]
    )


def test_correlation_matters_for_identical_questions():
    # three copies of one question: the minimum of three independent draws is pessimistic
    col = ["yes"] * 28 + ["no"] * 14
    answers = pd.DataFrame({"a": col, "b": col, "c": col})
    corr = rating_distribution_correlated(answers, draws=50_000, seed=3)
    indep = rating_distribution_independent({k: (28, 14) for k in "abc"})
    single = rating_distribution_independent({"a": (28, 14)})
    assert abs(corr[G] - single[G]) < 0.02  # perfectly correlated = one question
    assert indep[G] < corr[G] - 0.1


def test_bootstrap_is_available_and_seeded():
    answers = pd.DataFrame({"a": ["yes"] * 30 + ["no"] * 12, "b": ["yes"] * 25 + ["no"] * 17})
    a = rating_distribution_correlated(answers, method="bootstrap", draws=5000, seed=9)
    b = rating_distribution_correlated(answers, method="bootstrap", draws=5000, seed=9)
    assert a.equals(b) and a.sum() == pytest.approx(1.0)


def test_overall_distribution_of_point_masses_equals_the_rules():
    fixed = {
        "leadership": "RI",
        "staff": "RI",
        "services": "RI",
        "information_and_facilities": "RI",
    }
    point = {
        s: pd.Series([1.0, 0, 0, 0], index=list(Rating))
        for s in [
            "court_work",
            "assessment",
            "planning",
            "implementation_and_delivery",
            "reviewing",
        ]
    }
    pts, overall = overall_distribution(point, fixed)
    assert (
        pts.idxmax() == 4 and pts.max() == pytest.approx(1.0) and overall[I] == pytest.approx(1.0)
    )
    ratings = fixed | {s: "I" for s in point}
    assert overall_rating(ratings).points == 4
    # court work unrated -> 24-point scale
    point.pop("court_work")
    pts, _ = overall_distribution(point, fixed | {"court_work": None})
    assert len(pts) == 25


def test_overall_distribution_is_the_convolution():
    fixed = {"leadership": "G", "staff": "G", "services": "G", "information_and_facilities": "G"}
    d = pd.Series([0.2, 0.5, 0.3, 0.0], index=list(Rating))
    dists = {
        s: d
        for s in [
            "court_work",
            "assessment",
            "planning",
            "implementation_and_delivery",
            "reviewing",
        ]
    }
    pts, overall = overall_distribution(dists, fixed)
    rng = np.random.default_rng(0)
    sims = 8 + rng.choice(4, p=d.to_numpy(), size=(200_000, 5)).sum(axis=1)
    assert pts[13] == pytest.approx((sims == 13).mean(), abs=0.005)
    assert pts.sum() == pytest.approx(1.0) and overall.sum() == pytest.approx(1.0)


def test_lewisham_and_bromley_overall_distribution(cases):
    res = pdu_rating_distribution(
        cases,
        "Lewisham and Bromley",
        dict.fromkeys(["leadership", "staff", "services", "information_and_facilities"], "RI"),
        draws=20000,
    )
    assert res["overall"].sum() == pytest.approx(1.0)
    assert res["overall"][I] > 0.5 and 0 < res["overall"][RI] < 0.5  # one point away: a real chance
    assert res["points"][:4].sum() == pytest.approx(0)  # 4 judgement points are fixed
    eff = correlation_effect(cases, "Lewisham and Bromley", draws=5000)
    assert set(eff["key_questions"]) == {"correlated", "independent"}


def test_p_improved_matches_monte_carlo():
    rng = np.random.default_rng(5)
    a = rng.beta(25.5, 17.5, 400_000)
    b = rng.beta(33.5, 17.5, 400_000)
    assert p_improved(25, 42, 33, 50) == pytest.approx((b > a).mean(), abs=0.003)


def test_a_6_point_uplift_is_not_proof_of_improvement():
    before = pd.DataFrame(
        {"standard": ["assessment"], "key_question": ["safety"], "yes": [25], "no": [17]}
    )
    after = pd.DataFrame(
        {"standard": ["assessment"], "key_question": ["safety"], "yes": [33], "no": [17]}
    )
    row = compare_samples(before, after).iloc[0]
    assert row["difference"] == pytest.approx(33 / 50 - 25 / 42)
    assert row["lower"] < 0 < row["upper"] and 0.5 < row["p_improved"] < 0.95
    assert "NOT proven" in improvement_verdict(row) and row["interval"].startswith("Newcombe")

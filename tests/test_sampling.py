"""Sampling uncertainty: reference values, exact cross-checks and simulation-versus-exact."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hmip.analyses.sample_size import improvement_verdict
from hmip.errors import StatisticsError
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
    standard_rating_distribution,
)

I, RI, G, O = list(Rating)
CASE_SAMPLE_STANDARDS = [
    "court_work",
    "assessment",
    "planning",
    "implementation_and_delivery",
    "reviewing",
]


def by_rating(table: pd.DataFrame) -> pd.Series:
    """A rating table's probabilities indexed by Rating."""
    return table.set_index("rating")["probability"]


def test_jeffreys_band_probabilities_for_20_of_42():
    table = band_probabilities(20, 42)
    p = by_rating(table)
    assert list(p.index) == list(Rating)
    assert (
        table["method"].iloc[0]
        == "Beta posterior; Jeffreys posterior Beta(20.5, 22.5) for the true share"
    )
    assert (p[I], p[RI], p[G]) == pytest.approx((0.621, 0.369, 0.010), abs=0.001)


def test_prior_is_configurable():
    assert by_rating(band_probabilities(20, 42, prior=(1, 1)))[I] == pytest.approx(
        stats.beta.cdf(0.5, 21, 23)
    )


def test_finite_population_census_is_certain_and_large_caseload_is_near_infinite():
    def p_i(**kw):
        return by_rating(band_probabilities(20, 42, **kw))[I]

    assert p_i(caseload=42) == pytest.approx(1.0)
    assert p_i(caseload=10**6) == pytest.approx(p_i(), abs=1e-3)
    assert p_i(caseload=100) > p_i()  # less left unknown


def test_p_correct_band_at_0_70_and_42():
    assert p_correct_band(0.70, 42).value == pytest.approx(0.663, abs=0.001)
    brute = sum(stats.binom.pmf(k, 42, 0.7) for k in range(28, 34))
    assert p_correct_band(0.70, 42).value == pytest.approx(brute, abs=1e-12)
    assert p_correct_band(0.70, 42).method == "exact binomial"


def test_hypergeometric_with_a_caseload():
    brute = sum(stats.hypergeom.pmf(k, 2100, 1470, 42) for k in range(28, 34))
    assert p_correct_band(0.70, 42, caseload=2100).value == pytest.approx(brute, abs=1e-12)
    assert p_correct_band(0.70, 2100, caseload=2100).value == pytest.approx(1.0)


def test_sample_size_for_accuracy_is_the_point_after_which_it_stays_above():
    for target in (0.8, 0.9):
        n = sample_size_for_accuracy(0.70, target).n
        curve = accuracy_curve([0.70], range(n - 1, n + 1500))["p_correct"].to_numpy()
        assert curve[0] < target and (curve[1:] >= target).all()
    assert sample_size_for_accuracy(0.70, 0.9).n > sample_size_for_accuracy(0.70, 0.8).n
    with pytest.raises(SamplingError, match="band boundary"):
        sample_size_for_accuracy(0.65, 0.8, n_max=3000)


def test_the_saw_tooth_first_crossing_is_not_enough():
    curve = accuracy_curve([0.70], range(1, 400))
    n = sample_size_for_accuracy(0.70, 0.8).n
    first = int(curve.loc[curve["p_correct"] >= 0.8, "n"].min())
    assert first < n  # reaching the target once is earlier than staying there


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data(), st.sampled_from([None, 500]))
def test_band_probabilities_and_stability_sum_to_one(n, data, caseload):
    k = data.draw(st.integers(0, n))
    if caseload is not None and caseload < n:
        caseload = None
    assert band_probabilities(k, n, caseload=caseload)["probability"].sum() == pytest.approx(1.0)
    assert stability(k, n)["probability"].sum() == pytest.approx(1.0)


@settings(max_examples=30, deadline=None)
@given(st.sampled_from([0.3, 0.42, 0.57, 0.72, 0.9]))
def test_accuracy_converges_to_one_away_from_a_boundary(share):
    assert p_correct_band(share, 4000).value > 0.99
    assert p_correct_band(share, 4000).value > p_correct_band(share, 42).value


def test_dirichlet_simulation_agrees_with_the_exact_beta_binomial_for_one_question():
    answers = pd.DataFrame({"q": ["yes"] * 24 + ["no"] * 18})
    sim = rating_distribution_correlated(answers, draws=200_000, seed=1)
    exact = rating_distribution_independent({"q": (24, 18)}, kind="resample")
    se = sim["monte_carlo_se"].max()
    assert np.abs(sim["probability"] - exact["probability"]).max() < 5 * se
    true_sim = rating_distribution_correlated(answers, kind="true", draws=200_000, seed=2)
    true_exact = rating_distribution_independent({"q": (24, 18)}, kind="true")
    assert (
        np.abs(true_sim["probability"] - true_exact["probability"]).max()
        < 5 * true_sim["monte_carlo_se"].max()
    )


def test_correlation_matters_for_identical_questions():
    # three copies of one question: the minimum of three independent draws is pessimistic
    col = ["yes"] * 28 + ["no"] * 14
    answers = pd.DataFrame({"a": col, "b": col, "c": col})
    corr = by_rating(rating_distribution_correlated(answers, draws=50_000, seed=3))
    indep = by_rating(rating_distribution_independent({k: (28, 14) for k in "abc"}))
    single = by_rating(rating_distribution_independent({"a": (28, 14)}))
    assert abs(corr[G] - single[G]) < 0.02  # perfectly correlated = one question
    assert indep[G] < corr[G] - 0.1


def test_bootstrap_is_available_and_seeded():
    answers = pd.DataFrame({"a": ["yes"] * 30 + ["no"] * 12, "b": ["yes"] * 25 + ["no"] * 17})
    a = rating_distribution_correlated(answers, method="bootstrap", draws=5000, seed=9)
    b = rating_distribution_correlated(answers, method="bootstrap", draws=5000, seed=9)
    assert a.equals(b) and a["probability"].sum() == pytest.approx(1.0)


def test_overall_distribution_of_point_masses_equals_the_rules():
    fixed = {
        "leadership": "RI",
        "staff": "RI",
        "services": "RI",
        "information_and_facilities": "RI",
    }
    point = {s: pd.Series([1.0, 0, 0, 0], index=list(Rating)) for s in CASE_SAMPLE_STANDARDS}
    res = overall_distribution(point, fixed)
    pts, overall = res.points.set_index("points")["probability"], by_rating(res.overall)
    assert (
        pts.idxmax() == 4 and pts.max() == pytest.approx(1.0) and overall[I] == pytest.approx(1.0)
    )
    ratings = fixed | {s: "I" for s in point}
    assert overall_rating(ratings).points == 4
    # court work unrated -> 24-point scale
    point.pop("court_work")
    pts = overall_distribution(point, fixed | {"court_work": None}).points
    assert len(pts) == 25


def test_overall_distribution_is_the_convolution():
    fixed = {"leadership": "G", "staff": "G", "services": "G", "information_and_facilities": "G"}
    d = pd.Series([0.2, 0.5, 0.3, 0.0], index=list(Rating))
    dists = {s: d for s in CASE_SAMPLE_STANDARDS}
    res = overall_distribution(dists, fixed)
    pts, overall = res.points.set_index("points")["probability"], by_rating(res.overall)
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
    overall = by_rating(res.overall)
    assert overall.sum() == pytest.approx(1.0)
    assert overall[I] > 0.5 and 0 < overall[RI] < 0.5  # one point away: a real chance
    assert res.points["probability"][:4].sum() == pytest.approx(0)  # 4 judgement points are fixed
    eff = correlation_effect(cases, "Lewisham and Bromley", draws=5000)
    assert set(eff["key_questions"]) == {"correlated", "independent"}


def test_p_improved_matches_monte_carlo():
    rng = np.random.default_rng(5)
    a = rng.beta(25.5, 17.5, 400_000)
    b = rng.beta(33.5, 17.5, 400_000)
    assert p_improved(25, 42, 33, 50).value == pytest.approx((b > a).mean(), abs=0.003)


def test_a_6_point_uplift_is_not_proof_of_improvement():
    before = pd.DataFrame(
        {"standard": ["assessment"], "key_question": ["safety"], "yes": [25], "no": [17]}
    )
    after = pd.DataFrame(
        {"standard": ["assessment"], "key_question": ["safety"], "yes": [33], "no": [17]}
    )
    row = compare_samples(before, after).iloc[0]
    assert row["estimate"] == pytest.approx(33 / 50 - 25 / 42)
    assert row["lower"] < 0 < row["upper"] and 0.5 < row["p_improved"] < 0.95
    assert "NOT proven" in improvement_verdict(row) and row["method"].startswith("Newcombe")


# --- Re-audit: pairing and verdicts ------------------------------------------------------------------
def _sample(yes, n=42, pdu=None):
    t = pd.DataFrame(
        {"standard": ["assessment"], "key_question": ["safety"], "yes": [yes], "no": [n - yes]}
    )
    return t if pdu is None else t.assign(pdu=pdu)


def test_compare_samples_pairs_each_pdu_with_itself():
    before = pd.concat([_sample(25, pdu="A"), _sample(30, pdu="B")], ignore_index=True)
    after = pd.concat([_sample(20, pdu="B"), _sample(33, pdu="A")], ignore_index=True)
    out = compare_samples(before, after)
    assert len(out) == 2  # not 4: A before is never set against B after
    a, b = out.set_index("pdu").loc["A"], out.set_index("pdu").loc["B"]
    assert (a["yes_before"], a["yes_after"], b["yes_before"], b["yes_after"]) == (25, 33, 30, 20)
    assert a["estimate"] == pytest.approx(33 / 42 - 25 / 42)
    assert b["estimate"] == pytest.approx(20 / 42 - 30 / 42)
    # one sample with several PDUs and the other without a pdu column cannot be paired
    with pytest.raises(SamplingError, match="give pdu in both"):
        compare_samples(before, _sample(30))


def _band_probs(k, n):
    """P(true share in each band) from scipy's Beta(k + 1/2, n - k + 1/2), written out here."""
    cdf = stats.beta.cdf([0.5, 0.65, 0.8], k + 0.5, n - k + 0.5)
    return np.diff(np.concatenate([[0], cdf, [1]]))


@pytest.mark.parametrize("k1,k2", [(36, 15), (27, 27), (15, 36), (25, 33), (20, 21)])
def test_band_up_and_down_against_scipy(k1, k2):
    row = compare_samples(_sample(k1), _sample(k2)).iloc[0]
    b1, b2 = _band_probs(k1, 42), _band_probs(k2, 42)
    up = sum(b1[i] * b2[j] for i in range(4) for j in range(4) if j > i)
    down = sum(b1[i] * b2[j] for i in range(4) for j in range(4) if j < i)
    assert row["p_band_up"] == pytest.approx(up, abs=1e-9)
    assert row["p_band_down"] == pytest.approx(down, abs=1e-9)
    assert "p_band_moved" not in row.index


def test_a_clear_decline_is_never_called_no_change():
    row = compare_samples(_sample(36), _sample(15)).iloc[0]
    assert (100 * row["lower"], 100 * row["upper"]) == pytest.approx((-64.8, -29.7), abs=0.05)
    text = improvement_verdict(row)
    assert "wholly below zero" in text and "decline" in text
    assert "includes" not in text and "no change" not in text
    assert row["p_band_down"] > 0.99 and row["p_band_up"] < 0.01
    assert "lower more than 99%" in text


def test_identical_samples_are_not_said_to_have_moved():
    row = compare_samples(_sample(27), _sample(27)).iloc[0]
    assert row["estimate"] == 0 and row["lower"] < 0 < row["upper"]
    assert row["p_band_up"] == pytest.approx(row["p_band_down"])  # symmetric ...
    assert row["p_band_up"] < 0.3  # ... and each well below a half
    text = improvement_verdict(row)
    assert "moved" not in text and "54%" not in text
    assert "cannot tell a rise or a fall from no change" in text
    assert "neither a move up nor a move down is more likely than not" in text


def test_a_clear_improvement_is_supported():
    row = compare_samples(_sample(15), _sample(36)).iloc[0]
    assert row["lower"] > 0
    text = improvement_verdict(row)
    assert "wholly above zero" in text and "improvement is supported" in text
    assert row["p_band_up"] > 0.99 and "higher after is more than 99%" in text


# --- Impossible arguments: the project's error, never a number or a foreign exception ----------------
CASE_STANDARDS = [
    "court_work",
    "assessment",
    "planning",
    "implementation_and_delivery",
    "reviewing",
]
FIXED = {"leadership": "G", "staff": "G", "services": "G", "information_and_facilities": "G"}
D = pd.Series([0.2, 0.5, 0.3, 0.0], index=list(Rating))


def test_the_reported_impossible_arguments_raise_the_projects_error():
    with pytest.raises(SamplingError, match="n_new"):
        stability(27, 42, n_new=0)  # was P(Outstanding) = 1
    no_cases = pd.DataFrame(
        {
            "pdu": ["x"] * 3,
            "standard": ["assessment"] * 3,
            "key_question": ["engagement", "desistance", "safety"],
            "yes": [0] * 3,
            "no": [0] * 3,
        }
    )
    with pytest.raises(SamplingError, match="no applicable cases"):  # was P(Outstanding) = 1
        standard_rating_distribution(None, "assessment", counts=no_cases, correlated=False)
    with pytest.raises(SamplingError, match="no cases"):
        rating_distribution_independent({"q": (0, 0)})
    with pytest.raises(SamplingError, match="n = 42.5"):
        p_correct_band(0.7, 42.5)  # silently used 42
    with pytest.raises(SamplingError, match="prior"):
        band_probabilities(20, 42, prior=(float("nan"), 0.5))  # gave NaN probabilities
    with pytest.raises(SamplingError, match="caseload"):
        band_probabilities(20, 42, caseload=float("nan"))  # raised numpy's ValueError
    nan = {s: D * np.nan if s == "assessment" else D for s in CASE_STANDARDS}
    with pytest.raises(SamplingError, match="proportion"):
        overall_distribution(nan, FIXED)  # gave all-zero probabilities
    with pytest.raises(SamplingError, match="sums to 2"):
        overall_distribution({s: 2 * D for s in CASE_STANDARDS}, FIXED)  # summed to 2
    with pytest.raises(SamplingError, match="given both"):  # court work counted and unrated
        overall_distribution({s: D for s in CASE_STANDARDS}, FIXED | {"court_work": None})


NOT_A_WHOLE_NUMBER = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda x: not (np.isfinite(x) and float(x).is_integer())
    ),
    st.text(max_size=3),
    st.booleans(),
)
NEGATIVE = st.integers(max_value=-1)
NOT_A_SHARE = st.one_of(
    st.floats().filter(lambda x: not 0 <= x <= 1), st.text(max_size=3), st.none(), st.booleans()
)
NOT_A_PRIOR = st.one_of(
    st.tuples(st.floats().filter(lambda x: not (np.isfinite(x) and x > 0)), st.just(0.5)),
    st.tuples(st.just(0.5)),
    st.tuples(st.just(0.5), st.just(0.5), st.just(0.5)),
    st.just("jeffreys"),
    st.none(),
)
NOT_A_LEVEL = st.one_of(
    st.floats().filter(lambda x: not 0.5 <= x < 1), st.integers(), st.text(max_size=3)
)
BAD_DIST = st.one_of(
    st.lists(st.floats(allow_nan=True), min_size=4, max_size=4)
    .filter(lambda v: not (all(0 <= x <= 1 for x in v) and abs(sum(v) - 1) <= 1e-6))
    .map(lambda v: pd.Series(v, index=list(Rating))),
    st.just(pd.Series([0.5, 0.5], index=["Good", "Excellent"])),
    st.just("Good"),
    st.just([0.25] * 4),
)
ANSWERS = pd.DataFrame({"a": ["yes", "no", "yes"], "b": ["no", "no", "yes"]})
BEFORE = _sample(25)


@st.composite
def bad_sample(draw):
    t = BEFORE.copy().astype(object)
    kind = draw(st.sampled_from(["cell", "missing", "not a table", "duplicate"]))
    if kind == "cell":
        t.loc[0, draw(st.sampled_from(["yes", "no"]))] = draw(
            st.one_of(NOT_A_WHOLE_NUMBER, NEGATIVE)
        )
    elif kind == "missing":
        t = t.drop(columns=draw(st.sampled_from(["yes", "no", "standard", "key_question"])))
    elif kind == "duplicate":
        t = pd.concat([t, t], ignore_index=True)
    else:
        t = draw(st.sampled_from([None, "counts.csv", [25, 17]]))
    return t


SAMPLING_CALLS = {
    "band_probabilities k": lambda d: band_probabilities(
        d.draw(st.one_of(NOT_A_WHOLE_NUMBER, NEGATIVE, st.integers(43, 99))), 42
    ),
    "band_probabilities n": lambda d: band_probabilities(
        0, d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "band_probabilities caseload": lambda d: band_probabilities(
        20, 42, caseload=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=41)))
    ),
    "band_probabilities prior": lambda d: band_probabilities(20, 42, prior=d.draw(NOT_A_PRIOR)),
    "band_probabilities framework": lambda d: band_probabilities(20, 42, framework="pdu_2021"),
    "stability n_new": lambda d: stability(
        27, 42, n_new=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "stability prior": lambda d: stability(27, 42, prior=d.draw(NOT_A_PRIOR)),
    "accuracy_curve shares": lambda d: accuracy_curve(
        d.draw(st.one_of(NOT_A_SHARE, st.lists(NOT_A_SHARE, min_size=1), st.just([]))), [42]
    ),
    "accuracy_curve ns": lambda d: accuracy_curve(
        [0.7],
        d.draw(
            st.one_of(
                NOT_A_WHOLE_NUMBER, st.lists(st.integers(max_value=0), min_size=1), st.just([])
            )
        ),
    ),
    "accuracy_curve caseload": lambda d: accuracy_curve(
        [0.7], [42, 60], caseload=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=59)))
    ),
    "p_correct_band share": lambda d: p_correct_band(d.draw(NOT_A_SHARE), 42),
    "p_correct_band n": lambda d: p_correct_band(
        0.7, d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "sample_size_for_accuracy target": lambda d: sample_size_for_accuracy(
        0.7, d.draw(st.one_of(NOT_A_SHARE, st.sampled_from([0, 1])))
    ),
    "sample_size_for_accuracy n_max": lambda d: sample_size_for_accuracy(
        0.7, 0.8, n_max=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "independent counts": lambda d: rating_distribution_independent(
        d.draw(
            st.one_of(
                st.just({}),
                st.just({"q": (0, 0)}),
                st.just({"q": (5,)}),
                st.just({"q": "5, 3"}),
                st.just([(5, 3)]),
                st.tuples(st.one_of(NOT_A_WHOLE_NUMBER, NEGATIVE), st.integers(1, 9)).map(
                    lambda t: {"q": t}
                ),
            )
        )
    ),
    "independent kind": lambda d: rating_distribution_independent(
        {"q": (5, 3)}, kind=d.draw(st.text(max_size=5).filter(lambda k: k != "true"))
    ),
    "independent prior": lambda d: rating_distribution_independent(
        {"q": (5, 3)}, prior=d.draw(NOT_A_PRIOR)
    ),
    "correlated answers": lambda d: rating_distribution_correlated(
        d.draw(
            st.sampled_from(
                [
                    None,
                    ANSWERS.iloc[:0],
                    ANSWERS.assign(c="n/a"),
                    ANSWERS.assign(a=["yes", "maybe", "no"]),
                    ANSWERS.assign(b=[None, "no", "yes"]),
                ]
            )
        )
    ),
    "correlated draws": lambda d: rating_distribution_correlated(
        ANSWERS, draws=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "correlated seed": lambda d: rating_distribution_correlated(
        ANSWERS, draws=10, seed=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, NEGATIVE))
    ),
    "correlated method": lambda d: rating_distribution_correlated(
        ANSWERS, draws=10, method=d.draw(st.text(max_size=5))
    ),
    "correlated bootstrap true": lambda d: rating_distribution_correlated(
        ANSWERS, draws=10, method="bootstrap", kind="true"
    ),
    "standard name": lambda d: standard_rating_distribution(
        None,
        d.draw(st.sampled_from(["assesment", "leadership", "9.9"])),
        counts=BEFORE,
        correlated=False,
    ),
    "standard counts": lambda d: standard_rating_distribution(
        None, "assessment", counts=d.draw(bad_sample()), correlated=False
    ),
    "standard cases": lambda d: standard_rating_distribution(
        d.draw(st.sampled_from([None, BEFORE, "cases.csv"])), "assessment"
    ),
    "standard correlated": lambda d: standard_rating_distribution(
        None, "assessment", counts=BEFORE, correlated="no"
    ),
    "overall dist": lambda d: overall_distribution(
        {s: d.draw(BAD_DIST) if s == "planning" else D for s in CASE_STANDARDS}, FIXED
    ),
    "overall fixed": lambda d: overall_distribution(
        {s: D for s in CASE_STANDARDS},
        FIXED | {"staff": d.draw(st.sampled_from(["Excellent", 7, None, "GG"]))},
    ),
    "overall twice": lambda d: overall_distribution(
        {s: D for s in CASE_STANDARDS}, FIXED | {d.draw(st.sampled_from(CASE_STANDARDS)): "G"}
    ),
    "overall missing": lambda d: overall_distribution({s: D for s in CASE_STANDARDS[1:]}, FIXED),
    "overall unknown": lambda d: overall_distribution(
        {s: D for s in CASE_STANDARDS} | {"budget": D}, FIXED
    ),
    "overall not mappings": lambda d: overall_distribution(list(CASE_STANDARDS), FIXED),
    "p_improved": lambda d: p_improved(
        d.draw(st.one_of(NOT_A_WHOLE_NUMBER, NEGATIVE, st.integers(43, 99))), 42, 20, 42
    ),
    "p_improved prior": lambda d: p_improved(20, 42, 25, 42, prior=d.draw(NOT_A_PRIOR)),
    "compare before": lambda d: compare_samples(d.draw(bad_sample()), BEFORE),
    "compare after": lambda d: compare_samples(BEFORE, d.draw(bad_sample())),
    "compare level": lambda d: compare_samples(BEFORE, BEFORE, level=d.draw(NOT_A_LEVEL)),
    "compare nothing shared": lambda d: compare_samples(
        BEFORE, BEFORE.assign(key_question="desistance")
    ),
    "pdu cases": lambda d: pdu_rating_distribution(
        d.draw(st.sampled_from([None, "cases.csv", BEFORE])), "x", FIXED
    ),
    "correlation_effect": lambda d: correlation_effect(
        d.draw(st.sampled_from([None, "cases.csv", BEFORE])), "x"
    ),
    "pdu judgement": lambda d: pdu_rating_distribution(
        None, "x", d.draw(st.sampled_from([{}, FIXED | {"staff": "Excellent"}, "G"]))
    ),
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(sorted(SAMPLING_CALLS)), st.data())
def test_sampling_functions_refuse_impossible_arguments(name, data):
    with pytest.raises(StatisticsError):
        SAMPLING_CALLS[name](data)

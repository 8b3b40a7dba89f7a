"""hmip.stats.progress against references: intervals against statsmodels' Wilson and Clopper-Pearson,
the trend against a statsmodels GLM fitted here on case-level data, band chances against an exact
enumeration of every answer pattern written in this test, multiplicity against statsmodels'
multipletests and the exact tests against scipy."""

import itertools
import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from hmip.errors import StatisticsError
from hmip.stats import progress as pr
from hmip.stats.sampling import compare_samples

PDU = "Lewisham and Bromley"
ORIGIN = "2022-08-22"
PUBLISHED = {
    "leadership": "RI",
    "staff": "RI",
    "services": "RI",
    "information_and_facilities": "RI",
    "court_work": "I",
    "assessment": "I",
    "planning": "I",
    "implementation_and_delivery": "I",
    "reviewing": "I",
}


def _counts(rows):
    """rows: (date, standard, key_question, yes, no[, not_applicable])."""
    df = pd.DataFrame(
        [(PDU, *r[:5], r[5] if len(r) > 5 else 0) for r in rows],
        columns=["pdu", "audit_date", "standard", "key_question", "yes", "no", "not_applicable"],
    )
    df["audit_date"] = pd.to_datetime(df["audit_date"])
    return df


@pytest.fixture(scope="module")
def series():
    from hmip.data.audits import audit_counts, load_audits

    return audit_counts(load_audits())


@pytest.fixture(scope="module")
def inspection():
    from hmip.data.cases import key_question_counts, load_cases

    c = key_question_counts(load_cases())
    return c[c["pdu"] == PDU]


# --- Intervals --------------------------------------------------------------------------------------
@pytest.mark.parametrize("method,sm_name", [("wilson", "wilson"), ("clopper-pearson", "beta")])
def test_audit_shares_match_statsmodels(series, method, sm_name):
    out = pr.audit_shares(series, level=0.9, method=method)
    assert (out["n"] > 0).all() and len(out) == int(series["covered"].sum())
    lo, hi = proportion_confint(out["yes"], out["n"], alpha=0.1, method=sm_name)
    np.testing.assert_allclose(out["lower"], np.clip(lo, 0, 1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["upper"], np.clip(hi, 0, 1), rtol=1e-10, atol=1e-12)
    assert (out["level"] == 0.9).all()
    assert out["method"].iloc[0].startswith("Wilson" if method == "wilson" else "Clopper-Pearson")


# --- Trend --------------------------------------------------------------------------------------------
def test_trend_matches_statsmodels_glm_on_case_level_data(series):
    out = pr.trend(series, origin=ORIGIN, level=0.95)
    assert (out["status"] == "estimated").all()
    for r in out.itertuples():
        g = series[
            (series.standard == r.standard)
            & (series.key_question == r.key_question)
            & series.covered
        ]
        # one row per case, 1 = yes: a Bernoulli GLM, not the grouped counts the function fits
        t = (g["audit_date"] - pd.Timestamp(ORIGIN)).dt.days / 365.25
        y = np.concatenate(
            [np.r_[np.ones(a), np.zeros(b)] for a, b in zip(g.yes, g.no, strict=True)]
        )
        x = np.concatenate([np.full(a + b, tt) for a, b, tt in zip(g.yes, g.no, t, strict=True)])
        res = sm.GLM(y, sm.add_constant(x), family=sm.families.Binomial()).fit(tol=1e-12)
        ci = res.conf_int(alpha=0.05)
        assert r.estimate == pytest.approx(res.params[1], rel=1e-8, abs=1e-10)
        # the standard error is taken at the last IRLS step: equal to about 1e-8
        assert r.lower == pytest.approx(ci[1, 0], rel=1e-6, abs=1e-9)
        assert r.upper == pytest.approx(ci[1, 1], rel=1e-6, abs=1e-9)
        assert r.p_value == pytest.approx(res.pvalues[1], rel=1e-6, abs=1e-12)
        assert r.odds_ratio == pytest.approx(math.exp(res.params[1]), rel=1e-6)
        assert r.cases == len(y)
    assert out["method"].iloc[0].startswith("binomial GLM with logit link")


def test_quasi_binomial_trend_matches_statsmodels(series):
    out = pr.trend(series, origin=ORIGIN, overdispersion=True)
    g = series[
        (series.standard == "reviewing") & (series.key_question == "safety") & series.covered
    ]
    t = ((g["audit_date"] - pd.Timestamp(ORIGIN)).dt.days / 365.25).to_numpy()
    res = sm.GLM(
        g[["yes", "no"]].to_numpy(), sm.add_constant(t), family=sm.families.Binomial()
    ).fit(tol=1e-12, scale="X2")
    r = out.set_index(["standard", "key_question"]).loc[("reviewing", "safety")]
    assert r["dispersion"] == pytest.approx(res.pearson_chi2 / res.df_resid, rel=1e-8)
    assert r["lower"] == pytest.approx(res.conf_int()[1, 0], rel=1e-6)
    assert r["p_value"] == pytest.approx(res.pvalues[1], rel=1e-6)
    assert "quasi-binomial" in r["method"]


def test_trend_in_the_example_improves_on_safety_only(series):
    out = pr.trend(series, origin=ORIGIN).set_index(["standard", "key_question"])
    for std in ("assessment", "planning", "implementation_and_delivery"):
        assert out.loc[(std, "safety"), "direction"] == "up"
    for kq in ("engagement", "desistance"):
        assert out.loc[("assessment", kq), "direction"] == "no clear trend"


def _safety_series(*yes_no: tuple[int, int]) -> list[tuple]:
    """Assessment's safety question at the quarterly audits of 2023, one (yes, no) per audit."""
    dates = ("2023-03-31", "2023-06-30", "2023-09-30")
    return [(d, "assessment", "safety", y, n) for d, (y, n) in zip(dates, yes_no, strict=False)]


@pytest.mark.parametrize(
    "rows,reason",
    [
        (_safety_series((5, 0), (7, 0), (4, 0)), "every answer is yes"),
        (_safety_series((0, 5), (0, 3), (0, 4)), "every answer is no"),
        (_safety_series((0, 5), (0, 3), (4, 0)), "separated in time"),
        (_safety_series((0, 5), (2, 3), (4, 0)), "separated in time"),
        (_safety_series((1, 5), (2, 3)), "at least 3"),
    ],
)
def test_trend_says_cannot_estimate_with_the_reason(rows, reason):
    out = pr.trend(_counts(rows), origin=ORIGIN)
    (r,) = out.itertuples()
    assert r.status == "cannot estimate" and reason in r.reason
    assert math.isnan(r.estimate) and r.direction == "cannot estimate"
    with pytest.raises(StatisticsError, match="cannot estimate"):
        pr.trend_curve(_counts(rows), "assessment", "safety", origin=ORIGIN)


def test_trend_curve_matches_statsmodels_prediction(series):
    g = series[(series.standard == "planning") & (series.key_question == "safety")]
    curve = pr.trend_curve(g, "planning", "safety", origin=ORIGIN, points=5)
    t = ((g["audit_date"] - pd.Timestamp(ORIGIN)).dt.days / 365.25).to_numpy()
    res = sm.GLM(
        g[["yes", "no"]].to_numpy(), sm.add_constant(t), family=sm.families.Binomial()
    ).fit()
    pred = res.get_prediction(sm.add_constant(curve["years"].to_numpy())).summary_frame(alpha=0.05)
    np.testing.assert_allclose(curve["estimate"], pred["mean"], rtol=1e-6)
    np.testing.assert_allclose(curve["lower"], pred["mean_ci_lower"], rtol=1e-6)
    np.testing.assert_allclose(curve["upper"], pred["mean_ci_upper"], rtol=1e-6)


def test_trend_curves_are_each_key_questions_trend_curve(series):
    """trend_curves (the counts checked once, issue 25) gives every estimated key question the very
    curve trend_curve gives it alone, and none where the trend cannot be estimated."""
    kq = (series["standard"] == "planning") & (series["key_question"] == "safety")
    first_two = series.loc[kq, "audit_date"].drop_duplicates().nsmallest(2)
    series = series[~kq | series["audit_date"].isin(first_two)]  # too few audits for a trend
    trend = pr.trend(series, origin=ORIGIN)
    assert (trend["status"] != "estimated").sum() == 1
    curves = pr.trend_curves(series, trend, origin=ORIGIN, level=0.9, points=7)
    estimated = trend[trend["status"] == "estimated"]
    assert set(curves) == set(zip(estimated["standard"], estimated["key_question"], strict=True))
    for (standard, kq), curve in curves.items():
        alone = pr.trend_curve(series, standard, kq, origin=ORIGIN, level=0.9, points=7)
        pd.testing.assert_frame_equal(curve, alone)
    with pytest.raises(StatisticsError):
        pr.trend_curves(series, trend, origin=ORIGIN, points=1)


# --- Latest evidence ------------------------------------------------------------------------------------
def test_window_takes_the_last_twelve_months(series):
    ev = pr.latest_evidence(series).set_index(["standard", "key_question"])
    row = ev.loc[("assessment", "safety")]
    assert row["audits"] == 4 and row["cases"] == 80
    assert row["first_used"] == pd.Timestamp("2025-12-31") and row["last_used"] == pd.Timestamp(
        "2026-09-30"
    )
    assert ev.loc[("court_work", "safety"), "applicable_share"] == pytest.approx(0.55)


def test_half_life_weights():
    rows = [
        ("2025-09-30", "assessment", "safety", 10, 10),
        ("2026-09-30", "assessment", "safety", 20, 0),
    ]
    ev = pr.latest_evidence(_counts(rows), half_life_months=12).iloc[0]
    w = 0.5 ** ((365 / (365.25 / 12)) / 12)
    assert ev["yes"] == pytest.approx(20 + 10 * w) and ev["no"] == pytest.approx(10 * w)
    assert "halving for every 12 months" in ev["weighting"]


# --- "If inspected now": band chances against an exact enumeration -------------------------------------------
THRESHOLDS = (
    Fraction(1, 2),
    Fraction(13, 20),
    Fraction(4, 5),
)  # 50%, 65%, 80%: RI, Good, Outstanding


def _band(yes, n):
    return sum(Fraction(yes, n) >= t for t in THRESHOLDS)


def _pattern_probability(pattern, a, b):
    """P(one particular sequence of fresh answers) when p ~ Beta(a, b): B(a + y, b + n - y) / B(a, b)."""
    y, n = sum(pattern), len(pattern)
    lbeta = lambda x, z: math.lgamma(x) + math.lgamma(z) - math.lgamma(x + z)  # noqa: E731
    return math.exp(lbeta(a + y, b + n - y) - lbeta(a, b))


def _enumerated_standard(posteriors, n):
    """Every yes/no answer of n fresh cases on every key question (2^(n*m) outcomes), each key
    question independent: the distribution of the lowest band."""
    per_kq = []
    for a, b in posteriors:
        dist = [0.0] * 4
        for pattern in itertools.product((0, 1), repeat=n):
            dist[_band(sum(pattern), n)] += _pattern_probability(pattern, a, b)
        per_kq.append(dist)
    out = [0.0] * 4
    for bands in itertools.product(range(4), repeat=len(per_kq)):
        out[min(bands)] += math.prod(d[k] for d, k in zip(per_kq, bands, strict=True))
    return out


HELD_OUT = [
    # 2026-06-30 is outside neither window; dates chosen so the 12-month window keeps both audits
    ("2026-03-31", "assessment", "engagement", 3, 4),
    ("2026-09-30", "assessment", "engagement", 5, 2),
    ("2026-03-31", "assessment", "desistance", 2, 5),
    ("2026-09-30", "assessment", "desistance", 4, 3),
    ("2026-03-31", "assessment", "safety", 6, 1),
    ("2026-09-30", "assessment", "safety", 1, 6),
]


@pytest.mark.parametrize("weighting", [{"window_months": 12}, {"half_life_months": 6}])
def test_band_chances_match_exact_enumeration(weighting):
    counts = _counts(HELD_OUT)
    published = {**PUBLISHED}
    now = pr.inspection_now(counts, published, n_new=5, **weighting)
    ev = now.evidence.set_index("key_question")
    posteriors = [
        (0.5 + ev.loc[k, "yes"], 0.5 + ev.loc[k, "no"])
        for k in ("engagement", "desistance", "safety")
    ]
    expected = _enumerated_standard(posteriors, 5)
    got = now.standards[now.standards.standard == "assessment"]["probability"].to_numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)
    # each key question's own band chances, too
    for kq, (a, b) in zip(("engagement", "desistance", "safety"), posteriors, strict=True):
        dist = [0.0] * 4
        for pattern in itertools.product((0, 1), repeat=5):
            dist[_band(sum(pattern), 5)] += _pattern_probability(pattern, a, b)
        got_kq = now.key_questions[now.key_questions.key_question == kq]["probability"].to_numpy()
        np.testing.assert_allclose(got_kq, dist, rtol=1e-10, atol=1e-14)
    # overall: every combination of the five case-sample standards' ratings, 4 points from domain one
    points = {"I": 0, "RI": 1}
    fixed_points = sum(
        points[PUBLISHED[s]]
        for s in ("leadership", "staff", "services", "information_and_facilities")
    )
    # the other four case-sample standards have no evidence: held at Inadequate (0 points)
    overall = [0.0] * 4
    for k in range(4):
        total = fixed_points + k
        band = 0 if total <= 4 else 1 if total <= 13 else 2 if total <= 22 else 3
        overall[band] += expected[k]
    np.testing.assert_allclose(now.overall["probability"], overall, rtol=1e-10, atol=1e-14)
    assert any("held at its published rating" in n for n in now.notes)


def test_inspection_now_on_the_example(series):
    now = pr.inspection_now(series, PUBLISHED)
    assert now.overall["probability"].sum() == pytest.approx(1)
    for _, g in now.standards.groupby("standard"):
        assert g["probability"].sum() == pytest.approx(1)
    held = now.standards[now.standards.basis == "published rating held"]
    assert set(held.standard) == {"leadership", "staff", "services", "information_and_facilities"}
    assert set(now.key_questions["n_new"]) >= {42, 23}  # court work: the community share of 42
    assert "12 months" in now.weighting


def test_lowest_band_of_independent_key_questions():
    t = lambda p: pd.DataFrame({"rating": pr.RATINGS, "probability": p})  # noqa: E731
    got = pr.lowest_band({"a": t([0.1, 0.2, 0.3, 0.4]), "b": t([0, 0, 0.5, 0.5])})
    expected = np.zeros(4)
    for i, j in itertools.product(range(4), range(4)):
        expected[min(i, j)] += [0.1, 0.2, 0.3, 0.4][i] * [0, 0, 0.5, 0.5][j]
    np.testing.assert_allclose(got, expected)


# --- Change since the inspection ---------------------------------------------------------------------------
def _brute_force_range(share, n1, n2, level):
    pairs = [
        (k2 / n2 - k1 / n1, stats.binom.pmf(k1, n1, share) * stats.binom.pmf(k2, n2, share))
        for k1 in range(n1 + 1)
        for k2 in range(n2 + 1)
    ]
    return pairs


@pytest.mark.parametrize("share,n1,n2", [(0.3, 42, 20), (0.5, 10, 10), (0.12, 7, 30)])
def test_no_change_range_is_the_central_range(share, n1, n2):
    r = pr.no_change_range(share, n1, n2, level=0.95)
    pairs = _brute_force_range(share, n1, n2, 0.95)
    below = sum(p for d, p in pairs if d < r.lower - 1e-12)
    above = sum(p for d, p in pairs if d > r.upper + 1e-12)
    assert below <= 0.025 + 1e-12 and above <= 0.025 + 1e-12
    # the range is the narrowest such: one step further in would leave more than 2.5% outside
    assert below + sum(p for d, p in pairs if abs(d - r.lower) < 1e-12) > 0.025
    assert above + sum(p for d, p in pairs if abs(d - r.upper) < 1e-12) > 0.025


def test_verdicts_in_words():
    v = pr.uplift_verdict(12, 42, 7, 20)
    assert v.within_chance and round(v.change_points * 100) == 6
    assert v.text.startswith(
        "An uplift of 6 points (from 29% to 35%) is within what chance alone gives"
    )
    assert "42 and 20 cases" in v.text
    v = pr.uplift_verdict(9, 42, 55, 80)
    assert not v.within_chance and "evidence of a real improvement" in v.text
    v = pr.uplift_verdict(30, 42, 5, 40)
    assert v.text.startswith("A fall of") and "real decline" in v.text


@pytest.mark.parametrize("adjust,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_change_since_inspection_against_scipy_and_statsmodels(
    series, inspection, adjust, sm_method
):
    out = pr.change_since_inspection(inspection, series, adjust=adjust)
    assert len(out) == 15 and (out["family_size"] == 15).all()
    for r in out.itertuples():
        table = [[r.yes_before, r.yes_after], [r.n_before - r.yes_before, r.n_after - r.yes_after]]
        assert r.p_value == pytest.approx(stats.fisher_exact(table)[1], rel=1e-12)
    np.testing.assert_allclose(
        out["p_adjusted"], multipletests(out["p_value"], method=sm_method)[1]
    )
    # the estimates are those of the existing re-audit comparison
    after = out[["pdu", "standard", "key_question", "yes_after", "n_after"]].rename(
        columns={"yes_after": "yes"}
    )
    after["no"] = after.pop("n_after") - after["yes"]
    ref = compare_samples(inspection, after)
    np.testing.assert_allclose(out["estimate"], ref["estimate"])
    np.testing.assert_allclose(out["lower"], ref["lower"])
    np.testing.assert_allclose(out["p_improved"], ref["p_improved"])
    safety = out.set_index(["standard", "key_question"]).loc[("assessment", "safety")]
    assert (
        "more than chance alone gives" in safety["verdict"]
        and "allowing for 15 comparisons" in safety["verdict"]
    )


def test_change_per_audit(series, inspection):
    three = series[series["audit_date"] <= "2023-06-30"]
    out = pr.change_since_inspection(inspection, three, per_audit=True)
    assert out["audit"].nunique() == 3
    assert (out["family_size"] == int(three["covered"].sum())).all()
    assert len(out[out["audit"] == "16 Dec 2022"]) == 15
    assert len(out[out["audit"] == "31 Mar 2023"]) == 12  # court work not audited in March


# --- Arguments are checked ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "call",
    [
        lambda c: pr.audit_shares(c.assign(yes=-1)),
        lambda c: pr.audit_shares(c, level=95),
        lambda c: pr.audit_shares(c.drop(columns="audit_date")),
        lambda c: pr.trend(c, origin="not a date"),
        lambda c: pr.latest_evidence(c, window_months=0),
        lambda c: pr.latest_evidence(c, half_life_months=-3),
        lambda c: pr.inspection_now(c, {}),
        lambda c: pr.inspection_now(c, PUBLISHED, n_new=0),
        lambda c: pr.inspection_now(c, {**PUBLISHED, "leadership": "Great"}),
        lambda c: pr.change_since_inspection(c, c, test="t-test"),
        lambda c: pr.change_since_inspection(c, c, adjust="bonferroni"),
        lambda c: pr.no_change_range(1.5, 10, 10),
        lambda c: pr.uplift_verdict(11, 10, 3, 10),
        lambda c: pr.fresh_sample_bands(-1, 3, 5),
        lambda c: pr.audit_shares("counts"),
    ],
)
def test_bad_arguments_raise_statistics_error(call):
    c = _counts(HELD_OUT)
    with pytest.raises(StatisticsError):
        call(c)


def test_correlated_check_is_seeded_and_agrees_with_the_exact_margin():
    from hmip.data.audits import load_audits

    audits = load_audits()
    a = pr.correlated_standards_now(audits, draws=4000, seed=7)
    b = pr.correlated_standards_now(audits, draws=4000, seed=7)
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("standard")["probability"].sum().round(10).eq(1).all()
    assert (
        a["method"].iloc[0].startswith("Dirichlet-multinomial") and "seed 7" in a["method"].iloc[0]
    )
    # one key question only: the Dirichlet margin is the Jeffreys beta-binomial, exactly computed
    one = audits.copy()
    for col in ("assessment.engagement", "assessment.desistance"):
        one[col] = pd.Categorical(["n/a"] * len(one), categories=["yes", "no", "n/a"])
    got = pr.correlated_standards_now(one, draws=20000, seed=3)
    got = got[got.standard == "assessment"]
    recent = one[one["audit_date"] > "2025-09-30"]["assessment.safety"].astype(str)
    exact = pr.fresh_sample_bands((recent == "yes").sum(), (recent == "no").sum(), 42)
    tol = 4 * got["monte_carlo_se"].to_numpy() + 1e-3
    assert (abs(got["probability"].to_numpy() - exact["probability"].to_numpy()) <= tol).all()


@pytest.mark.parametrize("adjust,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_equal_statsmodels_multipletests(adjust, sm_method):
    """Holm's adjustment is computed in hmip (statsmodels runs a full garbage collection on each
    Holm call): the same floats as multipletests on random families, with ties, ones and zeros."""
    rng = np.random.default_rng(25)
    families = [rng.uniform(size=m) ** rng.uniform(0.2, 3) for m in (1, 2, 3, 5, 15, 40)]
    families += [
        np.array([0.01, 0.01, 0.04, 0.04, 1.0]),
        np.array([0.0, 0.5, 0.5, 1.0]),
        np.round(rng.uniform(size=30), 2),  # many ties
        np.array([0.3, 0.2, 0.6, 0.01]),  # a later step's product below an earlier one's
    ]
    for p in families:
        got = pr.adjusted_p_values(p, adjust)
        want = multipletests(p, method=sm_method)[1]
        assert np.array_equal(got, want), (p, got, want)
    assert pr.adjusted_p_values(np.array([]), adjust).shape == (0,)

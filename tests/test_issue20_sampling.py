"""Issue 20, wrong figures 1 and 7: every "fresh sample of N" figure is computed at N (checked against a
beta-binomial sum written here), the observed and the planned sample are named apart, and a true share
that is not a whole number of cases in the caseload is refused. Also: one framework check."""

import math
from fractions import Fraction

import pytest

from hmip.analyses import sample_size as ss
from hmip.errors import RatingError
from hmip.rules.ratings import check_framework
from hmip.stats.sampling import (
    SamplingError,
    accuracy_curve,
    band_probabilities,
    fresh_sizes,
    p_correct_band,
    rating_distribution_independent,
    stability,
    standard_rating_distribution,
)

CUTS = (Fraction(1, 2), Fraction(13, 20), Fraction(4, 5))


def band_of(y, m):
    return sum(Fraction(y, m) >= c for c in CUTS)  # 0 Inadequate .. 3 Outstanding


def predictive(k, n, m):
    """P(a fresh sample of m gives each band | k of n), Jeffreys prior: the beta-binomial pmf
    C(m, y) B(y + a, m - y + b) / B(a, b), a = k + 1/2, b = n - k + 1/2, summed per band."""
    a, b = k + 0.5, n - k + 0.5

    def log_beta(x, y):
        return math.lgamma(x) + math.lgamma(y) - math.lgamma(x + y)

    out = [0.0] * 4
    for y in range(m + 1):
        out[band_of(y, m)] += math.exp(
            math.log(math.comb(m, y)) + log_beta(y + a, m - y + b) - log_beta(a, b)
        )
    return out


@pytest.mark.parametrize(
    "k, n, m", [(9, 42, 60), (19, 42, 60), (19, 42, 42), (8, 23, 33), (17, 37, 20)]
)
def test_stability_at_n_new_is_the_beta_binomial_sum(k, n, m):
    got = stability(k, n, n_new=m).set_index("rating")["probability"].to_numpy()
    assert got == pytest.approx(predictive(k, n, m), abs=1e-12)


def test_fresh_sizes_keep_each_question_s_share_of_the_sample():
    assert fresh_sizes(42, 42, 60) == 60
    assert fresh_sizes(37, 42, 60) == 53  # 37 * 60 / 42 = 52.86
    assert fresh_sizes(23, 42, 60) == 33  # 32.86
    assert fresh_sizes(23, 42, None) == 23 and fresh_sizes(23, 42, 42) == 23


def test_independent_distribution_at_n_new_is_the_product_written_out():
    counts = {"engagement": (18, 24), "desistance": (18, 24), "safety": (9, 33)}
    got = rating_distribution_independent(
        counts, n_new={"engagement": 60, "desistance": 60, "safety": 60}
    )
    # lowest-banding rule: P(rating >= r) is the product over key questions of P(band >= r)
    at_least = [1.0] * 5
    at_least[4] = 0.0
    for k, no in counts.values():
        p = predictive(k, k + no, 60)
        for r in range(4):
            at_least[r] *= sum(p[r:])
    expected = [at_least[r] - at_least[r + 1] for r in range(4)]
    assert got["probability"].to_numpy() == pytest.approx(expected, abs=1e-12)
    one = rating_distribution_independent(counts, n_new=60)
    assert one["probability"].to_numpy() == pytest.approx(expected, abs=1e-12)


@pytest.fixture(scope="module")
def reports():
    return {n: ss.prepare(pdu="Lewisham and Bromley", n=n) for n in (42, 60)}


def test_the_sample_size_report_computes_every_fresh_sample_figure_at_n(reports):
    r42, r60 = reports[42], reports[60]
    assert r42.inputs.n_observed == r60.inputs.n_observed == 42
    # key questions: the fresh sample is 60 cases, each question judged on its share of them
    kq = r60.key_questions.set_index("label")
    for row in kq.itertuples():
        sampled = row.n + int(
            r60.inputs.counts.set_index("key_question")
            .loc[lambda t, r=row: t["standard"] == r.standard]
            .loc[row.key_question, "not_applicable"]
        )
        m = fresh_sizes(row.n, sampled, 60)
        assert row.n_fresh == m
        p = predictive(row.yes, row.n, m)
        assert row.p_same_band_fresh_sample == pytest.approx(p[band_of(row.yes, row.n)], abs=1e-12)
    assert (
        r42.key_questions["p_same_band_fresh_sample"]
        != r60.key_questions["p_same_band_fresh_sample"]
    ).all()
    # the standards' and the overall distributions (the chart "with a fresh sample of 60") change
    assert not r42.distributions["table"].equals(r60.distributions["table"])
    o42, o60 = (r.distributions["overall"] for r in (r42, r60))
    assert abs(o42.iloc[0] - o60.iloc[0]) > 0.01  # Inadequate again: 88% at 42, 91% at 60
    assert "(of 60)" in r60.distributions["method"]


def test_counts_only_distribution_at_n_matches_the_written_product():
    r = ss.prepare(pdu="Lewisham and Bromley", n=60)
    counts = r.inputs.counts
    got = standard_rating_distribution(
        None, "reviewing", pdu="Lewisham and Bromley", counts=counts, correlated=False, n_new=60
    )
    sub = counts[counts["standard"] == "reviewing"]
    at_least = [1.0] * 5
    at_least[4] = 0.0
    for row in sub.itertuples():
        m = fresh_sizes(row.yes + row.no, row.yes + row.no + row.not_applicable, 60)
        p = predictive(row.yes, row.yes + row.no, m)
        for k in range(4):
            at_least[k] *= sum(p[k:])
    expected = [at_least[k] - at_least[k + 1] for k in range(4)]
    assert got["probability"].to_numpy() == pytest.approx(expected, abs=1e-12)


def test_observed_and_planned_samples_are_named_apart(reports):
    text = " ".join(reports[60].conclusion)
    assert "With 60 cases, one case is" not in text
    assert "In the inspection's sample of 42 cases, one case is 2.4 percentage points" in text
    assert "in a fresh sample of 60 cases it would be 1.7" in text
    assert "a fresh sample of 60 cases" in text and "a fresh sample of 42" not in text
    assert ss.one_case_sentence(42) == ss.one_case_sentence(42, 42)
    assert "fresh" not in ss.one_case_sentence(42, 42)


# --- 7. A true share must be a whole number of cases in the caseload ----------------------------------
def test_a_share_that_is_not_whole_cases_is_refused():
    with pytest.raises(SamplingError, match=r"0\.65 of a caseload of 10 is 6\.5 cases"):
        p_correct_band(0.65, 5, caseload=10)  # was: 6 cases, Requires improvement, for 65% (Good)
    with pytest.raises(SamplingError, match="6/10 = 0.6 or 7/10 = 0.7"):
        accuracy_curve([0.65], [5], caseload=10)
    # whole cases: banded by the share itself (13/20 = 65% is Good), hypergeometric reference
    row = accuracy_curve([0.65], [10], caseload=20).iloc[0]
    assert row["true_band"] == "Good"
    ok = sum(
        math.comb(13, y) * math.comb(7, 10 - y) for y in range(11) if band_of(y, 10) == 2
    ) / math.comb(20, 10)
    assert row["p_correct"] == pytest.approx(ok, abs=1e-12)


def test_the_report_uses_whole_case_shares_for_a_caseload():
    assert ss.boundary_shares(None) == ss.BOUNDARY_SHARES
    shares = ss.boundary_shares(10)
    assert all(abs(p * 10 - round(p * 10)) < 1e-12 for p in shares)
    table = ss.sample_size_table(shares, caseload=10, n=5)
    assert list(table["true_band"]) == [
        ["Inadequate", "Requires improvement", "Good", "Outstanding"][band_of(round(p * 10), 10)]
        for p in shares
    ]


def test_one_framework_check_for_rules_and_sampling():
    with pytest.raises(RatingError, match="framework 'x' is not accepted"):
        check_framework("x")
    with pytest.raises(SamplingError, match="framework 'x' is not accepted"):
        band_probabilities(1, 2, framework="x")
    assert check_framework(None).id

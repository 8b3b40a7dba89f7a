"""London comparison statistics: funnel limits, overdispersion, ranks, summary and grid."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hmip.analyses.london_comparison import (
    findings,
    load_comparison,
    ratings_grid_table,
    summary_table,
)
from hmip.errors import StatisticsError
from hmip.stats.funnel import (
    OVERDISPERSION_METHODS,
    control_limits,
    distinguishable_pairs,
    funnel_curve,
    funnel_limits,
    funnel_table,
    overdispersion,
    rank_uncertainty,
)
from hmip.stats.results import METHOD_LABELS

from .strategies import NOT_WHOLE as NOT_A_WHOLE_NUMBER


def test_funnel_limits_for_0_65_and_42():
    lim = funnel_limits(0.65, 42, 0.95)
    lo, hi = lim["lower"].item(), lim["upper"].item()
    assert (round(lo, 3), round(hi, 3)) == (0.490, 0.780)
    assert lim["estimate"].item() == 0.65 and lim["level"].item() == 0.95
    assert lim["method"].item() == METHOD_LABELS["funnel-interpolated"]


def test_funnel_limits_follow_spiegelhalter_interpolation_by_hand():
    n, theta, p = 42, 0.65, 0.025
    r = 0
    while stats.binom.cdf(r, n, theta) < p:
        r += 1
    alpha = (stats.binom.cdf(r, n, theta) - p) / stats.binom.pmf(r, n, theta)
    assert funnel_limits(theta, n)["lower"].item() == pytest.approx((r - alpha) / n)
    lim = funnel_limits(0.65, np.array([20, 42, 200]), 0.998)
    lo, hi = lim["lower"].to_numpy(), lim["upper"].to_numpy()
    assert (np.diff(hi) < 0).all() and (np.diff(lo) > 0).all()  # the funnel narrows


def test_overdispersion_phi_is_the_mean_squared_winsorised_z():
    yes, n = np.array([10, 20, 30, 15, 25, 5]), np.array([42] * 6)
    theta = yes.sum() / n.sum()
    z = (yes / n - theta) / np.sqrt(theta * (1 - theta) / n)
    lo, hi = np.quantile(z, [0.1, 0.9])
    od = overdispersion(yes, n, theta)
    assert od.phi == pytest.approx(np.mean(np.clip(z, lo, hi) ** 2))
    assert od.phi > 1 and od.tau2 > 0
    t = funnel_table(
        pd.DataFrame({"pdu": list("abcdef"), "yes": yes, "n": n}),
        overdispersion_method="multiplicative",
    )
    plain = funnel_table(pd.DataFrame({"pdu": list("abcdef"), "yes": yes, "n": n}))
    assert (t["upper_95"] - t["lower_95"] > plain["upper_95"] - plain["lower_95"]).all()
    assert "phi" in t["overdispersion"].iloc[0] and (t["adjustment"] == "multiplicative").all()


def test_units_outside_the_limits_are_flagged():
    t = funnel_table(
        pd.DataFrame({"pdu": ["a", "b", "c"], "yes": [40, 20, 21], "n": [42, 42, 42]}), target=0.5
    )
    assert list(t["outside_95"]) == [True, False, False]
    assert t.attrs == {} and (t["target"] == 0.5).all()  # nothing travels in attrs


@pytest.mark.parametrize("target", [0.2, 0.5, 0.65, 0.8, 0.93])
@pytest.mark.parametrize("n", [3, 10, 20, 42, 97, 300])
def test_outside_flags_follow_the_exact_binomial_tails(target, n):
    """Flags against scipy: outside at a level iff a one-sided exact tail is below (1 - level) / 2."""
    x = np.arange(n + 1)
    t = funnel_table(pd.DataFrame({"pdu": x.astype(str), "yes": x, "n": n}), target=target)
    at_least, at_most = stats.binom.sf(x - 1, n, target), stats.binom.cdf(x, n, target)
    for level in (0.95, 0.998):
        tail = (1 - level) / 2
        tag = f"{100 * level:g}"
        expected = (at_least < tail) | (at_most < tail)
        assert (t[f"outside_{tag}"].to_numpy() == expected).all()
    assert t["p_at_least"].to_numpy() == pytest.approx(at_least, rel=1e-12, abs=1e-300)
    assert t["p_at_most"].to_numpy() == pytest.approx(at_most, rel=1e-12, abs=1e-300)
    assert (t["flag_method"] == METHOD_LABELS["funnel-flag-exact"]).all()


def test_the_boundary_count_is_not_flagged():
    # 33/42 at 0.65 lies just above the interpolated 95% limit, but P(X >= 33) = 0.0425: it is not
    # flagged, and the limit drawn (a step halfway to 34/42) leaves it inside (issue 20)
    t = funnel_table(pd.DataFrame({"pdu": ["a", "b"], "yes": [33, 34], "n": [42, 42]}), target=0.65)
    a, b = t.iloc[0], t.iloc[1]
    assert a["share"] > funnel_limits(0.65, 42)["upper"].item()  # beyond Spiegelhalter's line ...
    assert a["share"] < a["upper_95"] == pytest.approx(33.5 / 42)  # ... inside the line drawn
    assert stats.binom.sf(32, 42, 0.65) == pytest.approx(0.0425, abs=1e-4)
    assert not a["outside_95"]  # ... and not outside the 95% limits
    assert b["outside_95"] == (stats.binom.sf(33, 42, 0.65) < 0.025)


ODD = {
    "no spread": [27, 28, 27, 28, 27, 28],  # phi = 0.03, tau2 = 0
    "phi just below 1": [20, 23, 25, 27, 28, 19],  # phi = 0.95 but the additive tau2 is > 0
    "overdispersed": [10, 20, 30, 15, 25, 5],  # phi > 1
}


@pytest.mark.parametrize("case", list(ODD))
def test_one_overdispersion_rule_for_both_methods(case):
    counts = pd.DataFrame({"pdu": list("abcdef"), "yes": ODD[case], "n": [42] * 6})
    plain = funnel_table(counts)
    mult = funnel_table(counts, overdispersion_method="multiplicative")
    add = funnel_table(counts, overdispersion_method="additive")
    phi = mult["phi"].iloc[0]
    assert add["phi"].iloc[0] == phi
    cols = ["lower_95", "upper_95", "lower_99.8", "upper_99.8", "outside_95", "outside_99.8"]
    if phi <= 1:  # no overdispersion estimated: both keep the exact limits and flags, and say so
        for t in (mult, add):
            pd.testing.assert_frame_equal(t[cols], plain[cols])
            assert (t["adjustment"] == "none").all()
            assert t["method"].iloc[0].startswith(METHOD_LABELS["funnel-exact"])
            assert f"no adjustment needed (phi = {phi:.2f}" in t["method"].iloc[0]
    else:  # both adjust, widening the limits, and name the adjustment
        assert add["tau2"].iloc[0] > 0
        for t, key in ((mult, "funnel-multiplicative"), (add, "funnel-additive")):
            assert (t["upper_95"] - t["lower_95"] > plain["upper_95"] - plain["lower_95"]).all()
            assert t["method"].iloc[0].startswith(METHOD_LABELS[key])
            assert (t["flag_method"] == METHOD_LABELS["funnel-flag-normal"]).all()
            # adjusted flags agree with the adjusted normal limits
            inside = (t["share"] >= t["lower_95"]) & (t["share"] <= t["upper_95"])
            assert (t["outside_95"] == ~inside).all()
    if case == "phi just below 1":
        assert add["tau2"].iloc[0] > 0 and (add["adjustment"] == "none").all()


def test_funnel_curve_draws_the_limits_of_the_table():
    counts = pd.DataFrame(
        {"pdu": list("abcdef"), "yes": ODD["overdispersed"], "n": [30, 42, 50, 60, 42, 20]}
    )
    for method in ("none", "multiplicative", "additive"):
        t = funnel_table(counts, overdispersion_method=method)
        curve = funnel_curve(t, t["n"], 0.95)
        assert curve["lower"].to_numpy() == pytest.approx(t["lower_95"].to_numpy())
        assert curve["upper"].to_numpy() == pytest.approx(t["upper_95"].to_numpy())
        assert (curve["level"] == 0.95).all() and curve["method"].notna().all()
    assert control_limits(0.65, 42, 0.95)["lower"].item() == pytest.approx(20.5 / 42)


def test_rank_uncertainty_is_seeded_and_wide_for_similar_shares():
    counts = pd.DataFrame({"pdu": list("abcd"), "yes": [10, 11, 12, 35], "n": [42] * 4})
    a, b = rank_uncertainty(counts), rank_uncertainty(counts)
    pd.testing.assert_frame_equal(a, b)
    assert (a["level"] == 0.95).all() and a["method"].str.startswith(
        METHOD_LABELS["rank-draws"]
    ).all()
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
    s = summary_table(d.overall, d.ratings, d.cases_per_pdu).set_index("pdu")
    published_org = [
        "Hammersmith, Fulham, Kensington, Chelsea and Westminster",
        "Lewisham and Bromley",
    ]
    assert (s.loc[published_org, "check"] == "matches").all() and (s["cases"] == 42).all()
    # the other four: HMIP did not publish their organisational delivery ratings (issue 20)
    assert (s.drop(index=published_org)["check"] == "cannot check").all()
    assert s.loc["Lambeth", "published_rating"] == "Inadequate (I)"
    wrong = d.overall.copy()
    wrong.loc[wrong["pdu"] == "Lewisham and Bromley", "overall_rating"] = "Good"
    s2 = summary_table(wrong, d.ratings, d.cases_per_pdu)
    assert s2.loc[s2["pdu"] == "Lewisham and Bromley", "check"].item() == "MISMATCH"
    text = " ".join(findings(s2, d.ratings, d.case_ratings))
    assert "does NOT match" in text and "Lewisham and Bromley" in text


# --- Issue 20: an organisational delivery rating the simulation made up is never a rating ------------
ORG = ["leadership", "staff", "services", "information_and_facilities"]
RAG_CLASSES = ("badge-i ", "badge-ri ", "badge-g ", "badge-o ")


def _simulated_org(d) -> pd.DataFrame:
    j = d.judgement
    return j[j["standard"].isin(ORG) & (j["basis"] == "simulated")]


def test_no_cell_of_the_london_summary_or_grid_shows_a_simulated_organisational_rating():
    from hmip.analyses import london_comparison as lc
    from hmip.present.display import table_html
    from hmip.rules.framework import framework_or_default

    result = lc.prepare()
    made_up = _simulated_org(result.data)
    pdus = set(made_up["pdu"])
    assert pdus == {"Lambeth", "Ealing and Hillingdon", "Newham", "Barking, Dagenham and Havering"}
    # the grid of badges: each such rating is '?' (None), never a rating
    rows, columns = lc.ratings_grid_rows(result)
    for pdu, cells, _ in rows:
        for r in made_up[made_up["pdu"] == pdu].itertuples():
            name = framework_or_default().standard(r.standard).name
            assert cells[columns.index(name)] is None, (pdu, name)
    # the summary: no rating or single points total recomputed from them; the check cannot be made
    table = lc.summary_display(result)
    html = table_html(table, ratings=("Published rating", "Recomputed rating"))
    body = html.split("<tbody>")[1]
    for row_html, row in zip(body.split("<tr>")[1:], table.itertuples(), strict=True):
        if row.PDU not in pdus:
            continue
        rec_cell = row_html.split("<td>")[4]  # PDU, published rating, points, recomputed rating
        assert "badge-na " in rec_cell and not any(c in rec_cell for c in RAG_CLASSES), row.PDU
        assert row[4] == lc.NOT_AVAILABLE
        assert "depending on the 4 unpublished organisational ratings" in str(row[5]), row.PDU
        assert row[6].startswith("cannot check: HMIP did not publish"), row.PDU
    newham = table.set_index("PDU").loc["Newham"]
    assert newham["Recomputed points"].startswith("3-15,")  # case sample 3, plus 0-12
    # the points chart draws no simulated total (was '8 (simulated)' for Newham)
    from hmip.present import charts

    fig = charts.points_chart(result.summary, simulated=True)
    assert "simulated" not in fig.hmip_alt and "RI means 5-13" in fig.hmip_alt


def test_changing_a_simulated_organisational_rating_changes_nothing_the_comparison_shows():
    d = load_comparison()
    before = summary_table(d.overall, d.ratings, d.cases_per_pdu)
    other = d.ratings.copy()
    made_up = other["standard"].isin(ORG) & (other["basis"] == "simulated")
    assert made_up.sum() == 16
    other.loc[made_up, "rating"] = "Outstanding"
    pd.testing.assert_frame_equal(summary_table(d.overall, other, d.cases_per_pdu), before)
    assert findings(before, other, d.case_ratings) == findings(before, d.ratings, d.case_ratings)


def test_points_range_and_a_published_rating_no_organisational_ratings_could_give():
    from hmip.analyses.london_comparison import points_range, without_simulated_judgement
    from hmip.rules.ratings import Rating

    d = load_comparison()
    honest = without_simulated_judgement(d.ratings)
    span = points_range(honest, "Newham")
    assert (span.low, span.high, span.max_points) == (3, 15, 27)
    assert (span.rating_low, span.rating_high) == (Rating.INADEQUATE, Rating.GOOD)
    assert span.allows(Rating.REQUIRES_IMPROVEMENT) and not span.allows(Rating.OUTSTANDING)
    assert not span.allows(Rating.INADEQUATE, 2)  # 2 points is below what the case sample gives
    assert points_range(honest, "Lewisham and Bromley") is None  # all nine published or recomputed
    wrong = d.overall.copy()
    wrong.loc[wrong["pdu"] == "Newham", "overall_rating"] = "Outstanding"
    s = summary_table(wrong, d.ratings, d.cases_per_pdu).set_index("pdu")
    assert s.loc["Newham", "check"] == "MISMATCH"


# --- Impossible arguments: the project's error, never a number or a foreign exception ----------------
NOT_A_TARGET = st.one_of(
    st.floats().filter(lambda x: not 0 < x < 1), st.text(max_size=3), st.none(), st.booleans()
)
NOT_A_LEVEL = st.one_of(
    st.floats().filter(lambda x: not 0.5 <= x < 1),
    st.integers(),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)
NOT_A_PRIOR = st.one_of(
    st.tuples(st.floats().filter(lambda x: not (np.isfinite(x) and x > 0)), st.just(0.5)),
    st.tuples(st.just(0.5)),
    st.just("jeffreys"),
    st.none(),
)
GOOD = pd.DataFrame({"pdu": ["a", "b", "c"], "yes": [20, 30, 25], "n": [42, 42, 40]})


@st.composite
def bad_counts(draw):
    """A counts table with one impossible cell, or no table at all."""
    kind = draw(
        st.sampled_from(["cell", "yes > n", "n = 0", "missing column", "empty", "not a table"])
    )
    t = GOOD.copy().astype(object)
    row = draw(st.integers(0, 2))
    if kind == "cell":
        col = draw(st.sampled_from(["yes", "n"]))
        t.loc[row, col] = draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=-1)))
    elif kind == "yes > n":
        t.loc[row, "yes"] = t.loc[row, "n"] + draw(st.integers(1, 100))
    elif kind == "n = 0":
        t.loc[row, ["yes", "n"]] = 0
    elif kind == "missing column":
        t = t.drop(columns=draw(st.sampled_from(["yes", "n"])))
    elif kind == "empty":
        t = t.iloc[:0]
    else:
        t = draw(st.sampled_from([None, [1, 2], "counts.csv", {"yes": [1], "n": [2]}]))
    return t


#: any short text but an accepted method ("none" is one: hypothesis found it)
NOT_A_METHOD = st.text(max_size=5).filter(lambda m: m not in OVERDISPERSION_METHODS)

FUNNEL_CALLS = {
    "funnel_limits target": lambda d: funnel_limits(d.draw(NOT_A_TARGET), 42),
    "funnel_limits n": lambda d: funnel_limits(
        0.65, d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "funnel_limits level": lambda d: funnel_limits(0.65, 42, d.draw(NOT_A_LEVEL)),
    "control_limits od": lambda d: control_limits(
        0.65, 42, 0.95, d.draw(st.sampled_from(["x", {}]))
    ),
    "overdispersion yes > n": lambda d: overdispersion([50, 20], [42, 42], 0.5),
    "overdispersion lengths": lambda d: overdispersion([20, 20, 20], [42, 42], 0.5),
    "overdispersion method": lambda d: overdispersion(
        [20, 20], [42, 42], 0.5, method=d.draw(NOT_A_METHOD)
    ),
    "overdispersion winsorise": lambda d: overdispersion(
        [20, 20], [42, 42], 0.5, winsorise=d.draw(st.floats().filter(lambda x: not 0 <= x < 0.5))
    ),
    "overdispersion target": lambda d: overdispersion([20, 20], [42, 42], d.draw(NOT_A_TARGET)),
    "funnel_table counts": lambda d: funnel_table(d.draw(bad_counts())),
    "funnel_table target": lambda d: funnel_table(
        GOOD, target=d.draw(NOT_A_TARGET.filter(lambda x: x is not None))
    ),
    "funnel_table levels": lambda d: funnel_table(
        GOOD, levels=d.draw(st.one_of(st.lists(NOT_A_LEVEL, min_size=1), st.just([])))
    ),
    "funnel_table pooled 0": lambda d: funnel_table(GOOD.assign(yes=0)),
    "funnel_table method": lambda d: funnel_table(GOOD, overdispersion_method=d.draw(NOT_A_METHOD)),
    "funnel_curve": lambda d: funnel_curve(d.draw(bad_counts()), [10, 20]),
    "funnel_curve n": lambda d: funnel_curve(funnel_table(GOOD), d.draw(NOT_A_WHOLE_NUMBER)),
    "rank_uncertainty counts": lambda d: rank_uncertainty(d.draw(bad_counts())),
    "rank_uncertainty draws": lambda d: rank_uncertainty(
        GOOD, draws=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=0)))
    ),
    "rank_uncertainty level": lambda d: rank_uncertainty(GOOD, level=d.draw(NOT_A_LEVEL)),
    "rank_uncertainty prior": lambda d: rank_uncertainty(GOOD, prior=d.draw(NOT_A_PRIOR)),
    "rank_uncertainty seed": lambda d: rank_uncertainty(
        GOOD, seed=d.draw(st.one_of(NOT_A_WHOLE_NUMBER, st.integers(max_value=-1)))
    ),
    "rank_uncertainty label": lambda d: rank_uncertainty(
        GOOD, label=d.draw(st.sampled_from(["unit", 3]))
    ),
    "distinguishable_pairs": lambda d: distinguishable_pairs(d.draw(bad_counts())),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(FUNNEL_CALLS)), st.data())
def test_funnel_functions_refuse_impossible_arguments(name, data):
    with pytest.raises(StatisticsError):
        FUNNEL_CALLS[name](data)

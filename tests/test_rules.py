"""HMIP's rating rules: boundaries, the published worked example, Lewisham and Bromley, properties."""

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmip.errors import RatingError
from hmip.rules.ratings import (
    Rating,
    band,
    band_counts,
    count_thresholds,
    explain,
    min_yes_for,
    overall_band,
    overall_rating,
    overall_score,
    round_whole_percent,
    standard_rating,
    threshold_for,
)

from .strategies import NOT_WHOLE

I, RI, G, O = Rating.INADEQUATE, Rating.REQUIRES_IMPROVEMENT, Rating.GOOD, Rating.OUTSTANDING
NINE = [
    "leadership",
    "staff",
    "services",
    "information_and_facilities",
    "court_work",
    "assessment",
    "planning",
    "implementation_and_delivery",
    "reviewing",
]


@pytest.mark.parametrize(
    "yes,n,expected",
    [
        (20, 42, I),
        (21, 42, RI),
        (27, 42, RI),
        (28, 42, G),
        (33, 42, G),
        (34, 42, O),
        (13, 20, G),
        (10, 20, RI),
        (9, 20, I),
        (16, 20, O),
        (0, 1, I),
        (1, 1, O),
    ],
)
def test_band_boundaries_for_counts(yes, n, expected):
    assert band_counts(yes, n - yes) == expected
    assert band(Fraction(yes, n)) == expected


def test_count_thresholds_at_42_match_the_published_ranges():
    t = count_thresholds(42)
    assert (t[I].stop - 1, t[RI].start, t[RI].stop - 1, t[G].start, t[G].stop - 1, t[O].start) == (
        20,
        21,
        27,
        28,
        33,
        34,
    )


def test_rounding_option_changes_20_of_31():
    assert band_counts(20, 11) == RI  # 64.5% unrounded
    assert band_counts(20, 11, rounding="whole_percent") == G  # rounds to 65%
    assert band(0.6449, rounding="whole_percent") == RI
    with pytest.raises(RatingError, match="accepted: none, whole_percent"):
        band(0.5, rounding="nearest")


def test_float_shares_and_invalid_shares():
    assert band(0.65) == G and band(0.6499999) == RI and band(0.8) == O and band(0.5) == RI
    for bad in (-0.1, 1.2, float("nan"), "0.5"):
        with pytest.raises(RatingError):
            band(bad)


def test_published_worked_example_assessment_is_requires_improvement():
    r = standard_rating(
        {"engaging": (30, 10), "desistance": (28, 12), "keeping other people safe": (24, 16)},
        standard="assessment",
    )
    assert r.rating == RI
    assert r.limiting == "keeping other people safe"
    assert [k.rating for k in r.key_questions] == [G, G, RI]


def test_worked_example_explanation_names_the_limiting_question_and_distance():
    r = standard_rating(
        {"engagement": (30, 10), "desistance": (28, 12), "safety": (24, 16)}, standard="assessment"
    )
    text = explain(r)
    assert (
        "Requires improvement" in text
        and "'keeping other people safe'" in text
        and "24 of 40" in text
    )
    assert "2 more" in text and "26/40" in text  # 26/40 = 65%


def test_standard_rating_rejects_bad_input():
    with pytest.raises(RatingError, match="negative"):
        standard_rating({"a": (-1, 5)})
    with pytest.raises(RatingError, match="no cases"):
        standard_rating({"a": (0, 0)})
    with pytest.raises(RatingError, match="outside"):
        standard_rating({"a": 1.5})
    with pytest.raises(RatingError, match="at least one key question"):
        standard_rating({})
    with pytest.raises(RatingError, match="whole number"):
        standard_rating({"a": (2.5, 3)})


def test_lewisham_and_bromley_is_inadequate_with_4_points():
    ratings = dict.fromkeys(NINE[:4], "Requires improvement") | dict.fromkeys(
        NINE[4:], "Inadequate"
    )
    res = overall_rating(ratings)
    assert (res.points, res.max_points, res.rating) == (4, 27, I)
    assert overall_score(ratings) == 4
    assert "1 more point would reach Requires improvement" in explain(res)


@pytest.mark.parametrize(
    "points,expected", [(0, I), (4, I), (5, RI), (13, RI), (14, G), (22, G), (23, O), (27, O)]
)
def test_overall_bands_27(points, expected):
    assert overall_band(points, 27) == expected


@pytest.mark.parametrize(
    "points,expected", [(4, I), (5, RI), (12, RI), (13, G), (20, G), (21, O), (24, O)]
)
def test_overall_bands_24_without_court_work(points, expected):
    assert overall_band(points, 24) == expected


def test_court_work_not_rated_uses_the_24_point_scale():
    ratings = dict.fromkeys(NINE, "Good") | {"court_work": None}
    res = overall_rating(ratings)
    assert (res.points, res.max_points, res.rating, res.scale) == (16, 24, G, "no_court_work")
    ratings = dict.fromkeys(NINE, "RI") | {
        "court_work": None,
        "leadership": "G",
        "staff": "G",
        "services": "G",
        "reviewing": "G",
    }
    assert (
        overall_rating(ratings).points == 12 and overall_rating(ratings).rating == RI
    )  # 12 of 24 is RI, of 27 it would be RI too
    ratings = dict.fromkeys(NINE, "G") | {
        "court_work": None,
        "assessment": "RI",
        "planning": "RI",
        "reviewing": "RI",
    }
    assert (
        overall_rating(ratings).points == 13 and overall_rating(ratings).rating == G
    )  # 13 of 24 is Good; of 27, RI


def test_other_partial_sets_are_refused_with_the_standard_named():
    with pytest.raises(RatingError, match="Planning"):
        overall_rating(dict.fromkeys(NINE, "Good") | {"planning": None})
    with pytest.raises(RatingError, match="no rating given for 2.5 Reviewing"):
        overall_rating({k: "Good" for k in NINE[:-1]})
    with pytest.raises(RatingError, match="not a standard"):
        overall_rating(dict.fromkeys(NINE, "Good") | {"victims": "Good"})
    with pytest.raises(RatingError, match="not rated"):
        overall_rating(dict.fromkeys(NINE, "Good") | {"outcomes": "Good"})


def test_rating_parse_spellings_and_properties():
    for s in (
        "Requires improvement",
        "requires improvement",
        "RI",
        "ri",
        "REQUIRES_IMPROVEMENT",
        1,
        "requires-improvement",
    ):
        assert Rating.parse(s) == RI
    assert Rating.parse("G") == G and Rating.parse("outstanding") == O and Rating.parse("I") == I
    with pytest.raises(
        RatingError, match="accepted: Inadequate \\(I, 0\\); Requires improvement \\(RI, 1\\)"
    ):
        Rating.parse("Satisfactory")
    assert I < RI < G < O and [r.score for r in Rating] == [0, 1, 2, 3]
    assert [r.code for r in Rating] == ["I", "RI", "G", "O"]
    assert str(G) == "Good"
    assert all(bool(r) for r in Rating)  # Inadequate (score 0) is a rating, not a missing value


counts = st.tuples(st.integers(0, 60), st.integers(0, 60)).filter(lambda t: sum(t) > 0)


@given(st.lists(counts, min_size=1, max_size=4), st.integers(0, 3), st.integers(1, 10))
def test_raising_a_yes_count_never_lowers_the_standard_rating(kqs, which, extra):
    which %= len(kqs)
    before = standard_rating({i: c for i, c in enumerate(kqs)}).rating
    raised = list(kqs)
    raised[which] = (kqs[which][0] + extra, kqs[which][1])
    assert standard_rating({i: c for i, c in enumerate(raised)}).rating >= before
    # converting a No into a Yes (same sample size) never lowers it either
    if kqs[which][1] >= 1:
        moved = list(kqs)
        moved[which] = (kqs[which][0] + 1, kqs[which][1] - 1)
        assert standard_rating({i: c for i, c in enumerate(moved)}).rating >= before


@given(st.lists(st.sampled_from(list(Rating)), min_size=9, max_size=9), st.integers(0, 8))
def test_raising_any_standard_never_lowers_the_overall_rating(ratings, which):
    base = dict(zip(NINE, ratings, strict=True))
    before = overall_rating(base)
    up = dict(base)
    up[NINE[which]] = Rating(min(3, base[NINE[which]] + 1))
    after = overall_rating(up)
    assert after.points >= before.points and after.rating >= before.rating


@given(st.integers(1, 500), st.data())
def test_band_of_counts_is_monotone_in_yes(n, data):
    k = data.draw(st.integers(0, n - 1))
    assert band_counts(k + 1, n - k - 1) >= band_counts(k, n - k)


@given(st.integers(1, 400), st.sampled_from(["none", "whole_percent"]))
def test_count_thresholds_agree_with_banding_every_count(n, rounding):
    t = count_thresholds(n, rounding=rounding)
    for k in range(n + 1):
        assert k in t[band_counts(k, n - k, rounding=rounding)]


# --- Impossible arguments: RatingError, never a number or a foreign exception -----------------------
def test_count_thresholds_refuses_impossible_sample_sizes():
    for bad in (-5, 0, 42.5, float("nan"), "42", True):
        with pytest.raises(RatingError, match="n = "):
            count_thresholds(bad)  # -5 gave four empty ranges


NOT_A_SHARE = st.one_of(
    st.floats().filter(lambda x: not 0 <= x <= 1), st.text(max_size=3), st.none(), st.booleans()
)
NOT_A_RATING = st.one_of(
    st.text(alphabet="xyzqXYZ0123456789!?.-_ ", max_size=6),  # cannot spell a rating
    st.integers().filter(lambda x: not 0 <= x <= 3),
    st.floats().filter(lambda x: not (math.isfinite(x) and x in (0, 1, 2, 3))),
    st.none(),
)
NOT_A_FRAMEWORK = st.sampled_from(["pdu_2021", 1, {"id": "pdu_2021"}])
BAD_COUNT = st.one_of(NOT_WHOLE, st.integers(max_value=-1))
GOOD_RATINGS = dict.fromkeys(NINE, "Good")

RULES_CALLS = {
    "parse": lambda d: Rating.parse(d.draw(NOT_A_RATING)),
    "band share": lambda d: band(d.draw(NOT_A_SHARE)),
    "band rounding": lambda d: band(
        0.5, rounding=d.draw(st.one_of(st.text(max_size=5), st.none()))
    ),
    "band framework": lambda d: band(0.5, framework=d.draw(NOT_A_FRAMEWORK)),
    "round_whole_percent": lambda d: round_whole_percent(d.draw(NOT_A_SHARE)),
    "band_counts": lambda d: band_counts(
        *d.draw(
            st.one_of(
                st.tuples(BAD_COUNT, st.integers(0, 9)),
                st.tuples(st.integers(0, 9), BAD_COUNT),
                st.just((0, 0)),
            )
        )
    ),
    "threshold_for": lambda d: threshold_for(d.draw(NOT_A_RATING)),
    "min_yes_for n": lambda d: min_yes_for(
        G, d.draw(st.one_of(NOT_WHOLE, st.integers(max_value=0)))
    ),
    "min_yes_for rating": lambda d: min_yes_for(d.draw(NOT_A_RATING), 42),
    "count_thresholds": lambda d: count_thresholds(
        d.draw(st.one_of(NOT_WHOLE, st.integers(max_value=0)))
    ),
    "count_thresholds rounding": lambda d: count_thresholds(
        42, rounding=d.draw(st.text(max_size=5))
    ),
    "standard_rating": lambda d: standard_rating(
        d.draw(
            st.one_of(
                st.just({}),
                st.just([("a", 0.5)]),
                st.just("a"),
                NOT_A_SHARE.map(lambda x: {"a": x}),
                st.tuples(BAD_COUNT, st.integers(0, 9)).map(lambda t: {"a": t}),
                st.just({"a": (1, 2, 3)}),
                st.just({"a": (0, 0)}),
            )
        )
    ),
    "standard_rating framework": lambda d: standard_rating(
        {"a": 0.5}, framework=d.draw(NOT_A_FRAMEWORK)
    ),
    "overall_rating": lambda d: overall_rating(
        d.draw(
            st.one_of(
                st.just(list(NINE)),
                st.sampled_from(NINE).map(
                    lambda s: {k: v for k, v in GOOD_RATINGS.items() if k != s}
                ),
                st.tuples(st.sampled_from(NINE), NOT_A_RATING.filter(lambda x: x is not None)).map(
                    lambda t: GOOD_RATINGS | {t[0]: t[1]}
                ),
                st.sampled_from([s for s in NINE if s != "court_work"]).map(
                    lambda s: GOOD_RATINGS | {s: None}
                ),
                st.just(GOOD_RATINGS | {"budget": "Good"}),
                st.just(GOOD_RATINGS | {"2.1": "Good"}),
            )
        )
    ),
    "overall_score framework": lambda d: overall_score(
        GOOD_RATINGS, framework=d.draw(NOT_A_FRAMEWORK)
    ),
    "overall_band": lambda d: overall_band(
        *d.draw(
            st.one_of(
                st.tuples(
                    st.one_of(NOT_WHOLE, st.integers(max_value=-1), st.integers(28, 99)),
                    st.just(27),
                ),
                st.tuples(
                    st.just(10),
                    st.one_of(NOT_WHOLE, st.integers(max_value=23), st.integers(28, 99)),
                ),
            )
        )
    ),
    "explain": lambda d: explain(d.draw(st.sampled_from([None, "Good", G, {"rating": "Good"}]))),
}


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(RULES_CALLS)), st.data())
def test_rules_refuse_impossible_arguments(name, data):
    with pytest.raises(RatingError):
        RULES_CALLS[name](data)

"""National context: the two published files, their loaders, PDU position ranges and the sentences.

Position ranges are checked against hand-worked examples and against an exact enumeration of every
combination of points the ratings allow (written here, independent of the code under test).
"""

import itertools

import pandas as pd
import pytest

from hmip.analyses.national import (
    national_standing_sentence,
    nationally_line,
    ordinal,
    position_in_words,
)
from hmip.data.loaders import load_published_overall
from hmip.data.national import (
    FRAMEWORKS_WITHOUT_SCALE,
    date_bounds,
    framework_label,
    load_national_counts,
    load_national_ratings,
)
from hmip.data.provenance import provenance
from hmip.data.validation import sha256
from hmip.errors import DataValidationError, HmipError, StatisticsError
from hmip.rules.framework import load_framework
from hmip.stats.national import (
    CrossFrameworkError,
    national_position,
    national_positions,
    rating_distribution,
)

I, RI, G, O = "Inadequate", "Requires improvement", "Good", "Outstanding"
#: The 27-point bands, written out by hand from the published rules (the code reads the TOML).
HAND_BANDS = {I: (0, 4), RI: (5, 13), G: (14, 22), O: (23, 27)}


def table(*rows, framework="pdu-2021"):
    """A small ratings table: rows of (pdu, rating, points or None)."""
    return pd.DataFrame(
        {
            "pdu": [r[0] for r in rows],
            "framework": framework,
            "overall_rating": [r[1] for r in rows],
            "points": pd.array([r[2] for r in rows], dtype="Int64"),
            "max_points": pd.array([27 if r[2] is not None else None for r in rows], dtype="Int64"),
            "points_basis": ["published" if r[2] is not None else "" for r in rows],
        }
    )


def enumerate_ranks(rows, pdu):
    """Best and worst competition rank of ``pdu`` over every combination of possible points."""
    ranges = [
        [r[2]] if r[2] is not None else range(HAND_BANDS[r[1]][0], HAND_BANDS[r[1]][1] + 1)
        for r in rows
    ]
    me = [r[0] for r in rows].index(pdu)
    ranks = [
        1 + sum(pts[j] > pts[me] for j in range(len(rows)) if j != me)
        for pts in itertools.product(*ranges)
    ]
    return min(ranks), max(ranks)


# --- Position ranges: hand-worked examples ------------------------------------------------------
ALL_UNKNOWN = [("A", I, None), ("B", I, None), ("C", RI, None)]
BAND_EDGES = [("A", I, 4), ("B", RI, 5), ("C", RI, None), ("D", I, None)]
KNOWN_AMONG_UNKNOWN = [("X", I, 2), ("P", I, None), ("Q", I, None), ("R", RI, None), ("S", G, None)]


@pytest.mark.parametrize(
    "rows,pdu,best,worst",
    [
        # All points unknown: A is 0-4, B 0-4, C 5-13. C is above both whatever the points:
        # exactly 1st. A is below C for certain (best 2nd) and may be below B too (worst 3rd).
        (ALL_UNKNOWN, "C", 1, 1),
        (ALL_UNKNOWN, "A", 2, 3),
        (ALL_UNKNOWN, "B", 2, 3),
        # Ties at band edges: A has 4 (top of Inadequate), B has 5 (bottom of Requires improvement),
        # C is 5-13, D is 0-4. B and C are certainly above A; D can tie A at 4 but never pass it:
        # A is exactly 3rd. D is below B and C for certain, and below A unless it has 4: 3rd-4th.
        # B can tie C at 5 (then both 1st) or be passed by C: 1st-2nd. C can only tie B: 1st.
        (BAND_EDGES, "A", 3, 3),
        (BAND_EDGES, "D", 3, 4),
        (BAND_EDGES, "B", 1, 2),
        (BAND_EDGES, "C", 1, 1),
        # Known points among unknown ones: X has 2. R (5-13) and S (14-22) are certainly above;
        # P and Q (0-4) may be above, tie or be below: 3rd to 5th of 5.
        (KNOWN_AMONG_UNKNOWN, "X", 3, 5),
        (KNOWN_AMONG_UNKNOWN, "S", 1, 1),
        (KNOWN_AMONG_UNKNOWN, "P", 3, 5),
    ],
)
def test_position_ranges_match_hand_worked_examples(rows, pdu, best, worst):
    pos = national_position(table(*rows), pdu)
    assert (pos.rank_best, pos.rank_worst) == (best, worst)
    assert (pos.rank_best, pos.rank_worst) == enumerate_ranks(rows, pdu)
    assert pos.n_pdus == len(rows) and "rank range" in pos.method


def test_equal_known_points_share_a_rank():
    rows = [("E", I, 3), ("F", I, 3), ("G", I, 1)]
    for pdu in ("E", "F"):
        pos = national_position(table(*rows), pdu)
        assert (pos.rank_best, pos.rank_worst) == (1, 1) and pos.exact
        assert pos.n_same_rating_points_equal == 1 and pos.n_same_rating_points_higher == 0
    assert (national_position(table(*rows), "G").rank_best,) == (3,)


def test_position_ranges_equal_exact_enumeration_on_a_mixed_table():
    rows = [
        ("a", I, 0),
        ("b", I, 4),
        ("c", I, None),
        ("d", RI, None),
        ("e", RI, 13),
        ("f", G, None),
        ("g", RI, 5),
    ]
    t = table(*rows)
    for pdu, *_ in rows:
        pos = national_position(t, pdu)
        assert (pos.rank_best, pos.rank_worst) == enumerate_ranks(rows, pdu), pdu


def test_bands_are_read_from_the_framework_file():
    fw = load_framework("pdu-2021")
    full = next(s for s in fw.overall_scales if not s.not_rated)
    assert {b.rating: (b.low, b.high) for b in full.bands} == HAND_BANDS
    pos = national_position(table(("N", RI, None), ("M", I, 1)), "N")
    assert (pos.points_low, pos.points_high, pos.band_low, pos.band_high) == (5, 13, 5, 13)


def test_rating_only_framework_ranks_by_rating_with_ties():
    rows = [("A", I, None), ("B", RI, None), ("C", RI, None), ("D", I, None)]
    t = table(*rows, framework="pdu-2023")
    pos = national_position(t, "A", framework="pdu-2023")
    assert (pos.rank_best, pos.rank_worst, pos.rating_rank) == (3, 3, 3)
    assert pos.points_low is None and "no published points scale" in pos.method
    assert national_position(t, "B", framework="pdu-2023").rank_best == 1


# --- Refusals -----------------------------------------------------------------------------------
def test_comparing_across_frameworks_is_refused():
    t = pd.concat(
        [table(("Old", I, 2), ("Both", RI, None)), table(("New", I, None), framework="pdu-2023")]
    )
    with pytest.raises(CrossFrameworkError) as err:
        national_position(t, "New", framework="pdu-2021")
    msg = str(err.value)
    assert "not comparable" in msg and "pdu-2023 has no published points scale" in msg
    assert isinstance(err.value, StatisticsError) and isinstance(err.value, HmipError)
    for bad in (["pdu-2021", "pdu-2023"], None, ""):
        with pytest.raises(CrossFrameworkError, match="not comparable"):
            national_position(t, "Old", framework=bad)
        with pytest.raises(CrossFrameworkError, match="not comparable"):
            rating_distribution(t, framework=bad)


def test_real_revised_framework_pdu_is_not_placed_among_2021_pdus():
    ratings = load_national_ratings()
    with pytest.raises(CrossFrameworkError, match="Surrey was not rated under pdu-2021"):
        national_position(ratings, "Surrey")


@pytest.mark.parametrize(
    "frame,pdu,fragment",
    [
        (table(("A", I, 1)), "Lambith", "'Lambith' is not in the ratings table"),
        (table(("Lambeth", I, 1)), "Lambith", "did you mean 'Lambeth'?"),
        (table(("A", I, 1), ("A", I, 2)), "A", "A has 2 inspections under pdu-2021"),
        (table(("A", I, 1)).drop(columns="points"), "A", "lacks column(s) points"),
        (table(("A", I, 1)).assign(max_points=pd.array([24], dtype="Int64")), "A", "out of 24"),
        (table(("A", I, 1), framework="pdu-2023"), "A", "no published points scale"),
    ],
)
def test_position_validates_its_arguments(frame, pdu, fragment):
    framework = frame["framework"].iloc[0]
    with pytest.raises(StatisticsError, match=None) as err:
        national_position(frame, pdu, framework=framework)
    assert fragment in str(err.value)


def test_unknown_framework_in_table_is_reported():
    with pytest.raises(StatisticsError, match="no PDU is rated under 'pdu-2019'"):
        rating_distribution(table(("A", I, 1)), framework="pdu-2019")


# --- Distribution --------------------------------------------------------------------------------
def test_rating_distribution_counts_every_rating_in_order():
    dist = rating_distribution(table(*KNOWN_AMONG_UNKNOWN))
    assert list(dist["rating"]) == [I, RI, G, O]
    assert list(dist["count"]) == [3, 1, 1, 0] and set(dist["out_of"]) == {5}
    assert dist["rating"].dtype.ordered


# --- Sentences -----------------------------------------------------------------------------------
def test_sentence_is_generated_from_the_figures():
    t = table(*BAND_EDGES)
    text = national_standing_sentence(t, "A")
    assert text == (
        "A was rated Inadequate under the HMIP PDU inspection framework 2021-2023. "
        "Of the 4 PDUs in the national table rated under this framework, 2 were rated higher, "
        "none lower and 1 other rated Inadequate. "
        "Its 4 points (published) are the only known points among the Inadequate PDUs, "
        "and the most the Inadequate band (0-4) allows. "
        "By points it ranks 3rd of 4 (PDUs with equal points share a rank)."
    )
    d = national_standing_sentence(t, "D")
    assert (
        "Its points were not published; an Inadequate PDU has 0-4 points, so by points it ranks between 3rd and 4th of 4"
        in d
    )
    pos = national_position(t, "D")
    assert position_in_words(pos).startswith("D ranks between 3rd and 4th of 4 PDUs")
    assert nationally_line(pos).startswith("Nationally: between 3rd and 4th of 4 PDUs")


def test_head_of_service_claim_sentence_follows_the_published_figures():
    ratings = load_national_ratings()
    dist = rating_distribution(ratings).set_index("rating")["count"]
    n = int(dist.sum())
    higher = int(dist[RI] + dist[G] + dist[O])
    lb = ratings[(ratings["pdu"] == "Lewisham and Bromley") & (ratings["framework"] == "pdu-2021")]
    pts = int(lb["points"].iloc[0])
    inadequate_known = ratings[
        (ratings["framework"] == "pdu-2021")
        & (ratings["overall_rating"] == I)
        & ratings["points"].notna()
    ]
    text = national_standing_sentence(ratings, "Lewisham and Bromley")
    assert f"Of the {n} PDUs in the national table rated under this framework" in text
    assert f"{higher} were rated higher, none lower" in text
    assert pts == inadequate_known["points"].max() == 4
    assert (
        f"Its 4 points (implied) are the highest of the {len(inadequate_known)} Inadequate" in text
    )
    # every PDU rated higher is certainly above 4 points; Inadequate ones cannot pass 4: exact rank
    assert f"By points it ranks {ordinal(higher + 1)} of {n}" in text


def test_ordinal():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)] == [
        "1st",
        "2nd",
        "3rd",
        "4th",
        "11th",
        "12th",
        "13th",
        "21st",
        "22nd",
        "23rd",
        "101st",
        "111th",
    ]


# --- The published files -------------------------------------------------------------------------
def test_national_files_load_with_their_provenance():
    ratings, counts = load_national_ratings(), load_national_counts()
    for df, name in (
        (ratings, "published_national_ratings.csv"),
        (counts, "published_national_counts.csv"),
    ):
        assert provenance(df).simulated is False and provenance(df).basis == "published"
        (src,) = provenance(df).sources
        assert src["name"] == name and src["sha256"] == sha256(src["path"])
    assert ratings["overall_rating"].dtype.ordered and (ratings["source"] != "").all()
    assert set(ratings["framework"]) == {"pdu-2021", *FRAMEWORKS_WITHOUT_SCALE}
    revised = ratings[ratings["framework"] == "pdu-2023"]
    assert revised["points"].isna().all() and revised["max_points"].isna().all()
    implied = ratings[
        (ratings["overall_rating_basis"] == "implied") | (ratings["points_basis"] == "implied")
    ]
    assert (implied["note"] != "").all()
    assert framework_label("pdu-2021") == "HMIP PDU inspection framework 2021-2023"


def test_london_rows_agree_with_the_london_file():
    london = load_published_overall().set_index("pdu")
    national = load_national_ratings()
    national = national[national["region"] == "London"].set_index("pdu")
    assert set(national.index) == set(london.index) and len(national) == 6
    assert set(national["framework"]) == {"pdu-2021"}
    for col in (
        "region",
        "overall_rating",
        "overall_rating_basis",
        "points",
        "points_basis",
        "publication_date",
    ):
        a, b = national[col].sort_index(), london[col].sort_index()
        assert (
            a.astype(object).where(a.notna(), None).tolist()
            == b.astype(object).where(b.notna(), None).tolist()
        ), col
    known = national["points"].notna()
    assert (
        national.loc[known, "max_points"] == london.loc[national.index[known], "max_points"]
    ).all()


def test_published_counts_recompute_from_the_ratings_where_they_count_the_same_pdus():
    ratings = load_national_ratings()
    counts = load_national_counts()
    r21 = ratings[ratings["framework"] == "pdu-2021"]
    in_2022 = r21[r21["publication_date"].str.startswith("2022")]
    row = counts[counts["what_was_counted"] == "PDU inspection reports published in 2022"].iloc[0]
    recomputed = (len(in_2022), int((in_2022["overall_rating"] == I).sum()))
    assert recomputed == (row["out_of"], row["count"]) == (17, 10)
    wm = in_2022[in_2022["region"] == "West Midlands"]["overall_rating"].value_counts()
    wm_counts = counts[counts["what_was_counted"].str.contains("West Midlands")]
    assert {r.rating: r.count for r in wm_counts.itertuples()} == {I: wm[I], RI: wm[RI]}
    goods = r21[r21["overall_rating"] == G]
    assert list(goods["pdu"]) == ["South Tyneside and Gateshead"]


def test_every_position_lies_inside_its_rating_tie_group():
    table_ = national_positions(load_national_ratings())
    assert len(table_) == 36
    assert (table_["rank_best"] >= table_["rating_rank"]).all()
    assert (table_["rank_worst"] <= table_["rating_rank"] + table_["n_rated_same"]).all()
    assert (table_["rank_best"] <= table_["rank_worst"]).all()


# --- Loader errors -------------------------------------------------------------------------------
HEADER = (
    "pdu,region,framework,publication_date,overall_rating,overall_rating_basis,"
    "points,points_basis,max_points,source,note\n"
)
GOOD_ROW = "Lambeth,London,pdu-2021,2022-10-18,Inadequate,published,3,published,27,src,\n"


def write(tmp_path, *rows, header=HEADER, name="national.csv"):
    p = tmp_path / name
    p.write_text(header + "".join(rows), encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "row,column,fragments",
    [
        (
            "Lambeth,London,pdu-2021,2022-10-18,Satisfactory,published,,,,src,\n",
            "overall_rating",
            ["'Satisfactory' is not a rating", "accepted: Inadequate (I, 0)"],
        ),
        (
            "Lambeth,London,pdu-2021,18/10/2022,Inadequate,published,,,,src,\n",
            "publication_date",
            ["'18/10/2022' is not a date", "accepted: YYYY, YYYY-MM or YYYY-MM-DD"],
        ),
        (
            "Lambeth,London,pdu-2021,2022-13,Inadequate,published,,,,src,\n",
            "publication_date",
            ["'2022-13' is not a date"],
        ),
        (
            "Lambeth,London,pdu-2021,2022-02-30,Inadequate,published,,,,src,\n",
            "publication_date",
            ["'2022-02-30' is not a date"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,7,published,27,src,\n",
            "points",
            [
                "7 of 27 points is in the Requires improvement band (5-13)",
                "accepted for Inadequate: 0-4",
            ],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,30,published,27,src,\n",
            "points",
            ["30 is outside the scale; accepted: 0 to 27"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,3,published,25,src,\n",
            "max_points",
            ["25 is not a points scale of pdu-2021; accepted: 27, 24"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,3,published,,src,\n",
            "max_points",
            ["points are given, so give the scale they are out of"],
        ),
        (
            "Lambeth,London,pdu-2022,2022,Inadequate,published,,,,src,\n",
            "framework",
            ["'pdu-2022' is not a known framework", "accepted: pdu-2021, pdu-2023"],
        ),
        (
            "Surrey,,pdu-2023,2024-03,Inadequate,published,2,published,,src,\n",
            "points",
            ["pdu-2023 has no published points scale", "leave points blank"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,reported,,,,src,\n",
            "overall_rating_basis",
            ["'reported' is not a basis; accepted: published, implied"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,,published,,src,\n",
            "points_basis",
            ["points are blank, so leave their basis blank"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,3,implied,27,src,\n",
            "note",
            ["an implied value needs its reasoning in the note"],
        ),
        (
            "Lambeth,London,pdu-2021,2022,Inadequate,published,,,,,\n",
            "source",
            ["every published value needs its source"],
        ),
        (
            ",London,pdu-2021,2022,Inadequate,published,,,,src,\n",
            "pdu",
            ["PDU name is blank"],
        ),
    ],
)
def test_bad_national_rating_rows_are_refused_with_row_and_column(tmp_path, row, column, fragments):
    path = write(tmp_path, row)
    with pytest.raises(DataValidationError) as err:
        load_national_ratings(path)
    msg = str(err.value)
    assert f"{path}, row 1 (line 2), column '{column}'" in msg
    for fragment in fragments:
        assert fragment in msg


def test_duplicate_national_rating_row_is_refused(tmp_path):
    path = write(tmp_path, GOOD_ROW, GOOD_ROW)
    with pytest.raises(DataValidationError) as err:
        load_national_ratings(path)
    (problem,) = err.value.problems
    assert problem.row == 2 and "duplicate PDU, framework and publication date" in problem.message
    assert "(first given in row 1)" in str(err.value) and "row 2 (line 3)" in str(err.value)


def test_every_national_rating_problem_is_collected(tmp_path):
    path = write(
        tmp_path,
        "Lambeth,London,pdu-2022,2022-13,Satisfactory,published,,,,src,\n",
        GOOD_ROW,
        "Newham,London,pdu-2021,2022,Requires improvement,published,2,published,27,,\n",
    )
    with pytest.raises(DataValidationError) as err:
        load_national_ratings(path)
    assert {(p.row, p.column) for p in err.value.problems} == {
        (1, "framework"),
        (1, "publication_date"),
        (1, "overall_rating"),
        (3, "points"),
        (3, "source"),
    }


def test_a_good_national_rating_file_loads_with_normalised_values(tmp_path):
    path = write(
        tmp_path,
        "Lambeth,London,pdu-2021,2022-10-18,I,published,3,published,27,src,\n",
        "Newham,London,pdu-2021,2022,requires improvement,published,,,,src,a note\n",
    )
    df = load_national_ratings(path)
    assert list(df["overall_rating"]) == [I, RI] and df["points"].tolist()[0] == 3
    assert pd.isna(df["points"].iloc[1]) and df["note"].iloc[1] == "a note"


COUNT_HEADER = (
    "period_start,period_end,framework,what_was_counted,rating,count,out_of,includes_non_pdu,"
    "source,note\n"
)


@pytest.mark.parametrize(
    "row,column,fragment",
    [
        (
            "2022,2022,pdu-2021,reports,Inadequate,18,17,no,src,\n",
            "count",
            "18 is more than out_of 17",
        ),
        ("2022,2022,pdu-2021,reports,Inadequate,1,0,no,src,\n", "out_of", "0 is not accepted"),
        ("2022,2022,pdu-2021,reports,Inadequate,x,17,no,src,\n", "count", "'x' is not a count"),
        ("2022,2022,pdu-2021,reports,Inadequate,1,17,maybe,src,\n", "includes_non_pdu", "yes, no"),
        ("2023,2022,pdu-2021,reports,Inadequate,1,17,no,src,\n", "period_end", "ends (2022)"),
        ("2022,2022,pdu-2025,reports,Inadequate,1,17,no,src,\n", "framework", "not a known"),
        ("2022,2022,pdu-2021,reports,Poor,1,17,no,src,\n", "rating", "'Poor' is not a rating"),
        ("22-01,2022,pdu-2021,reports,Inadequate,1,17,no,src,\n", "period_start", "not a date"),
        ("2022,2022,pdu-2021,,Inadequate,1,17,no,src,\n", "what_was_counted", "say what"),
        ("2022,2022,pdu-2021,reports,Inadequate,1,17,no,,\n", "source", "needs its source"),
    ],
)
def test_bad_national_count_rows_are_refused_with_row_and_column(tmp_path, row, column, fragment):
    path = write(tmp_path, row, header=COUNT_HEADER, name="counts.csv")
    with pytest.raises(DataValidationError) as err:
        load_national_counts(path)
    msg = str(err.value)
    assert f"row 1 (line 2), column '{column}'" in msg and fragment in msg


def test_duplicate_national_count_is_refused(tmp_path):
    row = "2022,2022,pdu-2021,reports,Inadequate,10,17,no,src,\n"
    path = write(tmp_path, row, row, header=COUNT_HEADER, name="counts.csv")
    with pytest.raises(DataValidationError, match="row 2 .*duplicate period, framework"):
        load_national_counts(path)


def test_date_bounds_cover_each_precision():
    assert date_bounds("2022") == ("2022-01-01", "2022-12-31")
    assert date_bounds("2024-02") == ("2024-02-01", "2024-02-29")
    assert date_bounds("2022-10-18") == ("2022-10-18", "2022-10-18")
    assert date_bounds("2022-00") is None and date_bounds("2023-02-29") is None
    assert date_bounds("") is None


@pytest.mark.parametrize(
    "rows, pdu, verdict",
    [
        # 9 PDUs; the PDU is 5th by points and rated in the middle band with PDUs above and below: supported
        (
            [
                ("A", G, 15),
                ("B", G, 14),
                ("C", RI, 12),
                ("D", RI, 11),
                ("X", RI, 9),
                ("E", RI, 7),
                ("F", RI, 6),
                ("G", I, 3),
                ("H", I, 1),
            ],
            "X",
            "The figures support the claim:",
        ),
        # lowest band, top of it: middle by rank (5th of 9) but nothing rated lower
        (
            [
                ("A", G, 15),
                ("B", RI, 12),
                ("C", RI, 11),
                ("D", RI, 9),
                ("X", I, 4),
                ("E", I, 3),
                ("F", I, 2),
                ("G", I, 1),
                ("H", I, 0),
            ],
            "X",
            "The figures support the claim only by rank:",
        ),
        # bottom of the table: not supported
        (
            [("A", G, 15), ("B", RI, 12), ("C", RI, 9), ("X", I, 0)],
            "X",
            "The figures do not support the claim:",
        ),
    ],
)
def test_middle_claim_verdict_follows_the_figures(rows, pdu, verdict):
    from hmip.analyses.national import claim_test_sentence

    text = claim_test_sentence(national_position(table(*rows), pdu))
    assert text.startswith(verdict), text
    pos = national_position(table(*rows), pdu)
    assert f"of {len(rows)}" in text and str(pos.rank_best) in text


def test_one_pdus_position_is_its_row_of_every_position():
    """national_position counts one PDU against the others; national_positions counts every PDU: the
    same figures, for every PDU of both frameworks in the bundled table."""
    ratings = load_national_ratings()
    for framework in sorted(set(ratings["framework"])):
        every = national_positions(ratings, framework).set_index("pdu")
        for pdu in every.index:
            one = national_position(ratings, pdu, framework)
            row = every.loc[pdu]
            for field, value in one.__dict__.items():
                want = row[field] if field != "pdu" else pdu
                assert (pd.isna(want) and value is None) or want == value, (pdu, field)

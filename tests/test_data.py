"""Loaders, the bad-file corpus, and the simulated sample's agreement with what was published."""

import pandas as pd
import pytest

from hmip.data.cases import load_cases
from hmip.data.ethnicity import NOT_RECORDED, map_ethnicity
from hmip.data.loaders import (
    load_counts,
    load_published,
    load_published_overall,
    load_published_ratings,
    load_simulated_ratings,
    load_standard_ratings,
)
from hmip.data.provenance import provenance
from hmip.errors import DataValidationError
from hmip.rules.framework import default_framework
from hmip.rules.tables import combine_ratings, rate_pdus, rate_standards

from .conftest import BAD

# file -> loader -> fragments that the single error message must contain
CORPUS = [
    ("empty.csv", load_counts, ["empty.csv", "the file is empty"]),
    ("header_only.csv", load_counts, ["header but no data rows"]),
    ("utf16.csv", load_counts, ["not UTF-8 encoded", "save the file as UTF-8"]),
    ("latin1.csv", load_counts, ["not UTF-8 encoded (byte 0xe9 on line 2)"]),
    ("missing_column.csv", load_counts, ["column 'no': required column is missing"]),
    (
        "unknown_column.csv",
        load_counts,
        [
            "column 'colour': unknown column",
            "accepted columns: pdu, standard, key_question, yes, no",
        ],
    ),
    (
        "misspelt_standard.csv",
        load_counts,
        ["row 1 (line 2), column 'standard'", "did you mean 'Assessment'?"],
    ),
    (
        "misspelt_key_question.csv",
        load_counts,
        [
            "column 'key_question'",
            "did you mean 'safety'?",
            "accepted: engagement, desistance, safety",
        ],
    ),
    ("misspelt_pdu.csv", load_counts, ["column 'pdu'", "did you mean 'Lambeth'?"]),
    ("negative_count.csv", load_counts, ["column 'yes': '-3' is not a count", "whole number"]),
    ("fractional_count.csv", load_counts, ["column 'yes': '3.5' is not a count"]),
    ("zero_cases.csv", load_counts, ["row 1 (line 2)", "yes + no is 0"]),
    (
        "duplicate_row.csv",
        load_counts,
        ["row 2 (line 3)", "duplicate pdu, standard and key question", "first given in row 1"],
    ),
    (
        "judgement_standard_counts.csv",
        load_counts,
        ["1.1 Leadership is not rated from a case sample"],
    ),
    ("ragged_row.csv", load_counts, ["row 1 (line 2)", "has 6 fields but the header has 5"]),
    (
        "bad_rating.csv",
        load_standard_ratings,
        ["column 'rating'", "'Satisfactory' is not a rating", "Requires improvement (RI, 1)"],
    ),
    ("rating_for_unrated_standard.csv", load_standard_ratings, ["2.6 Outcomes is not rated"]),
    (
        "cases_court_work_on_licence_case.csv",
        load_cases,
        [
            "row 2 (line 3), column 'court_work.engagement'",
            "Court work does not apply to this case",
            "give n/a or leave blank",
        ],
    ),
    (
        "cases_bad_answer.csv",
        load_cases,
        [
            "column 'planning.safety': 'maybe' is not an answer",
            "accepted: yes (sufficient), no (not sufficient), n/a",
        ],
    ),
    ("cases_bad_ethnicity.csv", load_cases, ["column 'ethnicity'", "did you mean 'Caribbean'?"]),
    ("cases_duplicate_case_id.csv", load_cases, ["row 2 (line 3)", "duplicate pdu and case_id"]),
    (
        "cases_bad_rosh.csv",
        load_cases,
        [
            "row 1 (line 2), column 'rosh'",
            "did you mean 'medium'?",
            "row 2 (line 3), column 'gender'",
        ],
    ),
    (
        "cases_missing_answer.csv",
        load_cases,
        ["column 'assessment.engagement': '' is not an answer"],
    ),
]


@pytest.mark.parametrize("name,loader,fragments", CORPUS, ids=[c[0] for c in CORPUS])
def test_every_bad_file_gives_a_precise_message(name, loader, fragments):
    with pytest.raises(DataValidationError) as err:
        loader(BAD / name)
    message = str(err.value)
    assert name in message
    for fragment in fragments:
        assert fragment in message


def test_the_corpus_covers_every_bad_file():
    assert {p.name for p in BAD.glob("*.csv")} == {c[0] for c in CORPUS}


def test_all_problems_are_collected_into_one_error(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text(
        "pdu,standard,key_question,yes,no\nNewham,Assesment,safety,-1,2\nNewham,planning,x,1,y\n"
    )
    with pytest.raises(DataValidationError) as err:
        load_counts(p)
    assert len(err.value.problems) == 4
    assert {(pr.row, pr.column) for pr in err.value.problems} == {
        (1, "standard"),
        (1, "yes"),
        (2, "key_question"),
        (2, "no"),
    }


def test_published_ratings_load_with_the_source_of_every_value():
    pub = load_published()
    assert len(pub) == 6 * 9 and pub["rating"].dtype.ordered
    known = pub[pub["rating"].notna()]
    assert (known["source"] != "").all() and set(known["basis"]) == {"published", "implied"}
    assert (pub.loc[pub["rating"].isna(), "basis"] == "").all()
    overall = load_published_ratings().overall
    assert set(overall["overall_rating_basis"]) == {"published"} and (overall["source"] != "").all()
    assert provenance(pub).simulated is False


def test_published_london_indicators_load_with_their_source():
    from hmip.data.loaders import load_indicators

    ind = load_indicators().set_index("indicator")
    rosh = ind.loc[
        "share of inspected cases satisfactory on the assessment of risk of serious harm"
    ]
    assert (rosh["value"], rosh["unit"], rosh["basis"]) == (
        25,
        "percent",
        "published",
    ) and "Nov 2022" in rosh["source"]


def test_published_facts_as_recorded():
    pub = load_published().set_index(["pdu", "standard"])["rating"]
    hf = "Hammersmith, Fulham, Kensington, Chelsea and Westminster"
    assert (pub.loc[hf] == "Inadequate").all()
    lb = pub.loc["Lewisham and Bromley"]
    assert list(lb.iloc[:4]) == ["Requires improvement"] * 4 and (lb.iloc[4:] == "Inadequate").all()
    assert pub.loc["Newham"].isna().all()
    overall = load_published_overall().set_index("pdu")
    assert (
        overall.loc[hf, "points"] == 0
        and overall.loc["Lambeth", "points"] == 3
        and pd.isna(overall.loc["Newham", "points"])
    )


def test_simulated_sample_recomputes_every_published_and_implied_rating(cases, counts):
    assert provenance(cases).simulated is True and provenance(cases).basis == "simulated"
    assert cases.groupby("pdu").size().eq(42).all() and cases["pdu"].nunique() == 6
    recomputed = rate_standards(counts).set_index(["pdu", "standard"])["rating"]
    pub = load_published()
    checked = 0
    for r in pub.itertuples():
        if pd.notna(r.rating) and (r.pdu, r.standard) in recomputed.index:
            assert recomputed[(r.pdu, r.standard)] == r.rating, (r.pdu, r.standard)
            checked += 1
    assert (
        checked == 4 * 5
    )  # the case-sample standards of HFKCW, Lambeth, Ealing and Hillingdon, Lewisham and Bromley
    sim = load_simulated_ratings()
    overall = rate_pdus(combine_ratings(rate_standards(counts), sim)).set_index("pdu")
    published = load_published_overall().set_index("pdu")
    for pdu, row in published.iterrows():
        assert overall.loc[pdu, "overall_rating"] == row["overall_rating"]
        if pd.notna(row["points"]):
            assert overall.loc[pdu, "points"] == row["points"]
    assert overall.loc[["Newham", "Barking, Dagenham and Havering"], "points"].between(5, 13).all()


def test_simulated_ratings_agree_with_the_cases_and_label_their_basis(counts):
    sim = load_simulated_ratings().set_index(["pdu", "standard"])
    rec = rate_standards(counts).set_index(["pdu", "standard"])["rating"]
    for key, rating in rec.items():
        assert sim.loc[key, "rating"] == rating
    assert set(sim["basis"]) == {"published", "implied", "simulated"}
    assert (sim.loc["Newham", "basis"] == "simulated").all()


def test_london_assessment_safety_share_is_within_3_points_of_25_percent(counts):
    s = counts[(counts["standard"] == "assessment") & (counts["key_question"] == "safety")]
    assert abs(s["yes"].sum() / s["n"].sum() - 0.25) <= 0.03


def test_key_questions_on_a_case_are_positively_correlated(cases):
    fw = default_framework()
    yes = pd.DataFrame(
        {
            kq.qualified_id: cases[kq.qualified_id].astype(str).map({"yes": 1.0, "no": 0.0})
            for kq in fw.key_questions
        }
    )
    corr = yes.corr().values
    off = corr[~pd.DataFrame(corr).isna().values & (abs(corr - 1) > 1e-9)]
    assert off.mean() > 0.1


def test_case_loader_maps_ethnicity_and_reports_exclusions(cases):
    assert set(cases["ethnicity"].cat.categories) >= {"White", NOT_RECORDED}
    assert (
        cases.loc[cases["ethnicity_detail"] == "Caribbean", "ethnicity"]
        == "Black, Black British, Caribbean or African"
    ).all()
    notes = " ".join(provenance(cases).load_notes)
    assert (
        "no rows dropped" in notes
        and "n/a (not applicable)" in notes
        and "ethnicity not recorded" in notes
    )
    licence = cases["sentence_type"] == "licence"
    assert (cases.loc[licence, "court_work.safety"] == "n/a").all()
    assert (
        map_ethnicity("any other white background") == "White" and map_ethnicity("Klingon") is None
    )


def test_key_question_counts_match_a_hand_count(cases, counts):
    sub = cases[cases["pdu"] == "Lambeth"]["planning.safety"].astype(str)
    row = counts[
        (counts["pdu"] == "Lambeth")
        & (counts["standard"] == "planning")
        & (counts["key_question"] == "safety")
    ].iloc[0]
    assert (row["yes"], row["no"], row["n"]) == (
        (sub == "yes").sum(),
        (sub == "no").sum(),
        (sub != "n/a").sum(),
    )
    assert provenance(counts).simulated is True


def test_counts_round_trip_through_the_aggregate_format(counts, tmp_path):
    p = tmp_path / "annex.csv"
    counts[["pdu", "standard", "key_question", "yes", "no"]].to_csv(p, index=False)
    back = load_counts(p)
    assert provenance(back).basis == "analyst-supplied" and provenance(back).simulated is False
    pd.testing.assert_frame_equal(
        back[["yes", "no"]].reset_index(drop=True),
        counts[["yes", "no"]].reset_index(drop=True),
        check_dtype=False,
    )


def test_blank_court_work_on_licence_case_is_counted_as_not_applicable(tmp_path, root):
    from hmip.data.cases import case_columns

    cols = case_columns()
    row = {c: "yes" for c in cols} | {
        "case_id": "1",
        "pdu": "Newham",
        "gender": "female",
        "sentence_type": "licence",
        "rosh": "Very high",
        "ethnicity": "Indian",
        "court_work.engagement": "",
        "court_work.desistance": "",
        "court_work.safety": "n/a",
    }
    p = tmp_path / "one.csv"
    pd.DataFrame([row])[cols].to_csv(p, index=False)
    df = load_cases(p)
    assert (
        df[["court_work.engagement", "court_work.desistance", "court_work.safety"]] == "n/a"
    ).all(axis=None)
    assert (
        "2 of them left blank" in " ".join(provenance(df).load_notes)
        and df["rosh"].iloc[0] == "very high"
    )

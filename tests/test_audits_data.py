"""Internal case audits (hmip.data.audits): the shipped simulated series, and every bad input refused
with a message naming the file, row and column and saying what is accepted."""

import datetime as dt

import pandas as pd
import pytest

from hmip.data.audits import (
    SIMULATED_AUDITS_FILE,
    audit_counts,
    load_audits,
    load_recommendation_key_questions,
    parse_audit_date,
)
from hmip.data.provenance import provenance
from hmip.errors import DataValidationError
from hmip.paths import data_dir

TODAY = dt.date(2026, 12, 3)
PDU = "Lewisham and Bromley"
HEADER = [
    "audit_date",
    "case_id",
    "pdu",
    "gender",
    "sentence_type",
    "rosh",
    "ethnicity",
    "assessment.engagement",
    "assessment.desistance",
    "assessment.safety",
]


def _row(date="2023-03-31", case="A1", pdu=PDU, answers=("yes", "no", "yes"), sentence="community"):
    return [date, case, pdu, "male", sentence, "medium", "African", *answers]


def _write(path, rows, header=HEADER):
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def _problems(paths, **kw):
    with pytest.raises(DataValidationError) as exc:
        load_audits(paths, today=TODAY, **kw)
    return exc.value.problems


# --- The shipped simulated series ----------------------------------------------------------------
@pytest.fixture(scope="module")
def series():
    return load_audits(today=TODAY)


def test_simulated_series_loads_and_is_labelled(series):
    assert len(series) == 320
    assert series.groupby(["pdu", "audit_date"]).ngroups == 16
    assert set(series["pdu"]) == {PDU}
    assert provenance(series).simulated and provenance(series).basis == "simulated"
    assert "simulated" in SIMULATED_AUDITS_FILE
    raw = pd.read_csv(data_dir() / SIMULATED_AUDITS_FILE, dtype=str)
    assert raw["note"].str.startswith("SIMULATED").all()
    assert series["audit_date"].min() == pd.Timestamp("2022-12-16")
    assert series["audit_date"].max() == pd.Timestamp("2026-09-30")


def test_simulated_series_is_reproducible_byte_for_byte():
    from hmip.data.simulate_audits import audits_csv, simulate_audits

    assert audits_csv(simulate_audits()) == (data_dir() / SIMULATED_AUDITS_FILE).read_text(
        encoding="utf-8"
    )


def test_reaudit_has_the_published_6_point_uplift(series):
    from hmip.data.cases import load_cases
    from hmip.rules.framework import default_framework

    cols = [kq.qualified_id for kq in default_framework().key_questions]

    def pooled(df):
        a = df[cols].astype(str).to_numpy().ravel()
        return (a == "yes").sum() / ((a == "yes") | (a == "no")).sum()

    inspection = load_cases()
    before = pooled(inspection[inspection["pdu"] == PDU])
    after = pooled(series[series["audit_date"] == "2022-12-16"])
    assert round(100 * (after - before)) == 6


def test_counts_keep_key_questions_an_audit_did_not_cover(series):
    counts = audit_counts(series)
    assert len(counts) == 16 * 15
    court = counts[counts["standard"] == "court_work"]
    assert not court["covered"].all() and court["covered"].any()
    assert (court.loc[~court["covered"], "n"] == 0).all()
    assert (counts["n"] == counts["yes"] + counts["no"]).all()


def test_load_notes_name_the_key_questions_only_some_audits_covered(series, tmp_path):
    """The load notes say which key questions some audits left out (counted per audit: an audit
    covers a key question when any of its cases answers it yes or no)."""
    notes = " ".join(provenance(series).load_notes)
    assert "covered by only some audits: court_work." in notes  # the series' court work
    path = _write(
        tmp_path / "two.csv",
        [
            _row("2023-03-31", "A1", answers=("yes", "n/a", "no")),
            _row("2023-03-31", "A2", answers=("no", "n/a", "yes")),  # desistance: n/a throughout
            _row("2023-06-30", "B1", answers=("yes", "yes", "n/a")),
            _row("2023-06-30", "B2", answers=("n/a", "no", "n/a")),  # safety: n/a throughout
        ],
    )

    def partial(path):
        notes = " ".join(provenance(load_audits(path, today=TODAY)).load_notes)
        if "covered by only some audits: " not in notes:
            return set()
        listed = notes.split("covered by only some audits: ")[1].split(". ")[0]
        return set(listed.rstrip(".").split(", "))

    listed = partial(path)  # the key questions absent from the file are not audited anywhere
    assert {"assessment.desistance", "assessment.safety"} <= listed
    assert "assessment.engagement" not in listed  # answered in both audits
    full = _write(tmp_path / "full.csv", [_row("2023-03-31", "A1"), _row("2023-06-30", "B1")])
    assert not {"assessment.engagement", "assessment.desistance", "assessment.safety"} & partial(
        full
    )


# --- Dates ------------------------------------------------------------------------------------------
def test_impossible_date_names_file_row_and_column(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row(), _row("2023-02-30", "A2")])
    (p,) = _problems(f)
    assert (p.file, p.row, p.column) == (str(f), 2, "audit_date")
    assert "not a real date" in p.message and "February 2023 has 28 days" in p.message
    assert "YYYY-MM-DD" in p.message


def test_month_13_and_bad_format(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row("2023-13-01"), _row("31/03/2023", "A2")])
    p1, p2 = _problems(f)
    assert p1.row == 1 and "no month 13" in p1.message
    assert p2.row == 2 and "not a date written YYYY-MM-DD" in p2.message


def test_future_date_is_refused(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row("2026-12-04")])
    (p,) = _problems(f)
    assert (p.row, p.column) == (1, "audit_date")
    assert "in the future" in p.message and "2026-12-03" in p.message


def test_parse_audit_date():
    assert parse_audit_date("2024-02-29", TODAY) == (dt.date(2024, 2, 29), "")
    assert "not a real date" in parse_audit_date("2023-02-29", TODAY)[1]


def test_date_from_file_name_one_file_per_audit(tmp_path):
    header = [h for h in HEADER if h != "audit_date"]
    folder = tmp_path / "audits"
    folder.mkdir()
    _write(folder / "audit_2023-03-31.csv", [_row()[1:]], header)
    # the second audit covers assessment safety only (the other columns left out)
    _write(
        folder / "lb_2023-06-30_qa.csv",
        [r[1:7] + ["no"] for r in [_row(case="B1"), _row(case="B2")]],
        [*header[:6], "assessment.safety"],
    )
    df = load_audits(folder, today=TODAY)
    assert sorted(df["audit_date"].dt.strftime("%Y-%m-%d").unique()) == ["2023-03-31", "2023-06-30"]
    assert list(df["source_file"].unique()) == ["audit_2023-03-31.csv", "lb_2023-06-30_qa.csv"]
    counts = audit_counts(df)
    june = counts[counts["audit_date"] == "2023-06-30"].set_index(["standard", "key_question"])
    assert june.loc[("assessment", "safety"), "no"] == 2
    assert not june.loc[("assessment", "engagement"), "covered"]
    assert provenance(df).basis == "analyst-supplied" and not provenance(df).simulated


def test_impossible_date_in_file_name(tmp_path):
    header = [h for h in HEADER if h != "audit_date"]
    f = _write(tmp_path / "audit_2023-02-30.csv", [_row()[1:], _row(case="A2")[1:]], header)
    (p,) = _problems([f])
    assert p.file == str(f) and p.column == "audit_date (from the file name)"
    assert "not a real date" in p.message


def test_no_date_anywhere(tmp_path):
    header = [h for h in HEADER if h != "audit_date"]
    f = _write(tmp_path / "audit.csv", [_row()[1:]], header)
    (p,) = _problems(f)
    assert (
        p.column == "audit_date"
        and "no audit_date column and no date in the file name" in p.message
    )


# --- Audits with no cases ----------------------------------------------------------------------------
def test_header_only_file_is_an_audit_with_no_cases(tmp_path):
    f = _write(tmp_path / "audit_2023-03-31.csv", [])
    (p,) = _problems(f)
    assert p.file == str(f) and "an audit with no cases" in p.message


def test_audit_whose_every_answer_is_na(tmp_path):
    rows = [
        _row(),
        _row("2023-06-30", "B1", answers=("n/a", "", "n/a")),
        _row("2023-06-30", "B2", answers=("", "", "")),
    ]
    f = _write(tmp_path / "audits.csv", rows)
    (p,) = _problems(f)
    assert (p.file, p.row, p.column) == (str(f), 2, "audit_date")
    assert "has no cases" in p.message and "rows 2-3" in p.message
    assert "at least one case answered yes or no" in p.message


# --- Columns and PDUs ----------------------------------------------------------------------------------
def test_unknown_key_question_column(tmp_path):
    header = HEADER[:-1] + ["assessment.safty"]
    f = _write(tmp_path / "audits.csv", [_row()], header)
    (p,) = _problems(f)
    assert p.file == str(f) and p.column == "assessment.safty" and p.row is None
    assert "not a key question" in p.message and "did you mean 'assessment.safety'" in p.message
    assert "accepted key-question columns" in p.message


def test_unknown_plain_column(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row() + ["x"]], HEADER + ["auditor"])
    (p,) = _problems(f)
    assert p.column == "auditor" and "unknown column" in p.message


def test_pdu_not_in_the_data(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row(), _row(case="A2", pdu="Camden")])
    (p,) = _problems(f)
    assert (p.file, p.row, p.column) == (str(f), 2, "pdu")
    assert (
        "'Camden' is not a PDU in the data" in p.message
        and "published_overall_ratings.csv" in p.message
    )


def test_pdu_near_miss_is_named_once(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row(pdu="Lewisham and  Bromley")])
    (p,) = _problems(f)
    assert p.row == 1 and p.column == "pdu" and "only in case or spacing" in p.message


def test_pdus_argument_accepts_another_pdu(tmp_path):
    f = _write(tmp_path / "audits.csv", [_row(pdu="Camden")])
    df = load_audits(f, today=TODAY, pdus=["Camden"])
    assert list(df["pdu"]) == ["Camden"]


# --- The case format's own checks are reused -------------------------------------------------------------
def test_case_format_checks_apply(tmp_path):
    header = HEADER + ["court_work.safety"]
    rows = [
        _row(answers=("maybe", "no", "yes")) + [""],
        _row(case="A2", sentence="licence") + ["yes"],
        _row(case="A1") + [""],
    ]
    f = _write(tmp_path / "audits.csv", rows, header)
    problems = _problems(f)
    found = {(p.row, p.column) for p in problems}
    assert (1, "assessment.engagement") in found  # not an answer
    assert (2, "court_work.safety") in found  # court work does not apply to licence cases
    assert (3, "case_id") in found  # the same case twice in one audit
    assert all(p.file == str(f) for p in problems)


def test_every_file_is_reported_at_once(tmp_path):
    a = _write(tmp_path / "a.csv", [_row("2023-02-30")])
    b = _write(tmp_path / "b.csv", [_row(pdu="Camden")])
    problems = _problems([a, b])
    assert {p.file for p in problems} == {str(a), str(b)}


# --- Recommendations -> key questions ----------------------------------------------------------------------
def test_recommendation_mapping_ships_and_maps_risk_of_harm_to_safety():
    m = load_recommendation_key_questions()
    rec1 = m[(m["pdu"] == PDU) & (m["recommendation"] == 1)]
    assert set(rec1["key_question"]) == {"safety"}
    assert set(rec1["standard"]) == {
        "assessment",
        "planning",
        "implementation_and_delivery",
        "reviewing",
    }
    assert (m["rationale"] != "").all() and (m["source"] != "").all()
    assert set(m["recommendation"]) == {1, 2, 3, 4, 5, 6}


def test_recommendation_mapping_refuses_unknown_names(tmp_path):
    f = tmp_path / "map.csv"
    f.write_text(
        "pdu,recommendation,standard,key_question,rationale,source\n"
        f"{PDU},9,assessment,safety,r,s\n"
        f"{PDU},1,assessment,risk,r,s\n"
        f"{PDU},5,staff,safety,r,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as exc:
        load_recommendation_key_questions(f)
    found = {(p.row, p.column) for p in exc.value.problems}
    assert {(1, "recommendation"), (2, "key_question"), (3, "key_question"), (3, "source")} <= found


def test_published_ratings_for_inspection_now():
    from hmip.data.audits import published_ratings

    got = published_ratings(PDU)
    assert got["leadership"] == "Requires improvement" and got["court_work"] == "Inadequate"
    assert len(got) == 9
    with pytest.raises(DataValidationError, match="no published ratings for 'Camden'"):
        published_ratings("Camden")
    with pytest.raises(DataValidationError, match="no published or implied rating"):
        published_ratings("Newham")

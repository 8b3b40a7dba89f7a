"""The evidence files: HMIP's published findings, the London reports, and the national ratings.

Every row has a source and a basis (level for findings, framework and basis for ratings); dates
parse and are not in the future; every London PDU has at least one PDU-level finding and a report
line; and bad rows are refused with their file, row and column.
"""

import csv
import datetime as dt

import pytest

from hmip.data.findings import (
    FINDING_COLUMNS,
    LEVELS,
    REPORT_COLUMNS,
    findings_for,
    load_findings,
    load_reports,
    report_line,
)
from hmip.data.loaders import load_published_overall
from hmip.data.national import date_bounds, known_frameworks, load_national_ratings
from hmip.data.provenance import provenance
from hmip.data.recommendations import load_recommendations
from hmip.errors import DataValidationError

TODAY = dt.date.today().isoformat()
LONDON = load_published_overall()["pdu"].tolist()


@pytest.fixture(scope="module")
def findings():
    return load_findings()


@pytest.fixture(scope="module")
def reports():
    return load_reports()


@pytest.fixture(scope="module")
def national():
    return load_national_ratings()


# --- the shipped files ---------------------------------------------------------------------------
def test_every_finding_has_a_source_a_level_and_a_real_past_date(findings):
    assert len(findings) > 0
    assert provenance(findings).simulated is False
    for row in findings.itertuples():
        assert row.source and not row.source.startswith("http"), row
        assert row.level in LEVELS, row
        assert row.source_kind in ("primary", "secondary"), row
        if row.published:
            assert date_bounds(row.published)[0] <= TODAY, row
        else:
            assert row.note, row


def test_every_london_pdu_has_a_pdu_level_finding_from_hmip(findings):
    for pdu in LONDON:
        own = findings[(findings["level"] == "pdu") & (findings["pdu"] == pdu)]
        assert len(own) >= 1, pdu
        assert (own["source_kind"] == "primary").any(), f"{pdu}: no finding from HMIP itself"


def test_london_regional_figures_are_marked_regional_and_not_given_to_a_pdu(findings):
    twenty_five = findings[findings["text"].str.contains("Only 25 per cent of cases")]
    assert len(twenty_five) == 1
    row = twenty_five.iloc[0]
    assert (row.level, row.region, row.figure, row.unit) == ("regional", "London", 25.0, "percent")
    assert (row.standard, row.key_question) == ("assessment", "safety")


def test_published_points_in_findings_agree_with_the_london_file(findings):
    overall = load_published_overall().set_index("pdu")
    points = findings[
        (findings["level"] == "pdu") & (findings["unit"] == "points") & findings["pdu"].isin(LONDON)
    ]
    assert len(points) == 3
    for row in points.itertuples():
        assert int(row.figure) == int(overall.loc[row.pdu, "points"])
        assert row.out_of == 27


def test_pdu_ratings_in_findings_agree_with_the_rating_files(findings, national):
    """An overall rating a finding states (blank standard) is the one the ratings files hold."""
    stated = findings[
        (findings["kind"] == "rating") & (findings["standard"] == "") & (findings["level"] == "pdu")
    ]
    nat = national.assign(rating=national["overall_rating"].astype(str))
    for row in stated.itertuples():
        held = set(nat[(nat["pdu"] == row.pdu) & (nat["framework"] == row.framework)]["rating"])
        assert row.rating in held, row


def test_revised_programme_points_are_never_used_as_points(findings, national):
    """A secondary '2/25' for a revised-programme PDU is kept as the source states it, flagged."""
    assert national.loc[national["framework"] == "pdu-2023", "points"].isna().all()
    odd = findings[
        (findings["framework"] == "pdu-2023") & findings["unit"].str.startswith("points")
    ]
    for row in odd.itertuples():
        assert row.source_kind == "secondary" and "never used as points" in row.note


def test_findings_for_a_pdu_lead_with_its_own_rows_then_groups_then_region(findings):
    rows = findings_for("Lambeth", findings)
    assert rows["order"].is_monotonic_increasing
    assert list(rows["level"].unique()) == ["pdu", "group", "regional"]
    assert (rows[rows["level"] == "regional"]["region"] == "London").all()
    newham = findings_for("Newham", findings)
    assert set(newham["level"]) == {"pdu", "regional"}


def test_every_london_pdu_has_a_report_line(reports):
    assert sorted(reports["pdu"]) == sorted(LONDON)
    for row in reports.itertuples():
        assert date_bounds(row.published)[0] <= TODAY
        line = report_line(row.pdu, reports)
        assert row.address in line and row.pdu.split(",")[0] in line
        assert "not yet recorded" not in line


def test_reports_say_which_recommendations_are_held(reports):
    held = set(load_recommendations()["pdu"])
    for row in reports.itertuples():
        assert (row.recommendations_held == "yes") == (row.pdu in held), row.pdu


def test_every_national_rating_has_a_source_a_framework_and_a_basis(national):
    for row in national.itertuples():
        assert row.source, row
        assert row.framework in known_frameworks(), row
        assert row.overall_rating_basis in ("published", "implied"), row
        if row.overall_rating_basis == "implied" or row.points_basis == "implied":
            assert row.note, row
        if row.publication_date:
            assert date_bounds(row.publication_date)[0] <= TODAY, row


def test_second_inspections_are_their_own_rows(national):
    twice = national.groupby("pdu")["framework"].nunique()
    assert {"Essex North", "Kirklees", "Sheffield", "Derby City", "West Kent"} <= set(
        twice[twice == 2].index
    )


def test_revised_programme_rows_added_this_round_are_held(national):
    revised = set(national.loc[national["framework"] == "pdu-2023", "pdu"])
    assert {"Hertfordshire", "Doncaster", "East and West Lincolnshire"} <= revised
    assert "York" not in revised  # found only in a stored copy without its address


def test_2022_reports_match_hmips_own_count(national):
    """HMIP: 10 of the 17 PDU reports published in 2022 were Inadequate."""
    dated_2022 = national[
        (national["framework"] == "pdu-2021") & national["publication_date"].str.startswith("2022")
    ]
    assert len(dated_2022) == 17
    assert (dated_2022["overall_rating"].astype(str) == "Inadequate").sum() == 10


# --- refusals -------------------------------------------------------------------------------------
def _write(tmp_path, name, columns, rows):
    path = tmp_path / name
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=columns)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in columns})
    return path


def _refused_at_row_1(load, path, column: str, fragment: str) -> DataValidationError:
    """``load(path)`` is refused with a problem at row 1 in ``column`` that says ``fragment``."""
    with pytest.raises(DataValidationError) as exc:
        load(path)
    hits = [p for p in exc.value.problems if p.row == 1 and p.column == column]
    assert hits, exc.value
    assert fragment in hits[0].message
    return exc.value


GOOD_FINDING = dict(
    pdu="Lambeth",
    region="London",
    level="pdu",
    framework="pdu-2021",
    kind="figure",
    text="Lambeth PDU scored three points.",
    figure="3",
    unit="points",
    out_of="27",
    published="2022-10-18",
    source="hmiprobation.justiceinspectorates.gov.uk/news/x",
    source_kind="primary",
)


def test_a_good_findings_file_loads(tmp_path):
    df = load_findings(_write(tmp_path, "f.csv", FINDING_COLUMNS, [GOOD_FINDING]))
    assert df.loc[0, "figure"] == 3.0


@pytest.mark.parametrize(
    "change, column, fragment",
    [
        (dict(source=""), "source", "needs its source"),
        (dict(source="https://example.org/x"), "source", "without its scheme"),
        (dict(level="countrywide"), "level", "not a level"),
        (dict(level="national"), "pdu", "names no PDU"),
        (dict(kind="rumour"), "kind", "not a kind"),
        (dict(framework="pdu-2019"), "framework", "not a known framework"),
        (dict(source_kind="blog"), "source_kind", "not a source kind"),
        (dict(published="2022-13"), "published", "not a date"),
        (dict(published="2999-01-01"), "published", "in the future"),
        (dict(published=""), "note", "blank date"),
        (dict(figure="three"), "figure", "not a number"),
        (dict(figure="30"), "figure", "more than out_of"),
        (dict(figure="", kind="figure"), "figure", "gives the number"),
        (dict(unit=""), "unit", "needs its unit"),
        (dict(pdu="Lambeth; Newham"), "pdu", "exactly one PDU"),
        (dict(level="group"), "pdu", "two or more PDUs"),
        (dict(level="regional", region=""), "region", "names its region"),
        (dict(text=""), "text", "blank"),
        (dict(kind="rating"), "rating", "gives the rating"),
        (dict(kind="rating", rating="Smashing"), "rating", "not a rating"),
        (dict(standard="court_work", framework="pdu-2023"), "standard", "revised programme"),
        (dict(standard="vibes"), "standard", ""),
        (dict(key_question="safty"), "key_question", "not a key question"),
    ],
)
def test_bad_finding_rows_are_refused_with_row_and_column(tmp_path, change, column, fragment):
    path = _write(tmp_path, "findings.csv", FINDING_COLUMNS, [{**GOOD_FINDING, **change}])
    assert "findings.csv" in str(_refused_at_row_1(load_findings, path, column, fragment))


def test_every_findings_problem_is_collected_and_duplicates_refused(tmp_path):
    bad = {**GOOD_FINDING, "level": "x", "source": ""}
    path = _write(tmp_path, "f.csv", FINDING_COLUMNS, [GOOD_FINDING, GOOD_FINDING, bad])
    with pytest.raises(DataValidationError) as exc:
        load_findings(path)
    where = {(p.row, p.column) for p in exc.value.problems}
    assert {(2, None), (3, "level"), (3, "source")} <= where


GOOD_REPORT = dict(
    pdu="Lambeth",
    report_title="HMIP inspection report on Lambeth PDU",
    title_basis="described",
    published="2022-10-18",
    address="hmiprobation.justiceinspectorates.gov.uk/news/x",
    recommendations_held="no",
    source="hmiprobation.justiceinspectorates.gov.uk/news/x",
    note="exact title not found",
)


@pytest.mark.parametrize(
    "change, column, fragment",
    [
        (dict(pdu="Lambith"), "pdu", "Lambeth"),
        (dict(report_title=""), "report_title", "blank"),
        (dict(title_basis="guessed"), "title_basis", "not a title basis"),
        (dict(note=""), "note", "reason"),
        (dict(published=""), "published", "blank"),
        (dict(published="2999"), "published", "future"),
        (dict(address="https://x.gov.uk/a"), "address", "without its scheme"),
        (dict(recommendations_held="maybe"), "recommendations_held", "yes or no"),
        (dict(source=""), "source", "needs its source"),
    ],
)
def test_bad_report_rows_are_refused_with_row_and_column(tmp_path, change, column, fragment):
    path = _write(tmp_path, "reports.csv", REPORT_COLUMNS, [{**GOOD_REPORT, **change}])
    _refused_at_row_1(load_reports, path, column, fragment)


def test_report_line_for_an_unknown_pdu_is_refused(reports):
    with pytest.raises(DataValidationError, match="Lambeth"):
        report_line("Lambith", reports)

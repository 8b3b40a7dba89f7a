"""Issue 23: HMIP's own findings first on every London PDU page, a plain report line where the
recommendations are not held, HMIP's stated shares beside the band thresholds, and the "middle" claim
tested as it was made (the reports published by its date) and today, at 3 / 4 / unknown points.

Every expected figure is recomputed here from the data files, never typed in; the figures the issue
quotes (20th of 36; 20th-27th; 20th-35th) are checked against that recomputation.
"""

from __future__ import annotations

import pandas as pd
import pytest

from hmip.analyses.evidence import (
    hmip_found,
    is_council_record,
    stated_shares,
    stated_shares_table,
    thresholds_text,
)
from hmip.analyses.national import (
    CANNOT_TELL,
    MIDDLE_CLAIM,
    WITHIN,
    middle_claim_text,
    middle_third,
    test_middle_claim,
)
from hmip.analyses.pack_tables import TABLE_SPECS
from hmip.data.findings import load_findings, report_line
from hmip.data.loaders import load_published_overall
from hmip.data.national import date_bounds, load_national_ratings
from hmip.data.recommendations import load_recommendations
from hmip.rules.ratings import Rating, band

LONDON = load_published_overall()["pdu"].tolist()
LB = "Lewisham and Bromley"
BANDS = {"Inadequate": (0, 4), "Requires improvement": (5, 13), "Good": (14, 22)}
BANDS["Outstanding"] = (23, 27)


# --- What HMIP found, first -----------------------------------------------------------------------
@pytest.mark.parametrize("pdu", LONDON)
def test_each_london_page_leads_with_sourced_pdu_level_findings_then_london_wide(pdu):
    found = hmip_found(pdu, 5)
    assert 1 <= len(found) <= 5
    levels = [f.level for f in found]
    assert levels[0] == "pdu"  # this PDU's own statement first
    assert levels == sorted(levels, key=["pdu", "group", "regional", "national"].index)
    for f in found:
        assert f.source and f.address and not f.address.startswith("http")
        assert f.about == ("This PDU" if f.level == "pdu" else f.about)
        if f.level == "regional":
            assert f.about == "London-wide"
        assert not is_council_record(f.address)  # minutes are the PDU's account, not HMIP's
        assert "2022" in f.source or "2023" in f.source  # the date is given
    # the London-wide 25 per cent is on every page, marked London-wide, never as this PDU's
    quarter = [f for f in found if f.figure == 25 and f.unit == "percent"]
    assert quarter and all(f.about == "London-wide" for f in quarter)


def test_the_head_of_service_s_claim_and_council_minutes_are_not_listed_as_hmip_findings():
    texts = " ".join(f.text for p in LONDON for f in hmip_found(p, 20))
    assert "somewhere in the middle" not in texts
    assert "minutes record" not in texts


def test_secondary_sources_say_so():
    for f in hmip_found(LB, 20):
        if not f.source.startswith("HMIP"):
            assert f.source.startswith("secondary: "), f.source


def test_quotes_are_in_quotation_marks_and_a_limit_is_kept():
    found = hmip_found("Hammersmith, Fulham, Kensington, Chelsea and Westminster", 20)
    quotes = [f for f in found if f.kind == "quote"]
    assert quotes and all(f.text.startswith("\u201c") for f in quotes)
    assert len(hmip_found(LB, 3)) == 3 and hmip_found(LB, 0) == []
    assert sum(f.level == "regional" for f in hmip_found(LB, 3)) == 2  # region-wide kept


# --- Recommendations: held, or one plain line -------------------------------------------------------
@pytest.mark.parametrize("pdu", LONDON)
def test_recommendations_are_held_or_the_page_names_the_report(pdu):
    from hmip.analyses.pack_sections import recommendations_elsewhere

    held = set(load_recommendations()["pdu"])
    line = recommendations_elsewhere(pdu)
    assert report_line(pdu) in line and "\n" not in line
    assert "not yet recorded" not in line.lower() and "not held" not in line.lower()
    assert (pdu in held) == (pdu == LB)


# --- HMIP's stated shares beside the thresholds -------------------------------------------------------
def test_stated_shares_are_every_percent_figure_on_a_key_question_with_its_band():
    f = load_findings()
    wanted = f[(f["kind"] == "figure") & (f["unit"] == "percent") & (f["key_question"] != "")]
    got = stated_shares()
    assert len(got) == len(wanted) > 0
    for r in got.itertuples():
        assert r.band == band(r.percent / 100).label
    assert {"London region"} <= set(got["about"])
    london = got[got["about"] == "London region"].iloc[0]
    assert london.percent == 25 and london.band == Rating.INADEQUATE.label


def test_the_stated_shares_sheet_has_no_blank_cell_and_every_column_is_explained():
    table = stated_shares_table()
    assert not table.isna().to_numpy().any()
    assert not (table.astype(str).apply(lambda c: c.str.strip() == "")).to_numpy().any()
    sheet, _, scope, columns = TABLE_SPECS["stated"]
    assert list(table.columns) == list(columns)
    assert thresholds_text() in scope and "below 50% Inadequate" in thresholds_text()


# --- The "middle" claim ---------------------------------------------------------------------------
def _brute_rank(rows: pd.DataFrame, pdu: str, points) -> tuple[int, int]:
    """(best, worst) competition rank of ``pdu`` from each PDU's possible points, its own set to
    ``points`` (None: its band)."""
    span = {}
    for r in rows.itertuples():
        if r.pdu == pdu:
            span[r.pdu] = BANDS[r.overall_rating] if points is None else (points, points)
        elif pd.notna(r.points):
            span[r.pdu] = (int(r.points), int(r.points))
        else:
            span[r.pdu] = BANDS[r.overall_rating]
    lo, hi = span[pdu]
    others = [v for k, v in span.items() if k != pdu]
    return 1 + sum(a > hi for a, _ in others), 1 + sum(b > lo for _, b in others)


@pytest.fixture(scope="module")
def ratings():
    r = load_national_ratings()
    return r[r["framework"] == "pdu-2021"].reset_index(drop=True)


def test_as_of_the_claim_the_table_is_the_17_reports_of_2022(ratings):
    t = test_middle_claim(load_national_ratings())
    by_date = ratings[
        [date_bounds(d)[1] <= MIDDLE_CLAIM.as_of for d in ratings["publication_date"]]
    ]
    of_2022 = ratings[ratings["publication_date"].str.startswith("2022")]
    assert t.at_claim.n_pdus == len(by_date) == len(of_2022) == 17
    inadequate = int((of_2022["overall_rating"] == "Inadequate").sum())
    assert t.at_claim.n_same_rating == inadequate == 10  # HMIP's own count: 10 of 17 in 2022
    assert t.at_claim.best_rank_of_rating == 1 + (17 - inadequate)
    assert t.at_claim.middle == middle_third(17)


@pytest.mark.parametrize("when", ["at_claim", "today"])
def test_the_rank_at_3_4_and_unknown_points_is_recomputed_from_the_data(ratings, when):
    t = test_middle_claim(load_national_ratings())
    at = getattr(t, when)
    rows = (
        ratings
        if when == "today"
        else ratings[[date_bounds(d)[1] <= MIDDLE_CLAIM.as_of for d in ratings["publication_date"]]]
    )
    lb = ratings[ratings["pdu"] == LB].iloc[0]
    assert lb["points_basis"] == "implied" and int(lb["points"]) == 4
    assert [o[0] for o in at.options] == [4, 3, None]
    for points, best, worst, outcome in at.options:
        assert (best, worst) == _brute_rank(rows, LB, points)
        low, high = at.middle
        inside = low <= best and worst <= high
        assert outcome == (WITHIN if inside else CANNOT_TELL)


def test_today_s_figures_are_those_the_issue_quotes(ratings):
    today = test_middle_claim(load_national_ratings()).today
    ranks = {p: (b, w) for p, b, w, _ in today.options}
    assert ranks == {4: (20, 20), 3: (20, 27), None: (20, 35)}
    assert today.n_pdus == 36 and today.n_same_rating == 17
    assert today.best_rank_of_rating == 20


def test_the_claim_text_says_the_result_depends_on_the_implied_points_and_what_middle_means():
    t = test_middle_claim(load_national_ratings())
    text = " ".join(middle_claim_text())
    a, now = t.at_claim, t.today
    assert "depends on the implied 4 points" in text
    assert f"{now.n_same_rating} of {now.n_pdus} were rated Inadequate" in text
    assert "so 20th is the best rank any Inadequate (I) PDU can have" in text
    assert "20th of 36 at its implied 4 points, 20th to 27th at 3 points" in text
    assert "20th to 35th if its points are taken as unknown" in text
    assert f"the {a.n_pdus} reports" in text and "published by 12 Jan 2023" in text
    assert "8th of 17 at its implied 4 points" in text  # as made: recomputed above
    assert "'somewhere in the middle'" in text and "Bromley council minutes" in text
    assert "lowest band" in text and "not in the middle" in text


def test_the_london_comparison_and_the_pack_say_the_claim_in_the_same_words():
    from hmip.analyses.london_comparison import national_context

    ctx = national_context(LONDON, claim_pdu=LB)
    assert ctx.claim_paragraphs == middle_claim_text()
    assert ctx.claim == " ".join(middle_claim_text())
    # the pack's page takes the same function's output (hmip.analyses.pack_sections.pdu_page)
    import inspect

    from hmip.analyses import pack_sections

    assert "middle_claim_text()" in inspect.getsource(pack_sections.pdu_page)


def test_the_pack_page_s_selection_joins_one_source_s_figures_and_drops_the_restated_rating():
    from hmip.analyses.pack_sections import FINDINGS_ON_PAGE, REGIONAL_ON_PAGE

    for pdu in LONDON:
        found = hmip_found(
            pdu,
            FINDINGS_ON_PAGE,
            regional_at_least=REGIONAL_ON_PAGE,
            fill_with_regional=False,
            skip_overall_rating=True,
        )
        assert found[0].level == "pdu" and sum(f.level == "regional" for f in found) == 1
        own = [f for f in found if f.level == "pdu"]
        if len(own) > 1 or own[0].kind != "rating":
            assert all(not (f.kind == "rating" and "rated" in f.text) for f in own), pdu
    lb = hmip_found(LB, 3, regional_at_least=1, fill_with_regional=False, skip_overall_rating=True)
    staffing = lb[0].text
    for share in ("33%", "32%", "52%"):  # each figure as the source gives it, in one statement
        assert staffing.count(share) == 1
    assert staffing.count("When the inspection started") == 1


def test_a_report_page_shows_the_readable_columns_of_the_stated_shares_and_the_workbook_all():
    from hmip.analyses import evidence

    full = evidence.stated_shares_table()
    page = evidence.stated_shares_page(full)
    assert list(page.columns) == list(evidence.PAGE_COLUMNS)
    assert len(page) == len(full) and set(page.columns) < set(full.columns)

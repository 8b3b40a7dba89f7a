"""Issue 21, case 6: the London comparison builds on legitimate but incomplete inputs (a case file
that lacks one of the region's PDUs; a counts file given without a ratings file), shows what is
missing as a neutral "Not available" badge with the reason in words, and builds the rest."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from hmip.analyses import london_comparison as lc
from hmip.present.badges import (
    NOT_AVAILABLE,
    RATING_LABELS,
    RATING_STYLES,
    badge_html,
    contrast_ratio,
)
from hmip.present.display import table_html

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "data" / "simulated_cases_london_2022.csv"
RAG_CLASSES = ("badge-i ", "badge-ri ", "badge-g ", "badge-o ")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> dict[str, dict[str, str]]:
    out = tmp_path_factory.mktemp("london")
    rows = list(csv.reader(CASES.open(encoding="utf-8")))
    no_newham = out / "cases_without_newham.csv"
    with no_newham.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(rows[0])
        w.writerows(r for r in rows[1:] if r[1] != "Newham")
    from hmip.data.cases import key_question_counts, load_cases

    counts = out / "counts.csv"
    key_question_counts(load_cases(CASES))[["pdu", "standard", "key_question", "yes", "no"]].to_csv(
        counts, index=False
    )
    return {
        "case file without Newham": {"cases_path": str(no_newham)},
        "counts without a ratings file": {"counts_path": str(counts)},
    }


@pytest.mark.parametrize("which", ["case file without Newham", "counts without a ratings file"])
def test_prepare_builds_and_the_summary_shows_what_is_missing(inputs, which):
    result = lc.prepare(**inputs[which])
    table = lc.summary_display(result)
    assert len(table) == 6  # every PDU of the region is still there
    rated = table[table["Recomputed rating"] != "Not available"]
    missing = table[table["Recomputed rating"] == "Not available"]
    assert set(rated["Recomputed rating"]) <= set(RATING_LABELS) and len(rated)
    assert len(missing)
    assert all(a.startswith("cannot check: ") for a in missing["Agrees with HMIP"])
    if which == "case file without Newham":
        newham = table.set_index("PDU").loc["Newham"]
        assert newham["Recomputed rating"] == "Not available"
        assert newham["Agrees with HMIP"] == (
            "cannot check: no cases or counts for this PDU in the data"
        )
    else:
        lambeth = table.set_index("PDU").loc["Lambeth"]
        assert lambeth["Agrees with HMIP"].startswith(
            "cannot check: HMIP did not publish its organisational delivery ratings"
        )
        assert lambeth["Recomputed points"] == (
            "0-12, depending on the 4 unpublished organisational ratings"
        )
        assert "ratings_path" in lambeth["Agrees with HMIP"]
    # the table the notebook shows: badges for the ratings, a neutral one for what is missing
    html = table_html(table, ratings=("Published rating", "Recomputed rating"))
    assert html.count('aria-label="Not available"') == len(missing)
    for cell in html.split("<td>"):
        if "Not available" in cell and "badge" in cell:
            assert "badge-na " in cell and not any(c in cell for c in RAG_CLASSES)


def test_the_not_available_badge_is_neutral_and_has_its_word():
    out = badge_html("no data", size="small")
    assert "badge-na" in out and "Not available" in out and 'aria-label="Not available"' in out
    assert NOT_AVAILABLE.fill not in {RATING_STYLES[label].fill for label in RATING_LABELS}
    assert contrast_ratio(NOT_AVAILABLE.text, NOT_AVAILABLE.fill) >= 4.5
    assert contrast_ratio(NOT_AVAILABLE.border, "#FFFFFF") >= 3
    assert list(RATING_STYLES) == [*RATING_LABELS, "Not published", "Not rated"]

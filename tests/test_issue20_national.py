"""Issue 20, wrong figures 4 and 5: the "somewhere in the middle" test has three outcomes, and the
national line gives its rank and its counts on one basis (points)."""

import re

import pandas as pd
import pytest

from hmip.analyses.national import claim_test_sentence, middle_third, nationally_line
from hmip.data.national import load_national_ratings
from hmip.stats.national import national_position

G, RI, I = "Good", "Requires improvement", "Inadequate"


def table(*rows):
    return pd.DataFrame(
        [
            {
                "pdu": p,
                "framework": "pdu-2021",
                "overall_rating": r,
                "points": pts,
                "max_points": 27 if pts is not None else None,
                "points_basis": "published" if pts is not None else "",
            }
            for p, r, pts in rows
        ]
    )


def test_middle_third_of_36_is_13th_to_24th():
    assert middle_third(36) == (13, 24)
    assert middle_third(9) == (4, 6) and middle_third(4) == (2, 2)


def test_newham_s_range_overlaps_the_middle_third_so_the_figures_cannot_tell():
    pos = national_position(load_national_ratings(), "Newham")
    assert (pos.rank_best, pos.rank_worst, pos.n_pdus) == (2, 19, 36)
    text = claim_test_sentence(pos)
    # before: "The figures do not support the claim: ... outside the middle third"
    assert text.startswith("The figures cannot tell whether the claim holds:"), text
    assert "outside the middle third" not in text
    assert "overlaps the middle third (13th to 24th)" in text


@pytest.mark.parametrize(
    "rows, verdict, words",
    [
        # within: 5th of 9, middle third 4th-6th; a middle rating band
        (
            [("A", G, 15), ("B", G, 14), ("C", RI, 12), ("D", RI, 11), ("X", RI, 9)]
            + [("E", RI, 8), ("F", I, 3), ("G", I, 2), ("H", I, 1)],
            "The figures support the claim:",
            "wholly within the middle third (4th to 6th)",
        ),
        # wholly outside: 1st to 2nd of 9
        (
            [("X", RI, None), ("A", RI, 13), ("B", RI, 5), ("C", RI, 5), ("D", I, 4)]
            + [("E", I, 3), ("F", I, 2), ("G", I, 1), ("H", I, 0)],
            "The figures do not support the claim:",
            "wholly outside the middle third (4th to 6th)",
        ),
        # overlapping: X's points unknown, 2nd to 6th of 9
        (
            [("A", G, 15), ("X", RI, None), ("B", RI, 12), ("C", RI, 9), ("D", RI, 6)]
            + [("E", RI, 5), ("F", I, 3), ("G", I, 2), ("H", I, 1)],
            "The figures cannot tell whether the claim holds:",
            "overlaps the middle third (4th to 6th)",
        ),
    ],
)
def test_three_outcomes(rows, verdict, words):
    pos = national_position(table(*rows), "X")
    low, high = middle_third(pos.n_pdus)
    inside = low <= pos.rank_best and pos.rank_worst <= high
    outside = pos.rank_worst < low or pos.rank_best > high
    expected = "within" if inside else "outside" if outside else "overlaps"
    assert expected in words  # the case is what it says
    text = claim_test_sentence(pos)
    assert text.startswith(verdict) and words in text, text


def _brute_force(ratings, pdu):
    """(certainly more points, certainly fewer, certainly as many, undetermined) from each PDU's
    possible points: the known points, or its rating's band 0-4 / 5-13 / 14-22 / 23-27."""
    band = {I: (0, 4), RI: (5, 13), G: (14, 22), "Outstanding": (23, 27)}
    rows = ratings[ratings["framework"] == "pdu-2021"]
    span = {
        r.pdu: (int(r.points), int(r.points)) if pd.notna(r.points) else band[r.overall_rating]
        for r in rows.itertuples()
    }
    lo, hi = span[pdu]
    more = fewer = level = unsure = 0
    for other, (a, b) in span.items():
        if other == pdu:
            continue
        if a > hi:
            more += 1
        elif b < lo:
            fewer += 1
        elif a == b == lo == hi:
            level += 1
        else:
            unsure += 1
    return more, fewer, level, unsure


LONDON = [
    "Hammersmith, Fulham, Kensington, Chelsea and Westminster",
    "Lambeth",
    "Ealing and Hillingdon",
    "Lewisham and Bromley",
    "Newham",
    "Barking, Dagenham and Havering",
]


@pytest.mark.parametrize("pdu", LONDON)
def test_the_national_line_counts_on_the_basis_of_its_rank(pdu):
    ratings = load_national_ratings()
    pos = national_position(ratings, pdu)
    line = nationally_line(pos, "in 2021-2023")
    more, fewer, level, unsure = _brute_force(ratings, pdu)
    assert pos.rank_best == 1 + more  # the rank counts PDUs with more points ...
    assert "by points" in line and "rated higher" not in line and " lower" not in line
    said_more = re.search(r"(\d+|none) (?:has|have) more points", line).group(1)
    said_fewer = re.search(r"(\d+|none) (?:has|have) fewer", line).group(1)
    assert said_more == (str(more) if more else "none")  # ... and so does the sentence
    assert said_fewer == (str(fewer) if fewer else "none")
    if level:
        assert f"{level} {'has' if level == 1 else 'have'} as many" in line
    if unsure:
        assert f"{unsure} " in line and "could have" in line


def test_lewisham_and_bromley_no_longer_reads_none_lower():
    from hmip.analyses.pack_sections import national_line

    line = national_line("Lewisham and Bromley")
    # before: "Nationally: 20th of 36 PDUs rated in 2021-2023 by points (19 rated higher, none lower)."
    assert "none lower" not in line
    assert line.startswith("Nationally: 20th of 36 PDUs rated in 2021-2023, by points (")
    # nine PDUs have 0-3 published points; seven Inadequate PDUs' points are not published (0-4)
    assert (
        "19 have more points, 9 have fewer and 7 whose points were not published could have as many or fewer"
        in line
    )

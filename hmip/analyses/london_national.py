"""The London comparison's national context: where the region's PDUs stand among every PDU rated
under the same framework (published national ratings), the claim that a PDU is "somewhere in the
middle" put to the test, and HMIP's national counts in words with their periods.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hmip.analyses.params import check_pdu


# --- National context -------------------------------------------------------------------------------------
@dataclass
class NationalContext:
    """Where the region's PDUs stand among every PDU rated under the same framework (published data)."""

    framework: str
    distribution: pd.DataFrame  # rating, count, out_of
    positions: list[str]  # one sentence per PDU of the region
    claim: str  # the Head of Service's claim put to the test ("" when no PDU is named)
    counts: pd.DataFrame  # national counts HMIP gave, with their period and source
    loaded: tuple
    #: the claim's paragraphs (hmip.analyses.national.middle_claim_text: the pack shows the same)
    claim_paragraphs: list[str] = field(default_factory=list)
    #: shares of cases HMIP stated as sufficient, with their band (evidence.stated_shares_table)
    stated: pd.DataFrame | None = None


def national_context(
    pdus: list[str], *, claim_pdu: str = "", framework: str = "pdu-2021"
) -> NationalContext:
    """National context for these PDUs from the published national ratings, and (for ``claim_pdu``) the
    claim that it is "somewhere in the middle" put to the test."""
    from hmip.analyses.evidence import stated_shares_table
    from hmip.analyses.national import claim_for, middle_claim_text, rank_range
    from hmip.data.national import load_national_counts, load_national_ratings
    from hmip.stats.national import national_position, rating_distribution

    ratings = load_national_ratings()
    counts = load_national_counts()
    known = set(ratings.loc[ratings["framework"] == framework, "pdu"])
    positions = []
    for p in pdus:
        if p not in known:
            continue
        pos = national_position(ratings, p, framework)
        detail = (
            f"{pos.points} points, {pos.points_basis}"
            if pos.points is not None
            else f"points not published, so placed anywhere its band of {pos.band_low}-{pos.band_high} points allows"
        )
        positions.append(f"{p}: {rank_range(pos)} ({detail}).")
    if positions:
        positions.append(
            "Ranks are by points (1st = most points); PDUs with equal points share a rank, and a PDU whose "
            "points were not published has a range of ranks rather than one place."
        )
    paragraphs: list[str] = []
    if claim_pdu:
        check_pdu("claim_pdu", claim_pdu, sorted(known))
        paragraphs = middle_claim_text(ratings, claim_for(claim_pdu), framework)
    claim = " ".join(paragraphs)
    mine = counts[counts["framework"] == framework].reset_index(drop=True)
    return NationalContext(
        framework,
        rating_distribution(ratings, framework),
        positions,
        claim,
        mine,
        (ratings, counts),
        claim_paragraphs=paragraphs,
        stated=stated_shares_table(),
    )


def period_words(start: object, end: object) -> str:
    """A counted period in words ('Jun 2021 to May 2022', 'Aug 2022'); never a blank cell: 'period not
    stated by HMIP' where the source gives none, 'from ...' or 'to ...' where it gives one end."""
    from hmip.analyses.words import date_words

    a, b = ("" if pd.isna(v) else str(v).strip() for v in (start, end))
    if not a and not b:
        return "period not stated by HMIP"
    if not a or not b:
        return f"from {date_words(a)}" if a else f"to {date_words(b)}"
    return date_words(a) if a == b else f"{date_words(a)} to {date_words(b)}"


def national_counts_display(ctx: NationalContext) -> pd.DataFrame:
    """HMIP's national counts in words, each with its period and source (kept apart from the PDU table,
    since some counts include regional or other inspections)."""
    c = ctx.counts
    return pd.DataFrame(
        {
            "Period": [
                period_words(a, b) for a, b in zip(c["period_start"], c["period_end"], strict=True)
            ],
            "What was counted": c["what_was_counted"],
            "Rating": c["rating"],
            "Count": [f"{k} of {n}" for k, n in zip(c["count"], c["out_of"], strict=True)],
            "Includes other inspections": c["includes_non_pdu"].replace({"": "not stated"}),
            "Source": c["source"],
        }
    )

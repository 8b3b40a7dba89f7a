"""National context in words: where a PDU stands among every PDU rated under the same framework.

Every sentence is generated from the figures of :func:`hmip.stats.national.national_position`; none
is written for one PDU. The report sections (the London comparison's "National context", the
scrutiny pack's "Nationally: ..." line) call these.

- :func:`position_in_words` - a PDU's rank range in words;
- :func:`nationally_line` - the one-line "Nationally: ..." summary;
- :func:`national_standing_sentence` - the sentence that tests a claim about a PDU's national
  standing (for example the Head of Service's "somewhere in the middle").
"""

from __future__ import annotations

import pandas as pd

from hmip.analyses.words import ordinal
from hmip.stats.national import NationalPosition, national_position

TIES_NOTE = "PDUs with equal points share a rank"
TIES_NOTE_RATING_ONLY = "PDUs with the same rating share a rank"


def _count(n: int, none: str = "none") -> str:
    return none if n == 0 else str(n)


def _same(pos: NationalPosition) -> str:
    if pos.n_rated_same == 0:
        return f"no other PDU rated {pos.rating}"
    return f"{pos.n_rated_same} other{'s' if pos.n_rated_same != 1 else ''} rated {pos.rating}"


def _a(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _points(n: int) -> str:
    return f"{n} point{'s' if n != 1 else ''}"


def rank_range(pos: NationalPosition) -> str:
    """'20th of 36' or 'between 2nd and 19th of 36'."""
    if pos.exact:
        return f"{ordinal(pos.rank_best)} of {pos.n_pdus}"
    return f"between {ordinal(pos.rank_best)} and {ordinal(pos.rank_worst)} of {pos.n_pdus}"


def _ties(pos: NationalPosition) -> str:
    return TIES_NOTE if pos.has_points_scale else TIES_NOTE_RATING_ONLY


def position_in_words(pos: NationalPosition) -> str:
    """A PDU's position range in one sentence, with what it rests on."""
    if not pos.has_points_scale:
        basis = "by overall rating only, as this framework has no published points scale"
    elif pos.points is not None:
        basis = f"by its {_points(pos.points)} ({pos.points_basis})"
    else:
        basis = (
            f"by its rating's band of {pos.band_low}-{pos.band_high} points, "
            "as its points were not published"
        )
    return (
        f"{pos.pdu} ranks {rank_range(pos)} PDUs rated under the {pos.framework_name}, "
        f"{basis}; {_ties(pos)}."
    )


def _have(n: int) -> str:
    return "has" if n == 1 else "have"


def rank_counts(pos: NationalPosition) -> str:
    """The other PDUs above, level with and below this one, on the SAME basis as its rank (points where
    the framework has a points scale, otherwise the overall rating), and those the published figures
    cannot place against it: 'by points, 19 have more points, 9 have fewer, and 7 whose points were not
    published could have as many or fewer'."""
    if not pos.has_points_scale:
        return (
            f"by overall rating, {_count(pos.n_rated_higher)} rated higher, "
            f"{_count(pos.n_rated_lower)} lower and {_count(pos.n_rated_same)} the same"
        )
    higher, lower, equal = pos.n_certainly_higher, pos.n_certainly_lower, pos.n_certainly_equal
    open_ = pos.n_pdus - 1 - higher - lower - equal
    parts = [
        f"{_count(higher)} {_have(higher)} more points",
        f"{_count(lower)} {_have(lower)} fewer",
    ]
    if equal:
        parts.append(f"{equal} {_have(equal)} as many")
    if open_:
        up = pos.n_possibly_higher - higher  # could be above, not certainly
        down = pos.n_possibly_lower - lower
        if up == 0:
            could = "could have as many or fewer"
        elif down == 0:
            could = "could have as many or more"
        else:
            could = "could have more or fewer"
        if pos.points is None:
            parts.append(f"{open_} {could}, as its points were not published")
        else:
            parts.append(f"{open_} whose points were not published {could}")
    head = ", ".join(parts[:-1]) + f" and {parts[-1]}"
    return f"by points, {head}"


def nationally_line(pos: NationalPosition, rated: str = "") -> str:
    """'Nationally: 20th of 36 PDUs rated under the ... by points (19 have more points, 9 have fewer and
    7 whose points were not published could have as many or fewer; PDUs with equal points share a
    rank).' The rank and the counts in one basis. ``rated`` words the framework differently (the pack:
    'in 2021-2023')."""
    counts = rank_counts(pos)
    basis, detail = counts.split(", ", 1)
    rated = rated or f"under the {pos.framework_name}"
    return f"Nationally: {rank_range(pos)} PDUs rated {rated}, {basis} ({detail}; {_ties(pos)})."


def _points_standing(pos: NationalPosition) -> str:
    """Where the PDU's known points stand among PDUs with the same rating whose points are known."""
    j = pos.n_same_rating_points_known
    h = pos.n_same_rating_points_higher
    e = pos.n_same_rating_points_equal
    group = f"the {j} {pos.rating} PDUs whose points are known"
    others = f"with {e} other{'s' if e != 1 else ''}"
    if j == 1:
        return f"the only known points among the {pos.rating} PDUs"
    if h == 0:
        return f"the highest of {group}" if e == 0 else f"the joint highest ({others}) of {group}"
    if h + e == j - 1:
        return f"the lowest of {group}" if e == 0 else f"the joint lowest ({others}) of {group}"
    joint = f" (joint, {others})" if e else ""
    return f"the {ordinal(h + 1)} highest{joint} of {group}"


def national_standing_sentence(ratings: pd.DataFrame, pdu: str, framework: str = "pdu-2021") -> str:
    """The figures that test a claim about ``pdu``'s national standing, in plain sentences.

    For example, for Lewisham and Bromley under the 2021-2023 framework: its rating, how many PDUs
    were rated higher, the same and lower, where its points stand among PDUs of its rating whose
    points are known, and its rank range by points. Generated from :func:`national_position`.
    """
    pos = national_position(ratings, pdu, framework)
    parts = [
        f"{pos.pdu} was rated {pos.rating} under the {pos.framework_name}.",
        f"Of the {pos.n_pdus} PDUs in the national table rated under this framework, "
        f"{_count(pos.n_rated_higher)} {'was' if pos.n_rated_higher == 1 else 'were'} rated higher, "
        f"{_count(pos.n_rated_lower)} lower and {_same(pos)}.",
    ]
    if pos.has_points_scale and pos.points is not None:
        verb = "are" if pos.points != 1 else "is"
        text = f"Its {_points(pos.points)} ({pos.points_basis}) {verb} {_points_standing(pos)}"
        if pos.points == pos.band_high and pos.band_low != pos.band_high:
            text += f", and the most the {pos.rating} band ({pos.band_low}-{pos.band_high}) allows"
        elif pos.points == pos.band_low and pos.band_low != pos.band_high:
            text += (
                f", and the fewest the {pos.rating} band ({pos.band_low}-{pos.band_high}) allows"
            )
        parts.append(text + ".")
        parts.append(f"By points it ranks {rank_range(pos)} ({_ties(pos)}).")
    elif pos.has_points_scale:
        parts.append(
            f"Its points were not published; {_a(pos.rating)} {pos.rating} PDU has "
            f"{pos.band_low}-{pos.band_high} points, so by points it ranks {rank_range(pos)} "
            f"({_ties(pos)})."
        )
    else:
        parts.append(
            f"This framework has no published points scale, so it ranks {rank_range(pos)} "
            f"by rating alone ({_ties(pos)})."
        )
    return " ".join(parts)


def middle_third(n_pdus: int) -> tuple[int, int]:
    """The ranks that make the middle third of ``n_pdus``: above the top third and not below the
    bottom third (36 PDUs: 13th to 24th)."""
    return n_pdus // 3 + 1, (2 * n_pdus) // 3


def claim_test_sentence(pos: NationalPosition, claim: str = "somewhere in the middle") -> str:
    """Put a claim that a PDU is "somewhere in the middle" of the national ratings to the test, from the
    figures: the middle is taken as the middle third of the ranks (:func:`middle_third`); a rank range
    is wholly within it, wholly outside it, or overlaps it, when the figures cannot tell; the verdict
    also looks at how many PDUs were rated higher and lower."""
    low, high = middle_third(pos.n_pdus)
    where = f"the middle third ({ordinal(low)} to {ordinal(high)})"
    in_middle = low <= pos.rank_best and pos.rank_worst <= high
    outside = pos.rank_worst < low or pos.rank_best > high
    unsure = not in_middle and not outside  # the range overlaps the middle third: cannot tell
    if in_middle:
        by_rank = f"by rank it is {rank_range(pos)}, wholly within {where}"
    elif outside:
        by_rank = f"by rank it is {rank_range(pos)}, wholly outside {where}"
    else:
        by_rank = (
            f"by rank it is {rank_range(pos)}, a range that overlaps {where} without lying "
            "wholly within it, so by rank the figures cannot tell"
        )
    if pos.n_rated_lower == 0 and pos.n_rated_higher > 0:
        by_rating = (
            f"but by rating no PDU was rated lower and {pos.n_rated_higher} of {pos.n_pdus} were rated higher, "
            f"so it sits in the lowest rating band, not the middle"
        )
        verdict = "The figures do not support the claim"
        if in_middle:
            verdict = "The figures support the claim only by rank"
        elif unsure:
            verdict = "The figures do not support the claim by rating, and cannot tell by rank"
    elif pos.n_rated_higher == 0 and pos.n_rated_lower > 0:
        by_rating = f"and by rating none was rated higher and {pos.n_rated_lower} were rated lower"
        verdict = "The figures do not support the claim"
    else:
        by_rating = (
            f"and by rating {_count(pos.n_rated_higher)} {'was' if pos.n_rated_higher == 1 else 'were'} "
            f"rated higher and {_count(pos.n_rated_lower)} lower"
        )
        verdict = (
            "The figures support the claim"
            if in_middle
            else "The figures cannot tell whether the claim holds"
            if unsure
            else "The figures do not support the claim"
        )
    return f"{verdict}: {by_rank}, {by_rating}."

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

from dataclasses import dataclass

import pandas as pd

from hmip.analyses.words import join_words, ordinal, rating_words
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


#: The three outcomes of a rank range against the middle third.
WITHIN, OUTSIDE, CANNOT_TELL = "within", "outside", "cannot tell"


def middle_outcome(pos: NationalPosition) -> str:
    """WITHIN when the whole rank range lies in the middle third, OUTSIDE when none of it does, and
    CANNOT_TELL when the range overlaps the middle third without lying wholly within it."""
    low, high = middle_third(pos.n_pdus)
    if low <= pos.rank_best and pos.rank_worst <= high:
        return WITHIN
    if pos.rank_worst < low or pos.rank_best > high:
        return OUTSIDE
    return CANNOT_TELL


def claim_test_sentence(pos: NationalPosition, claim: str = "somewhere in the middle") -> str:
    """Put a claim that a PDU is "somewhere in the middle" of the national ratings to the test, from the
    figures: the middle is taken as the middle third of the ranks (:func:`middle_third`); a rank range
    is wholly within it, wholly outside it, or overlaps it, when the figures cannot tell; the verdict
    also looks at how many PDUs were rated higher and lower."""
    low, high = middle_third(pos.n_pdus)
    where = f"the middle third ({ordinal(low)} to {ordinal(high)})"
    outcome = middle_outcome(pos)
    in_middle, outside = outcome == WITHIN, outcome == OUTSIDE
    unsure = outcome == CANNOT_TELL  # the range overlaps the middle third
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


# --- The "somewhere in the middle" claim, tested as it was made ----------------------------------
@dataclass(frozen=True)
class NationalClaim:
    """A claim about a PDU's national standing: who made it, where it is recorded, and the date whose
    table it was made against (blank: not known, so it is tested against today's table only)."""

    pdu: str
    words: str = "somewhere in the middle"
    who: str = ""  # "Lewisham and Bromley's Head of Service"
    record: str = ""  # "Bromley council minutes, 2023"
    as_of: str = (
        ""  # YYYY-MM-DD: the reports published by this date are those the claim was made on
    )
    occasion: str = ""  # "the Safer Bromley Partnership Board of 12 January 2023"


#: The claim as the Bromley minutes record it (``published_findings.csv``: the Head of Service's
#: words "In terms of the national ratings, the Bromley and Lewisham PDU was somewhere in the middle",
#: recorded after his presentation to the Safer Bromley Partnership Board on 12 January 2023). The
#: reports published by that board meeting are the ones the claim could rest on.
MIDDLE_CLAIM = NationalClaim(
    pdu="Lewisham and Bromley",
    who="Lewisham and Bromley's Head of Service",
    record="Bromley council minutes, 2023",
    as_of="2023-01-12",
    occasion="the Safer Bromley Partnership Board of 12 January 2023",
)


def claim_for(pdu: str) -> NationalClaim:
    """The recorded claim for this PDU, or the same words put to the test for any other PDU."""
    return MIDDLE_CLAIM if pdu == MIDDLE_CLAIM.pdu else NationalClaim(pdu=pdu)


@dataclass(frozen=True)
class ClaimAt:
    """The claim against one table: every report by a date, or every report."""

    label: str  # "as the claim was made", "today"
    n_pdus: int
    rating: str  # the PDU's rating
    n_rated_higher: int
    n_rated_lower: int
    n_same_rating: int  # PDUs with this rating, the PDU included
    best_rank_of_rating: int  # the best rank any PDU with this rating can have
    middle: tuple[int, int]  # the middle third's ranks
    options: tuple[tuple[int | None, int, int, str], ...]  # (points, best, worst, outcome)
    last_published: str  # the latest publication date in the table
    n_undated: int  # reports whose date cannot tell whether they were out by the claim's date


@dataclass(frozen=True)
class MiddleClaimTest:
    claim: NationalClaim
    framework_name: str
    points: int | None  # the PDU's points in the table
    points_basis: str
    at_claim: ClaimAt | None  # None when the claim's date is not known
    today: ClaimAt


def _points_options(points: int | None, basis: str, low: int | None) -> tuple[int | None, ...]:
    """Implied points: as implied, one fewer, and unknown. Published points: as published. Unknown:
    unknown."""
    if points is None:
        return (None,)
    if basis == "implied":
        fewer = (points - 1,) if low is not None and points - 1 >= low else ()
        return (points, *fewer, None)
    return (points,)


def _claim_at(ratings, pdu, framework, label, options, n_undated) -> ClaimAt:
    from hmip.stats.national import points_sensitivity

    results = points_sensitivity(ratings, pdu, options, framework)
    pos = results[0][1]
    rows = ratings[ratings["framework"] == framework]
    dates = [str(d) for d in rows["publication_date"] if isinstance(d, str) and d]
    return ClaimAt(
        label=label,
        n_pdus=pos.n_pdus,
        rating=pos.rating,
        n_rated_higher=pos.n_rated_higher,
        n_rated_lower=pos.n_rated_lower,
        n_same_rating=pos.n_rated_same + 1,
        best_rank_of_rating=pos.rating_rank,
        middle=middle_third(pos.n_pdus),
        options=tuple((p, q.rank_best, q.rank_worst, middle_outcome(q)) for p, q in results),
        last_published=max(dates) if dates else "",
        n_undated=n_undated,
    )


def test_middle_claim(
    ratings: pd.DataFrame, claim: NationalClaim = MIDDLE_CLAIM, framework: str = "pdu-2021"
) -> MiddleClaimTest:
    """The claim against the reports published by its date (when known) and against every report
    under ``framework``, with the PDU's points as implied, one fewer and unknown (where implied)."""
    from hmip.stats.national import published_by

    pos = national_position(ratings, claim.pdu, framework)
    options = _points_options(pos.points, pos.points_basis, pos.band_low)
    today = _claim_at(ratings, claim.pdu, framework, "today", options, 0)
    at_claim = None
    if claim.as_of:
        mine = ratings[ratings["framework"] == framework]
        by, unsure = published_by(mine, claim.as_of)
        at_claim = _claim_at(
            by, claim.pdu, framework, "as the claim was made", options, len(unsure)
        )
    return MiddleClaimTest(claim, pos.framework_name, pos.points, pos.points_basis, at_claim, today)


test_middle_claim.__test__ = False  # a claim test, not a pytest test


def _at_points(p: int | None, first: bool, basis: str) -> str:
    if p is None:
        return "if its points are taken as unknown"
    if first and basis:
        return f"at its {basis} {_points(p)}"
    return f"at {_points(p)}"


def _ranks(best: int, worst: int) -> str:
    return ordinal(best) if best == worst else f"{ordinal(best)} to {ordinal(worst)}"


def _options_words(at: ClaimAt, basis: str) -> str:
    parts = [
        f"{_ranks(b, w)}{' of ' + str(at.n_pdus) if i == 0 else ''} {_at_points(p, i == 0, basis)}"
        for i, (p, b, w, _) in enumerate(at.options)
    ]
    return join_words(parts)


def _outcomes_words(at: ClaimAt) -> str:
    """'it is within the middle third at 4 or 3 points and the figures cannot tell if unknown'."""
    groups: dict[str, list[int | None]] = {}
    for p, _, _, outcome in at.options:
        groups.setdefault(outcome, []).append(p)
    said = {
        WITHIN: "it is within the middle third",
        OUTSIDE: "it is wholly outside the middle third",
        CANNOT_TELL: "the figures cannot tell",
    }
    parts = []
    for outcome, pts in groups.items():
        known = [p for p in pts if p is not None]
        where = []
        if known:
            where.append(
                "at " + " or ".join(str(p) for p in known) + f" point{'s' if known != [1] else ''}"
            )
        if None in pts:
            where.append("if unknown")
        parts.append(f"{said[outcome]} {' or '.join(where)}")
    return join_words(parts)


def _when(value: str) -> str:
    from hmip.analyses.words import date_words

    return value if len(value) == 4 else date_words(value)


def middle_claim_text(
    ratings: pd.DataFrame | None = None,
    claim: NationalClaim = MIDDLE_CLAIM,
    framework: str = "pdu-2021",
) -> list[str]:
    """The claim tested as it was made and against today's table, in plain paragraphs: the ONE
    wording the London comparison and the scrutiny pack both show. Every figure comes from
    :func:`test_middle_claim` (the national ratings), none is typed in."""
    from hmip.data.national import load_national_ratings

    ratings = load_national_ratings() if ratings is None else ratings
    t = test_middle_claim(ratings, claim, framework)
    c = claim
    said = (
        f"{c.who}{', after ' + c.occasion + ',' if c.occasion else ''} said the PDU was "
        f"'{c.words}' of the national ratings ({c.record})."
        if c.who
        else f"that {c.pdu} is '{c.words}' of the national ratings."
    )
    out = [f"The claim: {said}"]
    basis = t.points_basis if t.points is not None else ""

    def block(at: ClaimAt, head: str) -> str:
        lo, hi = at.middle
        return (
            f"{head}: {at.n_same_rating} of {at.n_pdus} were rated {rating_words(at.rating)}, so "
            f"{ordinal(at.best_rank_of_rating)} is the best rank any {rating_words(at.rating)} PDU "
            "can have. "
            f"{c.pdu} ranks {_options_words(at, basis)}; the middle third is "
            f"{ordinal(lo)} to {ordinal(hi)}."
        )

    a, now = t.at_claim, t.today
    if a is not None:
        undated = (
            f"; {a.n_undated} dated only by year could be either side and are left out"
            if a.n_undated
            else ""
        )
        out.append(
            block(
                a,
                f"As the claim was made (the {a.n_pdus} reports under the {t.framework_name} "
                f"published by {_when(c.as_of)}{undated})",
            )
        )
    out.append(
        block(
            now,
            f"Today (all {now.n_pdus} reports under the framework, to {_when(now.last_published)})",
        )
    )
    ats = [at for at in (a, now) if at is not None]
    depends = len({o[3] for at in ats for o in at.options}) > 1
    verdict = ""
    if t.points is not None and t.points_basis == "implied":
        verdict = (
            f"So the result {'depends' if depends else 'does not depend'} on the implied "
            f"{_points(t.points)}. "
        )
    verdict += "By rank, " + "; ".join(f"{at.label} {_outcomes_words(at)}" for at in ats) + "."
    if all(at.n_rated_lower == 0 and at.n_rated_higher > 0 for at in ats):
        where = join_words(
            [f"{ordinal(at.best_rank_of_rating)} of {at.n_pdus} {at.label}" for at in ats]
        )
        verdict += (
            f" By rating it was not in the middle: it was in the lowest band"
            f"{' at both dates' if len(ats) > 1 else ''}, with none rated lower. 'Middle by rank' "
            f"means only that it sits at the top of the lowest band ({where}), the best rank any "
            f"{rating_words(now.rating)} PDU can have."
        )
    else:
        verdict += (
            f" By rating, {_count(now.n_rated_higher)} of {now.n_pdus} "
            f"{'was' if now.n_rated_higher == 1 else 'were'} rated higher and "
            f"{_count(now.n_rated_lower)} lower today."
        )
    out.append(verdict)
    return out

"""Numbers into words, the one vocabulary: shares, chances, counts, ranks, dates and rating bands.

Every report and the scrutiny pack use these, so the same figure is always said the same way, and
every threshold or band named in prose comes from the framework file. The glossary is in
:mod:`hmip.analyses.glossary`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from hmip.errors import ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating

#: A figure HMIP has not published (or the pack does not hold).
NOT_PUBLISHED = "Not published"


def percent(share: float | None, *, unknown: str = "not known", compact: bool = False) -> str:
    """A share as a whole percentage ("64%"); never "64.3%" in prose. Never a misleading 0% or 100%:
    "less than 1%" and "more than 99%" ("<1%" and ">99%" with ``compact``, for chart labels)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return unknown
    if not -1e-9 <= share <= 1 + 1e-9:  # a sum of chances may miss 0 or 1 by a rounding error
        raise ParameterError(f"share {share!r} is not a proportion from 0 to 1")
    share = min(max(float(share), 0.0), 1.0)
    whole = round(100 * share)
    if whole == 0 and share > 0:
        return "<1%" if compact else "less than 1%"
    if whole == 100 and share < 1:
        return ">99%" if compact else "more than 99%"
    return f"{whole}%"


#: How a chance can be said: "words" ("about 9 in 10", "almost certain"), "about" ("about 96 in 100")
#: or "in 100" ("96 in 100", to be followed by "times" or a noun). All say "more than 99 in 100" and
#: "fewer than 1 in 100" at the ends, except "words", which says "almost certain" and "almost no chance".
CHANCE_STYLES = ("words", "about", "in 100")


def chance_in_words(p: float, style: str = "words") -> str:
    """A probability in words a reader knows, in one of :data:`CHANCE_STYLES`."""
    if style not in CHANCE_STYLES:
        raise ParameterError(
            f"chance style {style!r} is not known; accepted: {', '.join(CHANCE_STYLES)}"
        )
    if p is None or math.isnan(p) or not 0 <= p <= 1:
        raise ParameterError(f"probability {p!r} is not a number from 0 to 1")
    if style != "words":
        if p >= 0.995:
            return "more than 99 in 100"
        if p <= 0.005:
            return "fewer than 1 in 100"
        return f"{'about ' if style == 'about' else ''}{round(100 * p)} in 100"
    if p >= 0.995:
        return "almost certain"
    if p <= 0.005:
        return "almost no chance"
    if p < 0.095 or p >= 0.905:  # near the ends, tenths are too coarse: say "about 97 in 100"
        return f"about {round(100 * p)} in 100"
    for q, text in {0.25: "1 in 4", 0.5: "1 in 2", 0.75: "3 in 4"}.items():
        if abs(p - q) < 0.02:
            return f"about {text}"
    return f"about {round(p * 10)} in 10"


def chance(p: float) -> str:
    """ "88% (about 9 in 10)": a probability as a whole percentage and in words."""
    return f"{percent(p)} ({chance_in_words(p)})"


def count_words(n: int) -> str:
    """A small count in words ("nine"), a larger one in figures ("27")."""
    words = "zero one two three four five six seven eight nine ten".split()
    return words[n] if 0 <= n < len(words) else str(n)


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


# --- Sentences with ratings and simulated marks -------------------------------------------------------
@dataclass(frozen=True)
class RatingMention:
    """A rating inside a sentence: the report shows it as a badge (colour + letter + word)."""

    rating: str


@dataclass(frozen=True)
class SimulatedMark:
    """Marks the figure just before it as built on simulated data."""

    note: str = "simulated"


Part = str | RatingMention | SimulatedMark
Sentence = tuple[Part, ...]


def sentence(*parts: Part) -> Sentence:
    return tuple(p for p in parts if p != "")


def plain(s: Sentence | str) -> str:
    """A sentence as plain text (ratings as words, simulated marks in brackets)."""
    if isinstance(s, str):
        return s
    out = []
    for p in s:
        if isinstance(p, RatingMention):
            out.append(p.rating)
        elif isinstance(p, SimulatedMark):
            out.append(f" [{p.note}]")
        else:
            out.append(p)
    return "".join(out)


# --- Ratings, firmness, ranks and dates -------------------------------------------------------------
def rating_words(label: str | None) -> str:
    """'Requires improvement (RI)'; 'not published' for a missing rating."""
    if label is None or (isinstance(label, float) and math.isnan(label)) or label == NOT_PUBLISHED:
        return NOT_PUBLISHED.lower()
    r = Rating.parse(label)
    return f"{r.label} ({r.code})"


#: How firm a rating is, in words, and the lowest chance of the same rating each applies from.
FIRMNESS_WORDS = (
    (0.90, "firm"),
    (0.67, "fairly firm"),
    (0.33, "could easily change"),
    (0.0, "likely to change"),
)


def firmness_words(p: float) -> str:
    """'firm', 'fairly firm', 'could easily change' or 'likely to change' (:data:`FIRMNESS_WORDS`)."""
    for lowest, words in FIRMNESS_WORDS:
        if p >= lowest:
            return words
    return FIRMNESS_WORDS[-1][1]  # pragma: no cover


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()


def date_words(value: str) -> str:
    """'2022-10-18' -> '18 Oct 2022'; '2022-11' -> 'Nov 2022'; '' -> 'not published'."""
    if not value:
        return NOT_PUBLISHED.lower()
    parts = value.split("-")
    month = _MONTHS[int(parts[1]) - 1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


# --- Bands and points, from the framework file --------------------------------------------------------
def _whole(share: Fraction) -> int:
    return int(share * 100)


def band_ranges(framework: Framework | None = None) -> list[tuple[Rating, str]]:
    """Each band of a key question's share, lowest first, from the framework's thresholds:
    [(Inadequate, 'below 50%'), (Requires improvement, '50 to 64%'), ..., (Outstanding, '80% or more')]."""
    fw = framework_or_default(framework)
    cuts = [_whole(t) for _, t in fw.thresholds]
    labels = [Rating.INADEQUATE] + [Rating.parse(label) for label, _ in fw.thresholds]
    out = [(labels[0], f"below {cuts[0]}%")]
    for i, cut in enumerate(cuts):
        if i + 1 < len(cuts):
            out.append((labels[i + 1], f"{cut} to {cuts[i + 1] - 1}%"))
        else:
            out.append((labels[i + 1], f"{cut}% or more"))
    return out


def band_thresholds(framework: Framework | None = None, *, last: str = "and") -> str:
    """The thresholds in a list: '50%, 65% and 80%' (``last="or"``: '50%, 65% or 80%')."""
    fw = framework_or_default(framework)
    listed = [f"{_whole(t)}%" for _, t in fw.thresholds]
    return (
        join_words(listed) if len(listed) < 2 else ", ".join(listed[:-1]) + f" {last} " + listed[-1]
    )


def points_scale(framework: Framework | None = None) -> tuple[int, list[tuple[Rating, str]]]:
    """(maximum points, [(rating, '0 to 4'), ...]) of the framework's first (full) overall scale."""
    scale = framework_or_default(framework).overall_scales[0]
    return scale.max_points, [(Rating.parse(b.rating), f"{b.low} to {b.high}") for b in scale.bands]


def bands_sentence(framework: Framework | None = None) -> str:
    """'Below 50% is Inadequate (I), 50 to 64% Requires improvement (RI), 65 to 79% Good (G), 80% or
    more Outstanding (O).'"""
    bands = band_ranges(framework)
    first, rest = bands[0], bands[1:]
    return (
        f"{first[1][0].upper()}{first[1][1:]} is {first[0].label} ({first[0].code}), "
        + ", ".join(f"{text} {r.label} ({r.code})" for r, text in rest)
        + "."
    )


def points_sentence(framework: Framework | None = None) -> str:
    """'Each of the nine standards scores 0 (I), 1 (RI), 2 (G) or 3 (O). Out of 27: 0 to 4 is
    Inadequate (I), 5 to 13 Requires improvement (RI), 14 to 22 Good (G), 23 to 27 Outstanding (O).'"""
    fw = framework_or_default(framework)
    max_points, scale = points_scale(fw)
    scores = join_words([f"{r.score} ({r.code})" for r in Rating]).replace(" and ", " or ")
    (r0, t0), rest = scale[0], scale[1:]
    return (
        f"Each of the {count_words(len(fw.rated_standards))} standards scores {scores}. "
        f"Out of {max_points}: {t0} is {r0.label} ({r0.code}), "
        + ", ".join(f"{text} {r.label} ({r.code})" for r, text in rest)
        + "."
    )

"""Plain words for readers: whole percentages, chances in words, and the glossary.

Reports use these so that the same figure is always said the same way, and every term a report uses
is defined at its end (a test checks that).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

from hmip.errors import ParameterError


def percent(share: float | None, *, unknown: str = "not known") -> str:
    """A share as a whole percentage ("64%"); never "64.3%" in prose."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return unknown
    if not 0 <= share <= 1:
        raise ParameterError(f"share {share!r} is not a proportion from 0 to 1")
    whole = round(100 * share)
    if whole == 0 and share > 0:
        return "less than 1%"
    if whole == 100 and share < 1:
        return "more than 99%"
    return f"{whole}%"


def chance_in_words(p: float) -> str:
    """A probability in words a reader knows: "about 9 in 10", "about 1 in 4", "almost certain"."""
    if p is None or math.isnan(p) or not 0 <= p <= 1:
        raise ParameterError(f"probability {p!r} is not a number from 0 to 1")
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


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def join_words(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


#: Terms a report may use, each defined in one or two plain sentences.
GLOSSARY: dict[str, str] = {
    "PDU": "Probation Delivery Unit: the local probation service for one or more boroughs.",
    "HMIP": "HM Inspectorate of Probation, which inspects probation services and publishes their ratings.",
    "standard": "One of the nine things HMIP rates, such as Assessment or Leadership, each on a four-point scale.",
    "key question": "A question inspectors answer yes or no for every sampled case, such as "
    "'Does assessment focus sufficiently on keeping other people safe?'.",
    "lowest-banding rule": "A case-sample standard takes the rating of its weakest key question: "
    "below 50% of cases sufficient is Inadequate, 50-64% Requires improvement, 65-79% Good, 80% or more Outstanding.",
    "organisational delivery": "The four standards on leadership, staff, services, and information and facilities, "
    "rated by inspectors' judgement rather than from the case sample (HMIP calls this domain one).",
    "case sample": "The cases HMIP reads in a PDU, about 42, chosen to represent its caseload.",
    "points": "Each standard scores 0 (Inadequate) to 3 (Outstanding); the nine scores add up to 0-27 points, "
    "which set the overall rating (0-4 Inadequate, 5-13 Requires improvement, 14-22 Good, 23-27 Outstanding).",
    "simulated": "Made up by the project's seeded simulation to agree with HMIP's published ratings, because "
    "HMIP does not publish case-level records. Simulated figures show how the analysis works; they are not facts about a PDU.",
    "interval": "A range that shows how uncertain a figure is: with a 95% interval, the true value lies in "
    "such a range 95 times in 100.",
    "fresh sample": "A different set of about 42 cases from the same PDU, as a new inspection would draw.",
    "firm": "A rating is firm when a fresh sample would very probably give the same rating.",
    "funnel plot": "A chart of each PDU's share against its number of cases, with limits showing how far a share "
    "can stray from the regional figure by chance alone.",
    "rank range": "The spread of places a PDU could plausibly take in a league table, given the uncertainty of "
    "small samples.",
    "Jeffreys": "A standard way to describe what a sample says about the true share; it behaves well with "
    "small samples and with shares near 0% or 100%.",
    "Wilson": "A standard way to calculate an interval for a share that works well with small samples.",
    "overdispersion": "More variation between PDUs than chance alone would give; funnel limits can be widened "
    "to allow for it.",
    "ethnic minority": "People from ethnic groups other than White, following Ministry of Justice practice "
    "(White minority groups counted as White unless stated).",
    "relative rate index": "The share of cases judged sufficient for one group divided by the share for the "
    "comparison group: 1 means no difference, below 1 means the group fared worse.",
    "Mantel-Haenszel": "A way to combine the comparison across several PDUs, comparing people within each PDU "
    "first, so that differences between PDUs do not create a false gap.",
    "Breslow-Day": "A test of whether the gap between groups differs from one PDU to another.",
    "Benjamini-Hochberg": "An adjustment for making many comparisons at once, so that chance differences are "
    "not reported as findings.",
    "p-value": "How surprising the data would be if there were no real difference; small values (below 0.05) "
    "suggest a real difference.",
    "exact test": "A test that computes its chances exactly rather than by approximation, suited to small samples.",
    "power": "The chance that a study of this size would detect a gap of a given size if it were real.",
    "disclosure control": "Rules that stop a reader identifying individuals: counts of 1 to 7 people are hidden "
    "and other counts rounded to the nearest 5.",
    "suppressed": "Hidden to protect individuals, because the count is small (1 to 7 people).",
}

#: How each glossary term is recognised in a report's text (lower case, whole words).
_ALIASES: dict[str, tuple[str, ...]] = {
    "PDU": ("pdu", "pdus"),
    "HMIP": ("hmip",),
    "standard": ("standard", "standards"),
    "key question": ("key question", "key questions"),
    "lowest-banding rule": ("lowest-banding", "lowest banding"),
    "organisational delivery": ("organisational delivery", "domain one"),
    "case sample": ("case sample", "sampled cases"),
    "points": ("points",),
    "simulated": ("simulated",),
    "interval": ("interval", "intervals"),
    "fresh sample": ("fresh sample",),
    "firm": ("firm", "firmness"),
    "funnel plot": ("funnel plot", "funnel"),
    "rank range": ("rank range", "rank ranges"),
    "Jeffreys": ("jeffreys",),
    "Wilson": ("wilson",),
    "overdispersion": ("overdispersion", "overdispersed"),
    "ethnic minority": ("ethnic minority",),
    "relative rate index": ("relative rate index", "rri"),
    "Mantel-Haenszel": ("mantel-haenszel",),
    "Breslow-Day": ("breslow-day",),
    "Benjamini-Hochberg": ("benjamini-hochberg",),
    "p-value": ("p-value", "p-values", "p ="),
    "exact test": ("exact test", "exact tests", "boschloo", "fisher"),
    "power": ("power",),
    "disclosure control": ("disclosure control", "disclosure rule"),
    "suppressed": ("suppressed", "redacted"),
}


def terms_used(text: str) -> list[str]:
    """The glossary terms a text uses, in glossary order."""
    low = text.lower()
    for phrase in ("percentage points", "main points"):  # not the rating's points
        low = low.replace(phrase, phrase.split()[0])  # keep the first word only
    found = []
    for term, aliases in _ALIASES.items():
        if any(re.search(rf"(?<![a-z]){re.escape(a)}(?![a-z])", low) for a in aliases):
            found.append(term)
    return found


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


def glossary_for(terms: Collection[str]) -> dict[str, str]:
    """The glossary entries for these terms, in glossary order."""
    unknown = [t for t in terms if t not in GLOSSARY]
    if unknown:
        raise ParameterError(f"no glossary entry for {unknown}; known: {', '.join(GLOSSARY)}")
    return {t: GLOSSARY[t] for t in GLOSSARY if t in set(terms)}

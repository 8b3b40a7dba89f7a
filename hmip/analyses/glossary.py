"""The one glossary: every term a report or the scrutiny pack defines, in one or two plain sentences.

Each report lists the terms it uses (``GLOSSARY_TERMS``; a report on ratings starts with
:data:`RATING_TERMS`) and shows :func:`glossary_for` of them at its end; the pack shows
:data:`PACK_TERMS`. A test checks that every term a report's text uses is defined.
Bands and points are said from the framework file (:mod:`hmip.analyses.words`), so a framework with
other thresholds gets other definitions.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from hmip.analyses.words import band_ranges, count_words, points_scale
from hmip.errors import ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.disclosure import get_rule

#: The terms every report on a PDU's ratings uses, first in its glossary, in this order.
RATING_TERMS = (
    "HMIP",
    "PDU",
    "standard",
    "key question",
    "lowest-banding rule",
    "organisational delivery",
    "case sample",
    "points",
    "simulated",
    "interval",
)

#: The terms the scrutiny pack defines, in its order.
PACK_TERMS = (
    "PDU",
    "HMIP",
    "key question",
    "sufficient",
    "band",
    "interval",
    "rank range",
    "percentage point",
    "disclosure control",
    "not published",
    "RAG",
)


def glossary(framework: Framework | None = None, *, fresh_n: int | None = None) -> dict[str, str]:
    """Every term, defined; bands and points from ``framework`` (default: the default framework);
    ``fresh_n``: the fresh sample's size where a report sets one (its parameter n)."""
    fw = framework_or_default(framework)
    bands = band_ranges(fw)
    banding = f"{bands[0][1]} of cases sufficient is {bands[0][0].label}, " + ", ".join(
        f"{text.replace(' to ', '-')} {r.label}" for r, text in bands[1:]
    )
    max_points, scale = points_scale(fw)
    top = max(r.score for r, _ in scale)
    nhs = get_rule("nhs")
    return {
        "PDU": "Probation Delivery Unit: the local probation service for one or more boroughs.",
        "HMIP": "HM Inspectorate of Probation, which inspects probation services and publishes their ratings.",
        "standard": f"One of the {count_words(len(fw.rated_standards))} things HMIP rates, such as Assessment or "
        "Leadership, each on a four-point scale.",
        "key question": "A question inspectors answer yes or no for every sampled case, such as "
        "'Does assessment focus sufficiently on keeping other people safe?'.",
        "lowest-banding rule": "A case-sample standard takes the rating of its weakest key question: "
        f"{banding}.",
        "organisational delivery": "The four standards on leadership, staff, services, and information and facilities, "
        "rated by inspectors' judgement rather than from the case sample (HMIP calls this domain one).",
        "case sample": "The cases HMIP reads in a PDU, about 42, chosen to represent its caseload.",
        "points": f"Each standard scores 0 (Inadequate) to {top} (Outstanding); the "
        f"{count_words(len(fw.rated_standards))} scores add up to 0-{max_points} points, which set the "
        "overall rating ("
        + ", ".join(f"{text.replace(' to ', '-')} {r.label}" for r, text in scale)
        + ").",
        "simulated": "Made up by the project's seeded simulation to agree with HMIP's published ratings, because "
        "HMIP does not publish case-level records. Simulated figures show how the analysis works; they are not facts about a PDU.",
        "interval": "A range that shows how uncertain a figure is: with a 95% interval, the true value lies in "
        "such a range 95 times in 100.",
        "fresh sample": (
            f"A different set of {fresh_n} cases from the same PDU, as a new inspection would draw."
            if fresh_n
            else "A different set of cases from the same PDU, as many as the inspection read, as a new "
            "inspection would draw."
        ),
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
        "risk ratio": "The share of cases judged sufficient for one group divided by the share for the "
        "comparison group, here combined over the PDUs: 1 means no difference, below 1 means the group "
        "fared worse (per PDU it is called the relative rate index).",
        "percentage point": "The difference between two percentages: from 40% to 55% is a rise of 15 "
        "percentage points (not the points out of 27 that set a PDU's overall rating).",
        "Newcombe": "A standard way to calculate an interval for the difference between two shares that "
        "works well with small samples.",
        "5% level": "The usual bar for calling a difference real: a gap that chance alone would produce "
        "less than 1 time in 20 (a p-value below 0.05).",
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
        "disclosure control": "Rules that stop a reader identifying individuals: counts of 1 to "
        f"{nhs.threshold} people are hidden and other counts rounded to the nearest {nhs.base}.",
        "suppressed": f"Hidden to protect individuals, because the count is small (1 to {nhs.threshold} people).",
        "sufficient": "Inspectors judged the work on the case good enough on that key question.",
        "band": "Where a share falls: " + ", ".join(f"{r.code} {text}" for r, text in bands) + ".",
        "not published": "HMIP has not published this figure, or the pack does not hold it: it is "
        "unknown, not zero.",
        "RAG": "Red, amber, green, always with a letter and a word: R off track, A at risk, G on track.",
    }


#: The glossary under the default framework.
GLOSSARY: dict[str, str] = glossary()

#: How each glossary term is recognised in a report's text (lower case, whole words). Terms only the
#: pack defines (sufficient, band, not published, RAG) are not looked for in the reports.
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
    "risk ratio": ("risk ratio", "risk ratios"),
    "percentage point": ("percentage point",),
    "Newcombe": ("newcombe", "newcombe's"),
    "5% level": ("5% level",),
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
    low = low.replace("percentage points", "percentage point")  # not the rating's points
    low = low.replace("main points", "main")
    found = []
    for term, aliases in _ALIASES.items():
        if any(re.search(rf"(?<![a-z0-9.]){re.escape(a)}(?![a-z])", low) for a in aliases):
            found.append(term)
    return found


def glossary_for(
    terms: Collection[str], framework: Framework | None = None, *, fresh_n: int | None = None
) -> dict[str, str]:
    """The glossary entries for these terms, in glossary order (``fresh_n``: see :func:`glossary`)."""
    entries = (
        GLOSSARY if framework is None and fresh_n is None else glossary(framework, fresh_n=fresh_n)
    )
    unknown = [t for t in terms if t not in entries]
    if unknown:
        raise ParameterError(f"no glossary entry for {unknown}; known: {', '.join(entries)}")
    return {t: entries[t] for t in entries if t in set(terms)}


def pack_glossary(framework: Framework | None = None) -> list[tuple[str, str]]:
    """The pack's glossary: (term with a capital, definition), in :data:`PACK_TERMS` order."""
    entries = glossary_for(PACK_TERMS, framework)
    return [(t[0].upper() + t[1:], entries[t]) for t in PACK_TERMS]

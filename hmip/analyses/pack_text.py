"""The scrutiny pack's reading guide and methods, in plain words; bands and points from the framework
file. The glossary is :func:`hmip.analyses.glossary.pack_glossary`."""

from __future__ import annotations

from hmip.analyses.pack_model import GAP_THAT_MATTERS, PackInputs
from hmip.analyses.words import bands_sentence, points_sentence
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.disclosure import DisclosureRule


def how_to_read(simulated: bool, audits: bool = False) -> list[tuple[str, str]]:
    out = [
        (
            "Header",
            "The PDU, when it was inspected and when HMIP published the report, its overall rating "
            "and its points out of the maximum.",
        ),
        (
            "What HMIP found",
            "First: HMIP's published statements, each marked as about this PDU or London-wide, with "
            "its source and date. Real, not simulated.",
        ),
        (
            "The nine standards",
            "HMIP's rating of each standard as a coloured badge with its letter and word. For the "
            "five standards rated from the case sample: the key question that set the rating (its "
            "lowest), how many more sufficient cases would have reached the next band, and how firm "
            "the rating is.",
        ),
        (
            "How firm",
            "The chance that a fresh sample of the same size would give the same rating: firm (90% "
            "or more), fairly firm (67% to 89%), could easily change (33% to 66%), likely to change "
            "(below 33%).",
        ),
        (
            "Position",
            "Where the PDU stands among the region's inspected PDUs, with the range of positions the "
            "sample allows.",
        ),
        (
            "Equality",
            "Cases of people from ethnic minority backgrounds against White people: the share judged "
            "sufficient, with its interval, protected by the disclosure rule.",
        ),
        (
            "Recommendations",
            "HMIP's recommendations to the PDU and, where a progress file is given, progress with a "
            "RAG status: G on track, A at risk, R off track.",
        ),
        ("Questions", "Three questions a member could ask, built from the page's own figures."),
    ]
    if audits:
        out.insert(
            -1,
            (
                "Since the inspection",
                "For a PDU with its own case audits, what changed and the overall rating if "
                "inspected now.",
            ),
        )
    if simulated:
        out.append(
            (
                "SIM",
                "Marks a figure built on the simulated case sample. Every PDU page repeats the warning.",
            )
        )
    return out


def methods_text(
    inp: PackInputs, rule: DisclosureRule, *, framework: Framework | None = None
) -> list[tuple[str, str]]:
    fw = framework_or_default(framework)
    std, kq = inp.equality_measure
    eq_measure = f"{fw.standard(std).name}: {fw.key_question(std, kq).short}"
    pstd, pkq = inp.position_measure
    pos_measure = f"{fw.standard(pstd).name}: {fw.key_question(pstd, pkq).short}"
    level = f"{100 * inp.level:g}%"
    return [
        (
            "Where the figures come from",
            "Ratings, points and publication dates are HMIP's published ones (press releases of 18 Oct "
            "2022 and Nov 2022, and the Lewisham and Bromley PDU presentation of Jan 2023). Where a value "
            "follows from published ones it is marked implied. Everything else comes from the case "
            "sample: "
            + (
                "here a SIMULATED sample of 42 cases per PDU, made to give HMIP's published ratings; it "
                "is not real case data."
                if d.is_simulated(inp.data.counts)
                else "the file named on the cover."
            ),
        ),
        (
            "How a standard is rated",
            "Inspectors judge each case on each key question: sufficient or not. A key question's "
            "share is the sufficient cases out of those judged. "
            + bands_sentence(fw)
            + " A standard takes the band of its lowest key question. The four organisational "
            "standards are judged by inspectors, not from cases.",
        ),
        (
            "Overall rating and points",
            points_sentence(fw),
        ),
        (
            "More cases for the next band",
            "With the sample size fixed, how many more sufficient judgements the standard needed to "
            "reach the next band: added up over every key question below that band (one case may "
            "count on more than one question). The same figure is in the workbook's Ratings sheet.",
        ),
        (
            "How firm",
            "The chance a fresh sample of the same size gives the same rating, allowing for what the "
            "sample says about the true share (starting from a neutral assumption about it, called a "
            "Jeffreys prior). For a standard, the pattern of answers "
            f"on each case is kept ({inp.draws:,} seeded draws); overall, the five standards are "
            "combined exactly as if independent, with the organisational ratings held fixed.",
        ),
        (
            "Position",
            f"PDUs are placed on {pos_measure.lower()}, the measure HMIP published for London as a "
            f"whole. The range is the middle {level} of ranks over 4,000 seeded draws of each PDU's "
            "true share.",
        ),
        (
            "Equality",
            f"Headline measure: {eq_measure.lower()}, because HMIP's recommendation on "
            "disproportionality concerns the quality of service delivery. Ethnic minority follows "
            "Ministry of Justice practice (White minority groups count as White); cases with ethnicity "
            "not recorded are left out. Counts of people are protected first ("
            + (
                f"{rule.threshold} or fewer hidden, others rounded to the nearest {rule.base}"
                if rule.active
                else "no protection: internal use only"
            )
            + f"); shares, their difference and its {level} interval (Newcombe's method for the "
            "difference of two shares) use the protected counts. The sample needed is for an 80% "
            f"chance of detecting a gap of {round(100 * GAP_THAT_MATTERS)} percentage points with a "
            "test at the 5% level (one that a gap made by chance alone would pass only 1 time in 20).",
        ),
    ] + (
        [
            (
                "Since the inspection",
                "From the audit-progress report, on the PDU's own case audits"
                + (
                    " (here a SIMULATED example series, not the PDU's results)"
                    if inp.audits_simulated
                    else ""
                )
                + ": the latest audits pooled are compared with the inspection's sample on each key "
                "question (Fisher's exact test; Holm's adjustment across the key questions, so "
                "'more than chance alone would give' allows for the number compared). 'If HMIP "
                "inspected now' draws a fresh sample of the inspection's size from the latest audits' "
                "shares, with the four organisational standards held at their published ratings. "
                "Audit counts are of cases, not of people by a characteristic, so shown unrounded.",
            )
        ]
        if getattr(inp, "audit_pdus", ())  # a PackInputs; a stand-in without audits has none
        else []
    )

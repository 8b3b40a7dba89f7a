"""The scrutiny pack's data: the workbook's tables (one per sheet, also written as CSVs), their specs
(sheet, title, what each column means) and the data dictionary."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from hmip.analyses.evidence import stated_shares_table, thresholds_text
from hmip.analyses.pack_model import GAP_THAT_MATTERS, PackInputs, PduPage
from hmip.analyses.words import NOT_PUBLISHED, firmness_words, percent
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats.disclosure import MARKER
from hmip.stats.intervals import proportion_interval

NA = "[x]"  # not available / not published (Analysis Function shorthand)


def _num(v: float | None, digits: int = 1) -> str | float:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return NA
    return round(float(v), digits)


def build_tables(
    inp: PackInputs, pages: list[PduPage], *, framework: Framework | None = None
) -> dict:
    """The workbook's tables (one per sheet), as plain DataFrames with reader-facing column names."""
    fw = framework_or_default(framework)
    simulated = d.is_simulated(inp.data.counts)
    sample_basis = "simulated" if simulated else "analyst-supplied"
    rows = []
    for p in pages:
        for s in p.standards:
            rows.append(
                {
                    "PDU": p.pdu,
                    "Standard code": s.code,
                    "Standard": s.name,
                    "HMIP rating": s.rating,
                    "Rating letter": Rating.parse(s.rating).code
                    if s.rating != NOT_PUBLISHED
                    else NA,
                    "Basis": s.basis or "not published",
                    "Rating from the case sample": s.sample_rating
                    or ("not from cases" if not s.case_sample else "no case data"),
                    "Case sample basis": sample_basis if s.sample_rating else "not applicable",
                    # the pack's "More sufficient cases for the next band" column, the same figure
                    "Key question that set the band": s.limiting or NA,
                    "Next band": s.next_rating
                    or (
                        "already the top band"
                        if s.sample_rating
                        else ("not from cases" if not s.case_sample else NA)
                    ),
                    "More sufficient cases for the next band": NA
                    if s.more_needed_total is None
                    else s.more_needed_total,
                }
            )
    ratings = pd.DataFrame(rows)
    overall = pd.DataFrame(
        [
            {
                "PDU": p.pdu,
                "Region": p.region,
                "Overall rating": p.overall,
                "Rating letter": Rating.parse(p.overall).code if p.overall != NOT_PUBLISHED else NA,
                "Points": NA if p.points is None else p.points,
                "Maximum points": NA if p.max_points is None else p.max_points,
                "Points basis": p.points_basis or "not published",
                "Published": p.published_on,
            }
            for p in pages
        ]
    )
    c = inp.data.counts[inp.data.counts["pdu"].isin([p.pdu for p in pages])]
    kq_rows = []
    for r in c.itertuples():
        lo, hi = (
            tuple(
                proportion_interval(int(r.yes), int(r.n), level=inp.level).iloc[0][
                    ["lower", "upper"]
                ]
            )
            if r.n
            else (np.nan, np.nan)
        )
        kq_rows.append(
            {
                "PDU": r.pdu,
                "Standard": fw.standard(r.standard).name,
                "Key question": fw.key_question(r.standard, r.key_question).text,
                "Sufficient": int(r.yes),
                "Not sufficient": int(r.no),
                "Cases judged": int(r.n),
                "Share sufficient (%)": _num(100 * r.yes / r.n) if r.n else NA,
                f"Lower {100 * inp.level:g}% limit (%)": _num(100 * lo),
                f"Upper {100 * inp.level:g}% limit (%)": _num(100 * hi),
                "Band": Rating.parse(_band(int(r.yes), int(r.n), fw)).label if r.n else NA,
                "Data basis": sample_basis,
            }
        )
    key_questions = pd.DataFrame(kq_rows)
    firm_rows = []
    for p in pages:
        for s in p.standards:
            if s.p_same is None:
                continue
            firm_rows.append(
                {
                    "PDU": p.pdu,
                    "Standard": s.name,
                    "Rating from the case sample": s.sample_rating,
                    "Chance of the same rating in a fresh sample (%)": _num(100 * s.p_same),
                    "Chance as the pack prints it": percent(s.p_same),
                    "In words": firmness_words(s.p_same),
                    "Data basis": sample_basis,
                }
            )
        if p.overall_p_same is not None:
            firm_rows.append(
                {
                    "PDU": p.pdu,
                    "Standard": "Overall rating",
                    "Rating from the case sample": p.overall_sample_rating,
                    "Chance of the same rating in a fresh sample (%)": _num(100 * p.overall_p_same),
                    "Chance as the pack prints it": percent(p.overall_p_same),
                    "In words": firmness_words(p.overall_p_same),
                    "Data basis": sample_basis,
                }
            )
    firmness = pd.DataFrame(firm_rows)
    pos_rows = [
        {
            "PDU": p.pdu,
            "Measure": p.position.measure,
            "Sufficient": p.position.yes,
            "Cases judged": p.position.n,
            "Share sufficient (%)": _num(100 * p.position.yes / p.position.n),
            "Rank (1 = highest share)": p.position.rank,
            "Of": p.position.of,
            "Lowest plausible rank": p.position.rank_upper,
            "Highest plausible rank": p.position.rank_lower,
            "Data basis": sample_basis,
        }
        for p in pages
        if p.position.rank is not None
    ]
    positions = pd.DataFrame(pos_rows)
    eq_rows = []
    for p in pages:
        e = p.equality
        hidden = MARKER if e.status == "too few to say" else NA  # a statistic the rule withholds

        def pts(v: float | None, hidden: str = hidden) -> str | float:
            return hidden if v is None else _num(100 * v)

        eq_rows.append(
            {
                "PDU": p.pdu,
                "Measure": e.measure,
                "Result": e.status,
                "Ethnic minority: cases judged": _shown(e.minority_n),
                "Ethnic minority: sufficient": _shown(e.minority_yes),
                "Ethnic minority: share sufficient (%)": pts(e.minority_share),
                "White: cases judged": _shown(e.white_n),
                "White: sufficient": _shown(e.white_yes),
                "White: share sufficient (%)": pts(e.white_share),
                "Difference (percentage points)": pts(e.difference),
                "Lower limit (points)": pts(e.lower),
                "Upper limit (points)": pts(e.upper),
                "Cases needed in each group": NA
                if e.needed_per_group is None
                else e.needed_per_group,
                "Data basis": sample_basis if e.status != "not available" else "not applicable",
            }
        )
    equality = pd.DataFrame(eq_rows)
    rec_rows = []
    for p in pages:
        for r in p.recommendations:
            rec_rows.append(
                {
                    "PDU": p.pdu,
                    "Number": r.number,
                    "Recommendation": r.text,
                    "Source": r.source,
                    "Progress status": r.status or "no progress reported",
                    "Status letter": r.status_letter or NA,
                    "Action": r.action or "no progress reported",
                    "Evidence": r.evidence
                    or ("no evidence given" if r.status else "no progress reported"),
                    "Date": r.date or NA,
                    "Progress basis": p.progress_basis or "no progress file given",
                }
            )
    if not rec_rows:
        rec_rows.append(
            {
                "PDU": "none",
                "Number": NA,
                "Recommendation": "no recommendations held for these PDUs",
                "Source": NA,
                "Progress status": NA,
                "Status letter": NA,
                "Action": NA,
                "Evidence": NA,
                "Date": NA,
                "Progress basis": NA,
            }
        )
    recommendations = pd.DataFrame(rec_rows)
    audits, change, now = audit_tables(pages, inp, framework=fw)
    tables = {
        "overall": overall,
        "ratings": ratings,
        "key_questions": key_questions,
        "firmness": firmness,
        "position": positions,
        "equality": equality,
        "recommendations": recommendations,
        "national": national_table(),
        "stated": stated_shares_table(framework=fw),
        "audits": audits,
        "audit_change": change,
        "audit_now": now,
    }
    return {k: v for k, v in tables.items() if not v.empty}


def audit_tables(
    pages: list[PduPage], inp: PackInputs, *, framework: Framework | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The tables behind "Since the inspection" (PDUs with case audits only; empty without): each
    audit's counts and share with its interval per key question; the change since the inspection per
    key question; and the chance of each overall rating if HMIP inspected now (the page's chart).

    The counts are of audited cases judged on a key question, like the inspection sample's counts:
    not counts of people by a personal characteristic, so shown unrounded (assumption A12); the
    audits hold no breakdown by ethnicity or any other characteristic here."""
    fw = framework_or_default(framework)
    level = f"{100 * inp.level:g}%"
    inspection_basis = "simulated" if d.is_simulated(inp.data.counts) else "analyst-supplied"
    audit_rows, change_rows, now_rows = [], [], []
    for p in pages:
        s = p.since
        if s is None:
            continue
        basis = "simulated" if s.audits_simulated else "analyst-supplied"
        for r in s.audits.sort_values(["audit_date", "standard"], kind="stable").itertuples():
            audit_rows.append(
                {
                    "PDU": p.pdu,
                    "Audit": str(r.audit_id),
                    "Audit date": pd.Timestamp(r.audit_date).strftime("%Y-%m-%d"),
                    "Standard": fw.standard(r.standard).name,
                    "Key question": fw.key_question(r.standard, r.key_question).text,
                    "Sufficient": int(r.yes),
                    "Not sufficient": int(r.no),
                    "Not applicable": int(r.not_applicable),
                    "Cases judged": int(r.n),
                    "Share sufficient (%)": _num(100 * r.share) if r.n else NA,
                    f"Lower {level} limit (%)": _num(100 * r.lower) if r.n else NA,
                    f"Upper {level} limit (%)": _num(100 * r.upper) if r.n else NA,
                    "Audit basis": basis,
                }
            )
        for r in s.change.itertuples():
            change_rows.append(
                {
                    "PDU": p.pdu,
                    "Standard": fw.standard(r.standard).name,
                    "Key question": fw.key_question(r.standard, r.key_question).text,
                    "Latest audits": str(r.audit),
                    "Inspection: sufficient": int(r.yes_before),
                    "Inspection: cases judged": int(r.n_before),
                    "Inspection: share sufficient (%)": _num(100 * r.share_before),
                    "Latest audits: sufficient": int(r.yes_after),
                    "Latest audits: cases judged": int(r.n_after),
                    "Latest audits: share sufficient (%)": _num(100 * r.share_after),
                    "Change (percentage points)": _num(100 * r.estimate),
                    f"Lower {level} limit (points)": _num(100 * r.lower),
                    f"Upper {level} limit (points)": _num(100 * r.upper),
                    "Adjusted p-value": _num(r.p_adjusted, 4),
                    "Result": {"up": "improved", "down": "worse"}.get(r.clear, "no clear change"),
                    "In words": str(r.words),
                    "Audit basis": basis,
                    "Inspection sample basis": inspection_basis,
                }
            )
        for label, chance in s.chances:
            now_rows.append(
                {
                    "PDU": p.pdu,
                    "Overall rating": label,
                    "Rating letter": Rating.parse(label).code,
                    f"Chance if HMIP inspected {s.fresh_n} cases now (%)": _num(100 * chance),
                    "Chance as the pack prints it": percent(chance),
                    "Rating at the inspection": s.published,
                    "Audit basis": basis,
                }
            )
    return pd.DataFrame(audit_rows), pd.DataFrame(change_rows), pd.DataFrame(now_rows)


def national_table(framework: str = "pdu-2021") -> pd.DataFrame:
    """Every PDU rated under the 2021-2023 framework with its published rating, points where known and
    its national rank range (published data; blanks shown as not published)."""
    from hmip.data.national import load_national_ratings
    from hmip.stats.national import national_positions

    ratings = load_national_ratings()
    mine = ratings[ratings["framework"] == framework]
    pos = national_positions(ratings, framework).set_index("pdu")
    rows = []
    for r in mine.to_dict("records"):
        q = pos.loc[r["pdu"]]
        rows.append(
            {
                "PDU": r["pdu"],
                "Region": r["region"] or NA,
                "Published": r["publication_date"],
                "Overall rating": r["overall_rating"],
                "Rating letter": Rating.parse(r["overall_rating"]).code,
                "Points": NA if pd.isna(r["points"]) else int(r["points"]),
                "Points basis": r["points_basis"] or "not published",
                "Best national rank": int(q["rank_best"]),
                "Worst national rank": int(q["rank_worst"]),
                "Of": int(q["n_pdus"]),
                "Source": r["source"],
            }
        )
    return pd.DataFrame(rows)


def _band(yes: int, n: int, fw: Framework) -> str:
    from hmip.rules.ratings import band_counts

    return band_counts(yes, n - yes, framework=fw).label


def _shown(v: object) -> object:
    return NA if v is None else v


def table_specs(
    framework: Framework | None = None,
) -> dict[str, tuple[str, str, str, dict[str, str]]]:
    """Each table: (sheet name, title, what it shows, column -> meaning); points from the framework file.
    Shared by the workbook and the data dictionary that goes with the CSVs."""
    fw = framework_or_default(framework)
    full, *others = fw.overall_scales
    top = full.max_points
    maxima = f"{top}" + "".join(
        f", or {sc.max_points} where "
        + " and ".join(fw.standard(s).name.lower() for s in sorted(sc.not_rated))
        + " is not rated"
        for sc in others
    )
    gap = round(100 * GAP_THAT_MATTERS)
    return {
        "overall": (
            "Overall",
            "HMIP's overall rating and points for each PDU",
            f"Published overall ratings; points out of {top} where published or implied.",
            {
                "PDU": "Probation Delivery Unit",
                "Region": "Probation region",
                "Overall rating": "HMIP's overall rating, in words; Not published where unknown",
                "Rating letter": "I, RI, G or O; [x] where not published",
                "Points": f"Total points (0 to {top}); [x] where not published",
                "Maximum points": maxima,
                "Points basis": "published, implied (follows from published values) or not published",
                "Published": "Date HMIP published the inspection report",
            },
        ),
        "ratings": (
            "Ratings",
            "HMIP's rating of each standard, by PDU",
            "Nine rated standards per PDU; ratings as words; the rating the case sample gives alongside.",
            {
                "PDU": "Probation Delivery Unit",
                "Standard code": "1.1 to 2.5",
                "Standard": "Standard name",
                "HMIP rating": "Inadequate, Requires improvement, Good, Outstanding or Not published",
                "Rating letter": "I, RI, G or O; [x] where not published",
                "Basis": "published, implied or not published",
                "Rating from the case sample": "The rating the key-question counts give (case-sample standards only)",
                "Case sample basis": "simulated or analyst-supplied",
                "Key question that set the band": "The case-sample standard's lowest key question",
                "Next band": "The band above the case sample's rating",
                "More sufficient cases for the next band": "Sufficient judgements the standard "
                "needed to reach the next band with the same sample size, added up over every key "
                "question below that band (as the pack's standards table)",
            },
        ),
        "key_questions": (
            "Key questions",
            "Cases judged sufficient on each key question, with intervals",
            "Inspection sample counts per PDU (not counts of people by characteristic, so shown unrounded).",
            {
                "PDU": "Probation Delivery Unit",
                "Standard": "Case-sample standard",
                "Key question": "The key question's wording",
                "Sufficient": "Cases judged sufficient",
                "Not sufficient": "Cases judged not sufficient",
                "Cases judged": "Sufficient plus not sufficient (not applicable cases left out)",
                "Share sufficient (%)": "Sufficient as a percentage of cases judged",
                "Lower 95% limit (%)": "Wilson score interval, lower limit",
                "Upper 95% limit (%)": "Wilson score interval, upper limit",
                "Band": "The rating band of the share",
                "Data basis": "simulated or analyst-supplied",
            },
        ),
        "firmness": (
            "Firmness",
            "How firm each rating is: the chance a fresh sample gives the same rating",
            "Posterior predictive chance that a fresh sample of the same size gives the same rating.",
            {
                "PDU": "Probation Delivery Unit",
                "Standard": "Case-sample standard, or the overall rating",
                "Rating from the case sample": "The rating the sample gives",
                "Chance of the same rating in a fresh sample (%)": "Percentage, to 1 decimal place",
                "Chance as the pack prints it": "Whole percentage, never a misleading 0% or 100% "
                "('less than 1%', 'more than 99%')",
                "In words": "firm (90 or more), fairly firm (67 to 89), could easily change (33 to 66), likely to change (below 33)",
                "Data basis": "simulated or analyst-supplied",
            },
        ),
        "position": (
            "Position",
            "Where each PDU stands in the region, with its plausible range",
            "Rank on the position measure (1 = highest share) and the range of plausible ranks.",
            {
                "PDU": "Probation Delivery Unit",
                "Measure": "The key question PDUs are placed on",
                "Sufficient": "Cases judged sufficient",
                "Cases judged": "Cases judged on this key question",
                "Share sufficient (%)": "Percentage",
                "Rank (1 = highest share)": "Position in the region",
                "Of": "Number of PDUs ranked",
                "Lowest plausible rank": "Upper end of the 95% rank range",
                "Highest plausible rank": "Lower end of the 95% rank range",
                "Data basis": "simulated or analyst-supplied",
            },
        ),
        "equality": (
            "Equality",
            "Ethnic minority against White people on probation: share of cases judged sufficient",
            "Counts of people protected by the disclosure rule; shares and the difference from the "
            "protected counts.",
            {
                "PDU": "Probation Delivery Unit",
                "Measure": "The key question compared",
                "Result": "difference, no clear difference, too few to say, or not available",
                "Ethnic minority: cases judged": "Protected count of people ([REDACTED] = 1 to 7)",
                "Ethnic minority: sufficient": "Protected count of people",
                "Ethnic minority: share sufficient (%)": "From protected counts",
                "White: cases judged": "Protected count of people",
                "White: sufficient": "Protected count of people",
                "White: share sufficient (%)": "From protected counts",
                "Difference (percentage points)": "Ethnic minority minus White",
                "Lower limit (points)": "Newcombe 95% interval, lower limit",
                "Upper limit (points)": "Newcombe 95% interval, upper limit",
                "Cases needed in each group": f"To detect a gap of {gap} percentage points (80% "
                "power: an 8 in 10 chance; a test at the 5% level)",
                "Data basis": "simulated, analyst-supplied or not applicable",
            },
        ),
        "national": (
            "National",
            "Every PDU rated under the 2021-2023 framework: published rating, points and national rank range",
            "Published national ratings; where points are not published a PDU is placed anywhere its rating's "
            "band allows, so its rank is a range. Ratings under the revised framework (from late 2023) are "
            "not comparable and are left out.",
            {
                "PDU": "Probation Delivery Unit",
                "Region": "HMPPS probation region where known",
                "Published": "Publication date of HMIP's report (YYYY-MM-DD, YYYY-MM or YYYY)",
                "Overall rating": "HMIP's overall rating",
                "Rating letter": "I, RI, G or O",
                "Points": f"Points of {top} where published or implied",
                "Points basis": "published, implied, or not published",
                "Best national rank": "1 + PDUs certainly higher on points",
                "Worst national rank": "1 + PDUs possibly higher on points",
                "Of": "PDUs rated under this framework",
                "Source": "Where the rating was published",
            },
        ),
        "stated": (
            "HMIP stated shares",
            "Shares of cases HMIP stated as sufficient on a key question, with their band",
            "Figures HMIP (or a named source reporting HMIP) stated, each beside the band it falls in "
            f"on the framework's thresholds ({thresholds_text(fw)}). A share is not a rating: HMIP "
            "rates a standard by its lowest key question. London's figure is region-wide, not any one "
            "PDU's.",
            {
                "About": "The PDU, region or England and Wales the figure is about",
                "Level": "PDU, PDUs, region or England and Wales",
                "Framework": "2021-2023, or revised (from late 2023)",
                "What was stated": "The source's sentence (quotation or close paraphrase)",
                "Share stated (%)": "The percentage stated (a quarter is 25)",
                "Standard": "The standard the figure is about, or not named",
                "Key question": "The key question's theme",
                "Band on the thresholds": f"The band of the share: {thresholds_text(fw)}",
                "Band basis": "the finding's own framework, or for reference only (revised programme)",
                "Published": "Date published (YYYY-MM-DD, YYYY-MM or YYYY), or not stored",
                "Source": "Publisher and date; the address without its scheme",
            },
        ),
        "audits": (
            "Audits",
            "The PDU's own case audits since the inspection: cases judged sufficient on each key "
            "question, audit by audit, with intervals",
            "Each audit's counts per key question (counts of audited cases, not of people by a "
            "personal characteristic, so shown unrounded, as the inspection's counts are).",
            {
                "PDU": "Probation Delivery Unit",
                "Audit": "The audit's name as the audit file gives it",
                "Audit date": "The date of the audit (YYYY-MM-DD)",
                "Standard": "Case-sample standard",
                "Key question": "The key question's wording",
                "Sufficient": "Audited cases judged sufficient",
                "Not sufficient": "Audited cases judged not sufficient",
                "Not applicable": "Audited cases where the key question did not apply",
                "Cases judged": "Sufficient plus not sufficient",
                "Share sufficient (%)": "Sufficient as a percentage of cases judged",
                "Lower 95% limit (%)": "Wilson score interval, lower limit",
                "Upper 95% limit (%)": "Wilson score interval, upper limit",
                "Audit basis": "simulated (the bundled example series) or analyst-supplied",
            },
        ),
        "audit_change": (
            "Audit change",
            "Change since the inspection: the latest audits against the inspection's case sample, "
            "per key question",
            "The latest audits pooled (the audit-progress report's window) against the inspection's "
            "sample; a change is called improved or worse only when chance alone is unlikely to give "
            "it, allowing for every key question compared (Holm's adjustment).",
            {
                "PDU": "Probation Delivery Unit",
                "Standard": "Case-sample standard",
                "Key question": "The key question's wording",
                "Latest audits": "The audits pooled as the latest evidence",
                "Inspection: sufficient": "Cases judged sufficient in the inspection's sample",
                "Inspection: cases judged": "Cases judged in the inspection's sample",
                "Inspection: share sufficient (%)": "Percentage",
                "Latest audits: sufficient": "Audited cases judged sufficient",
                "Latest audits: cases judged": "Audited cases judged",
                "Latest audits: share sufficient (%)": "Percentage",
                "Change (percentage points)": "Latest audits minus the inspection",
                "Lower 95% limit (points)": "Newcombe interval for the change, lower limit",
                "Upper 95% limit (points)": "Newcombe interval for the change, upper limit",
                "Adjusted p-value": "Fisher's exact test, Holm-adjusted across the key questions "
                "compared (below 0.05: more than chance alone gives)",
                "Result": "improved, worse, or no clear change",
                "In words": "The change in words, as the audit-progress report gives it",
                "Audit basis": "simulated or analyst-supplied",
                "Inspection sample basis": "simulated or analyst-supplied",
            },
        ),
        "audit_now": (
            "Rated now",
            "If HMIP inspected now: the chance of each overall rating, from the latest audits",
            "A fresh inspection sample drawn from the latest audits' shares; the four organisational "
            "standards held at their published ratings (the pack's 'Since the inspection' chart).",
            {
                "PDU": "Probation Delivery Unit",
                "Overall rating": "Inadequate, Requires improvement, Good or Outstanding",
                "Rating letter": "I, RI, G or O",
                "Chance if HMIP inspected 42 cases now (%)": "Percentage, to 1 decimal place",
                "Chance as the pack prints it": "Whole percentage, never a misleading 0% or 100%",
                "Rating at the inspection": "HMIP's published overall rating",
                "Audit basis": "simulated or analyst-supplied",
            },
        ),
        "recommendations": (
            "Recommendations",
            "HMIP's recommendations and progress against them",
            "Recommendations as published, with the progress file's status where one is given.",
            {
                "PDU": "Probation Delivery Unit",
                "Number": "Recommendation number",
                "Recommendation": "Wording as published",
                "Source": "Where the wording comes from",
                "Progress status": "on track, at risk, off track, or no progress reported",
                "Status letter": "G on track, A at risk, R off track; [x] where none",
                "Action": "What is being done",
                "Evidence": "The evidence given",
                "Date": "Date of the progress update",
                "Progress basis": "illustrative example, analyst-supplied, or no progress file given",
            },
        ),
    }


#: The table specs under the default framework.
TABLE_SPECS = table_specs()


def data_dictionary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for key, table in tables.items():
        sheet, title, _, columns = TABLE_SPECS[key]
        for col in table.columns:
            meaning = (
                columns.get(col)
                or _same_but_numbers(col, columns)
                or next(
                    (v for k, v in columns.items() if k.split()[0] == col.split()[0] == "Lower"),
                    next(
                        (
                            v
                            for k, v in columns.items()
                            if k.split()[0] == col.split()[0] == "Upper"
                        ),
                        "",
                    ),
                )
            )
            rows.append({"Table": sheet, "Column": col, "Meaning": meaning})
    return pd.DataFrame(rows)


def _same_but_numbers(col: str, columns: dict[str, str]) -> str:
    """The meaning of the spec's column that differs from ``col`` only in its numbers (a level of
    90% rather than 95%, a fresh sample of 40 cases rather than 42)."""
    import re

    def bare(x: str) -> str:
        return re.sub(r"\d+(\.\d+)?", "#", x)

    return next((v for k, v in columns.items() if bare(k) == bare(col)), "")

"""What the London (regional) comparison report says and shows: its main points, the findings for
readers, the summary in words, the methods text and the ratings grid's rows.

Every function takes the report's result, :class:`hmip.analyses.london_comparison.LondonComparison`.
This module does not import it (that module imports this one, for the result's main points and
methods), so the result is annotated with the contract's base type.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from hmip.analyses.contract import ReportBase
from hmip.analyses.glossary import RATING_TERMS
from hmip.analyses.london_comparison_tables import NOT_AVAILABLE, ORG_NOT_PUBLISHED
from hmip.analyses.words import points_scale
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats.funnel import (
    distinguishable_pairs,
)

#: The result these functions take: :class:`hmip.analyses.london_comparison.LondonComparison`.
LondonResult = ReportBase


# --- What the report says to readers -------------------------------------------------------------------
#: Glossary terms this report uses (each is defined at its end).
GLOSSARY_TERMS = (
    *RATING_TERMS,
    "funnel plot",
    "rank range",
    "Wilson",
    "overdispersion",
    "Jeffreys",
    "disclosure control",
    "percentage point",
)


def _is_simulated(result: LondonResult) -> bool:
    return result.simulated


def _points_text(row: pd.Series | Mapping[str, object]) -> str:
    if pd.isna(row["points"]):
        return "points not published"
    implied = ", implied" if row.get("points_basis") == "implied" else ""
    return f"{int(row['points'])} of {int(row['max_points'])} points{implied}"


def main_points(result: LondonResult, *, framework: Framework | None = None) -> list:
    """At most five plain-English sentences: how the region's PDUs were rated (published facts), what the
    case-sample standards show, and what the (simulated) case sample can and cannot tell apart."""
    from hmip.analyses.words import RatingMention, SimulatedMark, join_words, plural, sentence

    fw = framework_or_default(framework)
    sim = SimulatedMark() if _is_simulated(result) else ""
    overall = result.data.overall
    region = result.data.region or "all regions"
    points = []
    counts = overall["overall_rating"].value_counts()
    parts: list = [f"HMIP rated the {len(overall)} {region} PDUs it inspected: "]
    rated = [r for r in Rating if counts.get(r.label, 0)]
    for i, r in enumerate(rated):
        parts += [f"{counts[r.label]} ", RatingMention(r.label)]
        parts.append(", " if i < len(rated) - 2 else (" and " if i == len(rated) - 2 else ""))
    missing = [r.label for r in Rating if r >= Rating.GOOD and not counts.get(r.label, 0)]
    parts.append("; none was " + " or ".join(missing) + "." if missing else ".")
    points.append(sentence(*parts))
    known = overall[overall["points"].notna()]
    if len(known):
        lo, hi = known.loc[known["points"].idxmin()], known.loc[known["points"].idxmax()]
        unknown = overall[overall["points"].isna()]["pdu"].tolist()
        text = f"Published points ranged from {_points_text(lo)} ({lo['pdu']}) to {_points_text(hi)} ({hi['pdu']})"
        if unknown:
            text += f"; {join_words(unknown)} had no points published"
        points.append(sentence(text + "."))
    pub = result.data.published
    case_ids = {s.id for s in fw.case_sample_standards}
    case_pub = pub[pub["standard"].isin(case_ids) & pub["rating"].notna()]
    if len(case_pub):
        worst = case_pub["rating"].value_counts()
        inadequate = int(worst.get(Rating.INADEQUATE.label, 0))
        points.append(
            sentence(
                f"Of the {plural(len(case_pub), 'case-sample standard rating')} HMIP published, "
                f"{'all ' + str(inadequate) if inadequate == len(case_pub) else inadequate} were ",
                RatingMention(Rating.INADEQUATE.label),
                ": fewer than half of the sampled cases were judged sufficient on at least one key question.",
            )
        )
    f = result.funnel
    if len(f):
        inside = int((~f["outside_95"]).sum())
        target = float(f["target"].iloc[0])
        points.append(
            sentence(
                f"On '{result.options.measure.lower()}', {inside} of {len(f)} PDUs are within the range chance "
                f"alone would give around the regional share of {round(100 * target)}%",
                sim,
                ": samples of about 42 cases cannot tell them apart.",
            )
        )
    pairs = distinguishable_pairs(result.ranks)
    total = len(result.ranks) * (len(result.ranks) - 1) // 2
    points.append(
        sentence(
            (f"None of the {total}" if not pairs else f"{len(pairs)} of {total}")
            + " pairs of PDUs can be told apart by rank on that measure",
            sim,
            ", so a league table of these PDUs would mislead.",
        )
    )
    return points[:5]


def reader_findings(result: LondonResult, *, framework: Framework | None = None) -> list:
    """Findings in words, one or two per PDU: published facts stated as facts, figures from the case
    sample marked simulated (never a simulated rating stated as a fact)."""
    from hmip.analyses.words import RatingMention, SimulatedMark, join_words, sentence

    fw = framework_or_default(framework)
    sim = SimulatedMark() if _is_simulated(result) else ""
    out = []
    summary = result.summary.set_index("pdu")
    cr = result.data.case_ratings
    for row in result.data.overall.to_dict("records"):
        pdu = row["pdu"]
        parts = [
            f"{pdu}: HMIP rated it ",
            RatingMention(str(row["overall_rating"])),
            f" ({_points_text(row)}).",
        ]
        lim = cr[(cr["pdu"] == pdu) & cr["rating"].notna()]
        if len(lim):
            worst = lim[lim["rating"] == lim["rating"].min()]
            held = [
                f"{fw.standard(w.standard).name} ('{fw.key_question(w.standard, w.limiting).short}', "
                f"{w.limiting_yes} of {w.limiting_n})"
                for w in worst.itertuples()
            ]
            parts += [" In the case sample its weakest standards were ", join_words(held), sim, "."]
        if pdu in summary.index and summary.loc[pdu, "check"] == "MISMATCH":
            parts += [
                " Recomputing its rating from the case sample does NOT give the published rating",
                sim,
                ".",
            ]
        out.append(sentence(*parts))
    return out


def _agrees(row: pd.Series, *, simulated: bool) -> str:
    """The 'Agrees with HMIP' cell: yes, NO, or 'cannot check: ' and why."""
    check, rec = str(row["check"]), str(row["recomputed_rating"])
    if check == "matches":
        return "yes"
    if check == "MISMATCH":
        return (
            "NO: no organisational delivery ratings would give HMIP's rating and points"
            if row["points_range"]
            else "NO"
        )
    if not rec.startswith(NOT_AVAILABLE):
        return check
    why = rec.removeprefix(f"{NOT_AVAILABLE}: ")
    if why == ORG_NOT_PUBLISHED and not simulated:  # an analyst with real data may hold them
        why += " (give them in a ratings file: ratings_path)"
    return f"cannot check: {why}"


def summary_display(result: LondonResult) -> pd.DataFrame:
    """The summary table in words: published rating and points, and the rating recomputed from the case
    sample (simulated where the sample is)."""
    s = result.summary
    basis = dict(zip(result.data.overall["pdu"], result.data.overall["points_basis"], strict=True))
    return pd.DataFrame(
        {
            "PDU": s["pdu"],
            "Published rating": [
                str(x).split(" (")[0] if x != "unknown" else None for x in s["published_rating"]
            ],
            "Published points": [
                "not published"
                if pd.isna(p)
                else f"{int(p)}" + (" (implied)" if basis.get(pdu) == "implied" else "")
                for pdu, p in zip(s["pdu"], s["published_points"], strict=True)
            ],
            "Recomputed rating": [
                NOT_AVAILABLE if str(x).startswith(NOT_AVAILABLE) else str(x).split(" (")[0]
                for x in s["recomputed_rating"]
            ],
            "Recomputed points": [
                span if span else ("" if pd.isna(p) else int(p))
                for p, span in zip(s["recomputed_points"], s["points_range"], strict=True)
            ],
            "Agrees with HMIP": [
                _agrees(row, simulated=result.simulated) for _, row in s.iterrows()
            ],
            "Cases": s["cases"],
        }
    )


def methods(result: LondonResult) -> list[str]:
    """How each figure was made, naming the method and level."""
    f, r, sh = result.funnel, result.ranks, result.shares
    level = f"{100 * result.options.level:g}%"
    out = [
        f"Intervals for key-question shares: {sh['method'].iloc[0]}, {level} level."
        if len(sh)
        else "",
        "Recomputed ratings apply HMIP's rules (the lowest-banding rule and the "
        f"0-{points_scale()[0]} points bands) to the case sample and the organisational delivery ratings.",
        "Organisational delivery ratings are judged by inspectors, so a simulated one is never used "
        "and none is assumed: "
        "where HMIP did not publish them, the recomputed points are the range every possible rating "
        "would give (I 0 to O 3 for each), and the rating cannot be checked."
        + (
            ""
            if result.simulated
            else " An analyst who holds them can give them in a ratings file (parameter ratings_path)."
        ),
        f"Funnel plot: {f['method'].iloc[0]}; limits at 95% and 99.8%."
        if "method" in f and len(f)
        else "",
        f"Rank ranges: {r['method'].iloc[0]}." if "method" in r and len(r) else "",
    ]
    return [m for m in out if m]


def ratings_grid_rows(
    result: LondonResult, *, framework: Framework | None = None
) -> tuple[list, list[str]]:
    """The published ratings as rows (PDU, [rating or None per rated standard + overall], [points]) and the
    column names, for a grid of badges."""
    fw = framework_or_default(framework)
    rows = []
    for o in result.data.overall.to_dict("records"):
        mine = result.grid.loc[o["pdu"]] if o["pdu"] in result.grid.index else None
        ratings = [
            None if mine is None or pd.isna(mine.get(s.id)) else str(mine.get(s.id))
            for s in fw.rated_standards
        ]
        rows.append(
            (
                o["pdu"],
                [*ratings, str(o["overall_rating"])],
                [_points_text(o).replace(" points", "")],
            )
        )
    return rows, [s.name for s in fw.rated_standards] + ["Overall"]

"""What the sample-size report says and shows: the key-question and sample-size tables in words,
the standards table, the main points, the methods text and each standard's chances.

Every function takes the report's result, :class:`hmip.analyses.sample_size.SampleSizeSensitivity`
(or its inputs). This module does not import the result (that module imports this one, for the
result's main points and methods), so it is annotated with the contract's base type.
"""

from __future__ import annotations

import pandas as pd

from hmip.analyses.contract import ReportBase
from hmip.analyses.glossary import RATING_TERMS
from hmip.analyses.sample_size_tables import SensitivityInputs
from hmip.analyses.words import band_thresholds
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating

#: The result these functions take: :class:`hmip.analyses.sample_size.SampleSizeSensitivity`.
SampleSizeResult = ReportBase


def key_question_display(kq: pd.DataFrame) -> pd.DataFrame:
    """The key-question table in words a reader knows (percentages are whole; the method is named once,
    in the heading of the interval column)."""
    level = f"{100 * float(kq['level'].iloc[0]):g}%" if len(kq) else ""
    in_band = [float(r[r["band"]]) for _, r in kq.iterrows()]
    return pd.DataFrame(
        {
            "Key question": kq["label"],
            "Sufficient": [f"{y} of {n}" for y, n in zip(kq["yes"], kq["n"], strict=True)],
            "Share": kq["share"],
            f"{level} interval": [
                f"{100 * lo:.0f}% to {100 * hi:.0f}%"
                for lo, hi in zip(kq["lower"], kq["upper"], strict=True)
            ],
            "Band": kq["band"],
            "Chance the true share is in this band": in_band,
            "Same band with a fresh sample": kq["p_same_band_fresh_sample"],
        }
    )


def sample_size_display(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The sample-size table in words: for a true share near each boundary, the chance that n cases
    put it in its correct band, and the cases needed for each target."""
    out = pd.DataFrame(
        {
            "True share": table["true_share"],
            "Its band": table["true_band"],
            f"Chance {n} cases give the correct band": table[f"p_correct_at_{n}"],
        }
    )
    for c in table.columns:
        if c.startswith("n_for_") and c.endswith("pct"):
            out[f"Cases needed for a {c[6:-3]}% chance"] = table[c]
    return out


# --- What the report says to readers -------------------------------------------------------------------
def _frame_with(inp: SensitivityInputs, *columns: str) -> pd.DataFrame | None:
    """The loaded table that has these columns (published overall ratings, published standards...)."""
    for frame in inp.loaded:
        if isinstance(frame, pd.DataFrame) and set(columns) <= set(frame.columns):
            return frame
    return None


def published_overall(inp: SensitivityInputs) -> dict | None:
    """The PDU's published overall rating, points (with their basis) and publication date."""
    overall = _frame_with(inp, "overall_rating", "points_basis", "publication_date")
    if overall is None or inp.pdu not in set(overall["pdu"]):
        return None
    return overall[overall["pdu"] == inp.pdu].iloc[0].to_dict()


def _published_date(value: str) -> str:
    import calendar

    parts = str(value).split("-")
    month = calendar.month_name[int(parts[1])] if len(parts) > 1 else ""
    return " ".join(
        p for p in (parts[2].lstrip("0") if len(parts) > 2 else "", month, parts[0]) if p
    )


def standards_table(
    result: SampleSizeResult, *, framework: Framework | None = None
) -> pd.DataFrame:
    """One row per rated standard: its rating (HMIP's where published, otherwise the case sample's, and
    which), the key question that set it, how many more sufficient cases would reach the next band, and
    the chance a fresh sample gives the same rating.

    Made once per result and framework (the main points and the notebook's table both ask for it):
    a copy of the same table each time, made again if the result's inputs or distributions are
    replaced."""
    fw = framework_or_default(framework)
    made = (fw, result.inputs, result.distributions)
    memo = getattr(result, "__dict__", {}).get("_standards_table")
    if memo is not None and all(a is b for a, b in zip(memo[0], made, strict=True)):
        return memo[1].copy()
    table = _standards_table(result, fw)
    if hasattr(result, "__dict__"):
        result.__dict__["_standards_table"] = (made, table.copy())
    return table


def _standards_table(result: SampleSizeResult, fw: Framework) -> pd.DataFrame:
    from hmip.rules.ratings import min_yes_for

    inp = result.inputs
    published = _frame_with(inp, "standard", "rating", "basis", "standard_name")
    pub = {} if published is None else published[published["pdu"] == inp.pdu].set_index("standard")
    judged_basis = _judgement_basis(inp)
    rated = inp.rated(fw).set_index("standard")
    dist = result.distributions["table"]
    rows = []
    for s in fw.rated_standards:
        p = pub["rating"].get(s.id) if len(pub) else None
        p = None if p is None or pd.isna(p) else str(p)
        basis = str(pub["basis"].get(s.id, "published")) if p is not None else ""
        row = {
            "standard": s.id,
            "Standard": s.name,
            "Rating": p,  # HMIP's rating only: a rating HMIP did not publish is shown as not published
            "Rating from": "HMIP (implied by its published ratings)"
            if basis == "implied"
            else "HMIP (published)"
            if p is not None
            else "not published by HMIP",
        }
        if s.case_sample and s.id in rated.index and pd.notna(rated.loc[s.id, "rating"]):
            r = rated.loc[s.id]
            rating = Rating.parse(r["rating"])
            more = None
            if rating < Rating.OUTSTANDING:
                target = Rating(rating + 1)
                g = inp.counts[(inp.counts["standard"] == s.id) & (inp.counts["n"] > 0)]
                more = int(
                    sum(
                        max(0, min_yes_for(target, int(k.n), framework=fw) - int(k.yes))
                        for k in g.itertuples()
                    )
                )
            mine = dist[dist["standard"] == s.id]
            if p is None:
                simulated = d.is_simulated(*inp.loaded)
                row["Rating from"] = (
                    "not published by HMIP; the "
                    + ("simulated " if simulated else "")
                    + f"case sample gives {rating.label}"
                )
            elif p != rating.label:
                row["Rating from"] += f"; the case sample gives {rating.label}"
            row.update(
                {
                    "Weakest key question": fw.key_question(s.id, r["limiting"]).short,
                    "Sufficient": f"{int(r['limiting_yes'])} of {int(r['limiting_n'])}",
                    "More sufficient cases for the next band": more,
                    "Same rating with a fresh sample": float(mine.iloc[0][rating.label])
                    if len(mine)
                    else float("nan"),
                }
            )
        elif not s.case_sample:
            judged = inp.judgement.get(s.id)
            # Inspectors judge these: a rating is shown only as HMIP published it, or as an analyst's
            # ratings file gives it; a simulated one never (it is not a finding).
            if p is None and judged is not None and "simulated" not in judged_basis.get(s.id, ""):
                row.update(
                    {
                        "Rating": judged.label,
                        "Rating from": judged_basis.get(s.id, "the data given"),
                    }
                )
            row["Weakest key question"] = "rated by inspectors' judgement"
        rows.append(row)
    out = pd.DataFrame(rows)
    more = "More sufficient cases for the next band"
    if more in out:  # whole cases, blank where there is no next band or no case sample
        out[more] = out[more].astype("Int64")
    return out


def simulated_rating_rows(table: pd.DataFrame) -> list[bool]:
    """Rows of :func:`standards_table` whose rating is not HMIP's but comes from simulated data: their
    rating badge is tagged as simulated where it is shown."""
    return [
        pd.notna(r) and "simulated" in str(v)
        for r, v in zip(table["Rating"], table["Rating from"], strict=True)
    ]


def _judgement_basis(inp: SensitivityInputs) -> dict[str, str]:
    """Where each organisational delivery rating came from (published, implied or simulated)."""
    out: dict[str, str] = {}
    for frame in inp.loaded:  # the judgement file comes last, so its basis wins
        if isinstance(frame, pd.DataFrame) and {"standard", "rating", "basis"} <= set(
            frame.columns
        ):
            for r in frame[(frame["pdu"] == inp.pdu) & frame["rating"].notna()].itertuples():
                out[r.standard] = {"simulated": "simulated (not published)"}.get(
                    r.basis, str(r.basis)
                )
    return out


def main_points(result: SampleSizeResult, *, framework: Framework | None = None) -> list:
    """At most five plain-English sentences: the published rating and points, what held each case-sample
    standard back, how firm the rating is, and what is simulated."""
    from hmip.analyses.words import RatingMention, SimulatedMark, chance, join_words, sentence

    fw = framework_or_default(framework)
    inp = result.inputs
    simulated = d.is_simulated(*inp.loaded)
    sim = SimulatedMark() if simulated else ""
    points = []
    pub = published_overall(inp)
    if pub is not None and pd.notna(pub["overall_rating"]):
        if pd.isna(pub["points"]):
            pts = "points not published"
        else:
            basis = (
                " (implied by its published standard ratings)"
                if pub["points_basis"] == "implied"
                else ""
            )
            pts = f"{int(pub['points'])} of {int(pub['max_points'])} points{basis}"
        points.append(
            sentence(
                f"HMIP rated {inp.pdu} ",
                RatingMention(str(pub["overall_rating"])),
                f" overall ({_published_date(pub['publication_date'])}), with {pts}.",
            )
        )
    table = standards_table(result, framework=fw)
    case = table[table["Sufficient"].notna()] if "Sufficient" in table else table.iloc[0:0]
    if len(case):
        held = [
            f"{r['Standard']} by '{r['Weakest key question']}' ({r['Sufficient']} cases sufficient)"
            for r in case.to_dict("records")
        ]
        points.append(
            sentence(
                "In the case sample, each case-sample standard took the rating of its weakest key question: ",
                join_words(held),
                sim,
                ".",
            )
        )
    overall = result.distributions.get("overall")
    if overall is not None and inp.observed is not None:
        p = float(overall[inp.observed])
        points.append(
            sentence(
                f"With a fresh sample of {inp.n} cases, {inp.pdu} would be rated ",
                RatingMention(inp.observed.label),
                f" again {chance(p)} of the time",
                sim,
                ".",
            )
        )
    else:  # an organisational delivery rating HMIP did not publish (never a simulated one)
        points.append(
            sentence(
                "How firm the overall rating is cannot be said: HMIP did not publish every "
                "organisational delivery rating, and inspectors' judgements are not simulated."
            )
        )
    near = result.key_questions[result.key_questions[[x.label for x in Rating]].max(axis=1) < 0.8]
    if len(near):  # none: nothing to say (issue 20: not "0 of 15 ... could change them")
        points.append(
            sentence(
                f"{len(near)} of {len(result.key_questions)} key questions have less than a 4 in 5 "
                "chance of truly being in the band they were given: one or two cases either way could "
                "change them",
                sim,
                ".",
            )
        )
    if simulated:
        points.append(
            sentence(
                "The published ratings are real; the case counts, shares and chances come from a simulated "
                "sample, because HMIP does not publish its cases, and are marked simulated."
            )
        )
    return points[:5]


#: Glossary terms this report uses (each is defined at its end).
GLOSSARY_TERMS = (
    *RATING_TERMS,
    "fresh sample",
    "firm",
    "Jeffreys",
    "Wilson",
    "disclosure control",
    "percentage point",
)


def methods(result: SampleSizeResult, *, framework: Framework | None = None) -> list[str]:
    """How each figure was made, naming the method and level."""
    kq = result.key_questions
    level = f"{100 * float(kq['level'].iloc[0]):g}%" if len(kq) else ""
    out = [
        f"Intervals for each key question's share: {kq['method'].iloc[0]}, {level} level."
        if len(kq)
        else "",
        "Chance that the true share lies in each band: Jeffreys posterior, Beta(k + 1/2, n - k + 1/2) for k "
        "of n cases sufficient"
        + (f", finite population of {result.inputs.caseload}" if result.inputs.caseload else "")
        + ".",
        "Chance of the same band with a fresh sample: posterior predictive beta-binomial (Jeffreys "
        "prior: a neutral starting assumption about the true share that lets the sample speak).",
        f"Each standard's rating with a fresh sample: {result.distributions['method']}.",
        "Overall rating with a fresh sample: exact convolution of the five case-sample standards, with the "
        "organisational delivery ratings held fixed and the standards treated as independent.",
        f"Chance of the correct band for each sample size: {result.sample_sizes['method'].iloc[0]}.",
        f"Shares are compared with {band_thresholds(framework)} without rounding (the lowest-banding rule).",
    ]
    return [m for m in out if m]


def standard_chances(result: SampleSizeResult) -> pd.DataFrame:
    """Each case-sample standard's chance of each rating with a fresh sample, one row per standard: the
    correlated distribution where case-level data allow it, otherwise the independent one (the method
    says which)."""
    table = result.distributions["table"]
    kinds = table["key_questions"].unique()
    chosen = next((k for k in kinds if k.startswith("correlated")), kinds[0])
    mine = table[table["key_questions"] == chosen].copy()
    mine.index = [label.split(": ")[0] for label in mine.index]
    return mine

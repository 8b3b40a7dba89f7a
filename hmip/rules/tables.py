"""Apply the rating rules to tables: counts -> standard ratings -> overall ratings per PDU."""

from __future__ import annotations

import pandas as pd

from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import (
    OverallResult,
    Rating,
    RatingError,
    explain,
    overall_rating,
    standard_rating,
)

#: Ratings as an ordered categorical: Inadequate < Requires improvement < Good < Outstanding.
RATING_DTYPE = pd.CategoricalDtype(Rating.labels(), ordered=True)


def rate_standards(
    counts: pd.DataFrame, *, rounding: str = "none", framework: Framework | None = None
) -> pd.DataFrame:
    """One row per pdu and case-sample standard: rating, code, limiting key question, its share and counts,
    and the plain-English explanation."""
    fw = framework_or_default(framework)
    rows = []
    for (pdu, std_id), g in counts.groupby(["pdu", "standard"], sort=False):
        std = fw.standard(std_id)
        kqs = {r.key_question: (int(r.yes), int(r.no)) for r in g.itertuples() if r.yes + r.no > 0}
        if not kqs:
            rows.append(
                {
                    "pdu": pdu,
                    "standard": std.id,
                    "rating": None,
                    "code": "n/a",
                    "limiting": None,
                    "limiting_share": float("nan"),
                    "limiting_yes": pd.NA,
                    "limiting_n": pd.NA,
                    "explanation": f"{std.name}: no applicable cases, so it cannot be rated from this sample.",
                }
            )
            continue
        result = standard_rating(kqs, standard=std.id, rounding=rounding, framework=fw)
        lim = result.limiting_result
        rows.append(
            {
                "pdu": pdu,
                "standard": std.id,
                "rating": result.rating.label,
                "code": result.rating.code,
                "limiting": lim.key_question,
                "limiting_share": lim.share,
                "limiting_yes": lim.yes,
                "limiting_n": lim.n,
                "explanation": explain(result, framework=fw),
            }
        )
    out = pd.DataFrame(rows)
    out["rating"] = pd.Categorical(out["rating"], dtype=RATING_DTYPE)
    return out


def combine_ratings(
    case_ratings: pd.DataFrame, other_ratings: pd.DataFrame, *, framework: Framework | None = None
) -> pd.DataFrame:
    """Case-sample ratings recomputed from cases, plus judgement ratings (domain one) from ``other_ratings``.

    Returns pdu, standard, rating, source ('recomputed from cases' or the other file's basis).
    """
    fw = framework_or_default(framework)
    rec = case_ratings[["pdu", "standard", "rating"]].assign(basis="recomputed from cases")
    judgement_ids = {s.id for s in fw.judgement_standards}
    other = other_ratings[other_ratings["standard"].isin(judgement_ids)][
        ["pdu", "standard", "rating", "basis"]
    ]
    other = other[other["pdu"].isin(rec["pdu"].unique())]
    out = pd.concat([other, rec], ignore_index=True)
    order = {s.id: i for i, s in enumerate(fw.standards)}
    out = out.sort_values(
        ["pdu", "standard"],
        key=lambda c: c.map(order) if c.name == "standard" else c,
        kind="stable",
    )
    out["rating"] = pd.Categorical(out["rating"].astype(object), dtype=RATING_DTYPE)
    return out.reset_index(drop=True)


def overall_for_pdu(
    ratings: pd.DataFrame, pdu: str, *, framework: Framework | None = None
) -> OverallResult | str:
    """The overall result for one PDU from a table of standard ratings, or a message saying why not."""
    fw = framework_or_default(framework)
    g = ratings[ratings["pdu"] == pdu]
    mapping = {}
    for r in g.itertuples():
        std = fw.standard(r.standard)
        if std.rated:
            mapping[std.id] = None if pd.isna(r.rating) else Rating.parse(r.rating)
    unknown = [fw.standard(s).name for s, v in mapping.items() if v is None and s != "court_work"]
    if unknown:
        return f"cannot recompute: no rating for {', '.join(unknown)}"
    try:
        return overall_rating(mapping, framework=fw)
    except RatingError as exc:
        return f"cannot recompute: {exc}"


def rate_pdus(ratings: pd.DataFrame, *, framework: Framework | None = None) -> pd.DataFrame:
    """One row per PDU: points, max_points, overall rating and code, and the explanation."""
    fw = framework_or_default(framework)
    rows = []
    for pdu in ratings["pdu"].drop_duplicates():
        res = overall_for_pdu(ratings, pdu, framework=fw)
        if isinstance(res, str):
            rows.append(
                {
                    "pdu": pdu,
                    "points": pd.NA,
                    "max_points": pd.NA,
                    "overall_rating": None,
                    "code": "?",
                    "explanation": res,
                }
            )
        else:
            rows.append(
                {
                    "pdu": pdu,
                    "points": res.points,
                    "max_points": res.max_points,
                    "overall_rating": res.rating.label,
                    "code": res.rating.code,
                    "explanation": explain(res, framework=fw),
                }
            )
    out = pd.DataFrame(rows)
    out["points"] = out["points"].astype("Int64")
    out["max_points"] = out["max_points"].astype("Int64")
    out["overall_rating"] = pd.Categorical(out["overall_rating"], dtype=RATING_DTYPE)
    return out

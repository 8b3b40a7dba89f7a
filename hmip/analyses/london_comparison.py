"""The London (regional) comparison report: what it computes and what it says.

:func:`prepare` takes the notebook's parameters, loads and validates the data, and returns one
:class:`LondonComparison` holding every table, the data behind every figure, and the findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hmip.analyses.params import check_choice, check_level, check_path, check_pdu
from hmip.data import loaders as d
from hmip.errors import FrameworkError, ParameterError
from hmip.rules.framework import Framework, default_framework
from hmip.rules.ratings import Rating
from hmip.rules.tables import combine_ratings, rate_pdus, rate_standards
from hmip.stats.funnel import (
    OVERDISPERSION_METHODS,
    distinguishable_pairs,
    funnel_table,
    rank_uncertainty,
)
from hmip.stats.intervals import INTERVAL_METHODS, share_table


# --- Summary table ------------------------------------------------------------------------------
def summary_table(
    published_overall: pd.DataFrame,
    ratings: pd.DataFrame,
    cases_per_pdu: pd.Series | None = None,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """One row per PDU: published rating (words and letters), points, the recomputed rating, and whether
    they match (a mismatch is shown, never hidden), and the number of cases."""
    fw = framework or default_framework()
    recomputed = rate_pdus(ratings, framework=fw).set_index("pdu")
    rows = []
    for r in published_overall.itertuples():
        rec = recomputed.loc[r.pdu] if r.pdu in recomputed.index else None
        pub = Rating.parse(r.overall_rating) if pd.notna(r.overall_rating) else None
        rec_rating = (
            None
            if rec is None or pd.isna(rec["overall_rating"])
            else Rating.parse(rec["overall_rating"])
        )
        if rec_rating is None:
            match = "cannot check"
        elif pub is None:
            match = "no published rating"
        elif rec_rating == pub and (pd.isna(r.points) or r.points == rec["points"]):
            match = "matches"
        else:
            match = "MISMATCH"
        rows.append(
            {
                "pdu": r.pdu,
                "published_rating": f"{pub.label} ({pub.code})" if pub else "unknown",
                "published_points": r.points,
                "recomputed_points": pd.NA if rec is None else rec["points"],
                "recomputed_rating": f"{rec_rating.label} ({rec_rating.code})"
                if rec_rating
                else ("no data" if rec is None else rec["explanation"]),
                "check": match,
                "cases": pd.NA if cases_per_pdu is None else cases_per_pdu.get(r.pdu, pd.NA),
            }
        )
    out = pd.DataFrame(rows)
    for c in ("published_points", "recomputed_points", "cases"):
        out[c] = out[c].astype("Int64")
    return out


def ratings_grid_table(
    ratings: pd.DataFrame, *, framework: Framework | None = None
) -> pd.DataFrame:
    """PDU x rated standard: the rating label, 'Not rated', or NaN where unknown (never a rating)."""
    fw = framework or default_framework()
    cols = [s.id for s in fw.rated_standards]
    grid = ratings.pivot_table(
        index="pdu",
        columns="standard",
        values="rating",
        aggfunc="first",
        observed=False,
        sort=False,
    )
    grid = grid.reindex(columns=cols).astype(object)
    order = list(dict.fromkeys(ratings["pdu"]))
    return grid.reindex(order)


# --- Findings in words -------------------------------------------------------------------------------
def findings(
    summary: pd.DataFrame,
    standard_ratings: pd.DataFrame,
    case_ratings: pd.DataFrame,
    funnel: pd.DataFrame | None = None,
    ranks: pd.DataFrame | None = None,
    *,
    measure: str = "",
    framework: Framework | None = None,
) -> list[str]:
    """Plain-English findings: what limited each PDU, mismatches, and what cannot be told apart."""
    fw = framework or default_framework()
    out = []
    overall = rate_pdus(standard_ratings, framework=fw).set_index("pdu")
    for r in summary.itertuples():
        if r.pdu in overall.index:
            out.append(f"{r.pdu}: {overall.loc[r.pdu, 'explanation']}")
        lim = case_ratings[(case_ratings["pdu"] == r.pdu) & case_ratings["rating"].notna()]
        if not lim.empty:
            worst = lim[lim["rating"] == lim["rating"].min()]
            parts = [
                f"{fw.standard(w.standard).name} (limited by '{fw.key_question(w.standard, w.limiting).short}', "
                f"{w.limiting_yes}/{w.limiting_n})"
                for w in worst.itertuples()
            ]
            out.append(f"{r.pdu}: its weakest case-sample standards are {'; '.join(parts)}.")
        if r.check == "MISMATCH":
            out.append(
                f"{r.pdu}: the recomputed rating ({r.recomputed_rating}) does NOT match the published "
                f"{r.published_rating}; check the data before relying on either."
            )
    if funnel is not None:
        inside = funnel.loc[~funnel["outside_95"], "pdu"].tolist()
        outside = funnel.loc[funnel["outside_95"], "pdu"].tolist()
        if inside:
            out.append(
                f"On {measure or 'the chosen measure'}, {', '.join(inside)} "
                f"{'is' if len(inside) == 1 else 'are'} within the 95% limits around the regional share "
                f"({funnel['target'].iloc[0]:.0%}): not distinguishable from chance variation at these sample sizes."
            )
        for p in outside:
            row = funnel[funnel["pdu"] == p].iloc[0]
            side = "above" if row["share"] > row["target"] else "below"
            beyond = " and the 99.8% limits" if row["outside_99.8"] else ""
            out.append(
                f"{p} is {side} the 95%{beyond} limits on {measure or 'the chosen measure'} "
                f"({row['share']:.0%} of {int(row['n'])} cases)."
            )
    if ranks is not None:
        pairs = distinguishable_pairs(ranks)
        total = len(ranks) * (len(ranks) - 1) // 2
        out.append(
            f"Of {total} pairs of PDUs, {len(pairs)} can be told apart by rank on {measure or 'this measure'} "
            f"(their 95% rank ranges do not overlap); league-table positions of the rest are not reliable."
        )
    return out


# --- Everything the comparison notebook needs, validated -----------------------------------------------
@dataclass
class ComparisonData:
    region: str
    published: pd.DataFrame  # published standard ratings (for the grid)
    overall: pd.DataFrame  # published overall ratings
    counts: pd.DataFrame  # key-question counts per PDU
    cases: pd.DataFrame | None  # case-level data, if given
    case_ratings: pd.DataFrame  # case-sample standards recomputed from the data
    ratings: pd.DataFrame  # recomputed case-sample + judgement ratings
    cases_per_pdu: pd.Series
    judgement: pd.DataFrame  # the file the domain-one ratings came from

    @property
    def loaded(self) -> tuple:
        return tuple(
            x
            for x in (self.published, self.overall, self.counts, self.cases, self.judgement)
            if x is not None
        )

    @property
    def pdus(self) -> list[str]:
        return list(dict.fromkeys(self.overall["pdu"].tolist() + self.counts["pdu"].tolist()))


def load_comparison(
    region: str | None = "London",
    *,
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    framework: Framework | None = None,
) -> ComparisonData:
    """Load and validate the data for a regional comparison (default: published + the simulated sample)."""
    fw = framework or default_framework()
    published = d.load_published(framework=fw)
    overall_all = published.attrs["overall"]
    if region is None:  # every region
        overall = overall_all.reset_index(drop=True)
    else:
        check_choice("region", region, sorted(overall_all["region"].unique()))
        overall = overall_all[overall_all["region"] == region].reset_index(drop=True)
    published = published[published["pdu"].isin(overall["pdu"])].reset_index(drop=True)
    cases_file, counts_file = (
        check_path("cases_path", cases_path),
        check_path("counts_path", counts_path),
    )
    if cases_file and counts_file:
        raise ParameterError("give cases_path or counts_path, not both")
    cases = None
    if counts_file:
        counts = d.load_counts(counts_file, framework=fw)
        cases_per_pdu = counts.groupby("pdu", sort=False)["n"].max()
    else:
        cases = d.load_cases(cases_file, framework=fw)
        counts = d.key_question_counts(cases, framework=fw)
        cases_per_pdu = cases.groupby("pdu", sort=False).size()
    judgement = (
        d.load_standard_ratings(check_path("ratings_path", ratings_path), framework=fw)
        if ratings_path
        else (d.load_simulated_ratings(framework=fw) if d.is_simulated(counts) else published)
    )
    case_ratings = rate_standards(counts, framework=fw)
    ratings = combine_ratings(case_ratings, judgement, framework=fw)
    return ComparisonData(
        region, published, overall, counts, cases, case_ratings, ratings, cases_per_pdu, judgement
    )


def measure_counts(
    data: ComparisonData, standard: str, key_question: str, *, framework: Framework | None = None
) -> pd.DataFrame:
    """The counts for one key question per PDU (validated names)."""
    fw = framework or default_framework()
    kq = fw.key_question(standard, key_question)
    sub = data.counts[
        (data.counts["standard"] == kq.standard_id) & (data.counts["key_question"] == kq.id)
    ]
    return sub[sub["n"] > 0].reset_index(drop=True)


def measure_label(standard: str, key_question: str, *, framework: Framework | None = None) -> str:
    fw = framework or default_framework()
    kq = fw.key_question(standard, key_question)
    return f"{fw.standard(standard).name}: {kq.short}"


@dataclass
class ComparisonOptions:
    highlight: str | None
    level: float
    interval_method: str
    standard: str
    key_question: str
    measure: str
    overdispersion: str
    parameters: dict


def load_inputs(
    *,
    region: str = "London",
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    highlight_pdu: str = "",
    confidence: float = 0.95,
    interval_method: str = "wilson",
    funnel_standard: str = "assessment",
    funnel_key_question: str = "safety",
    overdispersion: str = "none",
    framework: Framework | None = None,
) -> tuple[ComparisonData, ComparisonOptions]:
    """Validate the comparison notebook's parameters and load its data, with readable errors."""
    fw = framework or default_framework()
    params = dict(
        region=region,
        cases_path=cases_path or "(bundled simulated sample)",
        counts_path=counts_path,
        ratings_path=ratings_path,
        highlight_pdu=highlight_pdu,
        confidence=confidence,
        interval_method=interval_method,
        funnel_standard=funnel_standard,
        funnel_key_question=funnel_key_question,
        overdispersion=overdispersion,
    )
    level = check_level("confidence", confidence)
    check_choice("interval_method", interval_method, INTERVAL_METHODS)
    check_choice("overdispersion", overdispersion, OVERDISPERSION_METHODS)
    try:
        kq = fw.key_question(funnel_standard, funnel_key_question)
    except FrameworkError as exc:
        raise ParameterError(f"funnel_standard / funnel_key_question: {exc}") from None
    data = load_comparison(
        region,
        cases_path=cases_path,
        counts_path=counts_path,
        ratings_path=ratings_path,
        framework=fw,
    )
    highlight = check_pdu("highlight_pdu", highlight_pdu, data.pdus)
    opts = ComparisonOptions(
        highlight,
        level,
        interval_method,
        kq.standard_id,
        kq.id,
        measure_label(kq.standard_id, kq.id, framework=fw),
        overdispersion,
        {k: v for k, v in params.items() if v != ""},
    )
    return data, opts


def case_sample_standard_ids(framework: Framework | None = None) -> list[str]:
    return [s.id for s in (framework or default_framework()).case_sample_standards]


def funnel_summary(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel table for display: share, n, limits and whether each PDU is outside them."""
    out = pd.DataFrame(
        {
            "PDU": funnel["pdu"],
            "n": funnel["n"].astype(int),
            "share": funnel["share"],
            "target": funnel["target"],
            "lower 95%": funnel["lower_95"],
            "upper 95%": funnel["upper_95"],
            "lower 99.8%": funnel["lower_99.8"],
            "upper 99.8%": funnel["upper_99.8"],
            "outside 95%": funnel["outside_95"].map({True: "yes", False: "no"}),
            "outside 99.8%": funnel["outside_99.8"].map({True: "yes", False: "no"}),
        }
    )
    out["method"] = funnel["method"].to_numpy()
    out["flag rule"] = funnel["flag_method"].to_numpy()
    return out


@dataclass
class LondonComparison:
    """Everything the regional comparison report shows: tables, the data behind each figure, findings."""

    data: ComparisonData
    options: ComparisonOptions
    summary: pd.DataFrame  # published against recomputed overall ratings
    grid: pd.DataFrame  # PDU x standard ratings (published)
    shares: pd.DataFrame  # key-question shares with intervals
    funnel: pd.DataFrame  # the funnel table for the chosen measure
    ranks: pd.DataFrame  # rank ranges for the chosen measure
    findings: list[str]

    @property
    def parameters(self) -> dict:
        return self.options.parameters


def prepare(
    *,
    region: str = "London",
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    highlight_pdu: str = "",
    confidence: float = 0.95,
    interval_method: str = "wilson",
    funnel_standard: str = "assessment",
    funnel_key_question: str = "safety",
    overdispersion: str = "none",
    framework: Framework | None = None,
) -> LondonComparison:
    """Validate the notebook's parameters, load the data and compute everything the report shows."""
    fw = framework or default_framework()
    data, opts = load_inputs(
        region=region,
        cases_path=cases_path,
        counts_path=counts_path,
        ratings_path=ratings_path,
        highlight_pdu=highlight_pdu,
        confidence=confidence,
        interval_method=interval_method,
        funnel_standard=funnel_standard,
        funnel_key_question=funnel_key_question,
        overdispersion=overdispersion,
        framework=fw,
    )
    summary = summary_table(data.overall, data.ratings, data.cases_per_pdu, framework=fw)
    measure = measure_counts(data, opts.standard, opts.key_question, framework=fw)
    funnel = funnel_table(measure, overdispersion_method=opts.overdispersion)
    ranks = rank_uncertainty(measure, level=opts.level)
    return LondonComparison(
        data=data,
        options=opts,
        summary=summary,
        grid=ratings_grid_table(data.published, framework=fw),
        shares=share_table(data.counts, level=opts.level, method=opts.interval_method),
        funnel=funnel,
        ranks=ranks,
        findings=findings(
            summary,
            data.ratings,
            data.case_ratings,
            funnel,
            ranks,
            measure=opts.measure,
            framework=fw,
        ),
    )

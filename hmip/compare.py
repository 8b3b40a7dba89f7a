"""Compare PDUs: summary table, ratings grid, funnel plot statistics, rank uncertainty, findings in words.

Funnel limits follow Spiegelhalter (2005), "Funnel plots for comparing institutional performance",
Stat Med 24:1185: exact binomial limits with interpolation between whole counts, at 95% and 99.8%,
and an optional overdispersion adjustment (multiplicative, from 10%-winsorised z-scores; or additive,
a DerSimonian-Laird style tau-squared).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hmip.framework import Framework, default_framework
from hmip.intervals import check_level
from hmip.rate import rate_pdus
from hmip.rules import Rating

FUNNEL_LEVELS = (0.95, 0.998)
OVERDISPERSION_METHODS = ("none", "multiplicative", "additive")


class CompareError(ValueError):
    pass


# --- 1. Summary table ------------------------------------------------------------------------------
def summary_table(published_overall: pd.DataFrame, ratings: pd.DataFrame, cases_per_pdu: pd.Series | None = None, *,
                  framework: Framework | None = None) -> pd.DataFrame:
    """One row per PDU: published rating (words and letters), points, the recomputed rating, and whether
    they match (a mismatch is shown, never hidden), and the number of cases."""
    fw = framework or default_framework()
    recomputed = rate_pdus(ratings, framework=fw).set_index("pdu")
    rows = []
    for r in published_overall.itertuples():
        rec = recomputed.loc[r.pdu] if r.pdu in recomputed.index else None
        pub = Rating.parse(r.overall_rating) if pd.notna(r.overall_rating) else None
        rec_rating = None if rec is None or pd.isna(rec["overall_rating"]) else Rating.parse(rec["overall_rating"])
        if rec_rating is None:
            match = "cannot check"
        elif pub is None:
            match = "no published rating"
        elif rec_rating == pub and (pd.isna(r.points) or r.points == rec["points"]):
            match = "matches"
        else:
            match = "MISMATCH"
        rows.append({
            "pdu": r.pdu,
            "published_rating": f"{pub.label} ({pub.code})" if pub else "unknown",
            "published_points": r.points,
            "recomputed_points": pd.NA if rec is None else rec["points"],
            "recomputed_rating": f"{rec_rating.label} ({rec_rating.code})" if rec_rating else
                                 ("no data" if rec is None else rec["explanation"]),
            "check": match,
            "cases": pd.NA if cases_per_pdu is None else cases_per_pdu.get(r.pdu, pd.NA),
        })
    out = pd.DataFrame(rows)
    for c in ("published_points", "recomputed_points", "cases"):
        out[c] = out[c].astype("Int64")
    return out


def ratings_grid_table(ratings: pd.DataFrame, *, framework: Framework | None = None) -> pd.DataFrame:
    """PDU x rated standard: the rating label, 'Not rated', or NaN where unknown (never a rating)."""
    fw = framework or default_framework()
    cols = [s.id for s in fw.rated_standards]
    grid = ratings.pivot_table(index="pdu", columns="standard", values="rating", aggfunc="first", observed=False, sort=False)
    grid = grid.reindex(columns=cols).astype(object)
    order = list(dict.fromkeys(ratings["pdu"]))
    return grid.reindex(order)


# --- 2. Funnel plot ---------------------------------------------------------------------------------
def funnel_limits(target: float, n, level: float = 0.95):
    """(lower, upper) control limits for a share around ``target`` with ``n`` cases.

    Exact binomial with Spiegelhalter's interpolation: r_p is the smallest count with
    P(R <= r_p) >= p, alpha = (P(R <= r_p) - p) / P(R = r_p), and the limit is (r_p - alpha) / n.
    E.g. target 0.65, n = 42: the 95% limits are about 0.490 and 0.780.
    """
    check_level(level)
    if not 0 < target < 1:
        raise CompareError(f"target share {target} must be strictly between 0 and 1")
    n = np.asarray(n, dtype=float)
    out = []
    for p in ((1 - level) / 2, 1 - (1 - level) / 2):
        r = stats.binom.ppf(p, n, target)
        f_r = stats.binom.cdf(r, n, target)
        f_r1 = stats.binom.cdf(r - 1, n, target)
        alpha = (f_r - p) / np.where(f_r - f_r1 > 0, f_r - f_r1, 1)
        out.append(np.clip((r - alpha) / n, 0, 1))
    lo, hi = out
    return (float(lo), float(hi)) if lo.ndim == 0 else (lo, hi)


def overdispersion(yes, n, target: float, *, method: str = "multiplicative", winsorise: float = 0.1) -> dict:
    """Estimate overdispersion from z-scores winsorised at ``winsorise`` (Spiegelhalter 2005).

    Returns phi (multiplicative factor; 1 = none), tau2 (additive between-PDU variance), the
    chi-squared test of phi (I-1 df) and the method.
    """
    if method not in OVERDISPERSION_METHODS:
        raise CompareError(f"overdispersion '{method}' is not known; accepted: {', '.join(OVERDISPERSION_METHODS)}")
    yes, n = np.asarray(yes, dtype=float), np.asarray(n, dtype=float)
    share = yes / n
    s2 = target * (1 - target) / n
    z = (share - target) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsorise, 1 - winsorise])
    zw = np.clip(z, lo, hi)
    k = len(z)
    phi = float(np.mean(zw ** 2))
    w = 1 / s2
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w ** 2).sum() / w.sum())) if k > 1 else 0.0
    p_value = float(stats.chi2.sf(k * phi, k - 1)) if k > 1 else float("nan")
    return {"phi": phi, "tau2": tau2, "p_value": p_value, "method": method, "units": k,
            "description": (f"phi = {phi:.2f} from {100 * winsorise:g}%-winsorised z-scores (chi-squared test p = {p_value:.3f})"
                            if method == "multiplicative" else
                            f"tau-squared = {tau2:.4f} (additive random effect; phi = {phi:.2f})" if method == "additive" else "none")}


def control_limits(target: float, n, level: float, od: dict | None = None):
    """Funnel limits with or without an overdispersion adjustment (``od`` as from :func:`overdispersion`).

    Exact binomial limits unless adjusted; adjusted limits use the normal approximation (Spiegelhalter 2005),
    and a multiplicative phi of 1 or less leaves the exact limits in place.
    """
    method = (od or {}).get("method", "none")
    if method == "none" or (method == "multiplicative" and od["phi"] <= 1):
        return funnel_limits(target, n, level)
    zq = stats.norm.ppf(1 - (1 - level) / 2)
    var = target * (1 - target) / np.asarray(n, dtype=float)
    var = var * od["phi"] if method == "multiplicative" else var + od["tau2"]
    return np.clip(target - zq * np.sqrt(var), 0, 1), np.clip(target + zq * np.sqrt(var), 0, 1)


def funnel_table(counts: pd.DataFrame, *, target: float | None = None, levels=FUNNEL_LEVELS,
                 overdispersion_method: str = "none") -> pd.DataFrame:
    """Per unit (rows of ``counts`` with yes, n): share, z-score, limits at each level, and which are outside.

    ``target`` defaults to the pooled share. With overdispersion the limits widen (normal approximation
    as in Spiegelhalter 2005), and ``attrs["overdispersion"]`` reports the estimate.
    """
    yes, n = counts["yes"].to_numpy(float), counts["n"].to_numpy(float)
    if (n <= 0).any():
        raise CompareError("every unit in a funnel plot needs at least one case")
    theta = float(yes.sum() / n.sum()) if target is None else float(target)
    if not 0 < theta < 1:
        raise CompareError(f"the target share is {theta:.2f}: a funnel plot needs a target strictly between 0 and 1")
    od = overdispersion(yes, n, theta, method=overdispersion_method if overdispersion_method != "none" else "multiplicative")
    out = counts.copy()
    out["share"] = yes / n
    out["target"] = theta
    out["z"] = (out["share"] - theta) / np.sqrt(theta * (1 - theta) / n)
    flags = []
    used = od if overdispersion_method != "none" else {"method": "none"}
    for level in levels:
        tag = f"{100 * level:g}"
        lo, hi = control_limits(theta, n, level, used)
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
        out[f"outside_{tag}"] = (out["share"] < lo) | (out["share"] > hi)
        flags.append(tag)
    out.attrs["overdispersion"] = od if overdispersion_method != "none" else {"method": "none", "phi": od["phi"],
                                                                              "description": f"no adjustment (estimated phi = {od['phi']:.2f})"}
    out.attrs["method"] = ("exact binomial limits with Spiegelhalter interpolation" if overdispersion_method == "none"
                           else f"limits adjusted for overdispersion ({overdispersion_method})")
    out.attrs["target"] = theta
    return out


# --- 3. Rank uncertainty -----------------------------------------------------------------------------
def rank_uncertainty(counts: pd.DataFrame, *, label: str = "pdu", draws: int = 4000, level: float = 0.95,
                     seed: int = 2022, prior=(0.5, 0.5)) -> pd.DataFrame:
    """A plausible range for each unit's rank (1 = highest share) from seeded Jeffreys posterior draws."""
    check_level(level)
    rng = np.random.default_rng(seed)
    yes, n = counts["yes"].to_numpy(float), counts["n"].to_numpy(float)
    theta = rng.beta(yes + prior[0], n - yes + prior[1], size=(draws, len(yes)))
    ranks = (-theta).argsort(axis=1).argsort(axis=1) + 1
    q = (1 - level) / 2
    share = yes / n
    out = pd.DataFrame({
        label: counts[label].to_numpy(),
        "share": share,
        "n": n.astype(int),
        "rank": stats.rankdata(-share, method="min").astype(int),
        "median_rank": np.median(ranks, axis=0),
        "rank_lower": np.quantile(ranks, q, axis=0, method="lower").astype(int),
        "rank_upper": np.quantile(ranks, 1 - q, axis=0, method="higher").astype(int),
        "p_top": (ranks == 1).mean(axis=0),
    })
    out["method"] = f"ranks of {draws} seeded draws from Jeffreys posteriors; {100 * level:g}% range"
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


def distinguishable_pairs(ranks: pd.DataFrame, label: str = "pdu") -> list[tuple[str, str]]:
    """Pairs whose rank ranges do not overlap (they can be told apart)."""
    pairs = []
    rows = list(ranks.itertuples())
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if a.rank_upper < b.rank_lower or b.rank_upper < a.rank_lower:
                pairs.append((getattr(a, label), getattr(b, label)))
    return pairs


# --- 4. Findings in words -------------------------------------------------------------------------------
def findings(summary: pd.DataFrame, standard_ratings: pd.DataFrame, case_ratings: pd.DataFrame,
             funnel: pd.DataFrame | None = None, ranks: pd.DataFrame | None = None, *, measure: str = "",
             framework: Framework | None = None) -> list[str]:
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
            parts = [f"{fw.standard(w.standard).name} (limited by '{fw.key_question(w.standard, w.limiting).short}', "
                     f"{w.limiting_yes}/{w.limiting_n})" for w in worst.itertuples()]
            out.append(f"{r.pdu}: its weakest case-sample standards are {'; '.join(parts)}.")
        if r.check == "MISMATCH":
            out.append(f"{r.pdu}: the recomputed rating ({r.recomputed_rating}) does NOT match the published "
                       f"{r.published_rating}; check the data before relying on either.")
    if funnel is not None:
        inside = funnel.loc[~funnel["outside_95"], "pdu"].tolist()
        outside = funnel.loc[funnel["outside_95"], "pdu"].tolist()
        if inside:
            out.append(f"On {measure or 'the chosen measure'}, {', '.join(inside)} "
                       f"{'is' if len(inside) == 1 else 'are'} within the 95% limits around the regional share "
                       f"({funnel.attrs['target']:.0%}): not distinguishable from chance variation at these sample sizes.")
        for p in outside:
            row = funnel[funnel["pdu"] == p].iloc[0]
            side = "above" if row["share"] > row["target"] else "below"
            beyond = " and the 99.8% limits" if row["outside_99.8"] else ""
            out.append(f"{p} is {side} the 95%{beyond} limits on {measure or 'the chosen measure'} "
                       f"({row['share']:.0%} of {int(row['n'])} cases).")
    if ranks is not None:
        pairs = distinguishable_pairs(ranks)
        total = len(ranks) * (len(ranks) - 1) // 2
        out.append(f"Of {total} pairs of PDUs, {len(pairs)} can be told apart by rank on {measure or 'this measure'} "
                   f"(their 95% rank ranges do not overlap); league-table positions of the rest are not reliable.")
    return out


# --- 5. Everything the comparison notebook needs, validated -----------------------------------------------
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
        return tuple(x for x in (self.published, self.overall, self.counts, self.cases, self.judgement) if x is not None)

    @property
    def pdus(self) -> list[str]:
        return list(dict.fromkeys(self.overall["pdu"].tolist() + self.counts["pdu"].tolist()))


def load_comparison(region: str | None = "London", *, cases_path: str = "", counts_path: str = "", ratings_path: str = "",
                    framework: Framework | None = None) -> ComparisonData:
    """Load and validate the data for a regional comparison (default: published + the simulated sample)."""
    from hmip import data as d
    from hmip.params import ParameterError, check_choice, check_path
    from hmip.rate import combine_ratings, rate_standards

    fw = framework or default_framework()
    published = d.load_published(framework=fw)
    overall_all = published.attrs["overall"]
    if region is None:  # every region
        overall = overall_all.reset_index(drop=True)
    else:
        check_choice("region", region, sorted(overall_all["region"].unique()))
        overall = overall_all[overall_all["region"] == region].reset_index(drop=True)
    published = published[published["pdu"].isin(overall["pdu"])].reset_index(drop=True)
    cases_file, counts_file = check_path("cases_path", cases_path), check_path("counts_path", counts_path)
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
    judgement = d.load_standard_ratings(check_path("ratings_path", ratings_path), framework=fw) if ratings_path else \
        (d.load_simulated_ratings(framework=fw) if d.is_simulated(counts) else published)
    case_ratings = rate_standards(counts, framework=fw)
    ratings = combine_ratings(case_ratings, judgement, framework=fw)
    return ComparisonData(region, published, overall, counts, cases, case_ratings, ratings, cases_per_pdu, judgement)


def measure_counts(data: ComparisonData, standard: str, key_question: str, *, framework: Framework | None = None) -> pd.DataFrame:
    """The counts for one key question per PDU (validated names)."""
    fw = framework or default_framework()
    kq = fw.key_question(standard, key_question)
    sub = data.counts[(data.counts["standard"] == kq.standard_id) & (data.counts["key_question"] == kq.id)]
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


def prepare(*, region: str = "London", cases_path: str = "", counts_path: str = "", ratings_path: str = "",
            highlight_pdu: str = "", confidence: float = 0.95, interval_method: str = "wilson",
            funnel_standard: str = "assessment", funnel_key_question: str = "safety", overdispersion: str = "none",
            framework: Framework | None = None) -> tuple[ComparisonData, ComparisonOptions]:
    """Validate the comparison notebook's parameters and load its data, with readable errors."""
    from hmip.framework import FrameworkError
    from hmip.intervals import INTERVAL_METHODS
    from hmip.params import ParameterError, check_choice, check_level, check_pdu

    fw = framework or default_framework()
    params = dict(region=region, cases_path=cases_path or "(bundled simulated sample)", counts_path=counts_path,
                  ratings_path=ratings_path, highlight_pdu=highlight_pdu, confidence=confidence,
                  interval_method=interval_method, funnel_standard=funnel_standard,
                  funnel_key_question=funnel_key_question, overdispersion=overdispersion)
    level = check_level("confidence", confidence)
    check_choice("interval_method", interval_method, INTERVAL_METHODS)
    check_choice("overdispersion", overdispersion, OVERDISPERSION_METHODS)
    try:
        kq = fw.key_question(funnel_standard, funnel_key_question)
    except FrameworkError as exc:
        raise ParameterError(f"funnel_standard / funnel_key_question: {exc}") from None
    data = load_comparison(region, cases_path=cases_path, counts_path=counts_path, ratings_path=ratings_path, framework=fw)
    highlight = check_pdu("highlight_pdu", highlight_pdu, data.pdus)
    opts = ComparisonOptions(highlight, level, interval_method, kq.standard_id, kq.id,
                             measure_label(kq.standard_id, kq.id, framework=fw), overdispersion,
                             {k: v for k, v in params.items() if v != ""})
    return data, opts




def case_sample_standard_ids(framework: Framework | None = None) -> list[str]:
    return [s.id for s in (framework or default_framework()).case_sample_standards]


def funnel_summary(funnel: pd.DataFrame) -> pd.DataFrame:
    """The funnel table for display: share, n, limits and whether each PDU is outside them."""
    out = pd.DataFrame({
        "PDU": funnel["pdu"], "n": funnel["n"].astype(int), "share": funnel["share"], "target": funnel["target"],
        "lower 95%": funnel["lower_95"], "upper 95%": funnel["upper_95"],
        "lower 99.8%": funnel["lower_99.8"], "upper 99.8%": funnel["upper_99.8"],
        "outside 95%": funnel["outside_95"].map({True: "yes", False: "no"}),
        "outside 99.8%": funnel["outside_99.8"].map({True: "yes", False: "no"}),
    })
    out["method"] = funnel.attrs["method"]
    return out

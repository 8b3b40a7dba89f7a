"""Compare PDUs: summary table, ratings grid, funnel plot statistics, rank uncertainty, findings in words.

Funnel limits follow Spiegelhalter (2005), "Funnel plots for comparing institutional performance",
Stat Med 24:1185: exact binomial limits with interpolation between whole counts, at 95% and 99.8%,
and an optional overdispersion adjustment (multiplicative, from 10%-winsorised z-scores; or additive,
a DerSimonian-Laird style tau-squared).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from hmip.errors import StatisticsError
from hmip.stats import DEFAULT_SEED
from hmip.stats.intervals import check_level

FUNNEL_LEVELS = (0.95, 0.998)
OVERDISPERSION_METHODS = ("none", "multiplicative", "additive")


class CompareError(StatisticsError):
    pass


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


def overdispersion(
    yes, n, target: float, *, method: str = "multiplicative", winsorise: float = 0.1
) -> dict:
    """Estimate overdispersion from z-scores winsorised at ``winsorise`` (Spiegelhalter 2005).

    Returns phi (multiplicative factor; 1 = none), tau2 (additive between-PDU variance), the
    chi-squared test of phi (I-1 df) and the method.
    """
    if method not in OVERDISPERSION_METHODS:
        raise CompareError(
            f"overdispersion '{method}' is not known; accepted: {', '.join(OVERDISPERSION_METHODS)}"
        )
    yes, n = np.asarray(yes, dtype=float), np.asarray(n, dtype=float)
    share = yes / n
    s2 = target * (1 - target) / n
    z = (share - target) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsorise, 1 - winsorise])
    zw = np.clip(z, lo, hi)
    k = len(z)
    phi = float(np.mean(zw**2))
    w = 1 / s2
    tau2 = max(0.0, (k * phi - (k - 1)) / (w.sum() - (w**2).sum() / w.sum())) if k > 1 else 0.0
    p_value = float(stats.chi2.sf(k * phi, k - 1)) if k > 1 else float("nan")
    return {
        "phi": phi,
        "tau2": tau2,
        "p_value": p_value,
        "method": method,
        "units": k,
        "description": (
            f"phi = {phi:.2f} from {100 * winsorise:g}%-winsorised z-scores (chi-squared test p = {p_value:.3f})"
            if method == "multiplicative"
            else f"tau-squared = {tau2:.4f} (additive random effect; phi = {phi:.2f})"
            if method == "additive"
            else "none"
        ),
    }


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


def funnel_table(
    counts: pd.DataFrame,
    *,
    target: float | None = None,
    levels=FUNNEL_LEVELS,
    overdispersion_method: str = "none",
) -> pd.DataFrame:
    """Per unit (rows of ``counts`` with yes, n): share, z-score, limits at each level, and which are outside.

    ``target`` defaults to the pooled share. With overdispersion the limits widen (normal approximation
    as in Spiegelhalter 2005), and ``attrs["overdispersion"]`` reports the estimate.
    """
    yes, n = counts["yes"].to_numpy(float), counts["n"].to_numpy(float)
    if (n <= 0).any():
        raise CompareError("every unit in a funnel plot needs at least one case")
    theta = float(yes.sum() / n.sum()) if target is None else float(target)
    if not 0 < theta < 1:
        raise CompareError(
            f"the target share is {theta:.2f}: a funnel plot needs a target strictly between 0 and 1"
        )
    od = overdispersion(
        yes,
        n,
        theta,
        method=overdispersion_method if overdispersion_method != "none" else "multiplicative",
    )
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
    out.attrs["overdispersion"] = (
        od
        if overdispersion_method != "none"
        else {
            "method": "none",
            "phi": od["phi"],
            "description": f"no adjustment (estimated phi = {od['phi']:.2f})",
        }
    )
    out.attrs["method"] = (
        "exact binomial limits with Spiegelhalter interpolation"
        if overdispersion_method == "none"
        else f"limits adjusted for overdispersion ({overdispersion_method})"
    )
    out.attrs["target"] = theta
    return out


# --- 3. Rank uncertainty -----------------------------------------------------------------------------
def rank_uncertainty(
    counts: pd.DataFrame,
    *,
    label: str = "pdu",
    draws: int = 4000,
    level: float = 0.95,
    seed: int = DEFAULT_SEED,
    prior=(0.5, 0.5),
) -> pd.DataFrame:
    """A plausible range for each unit's rank (1 = highest share) from seeded Jeffreys posterior draws."""
    check_level(level)
    rng = np.random.default_rng(seed)
    yes, n = counts["yes"].to_numpy(float), counts["n"].to_numpy(float)
    theta = rng.beta(yes + prior[0], n - yes + prior[1], size=(draws, len(yes)))
    ranks = (-theta).argsort(axis=1).argsort(axis=1) + 1
    q = (1 - level) / 2
    share = yes / n
    out = pd.DataFrame(
        {
            label: counts[label].to_numpy(),
            "share": share,
            "n": n.astype(int),
            "rank": stats.rankdata(-share, method="min").astype(int),
            "median_rank": np.median(ranks, axis=0),
            "rank_lower": np.quantile(ranks, q, axis=0, method="lower").astype(int),
            "rank_upper": np.quantile(ranks, 1 - q, axis=0, method="higher").astype(int),
            "p_top": (ranks == 1).mean(axis=0),
        }
    )
    out["method"] = (
        f"ranks of {draws} seeded draws from Jeffreys posteriors; {100 * level:g}% range"
    )
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


def distinguishable_pairs(ranks: pd.DataFrame, label: str = "pdu") -> list[tuple[str, str]]:
    """Pairs whose rank ranges do not overlap (they can be told apart)."""
    pairs = []
    rows = list(ranks.itertuples())
    for i, a in enumerate(rows):
        for b in rows[i + 1 :]:
            if a.rank_upper < b.rank_lower or b.rank_upper < a.rank_lower:
                pairs.append((getattr(a, label), getattr(b, label)))
    return pairs

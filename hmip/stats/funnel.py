"""Compare units on one measure: funnel-plot limits and flags, overdispersion, rank uncertainty.

Whether a unit is outside the funnel is decided from the exact binomial tail probabilities at the
level the plot names: with x of n sufficient around a target p, a unit is above the 95% limits iff
P(X >= x) < 0.025 and below them iff P(X <= x) < 0.025 (99.8%: 0.001). What is DRAWN is the same
rule: for each n, the limits are steps halfway between the last count inside and the first count
outside, (x_hi + 1/2) / n above and (x_lo - 1/2) / n below (:func:`step_limits`), so a unit is
flagged outside iff it lies beyond the drawn line, at every n (at p = 0.65 and n = 42, 33/42 is
inside, P(X >= 33) = 0.043, and the line is drawn at 33.5/42 = 0.798). Spiegelhalter's (2005)
interpolated limits ("Funnel plots for comparing institutional performance", Stat Med 24:1185) are
still given by :func:`funnel_limits` for reference; they are not drawn, as they put the boundary
count (33/42 = 0.786 against a limit of 0.780) beyond a line that does not flag it.

Overdispersion (optional): a multiplicative factor phi from 10%-winsorised z-scores, or an additive
between-unit variance tau-squared (DerSimonian-Laird style). One rule for both: the limits are
adjusted only when overdispersion is estimated, phi > 1 (which makes tau-squared > 0 too); otherwise
the exact limits stay and the output says "no adjustment needed (phi = ...)". Adjusted limits and
flags use the normal approximation with the widened variance (Spiegelhalter 2005).

Every result is a tidy ``DataFrame`` naming its method (:data:`hmip.stats.results.METHOD_LABELS`) and
level, or a small frozen dataclass (:class:`Overdispersion`); nothing travels in ``attrs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from hmip.errors import StatisticsError
from hmip.stats import DEFAULT_SEED
from hmip.stats.checks import beta_prior, counts_table, proportion, whole_number, whole_numbers
from hmip.stats.results import check_level, method_label, with_interval

FUNNEL_LEVELS = (0.95, 0.998)
OVERDISPERSION_METHODS = ("none", "multiplicative", "additive")
JEFFREYS = (0.5, 0.5)


class CompareError(StatisticsError):
    """An argument to a funnel or rank function is not accepted."""


def _check_target(target: object) -> float:
    return proportion("target", target, open_low=True, open_high=True, error=CompareError)


def _check_method(method: object) -> str:
    if not isinstance(method, str) or method not in OVERDISPERSION_METHODS:
        raise CompareError(
            f"overdispersion method {method!r} is not known; accepted: {', '.join(OVERDISPERSION_METHODS)}"
        )
    return method


def _level_tag(level: float) -> str:
    return f"{100 * level:g}"


# --- Overdispersion --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Overdispersion:
    """The overdispersion estimate of a set of units and the adjustment it leads to.

    ``method`` is the method asked for; ``adjustment`` the one applied: limits are adjusted only when
    overdispersion is estimated (phi > 1 with at least two units), whichever method was asked for.
    """

    method: str  # asked for: none, multiplicative or additive
    phi: float  # mean squared winsorised z-score; 1 = as much spread as chance gives
    tau2: float  # additive between-unit variance (DerSimonian-Laird style); 0 = none
    p_value: float  # chi-squared test of phi (units - 1 df); NaN with one unit
    units: int
    winsorise: float

    @property
    def adjustment(self) -> str:
        """The adjustment applied: 'none', 'multiplicative' or 'additive'."""
        if self.method == "none" or self.units < 2 or self.phi <= 1:
            return "none"
        return self.method

    @property
    def limits_method(self) -> str:
        """The METHOD_LABELS key of the limits this estimate leads to."""
        return "funnel-exact" if self.adjustment == "none" else f"funnel-{self.adjustment}"

    @property
    def flag_method(self) -> str:
        """The METHOD_LABELS key of the rule that flags units outside those limits."""
        return "funnel-flag-exact" if self.adjustment == "none" else "funnel-flag-normal"

    @property
    def description(self) -> str:
        test = f"chi-squared test p = {self.p_value:.3f}" if self.units > 1 else "one unit"
        if self.method == "none":
            return f"not adjusted (no overdispersion method chosen; phi = {self.phi:.2f})"
        if self.units < 2:
            return f"no adjustment possible with one unit (phi = {self.phi:.2f})"
        if self.adjustment == "none":
            return (
                f"no adjustment needed (phi = {self.phi:.2f} <= 1: no more spread than chance); "
                "exact limits kept"
            )
        if self.adjustment == "multiplicative":
            return (
                f"phi = {self.phi:.2f} from {100 * self.winsorise:g}%-winsorised z-scores ({test}); "
                "variance multiplied by phi"
            )
        return (
            f"tau-squared = {self.tau2:.4f} (additive random effect; phi = {self.phi:.2f}, {test})"
        )


def _counts_arrays(yes: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    k = whole_numbers("yes", yes, error=CompareError)
    m = whole_numbers("n", n, minimum=1, error=CompareError)
    if k.shape != m.shape:
        raise CompareError(f"yes has {k.size} values and n has {m.size}; give one of each per unit")
    if (k > m).any():
        i = int(np.nonzero(k > m)[0][0])
        raise CompareError(
            f"unit {i + 1}: yes = {k[i]} is more than n = {m[i]}; accepted: 0 <= yes <= n"
        )
    return k, m


def _estimate(
    k: np.ndarray, m: np.ndarray, target: float, method: str, winsorise: float
) -> Overdispersion:
    s2 = target * (1 - target) / m
    z = (k / m - target) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsorise, 1 - winsorise])
    zw = np.clip(z, lo, hi)
    units = len(z)
    phi = float(np.mean(zw**2))
    w = 1 / s2
    tau2 = (
        max(0.0, (units * phi - (units - 1)) / (w.sum() - (w**2).sum() / w.sum()))
        if units > 1
        else 0.0
    )
    p_value = float(stats.chi2.sf(units * phi, units - 1)) if units > 1 else float("nan")
    return Overdispersion(method, phi, float(tau2), p_value, units, winsorise)


def overdispersion(
    yes: ArrayLike,
    n: ArrayLike,
    target: float,
    *,
    method: str = "multiplicative",
    winsorise: float = 0.1,
) -> Overdispersion:
    """Estimate overdispersion from z-scores winsorised at ``winsorise`` (Spiegelhalter 2005).

    phi is the mean squared winsorised z-score (1 = no more spread than chance), tau2 the additive
    between-unit variance, with the chi-squared test of phi on units - 1 degrees of freedom.
    """
    method = _check_method(method)
    k, m = _counts_arrays(yes, n)
    target = _check_target(target)
    if (
        isinstance(winsorise, bool)
        or not isinstance(winsorise, int | float)
        or not 0 <= winsorise < 0.5
    ):
        raise CompareError(
            f"winsorise = {winsorise!r} is not accepted; give a proportion from 0 to below 0.5"
        )
    return _estimate(k, m, target, method, float(winsorise))


# --- Funnel limits -----------------------------------------------------------------------------------
def _exact_limits(target: float, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Spiegelhalter's interpolated exact binomial limits: r_p is the smallest count with
    P(R <= r_p) >= p, alpha = (P(R <= r_p) - p) / P(R = r_p), and the limit is (r_p - alpha) / n."""
    n = n.astype(float)
    out = []
    for p in ((1 - level) / 2, 1 - (1 - level) / 2):
        r = stats.binom.ppf(p, n, target)
        f_r = stats.binom.cdf(r, n, target)
        f_r1 = stats.binom.cdf(r - 1, n, target)
        alpha = (f_r - p) / np.where(f_r - f_r1 > 0, f_r - f_r1, 1)
        out.append(np.clip((r - alpha) / n, 0, 1))
    return out[0], out[1]


def _smooth_limits(
    target: float, n: np.ndarray, level: float, adjustment: str, phi: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Interpolated exact limits, or the adjusted normal limits: where the steps are looked for."""
    if adjustment == "none":
        return _exact_limits(target, n, level)
    zq = stats.norm.ppf(1 - (1 - level) / 2)
    sd = _adjusted_sd(target, n, adjustment, phi, tau2)
    return np.clip(target - zq * sd, 0, 1), np.clip(target + zq * sd, 0, 1)


def _tails(
    yes: np.ndarray, n: np.ndarray, target: float, adjustment: str, phi: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """(P(X >= yes), P(X <= yes)): exact binomial, or normal with the adjusted variance. The one
    computation both the flags and the drawn limits are made from."""
    if adjustment == "none":
        return stats.binom.sf(yes - 1, n, target), stats.binom.cdf(yes, n, target)
    z_adj = (yes / n - target) / _adjusted_sd(target, n, adjustment, phi, tau2)
    return stats.norm.sf(z_adj), stats.norm.cdf(z_adj)


def _inside_counts(
    target: float, n: np.ndarray, level: float, adjustment: str, phi: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per n: the lowest and the highest count the flag rule leaves inside (-1 / n + 1: none)."""
    tail = (1 - level) / 2
    n, back = np.unique(np.asarray(n, dtype=int), return_inverse=True)
    lo_guess, hi_guess = _smooth_limits(target, n, level, adjustment, phi, tau2)
    x_lo, x_hi = np.empty(len(n), dtype=int), np.empty(len(n), dtype=int)
    for i, m in enumerate(n):
        for guess, high in ((hi_guess[i], True), (lo_guess[i], False)):
            centre = int(guess * m)
            xs = np.arange(max(0, centre - 3), min(m, centre + 3) + 1)
            at_least, at_most = _tails(xs, np.full(len(xs), m), target, adjustment, phi, tau2)
            ok = (at_least >= tail) & (at_most >= tail)
            open_edge = (xs[-1] < m and ok[-1]) if high else (xs[0] > 0 and ok[0])
            if not ok.any() or open_edge:  # the guess missed the edge: look at every count
                xs = np.arange(m + 1)
                at_least, at_most = _tails(xs, np.full(m + 1, m), target, adjustment, phi, tau2)
                ok = (at_least >= tail) & (at_most >= tail)
            inside = xs[ok]
            if high:
                x_hi[i] = inside.max() if inside.size else -1
            else:
                x_lo[i] = inside.min() if inside.size else m + 1
    return x_lo[back], x_hi[back]


def _limits(
    target: float, n: np.ndarray, level: float, adjustment: str, phi: float, tau2: float
) -> tuple[np.ndarray, np.ndarray]:
    """The limits DRAWN and shown: steps halfway between the last count inside and the first outside,
    so that a share is beyond the line iff the flag rule puts it outside."""
    x_lo, x_hi = _inside_counts(target, n, level, adjustment, phi, tau2)
    m = n.astype(float)
    return np.clip((x_lo - 0.5) / m, 0, 1), np.clip((x_hi + 0.5) / m, 0, 1)


def step_limits(
    target: float, n: ArrayLike, level: float = 0.95, od: Overdispersion | None = None
) -> pd.DataFrame:
    """For each n: the lowest and highest count inside the funnel by the flag rule (``x_lo``, ``x_hi``)
    and the limits drawn, halfway to the first count outside: lower (x_lo - 1/2) / n, upper
    (x_hi + 1/2) / n (clipped to 0-1). A count x of n is flagged outside iff x / n < lower or
    x / n > upper. Columns n, x_lo, x_hi, estimate (the target), lower, upper, level, method."""
    target = _check_target(target)
    m = whole_numbers("n", n, minimum=1, error=CompareError)
    level = check_level(level)
    if od is not None and not isinstance(od, Overdispersion):
        raise CompareError("od must be None or an Overdispersion from overdispersion()")
    adjustment, phi, tau2 = ("none", 1.0, 0.0) if od is None else (od.adjustment, od.phi, od.tau2)
    x_lo, x_hi = _inside_counts(target, m, level, adjustment, phi, tau2)
    m_float = m.astype(float)
    lo, hi = np.clip((x_lo - 0.5) / m_float, 0, 1), np.clip((x_hi + 0.5) / m_float, 0, 1)
    key = "funnel-exact" if od is None else od.limits_method
    out = _limits_table(target, m, level, key, "" if od is None else od.description, lo, hi)
    out.insert(1, "x_lo", x_lo)
    out.insert(2, "x_hi", x_hi)
    return out


def _adjusted_sd(
    target: float, n: np.ndarray, adjustment: str, phi: float, tau2: float
) -> np.ndarray:
    var = target * (1 - target) / n.astype(float)
    return np.sqrt(var * phi if adjustment == "multiplicative" else var + tau2)


def _limits_table(
    target: float,
    n: np.ndarray,
    level: float,
    method: str,
    detail: str,
    lo: ArrayLike,
    hi: ArrayLike,
) -> pd.DataFrame:
    return with_interval(
        pd.DataFrame({"n": n}),
        np.full(len(n), target),
        lo,
        hi,
        level=level,
        method=method,
        detail=detail,
    )


def funnel_limits(target: float, n: ArrayLike, level: float = 0.95) -> pd.DataFrame:
    """Spiegelhalter's interpolated exact binomial limits for a share around ``target``, one row per
    sample size in ``n``, for reference: the funnel is drawn and flagged by :func:`step_limits`.

    Columns n, estimate (the target), lower, upper, level and method. Spiegelhalter's interpolation:
    r_p is the smallest count with P(R <= r_p) >= p, alpha = (P(R <= r_p) - p) / P(R = r_p), and the
    limit is (r_p - alpha) / n. E.g. target 0.65, n = 42: the 95% limits are about 0.490 and 0.780.
    """
    target = _check_target(target)
    m = whole_numbers("n", n, minimum=1, error=CompareError)
    level = check_level(level)
    lo, hi = _exact_limits(target, m, level)
    return _limits_table(target, m, level, "funnel-interpolated", "", lo, hi)


def control_limits(
    target: float, n: ArrayLike, level: float = 0.95, od: Overdispersion | None = None
) -> pd.DataFrame:
    """The funnel limits a table's flags are made with, as steps (:func:`step_limits`): exact binomial
    unless ``od`` estimates overdispersion (phi > 1), then normal with the widened variance.

    Same columns as :func:`funnel_limits`; the method names the rule that was applied.
    """
    target = _check_target(target)
    m = whole_numbers("n", n, minimum=1, error=CompareError)
    level = check_level(level)
    if od is not None and not isinstance(od, Overdispersion):
        raise CompareError("od must be None or an Overdispersion from overdispersion()")
    if od is None:
        lo, hi = _limits(target, m, level, "none", 1.0, 0.0)
        return _limits_table(target, m, level, "funnel-exact", "", lo, hi)
    lo, hi = _limits(target, m, level, od.adjustment, od.phi, od.tau2)
    return _limits_table(target, m, level, od.limits_method, od.description, lo, hi)


def _check_levels(levels: object) -> list[float]:
    if isinstance(levels, str | bytes) or not isinstance(levels, Sequence) or not levels:
        raise CompareError(
            f"levels = {levels!r} is not accepted; give one or more levels, e.g. (0.95, 0.998)"
        )
    checked = [check_level(level) for level in levels]
    if len({_level_tag(x) for x in checked}) != len(checked):
        raise CompareError(f"levels = {levels!r} repeats a level; give each level once")
    return checked


def funnel_table(
    counts: pd.DataFrame,
    *,
    target: float | None = None,
    levels: Sequence[float] = FUNNEL_LEVELS,
    overdispersion_method: str = "none",
) -> pd.DataFrame:
    """Per unit (rows of ``counts`` with whole-number yes and n): where it lies against the funnel.

    Adds share, target (default: the pooled share), z, and for each level ``lower_<level>``,
    ``upper_<level>`` (the limits drawn, as steps: :func:`step_limits`) and ``outside_<level>`` (true iff
    the share is beyond those limits); ``p_at_least`` and ``p_at_most``
    (the tail probabilities the flags are made from); the overdispersion estimate (``phi``, ``tau2``,
    ``adjustment`` applied and its description in ``overdispersion``); ``method`` (the limits and the
    overdispersion rule) and ``flag_method`` (the flag rule).
    """
    yes, n = counts_table("counts", counts, error=CompareError)
    method = _check_method(overdispersion_method)
    checked_levels = _check_levels(levels)
    if target is None:
        theta = float(yes.sum() / n.sum())
        if not 0 < theta < 1:
            raise CompareError(
                f"the pooled share is {theta:.2f}: a funnel plot needs a target strictly between "
                "0 and 1; give target"
            )
    else:
        theta = _check_target(target)
    od = _estimate(yes, n, theta, method, 0.1)
    out = counts.copy()
    out["share"] = yes / n
    out["target"] = theta
    out["z"] = (out["share"] - theta) / np.sqrt(theta * (1 - theta) / n)
    p_at_least, p_at_most = _tails(yes, n, theta, od.adjustment, od.phi, od.tau2)
    for level in checked_levels:
        tag = _level_tag(level)
        lo, hi = _limits(theta, n, level, od.adjustment, od.phi, od.tau2)
        out[f"lower_{tag}"], out[f"upper_{tag}"] = lo, hi
        tail = (1 - level) / 2
        out[f"outside_{tag}"] = (p_at_least < tail) | (p_at_most < tail)
    out["p_at_least"], out["p_at_most"] = p_at_least, p_at_most
    out["phi"], out["tau2"] = od.phi, od.tau2
    out["adjustment"] = od.adjustment
    out["overdispersion"] = od.description
    out["method"] = f"{method_label(od.limits_method)}; {od.description}"
    out["flag_method"] = method_label(od.flag_method)
    return out


def funnel_curve(funnel: pd.DataFrame, n: ArrayLike, level: float = 0.95) -> pd.DataFrame:
    """The limits of a :func:`funnel_table` at other sample sizes ``n`` (to draw the funnel), by the
    same rule as the table's flags. Same columns as :func:`funnel_limits`."""
    needed = ("target", "adjustment", "phi", "tau2", "overdispersion")
    if not isinstance(funnel, pd.DataFrame) or any(c not in funnel.columns for c in needed):
        raise CompareError(
            f"funnel must be a table from funnel_table() (with columns {', '.join(needed)})"
        )
    if funnel.empty:
        raise CompareError("funnel has no rows; give a table from funnel_table()")
    target = _check_target(float(funnel["target"].iloc[0]))
    m = whole_numbers("n", n, minimum=1, error=CompareError)
    level = check_level(level)
    adjustment = str(funnel["adjustment"].iloc[0])
    if adjustment not in OVERDISPERSION_METHODS:
        raise CompareError(
            f"funnel['adjustment'] = {adjustment!r} is not one of {OVERDISPERSION_METHODS}"
        )
    phi, tau2 = float(funnel["phi"].iloc[0]), float(funnel["tau2"].iloc[0])
    lo, hi = _limits(target, m, level, adjustment, phi, tau2)
    key = "funnel-exact" if adjustment == "none" else f"funnel-{adjustment}"
    return _limits_table(target, m, level, key, str(funnel["overdispersion"].iloc[0]), lo, hi)


# --- Rank uncertainty -----------------------------------------------------------------------------
def rank_uncertainty(
    counts: pd.DataFrame,
    *,
    label: str = "pdu",
    draws: int = 4000,
    level: float = 0.95,
    seed: int = DEFAULT_SEED,
    prior: tuple[float, float] = JEFFREYS,
) -> pd.DataFrame:
    """A plausible range for each unit's rank (1 = highest share) from seeded posterior draws.

    Columns: the label, share, n, rank (observed), median_rank, rank_lower and rank_upper (the range
    at ``level``), p_top (the chance of ranking first), level and method.
    """
    if not isinstance(label, str):
        raise CompareError(f"label = {label!r} is not accepted; give the name of the units' column")
    yes, n = counts_table("counts", counts, extra=(label,), error=CompareError)
    draws = whole_number("draws", draws, minimum=1, error=CompareError)
    seed = whole_number("seed", seed, minimum=0, error=CompareError)
    level = check_level(level)
    a, b = beta_prior(prior, error=CompareError)
    rng = np.random.default_rng(seed)
    theta = rng.beta(yes + a, n - yes + b, size=(draws, len(yes)))
    ranks = (-theta).argsort(axis=1).argsort(axis=1) + 1
    q = (1 - level) / 2
    share = yes / n
    out = pd.DataFrame(
        {
            label: counts[label].to_numpy(),
            "share": share,
            "n": n,
            "rank": stats.rankdata(-share, method="min").astype(int),
            "median_rank": np.median(ranks, axis=0),
            "rank_lower": np.quantile(ranks, q, axis=0, method="lower").astype(int),
            "rank_upper": np.quantile(ranks, 1 - q, axis=0, method="higher").astype(int),
            "p_top": (ranks == 1).mean(axis=0),
        }
    )
    out["level"] = level
    prior_note = "" if (a, b) == JEFFREYS else f"; Beta({a:g}, {b:g}) prior instead of Jeffreys"
    out["method"] = f"{method_label('rank-draws')}; {draws} draws, seed {seed}{prior_note}"
    return out.sort_values("rank", kind="stable").reset_index(drop=True)


def distinguishable_pairs(ranks: pd.DataFrame, label: str = "pdu") -> list[tuple[str, str]]:
    """Pairs whose rank ranges (from :func:`rank_uncertainty`) do not overlap: they can be told apart."""
    needed = (label, "rank_lower", "rank_upper")
    if not isinstance(ranks, pd.DataFrame) or any(
        not isinstance(c, str) or c not in ranks.columns for c in needed
    ):
        raise CompareError(
            f"ranks must be a table from rank_uncertainty() with columns {', '.join(map(str, needed))}"
        )
    if len(ranks):
        for c in ("rank_lower", "rank_upper"):
            whole_numbers(f"ranks['{c}']", ranks[c], minimum=1, error=CompareError)
    pairs = []
    rows = list(zip(ranks[label], ranks["rank_lower"], ranks["rank_upper"], strict=True))
    for i, (name_a, lo_a, hi_a) in enumerate(rows):
        for name_b, lo_b, hi_b in rows[i + 1 :]:
            if hi_a < lo_b or hi_b < lo_a:
                pairs.append((name_a, name_b))
    return pairs

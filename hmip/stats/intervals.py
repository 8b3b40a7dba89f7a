"""Intervals for shares and for comparing two shares, by statsmodels; every result names its method.

- one share: Wilson (default), Jeffreys, Clopper-Pearson (exact), via
  ``statsmodels.stats.proportion.proportion_confint``;
- a difference of two shares: Newcombe's hybrid score interval (Newcombe 1998, method 10), via
  ``confint_proportions_2indep(method="newcomb", compare="diff")``;
- a ratio of two shares: Koopman's (1984) asymptotic score interval, the interval statsmodels gives
  with ``confint_proportions_2indep(method="score", compare="ratio", correction=False)``, found here
  by inverting the score test numerically: statsmodels' closed form (Nam's cubic) picks the wrong root
  when a share is 100% (8/8 against 30/30 gives a lower limit of 1). It behaves at zeros and at 100%:
  0 of n1 gives a lower limit of 0, 0 of n2 an upper limit of infinity, and the estimate always lies
  inside its interval.

(statsmodels' ``method="score", compare="diff"`` is not used: it raises on many small tables.)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from hmip.errors import StatisticsError

INTERVAL_METHODS = {"wilson": "wilson", "jeffreys": "jeffreys", "clopper-pearson": "beta"}
METHOD_LABELS = {
    "wilson": "Wilson score",
    "jeffreys": "Jeffreys",
    "clopper-pearson": "Clopper-Pearson (exact)",
}


class IntervalError(StatisticsError):
    pass


def check_level(level: float) -> float:
    if not isinstance(level, int | float) or not 0.5 <= float(level) < 1:
        raise IntervalError(
            f"confidence level {level!r} must be a proportion from 0.5 to below 1, e.g. 0.95"
        )
    return float(level)


def check_method(method: str) -> str:
    if method not in INTERVAL_METHODS:
        raise IntervalError(
            f"interval method '{method}' is not known; accepted: {', '.join(INTERVAL_METHODS)}"
        )
    return method


def proportion_interval(yes, n, *, level: float = 0.95, method: str = "wilson"):
    """(lower, upper) for ``yes`` of ``n`` (scalars or arrays); NaN where n is 0."""
    check_level(level)
    check_method(method)
    yes = np.asarray(yes, dtype=float)
    n = np.asarray(n, dtype=float)
    safe_n = np.where(n > 0, n, 1)
    lo, hi = proportion_confint(yes, safe_n, alpha=1 - level, method=INTERVAL_METHODS[method])
    if method == "jeffreys":
        # Brown, Cai and DasGupta (2001): at x = 0 the lower limit is 0, at x = n the upper limit is 1
        lo = np.where(yes == 0, 0.0, lo)
        hi = np.where(yes == n, 1.0, hi)
    lo = np.where(n > 0, np.clip(lo, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(hi, 0, 1), np.nan)
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def share_table(
    counts: pd.DataFrame,
    *,
    level: float = 0.95,
    method: str = "wilson",
    yes: str = "yes",
    n: str = "n",
) -> pd.DataFrame:
    """Add share, lower, upper, method and level columns to a table of counts."""
    out = counts.copy()
    nn = out[n].to_numpy(dtype=float)
    out["share"] = np.where(
        nn > 0, out[yes].to_numpy(dtype=float) / np.where(nn > 0, nn, 1), np.nan
    )
    out["lower"], out["upper"] = proportion_interval(
        out[yes].to_numpy(), nn, level=level, method=method
    )
    out["method"] = METHOD_LABELS[method]
    out["level"] = level
    return out


def newcombe_difference(
    yes1: int, n1: int, yes2: int, n2: int, *, level: float = 0.95
) -> tuple[float, float, float]:
    """Difference in shares (1 minus 2) with Newcombe's hybrid score interval."""
    check_level(level)
    if n1 == 0 or n2 == 0:
        return (np.nan, np.nan, np.nan)
    lo, hi = confint_proportions_2indep(
        yes1, n1, yes2, n2, method="newcomb", compare="diff", alpha=1 - level
    )
    return yes1 / n1 - yes2 / n2, float(lo), float(hi)


def _ratio_score_z(phi: float, y1: int, n1: int, y2: int, n2: int) -> float:
    """Koopman's score statistic for H0: p1 / p2 = phi, with the restricted maximum-likelihood
    shares of Miettinen and Nurminen (1985); decreasing in phi."""
    a = (n1 + n2) * phi
    b = -(n1 * phi + y1 + n2 + y2 * phi)
    p2 = (-b - math.sqrt(max(b * b - 4 * a * (y1 + y2), 0.0))) / (2 * a)
    p2 = min(max(p2, 0.0), 1.0)
    p1 = min(phi * p2, 1.0)
    var = p1 * (1 - p1) / n1 + phi * phi * p2 * (1 - p2) / n2
    num = y1 / n1 - phi * y2 / n2
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(math.inf, num)
    return num / math.sqrt(var)


def _log_root(f, a: float, b: float) -> float:
    """The root of f between a and b (0 < a < b), found on the log scale."""
    t = optimize.brentq(lambda u: f(math.exp(u)), math.log(a), math.log(b), xtol=1e-13, rtol=1e-13)
    return math.exp(t)


def _bracket(f, start: float, step: float, want_positive: bool) -> float:
    """Move from ``start`` by factors of ``step`` until f has the sign wanted."""
    x = start
    for _ in range(2000):
        if (f(x) > 0) == want_positive:
            return x
        x *= step
    raise StatisticsError("the score interval for the ratio could not be bracketed")


def _ratio_score(y1: int, n1: int, y2: int, n2: int, level: float) -> tuple[float, float, float]:
    """(ratio, lower, upper): Koopman's score interval, by inverting the score test."""
    if n1 == 0 or n2 == 0 or y1 + y2 == 0:
        return (math.nan, math.nan, math.nan)  # no cases, or 0/0: the ratio is not defined
    zc = float(stats.norm.isf((1 - level) / 2))
    est = (y1 / n1) / (y2 / n2) if y2 else math.inf
    if y1 == 0:
        lo = 0.0
    else:
        f = lambda phi: _ratio_score_z(phi, y1, n1, y2, n2) - zc  # noqa: E731
        b = _bracket(f, est if y2 else 1.0, 2.0, want_positive=False)
        lo = _log_root(f, _bracket(f, b / 2, 0.5, want_positive=True), b)
    if y2 == 0:
        hi = math.inf
    else:
        g = lambda phi: _ratio_score_z(phi, y1, n1, y2, n2) + zc  # noqa: E731
        a = _bracket(g, est if y1 else 1.0, 0.5, want_positive=True)
        hi = _log_root(g, a, _bracket(g, max(2 * a, 1.0), 2.0, want_positive=False))
    return est, lo, hi


def ratio_interval(
    yes1: int, n1: int, yes2: int, n2: int, *, level: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of shares (1 over 2) with Koopman's score interval, which behaves at zeros and at 100%."""
    check_level(level)
    return _ratio_score(yes1, n1, yes2, n2, level)

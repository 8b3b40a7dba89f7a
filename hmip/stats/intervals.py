"""Intervals for shares and for comparing two shares, by statsmodels; every result names its method.

- one share: Wilson (default), Jeffreys, Clopper-Pearson (exact), via
  ``statsmodels.stats.proportion.proportion_confint``;
- a difference of two shares: Newcombe's hybrid score interval (Newcombe 1998, method 10), via
  ``confint_proportions_2indep(method="newcomb", compare="diff")``;
- a ratio of two shares: the log-adjusted interval (0.5 added to each count, so it survives zero
  cells), via ``confint_proportions_2indep(method="log-adjusted", compare="ratio")``.

(statsmodels' ``method="score", compare="diff"`` is not used: it raises on many small tables.)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def ratio_interval(
    yes1: int, n1: int, yes2: int, n2: int, *, level: float = 0.95
) -> tuple[float, float, float]:
    """Ratio of shares (1 over 2) with the log-adjusted interval, which survives zero cells."""
    check_level(level)
    if n1 == 0 or n2 == 0:
        return (np.nan, np.nan, np.nan)
    lo, hi = confint_proportions_2indep(
        yes1, n1, yes2, n2, method="log-adjusted", compare="ratio", alpha=1 - level
    )
    est = (yes1 / n1) / (yes2 / n2) if yes2 > 0 else np.inf if yes1 > 0 else np.nan
    return float(est), float(lo), float(hi)

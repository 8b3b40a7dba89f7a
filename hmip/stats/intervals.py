"""Intervals for shares and for comparing two shares; every result is a tidy table naming its method.

Each public function returns a ``DataFrame`` with the columns estimate, lower, upper, level and method
(:func:`hmip.stats.results.with_interval`), one row per share or pair of shares (scalars in, one row
out), and refuses impossible counts with a :class:`~hmip.errors.StatisticsError` naming the argument.

- one share: Wilson (default), Jeffreys, Clopper-Pearson (exact), via
  ``statsmodels.stats.proportion.proportion_confint``; the Jeffreys limits are 0 at x = 0 and 1 at
  x = n (Brown, Cai and DasGupta 2001);
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
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy import optimize, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from hmip.errors import StatisticsError
from hmip.stats.results import check_level, with_interval

#: Interval methods for one share: key (as in METHOD_LABELS) -> statsmodels' name.
INTERVAL_METHODS = {"wilson": "wilson", "jeffreys": "jeffreys", "clopper-pearson": "beta"}

#: Counts larger than this are refused (no sample of cases is this large; int64 stays exact).
MAX_COUNT = 10**12

#: What the argument checks accept: scalars, sequences, arrays or Series of counts.
Counts = int | float | Sequence[int] | np.ndarray | pd.Series


class IntervalError(StatisticsError):
    """An interval was asked for with an unknown method."""


# --- Argument checks -------------------------------------------------------------------------------
def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def check_count(value: Counts, name: str) -> np.ndarray:
    """``value`` as an int64 array of whole numbers of cases; a :class:`StatisticsError` naming
    ``name`` for NaN, infinite, negative, fractional, boolean or non-numeric values."""
    accepted = f"{name} must be a whole number of cases from 0 to {MAX_COUNT:,}"
    try:
        arr = np.asarray(value)
        if arr.dtype == bool or arr.dtype.kind not in "iufO":
            raise TypeError
        if arr.dtype.kind == "O" and not all(_is_number(v) for v in arr.ravel()):
            raise TypeError  # text such as "3", None, booleans: not counts
        num = arr.astype(float)
    except (TypeError, ValueError):
        raise StatisticsError(f"{accepted}; got {value!r}") from None
    bad = ~np.isfinite(num) | (num < 0) | (num != np.floor(num)) | (num > MAX_COUNT)
    if bad.any():
        raise StatisticsError(f"{accepted}; got {num[bad].ravel()[0]!r}")
    return num.astype(np.int64)


def check_counts(
    yes: Counts, n: Counts, *, names: tuple[str, str] = ("yes", "n")
) -> tuple[np.ndarray, np.ndarray]:
    """``yes`` of ``n`` as two broadcast int64 arrays; each a whole number of cases, and yes <= n."""
    y, nn = check_count(yes, names[0]), check_count(n, names[1])
    try:
        y, nn = np.broadcast_arrays(y, nn)
    except ValueError:
        raise StatisticsError(
            f"{names[0]} and {names[1]} must have the same length; got {y.shape} and {nn.shape}"
        ) from None
    over = y > nn
    if over.any():
        k = int(np.flatnonzero(over.ravel())[0])
        raise StatisticsError(
            f"{names[0]} ({y.ravel()[k]}) is more than {names[1]} ({nn.ravel()[k]}); "
            f"{names[0]} counts cases among the {names[1]}, so it can be at most {names[1]}"
        )
    return y, nn


def _check_method(method: str) -> str:
    if not isinstance(method, str) or method not in INTERVAL_METHODS:
        raise IntervalError(
            f"interval method {method!r} is not known; accepted: {', '.join(INTERVAL_METHODS)}"
        )
    return method


def _two_samples(
    yes1: Counts, n1: Counts, yes2: Counts, n2: Counts
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    y1, m1 = check_counts(yes1, n1, names=("yes1", "n1"))
    y2, m2 = check_counts(yes2, n2, names=("yes2", "n2"))
    try:
        return tuple(np.atleast_1d(a).ravel() for a in np.broadcast_arrays(y1, m1, y2, m2))
    except ValueError:
        raise StatisticsError(
            "yes1, n1, yes2 and n2 must have the same length (or be single numbers)"
        ) from None


# --- One share -----------------------------------------------------------------------------------------
def _share_limits(
    yes: np.ndarray, n: np.ndarray, level: float, method: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share, lower, upper) for validated counts; NaN where n is 0."""
    safe_n = np.where(n > 0, n, 1)
    lo, hi = proportion_confint(yes, safe_n, alpha=1 - level, method=INTERVAL_METHODS[method])
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    if method == "jeffreys":
        # Brown, Cai and DasGupta (2001): at x = 0 the lower limit is 0, at x = n the upper limit is 1
        lo = np.where(yes == 0, 0.0, lo)
        hi = np.where(yes == n, 1.0, hi)
    share = np.where(n > 0, yes / safe_n, np.nan)
    lo = np.where(n > 0, np.clip(lo, 0, 1), np.nan)
    hi = np.where(n > 0, np.clip(hi, 0, 1), np.nan)
    return share, lo, hi


def proportion_interval(
    yes: Counts, n: Counts, *, level: float = 0.95, method: str = "wilson"
) -> pd.DataFrame:
    """The share ``yes`` of ``n`` with its interval: columns yes, n, estimate, lower, upper, level,
    method; one row per count (scalars give one row); NaN where n is 0."""
    level = check_level(level)
    _check_method(method)
    y, nn = (np.atleast_1d(a).ravel() for a in check_counts(yes, n))
    share, lo, hi = _share_limits(y, nn, level, method)
    return with_interval(
        pd.DataFrame({"yes": y, "n": nn}), share, lo, hi, level=level, method=method
    )


def share_table(
    counts: pd.DataFrame,
    *,
    level: float = 0.95,
    method: str = "wilson",
    yes: str = "yes",
    n: str = "n",
) -> pd.DataFrame:
    """``counts`` with share, estimate (the share), lower, upper, level and method columns added."""
    level = check_level(level)
    _check_method(method)
    if not isinstance(counts, pd.DataFrame) or yes not in counts or n not in counts:
        raise StatisticsError(
            f"counts must be a DataFrame with the columns '{yes}' and '{n}' (cases sufficient, cases)"
        )
    y, nn = check_counts(counts[yes].to_numpy(), counts[n].to_numpy(), names=(yes, n))
    share, lo, hi = _share_limits(y, nn, level, method)
    out = counts.copy()
    out["share"] = share
    return with_interval(out, share, lo, hi, level=level, method=method)


# --- Two shares -------------------------------------------------------------------------------------
def newcombe_difference(
    yes1: Counts, n1: Counts, yes2: Counts, n2: Counts, *, level: float = 0.95
) -> pd.DataFrame:
    """Difference in shares (1 minus 2) with Newcombe's hybrid score interval: columns yes1, n1,
    yes2, n2, estimate, lower, upper, level, method; NaN where either n is 0."""
    level = check_level(level)
    y1, m1, y2, m2 = _two_samples(yes1, n1, yes2, n2)
    est, lo, hi = np.full(len(y1), np.nan), np.full(len(y1), np.nan), np.full(len(y1), np.nan)
    for k in np.flatnonzero((m1 > 0) & (m2 > 0)):
        lo[k], hi[k] = confint_proportions_2indep(
            y1[k], m1[k], y2[k], m2[k], method="newcomb", compare="diff", alpha=1 - level
        )
        est[k] = y1[k] / m1[k] - y2[k] / m2[k]
    table = pd.DataFrame({"yes1": y1, "n1": m1, "yes2": y2, "n2": m2})
    return with_interval(table, est, lo, hi, level=level, method="newcombe")


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


def _log_root(f: Callable[[float], float], a: float, b: float) -> float:
    """The root of f between a and b (0 < a < b), found on the log scale."""
    t = optimize.brentq(lambda u: f(math.exp(u)), math.log(a), math.log(b), xtol=1e-13, rtol=1e-13)
    return math.exp(t)


def _bracket(f: Callable[[float], float], start: float, step: float, want_positive: bool) -> float:
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

        def f(phi: float) -> float:
            return _ratio_score_z(phi, y1, n1, y2, n2) - zc

        b = _bracket(f, est if y2 else 1.0, 2.0, want_positive=False)
        lo = _log_root(f, _bracket(f, b / 2, 0.5, want_positive=True), b)
    if y2 == 0:
        hi = math.inf
    else:

        def g(phi: float) -> float:
            return _ratio_score_z(phi, y1, n1, y2, n2) + zc

        a = _bracket(g, est if y1 else 1.0, 0.5, want_positive=True)
        hi = _log_root(g, a, _bracket(g, max(2 * a, 1.0), 2.0, want_positive=False))
    return est, lo, hi


def ratio_interval(
    yes1: Counts, n1: Counts, yes2: Counts, n2: Counts, *, level: float = 0.95
) -> pd.DataFrame:
    """Ratio of shares (1 over 2) with Koopman's score interval, which behaves at zeros and at 100%:
    columns yes1, n1, yes2, n2, estimate, lower, upper, level, method. Infinite where only share 2 is
    0; NaN where either n is 0 or both shares are 0 (0/0 has no ratio)."""
    level = check_level(level)
    y1, m1, y2, m2 = _two_samples(yes1, n1, yes2, n2)
    res = np.array(
        [_ratio_score(*(int(v) for v in t), level) for t in zip(y1, m1, y2, m2, strict=True)],
        dtype=float,
    ).reshape(-1, 3)
    table = pd.DataFrame({"yes1": y1, "n1": m1, "yes2": y2, "n2": m2})
    return with_interval(table, res[:, 0], res[:, 1], res[:, 2], level=level, method="ratio-score")

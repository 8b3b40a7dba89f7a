"""One convention for statistical results: tidy tables that name their method and level.

In the manner of PHEindicatormethods / PHStatsMethods, every interval a public statistical function
returns sits in a ``pandas.DataFrame`` with the columns ``estimate``, ``lower``, ``upper``, ``level``
and ``method``, added by :func:`with_interval`. Method names come from :data:`METHOD_LABELS` only,
so the same method is always named the same way. A single value (a p-value, a probability) is a
small frozen dataclass with its method (:class:`Value`). Nothing travels in ``DataFrame.attrs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hmip.errors import StatisticsError

#: Every method a result can name: key -> the label shown next to the numbers.
METHOD_LABELS: dict[str, str] = {
    # one share
    "wilson": "Wilson score",
    "jeffreys": "Jeffreys",
    "clopper-pearson": "Clopper-Pearson (exact)",
    # two shares
    "newcombe": "Newcombe hybrid score (difference)",
    "ratio-score": "Koopman score (ratio)",
    "mh-rr": "Mantel-Haenszel risk ratio, Greenland-Robins interval",
    "mh-or": "Mantel-Haenszel odds ratio, Robins-Breslow-Greenland interval",
    "boschloo": "Boschloo's exact test",
    "fisher": "Fisher's exact test",
    "mh-test": "Mantel-Haenszel test with continuity correction when |O - E| >= 1/2",
    "breslow-day": "Breslow-Day test of equal odds ratios",
    "bh": "Benjamini-Hochberg adjustment",
    "power-arcsine": "normal approximation on the arcsine scale (statsmodels NormalIndPower)",
    "power-fisher": "exact power of Fisher's test, every outcome enumerated",
    # funnel plots and ranks
    "funnel-exact": "exact binomial limits, drawn as steps halfway between the last count inside and the first outside",
    "funnel-interpolated": "exact binomial limits (Spiegelhalter interpolation; not the limits drawn)",
    "funnel-multiplicative": "normal limits widened by a multiplicative overdispersion factor",
    "funnel-additive": "normal limits widened by an additive random effect",
    "funnel-flag-exact": "outside when the exact binomial tail probability is below (1 - level) / 2",
    "funnel-flag-normal": "outside when the overdispersion-adjusted normal tail probability is below (1 - level) / 2",
    "rank-draws": "ranks of seeded draws from Jeffreys posteriors",
    # sampling uncertainty
    "beta-posterior": "Beta posterior",
    "beta-binomial": "beta-binomial (finite population)",
    "posterior-predictive": "posterior predictive beta-binomial",
    "binomial": "exact binomial",
    "hypergeometric": "exact hypergeometric",
    "independent-exact": "exact product over independent key questions",
    "dirichlet-multinomial": "Dirichlet-multinomial over answer patterns (seeded draws)",
    "case-bootstrap": "case bootstrap (seeded draws)",
    "convolution": "exact convolution of standard distributions",
    "jeffreys-difference": "Jeffreys posteriors, numerical integration",
    # progress since the inspection, from a PDU's own audits (hmip.stats.progress)
    "binomial-glm": "binomial GLM with logit link on years since the inspection (statsmodels), Wald interval",
    "holm": "Holm adjustment",
    "no-change-range": "exact range of the change when nothing changed (two binomial samples enumerated)",
    "latest-evidence": "Beta posterior from the latest audits",
}


def method_label(key: str) -> str:
    """The label of a method key; a :class:`StatisticsError` for an unknown key."""
    try:
        return METHOD_LABELS[key]
    except KeyError:
        raise StatisticsError(
            f"unknown method '{key}'; known: {', '.join(METHOD_LABELS)}"
        ) from None


def check_level(level: float) -> float:
    """A confidence level from 0.5 to below 1 (0.95, not 95)."""
    if isinstance(level, bool) or not isinstance(level, int | float) or not 0.5 <= float(level) < 1:
        raise StatisticsError(
            f"level {level!r} is not accepted; give a proportion from 0.5 to below 1, e.g. 0.95"
        )
    return float(level)


def with_interval(
    table: pd.DataFrame | None,
    estimate: Sequence[float] | np.ndarray | float,
    lower: Sequence[float] | np.ndarray | float,
    upper: Sequence[float] | np.ndarray | float,
    *,
    level: float,
    method: str,
    detail: str = "",
) -> pd.DataFrame:
    """``table`` (or a new one) with the columns estimate, lower, upper, level and method.

    ``method`` is a key of :data:`METHOD_LABELS`; ``detail`` is appended to its label (for example
    the number of draws), so the method column always starts with the same words for one method.
    """
    level = check_level(level)
    label = method_label(method) + (f"; {detail}" if detail else "")
    est = np.atleast_1d(np.asarray(estimate, dtype=float))
    out = pd.DataFrame(index=range(len(est))) if table is None else table.copy()
    if len(out) != len(est):
        raise StatisticsError(f"{len(est)} estimates for a table of {len(out)} rows")
    out["estimate"] = est
    out["lower"] = np.atleast_1d(np.asarray(lower, dtype=float))
    out["upper"] = np.atleast_1d(np.asarray(upper, dtype=float))
    out["level"] = level
    out["method"] = label
    return out


@dataclass(frozen=True)
class Value:
    """A single statistical value (a p-value, a probability) with the method that made it."""

    value: float
    method: str

    def __float__(self) -> float:
        return float(self.value)

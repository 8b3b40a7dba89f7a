"""Disproportionality per PDU: each group against the reference group, per key question
(:func:`compare_groups`): the relative rate index with Koopman's score interval, the difference with
Newcombe's interval, an exact test (Boschloo's or Fisher's, :func:`exact_test`) and the minimum
difference detectable with 80% power (:func:`min_detectable_difference`, :func:`exact_power`). The
pooled line comes from :mod:`hmip.stats.disproportionality_pooled`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.power import NormalIndPower

from hmip.data.ethnicity import NOT_RECORDED
from hmip.stats.disproportionality_groups import (
    BOSCHLOO_GRID,
    EXACT_TESTS,
    FINAL_BOSCHLOO_GRID,
    PER_PDU_FAMILY,
    DisproportionalityError,
    Grouping,
    _check_choice,
    _check_counts_table,
    _check_flag,
    _check_grouping,
    _check_share,
    _one_table,
    _scalar_count,
    adjust_p_values,
)
from hmip.stats.disproportionality_pooled import _pooled_comparison_rows
from hmip.stats.intervals import (
    check_level,
    newcombe_difference,
    ratio_interval,
)
from hmip.stats.results import Value, method_label


# --- Comparisons with the reference group --------------------------------------------------------------------
def exact_test(
    yes1: int, n1: int, yes2: int, n2: int, *, test: str = "boschloo", grid: int = BOSCHLOO_GRID
) -> Value:
    """Two-sided exact p-value for group 1 (``yes1`` of ``n1``) against group 2 (``yes2`` of ``n2``).

    Boschloo's test takes the groups as two independent binomial samples of fixed sizes n1 and n2
    (scipy's ``boschloo_exact`` with the groups as the COLUMNS of the table; two-sided p is twice the
    smaller one-sided p, capped at 1); ``grid`` is scipy's number of points for the nuisance share.
    Fisher's test conditions on both margins. NaN where either n is 0; 1 where nothing varies."""
    y1, m1, y2, m2 = _one_table(yes1, n1, yes2, n2)
    _check_choice(test, "test", EXACT_TESTS)
    if isinstance(grid, bool) or not isinstance(grid, int | np.integer) or not 1 <= grid <= 4096:
        raise DisproportionalityError(
            f"grid must be a whole number of points from 1 to 4096 (32 by default); got {grid!r}"
        )
    label = method_label(test) + (f"; grid {int(grid)}" if test == "boschloo" else "")
    if m1 == 0 or m2 == 0:
        return Value(math.nan, label)
    if (y1 + y2) in (0, m1 + m2):
        return Value(1.0, label)  # no variation at all: nothing to test
    # The two groups are the COLUMNS: scipy's boschloo_exact takes the column totals as the fixed sizes
    # of two independent binomial samples. (Fisher's test conditions on both margins, so its p-value
    # is the same either way round.)
    table = [[y1, y2], [m1 - y1, m2 - y2]]
    if test == "fisher":
        return Value(float(stats.fisher_exact(table)[1]), label)
    return Value(
        float(stats.boschloo_exact(table, alternative="two-sided", n=int(grid)).pvalue), label
    )


#: What :func:`min_detectable_difference` says when even the largest shortfall is not detectable.
NOT_DETECTABLE = "no shortfall is detectable with these numbers"


def min_detectable_difference(
    n_group: int, n_ref: int, p_ref: float, *, power: float = 0.8, alpha: float = 0.05
) -> Value:
    """The smallest shortfall (reference share minus group share) detectable with ``power`` at these n
    (two-sided, normal approximation on the arcsine scale: statsmodels NormalIndPower). NaN where a
    group has fewer than 2 cases or the reference share is 0 or 1. Where even a group share of 0 would be
    detected less often than ``power`` (for example 3 against 40 cases at a reference share of 0.5), no
    shortfall is detectable: NaN, and the method says so (:data:`NOT_DETECTABLE`)."""
    ng, nr = _scalar_count(n_group, "n_group"), _scalar_count(n_ref, "n_ref")
    p_ref = _check_share(p_ref, "p_ref")
    power = _check_share(power, "power", open_interval=True)
    alpha = _check_share(alpha, "alpha", open_interval=True)
    label = method_label("power-arcsine") + f"; {100 * power:g}% power, two-sided {alpha:g}"
    if ng < 2 or nr < 2 or not 0 < p_ref < 1:
        return Value(math.nan, label)
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=ng, ratio=nr / ng, alpha=alpha, power=power
    )
    arg = np.arcsin(np.sqrt(p_ref)) - h / 2
    if arg <= 0:
        return Value(math.nan, f"{label}; {NOT_DETECTABLE}")
    return Value(float(p_ref - np.sin(arg) ** 2), label)


def fisher_two_sided_grid(n_group: int, n_ref: int) -> np.ndarray:
    """Two-sided Fisher p-values for every outcome: entry [i, j] is the p-value of the table
    [[i, n_group - i], [j, n_ref - j]], as :func:`scipy.stats.fisher_exact` gives it one table at a time
    (the hypergeometric probability of every table with the same margins that is no more likely than the
    observed one, relative tolerance 1e-14; 1 at the mode and where a margin is zero). Tables sharing a
    column total share one hypergeometric distribution, so each is computed once."""
    ng, nr = int(n_group), int(n_ref)
    p = np.ones((ng + 1, nr + 1))
    if ng == 0 or nr == 0:
        return p
    total, gamma = ng + nr, 1 + 1e-14
    for k in range(1, total):  # k = 0 or k = total: a zero column, p = 1
        xs = np.arange(max(0, k - nr), min(ng, k) + 1)
        pmf = stats.hypergeom.pmf(xs, total, ng, k)
        ascending = np.sort(pmf)
        at_most = np.cumsum(ascending)[np.searchsorted(ascending, pmf * gamma, side="right") - 1]
        mode = int((k + 1) * (ng + 1) / (total + 2))
        p_mode = stats.hypergeom.pmf(mode, total, ng, k)
        at_mode = np.abs(pmf - p_mode) / np.maximum(pmf, p_mode) <= 1e-14
        p[xs, k - xs] = np.where(at_mode, 1.0, np.minimum(at_most, 1.0))
    return p


def exact_power(
    n_group: int, n_ref: int, p_group: float, p_ref: float, *, alpha: float = 0.05
) -> Value:
    """Exact power of the two-sided Fisher test, by enumerating every outcome (small samples)."""
    ng, nr = _scalar_count(n_group, "n_group"), _scalar_count(n_ref, "n_ref")
    p_group = _check_share(p_group, "p_group")
    p_ref = _check_share(p_ref, "p_ref")
    alpha = _check_share(alpha, "alpha", open_interval=True)
    if (ng + 1) * (nr + 1) > 250_000:
        raise DisproportionalityError(
            f"exact power enumerates (n_group + 1) x (n_ref + 1) outcomes, at most 250,000; got "
            f"{ng} and {nr}: use min_detectable_difference for samples this large"
        )
    a = np.arange(ng + 1)
    c = np.arange(nr + 1)
    reject = fisher_two_sided_grid(ng, nr) <= alpha
    prob = np.outer(stats.binom.pmf(a, ng, p_group), stats.binom.pmf(c, nr, p_ref))
    return Value(float(prob[reject].sum()), method_label("power-fisher") + f"; two-sided {alpha:g}")


def compare_groups(
    counts: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    include_pooled: bool = True,
) -> pd.DataFrame:
    """Each group against the reference, per PDU (and pooled over PDUs), per key question.

    Per PDU: RRI = share(group) / share(reference), Koopman score interval; difference =
    share(group) - share(reference), Newcombe interval; exact p (Boschloo, grid 32, or 128 with
    ``final=True``; or Fisher); minimum detectable difference at 80% power.

    With ``include_pooled``, one row per key question and group labelled :data:`POOLED_LABEL` carries
    the Mantel-Haenszel risk ratio (Greenland-Robins interval) and the MH test over the PDUs as
    strata, the same figures as :func:`pooled_analysis`; its shares and difference are left empty,
    since summing the tables over PDUs could mislead (Simpson's paradox).

    Benjamini-Hochberg is applied within each ``family``: the per-PDU rows together, the pooled rows
    together; never both in one adjustment.
    """
    level = check_level(level)
    _check_counts_table(counts)
    _check_grouping(grouping)
    _check_choice(test, "test", EXACT_TESTS)
    grid = FINAL_BOSCHLOO_GRID if _check_flag(final, "final") else BOSCHLOO_GRID
    rows = []
    for (pdu, std, kq), g in counts.groupby(["pdu", "standard", "key_question"], sort=False):
        ref = g[g["group"] == grouping.reference]
        if ref.empty:
            continue
        yr, nr = int(ref["yes"].iloc[0]), int(ref["n"].iloc[0])
        for r in g.itertuples():
            if r.group in (grouping.reference, NOT_RECORDED):
                continue
            yg, ng = int(r.yes), int(r.n)
            p = exact_test(yg, ng, yr, nr, test=test, grid=grid)
            p_ref = yr / nr if nr else np.nan
            rows.append(
                {
                    "pdu": pdu,
                    "standard": std,
                    "key_question": kq,
                    "group": r.group,
                    "reference": grouping.reference,
                    "yes_group": yg,
                    "n_group": ng,
                    "yes_reference": yr,
                    "n_reference": nr,
                    "share_group": yg / ng if ng else np.nan,
                    "share_reference": p_ref,
                    "p_value": p.value,
                    "min_detectable_difference": min_detectable_difference(ng, nr, p_ref).value
                    if nr
                    else np.nan,
                    "test": p.method,
                    "family": PER_PDU_FAMILY,
                }
            )
    per_pdu = pd.DataFrame(rows)
    if not per_pdu.empty:
        args = [per_pdu[c] for c in ("yes_group", "n_group", "yes_reference", "n_reference")]
        rri = ratio_interval(*args, level=level)
        diff = newcombe_difference(*args, level=level)
        per_pdu = per_pdu.assign(
            rri=rri["estimate"],
            rri_lower=rri["lower"],
            rri_upper=rri["upper"],
            difference=diff["estimate"],
            difference_lower=diff["lower"],
            difference_upper=diff["upper"],
            rri_method=rri["method"],
            difference_method=diff["method"],
            level=level,
        )
    frames = [per_pdu]
    if _check_flag(include_pooled, "include_pooled"):
        frames.append(_pooled_comparison_rows(counts, grouping, level))
    frames = [f for f in frames if not f.empty]
    if not frames:
        return pd.DataFrame()
    out = pd.concat(frames, ignore_index=True)[_COMPARISON_COLUMNS]
    return adjust_p_values(out, family="family")


_COMPARISON_COLUMNS = [
    "pdu",
    "standard",
    "key_question",
    "group",
    "reference",
    "yes_group",
    "n_group",
    "yes_reference",
    "n_reference",
    "share_group",
    "share_reference",
    "rri",
    "rri_lower",
    "rri_upper",
    "difference",
    "difference_lower",
    "difference_upper",
    "p_value",
    "min_detectable_difference",
    "rri_method",
    "difference_method",
    "test",
    "level",
    "family",
]

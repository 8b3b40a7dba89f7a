"""Disproportionality pooled across PDUs, with PDUs as strata: the Mantel-Haenszel risk ratio
(Greenland-Robins interval) and odds ratio, the MH test and Breslow-Day for heterogeneity
(:func:`pooled_analysis`; never a test on the tables summed over PDUs, which Simpson's paradox can
reverse), and the pooled line of the comparison table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from hmip.data.ethnicity import NOT_RECORDED
from hmip.stats.disproportionality_groups import (
    POOLED_FAMILY,
    POOLED_LABEL,
    DisproportionalityError,
    Grouping,
    _check_counts_table,
    _check_flag,
    _check_grouping,
    adjust_p_values,
)
from hmip.stats.intervals import (
    check_count,
    check_level,
)
from hmip.stats.results import method_label, with_interval


def _pooled_comparison_rows(counts: pd.DataFrame, grouping: Grouping, level: float) -> pd.DataFrame:
    """The Mantel-Haenszel line of the comparison table, one row per key question and group."""
    rows = []
    for std, kq, group, arr, _ in _strata(counts, grouping):
        if not len(arr):
            continue
        mh = _mh_summary(arr, level)
        rows.append(
            {
                "pdu": POOLED_LABEL,
                "standard": std,
                "key_question": kq,
                "group": group,
                "reference": grouping.reference,
                "yes_group": int(arr[:, 0, 0].sum()),
                "n_group": int(arr[:, 0].sum()),
                "yes_reference": int(arr[:, 1, 0].sum()),
                "n_reference": int(arr[:, 1].sum()),
                "share_group": np.nan,
                "share_reference": np.nan,
                "rri": mh["rr"],
                "rri_lower": mh["rr_lower"],
                "rri_upper": mh["rr_upper"],
                "difference": np.nan,
                "difference_lower": np.nan,
                "difference_upper": np.nan,
                "p_value": mh["mh_p_value"],
                "min_detectable_difference": np.nan,
                "rri_method": method_label("mh-rr"),
                "difference_method": None,
                "test": method_label("mh-test"),
                "level": level,
                "family": POOLED_FAMILY,
            }
        )
    return pd.DataFrame(rows)


# --- Pooled across PDUs: Mantel-Haenszel -----------------------------------------------------------------------
def mh_risk_ratio(tables: np.ndarray | Sequence, *, level: float = 0.95) -> pd.DataFrame:
    """Mantel-Haenszel risk ratio (row 1 over row 2 share of column 1) with the Greenland-Robins
    interval, as one row: estimate, lower, upper, level, method.

    ``tables`` is K x 2 x 2: [[a, b], [c, d]] per stratum, each row of each stratum non-empty.
    """
    level = check_level(level)
    arr = _strata_array(tables)
    rr, lo, hi = _mh_rr(arr, level)
    return with_interval(None, rr, lo, hi, level=level, method="mh-rr")


def _mh_rr(arr: np.ndarray, level: float) -> tuple[float, float, float]:
    a, b, c, d = (arr[:, 0, 0], arr[:, 0, 1], arr[:, 1, 0], arr[:, 1, 1])
    n1, n0 = a + b, c + d
    n = n1 + n0
    r = (a * n0 / n).sum()
    s = (c * n1 / n).sum()
    if r == 0 or s == 0:
        return (float(r / s) if s else np.nan), np.nan, np.nan
    rr = r / s
    var = ((n1 * n0 * (a + c) - a * c * n) / n**2).sum() / (r * s)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    se = np.sqrt(var)
    return float(rr), float(np.exp(np.log(rr) - z * se)), float(np.exp(np.log(rr) + z * se))


def _strata(
    counts: pd.DataFrame, grouping: Grouping
) -> Iterator[tuple[str, str, str, np.ndarray, int]]:
    """(standard, key question, group, K x 2 x 2 tables over the PDUs with both groups, PDUs left out).

    Key questions, groups and PDUs keep the order they first appear in; a PDU is left out where either
    group is absent or has no applicable cases (the first row of a pdu and group counts, as the tables
    have one). Plain loops: the audit calls this for hundreds of small tables, where pandas' per-call
    cost would dominate."""
    ref = grouping.reference
    blocks: dict[
        tuple, tuple[dict, dict, dict]
    ] = {}  # (std, kq) -> (pdus, groups, (pdu, group) -> (yes, n))
    for std, kq, pdu, group, yes, n in zip(
        counts["standard"],
        counts["key_question"],
        counts["pdu"],
        counts["group"],
        counts["yes"],
        counts["n"],
        strict=True,
    ):
        pdus, groups, cells = blocks.setdefault((std, kq), ({}, {}, {}))
        pdus.setdefault(pdu, None)
        groups.setdefault(group, None)
        cells.setdefault((pdu, group), (int(yes), int(n)))
    for (std, kq), (pdus, groups, cells) in blocks.items():
        for group in groups:
            if group in (ref, NOT_RECORDED):
                continue
            tabs, dropped = [], 0
            for pdu in pdus:
                grp, rf = cells.get((pdu, group)), cells.get((pdu, ref))
                if grp is None or rf is None or grp[1] == 0 or rf[1] == 0:
                    dropped += 1
                    continue
                (yg, ng), (yr, nr) = grp, rf
                tabs.append([[yg, ng - yg], [yr, nr - yr]])
            yield std, kq, group, np.array(tabs, dtype=float).reshape(-1, 2, 2), dropped


@dataclass(frozen=True)
class StratifiedTest:
    """A test over K strata: the statistic, its p-value and method; where the test cannot be done,
    both are NaN and ``note`` says why (an empty ``note`` means the test was done)."""

    statistic: float
    p_value: float
    method: str
    note: str = ""

    @property
    def done(self) -> bool:
        return not self.note


def _strata_array(tables: np.ndarray | Sequence) -> np.ndarray:
    """K x 2 x 2 whole-number tables as floats, each stratum with cases in both rows."""
    try:
        arr = np.asarray(tables)
        ok_shape = arr.ndim == 3 and arr.shape[1:] == (2, 2) and arr.shape[0] >= 1
    except ValueError:
        ok_shape = False
    if not ok_shape:
        raise DisproportionalityError(
            "tables must be K x 2 x 2 (one [[a, b], [c, d]] per stratum, K >= 1)"
        )
    arr = check_count(arr, "tables").astype(float)
    empty = (arr.sum(axis=2) == 0).any(axis=1)
    if empty.any():
        raise DisproportionalityError(
            f"stratum {int(np.flatnonzero(empty)[0])} of tables has a row with no cases; "
            "every stratum needs cases in both rows"
        )
    return arr


#: Why the Mantel-Haenszel test cannot be done when nothing varies within any stratum.
MH_NO_VARIATION = (
    "the Mantel-Haenszel test cannot be done: within every PDU all the cases compared had the same "
    "outcome (all sufficient, or all not), so there is no variation to test (R's mantelhaen.test "
    "gives NaN here)"
)


def mh_test(tables: np.ndarray | Sequence, *, correct: bool = True) -> StratifiedTest:
    """The Mantel-Haenszel test of a common odds ratio of 1 over K x 2 x 2 strata, as R's
    ``mantelhaen.test`` computes it: DELTA = sum(a - E(a)), the variance the sum of the strata's
    hypergeometric variances; with ``correct`` the continuity correction of 1/2 is applied only when
    |DELTA| >= 1/2 (so identical shares give p = 1). When the variance is zero (within every stratum
    all cases have one outcome) the test cannot be done: NaN, and ``note`` says why."""
    arr = _strata_array(tables)
    correct = _check_flag(correct, "correct")
    a = arr[:, 0, 0]
    n1, n0 = arr[:, 0].sum(axis=1), arr[:, 1].sum(axis=1)
    m1, m0 = arr[:, :, 0].sum(axis=1), arr[:, :, 1].sum(axis=1)
    n = n1 + n0
    label = method_label("mh-test")
    var = float((n1 * n0 * m1 * m0 / (n**2 * (n - 1))).sum())
    if var <= 0:
        return StratifiedTest(np.nan, np.nan, label, MH_NO_VARIATION)
    delta = float((a - n1 * m1 / n).sum())
    yates = 0.5 if correct and abs(delta) >= 0.5 else 0.0
    statistic = (abs(delta) - yates) ** 2 / var
    return StratifiedTest(float(statistic), float(stats.chi2.sf(statistic, 1)), label)


def _expected_a(psi: float, n1: np.ndarray, n0: np.ndarray, m1: np.ndarray) -> np.ndarray:
    """The count a each stratum would have, given its margins, if its odds ratio were ``psi``: the root
    of (1 - psi) A^2 + (n0 - m1 + psi (n1 + m1)) A - psi n1 m1 = 0 between max(0, m1 - n0) and
    min(n1, m1) (linear when psi = 1: A = n1 m1 / N)."""
    if psi == 1:
        return n1 * m1 / (n1 + n0)
    qa = 1 - psi
    qb = n0 - m1 + psi * (n1 + m1)
    qc = -psi * n1 * m1
    root = np.sqrt(qb**2 - 4 * qa * qc)
    # the stable pair of roots; the one inside the admissible range is the answer
    q = -(qb + np.sign(qb) * root) / 2
    r1 = q / qa
    with np.errstate(divide="ignore", invalid="ignore"):
        r2 = np.where(q != 0, qc / q, 0.0)
    lo, hi = np.maximum(0, m1 - n0), np.minimum(n1, m1)
    ok1 = (r1 >= lo - 1e-9) & (r1 <= hi + 1e-9)
    return np.where(ok1, r1, r2)


def breslow_day(tables: np.ndarray | Sequence, *, tarone: bool = True) -> StratifiedTest:
    """The Breslow-Day test that K strata share one odds ratio, with Tarone's correction (by default).

    Each stratum's expected count A is solved from its margins under the Mantel-Haenszel common odds
    ratio (:func:`_expected_a`), Var(A) = 1 / (1/A + 1/(n1 - A) + 1/(m1 - A) + 1/(n0 - m1 + A)), and
    X2 = sum (a - A)^2 / Var(A) - [Tarone] (sum (a - A))^2 / sum Var(A), on K - 1 degrees of freedom.
    Computed directly, so a common odds ratio of exactly 1 (where statsmodels divides by 1 - psi and
    gives NaN) is handled. Strata lacking either outcome carry no information and are left out. Where
    the test cannot be done (fewer than two informative strata, or a pooled odds ratio of 0 or
    infinity), NaN with the reason in ``note``."""
    arr = _strata_array(tables)
    tarone = _check_flag(tarone, "tarone")
    label = method_label("breslow-day") + ("; Tarone's correction" if tarone else "")
    arr = arr[(arr[:, :, 0].sum(axis=1) > 0) & (arr[:, :, 1].sum(axis=1) > 0)]
    if len(arr) < 2:
        return StratifiedTest(
            np.nan,
            np.nan,
            label,
            "the Breslow-Day test cannot be done: it needs at least two PDUs in which some cases "
            "were sufficient and some not",
        )
    a, b, c, d = arr[:, 0, 0], arr[:, 0, 1], arr[:, 1, 0], arr[:, 1, 1]
    n1, n0, m1 = a + b, c + d, a + c
    n = n1 + n0
    num, den = float((a * d / n).sum()), float((b * c / n).sum())
    if num == 0 or den == 0:
        return StratifiedTest(
            np.nan,
            np.nan,
            label,
            "the Breslow-Day test cannot be done: the pooled (Mantel-Haenszel) odds ratio is "
            + ("0" if num == 0 else "infinite")
            + ", as no PDU has cases on both diagonals of its table",
        )
    expected = _expected_a(num / den, n1, n0, m1)
    var = 1 / (1 / expected + 1 / (n1 - expected) + 1 / (m1 - expected) + 1 / (n0 - m1 + expected))
    statistic = float(((a - expected) ** 2 / var).sum())
    if tarone:
        statistic -= float((a - expected).sum()) ** 2 / float(var.sum())
    statistic = max(statistic, 0.0)
    return StratifiedTest(statistic, float(stats.chi2.sf(statistic, len(arr) - 1)), label)


def _mh_summary(arr: np.ndarray, level: float) -> dict[str, float | str]:
    """The Mantel-Haenszel figures for K x 2 x 2 tables (group row first, sufficient column first)."""
    rr, rr_lo, rr_hi = _mh_rr(arr, level)
    st = StratifiedTable(arr.transpose(1, 2, 0))
    try:
        or_ = float(st.oddsratio_pooled)
        or_lo, or_hi = (float(x) for x in st.oddsratio_pooled_confint(alpha=1 - level))
    except (ZeroDivisionError, FloatingPointError, ValueError):
        or_, or_lo, or_hi = np.nan, np.nan, np.nan
    mh = mh_test(arr)
    bd = breslow_day(arr)
    return {
        "rr": rr,
        "rr_lower": rr_lo,
        "rr_upper": rr_hi,
        "or": or_,
        "or_lower": or_lo,
        "or_upper": or_hi,
        "mh_p_value": mh.p_value,
        "mh_note": mh.note,
        "breslow_day_p": bd.p_value,
        "breslow_day_note": bd.note,
    }


def pooled_analysis(
    counts: pd.DataFrame, grouping: Grouping, *, level: float = 0.95
) -> pd.DataFrame:
    """Per key question and group: MH pooled OR and RR with intervals, the MH test and Breslow-Day,
    with PDUs as strata (strata lacking either group are left out and counted). Benjamini-Hochberg
    over the pooled tests only (one family)."""
    level = check_level(level)
    _check_counts_table(counts)
    _check_grouping(grouping)
    rows = []
    for std, kq, group, arr, dropped in _strata(counts, grouping):
        base = {
            "standard": std,
            "key_question": kq,
            "group": group,
            "reference": grouping.reference,
            "strata": len(arr),
            "strata_left_out": dropped,
        }
        if not len(arr):
            rows.append(base)
            continue
        mh = _mh_summary(arr, level)
        rows.append(
            {
                **base,
                "n_group": int(arr[:, 0].sum()),
                "n_reference": int(arr[:, 1].sum()),
                "mh_risk_ratio": mh["rr"],
                "rr_lower": mh["rr_lower"],
                "rr_upper": mh["rr_upper"],
                "mh_odds_ratio": mh["or"],
                "or_lower": mh["or_lower"],
                "or_upper": mh["or_upper"],
                "mh_p_value": mh["mh_p_value"],
                "mh_note": mh["mh_note"],
                "breslow_day_p": mh["breslow_day_p"],
                "breslow_day_note": mh["breslow_day_note"],
                "methods": f"{method_label('mh-or')} (statsmodels StratifiedTable); "
                f"{method_label('mh-rr')}; {100 * level:g}%; {method_label('mh-test')} "
                f"(R's convention); {method_label('breslow-day')} with Tarone's correction",
                "level": level,
                "rr_method": method_label("mh-rr"),
                "or_method": method_label("mh-or"),
                "test": method_label("mh-test"),
                "heterogeneity_test": method_label("breslow-day"),
                "family": POOLED_FAMILY,
            }
        )
    out = pd.DataFrame(rows)
    if "mh_p_value" not in out:
        return out
    return adjust_p_values(out, "mh_p_value", family="family")

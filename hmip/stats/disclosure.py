"""Statistical disclosure control for counts of people in shared output.

The NHS England / OpenSAFELY rule: 0 stays 0; 1-7 is suppressed with one searchable marker;
everything else is rounded to the nearest 5. A "none" rule exists for internal work, and reports
built with it say so in their banner.

What is shown next to protected counts must not give the true counts back:

- shares, intervals, ratios and tests shown next to protected counts are computed from the rounded
  counts shown (:data:`FROM_ROUNDED`), so they say nothing the counts do not; a statistic resting on
  a suppressed count is suppressed;
- statistics that must use the true counts (pooled Mantel-Haenszel estimates) are shown at a
  precision that is checked not to identify any count (:func:`round_ratio`, :func:`p_band`);
- totals are made in one of two stated ways (:data:`TOTALS_ROUNDED`, :data:`TOTALS_TRUE`); a true
  total is protected by secondary suppression (:func:`secondary_suppression`) so that the total and
  the other cells of its column cannot pin a suppressed cell.

:func:`shown_range` is what a reader can infer from one shown count; the attacker test
(tests/test_disclosure_attack.py) uses the same reading.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from hmip.errors import DisclosureError

MARKER = "[REDACTED]"

#: How every statistic shown next to protected counts is made (used in method columns and notes).
FROM_ROUNDED = "computed from the rounded counts shown"

#: How a total is made: ``protect_table(totals="rounded")``.
TOTALS_ROUNDED = (
    "total: the sum of the rounded counts shown above; suppressed cells are left out of it"
)
#: How a total is made: ``protect_table(totals="true")`` and the reports' "All PDUs" rows.
TOTALS_TRUE = (
    "total: the true total (suppressed cells included) rounded to the nearest 5; where it and the "
    "other cells would pin a suppressed cell, another cell or the total is suppressed as well"
)


#: For reports that show no breakdown by personal characteristic (assumption A12).
INSPECTION_COUNTS_NOTE = (
    "NHS England / OpenSAFELY rule for counts of people by personal characteristic: none are shown "
    "in this report. Case counts per PDU and key question are inspection sample sizes, shown as "
    "HMIP publishes them."
)


@dataclass(frozen=True)
class DisclosureRule:
    name: str
    threshold: int | None = 7
    base: int | None = 5
    marker: str = MARKER

    @property
    def active(self) -> bool:
        return self.threshold is not None or self.base is not None

    def describe(self) -> str:
        if not self.active:
            return (
                "NONE: counts of people are shown unrounded and unsuppressed. For internal use only; "
                "do not share this report."
            )
        return (
            f"{self.name}: counts of people from 1 to {self.threshold} are suppressed and shown as {self.marker}; "
            f"other counts are rounded to the nearest {self.base}; 0 stays 0; shares, intervals and ratios shown "
            f"next to counts are computed from the rounded counts, and are suppressed where they rest on a "
            f"suppressed count; each table states how its totals are made; pooled estimates from the true "
            f"counts are shown only at a precision checked not to reveal any count."
        )


RULES = {
    "nhs": DisclosureRule("NHS England / OpenSAFELY rule"),
    "none": DisclosureRule("none", None, None, ""),
}


def get_rule(rule: str | DisclosureRule = "nhs") -> DisclosureRule:
    if isinstance(rule, DisclosureRule):
        return rule
    if rule not in RULES:
        raise DisclosureError(
            f"disclosure rule '{rule}' is not known; accepted: {', '.join(RULES)}"
        )
    return RULES[rule]


def _check_counts(values: np.ndarray) -> None:
    v = values[~pd.isna(values)].astype(float)
    if (v < 0).any() or (v != np.floor(v)).any():
        raise DisclosureError("counts must be whole numbers >= 0")


def rounded_values(
    counts: pd.Series | pd.DataFrame | ArrayLike, threshold: int | None = 7, base: int | None = 5
) -> pd.Series | pd.DataFrame:
    """Numeric protected counts: suppressed cells are NaN, others rounded to the nearest ``base``."""
    obj = counts.copy() if isinstance(counts, pd.Series | pd.DataFrame) else pd.Series(counts)
    arr = obj.to_numpy(dtype=float, na_value=np.nan)
    _check_counts(arr)
    out = arr.copy()
    if threshold is not None:
        out[(arr >= 1) & (arr <= threshold)] = np.nan
    if base is not None:
        keep = ~np.isnan(out)
        out[keep] = (
            np.floor(out[keep] / base + 0.5) * base
        )  # integers never tie, so half-up is exact
    if isinstance(obj, pd.DataFrame):
        return pd.DataFrame(out, index=obj.index, columns=obj.columns)
    return pd.Series(out, index=obj.index, name=getattr(obj, "name", None))


def protect(
    counts: pd.Series | pd.DataFrame | ArrayLike,
    threshold: int | None = 7,
    base: int | None = 5,
    marker: str = MARKER,
) -> pd.Series | pd.DataFrame:
    """The protected version of a Series or DataFrame of counts, for display (object dtype: ints and the marker)."""
    num = rounded_values(counts, threshold, base)
    original = counts if isinstance(counts, pd.Series | pd.DataFrame) else pd.Series(counts)
    suppressed = num.isna() & original.notna()

    def fmt(v: float, s: bool) -> object:
        if s:
            return marker
        return pd.NA if pd.isna(v) else int(v)

    if isinstance(num, pd.DataFrame):
        return pd.DataFrame(
            {
                c: [fmt(v, s) for v, s in zip(num[c], suppressed[c], strict=True)]
                for c in num.columns
            },
            index=num.index,
            dtype=object,
        )
    return pd.Series(
        [fmt(v, s) for v, s in zip(num, suppressed, strict=True)],
        index=num.index,
        name=num.name,
        dtype=object,
    )


def shown_range(shown: float | str, rule: str | DisclosureRule = "nhs") -> tuple[int, int | None]:
    """(lowest, highest) true count a reader can infer from one shown count (``None``: no upper bound).

    0 is exact; the marker means 1 to the threshold (where secondary suppression may have been
    applied it means any count from 1, as :func:`secondary_suppression` reads it); a rounded count
    ``s`` means ``s - base//2 .. s + base//2``, and more than the threshold.
    """
    r = get_rule(rule)
    if isinstance(shown, str) and shown == r.marker:
        return 1, r.threshold
    value = int(shown)
    if value == 0 or not r.active:
        return value, value
    half = (r.base or 1) // 2
    low = value - half
    if r.threshold is not None:
        low = max(low, r.threshold + 1)
    return low, value + half


def count_codes(values: ArrayLike, rule: str | DisclosureRule = "nhs") -> np.ndarray:
    """Vectorised shown counts: the rounded value, or -1 where the count is suppressed."""
    r = rule if isinstance(rule, DisclosureRule) else get_rule(rule)
    v = np.asarray(values, dtype=float)
    if not r.active:
        return v.copy()
    out = np.floor(v / r.base + 0.5) * r.base if r.base is not None else v.copy()
    if r.threshold is not None:
        out = np.where((v >= 1) & (v <= r.threshold), -1.0, out)
    return out


def row_codes(
    yes: ArrayLike, no: ArrayLike, rule: str | DisclosureRule = "nhs"
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised (yes shown, n shown) of yes/no rows: yes is suppressed (-1) where yes, no or n is
    suppressed; n only where n itself is."""
    r = get_rule(rule)
    yes, no = np.asarray(yes, dtype=float), np.asarray(no, dtype=float)
    n_code, yes_code = count_codes(yes + no, r), count_codes(yes, r)
    hidden = (yes_code == -1) | (count_codes(no, r) == -1) | (n_code == -1)
    return np.where(hidden, -1.0, yes_code), n_code


def _ranges(shown: list, rule: DisclosureRule, unbounded: int) -> list[tuple[int, int]]:
    out = []
    for v in shown:
        lo, hi = shown_range(v, rule)
        if isinstance(v, str):  # suppressed: primary (1..threshold) or secondary (any count from 1)
            lo, hi = 1, unbounded
        out.append((lo, hi))
    return out


def secondary_suppression(
    true_counts: ArrayLike, rule: str | DisclosureRule = "nhs"
) -> tuple[list, object, list[int]]:
    """Protect one column of counts that is shown with its (true, rounded) total.

    Returns (cells shown, total shown, positions suppressed a second time). Each cell is rounded or
    suppressed by the rule and the total is the true total, rounded. A reader who knows the rule can
    bound every cell by the total minus the others. Where that would narrow a suppressed cell to fewer
    than two values in 1-threshold, or a rounded cell (or the total) to one value, the next smallest
    shown cell is suppressed as well; when no cell is left to suppress, the total is suppressed.
    The bounds are exact for one sum over independent cells (sums of integer intervals are intervals).
    """
    r = get_rule(rule)
    values = [int(v) for v in np.asarray(true_counts, dtype=float)]
    _check_counts(np.asarray(values, dtype=float))
    shown = [display_count(v, r) for v in values]
    total = sum(values)
    total_shown = display_count(total, r)
    if not r.active:
        return shown, total_shown, []
    extra: list[int] = []
    while True:
        big = total + sum(r.base or 0 for _ in values) + 1
        ranges = _ranges(shown, r, big)
        t_lo, t_hi = shown_range(total_shown, r)
        if isinstance(total_shown, str):
            t_lo, t_hi = 1, big
        sum_lo = sum(lo for lo, _ in ranges)
        sum_hi = sum(hi for _, hi in ranges)
        pinned = False
        for (lo, hi), v in zip(ranges, values, strict=True):
            f_lo = max(lo, t_lo - (sum_hi - hi))
            f_hi = min(hi, t_hi - (sum_lo - lo))
            if v == 0:
                continue
            if r.threshold is not None and 1 <= v <= r.threshold:
                pinned |= min(f_hi, r.threshold) - max(f_lo, 1) < 1
            else:
                pinned |= f_hi - f_lo < 1
        if total > 0 and not isinstance(total_shown, str):
            pinned |= min(t_hi, sum_hi) - max(t_lo, sum_lo) < 1
        if not pinned:
            return shown, total_shown, extra
        candidates = [
            i for i, v in enumerate(shown) if not isinstance(v, str) and v != 0 and i not in extra
        ]
        if not candidates:
            return shown, r.marker, extra
        i = min(candidates, key=lambda j: (values[j], j))
        extra.append(i)
        shown[i] = r.marker


@dataclass(frozen=True)
class ProtectedTable:
    """A table with its counts protected, and how its total is made (the sentence on its total row)."""

    table: pd.DataFrame
    totals: str


def protect_table(
    table: pd.DataFrame,
    count_columns: list[str],
    *,
    rule: str | DisclosureRule = "nhs",
    total_row: str | None = "Total",
    label_column: str | None = None,
    totals: str = "rounded",
) -> ProtectedTable:
    """Protect the count columns of a table, optionally with a total row, and say how totals are made.

    ``totals="rounded"``: the total is the sum of the rounded counts shown, suppressed cells left out
    (it reveals nothing the cells do not). ``totals="true"``: the true total, rounded, with
    :func:`secondary_suppression` per column. Either way a ``note`` column states it on the total row,
    and ``totals`` of the result holds the same sentence. Columns are protected independently.
    """
    if totals not in ("rounded", "true"):
        raise DisclosureError(f"totals '{totals}' is not known; accepted: rounded, true")
    r = get_rule(rule)
    out = table.copy()
    label = label_column or out.columns[0]
    if not r.active:
        note = "total: the sum of the true counts (no disclosure control)"
        if total_row:
            total = {c: int(table[c].sum()) for c in count_columns}
            out = pd.concat(
                [out, pd.DataFrame([{label: total_row, **total, "note": note}])],
                ignore_index=True,
            )
            out["note"] = out["note"].fillna("")
        return ProtectedTable(out, note)
    if totals == "rounded" or not total_row:
        num = rounded_values(table[count_columns], r.threshold, r.base)
        shown = protect(table[count_columns], r.threshold, r.base, r.marker)
        for c in count_columns:
            out[c] = shown[c]
        note = TOTALS_ROUNDED
        total = {c: int(np.nansum(num[c].to_numpy())) for c in count_columns}
    else:
        note = TOTALS_TRUE
        total = {}
        for c in count_columns:
            cells, total[c], _ = secondary_suppression(table[c].to_numpy(), r)
            out[c] = pd.Series(cells, index=out.index, dtype=object)
    if total_row:
        out = pd.concat(
            [out, pd.DataFrame([{label: total_row, **total, "note": note}])],
            ignore_index=True,
        )
        out["note"] = out["note"].fillna("")
    return ProtectedTable(out, note)


def p_band(p: float, rule: str | DisclosureRule = "nhs") -> str:
    """A p-value resting on true counts, as it may be shown next to protected counts: one of
    "p < 0.001", "p < 0.01", "p < 0.05", "p >= 0.05" (or to 3 d.p. under the "none" rule)."""
    if p is None or not np.isfinite(p):
        return ""
    if not get_rule(rule).active:
        return f"p = {p:.3f}"
    for cut in (0.001, 0.01, 0.05):
        if p < cut:
            return f"p < {cut:g}"
    return "p >= 0.05"


def round_ratio(x: float, rule: str | DisclosureRule = "nhs", places: int = 2) -> float:
    """A ratio resting on true counts, at the precision it is shown (2 d.p.; unrounded under "none")."""
    if x is None or not np.isfinite(x) or not get_rule(rule).active:
        return x
    return float(np.round(x, places))


@functools.lru_cache(maxsize=16)
def _z(level: float) -> float:
    from scipy import stats

    return float(stats.norm.ppf(1 - (1 - level) / 2))


def mantel_haenszel_batch(tables: ArrayLike, level: float = 0.95) -> np.ndarray:
    """Mantel-Haenszel pooled risk and odds ratios for many sets of strata at once.

    ``tables`` has shape (..., K, 4): a, b, c, d per stratum ([[a, b], [c, d]], rows the groups).
    Returns (..., 6): risk ratio with the Greenland-Robins interval, odds ratio with the
    Robins-Breslow-Greenland interval (the formulas of ``hmip.stats.disproportionality.mh_risk_ratio``
    and statsmodels ``StratifiedTable``). Used to screen many candidate tables quickly; NaN or inf
    where a formula breaks down.
    """
    t = np.asarray(tables, dtype=float)
    a, b, c, d = t[..., 0], t[..., 1], t[..., 2], t[..., 3]
    n1, n0 = a + b, c + d
    n = n1 + n0
    z = _z(level)
    with np.errstate(all="ignore"):
        r = (a * n0 / n).sum(-1)
        s = (c * n1 / n).sum(-1)
        rr = r / s
        se_rr = np.sqrt(((n1 * n0 * (a + c) - a * c * n) / n**2).sum(-1) / (r * s))
        ad, bc, apd = a * d / n, b * c / n, (a + d) / n
        adns, bcns = ad.sum(-1), bc.sum(-1)
        or_ = adns / bcns
        var = (apd * ad).sum(-1) / adns**2
        var += (apd * bc + (1 - apd) * ad).sum(-1) / (adns * bcns)
        var += ((1 - apd) * bc).sum(-1) / bcns**2
        se_or = np.sqrt(var / 2)
        out = np.stack(
            [
                rr,
                np.exp(np.log(rr) - z * se_rr),
                np.exp(np.log(rr) + z * se_rr),
                or_,
                np.exp(np.log(or_) - z * se_or),
                np.exp(np.log(or_) + z * se_or),
            ],
            -1,
        )
    return out


def protected_share(
    yes: ArrayLike, n: ArrayLike, rule: str | DisclosureRule = "nhs"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(yes shown, n shown, share from rounded values, suppressed?) - suppressed where yes, no or n is 1-threshold."""
    r = get_rule(rule)
    yes = np.asarray(yes, dtype=float)
    n = np.asarray(n, dtype=float)
    if not r.active:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (
                yes,
                n,
                np.where(n > 0, yes / np.where(n > 0, n, 1), np.nan),
                np.zeros(yes.shape, bool),
            )
    ry = rounded_values(pd.Series(yes), r.threshold, r.base).to_numpy()
    rno = rounded_values(pd.Series(n - yes), r.threshold, r.base).to_numpy()
    rn = rounded_values(pd.Series(n), r.threshold, r.base).to_numpy()
    suppressed = np.isnan(ry) | np.isnan(rno) | np.isnan(rn)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(~suppressed & (rn > 0), ry / np.where(rn > 0, rn, 1), np.nan)
    return ry, rn, share, suppressed


def display_count(value: float, rule: str | DisclosureRule = "nhs") -> object:
    """One count as it may be shown (int or the marker)."""
    r = get_rule(rule)
    if not r.active:
        return int(value)
    return protect(pd.Series([value]), r.threshold, r.base, r.marker).iloc[0]

"""Statistical disclosure control for counts of people in shared output.

The NHS England / OpenSAFELY rule: 0 stays 0; 1-7 is suppressed with one searchable marker;
everything else is rounded to the nearest 5; totals and percentages are computed from the rounded
values; shares and intervals based on a suppressed count are suppressed too. A "none" rule exists
for internal work, and reports built with it say so in their banner.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hmip.errors import DisclosureError

MARKER = "[REDACTED]"


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
            f"other counts are rounded to the nearest {self.base}; 0 stays 0; totals and percentages are "
            f"computed from the rounded values; shares and intervals resting on a suppressed count are suppressed."
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


def rounded_values(counts, threshold: int | None = 7, base: int | None = 5):
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


def protect(counts, threshold: int | None = 7, base: int | None = 5, marker: str = MARKER):
    """The protected version of a Series or DataFrame of counts, for display (object dtype: ints and the marker)."""
    num = rounded_values(counts, threshold, base)
    original = counts if isinstance(counts, pd.Series | pd.DataFrame) else pd.Series(counts)
    suppressed = num.isna() & original.notna()

    def fmt(v, s):
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


def protect_table(
    table: pd.DataFrame,
    count_columns: list[str],
    *,
    rule: str | DisclosureRule = "nhs",
    total_row: str | None = "Total",
    label_column: str | None = None,
) -> pd.DataFrame:
    """Protect the count columns of a table and add a total row computed from the ROUNDED values, so a
    total can never reveal a suppressed cell."""
    r = get_rule(rule)
    out = table.copy()
    if not r.active:
        if total_row:
            total = {c: int(table[c].sum()) for c in count_columns}
            out = pd.concat(
                [out, pd.DataFrame([{label_column or out.columns[0]: total_row, **total}])],
                ignore_index=True,
            )
        return out
    num = rounded_values(table[count_columns], r.threshold, r.base)
    shown = protect(table[count_columns], r.threshold, r.base, r.marker)
    for c in count_columns:
        out[c] = shown[c]
    if total_row:
        total = {c: int(np.nansum(num[c].to_numpy())) for c in count_columns}
        out = pd.concat(
            [out, pd.DataFrame([{label_column or out.columns[0]: total_row, **total}])],
            ignore_index=True,
        )
    return out


def protected_share(
    yes, n, rule: str | DisclosureRule = "nhs"
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


def display_count(value, rule: str | DisclosureRule = "nhs"):
    """One count as it may be shown (int or the marker)."""
    r = get_rule(rule)
    if not r.active:
        return int(value)
    return protect(pd.Series([value]), r.threshold, r.base, r.marker).iloc[0]

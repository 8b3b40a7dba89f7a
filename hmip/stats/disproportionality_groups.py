"""Disproportionality's groups and counts: what the per-PDU comparisons
(:mod:`hmip.stats.disproportionality_compare`) and the pooled analysis
(:mod:`hmip.stats.disproportionality_pooled`) both start from.

The groupings (:func:`make_grouping`, :func:`assign_groups`), the cases with ethnicity not recorded,
the counts and shares per group and key question (:func:`group_counts`, :func:`group_shares`), the
argument checks, and the families of tests with their Benjamini-Hochberg adjustment
(:func:`adjust_p_values`: the per-PDU comparisons are one family, the pooled tests another).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from hmip.data.ethnicity import NOT_RECORDED, WHITE, WHITE_MINORITY_DETAIL
from hmip.errors import StatisticsError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.intervals import (
    check_count,
    check_counts,
    check_level,
    share_table,
)
from hmip.stats.results import method_label

MINORITY = "Ethnic minority"
GROUPINGS = ("ons5", "binary", "custom")
EXACT_TESTS = ("boschloo", "fisher")
BOSCHLOO_GRID = 32
FINAL_BOSCHLOO_GRID = 128
POOLED_LABEL = "All PDUs (pooled, PDU strata)"
#: The two families of tests, each adjusted for multiple comparisons on its own.
PER_PDU_FAMILY = "per-PDU comparisons"
POOLED_FAMILY = "pooled across PDUs (Mantel-Haenszel)"
COUNT_COLUMNS = ("pdu", "standard", "key_question", "group", "yes", "n")


class DisproportionalityError(StatisticsError):
    """A disproportionality analysis was asked for with impossible arguments."""


# --- Argument checks -------------------------------------------------------------------------------------
def _check_frame(table: object, columns: Iterable[str], name: str) -> pd.DataFrame:
    cols = list(columns)
    if not isinstance(table, pd.DataFrame):
        raise DisproportionalityError(
            f"{name} must be a pandas DataFrame with the columns {', '.join(cols)}; got {type(table).__name__}"
        )
    missing = [c for c in cols if c not in table.columns]
    if missing:
        raise DisproportionalityError(
            f"{name} lacks the column(s) {', '.join(missing)}; needed: {', '.join(cols)}"
        )
    return table


def _check_counts_table(counts: object) -> pd.DataFrame:
    """A table of group counts (as made by :func:`group_counts`): yes of n, whole numbers, yes <= n."""
    t = _check_frame(counts, COUNT_COLUMNS, "counts")
    check_counts(t["yes"].to_numpy(), t["n"].to_numpy(), names=("yes", "n"))
    return t


def _check_grouping(grouping: object) -> Grouping:
    if not isinstance(grouping, Grouping):
        raise DisproportionalityError(
            f"grouping must be a Grouping made by make_grouping(); got {type(grouping).__name__}"
        )
    return grouping


def _check_choice(value: object, name: str, accepted: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in accepted:
        raise DisproportionalityError(
            f"{name} {value!r} is not known; accepted: {', '.join(accepted)}"
        )
    return value


def _check_flag(value: object, name: str) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise DisproportionalityError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def _check_share(value: object, name: str, *, open_interval: bool = False) -> float:
    """A probability: from 0 to 1 (strictly between with ``open_interval``), not NaN."""
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    v = float(value) if ok else math.nan
    inside = 0 < v < 1 if open_interval else 0 <= v <= 1
    if not inside:
        where = "strictly between 0 and 1" if open_interval else "from 0 to 1"
        raise DisproportionalityError(f"{name} must be a proportion {where}; got {value!r}")
    return v


def _scalar_count(value: object, name: str) -> int:
    arr = check_count(value, name)
    if arr.ndim != 0:
        raise DisproportionalityError(f"{name} must be a single whole number; got {value!r}")
    return int(arr)


def _one_table(yes1: object, n1: object, yes2: object, n2: object) -> tuple[int, int, int, int]:
    y1, m1, y2, m2 = (
        _scalar_count(v, k) for v, k in ((yes1, "yes1"), (n1, "n1"), (yes2, "yes2"), (n2, "n2"))
    )
    check_counts(y1, m1, names=("yes1", "n1"))
    check_counts(y2, m2, names=("yes2", "n2"))
    return y1, m1, y2, m2


# --- Groups -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grouping:
    name: str
    reference: str
    white_minorities_as_minority: bool = False
    custom: Mapping[str, str] | None = None

    def describe(self) -> str:
        if self.name == "ons5":
            return "ONS 2021 top-level ethnic groups, each compared with White; Not recorded reported separately"
        if self.name == "binary":
            wm = "included in" if self.white_minorities_as_minority else "counted as White, not in"
            return (
                f"ethnic minority vs White (White minority groups - Irish, Gypsy or Irish Traveller, Roma, any "
                f"other White background - are {wm} the minority group; MoJ practice excludes them)"
            )
        return f"custom grouping, reference '{self.reference}'"


def make_grouping(
    name: str = "binary",
    *,
    white_minorities_as_minority: bool = False,
    custom: Mapping[str, str] | None = None,
    reference: str | None = None,
) -> Grouping:
    _check_choice(name, "grouping", GROUPINGS)
    _check_flag(white_minorities_as_minority, "white_minorities_as_minority")
    if reference is not None and not (isinstance(reference, str) and reference):
        raise DisproportionalityError(f"reference must be a group name or None; got {reference!r}")
    if name == "custom":
        if not isinstance(custom, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in custom.items()
        ):
            raise DisproportionalityError(
                "a custom grouping needs a mapping of ethnicity (group or detailed category) -> label"
            )
        if not custom:
            raise DisproportionalityError(
                "a custom grouping needs a mapping of ethnicity (group or detailed category) -> label"
            )
        return Grouping(name, reference or WHITE, white_minorities_as_minority, dict(custom))
    ref = WHITE if not (name == "binary" and white_minorities_as_minority) else "White British"
    return Grouping(name, reference or ref, white_minorities_as_minority)


def assign_groups(cases: pd.DataFrame, grouping: Grouping) -> pd.Series:
    """The analysis group of each case."""
    _check_frame(cases, ("ethnicity", "ethnicity_detail"), "cases")
    _check_grouping(grouping)
    top = cases["ethnicity"].astype(str)
    detail = cases["ethnicity_detail"].astype(str)
    if grouping.name == "ons5":
        return top.rename("group")
    if grouping.name == "binary":
        white_minority = detail.isin(WHITE_MINORITY_DETAIL)
        out = np.where(
            top == NOT_RECORDED,
            NOT_RECORDED,
            np.where(
                top == WHITE,
                np.where(
                    white_minority & grouping.white_minorities_as_minority,
                    MINORITY,
                    grouping.reference,
                ),
                MINORITY,
            ),
        )
        return pd.Series(out, index=cases.index, name="group")
    mapped = [
        grouping.custom.get(d, grouping.custom.get(t, NOT_RECORDED if t == NOT_RECORDED else None))
        for d, t in zip(detail, top, strict=True)
    ]
    missing = sorted({d for d, m in zip(detail, mapped, strict=True) if m is None})
    if missing:
        raise DisproportionalityError(f"the custom grouping does not map: {', '.join(missing)}")
    return pd.Series(mapped, index=cases.index, name="group")


def not_recorded_table(cases: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Per PDU (and overall): cases, ethnicity not recorded, and its share with a Wilson interval."""
    level = check_level(level)
    _check_frame(cases, ("pdu", "ethnicity"), "cases")
    g = cases.assign(nr=cases["ethnicity"].astype(str) == NOT_RECORDED).groupby("pdu", sort=False)[
        "nr"
    ]
    t = pd.DataFrame({"cases": g.size(), "not_recorded": g.sum().astype(int)}).reset_index()
    total = {"pdu": "All PDUs", "cases": t["cases"].sum(), "not_recorded": t["not_recorded"].sum()}
    t = pd.concat([t, pd.DataFrame([total])], ignore_index=True)
    return share_table(t, level=level, yes="not_recorded", n="cases")


# --- Counts per group ---------------------------------------------------------------------------------
def _kq_ids(
    framework: Framework,
    standards: Sequence[str] | None = None,
    key_questions: Sequence[str] | None = None,
) -> list[str]:
    out = []
    wanted_std = None if not standards else {framework.standard(s).id for s in standards}
    for kq in framework.key_questions:
        if wanted_std is not None and kq.standard_id not in wanted_std:
            continue
        if key_questions and kq.id not in key_questions and kq.qualified_id not in key_questions:
            continue
        out.append(kq.qualified_id)
    if not out:
        raise DisproportionalityError(
            "no key questions selected: check the standards and key questions asked for"
        )
    return out


def group_counts(
    cases: pd.DataFrame,
    grouping: Grouping,
    *,
    standards: Sequence[str] | None = None,
    key_questions: Sequence[str] | None = None,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """pdu, standard, key_question, group, yes, n (n/a excluded) for every combination present."""
    fw = framework_or_default(framework)
    _check_frame(cases, ("pdu", "ethnicity", "ethnicity_detail"), "cases")
    groups = assign_groups(cases, grouping)
    qids = _kq_ids(fw, standards, key_questions)
    _check_frame(cases, qids, "cases")
    rows = []
    for qid in qids:
        ans = cases[qid].astype(str)
        df = pd.DataFrame(
            {
                "pdu": cases["pdu"],
                "group": groups,
                "yes": ans.eq("yes"),
                "n": ans.isin(["yes", "no"]),
            }
        )
        agg = df.groupby(["pdu", "group"], sort=False)[["yes", "n"]].sum().reset_index()
        std, kq = qid.split(".")
        agg.insert(1, "standard", std)
        agg.insert(2, "key_question", kq)
        rows.append(agg)
    out = pd.concat(rows, ignore_index=True)
    out[["yes", "n"]] = out[["yes", "n"]].astype(int)
    return out


def group_shares(counts: pd.DataFrame, *, pooled: bool = True, level: float = 0.95) -> pd.DataFrame:
    """Share sufficient per group (per PDU, and over all PDUs' cases) with Wilson intervals.

    The "All PDUs" rows describe all the cases of a group; they are shares, not a comparison, so the
    pooled comparison of groups is left to :func:`pooled_analysis`."""
    level = check_level(level)
    _check_counts_table(counts)
    frames = [counts]
    if _check_flag(pooled, "pooled"):
        frames.append(
            counts.groupby(["standard", "key_question", "group"], sort=False)[["yes", "n"]]
            .sum()
            .reset_index()
            .assign(pdu="All PDUs")
        )
    return share_table(pd.concat(frames, ignore_index=True), level=level)


# --- Families of tests: Benjamini-Hochberg within each ------------------------------------------------
def adjust_p_values(
    table: pd.DataFrame, column: str = "p_value", *, family: str | None = None
) -> pd.DataFrame:
    """Benjamini-Hochberg adjusted p-values in ``<column>_bh`` (NaN p-values left out), and an
    ``adjustment`` column saying over how many tests.

    ``family`` names a column: the adjustment is made within each of its values separately (the
    per-PDU comparisons are one family, the pooled tests another). Without it the whole table is one
    family."""
    _check_frame(table, [column] + ([family] if family is not None else []), "table")
    p = pd.to_numeric(table[column], errors="coerce").to_numpy(dtype=float)
    if (table[column].notna() & np.isnan(p)).any() or ((p < 0) | (p > 1)).any():
        raise DisproportionalityError(
            f"column '{column}' must hold p-values from 0 to 1 (or NaN where nothing was tested)"
        )
    out = table.copy()
    adj = np.full(len(out), np.nan)
    text = np.empty(len(out), dtype=object)
    keys = out[family].to_numpy() if family is not None else np.zeros(len(out))
    for key in pd.unique(keys):
        rows = keys == key
        ok = rows & ~np.isnan(p)
        if ok.any():
            adj[ok] = multipletests(p[ok], method="fdr_bh")[1]
        where = f" within the family '{key}'" if family is not None else ""
        text[rows] = f"{method_label('bh')} over {int(ok.sum())} tests{where}"
    out[f"{column}_bh"] = adj
    out["adjustment"] = text
    return out

"""Disproportionality by ethnicity in the quality of case supervision.

Every table is tidy and names its methods and level (:mod:`hmip.stats.results`); every public function
refuses impossible arguments with a :class:`~hmip.errors.StatisticsError` naming the argument.

- per group, per key question: share sufficient with a Wilson interval, and n;
- against the White reference group, per PDU: the relative rate index (RRI, ratio of shares) with
  Koopman's score interval (behaves at zeros and at 100%), the difference with Newcombe's interval,
  and an exact test: Boschloo's (the two groups are independent binomial samples of fixed size; grid
  raised for final figures) or Fisher's;
- pooled across PDUs (PDUs as strata): Mantel-Haenszel odds ratio and risk ratio with intervals
  (statsmodels ``StratifiedTable``; the risk-ratio interval by Greenland-Robins), the MH test and
  Breslow-Day for heterogeneity. A pooled figure is never a test on the tables summed over PDUs
  (which Simpson's paradox can reverse);
- Benjamini-Hochberg within one family at a time: the per-PDU comparisons are one family, the pooled
  (Mantel-Haenszel) tests another; they are never mixed in one adjustment. Adjusted and unadjusted
  p-values are both shown;
- power: the minimum difference detectable with 80% power at each comparison's n.

Groupings: the ONS five top-level groups ("ons5"); ethnic minority vs White ("binary", MoJ practice:
White minority groups count as White unless ``white_minorities_as_minority=True``); or a custom
mapping. "Not recorded" is always its own group and never compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from hmip.data.ethnicity import NOT_RECORDED, WHITE, WHITE_MINORITY_DETAIL
from hmip.errors import StatisticsError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.intervals import (
    check_count,
    check_counts,
    check_level,
    newcombe_difference,
    ratio_interval,
    share_table,
)
from hmip.stats.results import Value, method_label, with_interval

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

"""Disproportionality by ethnicity in the quality of case supervision.

Every table is tidy and names its methods and level:

- per group, per key question: share sufficient with a Wilson interval, and n;
- against the White reference group: the relative rate index (RRI, ratio of shares) with the
  Koopman score interval (behaves at zeros and 100%), the difference with Newcombe's interval, and an exact
  test (Boschloo by default, grid raised for final figures; or Fisher);
- pooled across PDUs (PDUs as strata): Mantel-Haenszel odds ratio and risk ratio with intervals
  (statsmodels ``StratifiedTable``; the risk-ratio interval by Greenland-Robins), the MH test and
  Breslow-Day for heterogeneity;
- Benjamini-Hochberg across everything tested, adjusted and unadjusted both shown;
- power: the minimum difference detectable with 80% power at each comparison's n.

Groupings: the ONS five top-level groups ("ons5"); ethnic minority vs White ("binary", MoJ practice:
White minority groups count as White unless ``white_minorities_as_minority=True``); or a custom
mapping. "Not recorded" is always its own group and never compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.power import NormalIndPower

from hmip.data.ethnicity import NOT_RECORDED, WHITE, WHITE_MINORITY_DETAIL
from hmip.errors import StatisticsError
from hmip.rules.framework import Framework, default_framework
from hmip.stats.intervals import (
    check_level,
    newcombe_difference,
    ratio_interval,
    share_table,
)

ESTIMATE = ("estimate", "lower", "upper")

MINORITY = "Ethnic minority"
GROUPINGS = ("ons5", "binary", "custom")
EXACT_TESTS = ("boschloo", "fisher")
FINAL_BOSCHLOO_GRID = 128
POOLED_LABEL = "All PDUs (pooled, PDU strata)"


class DisproportionalityError(StatisticsError):
    pass


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
    if name not in GROUPINGS:
        raise DisproportionalityError(
            f"grouping '{name}' is not known; accepted: {', '.join(GROUPINGS)}"
        )
    if name == "custom":
        if not custom:
            raise DisproportionalityError(
                "a custom grouping needs a mapping of ethnicity (group or detailed category) -> label"
            )
        return Grouping(name, reference or WHITE, white_minorities_as_minority, dict(custom))
    ref = WHITE if not (name == "binary" and white_minorities_as_minority) else "White British"
    return Grouping(name, reference or ref, white_minorities_as_minority)


def assign_groups(cases: pd.DataFrame, grouping: Grouping) -> pd.Series:
    """The analysis group of each case."""
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
    """Per PDU (and overall): cases, ethnicity not recorded, share with a Wilson interval."""
    g = cases.assign(nr=cases["ethnicity"].astype(str) == NOT_RECORDED).groupby("pdu", sort=False)[
        "nr"
    ]
    t = pd.DataFrame({"cases": g.size(), "not_recorded": g.sum().astype(int)}).reset_index()
    t = pd.concat(
        [
            t,
            pd.DataFrame(
                [
                    {
                        "pdu": "All PDUs",
                        "cases": t["cases"].sum(),
                        "not_recorded": t["not_recorded"].sum(),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    return share_table(t, level=level, yes="not_recorded", n="cases")


# --- Counts per group ---------------------------------------------------------------------------------
def _kq_ids(framework: Framework, standards=None, key_questions=None) -> list[str]:
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
    standards=None,
    key_questions=None,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """pdu, standard, key_question, group, yes, n (n/a excluded) for every combination present."""
    fw = framework or default_framework()
    groups = assign_groups(cases, grouping)
    rows = []
    for qid in _kq_ids(fw, standards, key_questions):
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
    """Share sufficient per group (per PDU, and pooled over PDUs) with Wilson intervals."""
    check_level(level)
    frames = [counts]
    if pooled:
        frames.append(
            counts.groupby(["standard", "key_question", "group"], sort=False)[["yes", "n"]]
            .sum()
            .reset_index()
            .assign(pdu="All PDUs")
        )
    return share_table(pd.concat(frames, ignore_index=True), level=level)


# --- Comparisons with the reference group --------------------------------------------------------------------
def exact_test(
    yes1: int, n1: int, yes2: int, n2: int, *, test: str = "boschloo", grid: int = 32
) -> float:
    """Two-sided exact p-value for a 2x2 table (group vs reference, sufficient vs not)."""
    if test not in EXACT_TESTS:
        raise DisproportionalityError(
            f"test '{test}' is not known; accepted: {', '.join(EXACT_TESTS)}"
        )
    if n1 == 0 or n2 == 0:
        return np.nan
    if (yes1 + yes2) in (0, n1 + n2):
        return 1.0  # no variation at all: nothing to test
    # The two groups are the COLUMNS: scipy's boschloo_exact takes the column totals as the fixed sizes
    # of two independent binomial samples. (Fisher's test conditions on both margins, so its p-value
    # is the same either way round.)
    table = [[yes1, yes2], [n1 - yes1, n2 - yes2]]
    if test == "fisher":
        return float(stats.fisher_exact(table)[1])
    return float(stats.boschloo_exact(table, alternative="two-sided", n=grid).pvalue)


def min_detectable_difference(
    n_group: int, n_ref: int, p_ref: float, *, power: float = 0.8, alpha: float = 0.05
) -> float:
    """The smallest shortfall (reference share minus group share) detectable with ``power`` at these n
    (two-sided, normal approximation on the arcsine scale: statsmodels NormalIndPower)."""
    if n_group < 2 or n_ref < 2 or not 0 < p_ref < 1:
        return np.nan
    h = NormalIndPower().solve_power(
        effect_size=None, nobs1=n_group, ratio=n_ref / n_group, alpha=alpha, power=power
    )
    arg = np.arcsin(np.sqrt(p_ref)) - h / 2
    p_group = np.sin(max(arg, 0.0)) ** 2
    return float(p_ref - p_group) if arg > 0 else float(p_ref)


def exact_power(
    n_group: int, n_ref: int, p_group: float, p_ref: float, *, alpha: float = 0.05
) -> float:
    """Exact power of the two-sided Fisher test, by enumerating every outcome (small samples)."""
    a = np.arange(n_group + 1)
    c = np.arange(n_ref + 1)
    reject = np.zeros((n_group + 1, n_ref + 1), dtype=bool)
    for i in a:
        for j in c:
            reject[i, j] = stats.fisher_exact([[i, n_group - i], [j, n_ref - j]])[1] <= alpha
    prob = np.outer(stats.binom.pmf(a, n_group, p_group), stats.binom.pmf(c, n_ref, p_ref))
    return float(prob[reject].sum())


def compare_groups(
    counts: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    include_pooled: bool = True,
) -> pd.DataFrame:
    """Each group against the reference, per PDU (and with PDUs summed), per key question.

    RRI = share(group) / share(reference), Koopman score interval; difference = share(group) -
    share(reference), Newcombe interval; exact p (Boschloo, grid 32, or 128 with ``final=True``; or Fisher);
    BH-adjusted p across all rows; minimum detectable difference at 80% power.
    """
    check_level(level)
    grid = FINAL_BOSCHLOO_GRID if final else 32
    frames = [counts]
    if include_pooled:
        frames.append(
            counts.groupby(["standard", "key_question", "group"], sort=False)[["yes", "n"]]
            .sum()
            .reset_index()
            .assign(pdu="All PDUs (summed)")
        )
    t = pd.concat(frames, ignore_index=True)
    rows = []
    for (pdu, std, kq), g in t.groupby(["pdu", "standard", "key_question"], sort=False):
        ref = g[g["group"] == grouping.reference]
        if ref.empty:
            continue
        yr, nr = int(ref["yes"].iloc[0]), int(ref["n"].iloc[0])
        for r in g.itertuples():
            if r.group in (grouping.reference, NOT_RECORDED):
                continue
            yg, ng = int(r.yes), int(r.n)
            rri, rlo, rhi = ratio_interval(yg, ng, yr, nr, level=level).iloc[0][list(ESTIMATE)]
            diff, dlo, dhi = newcombe_difference(yg, ng, yr, nr, level=level).iloc[0][
                list(ESTIMATE)
            ]
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
                    "rri": rri,
                    "rri_lower": rlo,
                    "rri_upper": rhi,
                    "difference": diff,
                    "difference_lower": dlo,
                    "difference_upper": dhi,
                    "p_value": exact_test(yg, ng, yr, nr, test=test, grid=grid),
                    "min_detectable_difference": min_detectable_difference(ng, nr, p_ref)
                    if nr
                    else np.nan,
                    "rri_method": f"Koopman score {100 * level:g}%",
                    "difference_method": f"Newcombe hybrid score {100 * level:g}%",
                    "test": f"Boschloo exact (grid {grid})"
                    if test == "boschloo"
                    else "Fisher exact",
                }
            )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    return adjust_p_values(out)


def adjust_p_values(table: pd.DataFrame, column: str = "p_value") -> pd.DataFrame:
    """Benjamini-Hochberg across every row tested (NaN p-values left out)."""
    out = table.copy()
    ok = out[column].notna().to_numpy()
    adj = np.full(len(out), np.nan)
    if ok.any():
        adj[ok] = multipletests(out.loc[ok, column].to_numpy(), method="fdr_bh")[1]
    out[f"{column}_bh"] = adj
    out["adjustment"] = f"Benjamini-Hochberg over {int(ok.sum())} tests"
    return out


# --- Pooled across PDUs: Mantel-Haenszel -----------------------------------------------------------------------
def mh_risk_ratio(tables: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    """Mantel-Haenszel risk ratio (row 1 over row 2 share of column 1) with the Greenland-Robins interval.

    ``tables`` is K x 2 x 2: [[a, b], [c, d]] per stratum.
    """
    a, b, c, d = (tables[:, 0, 0], tables[:, 0, 1], tables[:, 1, 0], tables[:, 1, 1])
    n1, n0 = a + b, c + d
    n = n1 + n0
    r = (a * n0 / n).sum()
    s = (c * n1 / n).sum()
    if r == 0 or s == 0:
        return (r / s if s else np.nan), np.nan, np.nan
    rr = r / s
    var = ((n1 * n0 * (a + c) - a * c * n) / n**2).sum() / (r * s)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    se = np.sqrt(var)
    return float(rr), float(np.exp(np.log(rr) - z * se)), float(np.exp(np.log(rr) + z * se))


def pooled_analysis(
    counts: pd.DataFrame, grouping: Grouping, *, level: float = 0.95
) -> pd.DataFrame:
    """Per key question and group: MH pooled OR and RR with intervals, the MH test and Breslow-Day,
    with PDUs as strata (strata lacking either group are left out and counted)."""
    check_level(level)
    rows = []
    for (std, kq), g in counts.groupby(["standard", "key_question"], sort=False):
        for group in [
            x for x in g["group"].unique() if x not in (grouping.reference, NOT_RECORDED)
        ]:
            tabs, dropped = [], 0
            for _, h in g.groupby("pdu", sort=False):
                grp, ref = h[h["group"] == group], h[h["group"] == grouping.reference]
                if grp.empty or ref.empty or grp["n"].iloc[0] == 0 or ref["n"].iloc[0] == 0:
                    dropped += 1
                    continue
                yg, ng, yr, nr = (
                    int(grp["yes"].iloc[0]),
                    int(grp["n"].iloc[0]),
                    int(ref["yes"].iloc[0]),
                    int(ref["n"].iloc[0]),
                )
                tabs.append([[yg, ng - yg], [yr, nr - yr]])
            base = {
                "standard": std,
                "key_question": kq,
                "group": group,
                "reference": grouping.reference,
                "strata": len(tabs),
                "strata_left_out": dropped,
            }
            if not tabs:
                rows.append(base)
                continue
            arr = np.array(tabs, dtype=float)
            rr, rr_lo, rr_hi = mh_risk_ratio(arr, level)
            st = StratifiedTable(arr.transpose(1, 2, 0))
            try:
                or_ = float(st.oddsratio_pooled)
                or_lo, or_hi = (float(x) for x in st.oddsratio_pooled_confint(alpha=1 - level))
            except (ZeroDivisionError, FloatingPointError, ValueError):
                or_, or_lo, or_hi = np.nan, np.nan, np.nan
            mh = st.test_null_odds(correction=True)
            # Breslow-Day needs strata with both outcomes present; others carry no information on heterogeneity
            informative = arr[(arr[:, :, 0].sum(axis=1) > 0) & (arr[:, :, 1].sum(axis=1) > 0)]
            bd_p = (
                float(StratifiedTable(informative.transpose(1, 2, 0)).test_equal_odds().pvalue)
                if len(informative) > 1
                else np.nan
            )
            rows.append(
                {
                    **base,
                    "n_group": int(arr[:, 0].sum()),
                    "n_reference": int(arr[:, 1].sum()),
                    "mh_risk_ratio": rr,
                    "rr_lower": rr_lo,
                    "rr_upper": rr_hi,
                    "mh_odds_ratio": or_,
                    "or_lower": or_lo,
                    "or_upper": or_hi,
                    "mh_p_value": float(mh.pvalue),
                    "breslow_day_p": bd_p,
                    "methods": f"Mantel-Haenszel (statsmodels StratifiedTable), RR interval Greenland-Robins, "
                    f"{100 * level:g}%; MH test with continuity correction; Breslow-Day heterogeneity",
                }
            )
    out = pd.DataFrame(rows)
    return adjust_p_values(out, "mh_p_value") if "mh_p_value" in out else out


# --- Shared output: disclosure-controlled tables, statements and the notebook's inputs ----------------------------

"""Disproportionality by ethnicity in the quality of case supervision.

Every table is tidy and names its methods and level:

- per group, per key question: share sufficient with a Wilson interval, and n;
- against the White reference group: the relative rate index (RRI, ratio of shares) with the
  log-adjusted interval (survives zero cells), the difference with Newcombe's interval, and an exact
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

from hmip.data import NOT_RECORDED, WHITE, WHITE_MINORITY_DETAIL
from hmip.framework import Framework, default_framework
from hmip.intervals import check_level, newcombe_difference, proportion_interval, ratio_interval

MINORITY = "Ethnic minority"
GROUPINGS = ("ons5", "binary", "custom")
EXACT_TESTS = ("boschloo", "fisher")
FINAL_BOSCHLOO_GRID = 128
POOLED_LABEL = "All PDUs (pooled, PDU strata)"


class DisproportionalityError(ValueError):
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
            return (f"ethnic minority vs White (White minority groups - Irish, Gypsy or Irish Traveller, Roma, any "
                    f"other White background - are {wm} the minority group; MoJ practice excludes them)")
        return f"custom grouping, reference '{self.reference}'"


def make_grouping(name: str = "binary", *, white_minorities_as_minority: bool = False,
                  custom: Mapping[str, str] | None = None, reference: str | None = None) -> Grouping:
    if name not in GROUPINGS:
        raise DisproportionalityError(f"grouping '{name}' is not known; accepted: {', '.join(GROUPINGS)}")
    if name == "custom":
        if not custom:
            raise DisproportionalityError("a custom grouping needs a mapping of ethnicity (group or detailed category) -> label")
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
        out = np.where(top == NOT_RECORDED, NOT_RECORDED,
                       np.where(top == WHITE, np.where(white_minority & grouping.white_minorities_as_minority, MINORITY,
                                                       grouping.reference), MINORITY))
        return pd.Series(out, index=cases.index, name="group")
    mapped = [grouping.custom.get(d, grouping.custom.get(t, NOT_RECORDED if t == NOT_RECORDED else None))
              for d, t in zip(detail, top, strict=True)]
    missing = sorted({d for d, m in zip(detail, mapped, strict=True) if m is None})
    if missing:
        raise DisproportionalityError(f"the custom grouping does not map: {', '.join(missing)}")
    return pd.Series(mapped, index=cases.index, name="group")


def not_recorded_table(cases: pd.DataFrame, *, level: float = 0.95) -> pd.DataFrame:
    """Per PDU (and overall): cases, ethnicity not recorded, share with a Wilson interval."""
    g = cases.assign(nr=cases["ethnicity"].astype(str) == NOT_RECORDED).groupby("pdu", sort=False)["nr"]
    t = pd.DataFrame({"cases": g.size(), "not_recorded": g.sum().astype(int)}).reset_index()
    t = pd.concat([t, pd.DataFrame([{"pdu": "All PDUs", "cases": t["cases"].sum(), "not_recorded": t["not_recorded"].sum()}])],
                  ignore_index=True)
    t["share"] = t["not_recorded"] / t["cases"]
    t["lower"], t["upper"] = proportion_interval(t["not_recorded"].to_numpy(), t["cases"].to_numpy(), level=level)
    t["method"] = f"Wilson score {100 * level:g}%"
    return t


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
        raise DisproportionalityError("no key questions selected: check the standards and key questions asked for")
    return out


def group_counts(cases: pd.DataFrame, grouping: Grouping, *, standards=None, key_questions=None,
                 framework: Framework | None = None) -> pd.DataFrame:
    """pdu, standard, key_question, group, yes, n (n/a excluded) for every combination present."""
    fw = framework or default_framework()
    groups = assign_groups(cases, grouping)
    rows = []
    for qid in _kq_ids(fw, standards, key_questions):
        ans = cases[qid].astype(str)
        df = pd.DataFrame({"pdu": cases["pdu"], "group": groups, "yes": ans.eq("yes"), "n": ans.isin(["yes", "no"])})
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
        frames.append(counts.groupby(["standard", "key_question", "group"], sort=False)[["yes", "n"]].sum()
                      .reset_index().assign(pdu="All PDUs"))
    t = pd.concat(frames, ignore_index=True)
    t["share"] = np.where(t["n"] > 0, t["yes"] / t["n"].where(t["n"] > 0, 1), np.nan)
    t["lower"], t["upper"] = proportion_interval(t["yes"].to_numpy(), t["n"].to_numpy(), level=level)
    t["method"] = f"Wilson score {100 * level:g}%"
    return t


# --- Comparisons with the reference group --------------------------------------------------------------------
def exact_test(yes1: int, n1: int, yes2: int, n2: int, *, test: str = "boschloo", grid: int = 32) -> float:
    """Two-sided exact p-value for a 2x2 table (group vs reference, sufficient vs not)."""
    if test not in EXACT_TESTS:
        raise DisproportionalityError(f"test '{test}' is not known; accepted: {', '.join(EXACT_TESTS)}")
    if n1 == 0 or n2 == 0:
        return np.nan
    table = [[yes1, n1 - yes1], [yes2, n2 - yes2]]
    if (yes1 + yes2) in (0, n1 + n2):
        return 1.0  # no variation at all: nothing to test
    if test == "fisher":
        return float(stats.fisher_exact(table)[1])
    return float(stats.boschloo_exact(table, alternative="two-sided", n=grid).pvalue)


def min_detectable_difference(n_group: int, n_ref: int, p_ref: float, *, power: float = 0.8, alpha: float = 0.05) -> float:
    """The smallest shortfall (reference share minus group share) detectable with ``power`` at these n
    (two-sided, normal approximation on the arcsine scale: statsmodels NormalIndPower)."""
    if n_group < 2 or n_ref < 2 or not 0 < p_ref < 1:
        return np.nan
    h = NormalIndPower().solve_power(effect_size=None, nobs1=n_group, ratio=n_ref / n_group, alpha=alpha, power=power)
    arg = np.arcsin(np.sqrt(p_ref)) - h / 2
    p_group = np.sin(max(arg, 0.0)) ** 2
    return float(p_ref - p_group) if arg > 0 else float(p_ref)


def exact_power(n_group: int, n_ref: int, p_group: float, p_ref: float, *, alpha: float = 0.05) -> float:
    """Exact power of the two-sided Fisher test, by enumerating every outcome (small samples)."""
    a = np.arange(n_group + 1)
    c = np.arange(n_ref + 1)
    reject = np.zeros((n_group + 1, n_ref + 1), dtype=bool)
    for i in a:
        for j in c:
            reject[i, j] = stats.fisher_exact([[i, n_group - i], [j, n_ref - j]])[1] <= alpha
    prob = np.outer(stats.binom.pmf(a, n_group, p_group), stats.binom.pmf(c, n_ref, p_ref))
    return float(prob[reject].sum())


def compare_groups(counts: pd.DataFrame, grouping: Grouping, *, level: float = 0.95, test: str = "boschloo",
                   final: bool = False, include_pooled: bool = True) -> pd.DataFrame:
    """Each group against the reference, per PDU (and with PDUs summed), per key question.

    RRI = share(group) / share(reference), log-adjusted interval; difference = share(group) -
    share(reference), Newcombe interval; exact p (Boschloo, grid 32, or 128 with ``final=True``; or Fisher);
    BH-adjusted p across all rows; minimum detectable difference at 80% power.
    """
    check_level(level)
    grid = FINAL_BOSCHLOO_GRID if final else 32
    frames = [counts]
    if include_pooled:
        frames.append(counts.groupby(["standard", "key_question", "group"], sort=False)[["yes", "n"]].sum()
                      .reset_index().assign(pdu="All PDUs (summed)"))
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
            rri, rlo, rhi = ratio_interval(yg, ng, yr, nr, level=level)
            diff, dlo, dhi = newcombe_difference(yg, ng, yr, nr, level=level)
            p_ref = yr / nr if nr else np.nan
            rows.append({
                "pdu": pdu, "standard": std, "key_question": kq, "group": r.group, "reference": grouping.reference,
                "yes_group": yg, "n_group": ng, "yes_reference": yr, "n_reference": nr,
                "share_group": yg / ng if ng else np.nan, "share_reference": p_ref,
                "rri": rri, "rri_lower": rlo, "rri_upper": rhi,
                "difference": diff, "difference_lower": dlo, "difference_upper": dhi,
                "p_value": exact_test(yg, ng, yr, nr, test=test, grid=grid),
                "min_detectable_difference": min_detectable_difference(ng, nr, p_ref) if nr else np.nan,
                "rri_method": f"log-adjusted {100 * level:g}%", "difference_method": f"Newcombe hybrid score {100 * level:g}%",
                "test": f"Boschloo exact (grid {grid})" if test == "boschloo" else "Fisher exact",
            })
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
    var = ((n1 * n0 * (a + c) - a * c * n) / n ** 2).sum() / (r * s)
    z = stats.norm.ppf(1 - (1 - level) / 2)
    se = np.sqrt(var)
    return float(rr), float(np.exp(np.log(rr) - z * se)), float(np.exp(np.log(rr) + z * se))


def pooled_analysis(counts: pd.DataFrame, grouping: Grouping, *, level: float = 0.95) -> pd.DataFrame:
    """Per key question and group: MH pooled OR and RR with intervals, the MH test and Breslow-Day,
    with PDUs as strata (strata lacking either group are left out and counted)."""
    check_level(level)
    rows = []
    for (std, kq), g in counts.groupby(["standard", "key_question"], sort=False):
        for group in [x for x in g["group"].unique() if x not in (grouping.reference, NOT_RECORDED)]:
            tabs, dropped = [], 0
            for _, h in g.groupby("pdu", sort=False):
                grp, ref = h[h["group"] == group], h[h["group"] == grouping.reference]
                if grp.empty or ref.empty or grp["n"].iloc[0] == 0 or ref["n"].iloc[0] == 0:
                    dropped += 1
                    continue
                yg, ng, yr, nr = int(grp["yes"].iloc[0]), int(grp["n"].iloc[0]), int(ref["yes"].iloc[0]), int(ref["n"].iloc[0])
                tabs.append([[yg, ng - yg], [yr, nr - yr]])
            base = {"standard": std, "key_question": kq, "group": group, "reference": grouping.reference,
                    "strata": len(tabs), "strata_left_out": dropped}
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
            bd_p = (float(StratifiedTable(informative.transpose(1, 2, 0)).test_equal_odds().pvalue)
                    if len(informative) > 1 else np.nan)
            rows.append({**base,
                         "n_group": int(arr[:, 0].sum()), "n_reference": int(arr[:, 1].sum()),
                         "mh_risk_ratio": rr, "rr_lower": rr_lo, "rr_upper": rr_hi,
                         "mh_odds_ratio": or_, "or_lower": or_lo, "or_upper": or_hi,
                         "mh_p_value": float(mh.pvalue), "breslow_day_p": bd_p,
                         "methods": f"Mantel-Haenszel (statsmodels StratifiedTable), RR interval Greenland-Robins, "
                                    f"{100 * level:g}%; MH test with continuity correction; Breslow-Day heterogeneity"})
    out = pd.DataFrame(rows)
    return adjust_p_values(out, "mh_p_value") if "mh_p_value" in out else out


# --- Shared output: disclosure-controlled tables, statements and the notebook's inputs ----------------------------
def protected_shares(shares: pd.DataFrame, rule="nhs", *, level: float = 0.95) -> pd.DataFrame:
    """Group shares for display: counts protected; share and Wilson interval from the ROUNDED counts;
    suppressed wherever yes, no or n is suppressed."""
    from hmip.disclosure import MARKER, get_rule, protected_share

    r = get_rule(rule)
    ry, rn, share, suppressed = protected_share(shares["yes"].to_numpy(), shares["n"].to_numpy(), r)
    lo, hi = proportion_interval(np.nan_to_num(ry), np.nan_to_num(rn), level=level)
    marker = r.marker or MARKER
    out = pd.DataFrame({
        "pdu": shares["pdu"].to_numpy(), "standard": shares["standard"].to_numpy(), "key_question": shares["key_question"].to_numpy(),
        "group": shares["group"].to_numpy(),
        "yes_display": [marker if s else (int(v) if not np.isnan(v) else 0) for v, s in zip(ry, suppressed, strict=True)]
        if r.active else shares["yes"].to_numpy(),
        "n_display": [marker if (np.isnan(v) and s) else int(v) for v, s in zip(rn, suppressed, strict=True)]
        if r.active else shares["n"].to_numpy(),
        "share": np.where(suppressed, np.nan, share),
        "lower": np.where(suppressed, np.nan, lo), "upper": np.where(suppressed, np.nan, hi),
        "suppressed": suppressed,
    })
    out["method"] = f"Wilson score {100 * level:g}%" + (" on rounded counts" if r.active else "")
    return out


def _any_small(values, rule) -> bool:
    from hmip.disclosure import get_rule

    r = get_rule(rule)
    return r.threshold is not None and any(1 <= int(v) <= r.threshold for v in values)


def protected_comparisons(comp: pd.DataFrame, rule="nhs") -> pd.DataFrame:
    """Comparisons for display: counts protected; every statistic resting on a suppressed count suppressed."""
    from hmip.disclosure import MARKER, display_count, get_rule

    r = get_rule(rule)
    rows = []
    for c in comp.to_dict("records"):
        cells = [c["yes_group"], c["n_group"] - c["yes_group"], c["n_group"], c["yes_reference"],
                 c["n_reference"] - c["yes_reference"], c["n_reference"]]
        small = _any_small(cells, r)
        row = {"PDU": c["pdu"], "key question": f"{c['standard']}.{c['key_question']}", "group": c["group"],
               "n group": display_count(c["n_group"], r), "n reference": display_count(c["n_reference"], r)}
        stats_cols = {"share group": c["share_group"], "share reference": c["share_reference"], "RRI": c["rri"],
                      "RRI lower": c["rri_lower"], "RRI upper": c["rri_upper"], "difference": c["difference"],
                      "diff lower": c["difference_lower"], "diff upper": c["difference_upper"], "p": c["p_value"],
                      "p (BH)": c["p_value_bh"], "min detectable gap (80% power)": c["min_detectable_difference"]}
        if small:
            stats_cols = {k: np.nan for k in stats_cols}
            row["note"] = f"suppressed: a count of 1-{r.threshold} people {r.marker or MARKER}"
        else:
            row["note"] = ""
        rows.append({**row, **stats_cols})
    out = pd.DataFrame(rows)
    if not comp.empty:
        out["methods"] = f"RRI {comp['rri_method'].iloc[0]}; difference {comp['difference_method'].iloc[0]}; {comp['test'].iloc[0]}; BH adjustment"
    return out


def protected_pooled(pooled: pd.DataFrame, rule="nhs") -> pd.DataFrame:
    """The pooled table for display: the numbers of people in each group rounded or suppressed."""
    from hmip.disclosure import display_count

    out = pooled.drop(columns=["reference"], errors="ignore").copy()
    for c in ("n_group", "n_reference"):
        if c in out:
            out[c] = [display_count(v, rule) if pd.notna(v) else "" for v in out[c]]
    return out


def forest_rows(comp: pd.DataFrame, pooled: pd.DataFrame | None, standard: str, key_question: str, group: str, rule="nhs") -> pd.DataFrame:
    """Rows for an RRI forest plot: each PDU (suppressed where small) and the MH pooled risk ratio."""
    from hmip.disclosure import display_count

    sub = comp[(comp["standard"] == standard) & (comp["key_question"] == key_question) & (comp["group"] == group)]
    rows = []
    for c in sub.to_dict("records"):
        if c["pdu"].startswith("All PDUs"):
            continue
        cells = [c["yes_group"], c["n_group"] - c["yes_group"], c["yes_reference"], c["n_reference"] - c["yes_reference"]]
        small = _any_small(cells, rule)
        rows.append({"label": f"{c['pdu']} (n={display_count(c['n_group'], rule)} vs {display_count(c['n_reference'], rule)})",
                     "estimate": np.nan if small else c["rri"], "lower": np.nan if small else c["rri_lower"],
                     "upper": np.nan if small else c["rri_upper"]})
    if pooled is not None and not pooled.empty:
        p = pooled[(pooled["standard"] == standard) & (pooled["key_question"] == key_question) & (pooled["group"] == group)]
        if not p.empty and "mh_risk_ratio" in p:
            p = p.iloc[0]
            rows.append({"label": POOLED_LABEL + " (MH risk ratio)", "estimate": p["mh_risk_ratio"], "lower": p["rr_lower"], "upper": p["rr_upper"]})
    return pd.DataFrame(rows)


def power_statements(comp: pd.DataFrame, rule="nhs", *, gap: float = 0.20) -> list[str]:
    """Plain words on what each single-PDU comparison could detect."""
    from hmip.disclosure import display_count

    out = []
    single = comp[~comp["pdu"].str.startswith("All PDUs")]
    if single.empty:
        return out
    typical = single.groupby(["pdu", "group"], sort=False).agg(n_group=("n_group", "median"), n_reference=("n_reference", "median"),
                                                                p_ref=("share_reference", "median"),
                                                                mdd=("min_detectable_difference", "median")).reset_index()
    for r in typical.itertuples():
        ng, nr = int(r.n_group), int(r.n_reference)
        p_ref = min(max(r.p_ref, gap + 0.05), 0.95)
        pw = exact_power(ng, nr, p_ref - gap, p_ref) if ng * nr <= 20000 and ng > 0 and nr > 0 else np.nan
        out.append(f"{r.pdu}, {r.group} vs {comp['reference'].iloc[0]}: with about {display_count(ng, rule)} against "
                   f"{display_count(nr, rule)} cases, the smallest shortfall detectable with 80% power is about "
                   f"{100 * r.mdd:.0f} percentage points; a {100 * gap:.0f}-point gap would be detected only about "
                   f"{pw:.0%} of the time (exact Fisher test power). A single PDU's sample cannot show gaps of a size that "
                   "would matter; look at the pooled analysis.")
    return out


def heterogeneity_statement(pooled: pd.DataFrame) -> str:
    if pooled.empty or "breslow_day_p" not in pooled or pooled["breslow_day_p"].isna().all():
        return "Heterogeneity between PDUs could not be tested (fewer than two PDUs with both groups)."
    low = pooled[pooled["breslow_day_p"] < 0.05]
    if low.empty:
        return (f"Breslow-Day tests found no evidence that the gap differs between PDUs on any of the {len(pooled)} "
                "comparisons (all p >= 0.05), so a pooled estimate is reasonable; the test has little power with few PDUs.")
    return ("Breslow-Day tests suggest the gap differs between PDUs for: "
            + "; ".join(f"{r.standard}.{r.key_question} ({r.group}, p = {r.breslow_day_p:.3f})" for r in low.itertuples())
            + ". Read the pooled estimate for these with care.")


def conclusion(pooled: pd.DataFrame, grouping: Grouping, level: float = 0.95) -> list[str]:
    """A plain-English conclusion that does not overclaim."""
    out = []
    if pooled.empty or "mh_p_value_bh" not in pooled:
        return ["There were too few cases in the groups compared to estimate a pooled difference."]
    sig = pooled[pooled["mh_p_value_bh"] < 0.05]
    for r in sig.itertuples():
        direction = "less" if r.mh_risk_ratio < 1 else "more"
        out.append(f"{r.standard}.{r.key_question}: cases of people in the '{r.group}' group were {direction} often judged "
                   f"sufficient than the {grouping.reference} group, after allowing for differences between PDUs "
                   f"(Mantel-Haenszel risk ratio {r.mh_risk_ratio:.2f}, {100 * level:g}% interval {r.rr_lower:.2f}-{r.rr_upper:.2f}; "
                   f"Benjamini-Hochberg adjusted p = {r.mh_p_value_bh:.3f}).")
    if sig.empty:
        out.append("No difference between groups was detected after adjusting for multiple comparisons. This does not show "
                   "that there is no difference: with samples of this size only large gaps can be detected.")
    out.append("These are associations in inspected samples, not proof of cause: differences in the cases themselves "
               "(risk level, sentence type, needs) may explain part of any gap, and ethnicity was not recorded for some cases.")
    return out


@dataclass
class DisproportionalityInputs:
    cases: pd.DataFrame
    pdu: str | None
    grouping: Grouping
    standards: list[str]
    key_questions: list[str] | None
    level: float
    test: str
    final: bool
    rule: object
    parameters: dict


def prepare(*, pdu: str = "", grouping: str = "binary", white_minorities_as_minority: bool = False,
            standards: str = "planning,implementation_and_delivery", key_questions: str = "", confidence: float = 0.95,
            exact_test: str = "boschloo", final: bool = False, disclosure: str = "nhs", cases_path: str = "",
            framework: Framework | None = None) -> DisproportionalityInputs:
    """Validate the disproportionality notebook's parameters and load its case-level data."""
    from hmip import data as d
    from hmip.disclosure import DisclosureError, get_rule
    from hmip.framework import FrameworkError
    from hmip.params import ParameterError, check_choice, check_level, check_path, check_pdu

    fw = framework or default_framework()
    level = check_level("confidence", confidence)
    check_choice("grouping", grouping, ("binary", "ons5"))
    check_choice("exact_test", exact_test, EXACT_TESTS)
    try:
        rule = get_rule(disclosure)
    except DisclosureError as exc:
        raise ParameterError(f"parameter disclosure: {exc}") from None
    stds = [s.strip() for s in standards.split(",") if s.strip()]
    try:
        stds = [fw.standard(s).id for s in stds]
    except FrameworkError as exc:
        raise ParameterError(f"parameter standards: {exc}") from None
    bad = [s for s in stds if not fw.standard(s).case_sample]
    if bad or not stds:
        raise ParameterError(f"parameter standards must list case-sample standards; accepted: {', '.join(s.id for s in fw.case_sample_standards)}")
    kqs = [k.strip() for k in key_questions.split(",") if k.strip()] or None
    if kqs:
        known = {kq.id for kq in fw.key_questions}
        unknown = [k for k in kqs if k not in known]
        if unknown:
            raise ParameterError(f"parameter key_questions: {', '.join(unknown)} not known; accepted: {', '.join(sorted(known))}")
    cases = d.load_cases(check_path("cases_path", cases_path), framework=fw)
    chosen = check_pdu("pdu", pdu, list(dict.fromkeys(cases["pdu"])))
    if chosen:
        attrs = cases.attrs
        cases = cases[cases["pdu"] == chosen].reset_index(drop=True)
        cases.attrs.update(attrs)
    g = make_grouping(grouping, white_minorities_as_minority=white_minorities_as_minority)
    params = dict(pdu=pdu or "all PDUs pooled", grouping=grouping, white_minorities_as_minority=white_minorities_as_minority,
                  standards=", ".join(stds), key_questions=key_questions or "all", confidence=confidence,
                  exact_test=exact_test, final=final, disclosure=disclosure, cases_path=cases_path or "(bundled simulated sample)")
    return DisproportionalityInputs(cases, chosen, g, stds, kqs, level, exact_test, bool(final), rule, params)


def forest_keys(comp: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(standard, key question, group) combinations to draw a forest plot for."""
    if comp.empty:
        return []
    return list(dict.fromkeys(zip(comp["standard"], comp["key_question"], comp["group"], strict=True)))

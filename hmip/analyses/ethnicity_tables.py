"""The ethnicity report's protected tables: what it releases and what it computes from the release.

:func:`disclose` is the one place where true counts become shown output: it runs the disclosure audit
(:mod:`hmip.stats.disclosure_audit`), or applies the data set's one release decision, and
:func:`shown_tables` builds every table the report shows from the release only: shares
(:func:`protected_shares`), comparisons per PDU (:func:`protected_comparisons`), the pooled
estimates (:func:`protected_pooled`), the forest plots' rows, the power statements, the
heterogeneity statement and the conclusions. The report (:mod:`hmip.analyses.ethnicity`) assembles
them; what it says is :mod:`hmip.analyses.ethnicity_words`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hmip.analyses.words import percent
from hmip.data.ethnicity import NOT_RECORDED
from hmip.errors import FrameworkError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.disclosure import (
    FROM_ROUNDED,
    MARKER,
    DisclosureRule,
    display_count,
    get_rule,
)
from hmip.stats.disclosure_audit import ALL_PDUS, DisclosureAudit, disclosure_audit
from hmip.stats.disproportionality import (
    FINAL_BOSCHLOO_GRID,
    Grouping,
    assign_groups,
    compare_groups,
    exact_power,
    min_detectable_difference,
)
from hmip.stats.intervals import proportion_interval
from hmip.stats.release import (
    Release,
    apply_to_counts,
    apply_to_not_recorded,
    grouping_id,
)


def protected_shares(
    shown: pd.DataFrame, rule: str | DisclosureRule = "nhs", *, level: float = 0.95
) -> pd.DataFrame:
    """Shares by group for display, from the counts shown only (``DisclosureAudit.shown_counts``): share and
    Wilson interval computed from the rounded counts; blank where yes is suppressed."""
    r = get_rule(rule)
    ry = shown["yes_rounded"].to_numpy(dtype=float)
    rn = shown["n_rounded"].to_numpy(dtype=float)
    suppressed = shown["suppressed"].to_numpy(dtype=bool)
    ok = ~suppressed & (rn > 0)
    ci = proportion_interval(np.where(ok, ry, 0), np.where(ok, rn, 1), level=level)
    lo, hi = ci["lower"].to_numpy(), ci["upper"].to_numpy()
    out = shown[["pdu", "standard", "key_question", "group", "yes_display", "n_display"]].copy()
    out["share"] = np.where(ok, ry / np.where(ok, rn, 1), np.nan)
    out["lower"] = np.where(ok, lo, np.nan)
    out["upper"] = np.where(ok, hi, np.nan)
    out["suppressed"] = suppressed
    out["method"] = f"Wilson score {100 * level:g}%, " + _basis(r)
    out["note"] = shown["note"].to_numpy()
    return out.reset_index(drop=True)


def _basis(rule: str | DisclosureRule) -> str:
    return FROM_ROUNDED if get_rule(rule).active else "from the true counts (no disclosure control)"


def protected_comparisons(
    shown: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    rule: str | DisclosureRule = "nhs",
) -> pd.DataFrame:
    """Each group against the reference, per PDU, for display: every statistic computed from the
    rounded counts shown (so it agrees with the shares table and gives back nothing the counts do
    not), and blank where a count it rests on is suppressed. Benjamini-Hochberg runs over the
    comparisons shown (one family: per-PDU tests)."""
    r = get_rule(rule)
    per_pdu = shown[shown["pdu"] != ALL_PDUS]
    rows, feed = [], []
    for (pdu, std, kq), block in per_pdu.groupby(["pdu", "standard", "key_question"], sort=False):
        ref = block[block["group"] == grouping.reference]
        if ref.empty:
            continue
        ref = ref.iloc[0]
        fed_ref = False
        for g in block.itertuples():
            if g.group in (grouping.reference, NOT_RECORDED):
                continue
            small = bool(g.suppressed or ref["suppressed"])
            rows.append(
                {
                    "pdu": pdu,
                    "standard": std,
                    "key_question": kq,
                    "group": g.group,
                    "PDU": pdu,
                    "key question": f"{std}.{kq}",
                    "n group": g.n_display,
                    "n reference": ref["n_display"],
                    "note": f"suppressed: a count of 1-{r.threshold} people {r.marker or MARKER}"
                    if small
                    else "",
                }
            )
            if small:
                continue
            base = {"pdu": pdu, "standard": std, "key_question": kq}
            feed.append(
                {**base, "group": g.group, "yes": int(g.yes_rounded), "n": int(g.n_rounded)}
            )
            if not fed_ref:
                feed.append(
                    {
                        **base,
                        "group": grouping.reference,
                        "yes": int(ref["yes_rounded"]),
                        "n": int(ref["n_rounded"]),
                    }
                )
                fed_ref = True
    stats_cols = {
        "share_group": "share group",
        "share_reference": "share reference",
        "rri": "RRI",
        "rri_lower": "RRI lower",
        "rri_upper": "RRI upper",
        "difference": "difference",
        "difference_lower": "diff lower",
        "difference_upper": "diff upper",
        "p_value": "p",
        "p_value_bh": "p (BH)",
        "min_detectable_difference": "min detectable gap (80% power)",
    }
    keys = ["pdu", "standard", "key_question", "group"]
    out = pd.DataFrame(
        rows, columns=[*keys, "PDU", "key question", "n group", "n reference", "note"]
    )
    comp = pd.DataFrame()
    if feed:
        comp = compare_groups(
            pd.DataFrame(feed), grouping, level=level, test=test, final=final, include_pooled=False
        )
    if comp.empty:
        for c in stats_cols.values():
            out[c] = np.nan
        grid = FINAL_BOSCHLOO_GRID if final else 32
        name = f"Boschloo exact (grid {grid})" if test == "boschloo" else "Fisher exact"
        methods = f"all statistics {_basis(r)} ({name}); none can be shown here"
    else:
        out = out.merge(comp[keys + list(stats_cols)], on=keys, how="left").rename(
            columns=stats_cols
        )
        methods = (
            f"all statistics {_basis(r)}: RRI {comp['rri_method'].iloc[0]}; difference "
            f"{comp['difference_method'].iloc[0]}; {comp['test'].iloc[0]}; Benjamini-Hochberg over the "
            f"{int(comp['p_value'].notna().sum())} per-PDU comparisons shown"
        )
    out = out.drop(columns=["pdu", "standard", "key_question"])
    gap = stats_cols["min_detectable_difference"]
    # a comparison made, but no shortfall detectable: say so, not a blank cell
    if out["RRI"].notna().any():
        out[gap] = [
            "none detectable" if pd.notna(rri) and pd.isna(g) else g
            for rri, g in zip(out["RRI"], out[gap], strict=True)
        ]
    out["methods"] = methods
    return out[
        [
            "PDU",
            "key question",
            "group",
            "n group",
            "n reference",
            "note",
            *stats_cols.values(),
            "methods",
        ]
    ]


def protected_pooled(pooled: pd.DataFrame, rule: str | DisclosureRule = "nhs") -> pd.DataFrame:
    """The pooled table for display (from ``DisclosureAudit.shown_pooled``): ratios to 2 d.p., p-values as
    bands, the numbers of people in each group rounded or suppressed."""
    r = get_rule(rule)
    if pooled.empty:
        return pooled

    def ratio(v: float) -> str:
        if pd.isna(v):
            return ""
        return f"{v:.2f}" if r.active else f"{v:.3f}"

    out = pooled[
        ["standard", "key_question", "group", "strata", "strata_left_out", "n_group", "n_reference"]
    ].copy()
    names = {
        "mh_risk_ratio": "MH risk ratio",
        "rr_lower": "RR lower",
        "rr_upper": "RR upper",
        "mh_odds_ratio": "MH odds ratio",
        "or_lower": "OR lower",
        "or_upper": "OR upper",
    }
    for c, name in names.items():
        out[name] = [ratio(v) for v in pooled[c]]
    out["MH test"] = pooled["mh_p"].to_numpy()
    out["MH test (BH)"] = pooled["p_bh"].to_numpy()
    out["Breslow-Day"] = pooled["breslow_day"].to_numpy()
    out["note"] = pooled["note"].to_numpy()
    out["methods"] = pooled["methods"].to_numpy()
    return out


def forest_rows(
    comparisons: pd.DataFrame,
    pooled: pd.DataFrame | None,
    standard: str,
    key_question: str,
    group: str,
    rule: str | DisclosureRule = "nhs",
) -> pd.DataFrame:
    """Rows for an RRI forest plot: each PDU (from the comparisons shown, so from rounded counts;
    blank where suppressed) and the MH pooled risk ratio as shown (2 d.p.)."""
    sub = comparisons[
        (comparisons["key question"] == f"{standard}.{key_question}")
        & (comparisons["group"] == group)
    ]
    rows = [
        {
            "label": f"{c['PDU']} (n={c['n group']} vs {c['n reference']})",
            "estimate": c["RRI"],
            "lower": c["RRI lower"],
            "upper": c["RRI upper"],
        }
        for c in sub.to_dict("records")
    ]
    if pooled is not None and not pooled.empty:
        p = pooled[
            (pooled["standard"] == standard)
            & (pooled["key_question"] == key_question)
            & (pooled["group"] == group)
        ]
        if not p.empty:
            p = p.iloc[0]
            rows.append(
                {
                    "label": "All PDUs pooled (Mantel-Haenszel risk ratio)",
                    "estimate": p["mh_risk_ratio"],
                    "lower": p["rr_lower"],
                    "upper": p["rr_upper"],
                }
            )
    return pd.DataFrame(rows, columns=["label", "estimate", "lower", "upper"])


def power_statements(
    shares: pd.DataFrame,
    grouping: Grouping,
    rule: str | DisclosureRule = "nhs",
    *,
    gap: float | None = None,
) -> list[str]:
    """Plain words on what each single-PDU comparison could detect (``gap``: default
    :data:`POWER_GAP`, as :data:`POWER_LEAD` says), from the counts shown: the
    typical (median over key questions) rounded n of each group and share of the reference group."""
    gap = POWER_GAP if gap is None else gap
    r = get_rule(rule)
    single = shares[shares["pdu"] != ALL_PDUS]
    out = []

    def typical(values: Iterable[object]) -> float:
        v = [float(x) for x in values if not isinstance(x, str)]
        if not v:
            return np.nan
        m = float(np.median(v))
        return float(np.floor(m / r.base + 0.5) * r.base) if r.active and r.base else round(m)

    for pdu, block in single.groupby("pdu", sort=False):
        ref = block[block["group"] == grouping.reference]
        if ref.empty:
            continue
        nr = typical(ref["n_display"])
        p_ref = float(np.nanmedian(ref["share"])) if ref["share"].notna().any() else 0.5
        for group, g in block.groupby("group", sort=False):
            if group in (grouping.reference, NOT_RECORDED):
                continue
            ng = typical(g["n_display"])
            head = f"{pdu}, {group} vs {grouping.reference}"
            if not (np.isfinite(ng) and np.isfinite(nr)):  # hidden: say nothing of their size
                out.append(
                    f"{head}: group sizes not shown (disclosure control); look at the pooled "
                    "analysis."
                )
                continue
            if not (ng > 0 and nr > 0):
                out.append(
                    f"{head}: fewer than {(r.threshold or 0) + 1} cases in a group, too few to detect "
                    "any gap; look at the pooled analysis."
                )
                continue
            ng, nr_ = int(ng), int(nr)
            mdd, pw = _power(ng, nr_, p_ref, gap)
            smallest = (
                f"smallest detectable shortfall about {100 * mdd:.0f} percentage points"
                if np.isfinite(mdd)
                else "no shortfall is detectable with these numbers (80% power)"
            )
            out.append(
                f"{head}: about {display_count(ng, r)} against {display_count(nr_, r)} cases; "
                f"{smallest}; a gap of {100 * gap:.0f} percentage points would be detected only "
                f"{'about ' if 0.005 < pw < 0.995 else ''}{percent(pw)} of the time."
            )
    return out


#: The gap the power statements ask about (a shortfall of 20 percentage points).
POWER_GAP = 0.20

#: Said once above the list of power statements (each statement is one short line per PDU).
POWER_LEAD = (
    "A single PDU's sample cannot show gaps of a size that would matter, so look at the pooled "
    "analysis. For each PDU: the smallest shortfall its sample would detect 8 times in 10 (80% "
    f"power), and how often it would detect a gap of {100 * POWER_GAP:.0f} percentage points "
    "(exact Fisher test):"
)


@functools.lru_cache(maxsize=4096)
def _power(ng: int, nr: int, p_ref: float, gap: float) -> tuple[float, float]:
    """(smallest shortfall detectable with 80% power, exact Fisher power for ``gap``); the inputs are
    rounded counts and shares from them, so the same few combinations recur."""
    mdd = min_detectable_difference(ng, nr, p_ref).value
    p_use = min(max(p_ref, gap + 0.05), 0.95)
    pw = exact_power(ng, nr, p_use - gap, p_use).value if ng * nr <= 20000 else np.nan
    return mdd, pw


def _below_05(band: str) -> bool:
    return band.startswith("p < ") or (band.startswith("p = ") and float(band[4:]) < 0.05)


def heterogeneity_statement(pooled: pd.DataFrame) -> str:
    """From the pooled estimates as shown (Breslow-Day p-values as bands)."""
    shown = pooled[pooled["shown"] & (pooled["breslow_day"] != "")] if not pooled.empty else pooled
    if shown.empty:
        return (
            "Heterogeneity between PDUs could not be tested (fewer than two PDUs with both groups)."
        )
    low = shown[[_below_05(b) for b in shown["breslow_day"]]]
    if low.empty:
        return (
            f"No sign that the gap differs from one PDU to another on any of the {len(shown)} "
            "comparisons shown (Breslow-Day test: none clear at the 5% level, that is none that chance "
            "alone would give less than 1 time in 20), so a pooled estimate is reasonable; with few "
            "PDUs the test can miss such differences."
        )
    return (
        "Breslow-Day tests suggest the gap differs between PDUs for: "
        + "; ".join(
            f"{_kq_label(r.standard, r.key_question)} ({r.group}, {r.breslow_day})"
            for r in low.itertuples()
        )
        + ". Read the pooled estimate for these with care."
    )


def conclusion(pooled: pd.DataFrame, grouping: Grouping, level: float = 0.95) -> list[str]:
    """A plain-English conclusion that does not overclaim, from the pooled estimates as shown."""
    out = []
    caveat = (
        "These are associations in inspected samples, not proof of cause: differences in the cases themselves "
        "(risk level, sentence type, needs) may explain part of any gap, and ethnicity was not recorded for some cases."
    )
    shown = pooled[pooled["shown"]] if not pooled.empty else pooled
    if shown.empty:
        return [
            "There were too few cases in the groups compared to estimate a pooled difference (it needs at least two "
            "PDUs in which both groups have more than 7 people).",
            caveat,
        ]
    sig = shown[[_below_05(b) for b in shown["p_bh"]]]
    for r in sig.itertuples():
        direction = "less" if r.mh_risk_ratio < 1 else "more"
        out.append(
            f"{_kq_label(r.standard, r.key_question)}: cases of people in the '{r.group}' group were {direction} often judged "
            f"sufficient than the {grouping.reference} group, after allowing for differences between PDUs "
            f"(Mantel-Haenszel risk ratio {r.mh_risk_ratio:.2f}, {100 * level:g}% interval {r.rr_lower:.2f}-{r.rr_upper:.2f}; "
            f"Benjamini-Hochberg adjusted {r.p_bh})."
        )
    for r in shown[shown["mh_p"] == ""].itertuples() if "mh_p" in shown else ():
        out.append(
            f"{_kq_label(r.standard, r.key_question)} ({r.group} against {grouping.reference}): the "
            "pooled test cannot "
            "be done: within every PDU all the cases compared had the same outcome (all sufficient, or all "
            "not), so there is no variation to test."
        )
    if sig.empty:
        out.append(
            "No difference between groups was detected after adjusting for multiple comparisons. This does not show "
            "that there is no difference: with samples of this size only large gaps can be detected."
        )
    out.append(caveat)
    return out


def forest_keys(comp: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(standard, key question, group) combinations to draw a forest plot for."""
    if comp.empty:
        return []
    return list(
        dict.fromkeys(zip(comp["standard"], comp["key_question"], comp["group"], strict=True))
    )


def _kq_label(standard: str, key_question: str, framework: Framework | None = None) -> str:
    fw = framework_or_default(framework)
    try:
        return f"{fw.standard(standard).name}: {fw.key_question(standard, key_question).short}"
    except FrameworkError:
        return f"{standard} {key_question}"


def group_sizes(cases: pd.DataFrame, grouping: Grouping) -> pd.DataFrame:
    """pdu, group, cases: the number of cases in each analysis group of each PDU (every case has a group,
    "Not recorded" included), in order of first appearance."""
    return (
        pd.DataFrame({"pdu": cases["pdu"], "group": assign_groups(cases, grouping)})
        .groupby(["pdu", "group"], sort=False)
        .size()
        .rename("cases")
        .reset_index()
    )


def shown_tables(
    audit: DisclosureAudit,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    release: Release | None = None,
) -> dict:
    """Everything the report shows, from the audited release: the fields of
    :class:`EthnicityDisproportionality` other than ``inputs``. Only the release is read (the
    counts as shown and the pooled estimates at their shown precision), so nothing here can give a
    count back."""
    rule = audit.rule
    shown = audit.shown_counts()
    mh = audit.shown_pooled()
    not_recorded = audit.shown_not_recorded()
    if release is not None:  # the data set's one decision, the same in every run and output
        gid = grouping_id(grouping.name, grouping.white_minorities_as_minority)
        shown = apply_to_counts(shown, release, gid)
        not_recorded = apply_to_not_recorded(not_recorded, release)
        totals = shown[shown["pdu"] == ALL_PDUS].set_index(["standard", "key_question", "group"])
        mh = mh.astype({"n_group": object, "n_reference": object}) if len(mh) else mh
        for i, r in enumerate(mh.itertuples()):
            for column, group in (("n_group", r.group), ("n_reference", grouping.reference)):
                key = (r.standard, r.key_question, group)
                if key in totals.index and mh[column].iloc[i] != rule.marker:
                    mh.iloc[i, mh.columns.get_loc(column)] = totals.loc[key, "n_display"]
    shares = protected_shares(shown, rule, level=level)
    comparisons = protected_comparisons(
        shown, grouping, level=level, test=test, final=final, rule=rule
    )
    forest = [
        (
            f"{_kq_label(std, kq)}: {grp} against {grouping.reference}, relative rate index",
            forest_rows(comparisons, mh, std, kq, grp, rule),
        )
        for std, kq, grp in forest_keys(mh)
    ]
    return dict(
        not_recorded=not_recorded,
        shares=shares,
        comparisons=comparisons,
        pooled=protected_pooled(mh, rule),
        heterogeneity=heterogeneity_statement(mh),
        forest=forest,
        power=power_statements(shares, grouping, rule),
        conclusion=conclusion(mh, grouping, level),
    )


def disclose(
    counts: pd.DataFrame,
    sizes: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    rule: str | DisclosureRule = "nhs",
    all_pdus: bool = True,
    release: Release | None = None,
) -> dict:
    """Everything the report shows, from the true counts (``group_counts``) and group sizes
    (``group_sizes``): the fields of :class:`EthnicityDisproportionality` other than ``inputs``.

    This is the one place where true counts become shown output; the attacker tests
    (tests/test_disclosure_attack.py, tests/test_disclosure_milp.py) call it. With a ``release``
    (:mod:`hmip.stats.release`, the data set's one decision), nothing is searched here: the
    release's hidden cells and pooled estimates are applied, the same in every run.
    """
    if release is None:
        audit = disclosure_audit(counts, sizes, grouping, level=level, rule=rule, all_pdus=all_pdus)
    else:
        audit = disclosure_audit(
            counts, sizes, grouping, level=level, rule=rule, all_pdus=all_pdus, decided=set()
        )
        gid = grouping_id(grouping.name, grouping.white_minorities_as_minority)
        for q, (std, kq) in enumerate(audit.w.kqs):
            for g, group in enumerate(audit.w.groups):
                if (gid, std, kq, group) in release.pooled_hidden:
                    audit.off.add(("mh", q, g))
    return shown_tables(audit, grouping, level=level, test=test, final=final, release=release)

"""The ethnicity disproportionality report: disclosure-controlled tables, statements and conclusions.

:func:`prepare` takes the notebook's parameters and returns one :class:`EthnicityDisproportionality`
holding every table (counts of people protected), the data behind every figure, and the findings.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from hmip.analyses.params import check_choice, check_level, check_path, check_pdu
from hmip.data import loaders as d
from hmip.data.ethnicity import NOT_RECORDED
from hmip.errors import DisclosureError, FrameworkError, ParameterError
from hmip.rules.framework import Framework, default_framework
from hmip.stats.disclosure import MARKER, display_count, get_rule, protect_table, protected_share
from hmip.stats.disproportionality import (
    EXACT_TESTS,
    POOLED_LABEL,
    Grouping,
    assign_groups,
    compare_groups,
    exact_power,
    group_counts,
    group_shares,
    make_grouping,
    pooled_analysis,
)
from hmip.stats.intervals import proportion_interval


def protected_shares(shares: pd.DataFrame, rule="nhs", *, level: float = 0.95) -> pd.DataFrame:
    """Group shares for display: counts protected; share and Wilson interval from the ROUNDED counts;
    suppressed wherever yes, no or n is suppressed."""

    r = get_rule(rule)
    ry, rn, share, suppressed = protected_share(shares["yes"].to_numpy(), shares["n"].to_numpy(), r)
    lo, hi = proportion_interval(np.nan_to_num(ry), np.nan_to_num(rn), level=level)
    marker = r.marker or MARKER
    out = pd.DataFrame(
        {
            "pdu": shares["pdu"].to_numpy(),
            "standard": shares["standard"].to_numpy(),
            "key_question": shares["key_question"].to_numpy(),
            "group": shares["group"].to_numpy(),
            "yes_display": [
                marker if s else (int(v) if not np.isnan(v) else 0)
                for v, s in zip(ry, suppressed, strict=True)
            ]
            if r.active
            else shares["yes"].to_numpy(),
            "n_display": [
                marker if (np.isnan(v) and s) else int(v)
                for v, s in zip(rn, suppressed, strict=True)
            ]
            if r.active
            else shares["n"].to_numpy(),
            "share": np.where(suppressed, np.nan, share),
            "lower": np.where(suppressed, np.nan, lo),
            "upper": np.where(suppressed, np.nan, hi),
            "suppressed": suppressed,
        }
    )
    out["method"] = f"Wilson score {100 * level:g}%" + (" on rounded counts" if r.active else "")
    return out


def _any_small(values, rule) -> bool:

    r = get_rule(rule)
    return r.threshold is not None and any(1 <= int(v) <= r.threshold for v in values)


def protected_comparisons(comp: pd.DataFrame, rule="nhs") -> pd.DataFrame:
    """Comparisons for display: counts protected; every statistic resting on a suppressed count suppressed."""

    r = get_rule(rule)
    rows = []
    for c in comp.to_dict("records"):
        cells = [
            c["yes_group"],
            c["n_group"] - c["yes_group"],
            c["n_group"],
            c["yes_reference"],
            c["n_reference"] - c["yes_reference"],
            c["n_reference"],
        ]
        small = _any_small(cells, r)
        row = {
            "PDU": c["pdu"],
            "key question": f"{c['standard']}.{c['key_question']}",
            "group": c["group"],
            "n group": display_count(c["n_group"], r),
            "n reference": display_count(c["n_reference"], r),
        }
        stats_cols = {
            "share group": c["share_group"],
            "share reference": c["share_reference"],
            "RRI": c["rri"],
            "RRI lower": c["rri_lower"],
            "RRI upper": c["rri_upper"],
            "difference": c["difference"],
            "diff lower": c["difference_lower"],
            "diff upper": c["difference_upper"],
            "p": c["p_value"],
            "p (BH)": c["p_value_bh"],
            "min detectable gap (80% power)": c["min_detectable_difference"],
        }
        if small:
            stats_cols = {k: np.nan for k in stats_cols}
            row["note"] = f"suppressed: a count of 1-{r.threshold} people {r.marker or MARKER}"
        else:
            row["note"] = ""
        rows.append({**row, **stats_cols})
    out = pd.DataFrame(rows)
    if not comp.empty:
        out["methods"] = (
            f"RRI {comp['rri_method'].iloc[0]}; difference {comp['difference_method'].iloc[0]}; {comp['test'].iloc[0]}; BH adjustment"
        )
    return out


def protected_pooled(pooled: pd.DataFrame, rule="nhs") -> pd.DataFrame:
    """The pooled table for display: the numbers of people in each group rounded or suppressed."""

    out = pooled.drop(columns=["reference"], errors="ignore").copy()
    for c in ("n_group", "n_reference"):
        if c in out:
            out[c] = [display_count(v, rule) if pd.notna(v) else "" for v in out[c]]
    return out


def forest_rows(
    comp: pd.DataFrame,
    pooled: pd.DataFrame | None,
    standard: str,
    key_question: str,
    group: str,
    rule="nhs",
) -> pd.DataFrame:
    """Rows for an RRI forest plot: each PDU (suppressed where small) and the MH pooled risk ratio."""

    sub = comp[
        (comp["standard"] == standard)
        & (comp["key_question"] == key_question)
        & (comp["group"] == group)
    ]
    rows = []
    for c in sub.to_dict("records"):
        if c["pdu"].startswith("All PDUs"):
            continue
        cells = [
            c["yes_group"],
            c["n_group"] - c["yes_group"],
            c["yes_reference"],
            c["n_reference"] - c["yes_reference"],
        ]
        small = _any_small(cells, rule)
        rows.append(
            {
                "label": f"{c['pdu']} (n={display_count(c['n_group'], rule)} vs {display_count(c['n_reference'], rule)})",
                "estimate": np.nan if small else c["rri"],
                "lower": np.nan if small else c["rri_lower"],
                "upper": np.nan if small else c["rri_upper"],
            }
        )
    if pooled is not None and not pooled.empty:
        p = pooled[
            (pooled["standard"] == standard)
            & (pooled["key_question"] == key_question)
            & (pooled["group"] == group)
        ]
        if not p.empty and "mh_risk_ratio" in p:
            p = p.iloc[0]
            rows.append(
                {
                    "label": POOLED_LABEL + " (MH risk ratio)",
                    "estimate": p["mh_risk_ratio"],
                    "lower": p["rr_lower"],
                    "upper": p["rr_upper"],
                }
            )
    return pd.DataFrame(rows)


def power_statements(comp: pd.DataFrame, rule="nhs", *, gap: float = 0.20) -> list[str]:
    """Plain words on what each single-PDU comparison could detect."""

    out = []
    single = comp[~comp["pdu"].str.startswith("All PDUs")]
    if single.empty:
        return out
    typical = (
        single.groupby(["pdu", "group"], sort=False)
        .agg(
            n_group=("n_group", "median"),
            n_reference=("n_reference", "median"),
            p_ref=("share_reference", "median"),
            mdd=("min_detectable_difference", "median"),
        )
        .reset_index()
    )
    for r in typical.itertuples():
        ng, nr = int(r.n_group), int(r.n_reference)
        p_ref = min(max(r.p_ref, gap + 0.05), 0.95)
        pw = (
            exact_power(ng, nr, p_ref - gap, p_ref)
            if ng * nr <= 20000 and ng > 0 and nr > 0
            else np.nan
        )
        out.append(
            f"{r.pdu}, {r.group} vs {comp['reference'].iloc[0]}: with about {display_count(ng, rule)} against "
            f"{display_count(nr, rule)} cases, the smallest shortfall detectable with 80% power is about "
            f"{100 * r.mdd:.0f} percentage points; a {100 * gap:.0f}-point gap would be detected only about "
            f"{pw:.0%} of the time (exact Fisher test power). A single PDU's sample cannot show gaps of a size that "
            "would matter; look at the pooled analysis."
        )
    return out


def heterogeneity_statement(pooled: pd.DataFrame) -> str:
    if pooled.empty or "breslow_day_p" not in pooled or pooled["breslow_day_p"].isna().all():
        return (
            "Heterogeneity between PDUs could not be tested (fewer than two PDUs with both groups)."
        )
    low = pooled[pooled["breslow_day_p"] < 0.05]
    if low.empty:
        return (
            f"Breslow-Day tests found no evidence that the gap differs between PDUs on any of the {len(pooled)} "
            "comparisons (all p >= 0.05), so a pooled estimate is reasonable; the test has little power with few PDUs."
        )
    return (
        "Breslow-Day tests suggest the gap differs between PDUs for: "
        + "; ".join(
            f"{r.standard}.{r.key_question} ({r.group}, p = {r.breslow_day_p:.3f})"
            for r in low.itertuples()
        )
        + ". Read the pooled estimate for these with care."
    )


def conclusion(pooled: pd.DataFrame, grouping: Grouping, level: float = 0.95) -> list[str]:
    """A plain-English conclusion that does not overclaim."""
    out = []
    if pooled.empty or "mh_p_value_bh" not in pooled:
        return ["There were too few cases in the groups compared to estimate a pooled difference."]
    sig = pooled[pooled["mh_p_value_bh"] < 0.05]
    for r in sig.itertuples():
        direction = "less" if r.mh_risk_ratio < 1 else "more"
        out.append(
            f"{r.standard}.{r.key_question}: cases of people in the '{r.group}' group were {direction} often judged "
            f"sufficient than the {grouping.reference} group, after allowing for differences between PDUs "
            f"(Mantel-Haenszel risk ratio {r.mh_risk_ratio:.2f}, {100 * level:g}% interval {r.rr_lower:.2f}-{r.rr_upper:.2f}; "
            f"Benjamini-Hochberg adjusted p = {r.mh_p_value_bh:.3f})."
        )
    if sig.empty:
        out.append(
            "No difference between groups was detected after adjusting for multiple comparisons. This does not show "
            "that there is no difference: with samples of this size only large gaps can be detected."
        )
    out.append(
        "These are associations in inspected samples, not proof of cause: differences in the cases themselves "
        "(risk level, sentence type, needs) may explain part of any gap, and ethnicity was not recorded for some cases."
    )
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


def load_inputs(
    *,
    pdu: str = "",
    grouping: str = "binary",
    white_minorities_as_minority: bool = False,
    standards: str = "planning,implementation_and_delivery",
    key_questions: str = "",
    confidence: float = 0.95,
    exact_test: str = "boschloo",
    final: bool = False,
    disclosure: str = "nhs",
    cases_path: str = "",
    framework: Framework | None = None,
) -> DisproportionalityInputs:
    """Validate the disproportionality notebook's parameters and load its case-level data."""
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
        raise ParameterError(
            f"parameter standards must list case-sample standards; accepted: {', '.join(s.id for s in fw.case_sample_standards)}"
        )
    kqs = [k.strip() for k in key_questions.split(",") if k.strip()] or None
    if kqs:
        known = {kq.id for kq in fw.key_questions}
        unknown = [k for k in kqs if k not in known]
        if unknown:
            raise ParameterError(
                f"parameter key_questions: {', '.join(unknown)} not known; accepted: {', '.join(sorted(known))}"
            )
    cases = d.load_cases(check_path("cases_path", cases_path), framework=fw)
    chosen = check_pdu("pdu", pdu, list(dict.fromkeys(cases["pdu"])))
    if chosen:
        attrs = cases.attrs
        cases = cases[cases["pdu"] == chosen].reset_index(drop=True)
        cases.attrs.update(attrs)
    g = make_grouping(grouping, white_minorities_as_minority=white_minorities_as_minority)
    params = dict(
        pdu=pdu or "all PDUs pooled",
        grouping=grouping,
        white_minorities_as_minority=white_minorities_as_minority,
        standards=", ".join(stds),
        key_questions=key_questions or "all",
        confidence=confidence,
        exact_test=exact_test,
        final=final,
        disclosure=disclosure,
        cases_path=cases_path or "(bundled simulated sample)",
    )
    return DisproportionalityInputs(
        cases, chosen, g, stds, kqs, level, exact_test, bool(final), rule, params
    )


def forest_keys(comp: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(standard, key question, group) combinations to draw a forest plot for."""
    if comp.empty:
        return []
    return list(
        dict.fromkeys(zip(comp["standard"], comp["key_question"], comp["group"], strict=True))
    )


@dataclass
class EthnicityDisproportionality:
    """Everything the disproportionality report shows; every count of people is protected."""

    inputs: DisproportionalityInputs
    not_recorded: pd.DataFrame  # cases and ethnicity not recorded per PDU (protected)
    shares: pd.DataFrame  # shares by group (protected)
    comparisons: pd.DataFrame  # each group against the reference, per PDU (protected)
    pooled: pd.DataFrame  # Mantel-Haenszel across PDUs (protected)
    heterogeneity: str
    forest: list[tuple[str, pd.DataFrame]]  # (title, rows) for each forest plot
    power: list[str]
    conclusion: list[str]

    @property
    def parameters(self) -> dict:
        return self.inputs.parameters


def prepare(
    *,
    pdu: str = "",
    grouping: str = "binary",
    white_minorities_as_minority: bool = False,
    standards: str = "planning,implementation_and_delivery",
    key_questions: str = "",
    confidence: float = 0.95,
    exact_test: str = "boschloo",
    final: bool = False,
    disclosure: str = "nhs",
    cases_path: str = "",
    framework: Framework | None = None,
) -> EthnicityDisproportionality:
    """Validate the notebook's parameters, load the cases and compute everything the report shows."""
    fw = framework or default_framework()
    inp = load_inputs(
        pdu=pdu,
        grouping=grouping,
        white_minorities_as_minority=white_minorities_as_minority,
        standards=standards,
        key_questions=key_questions,
        confidence=confidence,
        exact_test=exact_test,
        final=final,
        disclosure=disclosure,
        cases_path=cases_path,
        framework=fw,
    )
    return EthnicityDisproportionality(
        inputs=inp,
        **disclose(
            group_counts(
                inp.cases,
                inp.grouping,
                standards=inp.standards,
                key_questions=inp.key_questions,
                framework=fw,
            ),
            group_sizes(inp.cases, inp.grouping),
            inp.grouping,
            level=inp.level,
            test=inp.test,
            final=inp.final,
            rule=inp.rule,
            all_pdus=inp.pdu is None,
        ),
    )


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


def disclose(
    counts: pd.DataFrame,
    sizes: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    test: str = "boschloo",
    final: bool = False,
    rule="nhs",
    all_pdus: bool = True,
) -> dict:
    """Everything the report shows, from the true counts (``group_counts``) and group sizes
    (``group_sizes``): the fields of :class:`EthnicityDisproportionality` other than ``inputs``.

    This is the one place where true counts become shown output; the attacker test
    (tests/test_disclosure_attack.py) calls it with small random tables.
    """
    rule = get_rule(rule)
    per_pdu = sizes.groupby("pdu", sort=False)
    nr = pd.DataFrame(
        {
            "cases": per_pdu["cases"].sum(),
            "not_recorded": sizes[sizes["group"] == NOT_RECORDED]
            .groupby("pdu", sort=False)["cases"]
            .sum(),
        }
    )
    nr = nr.fillna(0).astype(int).reset_index()
    nr = pd.concat(
        [
            nr,
            pd.DataFrame(
                [
                    {
                        "pdu": "All PDUs",
                        "cases": nr["cases"].sum(),
                        "not_recorded": nr["not_recorded"].sum(),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    shares = protected_shares(group_shares(counts, pooled=all_pdus, level=level), rule, level=level)
    comp = compare_groups(
        counts,
        grouping,
        level=level,
        test=test,
        final=final,
        include_pooled=all_pdus,
    )
    pooled = pooled_analysis(counts, grouping, level=level)
    forest = [
        (
            f"{std}.{kq}: {grp} vs {grouping.reference}, relative rate index",
            forest_rows(comp, pooled, std, kq, grp, rule),
        )
        for std, kq, grp in forest_keys(comp)
    ]
    return dict(
        not_recorded=protect_table(
            nr[["pdu", "cases", "not_recorded"]],
            ["cases", "not_recorded"],
            rule=rule,
            total_row=None,
        ),
        shares=shares,
        comparisons=protected_comparisons(comp, rule),
        pooled=protected_pooled(pooled, rule),
        heterogeneity=heterogeneity_statement(pooled),
        forest=forest,
        power=power_statements(comp, rule),
        conclusion=conclusion(pooled, grouping, level),
    )

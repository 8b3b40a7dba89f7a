"""The ethnicity disproportionality report: disclosure-controlled tables, statements and conclusions.

:func:`prepare` takes the notebook's parameters and returns one :class:`EthnicityDisproportionality`
holding every table (counts of people protected), the data behind every figure, and the findings.

Disclosure: :func:`disclose` is the one place where true counts become shown output. What it
releases is (1) every count, rounded or suppressed by the rule, with "All PDUs" totals from the true
totals, and (2) the pooled Mantel-Haenszel estimates from the true counts, ratios to 2 d.p. and
p-values as bands. The audit (:mod:`hmip.stats.disclosure_audit`) checks that every count keeps at least
two possible values given all of that (secondary suppression where not). Everything else shown (shares, intervals, relative
rate indices, differences, exact tests, power, forest plots, sentences) is computed from the released
values only, so it cannot give a count back.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.analyses.params import check_choice, check_level, check_path, check_pdu
from hmip.analyses.words import percent
from hmip.data import loaders as d
from hmip.data.ethnicity import NOT_RECORDED
from hmip.errors import DisclosureError, FrameworkError, ParameterError
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
    EXACT_TESTS,
    FINAL_BOSCHLOO_GRID,
    Grouping,
    assign_groups,
    compare_groups,
    exact_power,
    group_counts,
    make_grouping,
    min_detectable_difference,
)
from hmip.stats.intervals import proportion_interval
from hmip.stats.release import (
    Release,
    apply_to_counts,
    apply_to_not_recorded,
    grouping_id,
    release_for_file,
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
            f"{r.standard}.{r.key_question} ({r.group}, {r.breslow_day})" for r in low.itertuples()
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
            f"{r.standard}.{r.key_question}: cases of people in the '{r.group}' group were {direction} often judged "
            f"sufficient than the {grouping.reference} group, after allowing for differences between PDUs "
            f"(Mantel-Haenszel risk ratio {r.mh_risk_ratio:.2f}, {100 * level:g}% interval {r.rr_lower:.2f}-{r.rr_upper:.2f}; "
            f"Benjamini-Hochberg adjusted {r.p_bh})."
        )
    for r in shown[shown["mh_p"] == ""].itertuples() if "mh_p" in shown else ():
        out.append(
            f"{r.standard}.{r.key_question} ({r.group} against {grouping.reference}): the pooled test cannot "
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
    fw = framework_or_default(framework)
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
        cases = d.carry(cases[cases["pdu"] == chosen].reset_index(drop=True), cases)
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
class EthnicityDisproportionality(ReportBase):
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

    index_group: ClassVar[str] = "analysts"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.inputs.parameters, (self.inputs.cases,))

    def main_points(self) -> list:
        return main_points(self)

    def methods_used(self) -> list[str]:
        return methods(self)


def prepare(
    *, framework: Framework | None = None, **parameters: object
) -> EthnicityDisproportionality:
    """Validate the notebook's parameters, load the cases and compute everything the report shows. Takes the
    notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    release = None
    if inp.rule.active and inp.grouping.name in ("binary", "ons5"):
        release = release_for_file(
            str(parameters.get("cases_path", "") or ""), inp.rule, fw, decide=False
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
            release=release,
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


# --- What the report says to readers -------------------------------------------------------------------
#: Glossary terms this report uses (each is defined at its end).
GLOSSARY_TERMS = (
    "HMIP",
    "PDU",
    "key question",
    "case sample",
    "simulated",
    "interval",
    "ethnic minority",
    "relative rate index",
    "Mantel-Haenszel",
    "Breslow-Day",
    "Benjamini-Hochberg",
    "p-value",
    "exact test",
    "power",
    "disclosure control",
    "suppressed",
    "Wilson",
    "standard",
    "risk ratio",
    "percentage point",
    "Newcombe",
    "5% level",
)


def _kq_label(standard: str, key_question: str, framework: Framework | None = None) -> str:
    fw = framework_or_default(framework)
    try:
        return f"{fw.standard(standard).name}: {fw.key_question(standard, key_question).short}"
    except FrameworkError:
        return f"{standard} {key_question}"


def _dotted_label(value: str) -> str:
    std, _, kq = str(value).partition(".")
    return _kq_label(std, kq) if kq else str(value)


def _ratio(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def main_points(result: EthnicityDisproportionality) -> list:
    """At most five plain-English sentences: the pooled gap, whether it survives the adjustment for many
    comparisons, why single PDUs' figures are not shown, what is not recorded, and the disclosure rule."""
    from hmip.analyses.words import SimulatedMark, sentence

    sim = SimulatedMark() if result.simulated else ""
    inp = result.inputs
    ref = inp.grouping.reference
    pooled = result.pooled.copy()
    pooled["rr"] = pooled["MH risk ratio"].map(_ratio)
    pooled["lo"] = pooled["RR lower"].map(_ratio)
    pooled["hi"] = pooled["RR upper"].map(_ratio)
    shown = pooled[pooled["rr"].notna()]
    points = []
    where = (
        "in the PDU"
        if inp.pdu
        else f"across the {inp.cases['pdu'].nunique()} PDUs, comparing people within each PDU"
    )
    if len(shown):
        lower = int((shown["rr"] < 1).sum())
        groups = ", ".join(dict.fromkeys(shown["group"]))
        points.append(
            sentence(
                f"{where[0].upper() + where[1:]}, cases of people in the {groups} group were judged sufficient less "
                f"often than cases of {ref} people on {lower} of the {len(shown)} key questions examined "
                f"(risk ratios {shown['rr'].min():.2f} to {shown['rr'].max():.2f}; 1 means no difference)",
                sim,
                ".",
            )
        )
        clear = shown[(shown["hi"] < 1) | (shown["lo"] > 1)]
        for r in clear.itertuples():
            bh = str(pooled.loc[r.Index, "MH test (BH)"])
            label = _kq_label(r.standard, r.key_question).lower()
            if bh.startswith("p >="):
                points.append(
                    sentence(
                        f"On '{label}' the sample suggests a gap (the risk ratio's {100 * inp.level:g}% "
                        f"interval, {r.lo:.2f} to {r.hi:.2f}, lies wholly {'below' if r.hi < 1 else 'above'} 1, "
                        "which would mean no difference), but after allowing for testing "
                        f"{len(shown)} key questions at once (the Benjamini-Hochberg adjustment) the gap "
                        "is not clear enough to report as a finding",
                        sim,
                        ".",
                    )
                )
            else:
                points.append(
                    sentence(
                        f"On '{label}' the gap is clear even after allowing for testing {len(shown)} key "
                        f"questions at once (risk ratio {r.rr:.2f}, interval {r.lo:.2f} to {r.hi:.2f})",
                        sim,
                        ".",
                    )
                )
            break
    else:
        points.append(
            sentence(
                "There were too few cases in the groups compared to estimate a pooled gap", sim, "."
            )
        )
    comp = result.comparisons
    hidden = int(comp["note"].astype(str).str.startswith("suppressed").sum())
    if len(comp):
        points.append(
            sentence(
                f"Single PDUs' samples are too small to say: {hidden} of {len(comp)} per-PDU comparisons are "
                "suppressed (a group has fewer than 8 people, or, with the PDU's case counts public, its "
                "counts by ethnicity could be worked out), which is why the pooled figures are shown."
            )
        )
    nr = result.not_recorded
    total = nr[nr["pdu"] == "All PDUs"]
    if len(total) and str(total["not_recorded"].iloc[0]).isdigit():
        points.append(
            sentence(
                f"Ethnicity was not recorded for about {total['not_recorded'].iloc[0]} cases",
                sim,
                ".",
            )
        )
    if inp.rule.active:
        points.append(
            sentence(
                "Counts of people are rounded to the nearest 5 and counts of 1 to 7 are hidden (disclosure "
                "control), so a PDU's 42 cases show as 40, and percentages are worked out from the rounded counts."
            )
        )
    return points[:5]


#: Said under the cases table: a PDU's number of inspected cases is public elsewhere (the pack, the
#: sample-size report), so a hidden count here must not read as a secret or as a different figure.
CASES_NOTE = (
    "A PDU's number of inspected cases is public: the scrutiny pack and the sample-size reports give "
    "it. Where it is hidden here, that is only so that the number of cases with no ethnicity recorded "
    "cannot be worked out from it and the other figures shown."
)


def not_recorded_display(result: EthnicityDisproportionality) -> pd.DataFrame:
    nr = result.not_recorded
    return pd.DataFrame(
        {
            "PDU": nr["pdu"],
            "Cases": nr["cases"],
            "Ethnicity not recorded": nr["not_recorded"],
            "Note": nr["note"] if "note" in nr else "",
        }
    )


def shares_display(result: EthnicityDisproportionality) -> pd.DataFrame:
    """Shares by group for the PDU (or all PDUs pooled), in words."""
    inp = result.inputs
    s = result.shares[result.shares["pdu"] == ("All PDUs" if inp.pdu is None else inp.pdu)]
    return pd.DataFrame(
        {
            "Key question": [
                _kq_label(a, b) for a, b in zip(s["standard"], s["key_question"], strict=True)
            ],
            "Group": s["group"],
            "Sufficient": s["yes_display"],
            "Cases": s["n_display"],
            "Share": s["share"],
            f"{100 * inp.level:g}% interval": [
                "" if pd.isna(lo) else f"{100 * lo:.0f}% to {100 * hi:.0f}%"
                for lo, hi in zip(s["lower"], s["upper"], strict=True)
            ],
        }
    )


def comparisons_display(result: EthnicityDisproportionality) -> tuple[pd.DataFrame, str]:
    """The per-PDU comparisons that can be shown, in words, and one short line for those suppressed."""
    c = result.comparisons
    hidden = c[c["note"].astype(str).str.startswith("suppressed")]
    shown = c.drop(hidden.index)
    line = ""
    if len(hidden):
        line = (
            f"Suppressed: {len(hidden)} of {len(c)} per-PDU comparisons (fewer than 8 people in a group) in "
            + ", ".join(dict.fromkeys(hidden["PDU"]))
            + ". The pooled figures below use every case."
        )
    table = pd.DataFrame(
        {
            "PDU": shown["PDU"],
            "Key question": shown["key question"].map(_dotted_label),
            "Group": shown["group"],
            "Cases (group)": shown["n group"],
            "Cases (reference)": shown["n reference"],
            "Share (group)": shown["share group"],
            "Share (reference)": shown["share reference"],
            "Relative rate index": shown["RRI"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "Difference (percentage points)": [
                "" if pd.isna(d) else f"{100 * d:+.0f} ({100 * lo:+.0f} to {100 * hi:+.0f})"
                for d, lo, hi in zip(
                    shown["difference"], shown["diff lower"], shown["diff upper"], strict=True
                )
            ],
            "Clear after allowing for many comparisons?": shown["p (BH)"].map(
                lambda v: (
                    "" if pd.isna(v) else p_words(f"p = {v:.2f}" if v >= 0.001 else "p < 0.001")
                )
            ),
        }
    )
    return table, line


def pooled_display(result: EthnicityDisproportionality) -> pd.DataFrame:
    p = result.pooled
    return pd.DataFrame(
        {
            "Key question": [
                _kq_label(a, b) for a, b in zip(p["standard"], p["key_question"], strict=True)
            ],
            "Group": p["group"],
            "PDUs": p["strata"],
            "Cases (group)": p["n_group"],
            "Cases (reference)": p["n_reference"],
            "Risk ratio": p["MH risk ratio"],
            "Interval": [
                f"{a} to {b}" if str(a) not in ("", "nan") else ""
                for a, b in zip(p["RR lower"], p["RR upper"], strict=True)
            ],
            "Gap clear?": [
                p_words(t) if str(t) not in ("", "nan") else _mh_not_done(note)
                for t, note in zip(p["MH test"], p.get("note", [""] * len(p)), strict=True)
            ],
            "Clear after allowing for many comparisons?": [
                p_words(t) if str(t) not in ("", "nan") else "not tested" for t in p["MH test (BH)"]
            ],
            "Gap differs between PDUs?": [
                p_words(t, yes="it may", no="no sign")
                if str(t) not in ("", "nan")
                else "cannot be tested"
                for t in p["Breslow-Day"]
            ],
        }
    )


def p_words(band: str, *, yes: str = "yes", no: str = "no") -> str:
    """A p-value band in words a lay reader reads right: "no (p >= 0.05)", "yes (p < 0.001)": yes where
    chance alone would give such a gap less than 1 time in 20 (the 5% level)."""
    band = str(band).strip()
    if not band or band == "nan":
        return ""
    return f"{yes if _below_05(band) else no} ({band})"


def _mh_not_done(note: object) -> str:
    """Why the pooled test has no result, in words (the pooled analysis's note, else a general reason)."""
    note = "" if note is None or (isinstance(note, float) and pd.isna(note)) else str(note).strip()
    return note or (
        "cannot be done: within every PDU all the cases compared had the same outcome, so there is "
        "no variation to test"
    )


def forests_to_show(result: EthnicityDisproportionality) -> list[tuple[str, pd.DataFrame]]:
    """Forest plots that have at least one PDU shown (an all-suppressed plot would be empty)."""
    out = []
    for title, rows in result.forest:
        per_pdu = rows[~rows["label"].astype(str).str.startswith("All PDUs")]
        if per_pdu["estimate"].notna().any():
            out.append((title, rows))
    return out


def methods(result: EthnicityDisproportionality) -> list[str]:
    inp = result.inputs
    return [
        f"Shares by group: Wilson score {100 * inp.level:g}% intervals, computed from the rounded counts shown.",
        "Each group against the reference group within a PDU: relative rate index with Koopman's score "
        "interval, difference with Newcombe's interval, and "
        + ("Boschloo's" if inp.test == "boschloo" else "Fisher's")
        + " exact test, all from the rounded counts shown; Benjamini-Hochberg over the per-PDU comparisons.",
        "Pooled across PDUs: Mantel-Haenszel risk and odds ratios with PDUs as strata (Greenland-Robins "
        "interval), the Mantel-Haenszel test, Benjamini-Hochberg over the pooled tests, and the Breslow-Day test "
        "of whether the gap differs between PDUs; ratios shown to 2 decimal places and p-values as bands.",
        f"Disclosure control: {inp.rule.describe()}",
    ]

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

The code lives in one module per job: the release and the tables computed from it in
:mod:`hmip.analyses.ethnicity_tables`, what the report says and shows in
:mod:`hmip.analyses.ethnicity_words`; this module loads the inputs, assembles the result and keeps
the public import path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.analyses.ethnicity_tables import (  # noqa: F401
    POWER_GAP,
    POWER_LEAD,
    _kq_label,
    conclusion,
    disclose,
    forest_keys,
    forest_rows,
    group_sizes,
    heterogeneity_statement,
    power_statements,
    protected_comparisons,
    protected_pooled,
    protected_shares,
    shown_tables,
)
from hmip.analyses.ethnicity_words import (  # noqa: F401
    CASES_NOTE,
    GLOSSARY_TERMS,
    _mh_not_done,
    comparisons_display,
    forests_to_show,
    main_points,
    methods,
    not_recorded_display,
    p_words,
    pooled_display,
    shares_display,
)
from hmip.analyses.params import check_choice, check_level, check_path, check_pdu
from hmip.data import loaders as d
from hmip.errors import DisclosureError, FrameworkError, ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.disclosure import (
    get_rule,
)
from hmip.stats.disclosure_audit import ALL_PDUS, DisclosureAudit, disclosure_audit  # noqa: F401
from hmip.stats.disproportionality import (
    EXACT_TESTS,
    Grouping,
    group_counts,
    make_grouping,
)
from hmip.stats.release import (
    release_for_file,
)


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


def release_words(release, cases_path: str, active: bool) -> str:
    """How the counts are protected across reports, in a sentence for the methods."""
    if not active:
        return ""
    if release is not None:
        return (
            "Across reports: this case file's one release decision (stored beside the file, made for "
            f"its SHA-256 {release.sha256[:12]}...) hides the same counts "
            "in every run of this report, whatever the grouping, key questions or confidence level, and "
            "in the scrutiny pack and its workbook; an integer program checked that nothing published "
            "narrows a hidden count below its full range (the project's methods document says how)."
        )
    file = cases_path or "the case file"
    return (
        "Across reports: NO release decision is stored for this case file, so its counts are "
        "protected within this report only; another run or output from the same file can undo it. "
        f"Before sharing, run the command 'hmip release {file}' (it takes minutes) to decide once "
        "for every output."
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
    #: what protects the counts across reports: the data set's one release decision, or a warning
    release_note: str = ""

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
    given = str(parameters.get("cases_path", "") or "")
    if inp.rule.active and inp.grouping.name in ("binary", "ons5"):
        release = release_for_file(given, inp.rule, fw, decide=False)
    return EthnicityDisproportionality(
        inputs=inp,
        release_note=release_words(release, given, inp.rule.active),
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

"""The audit-progress report: is it getting better? Progress since the inspection, from a PDU's own
case audits.

:func:`prepare` takes the notebook's parameters and returns one :class:`AuditProgress` holding, in
the order the report shows them: the main points (:func:`main_points`); per key question, each
audit's share with its interval and the trend with its uncertainty; "if inspected now" (the chance
of each band per case-sample standard, and of each overall rating, for a fresh inspection sample,
from the latest audits, saying how "latest" is weighed); the change since the inspection with
multiplicity handled and a verdict in words; progress against HMIP's recommendations, measured
(each recommendation's key questions next to the status the progress file reports, saying where
they disagree); the methods (:func:`methods`) and a worked example of the "6% uplift" re-audit
(:func:`worked_example`).

The statistics are :mod:`hmip.stats.progress`; the data :mod:`hmip.data.audits` (whether anything
is simulated comes from there). :func:`pack_summary` gives the scrutiny pack's short "Since the
inspection" section for a PDU with audits (main points and one small chart's data), or None.

The code lives in one module per job: the inputs and tables in
:mod:`hmip.analyses.audit_progress_tables`, what the report says and shows in
:mod:`hmip.analyses.audit_progress_words`; this module assembles the result and keeps the public
import path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import pandas as pd

from hmip.analyses.audit_progress_tables import (  # noqa: F401
    ASSUMED_BASELINE_CASES,
    ASSUMED_REAUDIT_CASES,
    FIELDWORK_DATES,
    INSPECTION_CASES,
    PUBLISHED_UPLIFT_POINTS,
    RATINGS,
    STATUS_ORDER,
    AuditProgressInputs,
    WorkedExample,
    agreement,
    change_table,
    change_words,
    combined_agreement,
    curves,
    inspection_now,
    kq_label,
    load_inputs,
    recommendations_table,
    standards_now,
    trend_table,
    trend_words,
    worked_example,
)
from hmip.analyses.audit_progress_words import (  # noqa: F401
    DISCLOSURE_NOTE,
    GLOSSARY_TERMS,
    SinceInspection,
    change_display,
    evidence_sentence,
    latest_words,
    main_points,
    methods,
    next_band,
    now_sentences,
    overall_notes,
    overall_now_display,
    points_now,
    published_points,
    recommendations_display,
    recommendations_sentence,
    rest_sentence,
    simulated_notice,
    since_inspection_chart_data,
    standards_now_display,
    trend_display,
)
from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.data import loaders as d
from hmip.errors import ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats import progress as pr


@dataclass
class AuditProgress(ReportBase):
    """Everything the audit-progress report shows for one PDU, in the order it shows them."""

    inputs: AuditProgressInputs
    shares: pd.DataFrame  # each audit's share per key question, with its interval
    trend: pd.DataFrame  # per key question: the trend with its interval, adjusted p-value, words
    curves: dict  # (standard, key_question) -> fitted share over time with its band
    now: pr.InspectionNow | None  # "if inspected now"
    standards_now: pd.DataFrame | None  # per case-sample standard: chance of each rating
    change: pd.DataFrame  # latest audits against the inspection, per key question
    recommendations: pd.DataFrame  # progress against the recommendations, measured
    example: WorkedExample
    notes: list[str] = field(default_factory=list)

    index_group: ClassVar[str] = "each PDU"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.inputs.parameters, self.inputs.loaded)

    def main_points(self) -> list:
        return main_points(self)

    def methods_used(self) -> list[str]:
        return methods(self)

    @property
    def audits_simulated(self) -> bool:
        """True when the audit series itself is simulated (from the data layer)."""
        return d.is_simulated(self.inputs.audits)

    @property
    def pdu(self) -> str:
        return self.inputs.pdu


def prepare(*, framework: Framework | None = None, **parameters: object) -> AuditProgress:
    """Validate the notebook's parameters, load the data and compute everything the report shows.
    Takes the notebook's parameters, the same as :func:`load_inputs`."""
    return _prepare(framework, parameters, trends=True)


def _prepare(framework: Framework | None, parameters: dict, *, trends: bool) -> AuditProgress:
    """:func:`prepare`; ``trends`` False leaves out what only the report shows (the trend table and
    its curves, the recommendations and the worked example: empty), for the pack's section."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    shares = pr.audit_shares(inp.counts, level=inp.level)
    shares["label"] = [
        kq_label(s, k, fw) for s, k in zip(shares["standard"], shares["key_question"], strict=True)
    ]
    trend = pd.DataFrame()
    if trends:
        trend = trend_table(inp.counts, inp.inspection_date, level=inp.level, adjust=inp.adjust)
        trend["label"] = [
            kq_label(s, k, fw)
            for s, k in zip(trend["standard"], trend["key_question"], strict=True)
        ]
        trend["words"] = [trend_words(r, inp.level) for r in trend.to_dict("records")]
    now = inspection_now(inp)
    change = change_table(inp)
    return AuditProgress(
        inputs=inp,
        shares=shares,
        trend=trend,
        curves=curves(inp.counts, trend, inp.inspection_date, level=inp.level) if trends else {},
        now=now,
        standards_now=None if now is None else standards_now(now, fw),
        change=change,
        recommendations=recommendations_table(inp, change) if trends else pd.DataFrame(),
        example=worked_example(inp, level=inp.level) if trends else None,
    )


def pack_summary(
    pdu: str, audits: str | Path | None = None, **parameters: object
) -> SinceInspection | None:
    """The scrutiny pack's "Since the inspection" section for ``pdu``: its main points (at most three:
    evidence of improvement, what a fresh inspection would most likely give overall, and the
    simulated note when the audits are simulated) and one small chart's data; None when the audits
    hold nothing for the PDU (the section is then left out). ``audits``: the audit file or folder
    (default: the bundled SIMULATED series)."""
    from hmip.analyses.words import sentence

    try:
        # the pack shows the change, the shares and 'if inspected now', not the trends (issue 25)
        parameters = dict(
            pdu=pdu, audits_path=str(audits or ""), progress_path="none", **parameters
        )
        result = _prepare(parameters.pop("framework", None), parameters, trends=False)
    except ParameterError as exc:
        if "audits hold no cases" in str(exc) or "no cases of this PDU" in str(exc):
            return None
        raise
    points = [evidence_sentence(result)]
    now = now_sentences(result)
    points.append(now[-1])
    if result.audits_simulated:
        points.append(
            sentence(
                "These audit figures are simulated, to show the method; they are not the PDU's results."
            )
        )
    window = result.change["audit"].iloc[0]
    return SinceInspection(
        pdu=pdu,
        points=tuple(points[:3]),
        chart=since_inspection_chart_data(result),
        simulated=result.audits_simulated,
        window=window,
        result=result,
    )

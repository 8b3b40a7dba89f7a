"""The London (regional) comparison report: what it computes and what it says.

:func:`prepare` takes the notebook's parameters, loads and validates the data, and returns one
:class:`LondonComparison` holding every table, the data behind every figure, and the findings.

The code lives in one module per job: the data and tables in
:mod:`hmip.analyses.london_comparison_tables`, what the report says and shows in
:mod:`hmip.analyses.london_comparison_words`, the national context in
:mod:`hmip.analyses.london_national`; this module assembles the result and keeps the public import
path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.analyses.london_comparison_tables import (  # noqa: F401
    NOT_AVAILABLE,
    ORG_NOT_PUBLISHED,
    ComparisonData,
    ComparisonOptions,
    PointsRange,
    case_sample_standard_ids,
    findings,
    load_comparison,
    load_inputs,
    measure_counts,
    measure_label,
    points_range,
    ratings_grid_table,
    summary_table,
    without_simulated_judgement,
)
from hmip.analyses.london_comparison_words import (  # noqa: F401
    GLOSSARY_TERMS,
    main_points,
    methods,
    ratings_grid_rows,
    reader_findings,
    summary_display,
)
from hmip.analyses.london_national import (  # noqa: F401
    NationalContext,
    national_context,
    national_counts_display,
    period_words,
)
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.funnel import (
    funnel_table,
    rank_uncertainty,
)
from hmip.stats.intervals import share_table


@dataclass
class LondonComparison(ReportBase):
    """Everything the regional comparison report shows: tables, the data behind each figure, findings."""

    data: ComparisonData
    options: ComparisonOptions
    summary: pd.DataFrame  # published against recomputed overall ratings
    grid: pd.DataFrame  # PDU x standard ratings (published)
    shares: pd.DataFrame  # key-question shares with intervals
    funnel: pd.DataFrame  # the funnel table for the chosen measure
    ranks: pd.DataFrame  # rank ranges for the chosen measure
    findings: list[str]

    index_group: ClassVar[str] = "analysts"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.options.parameters, self.data.loaded)

    def main_points(self, *, framework: Framework | None = None) -> list:
        return main_points(self, framework=framework)

    def methods_used(self) -> list[str]:
        return methods(self)


def prepare(*, framework: Framework | None = None, **parameters: object) -> LondonComparison:
    """Validate the notebook's parameters (those of :func:`load_inputs`), load the data and compute
    everything the report shows."""
    fw = framework_or_default(framework)
    data, opts = load_inputs(framework=fw, **parameters)
    summary = summary_table(data.overall, data.ratings, data.cases_per_pdu, framework=fw)
    measure = measure_counts(data, opts.standard, opts.key_question, framework=fw)
    funnel = funnel_table(measure, overdispersion_method=opts.overdispersion)
    ranks = rank_uncertainty(measure, level=opts.level)
    return LondonComparison(
        data=data,
        options=opts,
        summary=summary,
        grid=ratings_grid_table(data.published, framework=fw),
        shares=share_table(data.counts, level=opts.level, method=opts.interval_method),
        funnel=funnel,
        ranks=ranks,
        findings=findings(
            summary,
            data.ratings,
            data.case_ratings,
            funnel,
            ranks,
            measure=opts.measure,
            framework=fw,
        ),
    )

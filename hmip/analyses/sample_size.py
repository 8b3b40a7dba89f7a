"""The sample-size sensitivity report: how firm one PDU's ratings are.

:func:`prepare` takes the notebook's parameters and returns one :class:`SampleSizeSensitivity`
holding every table, the data behind every figure, and the conclusions in words.

Here the result is assembled; the inputs and tables are computed in
:mod:`hmip.analyses.sample_size_tables`, and :mod:`hmip.analyses.sample_size_words` says and shows
them. Every public name of those two is importable from here, as before the split.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.analyses.sample_size_tables import (  # noqa: F401
    BOUNDARY_SHARES,
    SensitivityInputs,
    accuracy_table,
    boundary_shares,
    conclusion,
    improvement_verdict,
    judgement_ratings,
    key_question_table,
    load_inputs,
    observed_points,
    one_case_sentence,
    rating_distributions,
    reaudit_counts_for,
    sample_size_table,
)
from hmip.analyses.sample_size_words import (  # noqa: F401
    GLOSSARY_TERMS,
    key_question_display,
    main_points,
    methods,
    published_overall,
    sample_size_display,
    simulated_rating_rows,
    standard_chances,
    standards_table,
)
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats.sampling import (  # noqa: F401 (accuracy_curve: re-exported)
    accuracy_curve,
    compare_samples,
)


@dataclass
class SampleSizeSensitivity(ReportBase):
    """Everything the sample-size report shows for one PDU."""

    inputs: SensitivityInputs
    key_questions: (
        pd.DataFrame
    )  # every key question: interval, band probabilities, fresh-sample stability
    distributions: dict  # per standard (correlated and independent) and overall
    observed_points: int | None
    accuracy: pd.DataFrame  # chance of the correct band against n, for shares near the boundaries
    sample_sizes: pd.DataFrame  # n needed for each accuracy target
    reaudit: pd.DataFrame | None  # inspection against a second sample, per key question
    reaudit_verdicts: list[str]
    conclusion: list[str]

    index_group: ClassVar[str] = "each PDU"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.inputs.parameters, self.inputs.loaded)

    def main_points(self, *, framework: Framework | None = None) -> list:
        return main_points(self, framework=framework)

    def methods_used(self) -> list[str]:
        return methods(self)


def prepare(*, framework: Framework | None = None, **parameters: object) -> SampleSizeSensitivity:
    """Validate the notebook's parameters, load the data and compute everything the report shows. Takes the
    notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    kq = key_question_table(
        inp.counts, level=inp.level, caseload=inp.caseload, n_new=inp.n, framework=fw
    )
    dist = rating_distributions(inp, framework=fw)
    targets = sorted({inp.target, 0.9})
    reaudit, verdicts = None, []
    if inp.second is not None:
        reaudit = compare_samples(inp.counts, inp.second, level=inp.level)
        verdicts = [improvement_verdict(r) for r in reaudit.to_dict("records")]
    return SampleSizeSensitivity(
        inputs=inp,
        key_questions=kq,
        distributions=dist,
        observed_points=observed_points(inp),
        accuracy=accuracy_table(
            boundary_shares(inp.caseload),
            range(10, min(400, inp.caseload or 400) + 1),
            inp.caseload,
            framework=fw,
        ),
        sample_sizes=sample_size_table(
            boundary_shares(inp.caseload),
            targets=targets,
            caseload=inp.caseload,
            n=inp.n,
            framework=fw,
        ),
        reaudit=reaudit,
        reaudit_verdicts=verdicts,
        conclusion=conclusion(
            inp.pdu, kq, dist["overall"], inp.observed, inp.n, inp.n_observed, framework=fw
        ),
    )

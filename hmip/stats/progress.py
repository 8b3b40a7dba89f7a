"""Is it getting better? Progress since an inspection, from a PDU's own case audits.

Pure functions on counts (the table :func:`hmip.data.audits.audit_counts` gives: pdu, audit_date,
standard, key_question, yes, no). Each validates its arguments and raises :class:`ProgressError`
(a ``StatisticsError``) naming the argument and what is accepted; each returns a tidy ``DataFrame``
(or a small frozen dataclass of them) whose ``method`` column names the method and ``level`` the
confidence level (:data:`hmip.stats.results.METHOD_LABELS`).

- :func:`audit_shares` - each audit's share sufficient per key question, with a Wilson (default),
  Jeffreys or Clopper-Pearson interval (:func:`hmip.stats.intervals.share_table`).
- :func:`trend` - per key question, a binomial GLM (logit link) of yes / no on years since the
  inspection: slope (log-odds per year) with its Wald interval and p-value, the odds ratio per year
  and the fitted shares at the first and last audit. Where the model has no finite estimate (too few
  audits, every answer the same, answers separated in time) the row says "cannot estimate" and why.
  :func:`trend_curve` gives the fitted share and its interval over time, for charts.
- :func:`latest_evidence` - what "the latest evidence" is, per key question: the audits in a recent
  window (default the 12 months up to the latest audit, pooled), or every audit down-weighted with a
  stated half-life. :func:`inspection_now` turns it into the chance of each band for each
  case-sample standard and of each overall rating for a fresh inspection sample (default 42 cases):
  a Beta posterior per key question (Jeffreys prior), its posterior predictive beta-binomial for the
  fresh sample, the lowest-banding rule with key questions independent, and the overall rating by
  exact convolution (:func:`hmip.stats.sampling.overall_distribution`) with the judgement standards
  held at their published ratings. Everything is exact: no simulation.
  :func:`correlated_standards_now` checks the independence of key questions on the case-level
  audits (seeded Dirichlet-multinomial draws: the one place simulation is used).
- :func:`change_since_inspection` - the re-audit comparison of :func:`hmip.stats.sampling.compare_samples`
  generalised to a series: the pooled latest audits (or each audit) against the inspection sample per
  key question, with an exact two-sided test (Fisher, or Boschloo) and Holm's (default) or
  Benjamini-Hochberg's adjustment across the key questions (statsmodels ``multipletests``), the
  range of change chance alone gives (:func:`no_change_range`) and a verdict in words
  (:func:`uplift_verdict`: "an uplift of 6 points is within what chance alone gives with samples
  this size").
"""

# The code lives in one module per job; this module keeps the public import path.
from hmip.stats.progress_change import (  # noqa: F401
    ChanceRange,
    Verdict,
    change_since_inspection,
    no_change_range,
    uplift_verdict,
)
from hmip.stats.progress_now import (  # noqa: F401
    InspectionNow,
    correlated_standards_now,
    fresh_sample_bands,
    inspection_now,
    latest_evidence,
    lowest_band,
    weighting_text,
)
from hmip.stats.progress_trend import (  # noqa: F401
    ADJUSTMENTS,
    CANNOT,
    COUNT_COLUMNS,
    DAYS_PER_YEAR,
    KEYS,
    MIN_TREND_AUDITS,
    RATINGS,
    TESTS,
    ProgressError,
    adjusted_p_values,
    audit_shares,
    check_audit_counts,
    trend,
    trend_curve,
    trend_curves,
    years_since,
)

__all__ = [
    "ADJUSTMENTS",
    "adjusted_p_values",
    "CANNOT",
    "COUNT_COLUMNS",
    "DAYS_PER_YEAR",
    "KEYS",
    "MIN_TREND_AUDITS",
    "ProgressError",
    "RATINGS",
    "TESTS",
    "audit_shares",
    "check_audit_counts",
    "trend",
    "trend_curve",
    "trend_curves",
    "years_since",
    "InspectionNow",
    "correlated_standards_now",
    "fresh_sample_bands",
    "inspection_now",
    "latest_evidence",
    "lowest_band",
    "weighting_text",
    "ChanceRange",
    "Verdict",
    "change_since_inspection",
    "no_change_range",
    "uplift_verdict",
]

"""Disproportionality by ethnicity in the quality of case supervision.

Every table is tidy and names its methods and level (:mod:`hmip.stats.results`); every public function
refuses impossible arguments with a :class:`~hmip.errors.StatisticsError` naming the argument.

- per group, per key question: share sufficient with a Wilson interval, and n;
- against the White reference group, per PDU: the relative rate index (RRI, ratio of shares) with
  Koopman's score interval (behaves at zeros and at 100%), the difference with Newcombe's interval,
  and an exact test: Boschloo's (the two groups are independent binomial samples of fixed size; grid
  raised for final figures) or Fisher's;
- pooled across PDUs (PDUs as strata): Mantel-Haenszel odds ratio and risk ratio with intervals
  (statsmodels ``StratifiedTable``; the risk-ratio interval by Greenland-Robins), the MH test and
  Breslow-Day for heterogeneity. A pooled figure is never a test on the tables summed over PDUs
  (which Simpson's paradox can reverse);
- Benjamini-Hochberg within one family at a time: the per-PDU comparisons are one family, the pooled
  (Mantel-Haenszel) tests another; they are never mixed in one adjustment. Adjusted and unadjusted
  p-values are both shown;
- power: the minimum difference detectable with 80% power at each comparison's n.

Groupings: the ONS five top-level groups ("ons5"); ethnic minority vs White ("binary", MoJ practice:
White minority groups count as White unless ``white_minorities_as_minority=True``); or a custom
mapping. "Not recorded" is always its own group and never compared.

The code lives in one module per job: the groups, counts and families of tests in
:mod:`hmip.stats.disproportionality_groups`, the per-PDU comparisons in
:mod:`hmip.stats.disproportionality_compare`, the pooled Mantel-Haenszel analysis in
:mod:`hmip.stats.disproportionality_pooled`; this module keeps the public import path.
"""

from hmip.stats.disproportionality_compare import (  # noqa: F401
    NOT_DETECTABLE,
    compare_groups,
    exact_power,
    exact_test,
    fisher_two_sided_grid,
    min_detectable_difference,
)
from hmip.stats.disproportionality_groups import (  # noqa: F401
    BOSCHLOO_GRID,
    COUNT_COLUMNS,
    EXACT_TESTS,
    FINAL_BOSCHLOO_GRID,
    GROUPINGS,
    MINORITY,
    PER_PDU_FAMILY,
    POOLED_FAMILY,
    POOLED_LABEL,
    DisproportionalityError,
    Grouping,
    adjust_p_values,
    assign_groups,
    group_counts,
    group_shares,
    make_grouping,
    not_recorded_table,
)
from hmip.stats.disproportionality_pooled import (  # noqa: F401
    MH_NO_VARIATION,
    StratifiedTest,
    breslow_day,
    mh_risk_ratio,
    mh_test,
    pooled_analysis,
)

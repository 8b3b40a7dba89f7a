"""How firm is a rating built on ~42 sampled cases? Exact wherever an exact answer exists.

Everything here returns a tidy ``DataFrame`` (or a small frozen dataclass) that names its method
(:data:`hmip.stats.results.METHOD_LABELS`); nothing travels in ``attrs``:

- :func:`band_probabilities` - the chance the TRUE share lies in each band, from the Jeffreys
  posterior Beta(k + 1/2, n - k + 1/2) (prior configurable); with a caseload, the unsampled cases
  follow a beta-binomial (finite population). One row per rating: rating, probability, method;
- :func:`stability` - the chance a FRESH sample of n cases gives each band (posterior predictive,
  beta-binomial), with the observed band marked;
- :func:`p_correct_band`, :func:`accuracy_curve`, :func:`sample_size_for_accuracy` - the chance of
  the correct band for a known true share (binomial; hypergeometric with a caseload);
- :func:`standard_rating_distribution` - the lowest-banding rule over correlated key questions:
  exact under independence; a seeded, vectorised Dirichlet-multinomial (or case bootstrap) on the
  case-level answer patterns otherwise (no exact computation exists);
- :func:`overall_distribution` - the 0-27 (0-24) score and overall rating, by exact convolution;
- :func:`compare_samples` - a re-audit against the inspection, paired by PDU, standard and key
  question: Newcombe interval, P(true share improved), P(true band higher) and P(true band lower).

Every public function checks its arguments and raises :class:`SamplingError` (a
``StatisticsError``) naming the argument and what is accepted.
"""

# The code lives in one module per job; this module keeps the public import path.
from hmip.stats.sampling_bands import (  # noqa: F401
    CORRELATED_METHODS,
    JEFFREYS,
    KINDS,
    RATINGS,
    UNIFORM,
    SampleSize,
    SamplingError,
    _stays_above,  # used by hmip.analyses.sample_size_tables
    _true_band,  # used by hmip.analyses.sample_size_tables
    accuracy_curve,
    band_probabilities,
    fresh_sizes,
    p_correct_band,
    rating_distribution_correlated,
    rating_distribution_independent,
    sample_size_for_accuracy,
    stability,
    standard_rating_distribution,
)
from hmip.stats.sampling_overall import (  # noqa: F401
    OverallDistribution,
    PduRatingDistribution,
    correlation_effect,
    overall_distribution,
    pdu_rating_distribution,
)
from hmip.stats.sampling_reaudit import (  # noqa: F401
    compare_samples,
    p_improved,
)

__all__ = [
    "CORRELATED_METHODS",
    "JEFFREYS",
    "KINDS",
    "RATINGS",
    "SampleSize",
    "SamplingError",
    "UNIFORM",
    "accuracy_curve",
    "band_probabilities",
    "fresh_sizes",
    "p_correct_band",
    "rating_distribution_correlated",
    "rating_distribution_independent",
    "sample_size_for_accuracy",
    "stability",
    "standard_rating_distribution",
    "OverallDistribution",
    "PduRatingDistribution",
    "correlation_effect",
    "overall_distribution",
    "pdu_rating_distribution",
    "compare_samples",
    "p_improved",
]

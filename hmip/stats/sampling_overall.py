"""A PDU's overall rating from its standards' rating distributions, by exact convolution (points total and
overall band), and the effect of correlated key questions on each standard. Part of
:mod:`hmip.stats.sampling`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hmip.errors import RatingError
from hmip.rules.framework import Framework, Standard
from hmip.rules.ratings import (
    Rating,
    overall_band,
)
from hmip.stats import DEFAULT_SEED
from hmip.stats.checks import proportion, whole_number
from hmip.stats.results import method_label
from hmip.stats.sampling_bands import (
    RATINGS,
    SamplingError,
    _fw,
    _rating_table,
    _standard,
    _vector,
    standard_rating_distribution,
)


# --- 5. The overall rating by exact convolution -------------------------------------------------------
@dataclass(frozen=True)
class OverallDistribution:
    """The distribution of a PDU's points total and of its overall rating."""

    points: pd.DataFrame  # points, probability, method
    overall: pd.DataFrame  # rating, probability, method


def _distribution_vector(name: str, dist: object) -> np.ndarray:
    """A standard's rating distribution (a rating table, or a Series indexed by rating) as 4 probabilities."""
    if isinstance(dist, pd.DataFrame) and {"rating", "probability"} <= set(dist.columns):
        keys, values = list(dist["rating"]), list(dist["probability"])
    elif isinstance(dist, pd.Series):
        keys, values = list(dist.index), list(dist)
    else:
        raise SamplingError(
            f"distributions['{name}'] must be a rating table (columns rating, probability) or a "
            "Series indexed by rating"
        )
    out = np.zeros(len(RATINGS))
    seen = set()
    for key, value in zip(keys, values, strict=True):
        try:
            rating = Rating.parse(key)
        except RatingError as exc:
            raise SamplingError(f"distributions['{name}']: {exc}") from None
        if rating in seen:
            raise SamplingError(f"distributions['{name}'] gives {rating.label} twice")
        seen.add(rating)
        out[rating] = proportion(
            f"distributions['{name}'][{rating.label}]", value, error=SamplingError
        )
    if abs(out.sum() - 1) > 1e-6:
        raise SamplingError(
            f"distributions['{name}'] sums to {out.sum():.6g}; the probabilities of the four "
            "ratings must sum to 1"
        )
    return out


def overall_distribution(
    distributions: Mapping[str, pd.DataFrame | pd.Series],
    fixed: Mapping[str, Rating | str | None],
    *,
    framework: Framework | None = None,
) -> OverallDistribution:
    """The points pmf and overall rating probabilities from each case-sample standard's rating
    distribution and the fixed (judgement) ratings; None in ``fixed`` marks a standard not rated
    (court work only). Each rated standard is given once, in one of the two. Standards are combined
    as independent (exact convolution)."""
    fw = _fw(framework)
    if not isinstance(distributions, Mapping) or not isinstance(fixed, Mapping):
        raise SamplingError(
            "give distributions (standard -> rating distribution) and fixed (standard -> rating or "
            "None) as mappings"
        )
    pmf = np.array([1.0])
    given: dict[str, str] = {}
    unrated = set()

    def _rated(sid: object, where: str) -> Standard:
        std = _standard(sid, fw, where)
        if not std.rated:
            raise SamplingError(f"{where}: {std.label()} is not rated in {fw.name}; leave it out")
        if std.id in given:
            raise SamplingError(
                f"{std.label()} is given both {given[std.id]} and {where}; give each standard once"
            )
        given[std.id] = where
        return std

    for sid, rating in fixed.items():
        std = _rated(sid, "in fixed" if rating is not None else "as not rated")
        if rating is None:
            unrated.add(std.id)
            continue
        try:
            score = Rating.parse(rating).score
        except RatingError as exc:
            raise SamplingError(f"fixed['{sid}']: {exc}") from None
        pmf = np.concatenate([np.zeros(score), pmf])
    for sid, dist in distributions.items():
        _rated(sid, "as a distribution")
        pmf = np.convolve(pmf, _distribution_vector(str(sid), dist))
    missing = [s.label() for s in fw.rated_standards if s.id not in given]
    if missing:
        raise SamplingError(f"no rating or distribution for {', '.join(missing)}")
    scale = fw.scale_for(unrated)
    if scale is None:
        raise SamplingError(
            f"no overall scale with {', '.join(sorted(unrated))} not rated; only court work may be unrated"
        )
    pmf = np.pad(pmf, (0, scale.max_points + 1 - len(pmf)))
    label = method_label("convolution") + "; standards independent, judgement ratings fixed"
    points = pd.DataFrame(
        {"points": np.arange(scale.max_points + 1), "probability": pmf, "method": label}
    )
    ratings = np.zeros(len(RATINGS))
    for p, pr in enumerate(pmf):
        ratings[overall_band(p, scale.max_points, framework=fw)] += pr
    overall = _rating_table(
        ratings, "convolution", "standards independent, judgement ratings fixed"
    )
    return OverallDistribution(points, overall)


@dataclass(frozen=True)
class PduRatingDistribution:
    """Every case-sample standard's rating distribution, and the points and overall distributions."""

    standards: pd.DataFrame  # standard, rating, probability, method (and monte_carlo_se)
    points: pd.DataFrame
    overall: pd.DataFrame


def _check_judgement(judgement: object, fw: Framework) -> dict[str, Rating | str | None]:
    if not isinstance(judgement, Mapping):
        raise SamplingError("judgement must map each judgement standard to its rating")
    out = {}
    for s in fw.judgement_standards:
        found = [v for k, v in judgement.items() if k in (s.id, s.code, s.name)]
        if not found:
            raise SamplingError(
                f"judgement has no rating for {s.label()}; give every judgement standard: "
                f"{', '.join(x.id for x in fw.judgement_standards)}"
            )
        out[s.id] = found[0]
    return out


def _standard_distributions(
    cases: pd.DataFrame,
    pdu: str,
    correlated: bool,
    kind: str,
    draws: int,
    seed: int,
    fw: Framework,
) -> dict[str, pd.DataFrame]:
    """Each case-sample standard's rating distribution (standard i drawn with seed + i)."""
    seed = whole_number("seed", seed, error=SamplingError)
    return {
        s.id: standard_rating_distribution(
            cases,
            s.id,
            pdu=pdu,
            correlated=correlated,
            kind=kind,
            draws=draws,
            seed=seed + i,
            framework=fw,
        )
        for i, s in enumerate(fw.case_sample_standards)
    }


def pdu_rating_distribution(
    cases: pd.DataFrame,
    pdu: str,
    judgement: Mapping[str, Rating | str | None],
    *,
    correlated: bool = True,
    kind: str = "resample",
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> PduRatingDistribution:
    """Every case-sample standard's rating distribution, the points pmf and the overall rating probabilities."""
    fw = _fw(framework)
    fixed = _check_judgement(judgement, fw)
    dists = _standard_distributions(cases, pdu, correlated, kind, draws, seed, fw)
    total = overall_distribution(dists, fixed, framework=fw)
    table = pd.concat([d.assign(standard=sid) for sid, d in dists.items()], ignore_index=True)
    table = table[["standard", *[c for c in table.columns if c != "standard"]]]
    return PduRatingDistribution(table, total.points, total.overall)


def correlation_effect(
    cases: pd.DataFrame,
    pdu: str,
    *,
    kind: str = "resample",
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """For each case-sample standard, its rating distribution with and without the correlation:
    one row per standard and assumption, a column per rating label, and the method."""
    fw = _fw(framework)
    both = {c: _standard_distributions(cases, pdu, c, kind, draws, seed, fw) for c in (True, False)}
    rows = []
    for s in fw.case_sample_standards:
        for correlated in (True, False):
            d = both[correlated][s.id]
            probs = _vector(d)
            rows.append(
                {
                    "standard": s.id,
                    "key_questions": "correlated" if correlated else "independent",
                    **{r.label: float(probs[r]) for r in RATINGS},
                    "method": d["method"].iloc[0],
                }
            )
    return pd.DataFrame(rows)

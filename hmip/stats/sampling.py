"""How firm is a rating built on ~42 sampled cases? Exact wherever an exact answer exists.

Everything here returns tidy objects that name the method:

- :func:`band_probabilities` - the chance the TRUE share lies in each band, from the Jeffreys
  posterior Beta(k + 1/2, n - k + 1/2) (prior configurable); with a caseload, the unsampled cases
  follow a beta-binomial (finite population);
- :func:`stability` - the chance a FRESH sample of n cases gives each band (posterior predictive,
  beta-binomial);
- :func:`p_correct_band`, :func:`accuracy_curve`, :func:`sample_size_for_accuracy` - the chance of
  the correct band for a known true share (binomial; hypergeometric with a caseload);
- :func:`standard_rating_distribution` - the lowest-banding rule over correlated key questions:
  exact under independence; a seeded, vectorised Dirichlet-multinomial (or case bootstrap) on the
  case-level answer patterns otherwise (no exact computation exists);
- :func:`overall_distribution` - the 0-27 (0-24) score and overall rating, by exact convolution;
- :func:`compare_samples` - a re-audit against the inspection: Newcombe interval, P(improved),
  P(band really moved).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import product

import numpy as np
import pandas as pd
from scipy import integrate, stats

from hmip.errors import StatisticsError
from hmip.rules.framework import Framework, default_framework
from hmip.rules.ratings import Rating, band_counts, count_thresholds, overall_band
from hmip.stats import DEFAULT_SEED
from hmip.stats.intervals import check_level, newcombe_difference

JEFFREYS = (0.5, 0.5)
UNIFORM = (1.0, 1.0)

RATINGS = list(Rating)


class SamplingError(StatisticsError):
    pass


def _thresholds(framework: Framework | None = None) -> list[float]:
    fw = framework or default_framework()
    return [float(t) for _, t in fw.thresholds]


def _series(probs, name: str, method: str) -> pd.Series:
    s = pd.Series(
        np.clip(np.asarray(probs, dtype=float), 0, 1),
        index=pd.Index(RATINGS, name="rating"),
        name=name,
    )
    s.attrs["method"] = method
    return s


def _check_kn(k: int, n: int) -> None:
    if (
        not (isinstance(k, int | np.integer) and isinstance(n, int | np.integer))
        or n <= 0
        or not 0 <= k <= n
    ):
        raise SamplingError(f"need whole numbers 0 <= k <= n with n > 0; got k={k}, n={n}")


def _check_prior(prior) -> tuple[float, float]:
    a, b = prior
    if a <= 0 or b <= 0:
        raise SamplingError(
            f"prior {prior} must have two positive parameters, e.g. (0.5, 0.5) for Jeffreys"
        )
    return float(a), float(b)


def _prior_name(prior) -> str:
    return (
        "Jeffreys"
        if tuple(prior) == JEFFREYS
        else "uniform"
        if tuple(prior) == UNIFORM
        else f"Beta{tuple(prior)}"
    )


# --- 1. Band probabilities for the true share -----------------------------------------------------
def band_probabilities(
    k: int,
    n: int,
    caseload: int | None = None,
    prior=JEFFREYS,
    *,
    framework: Framework | None = None,
) -> pd.Series:
    """P(the PDU's true share sufficient lies in each band | k of n sampled), indexed by Rating."""
    _check_kn(k, n)
    a, b = _check_prior(prior)
    a, b = a + k, b + n - k
    if caseload is None:
        cdf = stats.beta.cdf(_thresholds(framework), a, b)
        probs = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        return _series(
            probs,
            "probability",
            f"{_prior_name(prior)} posterior Beta({a:g}, {b:g}) for the true share",
        )
    if caseload < n:
        raise SamplingError(f"caseload {caseload} is smaller than the sample {n}")
    m = caseload - n
    y = np.arange(m + 1)
    pmf = stats.betabinom.pmf(y, m, a, b)
    total = k + y
    bands = count_thresholds(caseload, framework=framework)
    probs = [pmf[(total >= r.start) & (total < r.stop)].sum() for r in bands.values()]
    return _series(
        probs,
        "probability",
        f"{_prior_name(prior)} posterior; the {m} unsampled cases of a caseload of "
        f"{caseload} beta-binomial (finite population)",
    )


# --- 2. Stability: a fresh sample of n cases --------------------------------------------------------
def stability(
    k: int, n: int, n_new: int | None = None, prior=JEFFREYS, *, framework: Framework | None = None
) -> pd.Series:
    """P(a fresh sample of ``n_new`` cases (default n) falls in each band), posterior predictive."""
    _check_kn(k, n)
    a, b = _check_prior(prior)
    n_new = n if n_new is None else int(n_new)
    y = np.arange(n_new + 1)
    pmf = stats.betabinom.pmf(y, n_new, a + k, b + n - k)
    bands = count_thresholds(n_new, framework=framework)
    probs = [pmf[r.start : r.stop].sum() for r in bands.values()]
    s = _series(
        probs,
        "probability",
        f"posterior predictive beta-binomial ({_prior_name(prior)} prior), fresh sample of {n_new}",
    )
    s.attrs["observed_band"] = band_counts(k, n - k, framework=framework)
    s.attrs["p_same_band"] = float(s[s.attrs["observed_band"]])
    return s


# --- 3. Accuracy for a known true share --------------------------------------------------------------
def _count_edges(n: np.ndarray, framework: Framework | None = None) -> list[np.ndarray]:
    """Per n: the lowest count reaching each band above the first (exact integer ceil of t*n)."""
    fw = framework or default_framework()
    return [-((-t.numerator * n) // t.denominator) for _, t in fw.thresholds]


def _true_band(true_share: float, caseload: int | None, framework) -> tuple[Rating, int | None]:
    if not 0 <= true_share <= 1:
        raise SamplingError(f"true share {true_share} must be in [0, 1]")
    if caseload is None:
        from hmip.rules.ratings import band

        return band(true_share, framework=framework), None
    t = int(round(true_share * caseload))
    return band_counts(t, caseload - t, framework=framework), t


def accuracy_curve(
    true_shares, ns, caseload: int | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """P(correct band) for each true share and sample size: binomial, or hypergeometric with a caseload."""
    ns = np.asarray(list(ns), dtype=np.int64)
    if (ns <= 0).any() or (caseload is not None and (ns > caseload).any()):
        raise SamplingError("sample sizes must be positive (and no larger than the caseload)")
    rows = []
    edges = _count_edges(ns, framework)
    lows = [np.zeros_like(ns)] + edges
    highs = edges + [ns + 1]
    for p in np.atleast_1d(true_shares):
        true, t = _true_band(float(p), caseload, framework)
        lo, hi = lows[true], highs[true]  # counts lo .. hi-1 give the true band
        if caseload is None:
            prob = stats.binom.cdf(hi - 1, ns, p) - stats.binom.cdf(lo - 1, ns, p)
            method = "exact binomial"
        else:
            prob = stats.hypergeom.cdf(hi - 1, caseload, t, ns) - stats.hypergeom.cdf(
                lo - 1, caseload, t, ns
            )
            method = f"exact hypergeometric (caseload {caseload})"
        rows.append(
            pd.DataFrame(
                {
                    "true_share": float(p),
                    "true_band": true.label,
                    "n": ns,
                    "p_correct": prob,
                    "method": method,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def p_correct_band(
    true_share: float, n: int, caseload: int | None = None, *, framework: Framework | None = None
) -> float:
    """The chance that n sampled cases put a key question in its true band."""
    return float(
        accuracy_curve([true_share], [n], caseload, framework=framework)["p_correct"].iloc[0]
    )


def sample_size_for_accuracy(
    true_share: float,
    target: float,
    caseload: int | None = None,
    *,
    n_max: int = 20000,
    framework: Framework | None = None,
) -> int:
    """The smallest n from which the chance of the correct band stays >= target (up to ``n_max``).

    Whole-number counts make the curve saw-toothed, so the first n that reaches the target is not
    enough: this is the n after which it never dips below again.
    """
    if not 0 < target < 1:
        raise SamplingError(f"target {target} must be between 0 and 1")
    top = min(n_max, caseload) if caseload else n_max
    curve = accuracy_curve([true_share], range(1, top + 1), caseload, framework=framework)[
        "p_correct"
    ].to_numpy()
    n = _stays_above(curve, target)
    if n is pd.NA:
        raise SamplingError(
            f"with a true share of {true_share:.3f} the chance of the correct band does not stay at {target:.0%} "
            f"for any n up to {top}: a share on or very near a band boundary is never reliably banded"
        )
    return n


def _stays_above(curve: np.ndarray, target: float):
    """The smallest n (curve[0] is n = 1) from which ``curve`` stays >= target; NA if it never does."""
    below = np.nonzero(curve < target)[0]
    if below.size == 0:
        return 1
    if below[-1] == len(curve) - 1:
        return pd.NA
    return int(below[-1] + 2)


# --- 4. The lowest-banding rule: distribution of a standard's rating ------------------------------------
def _band_index_counts(yes: np.ndarray, n: np.ndarray, framework=None) -> np.ndarray:
    fw = framework or default_framework()
    idx = np.zeros(np.broadcast(yes, n).shape, dtype=int)
    for _, t in fw.thresholds:
        idx += yes * t.denominator >= t.numerator * n
    return idx


def _band_index_share(share: np.ndarray, framework=None) -> np.ndarray:
    return np.searchsorted(np.asarray(_thresholds(framework)), share, side="right")


def rating_distribution_independent(
    kq_counts: Mapping[str, tuple[int, int]],
    *,
    kind: str = "resample",
    n_new: int | None = None,
    prior=JEFFREYS,
    framework=None,
) -> pd.Series:
    """The rating distribution of a standard, key questions taken as INDEPENDENT (exact).

    ``kind="true"``: of the standard's true rating (posterior); ``kind="resample"``: of the rating a
    fresh sample would give (posterior predictive).
    """
    a0, b0 = _check_prior(prior)
    at_least = np.ones(len(RATINGS) + 1)
    at_least[-1] = 0.0
    for yes, no in kq_counts.values():
        n = yes + no
        if kind == "true":
            p_band = band_probabilities(
                int(yes), int(n), prior=prior, framework=framework
            ).to_numpy()
        elif kind == "resample":
            p_band = stability(
                int(yes), int(n), n_new=n_new or n, prior=prior, framework=framework
            ).to_numpy()
        else:
            raise SamplingError(f"kind '{kind}' must be 'true' or 'resample'")
        survival = np.concatenate([np.cumsum(p_band[::-1])[::-1], [0.0]])
        at_least[:-1] *= survival[:-1]
    probs = at_least[:-1] - at_least[1:]
    return _series(
        probs,
        "probability",
        f"exact, key questions assumed independent ({_prior_name((a0, b0))} prior, {kind})",
    )


_ANSWER_CODES = np.array([1, 0, -1, -2])  # yes, no, n/a, anything else (refused)


def _code_answers(answers: pd.DataFrame) -> np.ndarray:
    """Cases x key questions: 1 yes, 0 no, -1 n/a."""
    codes = np.column_stack(
        [pd.Categorical(answers[c], categories=["yes", "no", "n/a"]).codes for c in answers.columns]
    )
    coded = _ANSWER_CODES[codes]  # code -1 (not a category) indexes the last entry
    if (coded == -2).any():
        raise SamplingError(
            "answers must be 'yes', 'no' or 'n/a'; load case files with hmip.data.load_cases"
        )
    return coded


def _patterns(answers: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Distinct answer patterns (1 yes, 0 no, -1 n/a) with their counts."""
    pats, counts = np.unique(_code_answers(answers), axis=0, return_counts=True)
    return pats, counts


def rating_distribution_correlated(
    answers: pd.DataFrame,
    *,
    kind: str = "resample",
    method: str = "dirichlet",
    n_new: int | None = None,
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework=None,
) -> pd.Series:
    """The rating distribution of a standard from case-level answers, keeping the correlation.

    ``answers``: one column per key question, one row per case ('yes'/'no'/'n/a').
    ``method="dirichlet"``: answer patterns ~ Dirichlet(counts + prior), the prior putting 1/2^m on
    each of the 2^m yes/no patterns so every key question's margin is the Jeffreys Beta(1/2, 1/2).
    ``method="bootstrap"``: resample cases with replacement (``kind="resample"`` only).
    Seeded and vectorised.
    """
    rng = np.random.default_rng(seed)
    m = answers.shape[1]
    pats, counts = _patterns(answers)
    n_obs = len(answers)
    n_new = n_new or n_obs
    if method == "dirichlet":
        full = np.array(list(product([1, 0], repeat=m)))
        allp = np.unique(np.vstack([full, pats]), axis=0)
        alpha = np.array([(1 / 2**m if (p >= 0).all() else 0.0) for p in allp], dtype=float)
        for p, c in zip(pats, counts, strict=True):
            alpha[np.all(allp == p, axis=1)] += c
        keep = alpha > 0
        allp, alpha = allp[keep], alpha[keep]
        theta = rng.dirichlet(alpha, size=draws)
        if kind == "true":
            yes = theta @ (allp == 1)
            app = theta @ (allp >= 0)
            idx = _band_index_share(yes / np.where(app > 0, app, 1), framework)
        elif kind == "resample":
            cnt = rng.multinomial(n_new, theta)
            yes, app = cnt @ (allp == 1), cnt @ (allp >= 0)
            idx = np.where(app > 0, _band_index_counts(yes, app, framework), len(RATINGS))
        else:
            raise SamplingError(f"kind '{kind}' must be 'true' or 'resample'")
        label = (
            f"Dirichlet-multinomial on answer patterns (Jeffreys margins), {draws} seeded draws "
            f"(Monte Carlo SE at most {0.5 / np.sqrt(draws):.3f}), {kind}"
        )
    elif method == "bootstrap":
        if kind != "resample":
            raise SamplingError(
                "the case bootstrap gives the distribution of a fresh sample: use kind='resample'"
            )
        pick = rng.integers(0, n_obs, size=(draws, n_new))
        sample = _code_answers(answers)[pick]  # draws x n_new x m
        yes, app = (sample == 1).sum(axis=1), (sample >= 0).sum(axis=1)
        idx = np.where(app > 0, _band_index_counts(yes, app, framework), len(RATINGS))
        label = f"case bootstrap, {draws} seeded resamples"
    else:
        raise SamplingError(f"method '{method}' must be 'dirichlet' or 'bootstrap'")
    rating_idx = idx.min(axis=1)
    valid = rating_idx < len(RATINGS)
    probs = np.bincount(rating_idx[valid], minlength=len(RATINGS))[: len(RATINGS)] / max(
        valid.sum(), 1
    )
    s = _series(probs, "probability", label)
    s.attrs["monte_carlo_se"] = float(np.sqrt(probs * (1 - probs) / max(valid.sum(), 1)).max())
    return s


def standard_rating_distribution(
    cases: pd.DataFrame | None,
    standard: str,
    *,
    pdu: str | None = None,
    counts: pd.DataFrame | None = None,
    correlated: bool = True,
    kind: str = "resample",
    method: str = "dirichlet",
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.Series:
    """A standard's rating distribution for one PDU, from case-level data (correlated) or counts (independent)."""
    fw = framework or default_framework()
    std = fw.standard(standard)
    cols = [kq.qualified_id for kq in std.key_questions]
    if correlated:
        if cases is None:
            raise SamplingError(
                "the correlated distribution needs case-level data; with counts only use correlated=False"
            )
        sub = cases if pdu is None else cases[cases["pdu"] == pdu]
        if sub.empty:
            raise SamplingError(f"no cases for PDU '{pdu}'")
        return rating_distribution_correlated(
            sub[cols], kind=kind, method=method, draws=draws, seed=seed, framework=fw
        )
    if counts is None:
        from hmip.data.loaders import key_question_counts

        counts = key_question_counts(
            cases if pdu is None else cases[cases["pdu"] == pdu], framework=fw
        )
    g = counts[(counts["standard"] == std.id) & ((counts["pdu"] == pdu) if pdu else True)]
    return rating_distribution_independent(
        {r.key_question: (int(r.yes), int(r.no)) for r in g.itertuples() if r.yes + r.no > 0},
        kind=kind,
        framework=fw,
    )


# --- 5. The overall rating by exact convolution -------------------------------------------------------
def overall_distribution(
    distributions: Mapping[str, pd.Series],
    fixed: Mapping[str, Rating | str | None],
    *,
    framework: Framework | None = None,
) -> tuple[pd.Series, pd.Series]:
    """(points pmf, overall rating probabilities) from each case-sample standard's rating distribution and
    the fixed (judgement) ratings. Standards are combined as independent (exact convolution)."""
    fw = framework or default_framework()
    pmf = np.array([1.0])
    given = set()
    unrated = set()
    for sid, rating in fixed.items():
        std = fw.standard(sid)
        given.add(std.id)
        if rating is None:
            unrated.add(std.id)
            continue
        pmf = np.concatenate([np.zeros(Rating.parse(rating).score), pmf])
    for sid, dist in distributions.items():
        std = fw.standard(sid)
        given.add(std.id)
        pmf = np.convolve(pmf, dist.reindex(RATINGS).fillna(0).to_numpy())
    missing = [s.label() for s in fw.rated_standards if s.id not in given]
    if missing:
        raise SamplingError(f"no rating or distribution for {', '.join(missing)}")
    scale = fw.scale_for(unrated)
    if scale is None:
        raise SamplingError(f"no overall scale with {sorted(unrated)} unrated")
    pmf = np.pad(pmf, (0, scale.max_points + 1 - len(pmf)))
    points = pd.Series(
        pmf, index=pd.RangeIndex(scale.max_points + 1, name="points"), name="probability"
    )
    points.attrs["method"] = (
        "exact convolution of standard rating distributions (standards independent; judgement ratings fixed)"
    )
    ratings = np.zeros(len(RATINGS))
    for p, pr in points.items():
        ratings[overall_band(int(p), scale.max_points, framework=fw)] += pr
    return points, _series(ratings, "probability", points.attrs["method"])


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
) -> dict:
    """Every case-sample standard's rating distribution, the points pmf and the overall rating probabilities."""
    fw = framework or default_framework()
    dists = {
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
    points, overall = overall_distribution(
        dists, {s.id: judgement[s.id] for s in fw.judgement_standards}, framework=fw
    )
    table = pd.DataFrame(dists).T
    table.index.name = "standard"
    return {"standards": table, "points": points, "overall": overall}


def correlation_effect(
    cases: pd.DataFrame,
    pdu: str,
    *,
    kind: str = "resample",
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """For each case-sample standard, its rating distribution with and without the correlation."""
    fw = framework or default_framework()
    rows = []
    for i, s in enumerate(fw.case_sample_standards):
        for correlated in (True, False):
            d = standard_rating_distribution(
                cases,
                s.id,
                pdu=pdu,
                correlated=correlated,
                kind=kind,
                draws=draws,
                seed=seed + i,
                framework=fw,
            )
            rows.append(
                {
                    "standard": s.id,
                    "key_questions": "correlated" if correlated else "independent",
                    **{r.label: float(d[r]) for r in RATINGS},
                    "method": d.attrs["method"],
                }
            )
    return pd.DataFrame(rows)


# --- 6. Re-audit against inspection ------------------------------------------------------------------
def p_improved(k1: int, n1: int, k2: int, n2: int, prior=JEFFREYS) -> float:
    """P(true share 2 > true share 1) under independent posteriors (numerical integration)."""
    a, b = _check_prior(prior)
    d1, d2 = stats.beta(a + k1, b + n1 - k1), stats.beta(a + k2, b + n2 - k2)
    val, _ = integrate.quad(lambda x: d2.pdf(x) * d1.cdf(x), 0, 1, limit=200)
    return float(min(max(val, 0.0), 1.0))


def compare_samples(
    before: pd.DataFrame,
    after: pd.DataFrame,
    *,
    level: float = 0.95,
    prior=JEFFREYS,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """Compare two samples of the same PDU (e.g. the inspection and a later audit) per key question.

    Both tables have columns standard, key_question, yes, no (and optionally pdu). Returns the shares,
    the difference with a Newcombe interval, P(true share improved), P(true band moved) and P(moved up).
    """
    check_level(level)
    keys = ["standard", "key_question"]
    merged = before[keys + ["yes", "no"]].merge(
        after[keys + ["yes", "no"]], on=keys, suffixes=("_before", "_after")
    )
    rows = []
    for r in merged.itertuples():
        n1, n2 = r.yes_before + r.no_before, r.yes_after + r.no_after
        nc = newcombe_difference(
            int(r.yes_after), int(n2), int(r.yes_before), int(n1), level=level
        ).iloc[0]
        diff, lo, hi = nc["estimate"], nc["lower"], nc["upper"]
        b1 = band_probabilities(
            int(r.yes_before), int(n1), prior=prior, framework=framework
        ).to_numpy()
        b2 = band_probabilities(
            int(r.yes_after), int(n2), prior=prior, framework=framework
        ).to_numpy()
        joint = np.outer(b1, b2)
        rows.append(
            {
                "standard": r.standard,
                "key_question": r.key_question,
                "yes_before": r.yes_before,
                "n_before": n1,
                "share_before": r.yes_before / n1,
                "band_before": band_counts(
                    int(r.yes_before), int(r.no_before), framework=framework
                ).label,
                "yes_after": r.yes_after,
                "n_after": n2,
                "share_after": r.yes_after / n2,
                "band_after": band_counts(
                    int(r.yes_after), int(r.no_after), framework=framework
                ).label,
                "difference": diff,
                "lower": lo,
                "upper": hi,
                "interval": f"Newcombe hybrid score {100 * level:g}%",
                "p_improved": p_improved(
                    int(r.yes_before), int(n1), int(r.yes_after), int(n2), prior=prior
                ),
                "p_band_moved": float(1 - np.trace(joint)),
                "p_band_up": float(np.triu(joint, 1).sum()),
            }
        )
    return pd.DataFrame(rows)

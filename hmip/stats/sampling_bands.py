"""How firm is one standard's band, from a sample of ~42 cases: the chance of each band for the true share and
for a fresh sample, the chance of the correct band for a known share (and the sample size for it), and a
standard's rating under the lowest-banding rule (exact under independence; simulated for correlated
key questions). The argument checks and result tables shared by :mod:`hmip.stats.sampling`'s parts."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import product

import numpy as np
import pandas as pd
from scipy import stats

from hmip.errors import FrameworkError, StatisticsError
from hmip.rules.framework import Framework, Standard
from hmip.rules.ratings import (
    Rating,
    band_counts,
    check_framework,
    count_thresholds,
)
from hmip.stats import DEFAULT_SEED
from hmip.stats.checks import beta_prior, proportion, proportions, whole_number, whole_numbers
from hmip.stats.results import Value, method_label

JEFFREYS = (0.5, 0.5)
UNIFORM = (1.0, 1.0)

RATINGS = list(Rating)
KINDS = ("true", "resample")
CORRELATED_METHODS = ("dirichlet", "bootstrap")


class SamplingError(StatisticsError):
    """An argument to a sampling-uncertainty function is not accepted."""


# --- Argument checks ------------------------------------------------------------------------------
def _fw(framework: object) -> Framework:
    return check_framework(framework, error=SamplingError)


def _check_kn(k: object, n: object) -> tuple[int, int]:
    n = whole_number("n", n, minimum=1, error=SamplingError)
    k = whole_number("k", k, error=SamplingError)
    if k > n:
        raise SamplingError(f"k = {k} is more than n = {n}; accepted: 0 <= k <= n")
    return k, n


def _check_prior(prior: object) -> tuple[float, float]:
    return beta_prior(prior, error=SamplingError)


def _check_caseload(caseload: object, n: int) -> int | None:
    if caseload is None:
        return None
    c = whole_number("caseload", caseload, minimum=1, error=SamplingError)
    if c < n:
        raise SamplingError(
            f"caseload = {c} is smaller than the sample n = {n}; accepted: None or a whole "
            "number at least the sample size"
        )
    return c


def _check_optional_n(name: str, value: object) -> int | None:
    return None if value is None else whole_number(name, value, minimum=1, error=SamplingError)


def _check_choice(name: str, value: object, accepted: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in accepted:
        raise SamplingError(f"{name} = {value!r} is not accepted; accepted: {', '.join(accepted)}")
    return value


def _check_kq_counts(kq_counts: object) -> dict[str, tuple[int, int]]:
    if not isinstance(kq_counts, Mapping) or not kq_counts:
        raise SamplingError(
            "kq_counts must map each key question to its (yes, no) counts, with at least one"
        )
    out = {}
    for name, value in kq_counts.items():
        if isinstance(value, str | bytes) or not isinstance(value, Iterable):
            raise SamplingError(f"kq_counts['{name}'] = {value!r}: give (yes, no) counts")
        pair = tuple(value)
        if len(pair) != 2:
            raise SamplingError(f"kq_counts['{name}'] = {value!r}: give (yes, no) counts")
        yes = whole_number(f"kq_counts['{name}'] yes", pair[0], error=SamplingError)
        no = whole_number(f"kq_counts['{name}'] no", pair[1], error=SamplingError)
        if yes + no == 0:
            raise SamplingError(
                f"kq_counts['{name}'] has no cases (yes + no = 0); a key question needs at least "
                "one case (leave out key questions with no applicable cases)"
            )
        out[str(name)] = (yes, no)
    return out


def _standard(sid: object, fw: Framework, where: str) -> Standard:
    """The framework's standard ``sid``, or a SamplingError starting with ``where``."""
    try:
        return fw.standard(sid)
    except FrameworkError as exc:
        raise SamplingError(f"{where}: {exc}") from None


def _case_standard(standard: object, fw: Framework) -> Standard:
    std = _standard(standard, fw, "standard")
    if not std.case_sample:
        raise SamplingError(
            f"standard {std.label()} is not rated from case samples; accepted: "
            f"{', '.join(s.id for s in fw.case_sample_standards)}"
        )
    return std


def _check_table(name: str, table: object, columns: Iterable[str]) -> pd.DataFrame:
    columns = list(columns)
    if not isinstance(table, pd.DataFrame):
        raise SamplingError(f"{name} must be a pandas DataFrame with columns {', '.join(columns)}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SamplingError(
            f"{name} has no column {', '.join(map(repr, missing))}; give columns {', '.join(columns)}"
        )
    return table


# --- Results ----------------------------------------------------------------------------------------
def _prior_name(a: float, b: float) -> str:
    if (a, b) == JEFFREYS:
        return "Jeffreys"
    if (a, b) == UNIFORM:
        return "uniform"
    return f"Beta({a:g}, {b:g})"


def _rating_table(probs: Iterable[float], key: str, detail: str = "", **columns) -> pd.DataFrame:
    """One row per rating: rating (a Rating), probability, any extra ``columns``, method."""
    out = pd.DataFrame(
        {
            "rating": pd.Series(RATINGS, dtype=object),
            "probability": np.clip(np.asarray(list(probs), dtype=float), 0, 1),
        }
    )
    for name, values in columns.items():
        out[name] = values
    out["method"] = method_label(key) + (f"; {detail}" if detail else "")
    return out


def _vector(table: pd.DataFrame) -> np.ndarray:
    """The probabilities of a rating table in rating order."""
    return table.set_index("rating")["probability"].reindex(RATINGS).fillna(0).to_numpy(float)


def _kind_text(kind: str, n_new: int | None = None) -> str:
    if kind == "true":
        return "the true rating"
    return "the rating a fresh sample would give" + (f" (of {n_new})" if n_new else "")


def _predictive_bands(
    m: int, a: float, b: float, size: int, fw: Framework, *, seen: int = 0
) -> list[float]:
    """P(``seen`` + Y falls in each band of ``size`` cases), Y ~ BetaBinomial(m, a, b): the
    posterior predictive count sufficient among ``m`` cases not yet seen, one value per band."""
    y = np.arange(m + 1)
    pmf = stats.betabinom.pmf(y, m, a, b)
    total = seen + y
    bands = count_thresholds(size, framework=fw)
    return [pmf[(total >= r.start) & (total < r.stop)].sum() for r in bands.values()]


# --- 1. Band probabilities for the true share -----------------------------------------------------
def band_probabilities(
    k: int,
    n: int,
    caseload: int | None = None,
    prior: tuple[float, float] = JEFFREYS,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """P(the PDU's true share sufficient lies in each band | k of n sampled): one row per rating."""
    k, n = _check_kn(k, n)
    caseload = _check_caseload(caseload, n)
    a0, b0 = _check_prior(prior)
    fw = _fw(framework)
    a, b = a0 + k, b0 + n - k
    if caseload is None:
        cdf = stats.beta.cdf([float(t) for _, t in fw.thresholds], a, b)
        probs = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        detail = f"{_prior_name(a0, b0)} posterior Beta({a:g}, {b:g}) for the true share"
        return _rating_table(probs, "beta-posterior", detail)
    m = caseload - n
    probs = _predictive_bands(m, a, b, caseload, fw, seen=k)
    detail = f"{_prior_name(a0, b0)} posterior; the {m} unsampled cases of a caseload of {caseload}"
    return _rating_table(probs, "beta-binomial", detail)


# --- 2. Stability: a fresh sample of n cases --------------------------------------------------------
def stability(
    k: int,
    n: int,
    n_new: int | None = None,
    prior: tuple[float, float] = JEFFREYS,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """P(a fresh sample of ``n_new`` cases (default n) falls in each band), posterior predictive.

    One row per rating: rating, probability, observed (True on the band of k of n), method.
    """
    probs = stability_chances(k, n, n_new, prior, framework=framework)
    k, n = _check_kn(k, n)
    n_new = n if n_new is None else int(n_new)
    a, b = _check_prior(prior)
    fw = _fw(framework)
    observed = band_counts(k, n - k, framework=fw)
    detail = f"{_prior_name(a, b)} prior; a fresh sample of {n_new}"
    return _rating_table(
        probs, "posterior-predictive", detail, observed=[r == observed for r in RATINGS]
    )


def stability_chances(
    k: int,
    n: int,
    n_new: int | None = None,
    prior: tuple[float, float] = JEFFREYS,
    *,
    framework: Framework | None = None,
) -> np.ndarray:
    """:func:`stability`'s probabilities alone, in rating order (the same numbers, without its table)."""
    k, n = _check_kn(k, n)
    n_new = n if n_new is None else whole_number("n_new", n_new, minimum=1, error=SamplingError)
    a, b = _check_prior(prior)
    fw = _fw(framework)
    probs = _predictive_bands(n_new, a + k, b + n - k, n_new, fw)
    return np.clip(np.asarray(probs, dtype=float), 0, 1)


# --- 3. Accuracy for a known true share --------------------------------------------------------------
def _count_edges(n: np.ndarray, framework: Framework) -> list[np.ndarray]:
    """Per n: the lowest count reaching each band above the first (exact integer ceil of t*n)."""
    return [-((-t.numerator * n) // t.denominator) for _, t in framework.thresholds]


def _true_band(
    true_share: float, caseload: int | None, framework: Framework | None
) -> tuple[Rating, int | None]:
    from hmip.rules.ratings import band

    true_share = proportion("true_share", true_share, error=SamplingError)
    fw = _fw(framework)
    if caseload is None:
        return band(true_share, framework=fw), None
    yes, no = _whole_cases(true_share, caseload)
    return band_counts(yes, no, framework=fw), yes


def _whole_cases(true_share: float, caseload: int) -> tuple[int, int]:
    """(sufficient, not) in a caseload whose true share is ``true_share``: refused unless the share is a
    whole number of cases (0.65 of 10 is 6.5 cases; rounding it to 6 would score 60%, not 65%)."""
    t = true_share * caseload
    whole = round(t)
    if abs(t - whole) > 1e-9 * max(1, caseload):
        low, high = math.floor(t), math.ceil(t)
        raise SamplingError(
            f"true_share = {true_share:g} of a caseload of {caseload} is {t:g} cases, not a whole "
            f"number; give a share that is a whole number of cases ({low}/{caseload} = "
            f"{low / caseload:g} or {high}/{caseload} = {high / caseload:g}), or no caseload"
        )
    return whole, caseload - whole


def _as_values(values: object) -> object:
    return list(values) if isinstance(values, range | Iterator) else values


def accuracy_curve(
    true_shares: Iterable[float] | float,
    ns: Iterable[int] | int,
    caseload: int | None = None,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """P(correct band) for each true share and sample size: binomial, or hypergeometric with a caseload."""
    shares = proportions("true_shares", _as_values(true_shares), error=SamplingError)
    ns = whole_numbers("ns", _as_values(ns), minimum=1, error=SamplingError)
    caseload = _check_caseload(caseload, int(ns.max()))
    fw = _fw(framework)
    rows = []
    edges = _count_edges(ns, fw)
    lows = [np.zeros_like(ns)] + edges
    highs = edges + [ns + 1]
    if caseload is None:
        method = method_label("binomial")
    else:
        method = f"{method_label('hypergeometric')}; caseload {caseload}"
    for p in shares:
        true, t = _true_band(float(p), caseload, fw)
        lo, hi = lows[true], highs[true]  # counts lo .. hi-1 give the true band
        if caseload is None:
            prob = stats.binom.cdf(hi - 1, ns, p) - stats.binom.cdf(lo - 1, ns, p)
        else:
            prob = stats.hypergeom.cdf(hi - 1, caseload, t, ns) - stats.hypergeom.cdf(
                lo - 1, caseload, t, ns
            )
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
) -> Value:
    """The chance that n sampled cases put a key question in its true band."""
    true_share = proportion("true_share", true_share, error=SamplingError)
    n = whole_number("n", n, minimum=1, error=SamplingError)
    row = accuracy_curve([true_share], [n], caseload, framework=framework).iloc[0]
    return Value(float(row["p_correct"]), str(row["method"]))


@dataclass(frozen=True)
class SampleSize:
    """The smallest sample from which the chance of the correct band stays at the target."""

    n: int
    true_share: float
    target: float
    method: str


def sample_size_for_accuracy(
    true_share: float,
    target: float,
    caseload: int | None = None,
    *,
    n_max: int = 20000,
    framework: Framework | None = None,
) -> SampleSize:
    """The smallest n from which the chance of the correct band stays >= target (up to ``n_max``).

    Whole-number counts make the curve saw-toothed, so the first n that reaches the target is not
    enough: this is the n after which it never dips below again.
    """
    true_share = proportion("true_share", true_share, error=SamplingError)
    target = proportion("target", target, open_low=True, open_high=True, error=SamplingError)
    n_max = whole_number("n_max", n_max, minimum=1, error=SamplingError)
    caseload = _check_caseload(caseload, 1)
    top = min(n_max, caseload) if caseload else n_max
    curve = accuracy_curve([true_share], range(1, top + 1), caseload, framework=framework)
    n = _stays_above(curve["p_correct"].to_numpy(), target)
    if n is pd.NA:
        raise SamplingError(
            f"with a true share of {true_share:.3f} the chance of the correct band does not stay at {target:.0%} "
            f"for any n up to {top}: a share on or very near a band boundary is never reliably banded"
        )
    return SampleSize(int(n), true_share, target, str(curve["method"].iloc[0]))


def _stays_above(curve: np.ndarray, target: float):
    """The smallest n (curve[0] is n = 1) from which ``curve`` stays >= target; NA if it never does."""
    below = np.nonzero(curve < target)[0]
    if below.size == 0:
        return 1
    if below[-1] == len(curve) - 1:
        return pd.NA
    return int(below[-1] + 2)


# --- 4. The lowest-banding rule: distribution of a standard's rating ------------------------------------
def _band_index_counts(yes: np.ndarray, n: np.ndarray, framework: Framework) -> np.ndarray:
    idx = np.zeros(np.broadcast(yes, n).shape, dtype=int)
    for _, t in framework.thresholds:
        idx += yes * t.denominator >= t.numerator * n
    return idx


def _band_index_share(share: np.ndarray, framework: Framework) -> np.ndarray:
    thresholds = np.asarray([float(t) for _, t in framework.thresholds])
    return np.searchsorted(thresholds, share, side="right")


def rating_distribution_independent(
    kq_counts: Mapping[str, tuple[int, int]],
    *,
    kind: str = "resample",
    n_new: int | Mapping[str, int] | None = None,
    prior: tuple[float, float] = JEFFREYS,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """The rating distribution of a standard, key questions taken as INDEPENDENT (exact).

    ``kq_counts`` maps each key question to (yes, no), each with at least one case.
    ``kind="true"``: of the standard's true rating (posterior); ``kind="resample"``: of the rating a
    fresh sample would give (posterior predictive), with ``n_new`` cases judged on every key question
    (one number), or on each (a mapping key question -> cases; default: the same as observed).
    One row per rating.
    """
    counts = _check_kq_counts(kq_counts)
    kind = _check_choice("kind", kind, KINDS)
    if isinstance(n_new, Mapping):
        sizes = {
            q: _check_optional_n(f"n_new['{q}']", n_new.get(q, sum(counts[q]))) for q in counts
        }
        n_text = ", ".join(str(v) for v in sizes.values())
    else:
        n_one = _check_optional_n("n_new", n_new)
        sizes = {q: n_one or sum(c) for q, c in counts.items()}
        n_text = n_one
    a0, b0 = _check_prior(prior)
    fw = _fw(framework)
    at_least = np.ones(len(RATINGS) + 1)
    at_least[-1] = 0.0
    for q, (yes, no) in counts.items():
        # the probabilities band_probabilities / stability give (without building their tables:
        # the same numbers, a tenth of the time)
        k, n = _check_kn(yes, yes + no)
        if kind == "true":
            cdf = stats.beta.cdf([float(t) for _, t in fw.thresholds], a0 + k, b0 + n - k)
            probs = np.diff(np.concatenate([[0.0], cdf, [1.0]]))
        else:
            probs = _predictive_bands(sizes[q], a0 + k, b0 + n - k, sizes[q], fw)
        p_band = np.clip(np.asarray(probs, dtype=float), 0, 1)
        survival = np.concatenate([np.cumsum(p_band[::-1])[::-1], [0.0]])
        at_least[:-1] *= survival[:-1]
    probs = at_least[:-1] - at_least[1:]
    detail = f"{_prior_name(a0, b0)} prior; {_kind_text(kind, n_text)}"
    return _rating_table(probs, "independent-exact", detail)


def fresh_sizes(judged: int, cases: int, n_new: int | None) -> int:
    """Cases a key question is judged on in a fresh sample of ``n_new`` cases, when it was judged on
    ``judged`` of the ``cases`` sampled: the same share of the fresh sample, to the nearest whole case
    (halves up), at least 1; ``judged`` itself when ``n_new`` is None or equals ``cases``."""
    judged = whole_number("judged", judged, minimum=1, error=SamplingError)
    cases = whole_number("cases", cases, minimum=1, error=SamplingError)
    if judged > cases:
        raise SamplingError(f"judged = {judged} is more than cases = {cases}")
    if n_new is None:
        return judged
    n_new = whole_number("n_new", n_new, minimum=1, error=SamplingError)
    return max(1, (2 * judged * n_new + cases) // (2 * cases))


_ANSWER_CODES = {"yes": 1, "no": 0, "n/a": -1}


def _code_answers(answers: pd.DataFrame) -> np.ndarray:
    """Cases x key questions: 1 yes, 0 no, -1 n/a."""
    values = answers.to_numpy(dtype=object)
    coded = np.full(values.shape, np.nan)
    for answer, code in _ANSWER_CODES.items():  # compared as a whole array, not cell by cell
        coded[values == answer] = code
    if np.isnan(coded).any():
        raise SamplingError(
            "answers must be 'yes', 'no' or 'n/a'; load case files with hmip.data.load_cases"
        )
    return coded.astype(int)


def rating_distribution_correlated(
    answers: pd.DataFrame,
    *,
    kind: str = "resample",
    method: str = "dirichlet",
    n_new: int | None = None,
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """The rating distribution of a standard from case-level answers, keeping the correlation.

    ``answers``: one column per key question, one row per case ('yes'/'no'/'n/a'); every key
    question needs at least one 'yes' or 'no'.
    ``method="dirichlet"``: answer patterns ~ Dirichlet(counts + prior), the prior putting 1/2^m on
    each of the 2^m yes/no patterns so every key question's margin is the Jeffreys Beta(1/2, 1/2).
    ``method="bootstrap"``: resample cases with replacement (``kind="resample"`` only).
    Seeded and vectorised. One row per rating with its Monte Carlo standard error.
    """
    if not isinstance(answers, pd.DataFrame) or answers.empty or answers.shape[1] == 0:
        raise SamplingError(
            "answers must be a DataFrame with one column per key question and at least one case"
        )
    kind = _check_choice("kind", kind, KINDS)
    method = _check_choice("method", method, CORRELATED_METHODS)
    n_new = _check_optional_n("n_new", n_new)
    draws = whole_number("draws", draws, minimum=1, error=SamplingError)
    seed = whole_number("seed", seed, error=SamplingError)
    fw = _fw(framework)
    if method == "bootstrap" and kind != "resample":
        raise SamplingError(
            "the case bootstrap gives the distribution of a fresh sample: use kind='resample'"
        )
    coded = _code_answers(answers)
    empty = [
        str(c) for c, ok in zip(answers.columns, (coded >= 0).any(axis=0), strict=True) if not ok
    ]
    if empty:
        raise SamplingError(
            f"answers: key question {', '.join(empty)} has no 'yes' or 'no' answer; leave out key "
            "questions with no applicable cases"
        )
    rng = np.random.default_rng(seed)
    m = answers.shape[1]
    pats, counts = np.unique(coded, axis=0, return_counts=True)
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
            idx = _band_index_share(yes / np.where(app > 0, app, 1), fw)
        else:
            cnt = rng.multinomial(n_new, theta)
            yes, app = cnt @ (allp == 1), cnt @ (allp >= 0)
            idx = np.where(app > 0, _band_index_counts(yes, app, fw), len(RATINGS))
        key, detail = "dirichlet-multinomial", f"Jeffreys margins; {draws} draws, seed {seed}"
    else:
        pick = rng.integers(0, n_obs, size=(draws, n_new))
        sample = coded[pick]  # draws x n_new x m
        yes, app = (sample == 1).sum(axis=1), (sample >= 0).sum(axis=1)
        idx = np.where(app > 0, _band_index_counts(yes, app, fw), len(RATINGS))
        key, detail = "case-bootstrap", f"{draws} resamples, seed {seed}"
    rating_idx = idx.min(axis=1)
    valid = rating_idx < len(RATINGS)
    used = max(int(valid.sum()), 1)
    probs = np.bincount(rating_idx[valid], minlength=len(RATINGS))[: len(RATINGS)] / used
    se = np.sqrt(probs * (1 - probs) / used)
    detail += f" (Monte Carlo SE at most {se.max():.3f}); {_kind_text(kind, n_new)}"
    return _rating_table(probs, key, detail, monte_carlo_se=se)


def standard_rating_distribution(
    cases: pd.DataFrame | None,
    standard: str,
    *,
    pdu: str | None = None,
    counts: pd.DataFrame | None = None,
    correlated: bool = True,
    kind: str = "resample",
    method: str = "dirichlet",
    n_new: int | None = None,
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """A standard's rating distribution for one PDU, from case-level data (correlated) or counts
    (independent). Key questions with no applicable cases are left out, as when the standard is
    rated (:func:`hmip.rules.tables.rate_standards`); a standard with none cannot be rated.

    ``n_new``: the number of cases in the fresh sample (``kind="resample"``; default: as many as were
    sampled). With case-level data the fresh cases are drawn whole, so each key question applies to as
    many as chance gives; with counts each key question is judged on the same share of the fresh
    sample as of the observed one (:func:`fresh_sizes`; the cases sampled are yes + no +
    not_applicable where the counts have that column, else the most judged on any key question)."""
    fw = _fw(framework)
    n_new = _check_optional_n("n_new", n_new)
    std = _case_standard(standard, fw)
    if not isinstance(correlated, bool | np.bool_):
        raise SamplingError(f"correlated = {correlated!r} is not accepted; give True or False")
    if pdu is not None and not isinstance(pdu, str):
        raise SamplingError(f"pdu = {pdu!r} is not accepted; give a PDU name or None")
    cols = [kq.qualified_id for kq in std.key_questions]
    if correlated:
        if cases is None:
            raise SamplingError(
                "the correlated distribution needs case-level data; with counts only use correlated=False"
            )
        _check_table("cases", cases, cols + (["pdu"] if pdu is not None else []))
        sub = cases if pdu is None else cases[cases["pdu"] == pdu]
        if sub.empty:
            raise SamplingError(f"no cases for PDU '{pdu}'")
        answered = [c for c in cols if sub[c].isin(["yes", "no"]).any()]
        if not answered:
            raise SamplingError(
                f"{std.name}: no applicable cases in any key question, so it cannot be rated"
            )
        return rating_distribution_correlated(
            sub[answered],
            kind=kind,
            method=method,
            n_new=n_new,
            draws=draws,
            seed=seed,
            framework=fw,
        )
    if counts is None:
        from hmip.data.loaders import key_question_counts

        _check_table("cases", cases, cols + (["pdu"] if pdu is not None else []))
        counts = key_question_counts(
            cases if pdu is None else cases[cases["pdu"] == pdu], framework=fw
        )
    _check_table(
        "counts", counts, ["standard", "key_question", "yes", "no"] + (["pdu"] if pdu else [])
    )
    g = counts[(counts["standard"] == std.id) & ((counts["pdu"] == pdu) if pdu else True)]
    if g.empty:
        raise SamplingError(
            f"counts has no rows for {std.name}" + (f" in PDU '{pdu}'" if pdu else "")
        )
    if g["key_question"].duplicated().any():
        raise SamplingError(
            f"counts has several rows for one key question of {std.name}; give pdu= to choose one PDU"
        )
    kqs, sampled = {}, {}
    for r in g.itertuples():
        yes = whole_number(f"counts yes ({r.key_question})", r.yes, error=SamplingError)
        no = whole_number(f"counts no ({r.key_question})", r.no, error=SamplingError)
        if yes + no > 0:
            kqs[r.key_question] = (yes, no)
            na = getattr(r, "not_applicable", None)
            if na is not None and not pd.isna(na):
                na = whole_number(
                    f"counts not_applicable ({r.key_question})", na, error=SamplingError
                )
                sampled[r.key_question] = yes + no + na
    if not kqs:
        raise SamplingError(
            f"{std.name}: no applicable cases in any key question, so it cannot be rated"
        )
    sizes = None
    if n_new is not None:
        most = max(sum(c) for c in kqs.values())
        sizes = {q: fresh_sizes(sum(c), sampled.get(q, most), n_new) for q, c in kqs.items()}
    return rating_distribution_independent(kqs, kind=kind, n_new=sizes, framework=fw)

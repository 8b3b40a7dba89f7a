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

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hmip.errors import FrameworkError, RatingError, StatisticsError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating, count_thresholds
from hmip.stats import DEFAULT_SEED
from hmip.stats.checks import beta_prior, proportion, whole_number
from hmip.stats.intervals import share_table
from hmip.stats.results import check_level, method_label, with_interval
from hmip.stats.sampling import (
    JEFFREYS,
    compare_samples,
    overall_distribution,
    rating_distribution_correlated,
)

RATINGS = list(Rating)
DAYS_PER_YEAR = 365.25
TESTS = ("fisher", "boschloo")
ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh"}
KEYS = ["pdu", "standard", "key_question"]
COUNT_COLUMNS = ["pdu", "audit_date", "standard", "key_question", "yes", "no"]
#: Fewest audits (with answers) a trend is fitted on.
MIN_TREND_AUDITS = 3
CANNOT = "cannot estimate"


class ProgressError(StatisticsError):
    """An argument to a progress statistic is not accepted."""


# --- Argument checks ---------------------------------------------------------------------------------
def _fw(framework: object) -> Framework:
    if framework is not None and not isinstance(framework, Framework):
        raise ProgressError(
            f"framework = {framework!r} is not accepted; give None or a Framework from "
            "hmip.rules.framework.load_framework"
        )
    return framework_or_default(framework)


def _date(name: str, value: object) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ProgressError(f"{name} = {value!r} is not accepted; give a date such as '2022-08-22'")
    return ts.normalize()


def _positive(name: str, value: object, unit: str = "years") -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | np.integer | np.floating)
        or not math.isfinite(float(value))
        or value <= 0
    ):
        raise ProgressError(f"{name} = {value!r} is not accepted; give a positive number of {unit}")
    return float(value)


def check_audit_counts(counts: object, name: str = "counts") -> pd.DataFrame:
    """A copy of an audit counts table with checked whole-number yes / no and datetime audit_date.

    Columns pdu, audit_date, standard, key_question, yes, no (others are kept); rows with no cases
    (an audit that did not cover a key question) are kept with n = 0."""
    if not isinstance(counts, pd.DataFrame):
        raise ProgressError(
            f"{name} must be a DataFrame with columns {', '.join(COUNT_COLUMNS)} "
            "(hmip.data.audits.audit_counts gives one)"
        )
    missing = [c for c in COUNT_COLUMNS if c not in counts.columns]
    if missing:
        raise ProgressError(
            f"{name} has no column {', '.join(map(repr, missing))}; give columns "
            f"{', '.join(COUNT_COLUMNS)}"
        )
    if counts.empty:
        raise ProgressError(f"{name} has no rows; give at least one audit")
    out = counts.copy()
    for col in ("yes", "no"):
        values = out[col].to_numpy(dtype=object)
        ok = [
            isinstance(v, int | float | np.integer | np.floating)
            and not isinstance(v, bool | np.bool_)
            and math.isfinite(float(v))
            and float(v) >= 0
            and float(v).is_integer()
            for v in values
        ]
        if not all(ok):
            bad = values[ok.index(False)]
            raise ProgressError(
                f"{name}['{col}'] = {bad!r} is not accepted; give whole numbers of cases >= 0"
            )
        out[col] = out[col].astype(np.int64)
    try:
        out["audit_date"] = pd.to_datetime(out["audit_date"]).dt.normalize()
    except (TypeError, ValueError):
        raise ProgressError(f"{name}['audit_date'] must hold dates (YYYY-MM-DD)") from None
    if out["audit_date"].isna().any():
        raise ProgressError(f"{name}['audit_date'] has a blank date; every audit needs its date")
    out["n"] = out["yes"] + out["no"]
    return out


def years_since(dates: object, origin: object) -> np.ndarray:
    """Years (of 365.25 days) from ``origin`` to each date."""
    origin = _date("origin", origin)
    d = pd.to_datetime(pd.Series(np.atleast_1d(dates))).dt.normalize()
    return ((d - origin).dt.days / DAYS_PER_YEAR).to_numpy(float)


def _select_pdu(table: pd.DataFrame, pdu: str | None, name: str) -> pd.DataFrame:
    if pdu is None:
        return table
    if not isinstance(pdu, str):
        raise ProgressError(f"pdu = {pdu!r} is not accepted; give a PDU name or None")
    out = table[table["pdu"] == pdu]
    if out.empty:
        raise ProgressError(
            f"{name} has no rows for PDU '{pdu}'; it has {', '.join(map(str, table['pdu'].unique()))}"
        )
    return out


# --- 1. Each audit's share ---------------------------------------------------------------------------
def audit_shares(
    counts: pd.DataFrame, *, level: float = 0.95, method: str = "wilson"
) -> pd.DataFrame:
    """Each audit's share sufficient per key question, with its interval.

    One row per PDU, audit and key question the audit covered (rows with no cases are left out):
    the count columns, share, estimate (= share), lower, upper, level, method ('wilson',
    'jeffreys' or 'clopper-pearson', as :func:`hmip.stats.intervals.proportion_interval`)."""
    table = check_audit_counts(counts)
    covered = table[table["n"] > 0].reset_index(drop=True)
    if covered.empty:
        raise ProgressError("counts has no key question with a yes or no answer")
    return share_table(covered, level=level, method=method)


# --- 2. Trend over time ------------------------------------------------------------------------------
def _separation(years: np.ndarray, yes: np.ndarray, no: np.ndarray) -> str:
    """Why a logistic regression on one covariate has no finite estimate, or ''."""
    if yes.sum() == 0:
        return "every answer is no"
    if no.sum() == 0:
        return "every answer is yes"
    t_yes, t_no = years[yes > 0], years[no > 0]
    if t_yes.min() >= t_no.max():
        return "the answers are separated in time (every no comes before every yes), so the slope is infinite"
    if t_no.min() >= t_yes.max():
        return "the answers are separated in time (every yes comes before every no), so the slope is infinite"
    return ""


@dataclass(frozen=True)
class _Fit:
    params: np.ndarray
    cov: np.ndarray
    pvalue: float
    dispersion: float


def _fit_glm(
    years: np.ndarray, yes: np.ndarray, no: np.ndarray, *, quasi: bool = False
) -> _Fit | str:
    """The binomial GLM (logit link) on grouped counts, or the reason it cannot be estimated.
    ``quasi``: scale the covariance by the Pearson dispersion (quasi-binomial)."""
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    exog = sm.add_constant(years, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            res = sm.GLM(np.column_stack([yes, no]), exog, family=sm.families.Binomial()).fit(
                tol=1e-12, scale="X2" if quasi else None
            )
        except (ConvergenceWarning, PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            return f"the model did not converge ({type(exc).__name__})"
    cov = np.asarray(res.cov_params())
    if not np.all(np.isfinite(cov)) or cov[1, 1] <= 0:
        return "the slope's standard error is not finite"
    dispersion = float(res.pearson_chi2 / res.df_resid) if res.df_resid > 0 else np.nan
    return _Fit(np.asarray(res.params), cov, float(res.pvalues[1]), dispersion)


def trend(
    counts: pd.DataFrame,
    *,
    origin: object,
    level: float = 0.95,
    min_audits: int = MIN_TREND_AUDITS,
    overdispersion: bool = False,
) -> pd.DataFrame:
    """The trend of each key question's share over time: a binomial GLM (logit link) of yes / no on
    years since ``origin`` (the inspection's fieldwork), fitted by maximum likelihood (statsmodels),
    one fit per PDU and key question on the audits that covered it.

    One row per PDU and key question: audits, cases, yes, first / last audit dates, status
    ('estimated' or 'cannot estimate'), reason (why not), estimate / lower / upper (the slope in
    log-odds per year with its Wald interval), level, method, odds_ratio / odds_ratio_lower /
    odds_ratio_upper (per year), p_value (Wald test of no trend), share_first and share_last (the
    fitted shares at the first and last audit), dispersion (Pearson chi-squared over its degrees
    of freedom, audits - 2: near 1 when audits differ by no more than binomial sampling; well above
    1 when audits vary more, e.g. between auditors), direction ('up', 'down' or 'no clear trend':
    the interval excludes 0 or not). ``overdispersion=True`` widens the interval and p-value by
    that dispersion (quasi-binomial, statsmodels ``scale="X2"``). The trend uses the audits only: the inspection was judged by other
    people, and is compared separately (:func:`change_since_inspection`)."""
    table = check_audit_counts(counts)
    origin = _date("origin", origin)
    level = check_level(level)
    min_audits = whole_number("min_audits", min_audits, minimum=2, error=ProgressError)
    if not isinstance(overdispersion, bool):
        raise ProgressError(
            f"overdispersion = {overdispersion!r} is not accepted; give True or False"
        )
    z = float(stats.norm.isf((1 - level) / 2))
    rows = []
    for key, g in table[table["n"] > 0].groupby(KEYS, sort=False):
        g = g.groupby("audit_date", as_index=False)[["yes", "no"]].sum()
        yrs = years_since(g["audit_date"], origin)
        yes, no = g["yes"].to_numpy(), g["no"].to_numpy()
        row = dict(zip(KEYS, key, strict=True))
        row.update(
            audits=len(g),
            cases=int(yes.sum() + no.sum()),
            yes=int(yes.sum()),
            first_audit=g["audit_date"].min(),
            last_audit=g["audit_date"].max(),
        )
        reason = ""
        if len(g) < min_audits:
            reason = f"only {len(g)} audit(s) answered it; a trend needs at least {min_audits}"
        else:
            reason = _separation(yrs, yes, no)
        fit = None if reason else _fit_glm(yrs, yes, no, quasi=overdispersion)
        if isinstance(fit, str):
            reason, fit = fit, None
        if fit is None:
            row.update(
                status=CANNOT, reason=reason, _b=np.nan, _lo=np.nan, _hi=np.nan, p_value=np.nan
            )
            row.update(share_first=np.nan, share_last=np.nan, dispersion=np.nan)
        else:
            b, se = float(fit.params[1]), math.sqrt(fit.cov[1, 1])
            row.update(status="estimated", reason="", _b=b, _lo=b - z * se, _hi=b + z * se)
            row["p_value"] = fit.pvalue
            row["dispersion"] = fit.dispersion
            row["share_first"] = float(_expit(fit.params[0] + b * yrs.min()))
            row["share_last"] = float(_expit(fit.params[0] + b * yrs.max()))
        rows.append(row)
    if not rows:
        raise ProgressError("counts has no key question with a yes or no answer")
    out = pd.DataFrame(rows)
    est, lo, hi = (out.pop(c).to_numpy(float) for c in ("_b", "_lo", "_hi"))
    out = with_interval(
        out,
        est,
        lo,
        hi,
        level=level,
        method="binomial-glm",
        detail="slope in log-odds per year"
        + ("; quasi-binomial (Pearson dispersion)" if overdispersion else ""),
    )
    out["odds_ratio"] = np.exp(est)
    out["odds_ratio_lower"] = np.exp(lo)
    out["odds_ratio_upper"] = np.exp(hi)
    out["direction"] = np.where(
        out["status"] != "estimated",
        CANNOT,
        np.where(lo > 0, "up", np.where(hi < 0, "down", "no clear trend")),
    )
    return out


def _expit(x: np.ndarray | float) -> np.ndarray | float:
    return 1 / (1 + np.exp(-x))


def trend_curve(
    counts: pd.DataFrame,
    standard: str,
    key_question: str,
    *,
    origin: object,
    pdu: str | None = None,
    level: float = 0.95,
    points: int = 50,
) -> pd.DataFrame:
    """The fitted share of one key question over time, with its pointwise Wald interval (on the
    logit scale, transformed back), from the first to the last audit: columns date, years,
    estimate, lower, upper, level, method. Raises :class:`ProgressError` where the trend cannot be
    estimated (the reason from :func:`trend`)."""
    table = _select_pdu(check_audit_counts(counts), pdu, "counts")
    if table["pdu"].nunique() > 1:
        raise ProgressError("counts holds several PDUs; give pdu= to choose one")
    g = table[
        (table["standard"] == standard) & (table["key_question"] == key_question) & (table["n"] > 0)
    ]
    if g.empty:
        raise ProgressError(f"counts has no answered rows for {standard}.{key_question}")
    points = whole_number("points", points, minimum=2, error=ProgressError)
    level = check_level(level)
    row = trend(g, origin=origin, level=level).iloc[0]
    if row["status"] != "estimated":
        raise ProgressError(f"{standard}.{key_question}: {CANNOT}: {row['reason']}")
    g = g.groupby("audit_date", as_index=False)[["yes", "no"]].sum()
    yrs = years_since(g["audit_date"], origin)
    fit = _fit_glm(yrs, g["yes"].to_numpy(), g["no"].to_numpy())
    grid = np.linspace(yrs.min(), yrs.max(), points)
    x = np.column_stack([np.ones_like(grid), grid])
    eta = x @ fit.params
    se = np.sqrt(np.einsum("ij,jk,ik->i", x, fit.cov, x))
    z = float(stats.norm.isf((1 - level) / 2))
    dates = _date("origin", origin) + pd.to_timedelta(grid * DAYS_PER_YEAR, unit="D")
    out = pd.DataFrame({"date": dates.normalize(), "years": grid})
    return with_interval(
        out,
        _expit(eta),
        _expit(eta - z * se),
        _expit(eta + z * se),
        level=level,
        method="binomial-glm",
        detail="fitted share, pointwise interval",
    )


# --- 3. Latest evidence and "if inspected now" ----------------------------------------------------------
def _weighting(window_months: object, half_life_months: object) -> tuple[str, float]:
    if half_life_months is not None:
        return "half-life", _positive("half_life_months", half_life_months, "months")
    if window_months is None:
        raise ProgressError("give window_months (e.g. 12) or half_life_months (e.g. 6)")
    return "window", float(
        whole_number("window_months", window_months, minimum=1, error=ProgressError)
    )


def weighting_text(window_months: int | None = 12, half_life_months: float | None = None) -> str:
    """How the latest evidence is weighed, in words."""
    kind, value = _weighting(window_months, half_life_months)
    if kind == "window":
        return (
            f"the audits of the {value:.0f} months up to the latest audit (after the same day "
            f"{value:.0f} months earlier), pooled: each audited case counts once and older audits "
            "are left out"
        )
    return (
        f"every audit up to the latest, each case's weight halving for every {value:g} months of "
        "age (an audit a year older than the latest counts "
        f"{0.5 ** (12 / value):.2f} of a case per case)"
    )


def latest_evidence(
    counts: pd.DataFrame,
    *,
    as_of: object = None,
    window_months: int | None = 12,
    half_life_months: float | None = None,
) -> pd.DataFrame:
    """The latest evidence per PDU and key question, and how it is weighed.

    ``window_months`` (default 12): the audits dated after the same day ``window_months`` months
    before ``as_of`` and up to ``as_of`` (default: each PDU's latest audit), pooled with weight 1
    (quarterly audits: the latest four). ``half_life_months`` (instead): every audit up to
    ``as_of``, a case ``m`` months older than ``as_of`` weighing ``0.5 ** (m / half_life_months)``
    (months of 365.25 / 12 days).

    One row per PDU and key question: yes and no (weighted sums, possibly fractional), cases (raw
    answered cases), audits (with answers, weight > 0), effective_n (yes + no), applicable_share
    (answered / audited cases, weighted, over the audits that covered it: how many of a fresh sample
    the key question applies to), first / last audit used, as_of and weighting (words)."""
    table = check_audit_counts(counts)
    kind, value = _weighting(window_months, half_life_months)
    text = weighting_text(window_months, half_life_months)
    if "not_applicable" not in table:
        table["not_applicable"] = 0
    rows = []
    for pdu, t in table.groupby("pdu", sort=False):
        end = t["audit_date"].max() if as_of is None else _date("as_of", as_of)
        if kind == "window":
            start = end - pd.DateOffset(months=int(value))
            w = ((t["audit_date"] > start) & (t["audit_date"] <= end)).to_numpy(float)
        else:
            age = (end - t["audit_date"]).dt.days.to_numpy() / (DAYS_PER_YEAR / 12)
            w = np.where(age >= 0, 0.5 ** (age / value), 0.0)
        t = t.assign(_w=w)
        for (std, kq), g in t.groupby(["standard", "key_question"], sort=False):
            used = g[(g["_w"] > 0) & (g["n"] > 0)]
            audited = used["n"] + used["not_applicable"]
            wy, wn = float((used["_w"] * used["yes"]).sum()), float((used["_w"] * used["no"]).sum())
            wa = float((used["_w"] * audited).sum())
            rows.append(
                {
                    "pdu": pdu,
                    "standard": std,
                    "key_question": kq,
                    "yes": wy,
                    "no": wn,
                    "effective_n": wy + wn,
                    "cases": int(used["n"].sum()),
                    "audits": int(used["audit_date"].nunique()),
                    "applicable_share": (wy + wn) / wa if wa > 0 else np.nan,
                    "first_used": used["audit_date"].min() if len(used) else pd.NaT,
                    "last_used": used["audit_date"].max() if len(used) else pd.NaT,
                    "as_of": end,
                    "weighting": text,
                }
            )
    return pd.DataFrame(rows)


def fresh_sample_bands(
    yes: float,
    no: float,
    n_new: int,
    *,
    prior: tuple[float, float] = JEFFREYS,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """The chance that a fresh sample of ``n_new`` cases puts a key question in each band, given
    (possibly weighted) evidence of ``yes`` and ``no`` cases: the posterior predictive beta-binomial
    of Beta(prior + yes, prior + no), exact. One row per rating: rating, probability, method."""
    for name, v in (("yes", yes), ("no", no)):
        if (
            isinstance(v, bool)
            or not isinstance(v, int | float | np.integer | np.floating)
            or not math.isfinite(float(v))
            or v < 0
        ):
            raise ProgressError(f"{name} = {v!r} is not accepted; give a number of cases >= 0")
    n_new = whole_number("n_new", n_new, minimum=1, error=ProgressError)
    a0, b0 = beta_prior(prior, error=ProgressError)
    fw = _fw(framework)
    a, b = a0 + float(yes), b0 + float(no)
    pmf = stats.betabinom.pmf(np.arange(n_new + 1), n_new, a, b)
    probs = [pmf[r.start : r.stop].sum() for r in count_thresholds(n_new, framework=fw).values()]
    label = method_label("posterior-predictive") + (
        f"; Beta({a:.4g}, {b:.4g}) posterior, a fresh sample of {n_new}"
    )
    return pd.DataFrame({"rating": RATINGS, "probability": np.clip(probs, 0, 1), "method": label})


def lowest_band(distributions: Mapping[str, pd.DataFrame]) -> np.ndarray:
    """The distribution (4 probabilities, Inadequate first) of the lowest of independent bands,
    each given as a rating table (rating, probability): P(min >= r) = product of P(band >= r)."""
    if not isinstance(distributions, Mapping) or not distributions:
        raise ProgressError("give at least one key question's band distribution")
    at_least = np.ones(len(RATINGS) + 1)
    at_least[-1] = 0.0
    for table in distributions.values():
        p = table.set_index("rating")["probability"].reindex(RATINGS).fillna(0).to_numpy(float)
        survival = np.cumsum(p[::-1])[::-1]
        at_least[:-1] *= survival
    return np.clip(at_least[:-1] - at_least[1:], 0, 1)


@dataclass(frozen=True)
class InspectionNow:
    """What a fresh inspection sample would most likely give now, from the latest audits.

    - ``evidence``: :func:`latest_evidence` for the PDU;
    - ``key_questions``: standard, key_question, n_new (applicable cases of the fresh sample),
      rating, probability, method;
    - ``standards``: standard, rating, probability, basis ('latest audits', or 'published rating
      held' for judgement standards and case-sample standards without audit evidence), method;
    - ``points`` / ``overall``: the points pmf and the overall rating's probabilities;
    - ``most_likely``: standard -> most likely rating (and 'overall');
    - ``weighting``: how the latest evidence was weighed, in words; ``notes``: what was held fixed.
    """

    evidence: pd.DataFrame
    key_questions: pd.DataFrame
    standards: pd.DataFrame
    points: pd.DataFrame
    overall: pd.DataFrame
    most_likely: dict[str, Rating]
    weighting: str
    notes: tuple[str, ...]


def inspection_now(
    counts: pd.DataFrame,
    published: Mapping[str, Rating | str | None],
    *,
    pdu: str | None = None,
    n_new: int = 42,
    as_of: object = None,
    window_months: int | None = 12,
    half_life_months: float | None = None,
    prior: tuple[float, float] = JEFFREYS,
    framework: Framework | None = None,
) -> InspectionNow:
    """If inspected now: the chance of each band for each case-sample standard, and of each overall
    rating, for a fresh sample of ``n_new`` cases, from the latest audits (:func:`latest_evidence`).

    Per key question, the fresh sample's applicable cases are ``round(n_new * applicable_share)``
    (court work applies to community cases only; some cases are not yet reviewed), taken as fixed;
    its count sufficient follows the posterior predictive beta-binomial (:func:`fresh_sample_bands`).
    A standard's band is its lowest key question's band, the key questions taken as independent
    (exact; :func:`hmip.stats.sampling.correlation_effect` shows what correlation changes). The
    points total and overall rating come by exact convolution over standards
    (:func:`hmip.stats.sampling.overall_distribution`).

    ``published`` maps each rated standard to its published rating (or None for a standard not
    rated). The judgement standards (1.1-1.4) are inspectors' judgements that audits do not
    measure: they are held at these ratings. A case-sample standard with no audit evidence in the
    window is held at its published rating too, and ``notes`` says so."""
    fw = _fw(framework)
    table = _select_pdu(check_audit_counts(counts), pdu, "counts")
    if table["pdu"].nunique() > 1:
        raise ProgressError("counts holds several PDUs; give pdu= to choose one")
    n_new = whole_number("n_new", n_new, minimum=1, error=ProgressError)
    prior = beta_prior(prior, error=ProgressError)
    if not isinstance(published, Mapping):
        raise ProgressError("published must map each rated standard to its published rating")
    held: dict[str, Rating | None] = {}
    for sid, rating in published.items():
        try:
            std = fw.standard(sid)
            held[std.id] = None if rating is None else Rating.parse(rating)
        except (FrameworkError, RatingError) as exc:
            raise ProgressError(f"published['{sid}']: {exc}") from None
    evidence = latest_evidence(
        table, as_of=as_of, window_months=window_months, half_life_months=half_life_months
    )
    kq_rows, std_rows, dists, fixed, notes = [], [], {}, {}, []
    for s in fw.judgement_standards:
        if s.id not in held:
            raise ProgressError(
                f"published has no rating for {s.label()} (held fixed: audits do not measure it)"
            )
        fixed[s.id] = held[s.id]
    for s in fw.case_sample_standards:
        ev = evidence[(evidence["standard"] == s.id) & (evidence["effective_n"] > 0)]
        if ev.empty:
            if s.id not in held:
                raise ProgressError(
                    f"{s.label()} has no audit evidence in the window and no published rating to hold"
                )
            fixed[s.id] = held[s.id]
            if held[s.id] is not None:
                notes.append(
                    f"{s.name}: no audit evidence in the window; held at its published rating ({held[s.id].label})."
                )
                std_rows.append(
                    pd.DataFrame(
                        {
                            "standard": s.id,
                            "rating": RATINGS,
                            "probability": [float(r == held[s.id]) for r in RATINGS],
                            "basis": "published rating held",
                            "method": "held at the published rating (no audit evidence)",
                        }
                    )
                )
            continue
        kq_tables = {}
        for r in ev.itertuples():
            n_kq = max(1, int(round(n_new * r.applicable_share)))
            t = fresh_sample_bands(r.yes, r.no, n_kq, prior=prior, framework=fw)
            kq_tables[r.key_question] = t
            kq_rows.append(t.assign(standard=s.id, key_question=r.key_question, n_new=n_kq))
        probs = lowest_band(kq_tables)
        label = method_label("independent-exact") + f"; a fresh sample of {n_new}"
        dist = pd.DataFrame({"rating": RATINGS, "probability": probs, "method": label})
        dists[s.id] = dist
        std_rows.append(dist.assign(standard=s.id, basis="latest audits"))
    for s in fw.judgement_standards:
        r = fixed[s.id]
        std_rows.append(
            pd.DataFrame(
                {
                    "standard": s.id,
                    "rating": RATINGS,
                    "probability": [float(x == r) for x in RATINGS],
                    "basis": "published rating held",
                    "method": "inspectors' judgement: held at the published rating",
                }
            )
        )
    notes.insert(
        0,
        "Organisational standards (1.1-1.4) are inspectors' judgements that case audits do not "
        "measure: held at the published ratings.",
    )
    try:
        total = overall_distribution(dists, fixed, framework=fw)
    except StatisticsError as exc:
        raise ProgressError(str(exc)) from None
    kq_table = pd.concat(kq_rows, ignore_index=True)[
        ["standard", "key_question", "n_new", "rating", "probability", "method"]
    ]
    std_table = pd.concat(std_rows, ignore_index=True)[
        ["standard", "rating", "probability", "basis", "method"]
    ]
    most = {
        sid: g.set_index("rating")["probability"].idxmax()
        for sid, g in std_table.groupby("standard", sort=False)
    }
    most["overall"] = total.overall.set_index("rating")["probability"].idxmax()
    return InspectionNow(
        evidence=evidence,
        key_questions=kq_table,
        standards=std_table,
        points=total.points,
        overall=total.overall,
        most_likely=most,
        weighting=weighting_text(window_months, half_life_months),
        notes=tuple(notes),
    )


def correlated_standards_now(
    audits: pd.DataFrame,
    *,
    pdu: str | None = None,
    n_new: int = 42,
    as_of: object = None,
    window_months: int = 12,
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """A check on :func:`inspection_now`'s independence of key questions: each case-sample
    standard's band chances for a fresh sample of ``n_new`` cases from the CASE-LEVEL audits of the
    same window, keeping the correlation of key questions on the same case
    (:func:`hmip.stats.sampling.rating_distribution_correlated`: Dirichlet-multinomial over answer
    patterns, Jeffreys margins; ``draws`` seeded draws, seed + i for the i-th standard; no exact
    computation exists). ``audits``: :func:`hmip.data.audits.load_audits`. One row per standard and
    rating: standard, rating, probability, monte_carlo_se, method. Standards with no answered
    case in the window are left out."""
    fw = _fw(framework)
    if not isinstance(audits, pd.DataFrame) or not {"pdu", "audit_date"} <= set(audits.columns):
        raise ProgressError(
            "audits must be case-level audits with pdu and audit_date columns "
            "(hmip.data.audits.load_audits)"
        )
    table = _select_pdu(audits, pdu, "audits")
    if table["pdu"].nunique() > 1:
        raise ProgressError("audits holds several PDUs; give pdu= to choose one")
    n_new = whole_number("n_new", n_new, minimum=1, error=ProgressError)
    seed = whole_number("seed", seed, error=ProgressError)
    _weighting(window_months, None)
    dates = pd.to_datetime(table["audit_date"]).dt.normalize()
    end = dates.max() if as_of is None else _date("as_of", as_of)
    recent = table[(dates > end - pd.DateOffset(months=int(window_months))) & (dates <= end)]
    frames = []
    for i, s in enumerate(fw.case_sample_standards):
        cols = [kq.qualified_id for kq in s.key_questions]
        missing = [c for c in cols if c not in recent.columns]
        if missing:
            raise ProgressError(f"audits has no column {', '.join(missing)}")
        answers = recent[cols].astype(str)
        answered = [c for c in cols if answers[c].isin(["yes", "no"]).any()]
        if not answered:
            continue
        # keep every case of the audits that covered the standard (n/a cases included: they say
        # how many of a fresh sample the standard applies to); leave out audits that did not
        answered_row = answers[answered].isin(["yes", "no"]).any(axis=1)
        audit_dates = recent["audit_date"]
        covered = audit_dates.isin(audit_dates[answered_row].unique())
        dist = rating_distribution_correlated(
            answers.loc[covered, answered],
            kind="resample",
            n_new=n_new,
            draws=draws,
            seed=seed + i,
            framework=fw,
        )
        frames.append(dist.assign(standard=s.id))
    if not frames:
        raise ProgressError("no case-sample standard has an answered case in the window")
    out = pd.concat(frames, ignore_index=True)
    return out[["standard", "rating", "probability", "monte_carlo_se", "method"]]


# --- 4. Change since the inspection --------------------------------------------------------------------
@dataclass(frozen=True)
class ChanceRange:
    """The central ``level`` range of (share after - share before) when nothing changed."""

    lower: float
    upper: float
    share: float
    n_before: int
    n_after: int
    level: float
    method: str


def no_change_range(
    share: float, n_before: int, n_after: int, *, level: float = 0.95
) -> ChanceRange:
    """What chance alone gives: if the true share stayed at ``share``, the central ``level`` range of
    the observed change k2/n2 - k1/n1, by exact enumeration of the two binomial samples (each
    tail holds at most (1 - level) / 2)."""
    share = proportion("share", share, error=ProgressError)
    n1 = whole_number("n_before", n_before, minimum=1, error=ProgressError)
    n2 = whole_number("n_after", n_after, minimum=1, error=ProgressError)
    level = check_level(level)
    p1 = stats.binom.pmf(np.arange(n1 + 1), n1, share)
    p2 = stats.binom.pmf(np.arange(n2 + 1), n2, share)
    diff = (np.arange(n2 + 1)[None, :] / n2 - np.arange(n1 + 1)[:, None] / n1).ravel()
    prob = np.outer(p1, p2).ravel()
    order = np.argsort(diff, kind="stable")
    d, cum = diff[order], np.cumsum(prob[order])
    tail = (1 - level) / 2
    lo = float(d[np.searchsorted(cum, tail * (1 + 1e-12), side="left")])
    upper_cum = np.cumsum(prob[order][::-1])
    hi = float(d[::-1][np.searchsorted(upper_cum, tail * (1 + 1e-12), side="left")])
    return ChanceRange(lo, hi, share, n1, n2, level, method_label("no-change-range"))


@dataclass(frozen=True)
class Verdict:
    """A change in plain words, with the numbers behind it."""

    change_points: float
    share_before: float
    share_after: float
    chance: ChanceRange
    within_chance: bool
    text: str


def _pts(x: float) -> str:
    return f"{abs(x) * 100:.0f} point{'s' if round(abs(x) * 100) != 1 else ''}"


def uplift_verdict(
    yes_before: int, n_before: int, yes_after: int, n_after: int, *, level: float = 0.95
) -> Verdict:
    """The change from ``yes_before`` of ``n_before`` to ``yes_after`` of ``n_after`` in words a
    councillor reads right: within or beyond what chance alone gives with samples this size (the
    :func:`no_change_range` at the two samples' pooled share)."""
    k1 = whole_number("yes_before", yes_before, error=ProgressError)
    n1 = whole_number("n_before", n_before, minimum=1, error=ProgressError)
    k2 = whole_number("yes_after", yes_after, error=ProgressError)
    n2 = whole_number("n_after", n_after, minimum=1, error=ProgressError)
    if k1 > n1 or k2 > n2:
        raise ProgressError("a yes count is more than its number of cases; accepted: yes <= n")
    s1, s2 = k1 / n1, k2 / n2
    diff = s2 - s1
    chance = no_change_range((k1 + k2) / (n1 + n2), n1, n2, level=level)
    within = chance.lower <= diff + 1e-12 and diff - 1e-12 <= chance.upper
    size = f"samples this size ({n1} and {n2} cases)"
    rng_text = (
        f"chance alone gives changes from {chance.lower * 100:+.0f} to {chance.upper * 100:+.0f} "
        f"points {level:.0%} of the time"
    )
    move = f"from {s1:.0%} to {s2:.0%}"
    if round(diff * 100) == 0:
        head = f"A change of less than 1 point ({move})"
    elif diff > 0:
        head = f"An uplift of {_pts(diff)} ({move})"
    else:
        head = f"A fall of {_pts(diff)} ({move})"
    if within:
        text = f"{head} is within what chance alone gives with {size}: {rng_text}."
    else:
        real = "improvement" if diff > 0 else "decline"
        text = f"{head} is more than chance alone gives with {size} ({rng_text}): evidence of a real {real}."
    return Verdict(diff, s1, s2, chance, bool(within), text)


def _exact_p(k1: int, n1: int, k2: int, n2: int, test: str) -> float:
    if (k1 + k2) in (0, n1 + n2):
        return 1.0
    table = [[k1, k2], [n1 - k1, n2 - k2]]
    if test == "fisher":
        return float(stats.fisher_exact(table)[1])
    return float(stats.boschloo_exact(table, alternative="two-sided", n=32).pvalue)


def _pool_window(table: pd.DataFrame, as_of: object, window_months: int) -> pd.DataFrame:
    ev = latest_evidence(table, as_of=as_of, window_months=window_months)
    ev = ev[ev["effective_n"] > 0]
    out = ev[["pdu", "standard", "key_question"]].copy()
    out["yes"], out["no"] = ev["yes"].round().astype(int), ev["no"].round().astype(int)
    out["audit"] = [
        f"{a:%b %Y} to {b:%b %Y} ({n} audits pooled)" if a != b else f"{b:%d %b %Y}"
        for a, b, n in zip(ev["first_used"], ev["last_used"], ev["audits"], strict=True)
    ]
    return out


def change_since_inspection(
    inspection: pd.DataFrame,
    counts: pd.DataFrame,
    *,
    pdu: str | None = None,
    per_audit: bool = False,
    as_of: object = None,
    window_months: int = 12,
    level: float = 0.95,
    test: str = "fisher",
    adjust: str = "holm",
    framework: Framework | None = None,
) -> pd.DataFrame:
    """Each key question's change since the inspection, from the audit series.

    ``inspection``: the inspection sample's counts (pdu, standard, key_question, yes, no; e.g.
    :func:`hmip.data.cases.key_question_counts`). ``counts``: the audit counts. By default the audits
    of the ``window_months`` up to ``as_of`` (the latest evidence, pooled) are compared with the
    inspection; ``per_audit=True`` compares every audit separately.

    Each pair goes through :func:`hmip.stats.sampling.compare_samples` (counts, shares and bands
    before and after; Newcombe interval of the difference after minus before; P(true share
    improved); P(true band higher / lower)), and gains: p_value (two-sided exact test: Fisher's,
    or Boschloo's), p_adjusted and adjustment (Holm's, or Benjamini-Hochberg's, across every
    comparison of the PDU in the table: one family per PDU), chance_lower / chance_upper (what
    chance alone gives for this comparison alone, :func:`no_change_range`), within_chance_range
    (the change lies in that range), family_size and verdict (words; "beyond chance" only when the
    ADJUSTED p-value is below 1 - level, so it allows for the number of key questions compared)."""
    level = check_level(level)
    if test not in TESTS:
        raise ProgressError(f"test = {test!r} is not accepted; accepted: {', '.join(TESTS)}")
    if adjust not in ADJUSTMENTS:
        raise ProgressError(
            f"adjust = {adjust!r} is not accepted; accepted: {', '.join(ADJUSTMENTS)}"
        )
    if not isinstance(per_audit, bool):
        raise ProgressError(f"per_audit = {per_audit!r} is not accepted; give True or False")
    fw = _fw(framework)
    table = _select_pdu(check_audit_counts(counts), pdu, "counts")
    if not isinstance(inspection, pd.DataFrame) or not {
        "standard",
        "key_question",
        "yes",
        "no",
    } <= set(inspection.columns):
        raise ProgressError(
            "inspection must be a DataFrame with columns pdu, standard, key_question, yes, no"
        )
    before = inspection
    if "pdu" in before.columns:
        before = before[before["pdu"].isin(table["pdu"].unique())]
        if before.empty:
            raise ProgressError("inspection has no rows for the PDU(s) of the audits")
    if per_audit:
        after = table[table["n"] > 0][["pdu", "audit_date", *KEYS[1:], "yes", "no"]].copy()
        after["audit"] = [f"{d:%d %b %Y}" for d in after["audit_date"]]
    else:
        _weighting(window_months, None)
        after = _pool_window(table, as_of, window_months)
    frames = []
    for audit, g in after.groupby("audit", sort=False):
        cmp = compare_samples(
            before,
            g.drop(columns=[c for c in ("audit", "audit_date") if c in g]),
            level=level,
            framework=fw,
        )
        frames.append(cmp.assign(audit=audit))
    from statsmodels.stats.multitest import multipletests

    out = pd.concat(frames, ignore_index=True)
    out["p_value"] = [
        _exact_p(r.yes_before, r.n_before, r.yes_after, r.n_after, test) for r in out.itertuples()
    ]
    test_label = method_label(test) + ("; grid 32" if test == "boschloo" else "")
    out["test_method"] = test_label
    group = out["pdu"] if "pdu" in out else pd.Series("all", index=out.index)
    out["p_adjusted"] = np.nan
    out["adjustment"] = ""
    family = pd.Series(0, index=out.index)
    for _, idx in out.groupby(group, sort=False).groups.items():
        p = out.loc[idx, "p_value"].to_numpy(float)
        out.loc[idx, "p_adjusted"] = multipletests(p, method=ADJUSTMENTS[adjust])[1]
        out.loc[idx, "adjustment"] = (
            f"{method_label(adjust)} across the {len(idx)} comparisons of this PDU"
        )
        family[idx] = len(idx)
    alpha = 1 - level
    lows, highs, within, words = [], [], [], []
    for r, size in zip(out.itertuples(), family, strict=True):
        v = uplift_verdict(r.yes_before, r.n_before, r.yes_after, r.n_after, level=level)
        lows.append(v.chance.lower)
        highs.append(v.chance.upper)
        within.append(v.within_chance)
        if r.p_adjusted < alpha:
            real = "improvement" if r.estimate > 0 else "decline"
            words.append(
                f"{v.text.split(' is ')[0]}: more than chance alone gives, evidence of a real "
                f"{real}, allowing for {size} comparisons (adjusted p = {r.p_adjusted:.3f})."
            )
        else:
            words.append(
                f"{v.text.split(' is ')[0]}: within what chance alone gives with samples this "
                f"size, allowing for {size} comparisons (adjusted p = {r.p_adjusted:.2f})."
            )
    out["chance_lower"], out["chance_upper"] = lows, highs
    out["within_chance_range"] = within
    out["family_size"] = family.to_numpy()
    out["verdict"] = words
    first = [c for c in ("pdu", "audit") if c in out]
    return out[first + [c for c in out.columns if c not in first]]

"""Each audit's share and the trend over time, from a PDU's own case audits (binomial GLM of yes / no on
years since the inspection, with its curve for charts); the argument checks shared by
:mod:`hmip.stats.progress`'s parts."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hmip.errors import StatisticsError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats.checks import whole_number
from hmip.stats.intervals import share_table
from hmip.stats.results import check_level, with_interval

RATINGS = list(Rating)
DAYS_PER_YEAR = 365.25
TESTS = ("fisher", "boschloo")
ADJUSTMENTS = {"holm": "holm", "bh": "fdr_bh"}


def adjusted_p_values(p, adjust: str) -> np.ndarray:
    """p-values adjusted across one family of comparisons: Holm's step-down (``"holm"``) or
    Benjamini-Hochberg's (``"bh"``, statsmodels ``multipletests``). Holm's is the same arithmetic as
    statsmodels' (p sorted, times m, m - 1, ..., 1, running maximum, capped at 1: the same floats,
    tests/test_progress_stats.py), done here because ``multipletests(method="holm")`` runs a full
    garbage collection on every call: 0.2 s each in a report process (issue 25)."""
    p = np.asarray(p, dtype=float)
    if adjust == "holm":
        order = np.argsort(p)
        stepped = np.maximum.accumulate(p[order] * np.arange(len(p), 0, -1))
        stepped[stepped > 1] = 1
        out = np.empty_like(stepped)
        out[order] = stepped
        return out
    from statsmodels.stats.multitest import multipletests

    return multipletests(p, method=ADJUSTMENTS[adjust])[1]


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


#: fits already made in this process, by their data (see :func:`_fit_glm`)
_FITS: dict[tuple, _Fit | str] = {}


def _fit_glm(
    years: np.ndarray, yes: np.ndarray, no: np.ndarray, *, quasi: bool = False
) -> _Fit | str:
    """The binomial GLM (logit link) on grouped counts, or the reason it cannot be estimated.
    ``quasi``: scale the covariance by the Pearson dispersion (quasi-binomial). A fit depends on its
    data only, so it is made once for the same data (the audit report's trend table and each of its
    curves fit the same key question: issue 25); callers only read it."""
    data = [np.ascontiguousarray(v, dtype=float) for v in (years, yes, no)]
    key = (quasi, *((v.shape, v.tobytes()) for v in data))
    if key not in _FITS:
        if len(_FITS) >= 512:
            _FITS.clear()
        _FITS[key] = _fit_glm_uncached(*data, quasi=quasi)
    return _FITS[key]


def _fit_glm_uncached(
    years: np.ndarray, yes: np.ndarray, no: np.ndarray, *, quasi: bool = False
) -> _Fit | str:
    # the GLM's own modules, not statsmodels.api (which imports every model: ~0.3-0.9 s a process)
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning
    from statsmodels.tools.tools import add_constant

    exog = add_constant(years, has_constant="add")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        try:
            res = GLM(np.column_stack([yes, no]), exog, family=families.Binomial()).fit(
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
    return _curve(g, origin, level, points)


def trend_curves(
    counts: pd.DataFrame,
    trend_table: pd.DataFrame,
    *,
    origin: object,
    level: float = 0.95,
    points: int = 50,
) -> dict[tuple[str, str], pd.DataFrame]:
    """:func:`trend_curve` for every key question that ``trend_table`` (:func:`trend` of the same
    counts, one PDU) says was estimated: (standard, key_question) -> its curve. The counts are
    checked once, not once a key question (the same curves: tests/test_progress_stats.py)."""
    table = check_audit_counts(counts)
    if table["pdu"].nunique() > 1:
        raise ProgressError("counts holds several PDUs; give one PDU's counts")
    points = whole_number("points", points, minimum=2, error=ProgressError)
    level = check_level(level)
    answered = table[table["n"] > 0]
    groups = dict(iter(answered.groupby(["standard", "key_question"], sort=False)))
    return {
        (r.standard, r.key_question): _curve(
            groups[(r.standard, r.key_question)], origin, level, points
        )
        for r in trend_table[trend_table["status"] == "estimated"].itertuples()
    }


def _curve(g: pd.DataFrame, origin: object, level: float, points: int) -> pd.DataFrame:
    """One key question's fitted share over time (``g``: its answered, checked rows)."""
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

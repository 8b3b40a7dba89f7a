"""The latest evidence and "if inspected now": the audits of a recent window (or every audit with a
half-life), the chance of each band and overall rating for a fresh inspection sample (exact), and the
check of key questions' independence on case-level audits. Part of :mod:`hmip.stats.progress`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hmip.errors import FrameworkError, RatingError, StatisticsError
from hmip.rules.framework import Framework
from hmip.rules.ratings import Rating, count_thresholds
from hmip.stats import DEFAULT_SEED
from hmip.stats.checks import beta_prior, whole_number
from hmip.stats.progress_trend import (
    DAYS_PER_YEAR,
    RATINGS,
    ProgressError,
    _date,
    _fw,
    _positive,
    _select_pdu,
    check_audit_counts,
)
from hmip.stats.results import method_label
from hmip.stats.sampling import (
    JEFFREYS,
    overall_distribution,
    rating_distribution_correlated,
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

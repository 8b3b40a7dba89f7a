"""The sample-size report's inputs and tables: the parameters validated and the data loaded for one
PDU (:func:`load_inputs`), the key-question table (interval, band probabilities, fresh-sample
stability), the rating distributions per standard and overall, the sample-size table, the re-audit
verdicts and the conclusions.

The report itself (:func:`hmip.analyses.sample_size.prepare`) assembles these; what it says is
:mod:`hmip.analyses.sample_size_words`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from hmip.analyses import cache
from hmip.analyses.london_comparison import load_comparison
from hmip.analyses.params import (
    check_level,
    check_optional_int,
    check_path,
    check_positive_int,
)
from hmip.analyses.words import band_thresholds, percent
from hmip.data import loaders as d
from hmip.errors import ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating, band_counts
from hmip.rules.tables import overall_for_pdu, rate_standards
from hmip.stats import DEFAULT_SEED
from hmip.stats.intervals import share_table
from hmip.stats.sampling import (
    JEFFREYS,
    RATINGS,
    _stays_above,
    _true_band,
    accuracy_curve,
    band_probabilities,
    fresh_sizes,
    overall_distribution,
    p_correct_band,
    standard_rating_distribution,
)
from hmip.stats.sampling_bands import stability_chances


def improvement_verdict(row: Mapping) -> str:
    """Plain English for one row of :func:`compare_samples`.

    Says whether the interval for the change excludes zero and on which side, so a clear decline is
    never called "no change"; and gives the chances that the TRUE band is higher, and lower, after
    than before, each separately, so identical samples are not said to have moved.
    """
    d, lo, hi = 100 * row["estimate"], 100 * row["lower"], 100 * row["upper"]
    text = (
        f"The share sufficient was {percent(row['share_before'])} ({row['yes_before']}/{row['n_before']}) "
        f"before and {percent(row['share_after'])} ({row['yes_after']}/{row['n_after']}) after, a change of "
        f"{d:+.1f} points ({100 * row['level']:g}% interval {lo:+.1f} to {hi:+.1f}; {row['method']}). "
    )
    if row["lower"] > 0:
        text += "The interval lies wholly above zero, so an improvement is supported by the data. "
    elif row["upper"] < 0:
        text += (
            "The interval lies wholly below zero, so the data show a decline: improvement is NOT "
            "proven. "
        )
    else:
        text += (
            "The interval includes zero, so these samples cannot tell a rise or a fall from no "
            "change: improvement is NOT proven. "
        )
    up, down = row["p_band_up"], row["p_band_down"]
    text += (
        f"Given both samples, the chance that the true share is higher after than before is "
        f"{percent(row['p_improved'])}; the chance that its true band is higher after is "
        f"{percent(up)}, and lower {percent(down)}"
    )
    return text + (
        ", so neither a move up nor a move down is more likely than not."
        if max(up, down) < 0.5
        else "."
    )


def key_question_table(
    counts: pd.DataFrame,
    *,
    level: float = 0.95,
    method: str = "wilson",
    caseload: int | None = None,
    n_new: int | None = None,
    prior: tuple[float, float] = JEFFREYS,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """Every key question of one PDU: counts, share, interval, observed band, the probability the TRUE share is in
    each band, and the chance a fresh sample of ``n_new`` cases (default: as many as were sampled) gives the
    same band; each key question is judged on the same share of the fresh sample as of the observed one
    (``n_fresh``, :func:`hmip.stats.sampling.fresh_sizes`)."""
    fw = framework_or_default(framework)
    t = share_table(counts[counts["n"] > 0].reset_index(drop=True), level=level, method=method)
    rows = []
    for r in t.itertuples():
        bands = band_probabilities(
            int(r.yes), int(r.n), caseload=caseload, prior=prior, framework=fw
        )
        probs = dict(zip(bands["rating"], bands["probability"].to_numpy(), strict=True))
        sampled = int(r.n) + int(getattr(r, "not_applicable", 0) or 0)
        fresh = fresh_sizes(int(r.n), sampled, n_new)
        # stability's chances without its table (the same numbers); the observed band's
        st = stability_chances(int(r.yes), int(r.n), n_new=fresh, prior=prior, framework=fw)
        band = band_counts(int(r.yes), int(r.n - r.yes), framework=fw)
        rows.append(
            {
                "standard": r.standard,
                "key_question": r.key_question,
                "label": f"{fw.standard(r.standard).name}: {fw.key_question(r.standard, r.key_question).short}",
                "yes": int(r.yes),
                "n": int(r.n),
                "share": r.share,
                "lower": r.lower,
                "upper": r.upper,
                "method": r.method,
                "level": r.level,
                "band": band.label,
                **{rt.label: float(probs[rt]) for rt in RATINGS},
                "n_fresh": fresh,
                "p_same_band_fresh_sample": float(st[RATINGS.index(band)]),
                "band_method": bands["method"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


@cache.memoize("hmip.stats", "hmip.rules")  # the same for every PDU: computed once per build
def accuracy_table(
    true_shares: Iterable[float],
    ns: Iterable[int],
    caseload: int | None = None,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """The report's accuracy curves (:func:`hmip.stats.sampling.accuracy_curve`), memoised."""
    return accuracy_curve(true_shares, ns, caseload, framework=framework)


@cache.memoize("hmip.stats", "hmip.rules")  # the same for every PDU: computed once per build
def sample_size_table(
    true_shares: Iterable[float],
    targets: Iterable[float] = (0.8, 0.9),
    caseload: int | None = None,
    *,
    n: int = 42,
    n_max: int = 20000,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """For each true share: P(correct band) at ``n`` and the n needed for each accuracy target."""
    rows = []
    method = ""
    top = min(n_max, caseload) if caseload else n_max
    for p in true_shares:
        table = accuracy_curve([p], range(1, top + 1), caseload, framework=framework)
        curve, method = table["p_correct"].to_numpy(), table["method"].iloc[0]
        row = {
            "true_share": p,
            "true_band": _true_band(p, caseload, framework)[0].label,
            f"p_correct_at_{n}": p_correct_band(p, n, caseload, framework=framework).value,
        }
        for t in targets:
            row[f"n_for_{int(100 * t)}pct"] = _stays_above(curve, t)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["method"] = method
    return out


def conclusion(
    pdu: str,
    kq_table: pd.DataFrame,
    overall: pd.Series | None,
    observed: Rating | None,
    n: int,
    n_observed: int | None = None,
    *,
    framework: Framework | None = None,
) -> list[str]:
    """Plain-English conclusions about how firm a PDU's ratings are: ``n`` is the planned fresh sample,
    ``n_observed`` the cases the ratings were made from (default ``n``); the two are named apart."""
    n_observed = n if n_observed is None else n_observed
    out = []
    firm = kq_table[kq_table[[r.label for r in RATINGS]].max(axis=1) >= 0.95]
    shaky = kq_table[kq_table[[r.label for r in RATINGS]].max(axis=1) < 0.8]
    out.append(
        f"{pdu}: of {len(kq_table)} key questions, {len(firm)} are in their observed band with at least 95% "
        f"probability, and {len(shaky)} have less than an 80% chance of truly being in the band they were given."
    )
    for r in shaky.itertuples():
        out.append(
            f"'{r.label}' ({r.yes}/{r.n}, {percent(r.share)}) was banded {r.band}, but the chance its true share "
            f"is in that band is only {percent(kq_table.loc[r.Index, r.band])}; "
            f"a fresh sample of {n} cases{_judged_on(getattr(r, 'n_fresh', r.n), n)} would give the same band "
            f"{percent(r.p_same_band_fresh_sample)} of the time."
        )
    if overall is not None and observed is not None:
        other = {
            rt: float(overall[rt]) for rt in RATINGS if rt != observed and overall[rt] >= 0.005
        }
        out.append(
            f"With a fresh sample of {n} cases, {pdu} would again be rated {observed.label} with "
            f"probability {percent(overall[observed])}"
            + (
                ": " + ", ".join(f"{rt.label} {percent(p)}" for rt, p in other.items())
                if other
                else ""
            )
            + " (domain-one judgement ratings held fixed; standards combined as independent)."
        )
    out.append(
        one_case_sentence(n_observed, n)
        + f" A key question within a few cases of {band_thresholds(framework, last='or')} can change band "
        "with a different sample, so ratings near a boundary should be read as provisional."
    )
    return out


def _judged_on(fresh: int, n: int) -> str:
    return "" if fresh == n else f" ({fresh} of them judged on this question)"


def one_case_sentence(n_observed: int, n_new: int | None = None) -> str:
    """What one case is worth, in the sample the ratings were made from and (if different) in the planned
    fresh sample, named apart: 'In the inspection's sample of 42 cases, one case is 2.4 percentage points
    of a key question judged on every case; in a fresh sample of 60 cases it would be 1.7.'"""
    text = (
        f"In the inspection's sample of {n_observed} cases, one case is {100 / n_observed:.1f} percentage "
        "points of a key question judged on every case"
    )
    if n_new is not None and n_new != n_observed:
        text += f"; in a fresh sample of {n_new} cases it would be {100 / n_new:.1f}"
    return text + "."


def reaudit_counts_for(data_counts: pd.DataFrame, pdu: str) -> pd.DataFrame:
    sub = data_counts[data_counts["pdu"] == pdu] if "pdu" in data_counts else data_counts
    if sub.empty:
        raise ParameterError(f"second_sample_path: the second sample has no rows for PDU '{pdu}'")
    return sub


@dataclass
class SensitivityInputs:
    pdu: str
    counts: pd.DataFrame  # this PDU's key-question counts
    cases: pd.DataFrame | None  # this PDU's cases (for correlated analysis)
    judgement: dict  # domain-one ratings (fixed)
    observed: Rating | None  # the recomputed overall rating
    n: int
    caseload: int | None
    level: float
    target: float
    draws: int
    seed: int
    second: pd.DataFrame | None  # a second sample's counts for the re-audit comparison
    loaded: tuple
    parameters: dict
    #: this PDU's case-sample standards as rated when the data were loaded (None: rate ``counts``)
    case_ratings: pd.DataFrame | None = None

    @property
    def n_observed(self) -> int:
        """The cases in the sample the ratings were made from (``n`` is the planned fresh sample)."""
        if self.cases is not None and len(self.cases):
            return len(self.cases)
        c = self.counts
        judged = c["yes"] + c["no"] + (c["not_applicable"] if "not_applicable" in c else 0)
        return int(judged.max()) if len(c) else 0

    def rated(self, framework: Framework | None = None) -> pd.DataFrame:
        """This PDU's case-sample standard ratings (rated once, at loading, where possible)."""
        if self.case_ratings is not None:
            return self.case_ratings
        return rate_standards(self.counts, framework=framework)


def judgement_ratings(
    ratings: pd.DataFrame, pdu: str, *, framework: Framework | None = None
) -> dict:
    """The PDU's domain-one (judgement) ratings from a ratings table; None where unknown. A rating the
    simulation made up (basis "simulated") is unknown: inspectors judge these standards, so a
    simulated one is never used as a rating (issue 20)."""
    fw = framework_or_default(framework)
    judgement = {s.id: None for s in fw.judgement_standards}
    for r in ratings[ratings["pdu"] == pdu].itertuples():
        if getattr(r, "basis", "") == "simulated":
            continue
        if r.standard in judgement and pd.notna(r.rating):
            judgement[r.standard] = Rating.parse(r.rating)
    return judgement


def load_inputs(
    *,
    pdu: str = "Lewisham and Bromley",
    n: int = 42,
    caseload: int = 0,
    confidence: float = 0.95,
    accuracy_target: float = 0.8,
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    second_sample_path: str = "",
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    framework: Framework | None = None,
) -> SensitivityInputs:
    """Validate the sensitivity notebook's parameters and load its data, with readable errors."""
    fw = framework_or_default(framework)
    check_positive_int("n", n, minimum=2)
    caseload = check_optional_int("caseload", caseload)
    if caseload is not None and caseload < n:
        raise ParameterError(f"parameter caseload = {caseload} is smaller than the sample n = {n}")
    level = check_level("confidence", confidence)
    if not 0.5 <= float(accuracy_target) < 1:
        raise ParameterError(
            f"parameter accuracy_target = {accuracy_target!r} must be from 0.5 to below 1"
        )
    check_positive_int("draws", draws, minimum=1000)
    data = load_comparison(
        None,
        cases_path=cases_path,
        counts_path=counts_path,
        ratings_path=ratings_path,
        framework=fw,
        pdu=pdu,  # checked against the data's PDUs; only this PDU is rated
    )
    second = None
    loaded = list(data.loaded)
    second_file = check_path("second_sample_path", second_sample_path)
    if second_file:
        second_all = d.load_any_counts(second_file, framework=fw)
        loaded.append(second_all)
        second = reaudit_counts_for(second_all, pdu)
    res = overall_for_pdu(data.ratings, pdu, framework=fw)
    judgement = judgement_ratings(data.ratings, pdu, framework=fw)
    params = dict(
        pdu=pdu,
        n=n,
        caseload=caseload or "not used",
        confidence=confidence,
        accuracy_target=accuracy_target,
        cases_path=cases_path or "(bundled simulated sample)",
        counts_path=counts_path,
        ratings_path=ratings_path,
        second_sample_path=second_sample_path,
        draws=draws,
        seed=seed,
    )
    return SensitivityInputs(
        pdu=pdu,
        counts=data.counts[data.counts["pdu"] == pdu].reset_index(drop=True),
        cases=None
        if data.cases is None
        else data.cases[data.cases["pdu"] == pdu].reset_index(drop=True),
        judgement=judgement,
        observed=None if isinstance(res, str) else res.rating,
        n=n,
        caseload=caseload,
        level=level,
        target=float(accuracy_target),
        draws=draws,
        seed=seed,
        second=second,
        loaded=tuple(loaded),
        parameters={k: v for k, v in params.items() if v != ""},
        case_ratings=data.case_ratings[data.case_ratings["pdu"] == pdu].reset_index(drop=True),
    )


def rating_distributions(inp: SensitivityInputs, *, framework: Framework | None = None) -> dict:
    """Per standard, correlated (if case-level data) and independent; and the overall distribution."""
    fw = framework_or_default(framework)
    independent = {
        s.id: standard_rating_distribution(
            None,
            s.id,
            pdu=inp.pdu,
            counts=inp.counts,
            correlated=False,
            n_new=inp.n,
            framework=fw,
        )
        for s in fw.case_sample_standards
    }
    correlated = None
    if inp.cases is not None:
        correlated = {  # the same draws as the PDU's page in the scrutiny pack: shared with it
            s.id: cache.correlated_distribution(
                inp.cases, s.id, n_new=inp.n, draws=inp.draws, seed=inp.seed + i, framework=fw
            )
            for i, s in enumerate(fw.case_sample_standards)
        }
    chosen = correlated or independent
    overall = None
    points = None
    if all(v is not None for v in inp.judgement.values()):
        total = overall_distribution(chosen, inp.judgement, framework=fw)
        points = total.points.set_index("points")["probability"]
        overall = total.overall.set_index("rating")["probability"]
    rows = []
    for s in fw.case_sample_standards:
        for kind, dist in (
            ("correlated (case patterns)", (correlated or {}).get(s.id)),
            ("independent (counts only)", independent[s.id]),
        ):
            if dist is None:
                continue
            probs = dist.set_index("rating")["probability"]
            rows.append(
                {
                    "label": f"{s.name}: {kind}",
                    "standard": s.id,
                    "key_questions": kind,
                    **{r.label: float(probs[r]) for r in RATINGS},
                    "method": dist["method"].iloc[0],
                }
            )
    return {
        "table": pd.DataFrame(rows).set_index("label"),
        "points": points,
        "overall": overall,
        "method": next(iter((correlated or independent).values()))["method"].iloc[0],
    }


#: True shares near each band boundary, for the accuracy curves and the sample-size table.
BOUNDARY_SHARES = (0.45, 0.55, 0.60, 0.70, 0.75, 0.85)


def boundary_shares(caseload: int | None = None) -> tuple[float, ...]:
    """:data:`BOUNDARY_SHARES`, each moved to the nearest whole number of cases in ``caseload`` (halves up)
    when one is given: a true share must be a whole number of cases, and the share shown is the one used
    (so 0.45 of a caseload of 10 is shown and banded as 5/10 = 0.50, never banded as one share and shown
    as another)."""
    if not caseload:
        return BOUNDARY_SHARES
    return tuple(dict.fromkeys(int(p * caseload + 0.5) / caseload for p in BOUNDARY_SHARES))


def observed_points(inp: SensitivityInputs) -> int | None:
    """The PDU's recomputed points (domain one + case-sample standards recomputed), if all are known."""
    if any(v is None for v in inp.judgement.values()):
        return None
    rated = inp.rated()
    return sum(r.score for r in inp.judgement.values()) + sum(
        Rating.parse(x).score for x in rated["rating"] if pd.notna(x)
    )

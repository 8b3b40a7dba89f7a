"""The sample-size sensitivity report: how firm one PDU's ratings are.

:func:`prepare` takes the notebook's parameters and returns one :class:`SampleSizeSensitivity`
holding every table, the data behind every figure, and the conclusions in words.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

import pandas as pd

from hmip.analyses import cache
from hmip.analyses.contract import ReportBase, ReportInputs
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
    compare_samples,
    fresh_sizes,
    overall_distribution,
    p_correct_band,
    stability,
    standard_rating_distribution,
)


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
        probs = bands.set_index("rating")["probability"]
        sampled = int(r.n) + int(getattr(r, "not_applicable", 0) or 0)
        fresh = fresh_sizes(int(r.n), sampled, n_new)
        st = stability(int(r.yes), int(r.n), n_new=fresh, prior=prior, framework=fw)
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
                "band": band_counts(int(r.yes), int(r.n - r.yes), framework=fw).label,
                **{rt.label: float(probs[rt]) for rt in RATINGS},
                "n_fresh": fresh,
                "p_same_band_fresh_sample": float(st.loc[st["observed"], "probability"].item()),
                "band_method": bands["method"].iloc[0],
            }
        )
    return pd.DataFrame(rows)


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
        correlated = {
            s.id: standard_rating_distribution(
                inp.cases,
                s.id,
                correlated=True,
                n_new=inp.n,
                draws=inp.draws,
                seed=inp.seed + i,
                framework=fw,
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


def key_question_display(kq: pd.DataFrame) -> pd.DataFrame:
    """The key-question table in words a reader knows (percentages are whole; the method is named once,
    in the heading of the interval column)."""
    level = f"{100 * float(kq['level'].iloc[0]):g}%" if len(kq) else ""
    in_band = [float(r[r["band"]]) for _, r in kq.iterrows()]
    return pd.DataFrame(
        {
            "Key question": kq["label"],
            "Sufficient": [f"{y} of {n}" for y, n in zip(kq["yes"], kq["n"], strict=True)],
            "Share": kq["share"],
            f"{level} interval": [
                f"{100 * lo:.0f}% to {100 * hi:.0f}%"
                for lo, hi in zip(kq["lower"], kq["upper"], strict=True)
            ],
            "Band": kq["band"],
            "Chance the true share is in this band": in_band,
            "Same band with a fresh sample": kq["p_same_band_fresh_sample"],
        }
    )


def sample_size_display(table: pd.DataFrame, n: int) -> pd.DataFrame:
    """The sample-size table in words: for a true share near each boundary, the chance that n cases
    put it in its correct band, and the cases needed for each target."""
    out = pd.DataFrame(
        {
            "True share": table["true_share"],
            "Its band": table["true_band"],
            f"Chance {n} cases give the correct band": table[f"p_correct_at_{n}"],
        }
    )
    for c in table.columns:
        if c.startswith("n_for_") and c.endswith("pct"):
            out[f"Cases needed for a {c[6:-3]}% chance"] = table[c]
    return out


def observed_points(inp: SensitivityInputs) -> int | None:
    """The PDU's recomputed points (domain one + case-sample standards recomputed), if all are known."""
    if any(v is None for v in inp.judgement.values()):
        return None
    rated = inp.rated()
    return sum(r.score for r in inp.judgement.values()) + sum(
        Rating.parse(x).score for x in rated["rating"] if pd.notna(x)
    )


@dataclass
class SampleSizeSensitivity(ReportBase):
    """Everything the sample-size report shows for one PDU."""

    inputs: SensitivityInputs
    key_questions: (
        pd.DataFrame
    )  # every key question: interval, band probabilities, fresh-sample stability
    distributions: dict  # per standard (correlated and independent) and overall
    observed_points: int | None
    accuracy: pd.DataFrame  # chance of the correct band against n, for shares near the boundaries
    sample_sizes: pd.DataFrame  # n needed for each accuracy target
    reaudit: pd.DataFrame | None  # inspection against a second sample, per key question
    reaudit_verdicts: list[str]
    conclusion: list[str]

    index_group: ClassVar[str] = "each PDU"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.inputs.parameters, self.inputs.loaded)

    def main_points(self, *, framework: Framework | None = None) -> list:
        return main_points(self, framework=framework)

    def methods_used(self) -> list[str]:
        return methods(self)


def prepare(*, framework: Framework | None = None, **parameters: object) -> SampleSizeSensitivity:
    """Validate the notebook's parameters, load the data and compute everything the report shows. Takes the
    notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    kq = key_question_table(
        inp.counts, level=inp.level, caseload=inp.caseload, n_new=inp.n, framework=fw
    )
    dist = rating_distributions(inp, framework=fw)
    targets = sorted({inp.target, 0.9})
    reaudit, verdicts = None, []
    if inp.second is not None:
        reaudit = compare_samples(inp.counts, inp.second, level=inp.level)
        verdicts = [improvement_verdict(r) for r in reaudit.to_dict("records")]
    return SampleSizeSensitivity(
        inputs=inp,
        key_questions=kq,
        distributions=dist,
        observed_points=observed_points(inp),
        accuracy=accuracy_curve(
            boundary_shares(inp.caseload),
            range(10, min(400, inp.caseload or 400) + 1),
            inp.caseload,
            framework=fw,
        ),
        sample_sizes=sample_size_table(
            boundary_shares(inp.caseload),
            targets=targets,
            caseload=inp.caseload,
            n=inp.n,
            framework=fw,
        ),
        reaudit=reaudit,
        reaudit_verdicts=verdicts,
        conclusion=conclusion(
            inp.pdu, kq, dist["overall"], inp.observed, inp.n, inp.n_observed, framework=fw
        ),
    )


# --- What the report says to readers -------------------------------------------------------------------
def _frame_with(inp: SensitivityInputs, *columns: str) -> pd.DataFrame | None:
    """The loaded table that has these columns (published overall ratings, published standards...)."""
    for frame in inp.loaded:
        if isinstance(frame, pd.DataFrame) and set(columns) <= set(frame.columns):
            return frame
    return None


def published_overall(inp: SensitivityInputs) -> dict | None:
    """The PDU's published overall rating, points (with their basis) and publication date."""
    overall = _frame_with(inp, "overall_rating", "points_basis", "publication_date")
    if overall is None or inp.pdu not in set(overall["pdu"]):
        return None
    return overall[overall["pdu"] == inp.pdu].iloc[0].to_dict()


def _published_date(value: str) -> str:
    import calendar

    parts = str(value).split("-")
    month = calendar.month_name[int(parts[1])] if len(parts) > 1 else ""
    return " ".join(
        p for p in (parts[2].lstrip("0") if len(parts) > 2 else "", month, parts[0]) if p
    )


def standards_table(
    result: SampleSizeSensitivity, *, framework: Framework | None = None
) -> pd.DataFrame:
    """One row per rated standard: its rating (HMIP's where published, otherwise the case sample's, and
    which), the key question that set it, how many more sufficient cases would reach the next band, and
    the chance a fresh sample gives the same rating."""
    from hmip.rules.ratings import min_yes_for

    fw = framework_or_default(framework)
    inp = result.inputs
    published = _frame_with(inp, "standard", "rating", "basis", "standard_name")
    pub = {} if published is None else published[published["pdu"] == inp.pdu].set_index("standard")
    judged_basis = _judgement_basis(inp)
    rated = inp.rated(fw).set_index("standard")
    dist = result.distributions["table"]
    rows = []
    for s in fw.rated_standards:
        p = pub["rating"].get(s.id) if len(pub) else None
        p = None if p is None or pd.isna(p) else str(p)
        basis = str(pub["basis"].get(s.id, "published")) if p is not None else ""
        row = {
            "standard": s.id,
            "Standard": s.name,
            "Rating": p,  # HMIP's rating only: a rating HMIP did not publish is shown as not published
            "Rating from": "HMIP (implied by its published ratings)"
            if basis == "implied"
            else "HMIP (published)"
            if p is not None
            else "not published by HMIP",
        }
        if s.case_sample and s.id in rated.index and pd.notna(rated.loc[s.id, "rating"]):
            r = rated.loc[s.id]
            rating = Rating.parse(r["rating"])
            more = None
            if rating < Rating.OUTSTANDING:
                target = Rating(rating + 1)
                g = inp.counts[(inp.counts["standard"] == s.id) & (inp.counts["n"] > 0)]
                more = int(
                    sum(
                        max(0, min_yes_for(target, int(k.n), framework=fw) - int(k.yes))
                        for k in g.itertuples()
                    )
                )
            mine = dist[dist["standard"] == s.id]
            if p is None:
                simulated = d.is_simulated(*inp.loaded)
                row["Rating from"] = (
                    "not published by HMIP; the "
                    + ("simulated " if simulated else "")
                    + f"case sample gives {rating.label}"
                )
            elif p != rating.label:
                row["Rating from"] += f"; the case sample gives {rating.label}"
            row.update(
                {
                    "Weakest key question": fw.key_question(s.id, r["limiting"]).short,
                    "Sufficient": f"{int(r['limiting_yes'])} of {int(r['limiting_n'])}",
                    "More sufficient cases for the next band": more,
                    "Same rating with a fresh sample": float(mine.iloc[0][rating.label])
                    if len(mine)
                    else float("nan"),
                }
            )
        elif not s.case_sample:
            judged = inp.judgement.get(s.id)
            # Inspectors judge these: a rating is shown only as HMIP published it, or as an analyst's
            # ratings file gives it; a simulated one never (it is not a finding).
            if p is None and judged is not None and "simulated" not in judged_basis.get(s.id, ""):
                row.update(
                    {
                        "Rating": judged.label,
                        "Rating from": judged_basis.get(s.id, "the data given"),
                    }
                )
            row["Weakest key question"] = "rated by inspectors' judgement"
        rows.append(row)
    out = pd.DataFrame(rows)
    more = "More sufficient cases for the next band"
    if more in out:  # whole cases, blank where there is no next band or no case sample
        out[more] = out[more].astype("Int64")
    return out


def simulated_rating_rows(table: pd.DataFrame) -> list[bool]:
    """Rows of :func:`standards_table` whose rating is not HMIP's but comes from simulated data: their
    rating badge is tagged as simulated where it is shown."""
    return [
        pd.notna(r) and "simulated" in str(v)
        for r, v in zip(table["Rating"], table["Rating from"], strict=True)
    ]


def _judgement_basis(inp: SensitivityInputs) -> dict[str, str]:
    """Where each organisational delivery rating came from (published, implied or simulated)."""
    out: dict[str, str] = {}
    for frame in inp.loaded:  # the judgement file comes last, so its basis wins
        if isinstance(frame, pd.DataFrame) and {"standard", "rating", "basis"} <= set(
            frame.columns
        ):
            for r in frame[(frame["pdu"] == inp.pdu) & frame["rating"].notna()].itertuples():
                out[r.standard] = {"simulated": "simulated (not published)"}.get(
                    r.basis, str(r.basis)
                )
    return out


def main_points(result: SampleSizeSensitivity, *, framework: Framework | None = None) -> list:
    """At most five plain-English sentences: the published rating and points, what held each case-sample
    standard back, how firm the rating is, and what is simulated."""
    from hmip.analyses.words import RatingMention, SimulatedMark, chance, join_words, sentence

    fw = framework_or_default(framework)
    inp = result.inputs
    simulated = d.is_simulated(*inp.loaded)
    sim = SimulatedMark() if simulated else ""
    points = []
    pub = published_overall(inp)
    if pub is not None and pd.notna(pub["overall_rating"]):
        if pd.isna(pub["points"]):
            pts = "points not published"
        else:
            basis = (
                " (implied by its published standard ratings)"
                if pub["points_basis"] == "implied"
                else ""
            )
            pts = f"{int(pub['points'])} of {int(pub['max_points'])} points{basis}"
        points.append(
            sentence(
                f"HMIP rated {inp.pdu} ",
                RatingMention(str(pub["overall_rating"])),
                f" overall ({_published_date(pub['publication_date'])}), with {pts}.",
            )
        )
    table = standards_table(result, framework=fw)
    case = table[table["Sufficient"].notna()] if "Sufficient" in table else table.iloc[0:0]
    if len(case):
        held = [
            f"{r['Standard']} by '{r['Weakest key question']}' ({r['Sufficient']} cases sufficient)"
            for r in case.to_dict("records")
        ]
        points.append(
            sentence(
                "In the case sample, each case-sample standard took the rating of its weakest key question: ",
                join_words(held),
                sim,
                ".",
            )
        )
    overall = result.distributions.get("overall")
    if overall is not None and inp.observed is not None:
        p = float(overall[inp.observed])
        points.append(
            sentence(
                f"With a fresh sample of {inp.n} cases, {inp.pdu} would be rated ",
                RatingMention(inp.observed.label),
                f" again {chance(p)} of the time",
                sim,
                ".",
            )
        )
    else:  # an organisational delivery rating HMIP did not publish (never a simulated one)
        points.append(
            sentence(
                "How firm the overall rating is cannot be said: HMIP did not publish every "
                "organisational delivery rating, and inspectors' judgements are not simulated."
            )
        )
    near = result.key_questions[result.key_questions[[x.label for x in Rating]].max(axis=1) < 0.8]
    if len(near):  # none: nothing to say (issue 20: not "0 of 15 ... could change them")
        points.append(
            sentence(
                f"{len(near)} of {len(result.key_questions)} key questions have less than a 4 in 5 "
                "chance of truly being in the band they were given: one or two cases either way could "
                "change them",
                sim,
                ".",
            )
        )
    if simulated:
        points.append(
            sentence(
                "The published ratings are real; the case counts, shares and chances come from a simulated "
                "sample, because HMIP does not publish its cases, and are marked simulated."
            )
        )
    return points[:5]


#: Glossary terms this report uses (each is defined at its end).
GLOSSARY_TERMS = (
    "HMIP",
    "PDU",
    "standard",
    "key question",
    "lowest-banding rule",
    "organisational delivery",
    "case sample",
    "points",
    "simulated",
    "interval",
    "fresh sample",
    "firm",
    "Jeffreys",
    "Wilson",
    "disclosure control",
    "percentage point",
)


def methods(result: SampleSizeSensitivity, *, framework: Framework | None = None) -> list[str]:
    """How each figure was made, naming the method and level."""
    kq = result.key_questions
    level = f"{100 * float(kq['level'].iloc[0]):g}%" if len(kq) else ""
    out = [
        f"Intervals for each key question's share: {kq['method'].iloc[0]}, {level} level."
        if len(kq)
        else "",
        "Chance that the true share lies in each band: Jeffreys posterior, Beta(k + 1/2, n - k + 1/2) for k "
        "of n cases sufficient"
        + (f", finite population of {result.inputs.caseload}" if result.inputs.caseload else "")
        + ".",
        "Chance of the same band with a fresh sample: posterior predictive beta-binomial (Jeffreys "
        "prior: a neutral starting assumption about the true share that lets the sample speak).",
        f"Each standard's rating with a fresh sample: {result.distributions['method']}.",
        "Overall rating with a fresh sample: exact convolution of the five case-sample standards, with the "
        "organisational delivery ratings held fixed and the standards treated as independent.",
        f"Chance of the correct band for each sample size: {result.sample_sizes['method'].iloc[0]}.",
        f"Shares are compared with {band_thresholds(framework)} without rounding (the lowest-banding rule).",
    ]
    return [m for m in out if m]


def standard_chances(result: SampleSizeSensitivity) -> pd.DataFrame:
    """Each case-sample standard's chance of each rating with a fresh sample, one row per standard: the
    correlated distribution where case-level data allow it, otherwise the independent one (the method
    says which)."""
    table = result.distributions["table"]
    kinds = table["key_questions"].unique()
    chosen = next((k for k in kinds if k.startswith("correlated")), kinds[0])
    mine = table[table["key_questions"] == chosen].copy()
    mine.index = [label.split(": ")[0] for label in mine.index]
    return mine

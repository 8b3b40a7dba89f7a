"""The audit-progress report: is it getting better? Progress since the inspection, from a PDU's own
case audits.

:func:`prepare` takes the notebook's parameters and returns one :class:`AuditProgress` holding, in
the order the report shows them: the main points (:func:`main_points`); per key question, each
audit's share with its interval and the trend with its uncertainty; "if inspected now" (the chance
of each band per case-sample standard, and of each overall rating, for a fresh inspection sample,
from the latest audits, saying how "latest" is weighed); the change since the inspection with
multiplicity handled and a verdict in words; progress against HMIP's recommendations, measured
(each recommendation's key questions next to the status the progress file reports, saying where
they disagree); the methods (:func:`methods`) and a worked example of the "6% uplift" re-audit
(:func:`worked_example`).

The statistics are :mod:`hmip.stats.progress`; the data :mod:`hmip.data.audits` (whether anything
is simulated comes from there). :func:`pack_summary` gives the scrutiny pack's short "Since the
inspection" section for a PDU with audits (main points and one small chart's data), or None.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.analyses.params import check_choice, check_level, check_positive_int
from hmip.data import loaders as d
from hmip.data.audits import audit_counts, load_audits, load_recommendation_key_questions
from hmip.errors import HmipError, ParameterError
from hmip.paths import data_dir, resolve
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats import progress as pr

RATINGS = list(Rating)

#: Where an inspection's fieldwork date is published (the trends' time zero), by PDU.
FIELDWORK_DATES = {
    "Lewisham and Bromley": (
        "2022-08-22",
        "the first day of the fieldwork week, as HMIP's report published in Nov 2022 gives it",
    ),
}

#: The worked example's published figures (docs/domain.md) and what it assumes.
PUBLISHED_UPLIFT_POINTS = 6  # "demonstrated a 6% uplift in the overall score" [published]
INSPECTION_CASES = 42  # cases HMIP inspected in Lewisham and Bromley [published]
ASSUMED_REAUDIT_CASES = 20  # the re-audit's size: NOT published (assumed, as the simulated series)
ASSUMED_BASELINE_CASES = 12  # 12 of 42 (29%) sufficient before: NOT published (assumed)

#: Reported statuses (hmip.data.recommendations) in order, worst first.
STATUS_ORDER = ("off track", "at risk", "on track")


# --- Inputs ------------------------------------------------------------------------------------------
@dataclass
class AuditProgressInputs:
    """The validated parameters and the loaded data of one PDU."""

    pdu: str
    audits: pd.DataFrame  # the PDU's audited cases (hmip.data.audits.load_audits)
    counts: pd.DataFrame  # yes / no per audit and key question (audit_counts)
    inspection: pd.DataFrame  # the inspection sample's counts per key question
    published: dict  # standard id -> published rating label (None: not known)
    published_basis: dict  # standard id -> 'published', 'implied', ...
    inspection_date: pd.Timestamp
    inspection_date_source: str
    level: float
    window_months: int | None
    half_life_months: float | None
    fresh_n: int
    adjust: str
    test: str
    recommendations: pd.DataFrame  # HMIP's recommendations to the PDU (number, wording)
    mapping: pd.DataFrame  # recommendation -> key questions
    progress: pd.DataFrame | None  # the reported progress, or None
    loaded: tuple
    parameters: dict


def _fieldwork(pdu: str, inspection_date: str, overall: pd.DataFrame) -> tuple[pd.Timestamp, str]:
    if inspection_date:
        try:
            when = pd.Timestamp(dt.date.fromisoformat(str(inspection_date)))
        except ValueError:
            raise ParameterError(
                f"parameter inspection_date = {inspection_date!r} is not a date written YYYY-MM-DD "
                "(the inspection's fieldwork week, e.g. 2022-08-22)"
            ) from None
        if when.date() > dt.date.today():
            raise ParameterError(
                f"parameter inspection_date = {inspection_date!r} is in the future"
            )
        return when, "as given (parameter inspection_date)"
    if pdu in FIELDWORK_DATES:
        date, source = FIELDWORK_DATES[pdu]
        return pd.Timestamp(date), source
    raise ParameterError(
        f"parameter inspection_date is blank and the fieldwork date of {pdu}'s inspection is not "
        "held; give it as YYYY-MM-DD (the first day of the fieldwork week)"
    )


def _progress_file(pdu: str, progress_path: str | None) -> Path | None:
    from hmip.data.recommendations import EXAMPLE_PROGRESS_FILE

    if progress_path in (None, ""):
        example = data_dir() / EXAMPLE_PROGRESS_FILE
        return example if pdu == "Lewisham and Bromley" else None
    if str(progress_path).lower() == "none":
        return None
    path = resolve(progress_path)
    if not path.is_file():
        raise ParameterError(f"parameter progress_path = {progress_path!r}: no such file ({path})")
    return path


def load_inputs(
    *,
    pdu: str = "Lewisham and Bromley",
    audits_path: str | None = "",
    progress_path: str | None = "",
    cases_path: str = "",
    inspection_date: str = "",
    confidence: float = 0.95,
    window_months: int = 12,
    half_life_months: float = 0.0,
    fresh_n: int = INSPECTION_CASES,
    adjust: str = "holm",
    test: str = "fisher",
    framework: Framework | None = None,
) -> AuditProgressInputs:
    """Validate the notebook's parameters and load the data, with readable errors."""
    fw = framework_or_default(framework)
    level = check_level("confidence", confidence)
    check_positive_int("fresh_n", fresh_n, minimum=5)
    check_choice("adjust", adjust, list(pr.ADJUSTMENTS))
    check_choice("test", test, list(pr.TESTS))
    if (
        isinstance(half_life_months, bool)
        or not isinstance(half_life_months, int | float)
        or (not math.isfinite(half_life_months) or half_life_months < 0)
    ):
        raise ParameterError(
            f"parameter half_life_months = {half_life_months!r} must be 0 (use the window) or a "
            "positive number of months, e.g. 6"
        )
    half_life = float(half_life_months) or None
    window = None if half_life else check_positive_int("window_months", window_months, minimum=1)
    audits_file = None
    if audits_path not in (None, ""):
        audits_file = resolve(audits_path)
        if not audits_file.exists():
            raise ParameterError(
                f"parameter audits_path = {audits_path!r}: no such file or folder ({audits_file})"
            )
    published_all = d.load_published(framework=fw)
    overall = d.load_published_overall()
    cases = d.load_cases(resolve(cases_path) if cases_path else None, framework=fw)
    case_pdus = list(dict.fromkeys(cases["pdu"]))
    audits_all = load_audits(
        audits_file, framework=fw, pdus=list(dict.fromkeys([*overall["pdu"], *case_pdus]))
    )
    in_audits = list(dict.fromkeys(audits_all["pdu"]))
    if pdu not in in_audits:
        from hmip.rules.framework import did_you_mean

        raise ParameterError(
            f"parameter pdu = {pdu!r}: the audits hold no cases of this PDU{did_you_mean(pdu, in_audits)}; "
            f"they hold: {'; '.join(in_audits)}"
        )
    if pdu not in case_pdus:
        raise ParameterError(
            f"parameter pdu = {pdu!r}: the inspection's case sample has no cases of this PDU, so "
            "there is nothing to compare the audits with; give cases_path"
        )
    audits = audits_all[audits_all["pdu"] == pdu].reset_index(drop=True)
    d.carry(audits, audits_all)
    counts = audit_counts(audits, framework=fw)
    inspection = d.key_question_counts(cases[cases["pdu"] == pdu], framework=fw)
    d.carry(inspection, cases)
    when, when_source = _fieldwork(pdu, inspection_date, overall)
    first_audit = counts["audit_date"].min()
    if first_audit < when:
        raise ParameterError(
            f"the first audit ({first_audit:%d %b %Y}) is before the inspection ({when:%d %b %Y}); "
            "give the audits since the inspection, or the right inspection_date"
        )
    mine = published_all[published_all["pdu"] == pdu]
    published = {s.id: None for s in fw.rated_standards}
    basis = {s.id: "not published" for s in fw.rated_standards}
    for r in mine.itertuples():
        if pd.notna(r.rating):
            published[r.standard] = Rating.parse(r.rating).label
            basis[r.standard] = str(r.basis)
    from hmip.data.recommendations import load_progress, load_recommendations

    recs = load_recommendations()
    recs = recs[recs["pdu"] == pdu].reset_index(drop=True)
    mapping = load_recommendation_key_questions(framework=fw)
    mapping = mapping[mapping["pdu"] == pdu].reset_index(drop=True)
    progress_file = _progress_file(pdu, progress_path)
    progress = None
    if progress_file is not None:
        progress = load_progress(progress_file)
        progress = progress[progress["pdu"] == pdu].reset_index(drop=True)
        if progress.empty:
            raise ParameterError(
                f"parameter progress_path = {progress_path!r}: the progress file has no rows for {pdu}"
            )
    params = dict(
        pdu=pdu,
        audits_path=str(audits_path or "(bundled SIMULATED audit series)"),
        progress_path=str(
            progress_path or ("(bundled illustrative example)" if progress_file else "none")
        ),
        cases_path=cases_path or "(bundled simulated inspection sample)",
        inspection_date=f"{when:%Y-%m-%d}",
        confidence=confidence,
        window_months=window if window else "not used",
        half_life_months=half_life if half_life else "not used",
        fresh_n=fresh_n,
        adjust=adjust,
        test=test,
    )
    loaded = [audits, inspection, published_all]
    if progress is not None:
        loaded.append(progress)
    return AuditProgressInputs(
        pdu=pdu,
        audits=audits,
        counts=counts,
        inspection=inspection,
        published=published,
        published_basis=basis,
        inspection_date=when,
        inspection_date_source=when_source,
        level=level,
        window_months=window,
        half_life_months=half_life,
        fresh_n=fresh_n,
        adjust=adjust,
        test=test,
        recommendations=recs,
        mapping=mapping,
        progress=progress,
        loaded=tuple(loaded),
        parameters=params,
    )


# --- Labels ----------------------------------------------------------------------------------------
def kq_label(standard: str, key_question: str, framework: Framework | None = None) -> str:
    """'Assessment: keeping other people safe'."""
    fw = framework_or_default(framework)
    return f"{fw.standard(standard).name}: {fw.key_question(standard, key_question).short}"


def _pts(x: float) -> str:
    k = round(abs(x) * 100)
    return f"{k} point{'s' if k != 1 else ''}"


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


# --- Per key question: shares and trends ---------------------------------------------------------------
def trend_table(
    counts: pd.DataFrame, origin: pd.Timestamp, *, level: float, adjust: str
) -> pd.DataFrame:
    """:func:`hmip.stats.progress.trend` per key question, with each p-value adjusted across the
    key questions whose trend was estimated (Holm's or Benjamini-Hochberg's), ``clear`` ('up',
    'down' or '') on the ADJUSTED p-value, and the change in share per year at the middle of the
    series (for words)."""
    from statsmodels.stats.multitest import multipletests

    t = pr.trend(counts, origin=origin, level=level)
    est = t["status"] == "estimated"
    t["p_adjusted"] = np.nan
    if est.any():
        t.loc[est, "p_adjusted"] = multipletests(
            t.loc[est, "p_value"].to_numpy(float), method=pr.ADJUSTMENTS[adjust]
        )[1]
    alpha = 1 - level
    t["clear"] = np.where(
        est & (t["p_adjusted"] < alpha), np.where(t["estimate"] > 0, "up", "down"), ""
    )
    t["family_size"] = int(est.sum())
    return t


def curves(
    counts: pd.DataFrame, trend: pd.DataFrame, origin: pd.Timestamp, *, level: float
) -> dict:
    """(standard, key_question) -> the fitted share over time with its band (estimated trends only)."""
    out = {}
    for r in trend[trend["status"] == "estimated"].itertuples():
        out[(r.standard, r.key_question)] = pr.trend_curve(
            counts, r.standard, r.key_question, origin=origin, level=level, points=40
        )
    return out


def trend_words(row: Mapping, level: float) -> str:
    """One key question's trend in words: 'rising: from about 34% to 75% sufficient between Dec 2022
    and Sep 2026, more than chance alone gives after allowing for 15 key questions'."""
    if row["status"] != "estimated":
        return f"no trend can be estimated: {row['reason']}"
    span = f"between {row['first_audit']:%b %Y} and {row['last_audit']:%b %Y}"
    move = f"from about {_pct(row['share_first'])} to {_pct(row['share_last'])} sufficient {span}"
    family = int(row["family_size"])
    if row["clear"] == "up":
        return f"rising: {move}; more than chance alone gives, allowing for {family} key questions"
    if row["clear"] == "down":
        return f"falling: {move}; more than chance alone gives, allowing for {family} key questions"
    return f"no clear trend ({move}): within what chance alone gives, allowing for {family} key questions"


# --- Change since the inspection ------------------------------------------------------------------------
def change_words(row: Mapping, level: float) -> str:
    """The change of one key question since the inspection, in words a councillor reads right.

    Three verdicts: beyond chance after allowing for every key question compared (evidence of a real
    change); larger than chance alone usually gives for one key question but not once every key
    question compared is allowed for (not yet evidence); within what chance alone gives with
    samples this size. The numbers (shares, cases, the range chance alone gives) are said."""
    diff = float(row["share_after"] - row["share_before"])
    move = (
        f"from {_pct(row['share_before'])} ({row['yes_before']} of {row['n_before']}) at the inspection "
        f"to {_pct(row['share_after'])} ({row['yes_after']} of {row['n_after']})"
    )
    if round(diff * 100) == 0:
        head = f"Little or no change, {move}"
    elif diff > 0:
        head = f"An uplift of {_pts(diff)}, {move}"
    else:
        head = f"A fall of {_pts(diff)}, {move}"
    chance = (
        f"with samples this size chance alone gives changes from {100 * row['chance_lower']:+.0f} "
        f"to {100 * row['chance_upper']:+.0f} points {level:.0%} of the time"
    )
    family = int(row["family_size"])
    if row["p_adjusted"] < 1 - level:
        real = "improvement" if diff > 0 else "decline"
        return (
            f"{head}: more than chance alone gives, even allowing for the {family} key questions "
            f"compared, so this is evidence of a real {real}."
        )
    if not row["within_chance_range"]:
        return (
            f"{head}: larger than chance alone usually gives for one key question ({chance}), but "
            f"not once the {family} key questions compared are allowed for, so it is not yet "
            "evidence of a real change."
        )
    return f"{head}: within what chance alone gives ({chance}), so it is not evidence of a real change."


def change_table(inp: AuditProgressInputs, *, as_of: object = None) -> pd.DataFrame:
    """The latest audits (pooled over the window, up to ``as_of``) against the inspection, per key
    question, with exact tests adjusted across the key questions and the verdict in words."""
    window = inp.window_months or 12
    out = pr.change_since_inspection(
        inp.inspection,
        inp.counts,
        pdu=inp.pdu,
        as_of=as_of,
        window_months=window,
        level=inp.level,
        test=inp.test,
        adjust=inp.adjust,
    )
    out["label"] = [
        kq_label(s, k) for s, k in zip(out["standard"], out["key_question"], strict=True)
    ]
    out["words"] = [change_words(r, inp.level) for r in out.to_dict("records")]
    out["clear"] = np.where(
        out["p_adjusted"] < 1 - inp.level, np.where(out["estimate"] > 0, "up", "down"), ""
    )
    return out


# --- If inspected now ------------------------------------------------------------------------------------
def inspection_now(inp: AuditProgressInputs) -> pr.InspectionNow | None:
    """:func:`hmip.stats.progress.inspection_now` for the PDU, or None when a judgement rating is
    not known (the overall rating then cannot be said)."""
    try:
        return pr.inspection_now(
            inp.counts,
            inp.published,
            pdu=inp.pdu,
            n_new=inp.fresh_n,
            window_months=inp.window_months,
            half_life_months=inp.half_life_months,
        )
    except HmipError:
        return None


def standards_now(now: pr.InspectionNow, framework: Framework | None = None) -> pd.DataFrame:
    """One row per case-sample standard: the chance of each rating with a fresh sample (columns
    named by rating), the most likely rating and the key question most likely to set it."""
    fw = framework_or_default(framework)
    rows = []
    for s in fw.case_sample_standards:
        g = now.standards[now.standards["standard"] == s.id].set_index("rating")["probability"]
        kq = now.key_questions[now.key_questions["standard"] == s.id]
        ev = now.evidence[(now.evidence["standard"] == s.id) & (now.evidence["effective_n"] > 0)]
        weakest = ""
        if len(ev):
            w = ev.assign(share=ev["yes"] / ev["effective_n"]).sort_values("share").iloc[0]
            weakest = f"{fw.key_question(s.id, w.key_question).short} ({_pct(w.share)} in the latest audits)"
        rows.append(
            {
                "standard": s.id,
                "label": s.name,
                **{r.label: float(g.get(r, 0.0)) for r in RATINGS},
                "most_likely": max(RATINGS, key=lambda r: float(g.get(r, 0.0))).label,
                "weakest": weakest,
                "n_new": int(kq["n_new"].max()) if len(kq) else 0,
                "basis": str(now.standards[now.standards["standard"] == s.id]["basis"].iloc[0]),
                "method": str(now.standards[now.standards["standard"] == s.id]["method"].iloc[0]),
            }
        )
    return pd.DataFrame(rows).set_index("label")


# --- Progress against the recommendations ---------------------------------------------------------------
def _measured(kqs: list[tuple[str, str]], change: pd.DataFrame) -> tuple[str, int, int, int]:
    """(words, key questions measured, clearly up, clearly down) for a recommendation's key questions."""
    if not kqs:
        return "not measured by case audits (inspectors judge it)", 0, 0, 0
    sub = change.set_index(["standard", "key_question"])
    have = [k for k in kqs if k in sub.index]
    if not have:
        return "no audit in the window answered its key questions", 0, 0, 0
    up = [k for k in have if sub.loc[k, "clear"] == "up"]
    down = [k for k in have if sub.loc[k, "clear"] == "down"]
    n = len(have)
    names = lambda ks: ", ".join(kq_label(*k) for k in ks)  # noqa: E731
    if down:
        return f"worse on {len(down)} of {n} key questions ({names(down)})", n, len(up), len(down)
    if len(up) == n:
        return f"real improvement on all {n} of its key questions", n, len(up), 0
    if up:
        return (
            f"real improvement on {len(up)} of {n} key questions ({names(up)}); no clear change on the rest",
            n,
            len(up),
            0,
        )
    return f"no clear change on its {n} key question{'s' if n != 1 else ''}", n, 0, 0


def agreement(status: str | None, measured: int, up: int, down: int) -> str:
    """Whether a reported status and the measured change agree: 'agree', a reason they disagree, or
    'cannot compare'. A status 'on track' disagrees with no measured improvement (or a decline); 'off
    track' with a real improvement; 'at risk' with a real improvement on every key question (the
    audits show more than reported) or a decline."""
    if status is None:
        return "cannot compare: no status reported"
    if measured == 0:
        return "cannot compare: not measured by audits"
    if status == "on track" and (up == 0 or down):
        return "disagree: reported on track, but the audits show no real improvement"
    if status == "off track" and up:
        return "disagree: reported off track, but the audits show a real improvement"
    if status == "at risk" and down:
        return "disagree: reported at risk, but the audits show a decline"
    if status == "at risk" and up == measured:
        return "disagree: reported at risk, but the audits show a real improvement on every key question"
    return "agree"


def combined_agreement(
    status: str | None, month: str, then: tuple[int, int, int] | None, now: tuple[int, int, int]
) -> str:
    """Agreement of a reported status with the audits by its date and now: 'agree'; 'disagree: ...'
    (with the audits of the window up to the status date); 'out of date: ...' (agreed then, but the
    audits since disagree); or 'cannot compare: ...'."""
    first = agreement(status, *(then if then is not None else now))
    if not first.startswith("agree") or then is None:
        return (
            first if then is None or not first.startswith("disagree") else f"{first} (by {month})"
        )
    later = agreement(status, *now)
    if later.startswith("disagree"):
        reason = later.split(", but ", 1)[1]
        return f"out of date: it agreed with the audits in {month}, but since then {reason.replace('the audits show', 'they show')}"
    return "agree"


def recommendations_table(inp: AuditProgressInputs, change: pd.DataFrame) -> pd.DataFrame:
    """One row per HMIP recommendation: its key questions, the reported status and date, the measured
    change at the status date (the audits of the window up to it) and now, and whether they agree."""
    fw = framework_or_default()
    at_date: dict[str, pd.DataFrame | None] = {}
    rows = []
    for rec in inp.recommendations.itertuples():
        m = inp.mapping[inp.mapping["recommendation"] == rec.number]
        kqs = [(r.standard, r.key_question) for r in m.itertuples() if r.key_question]
        judged = sorted(
            {fw.standard(r.standard).name for r in m.itertuples() if not r.key_question}
        )
        status = date = action = None
        letter = ""
        if inp.progress is not None:
            p = inp.progress[inp.progress["recommendation"] == rec.number]
            if len(p):
                status, date, action = (
                    p["status"].iloc[0],
                    str(p["date"].iloc[0]),
                    p["action"].iloc[0],
                )
                letter = str(p["status_letter"].iloc[0]) if "status_letter" in p else ""
        measured_then = ("", 0, 0, 0)
        if date:
            if date not in at_date:
                end = (
                    pd.Period(date[:7], "M").end_time.normalize()
                    if len(date) == 7
                    else pd.Timestamp(date)
                )
                ok = inp.counts["audit_date"] <= end
                at_date[date] = change_table(inp, as_of=end) if ok.any() else None
            then = at_date[date]
            measured_then = (
                _measured(kqs, then) if then is not None else ("no audit yet by that date", 0, 0, 0)
            )
        words_now, n, up, down = _measured(kqs, change)
        rows.append(
            {
                "recommendation": int(rec.number),
                "wording": str(rec.recommendation),
                "key_questions": "; ".join(kq_label(*k) for k in kqs)
                or ("judged by inspectors: " + ", ".join(judged) if judged else "none"),
                "status": status,
                "status_letter": letter,
                "status_date": date,
                "action": action,
                "measured_at_status_date": measured_then[0] if date else "",
                "measured_now": words_now,
                "agreement": combined_agreement(
                    status, _month(date), measured_then[1:] if date else None, (n, up, down)
                ),
            }
        )
    return pd.DataFrame(rows)


# --- The worked example of the "6% uplift" ----------------------------------------------------------------
@dataclass(frozen=True)
class WorkedExample:
    """The re-audit the PDU reported, worked through: published figures, assumptions, the verdict."""

    published: tuple[str, ...]
    assumed: tuple[str, ...]
    verdict: pr.Verdict
    cases_for_power: int  # cases in each sample to detect this uplift with 80% power
    power_method: str
    series_first_audit: str  # what the (simulated) series' own Dec 2022 re-audit gives, pooled
    text: tuple[str, ...]


def worked_example(
    inp: AuditProgressInputs | None = None,
    *,
    yes_before: int = ASSUMED_BASELINE_CASES,
    n_before: int = INSPECTION_CASES,
    n_after: int = ASSUMED_REAUDIT_CASES,
    uplift_points: int = PUBLISHED_UPLIFT_POINTS,
    level: float = 0.95,
) -> WorkedExample:
    """The "6% uplift in the overall score" re-audit (Dec 2022) worked through on one key question.

    Published: the uplift of 6, the inspection's 42 cases. Assumed (not published): the 6 is
    percentage points of a share of cases judged sufficient; the re-audit read 20 cases; the share
    before was 12 of 42 (29%, near the London inspections' 25% on risk of harm assessment). The
    re-audit's count is the whole number of 20 nearest to the share before plus the uplift."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    from hmip.stats.results import method_label

    share_before = yes_before / n_before
    yes_after = int(round((share_before + uplift_points / 100) * n_after))
    v = pr.uplift_verdict(yes_before, n_before, yes_after, n_after, level=level)
    p1, p2 = share_before, share_before + uplift_points / 100
    h = abs(proportion_effectsize(p2, p1))
    need = math.ceil(
        NormalIndPower().solve_power(effect_size=h, alpha=1 - level, power=0.8, ratio=1.0)
    )
    power_method = method_label("power-arcsine") + f"; 80% power, two-sided {1 - level:g}"
    published = (
        f"The PDU reported that its internal re-audit (HMPPS operational assurance, concluded Dec 2022) "
        f'"demonstrated a {uplift_points}% uplift in the overall score".',
        f"HMIP inspected {n_before} cases in the PDU (fieldwork week of 22 Aug 2022).",
    )
    assumed = (
        f"The {uplift_points}% is {uplift_points} percentage points of a share of cases judged sufficient "
        "(the score's definition is not published).",
        f"The re-audit read {n_after} cases (its size is not published; PDU audits are usually 10 to 20 cases).",
        f"Before, {yes_before} of {n_before} cases ({_pct(share_before)}) were sufficient on the key question "
        "(not published; close to the 25% London's inspections found on assessing risk of harm).",
    )
    series = ""
    if inp is not None:
        first = inp.counts[inp.counts["audit_date"] == inp.counts["audit_date"].min()]
        ins = inp.inspection
        a = first["yes"].sum() / first["n"].sum()
        b = ins["yes"].sum() / ins["n"].sum()
        series = (
            f"In the {'simulated ' if d.is_simulated(inp.audits) else ''}audit series used here, the first audit ({first['audit_date'].iloc[0]:%d %b %Y}, "
            f"{first.groupby('audit_date')['n'].max().iloc[0]} cases) has {_pct(a)} of all key-question answers "
            f"sufficient against {_pct(b)} in the inspection sample: an uplift of {_pts(a - b)} on the "
            "same pooled measure. Pooling answers does not make the samples bigger in the way it seems, "
            "because answers about the same case tend to go together."
        )
    text = (
        f"Worked example: {v.text}",
        f"To tell a true {uplift_points}-point uplift from chance with 80% power would take about {need} "
        f"cases in each sample, against {n_before} and {n_after}.",
    )
    return WorkedExample(published, assumed, v, need, power_method, series, text)


# --- The result ----------------------------------------------------------------------------------------
@dataclass
class AuditProgress(ReportBase):
    """Everything the audit-progress report shows for one PDU, in the order it shows them."""

    inputs: AuditProgressInputs
    shares: pd.DataFrame  # each audit's share per key question, with its interval
    trend: pd.DataFrame  # per key question: the trend with its interval, adjusted p-value, words
    curves: dict  # (standard, key_question) -> fitted share over time with its band
    now: pr.InspectionNow | None  # "if inspected now"
    standards_now: pd.DataFrame | None  # per case-sample standard: chance of each rating
    change: pd.DataFrame  # latest audits against the inspection, per key question
    recommendations: pd.DataFrame  # progress against the recommendations, measured
    example: WorkedExample
    notes: list[str] = field(default_factory=list)

    index_group: ClassVar[str] = "each PDU"

    def report_inputs(self) -> ReportInputs:
        return ReportInputs(self.inputs.parameters, self.inputs.loaded)

    def main_points(self) -> list:
        return main_points(self)

    def methods_used(self) -> list[str]:
        return methods(self)

    @property
    def audits_simulated(self) -> bool:
        """True when the audit series itself is simulated (from the data layer)."""
        return d.is_simulated(self.inputs.audits)

    @property
    def pdu(self) -> str:
        return self.inputs.pdu


def prepare(*, framework: Framework | None = None, **parameters: object) -> AuditProgress:
    """Validate the notebook's parameters, load the data and compute everything the report shows.
    Takes the notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    shares = pr.audit_shares(inp.counts, level=inp.level)
    shares["label"] = [
        kq_label(s, k, fw) for s, k in zip(shares["standard"], shares["key_question"], strict=True)
    ]
    trend = trend_table(inp.counts, inp.inspection_date, level=inp.level, adjust=inp.adjust)
    trend["label"] = [
        kq_label(s, k, fw) for s, k in zip(trend["standard"], trend["key_question"], strict=True)
    ]
    trend["words"] = [trend_words(r, inp.level) for r in trend.to_dict("records")]
    now = inspection_now(inp)
    change = change_table(inp)
    return AuditProgress(
        inputs=inp,
        shares=shares,
        trend=trend,
        curves=curves(inp.counts, trend, inp.inspection_date, level=inp.level),
        now=now,
        standards_now=None if now is None else standards_now(now, fw),
        change=change,
        recommendations=recommendations_table(inp, change),
        example=worked_example(inp, level=inp.level),
    )


# --- What the report says --------------------------------------------------------------------------------
def _std_names(keys, framework: Framework | None = None) -> list[str]:
    fw = framework_or_default(framework)
    return list(dict.fromkeys(fw.standard(s).name for s, _ in keys))


def _grouped_kqs(keys, framework: Framework | None = None) -> str:
    """'keeping other people safe in Assessment, Planning and Reviewing' (grouped by key question)."""
    from hmip.analyses.words import join_words

    fw = framework_or_default(framework)
    by_kq: dict[str, list[str]] = {}
    for s, k in keys:
        by_kq.setdefault(fw.key_question(s, k).short, []).append(fw.standard(s).name)
    return join_words([f"'{kq}' in {join_words(stds)}" for kq, stds in by_kq.items()])


def latest_words(result: AuditProgress) -> str:
    """'the PDU's own audits of the last 12 months (80 cases)'."""
    window = result.inputs.window_months or 12
    n = int(result.change["n_after"].max()) if len(result.change) else 0
    return f"the PDU's own audits of the last {window} months ({n} cases)"


def evidence_sentence(result: AuditProgress):
    """Main point 1: is there evidence of improvement since the inspection, where, how strong."""
    from hmip.analyses.words import SimulatedMark, sentence

    sim = SimulatedMark() if result.audits_simulated else ""
    ch = result.change
    up = ch[ch["clear"] == "up"]
    down = ch[ch["clear"] == "down"]
    n = len(ch)
    latest = latest_words(result)
    if up.empty and down.empty:
        return sentence(
            f"There is no evidence yet of a real change since the inspection: on all {n} key questions, "
            f"{latest} differ from the inspection by no more than chance alone gives with samples this size",
            sim,
            ".",
        )
    keys = list(zip(up["standard"], up["key_question"], strict=True))
    latest = latest_words(result)
    if len(up):
        best = up.sort_values("estimate", ascending=False).iloc[0]
        text = (
            f"Compared with the inspection, {latest} show a real improvement on {len(up)} of {n} key "
            f"questions, more than chance alone gives even allowing for {n} comparisons: "
            f"{_grouped_kqs(keys)}. The largest is {best['label']}, from {_pct(best['share_before'])} "
            f"to {_pct(best['share_after'])} of cases sufficient"
        )
    else:
        text = (
            f"Compared with the inspection, {latest} show no real improvement on any key question"
        )
    if len(down):
        text += f". They are worse on {len(down)}: " + ", ".join(down["label"])
    return sentence(text, sim, ".")


def rest_sentence(result: AuditProgress):
    """Main point 2: the other key questions, and whether the audits are still rising."""
    from hmip.analyses.words import SimulatedMark, sentence

    sim = SimulatedMark() if result.audits_simulated else ""
    ch, t = result.change, result.trend
    rest = ch[ch["clear"] == ""]
    rising = t[t["clear"] == "up"]
    parts = []
    if len(rest):
        parts.append(
            f"On the other {len(rest)} key questions, including every one on engaging the person and on "
            "desistance, the change is within what chance alone gives"
            if set(rest["key_question"]) >= {"engagement", "desistance"}
            and not (set(ch[ch["clear"] != ""]["key_question"]) & {"engagement", "desistance"})
            else f"On the other {len(rest)} key questions the change is within what chance alone gives"
        )
    if len(rising):
        parts.append(
            f"the audits are still rising, year on year, on {len(rising)}: "
            + _grouped_kqs(list(zip(rising["standard"], rising["key_question"], strict=True)))
        )
    else:
        parts.append("no key question shows a clear trend across the audits")
    return sentence("; ".join(parts)[:1].upper() + "; ".join(parts)[1:], sim, ".")


def now_sentences(result: AuditProgress) -> list:
    """Main points 3 and 4: what a fresh inspection sample would most likely give now."""
    from hmip.analyses.words import (
        RatingMention,
        SimulatedMark,
        chance_in_words,
        count_words,
        join_words,
        sentence,
    )

    if result.now is None or result.standards_now is None:
        return [
            sentence(
                "What a fresh inspection would give cannot be said: at least one of the PDU's published "
                "ratings is not known."
            )
        ]
    sim = SimulatedMark() if result.audits_simulated else ""
    s = result.standards_now
    n = result.inputs.fresh_n
    groups: dict[str, list[tuple[str, float]]] = {}
    for label, r in s.iterrows():
        groups.setdefault(r["most_likely"], []).append((label, float(r[r["most_likely"]])))
    fw = framework_or_default()
    out = []
    if len(groups) == 1:
        rating, items = next(iter(groups.items()))
        (lo_name, lo), (hi_name, hi) = (
            min(items, key=lambda x: x[1]),
            max(items, key=lambda x: x[1]),
        )
        still = all(result.inputs.published.get(x.id) == rating for x in fw.case_sample_standards)
        parts: list = [
            f"If HMIP inspected {n} cases now, all {count_words(len(items))} case-sample standards "
            f"would most likely {'still ' if still else ''}be rated ",
            RatingMention(rating),
            f" (chances from {_pct(lo)} for {lo_name} to {_pct(hi)} for {hi_name})",
        ]
    else:
        parts = [f"If HMIP inspected {n} cases now, the most likely rating for "]
        for i, (rating, items) in enumerate(groups.items()):
            if i:
                parts.append("; for ")
            parts += [
                f"{join_words([lab for lab, _ in items])} is ",
                RatingMention(rating),
                f" (chance {join_words([_pct(p) for _, p in items])})",
            ]
    weakest = [float(x.split("(")[-1].split("%")[0]) for x in s["weakest"] if x]
    if list(groups) == [Rating.INADEQUATE.label] and weakest:
        lo, hi = min(weakest), max(weakest)
        span = f"{lo:.0f}%" if lo == hi else f"{lo:.0f}% to {hi:.0f}%"
        line = f"{100 * float(fw.thresholds[0][1]):.0f}%"
        parts.append(
            f": each is held down by its weakest key question, at {span} sufficient in the latest "
            f"audits, below or at the {line} line between Inadequate and Requires improvement"
        )
    out.append(sentence(*parts, sim, "."))
    overall = result.now.overall.set_index("rating")["probability"]
    best = overall.idxmax()
    others = [(r, float(p)) for r, p in overall.items() if r != best and p >= 0.005]
    judged = {result.inputs.published[x.id] for x in fw.judgement_standards}
    held = join_words(sorted(j for j in judged if j))
    parts = [
        f"Overall, a fresh {n}-case inspection would most likely rate the PDU ",
        RatingMention(best.label),
        f" ({_pct(float(overall[best]))}, {chance_in_words(float(overall[best]))})",
    ]
    if others:
        parts.append(" rather than " + join_words([f"{r.label} ({_pct(p)})" for r, p in others]))
    points, _ = published_points(result)
    step = next_band(points)
    if step is not None and step[1] == 1 and set(s["most_likely"]) == {Rating.INADEQUATE.label}:
        if best == step[0]:
            parts.append(
                f": it had {points} points at the inspection, one short of {step[0].label}, so any "
                "one case-sample standard moving up a band would be enough"
            )
    parts.append(
        f" (assuming the four organisational delivery standards stay at their published {held})"
    )
    out.append(sentence(*parts, sim, "."))
    return out


def recommendations_sentence(result: AuditProgress):
    from hmip.analyses.words import SimulatedMark, join_words, sentence

    recs = result.recommendations
    if result.inputs.progress is None:
        return ""
    dis = recs[recs["agreement"].str.startswith("disagree")]
    old = recs[recs["agreement"].str.startswith("out of date")]
    sim = (
        SimulatedMark("illustrative")
        if "example" in str(result.parameters.get("progress_path", ""))
        else ""
    )
    if dis.empty and old.empty:
        return sentence(
            "Where the audits measure a recommendation, the reported progress agrees with them",
            sim,
            ".",
        )
    parts = []
    if len(dis):
        parts.append(
            "The reported progress disagrees with the audits for "
            + join_words(
                [
                    f"recommendation {r.recommendation} (reported {r.status}, but "
                    f"{r.agreement.split(', but ', 1)[1].split(' (by ')[0]})"
                    for r in dis.itertuples()
                ]
            )
        )
    if len(old):
        month = _month(old["status_date"].iloc[0])
        items = [
            f"{r.recommendation} ({r.status}; the audits now show a real improvement on "
            f"{_measured_short(r.measured_now)})"
            for r in old.itertuples()
        ]
        parts.append(
            f"the status reported in {month} for recommendation{'s' if len(old) > 1 else ''} "
            + join_words(items)
            + " is out of date"
        )
    text = "; ".join(parts)
    return sentence(text[:1].upper() + text[1:], sim, ".")


def _measured_short(words: str) -> str:
    """'all 4 of its key questions' / '2 of 3 key questions' from the measured words."""
    head = words.replace("real improvement on ", "").split(" (")[0].split(";")[0]
    if head.startswith("all "):
        return head
    k, _, rest = head.partition(" of ")
    return f"{k} of its {rest.replace(' key questions', '')} key questions"


def _month(date: str | None) -> str:
    from hmip.analyses.words import date_words

    return date_words(str(date)) if date else "an unknown month"


def main_points(result: AuditProgress) -> list:
    """At most five plain-English sentences: evidence of improvement (where, how strong), the rest,
    what a fresh inspection sample would most likely give now (standards, then overall), and where
    reported progress disagrees with the audits."""
    points = [evidence_sentence(result), rest_sentence(result), *now_sentences(result)]
    rec = recommendations_sentence(result)
    if rec:
        points.append(rec)
    return points[:5]


def simulated_notice(result: AuditProgress) -> str:
    """What is simulated or illustrative, in one paragraph ('' when nothing is)."""
    parts = []
    if result.audits_simulated:
        parts.append(
            "The audit series is SIMULATED: made up by the project's seeded simulation to show how the "
            "analysis works (quarterly audits of 20 cases from Dec 2022, improving on the 'keeping other "
            "people safe' questions and not on others). It is not the PDU's real audit results."
        )
    if d.is_simulated(result.inputs.inspection):
        parts.append(
            "The inspection's case sample is simulated too (HMIP does not publish its cases); the "
            "published ratings are real."
        )
    if result.inputs.progress is not None and "example" in str(
        result.parameters.get("progress_path", "")
    ):
        parts.append(
            "The reported progress is an illustrative example, not the PDU's real progress."
        )
    return " ".join(parts)


#: What the report shows of small counts (audit samples are counts of cases, not of people by group).
DISCLOSURE_NOTE = (
    "NHS England / OpenSAFELY rule for counts of people by personal characteristic: none are shown "
    "in this report. Case counts per audit and key question are audit and inspection sample sizes."
)


def published_points(result: AuditProgress) -> tuple[int | None, str]:
    """The PDU's published (or implied) points at the inspection, and their basis ('' if unknown)."""
    overall = d.load_published_overall()
    row = overall[overall["pdu"] == result.pdu]
    if row.empty or pd.isna(row["points"].iloc[0]):
        return None, ""
    return int(row["points"].iloc[0]), str(row["points_basis"].iloc[0])


def points_now(result: AuditProgress) -> pd.Series | None:
    """The chance of each points total with a fresh sample now (for the points chart), or None."""
    if result.now is None:
        return None
    return result.now.points.set_index("points")["probability"]


# --- Tables in words ---------------------------------------------------------------------------------------
def trend_display(result: AuditProgress) -> pd.DataFrame:
    """The trend table in words: fitted share at the first and latest audit, odds per year with its
    interval, the adjusted p-value and the verdict."""
    t = result.trend
    lv = f"{100 * result.inputs.level:g}%"
    return pd.DataFrame(
        {
            "Key question": t["label"],
            "Audits": t["audits"],
            "Fitted share, first to latest audit": [
                "" if pd.isna(a) else f"{_pct(a)} to {_pct(b)}"
                for a, b in zip(t["share_first"], t["share_last"], strict=True)
            ],
            f"Odds per year ({lv} interval)": [
                "" if pd.isna(o) else f"{o:.2f} ({lo:.2f} to {hi:.2f})"
                for o, lo, hi in zip(
                    t["odds_ratio"], t["odds_ratio_lower"], t["odds_ratio_upper"], strict=True
                )
            ],
            "Adjusted p": [
                ("" if pd.isna(p) else ("below 0.001" if p < 0.001 else f"{p:.3f}"))
                for p in t["p_adjusted"]
            ],
            "Trend": [
                {"up": "Rising", "down": "Falling"}.get(
                    c, "No clear trend" if s == "estimated" else "Cannot estimate"
                )
                for c, s in zip(t["clear"], t["status"], strict=True)
            ],
        }
    )


def change_display(result: AuditProgress) -> pd.DataFrame:
    """One row per key question: the inspection, the latest audits, the change in points, the range
    chance alone gives, the adjusted p-value and the verdict, and the trend across the audits."""
    c = result.change
    trend = result.trend.set_index(["standard", "key_question"])
    words = []
    for r in c.itertuples():
        t = (
            trend.loc[(r.standard, r.key_question)]
            if (r.standard, r.key_question) in trend.index
            else None
        )
        if t is None or t["status"] != "estimated":
            words.append("Cannot estimate")
        else:
            words.append({"up": "Rising", "down": "Falling"}.get(t["clear"], "No clear trend"))
    return pd.DataFrame(
        {
            "Key question": c["label"],
            "Inspection": [
                f"{_pct(s)} ({y} of {n})"
                for s, y, n in zip(c["share_before"], c["yes_before"], c["n_before"], strict=True)
            ],
            "Latest audits": [
                f"{_pct(s)} ({y} of {n})"
                for s, y, n in zip(c["share_after"], c["yes_after"], c["n_after"], strict=True)
            ],
            "Change (points)": [
                f"{100 * e:+.0f}" if round(100 * e) else "0" for e in c["estimate"]
            ],
            "Chance alone gives": [
                f"{100 * lo:+.0f} to {100 * hi:+.0f}"
                for lo, hi in zip(c["chance_lower"], c["chance_upper"], strict=True)
            ],
            "Adjusted p": [("below 0.001" if p < 0.001 else f"{p:.3f}") for p in c["p_adjusted"]],
            "Verdict": [
                "Real improvement"
                if k == "up"
                else "Real decline"
                if k == "down"
                else ("Not yet clear" if not w else "Within chance")
                for k, w in zip(c["clear"], c["within_chance_range"], strict=True)
            ],
            "Trend across the audits": words,
        }
    )


def overall_now_display(result: AuditProgress) -> pd.DataFrame:
    """Each overall rating, its points range and its chance with a fresh sample now."""
    from hmip.analyses.words import chance, points_scale

    overall = result.now.overall.set_index("rating")["probability"]
    _, scale = points_scale()
    ranges = {r: text for r, text in scale}
    return pd.DataFrame(
        {
            "Overall rating": [r.label for r in RATINGS],
            "Points": [ranges.get(r, "") for r in RATINGS],
            "Chance with a fresh sample": [chance(float(overall.get(r, 0.0))) for r in RATINGS],
        }
    )


def next_band(points: int | None) -> tuple[Rating, int] | None:
    """(the next overall rating above ``points``, the points it needs) on the framework's full
    scale, or None (points unknown, or already at the top)."""
    from hmip.analyses.words import points_scale

    if points is None:
        return None
    _, scale = points_scale()
    for r, text in scale:
        low = int(text.split(" to ")[0])
        if low > points:
            return r, low - points
    return None


def overall_notes(result: AuditProgress) -> list[str]:
    """What the overall chances rest on: the published points and the nearest band boundary above
    them, and what was held fixed."""
    from hmip.analyses.words import count_words, points_scale

    points, basis = published_points(result)
    out = []
    if points is not None:
        _, scale = points_scale()
        here = next(
            (
                r
                for r, text in scale
                if int(text.split(" to ")[0]) <= points <= int(text.split(" to ")[1])
            ),
            None,
        )
        above = next(
            (
                (r, int(text.split(" to ")[0]))
                for r, text in scale
                if int(text.split(" to ")[0]) > points
            ),
            None,
        )
        said = {"implied": "implied by its published standard ratings"}.get(basis, basis)
        text = (
            f"At the inspection the PDU had {points} points ({said}), rated "
            f"{here.label if here else 'not known'} overall"
        )
        if above is not None:
            need = above[1] - points
            text += (
                f"; {count_words(need)} more point{'s' if need != 1 else ''} would make it "
                f"{above[0].label}: "
                f"{'one case-sample standard' if need == 1 else f'{need} case-sample standards'} "
                "moving up one band, with the other standards unchanged"
            )
        out.append(text + ".")
    if result.now is not None:
        out += list(result.now.notes)
    return out


def standards_now_display(result: AuditProgress) -> pd.DataFrame:
    s = result.standards_now
    return pd.DataFrame(
        {
            "Standard": s.index,
            "Most likely rating": s["most_likely"].to_numpy(),
            "Its chance": [float(r[r["most_likely"]]) for _, r in s.iterrows()],
            "Weakest key question now": s["weakest"].to_numpy(),
        }
    )


def _short_measure(words: str) -> str:
    """Measured words for a table cell: without the key questions' names in brackets."""
    if words.startswith("not measured"):
        return "not measured by audits"
    return words.split(" (")[0] + (
        "; no clear change on the rest" if "no clear change on the rest" in words else ""
    )


def recommendations_display(result: AuditProgress) -> pd.DataFrame:
    """The recommendations table in words: the key questions grouped by theme ('Keeping other people
    safe: Assessment, Planning'), the reported status with its month, measured then and now, and
    whether they agree."""
    fw = framework_or_default()
    r = result.recommendations
    measures = []
    for rec in r.itertuples():
        m = result.inputs.mapping[result.inputs.mapping["recommendation"] == rec.recommendation]
        keys = [(x.standard, x.key_question) for x in m.itertuples() if x.key_question]
        by_kq: dict[str, list[str]] = {}
        for std, kq in keys:
            by_kq.setdefault(_sentence_case(fw.key_question(std, kq).short), []).append(
                fw.standard(std).name
            )
        measures.append(
            "; ".join(f"{kq}: {', '.join(stds)}" for kq, stds in by_kq.items()) or rec.key_questions
        )
    return pd.DataFrame(
        {
            "No.": r["recommendation"],
            "Recommendation": r["wording"],
            "Key questions that measure it": measures,
            "Reported status": [
                "none" if s is None else f"{s} ({ltr}), {_month(dte)}"
                for s, ltr, dte in zip(
                    r["status"], r["status_letter"], r["status_date"], strict=True
                )
            ],
            "Measured by the status date": [
                _short_measure(m) if m else "" for m in r["measured_at_status_date"]
            ],
            "Measured now": [_short_measure(m) for m in r["measured_now"]],
            "Do they agree?": [a[:1].upper() + a[1:] for a in r["agreement"]],
        }
    )


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


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
    "Jeffreys",
    "Wilson",
    "p-value",
    "exact test",
    "power",
    "Benjamini-Hochberg",
    "ethnic minority",
    "percentage point",
    "Newcombe",
)


def methods(result: AuditProgress) -> list[str]:
    """How each figure was made, naming every method and level."""
    inp = result.inputs
    level = f"{100 * inp.level:g}%"
    shares = result.shares
    weighing = (
        result.now.weighting
        if result.now is not None
        else pr.weighting_text(inp.window_months, inp.half_life_months)
    )
    adjust = {"holm": "Holm's method", "bh": "the Benjamini-Hochberg method"}[inp.adjust]
    test = {"fisher": "Fisher's exact test", "boschloo": "Boschloo's exact test"}[inp.test]
    return [
        f"Each audit's share sufficient per key question, with a {shares['method'].iloc[0]} interval at the {level} level.",
        f"Trend: a binomial regression (GLM, logit link, statsmodels) of each key question's answers on years "
        f"since the inspection ({inp.inspection_date:%d %b %Y}, {inp.inspection_date_source}), on the audits only; "
        f"slope with a Wald interval at the {level} level; p-values adjusted across the key questions with "
        f"{adjust}. A key question answered by fewer than {pr.MIN_TREND_AUDITS} audits, or all yes or all no, has no trend.",
        f"If inspected now: the latest evidence is {weighing}. For each key question, a Jeffreys Beta posterior "
        f"from that evidence and its posterior predictive beta-binomial for a fresh sample of {inp.fresh_n} "
        "(key questions that apply to only some cases get their share of it); each standard takes its lowest "
        "key question's band (key questions taken as independent, exact); the overall rating by exact "
        "convolution of the standards, the four organisational delivery standards held at their published "
        "ratings. No simulation is used.",
        f"Change since the inspection: the latest audits pooled against the inspection's case sample per key "
        f"question, with a Newcombe interval for the difference, {test} (two-sided) and {adjust} across the "
        f"{len(result.change)} key questions compared; 'within what chance alone gives' is the central {level} "
        "range of the change if the true share had not moved (both samples enumerated exactly).",
        "Recommendations: each is mapped to the key questions that measure it (data file of the mapping, "
        "an assumption of the project); 'real improvement' means the adjusted test above, at the status "
        "date (the audits of the window up to it) and now.",
        "The audits are the PDU's own judgements, made with the same key questions as HMIP; comparing them "
        "with the inspection assumes the audit judges cases as strictly as inspectors do.",
        f"Sample size for the worked example: {result.example.power_method}.",
    ]


# --- The scrutiny pack's "Since the inspection" section -----------------------------------------------------
@dataclass(frozen=True)
class SinceInspection:
    """The scrutiny pack's short section for a PDU with audits: at most three main points and one
    small chart's data (per case-sample standard, its weakest key question now: the share at the
    inspection and in the latest audits, with the latest interval)."""

    pdu: str
    points: tuple
    chart: (
        pd.DataFrame
    )  # standard, label, key_question, share_before, share_after, lower, upper, n_after, clear
    simulated: bool
    window: str


def since_inspection_chart_data(result: AuditProgress) -> pd.DataFrame:
    """Per case-sample standard, its weakest key question in the latest audits: the share at the
    inspection and now, with the latest share's interval (Wilson at the report's level)."""
    from hmip.stats.intervals import share_table

    fw = framework_or_default()
    c = result.change
    rows = []
    for s in fw.case_sample_standards:
        g = c[c["standard"] == s.id]
        if g.empty:
            continue
        w = g.sort_values("share_after").iloc[0]
        rows.append(
            {
                "standard": s.id,
                "label": f"{s.name}: {fw.key_question(s.id, w['key_question']).short}",
                "key_question": w["key_question"],
                "share_before": float(w["share_before"]),
                "share_after": float(w["share_after"]),
                "yes_after": int(w["yes_after"]),
                "n_after": int(w["n_after"]),
                "clear": w["clear"],
            }
        )
    out = pd.DataFrame(rows)
    ci = share_table(
        out.assign(yes=out["yes_after"], n=out["n_after"], no=out["n_after"] - out["yes_after"]),
        level=result.inputs.level,
    )
    out["lower"], out["upper"] = ci["lower"].to_numpy(), ci["upper"].to_numpy()
    out["method"] = ci["method"].to_numpy()
    out["level"] = result.inputs.level
    return out


def pack_summary(
    pdu: str, audits: str | Path | None = None, **parameters: object
) -> SinceInspection | None:
    """The scrutiny pack's "Since the inspection" section for ``pdu``: its main points (at most three:
    evidence of improvement, what a fresh inspection would most likely give overall, and the
    simulated note when the audits are simulated) and one small chart's data; None when the audits
    hold nothing for the PDU (the section is then left out). ``audits``: the audit file or folder
    (default: the bundled SIMULATED series)."""
    from hmip.analyses.words import sentence

    try:
        result = prepare(pdu=pdu, audits_path=str(audits or ""), progress_path="none", **parameters)
    except ParameterError as exc:
        if "audits hold no cases" in str(exc) or "no cases of this PDU" in str(exc):
            return None
        raise
    points = [evidence_sentence(result)]
    now = now_sentences(result)
    points.append(now[-1])
    if result.audits_simulated:
        points.append(
            sentence(
                "These audit figures are simulated, to show the method; they are not the PDU's results."
            )
        )
    window = result.change["audit"].iloc[0]
    return SinceInspection(
        pdu=pdu,
        points=tuple(points[:3]),
        chart=since_inspection_chart_data(result),
        simulated=result.audits_simulated,
        window=window,
    )

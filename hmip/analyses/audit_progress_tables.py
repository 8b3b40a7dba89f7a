"""The audit-progress report's inputs and tables: the parameters validated and the data loaded for
one PDU (:func:`load_inputs`), then the tables the report is built from: each key question's trend
(:func:`trend_table`, :func:`curves`), the change since the inspection (:func:`change_table`), "if
inspected now" (:func:`inspection_now`, :func:`standards_now`), HMIP's recommendations measured
(:func:`recommendations_table`) and the worked example of the "6% uplift" re-audit
(:func:`worked_example`).

The report itself (:func:`hmip.analyses.audit_progress.prepare`) assembles these; what it says is
:mod:`hmip.analyses.audit_progress_words`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hmip.analyses import cache
from hmip.analyses.params import check_choice, check_level, check_path, check_positive_int
from hmip.data import loaders as d
from hmip.data.audits import audit_counts, load_audits, load_recommendation_key_questions
from hmip.errors import HmipError, ParameterError
from hmip.paths import data_dir, resolve
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats import progress as pr
from hmip.stats.progress_change import change_lead

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
    return check_path("progress_path", progress_path)


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


def _month(date: str | None) -> str:
    from hmip.analyses.words import date_words

    return date_words(str(date)) if date else "an unknown month"


# --- Per key question: shares and trends ---------------------------------------------------------------
def trend_table(
    counts: pd.DataFrame, origin: pd.Timestamp, *, level: float, adjust: str
) -> pd.DataFrame:
    """:func:`hmip.stats.progress.trend` per key question, with each p-value adjusted across the
    key questions whose trend was estimated (Holm's or Benjamini-Hochberg's), ``clear`` ('up',
    'down' or '') on the ADJUSTED p-value, and the change in share per year at the middle of the
    series (for words)."""
    t = pr.trend(counts, origin=origin, level=level)
    est = t["status"] == "estimated"
    t["p_adjusted"] = np.nan
    if est.any():
        t.loc[est, "p_adjusted"] = pr.adjusted_p_values(
            t.loc[est, "p_value"].to_numpy(float), adjust
        )
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
    return pr.trend_curves(counts, trend, origin=origin, level=level, points=40)


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
    head = f"{change_lead(diff, 'Little or no change')}, {move}"
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
    # the audit-progress report and the pack's "Since the inspection" both compare: shared
    out = cache.shared_call(
        pr.change_since_inspection,
        inp.inspection,
        inp.counts,
        pdu=inp.pdu,
        as_of=as_of,
        window_months=window,
        level=inp.level,
        test=inp.test,
        adjust=inp.adjust,
        code=cache.SAMPLING_CODE,
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
        return cache.shared_call(  # the report and the pack's section both say it: shared
            pr.inspection_now,
            inp.counts,
            inp.published,
            pdu=inp.pdu,
            n_new=inp.fresh_n,
            window_months=inp.window_months,
            half_life_months=inp.half_life_months,
            code=cache.SAMPLING_CODE,
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

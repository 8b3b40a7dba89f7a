"""What the audit-progress report says and shows: its sentences (the evidence, "if inspected now",
the recommendations), main points, the simulated notice, the display tables, the methods text, and
the data of the scrutiny pack's small "Since the inspection" chart.

Every function takes the report's result, :class:`hmip.analyses.audit_progress.AuditProgress`. This
module does not import it (that module imports this one, for the result's main points and methods),
so the result is annotated with the contract's base type.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from hmip.analyses.audit_progress_tables import RATINGS, _month, _pct
from hmip.analyses.contract import ReportBase
from hmip.analyses.glossary import RATING_TERMS
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.stats import progress as pr

#: The result these functions take: :class:`hmip.analyses.audit_progress.AuditProgress`.
AuditProgressResult = ReportBase


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


def latest_words(result: AuditProgressResult) -> str:
    """'the PDU's own audits of the last 12 months (80 cases)'."""
    window = result.inputs.window_months or 12
    n = int(result.change["n_after"].max()) if len(result.change) else 0
    return f"the PDU's own audits of the last {window} months ({n} cases)"


def evidence_sentence(result: AuditProgressResult):
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


def rest_sentence(result: AuditProgressResult):
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


def now_sentences(result: AuditProgressResult) -> list:
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
    points, basis = published_points(result)
    step = next_band(points)
    rated = _published_rating(result)
    if rated:  # the real rating, said beside the simulated one, so neither is read as the other
        parts += ["; HMIP rated it ", RatingMention(rated), " at the inspection"]
        if points is not None:
            parts.append(
                f", with {points} points"
                + (" (implied by its published standard ratings)" if basis == "implied" else "")
            )
    if step is not None and step[1] == 1 and set(s["most_likely"]) == {Rating.INADEQUATE.label}:
        if best == step[0]:
            parts.append(
                f"{',' if rated else ': it had ' + str(points) + ' points at the inspection,'} one "
                f"short of {step[0].label}, so any one case-sample standard moving up a band would be "
                "enough"
            )
    parts.append(
        f" (assuming the four organisational delivery standards stay at their published {held})"
    )
    out.append(sentence(*parts, sim, "."))
    return out


def recommendations_sentence(result: AuditProgressResult):
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


def main_points(result: AuditProgressResult) -> list:
    """At most five plain-English sentences: evidence of improvement (where, how strong), the rest,
    what a fresh inspection sample would most likely give now (standards, then overall), and where
    reported progress disagrees with the audits."""
    points = [evidence_sentence(result), rest_sentence(result), *now_sentences(result)]
    rec = recommendations_sentence(result)
    if rec:
        points.append(rec)
    return points[:5]


def simulated_notice(result: AuditProgressResult) -> str:
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


def _published_rating(result: AuditProgressResult) -> str:
    """HMIP's published overall rating of the PDU ('' if not published)."""
    overall = d.load_published_overall()
    row = overall[overall["pdu"] == result.pdu]
    if row.empty or pd.isna(row["overall_rating"].iloc[0]):
        return ""
    return str(row["overall_rating"].iloc[0])


def published_points(result: AuditProgressResult) -> tuple[int | None, str]:
    """The PDU's published (or implied) points at the inspection, and their basis ('' if unknown)."""
    overall = d.load_published_overall()
    row = overall[overall["pdu"] == result.pdu]
    if row.empty or pd.isna(row["points"].iloc[0]):
        return None, ""
    return int(row["points"].iloc[0]), str(row["points_basis"].iloc[0])


def points_now(result: AuditProgressResult) -> pd.Series | None:
    """The chance of each points total with a fresh sample now (for the points chart), or None."""
    if result.now is None:
        return None
    return result.now.points.set_index("points")["probability"]


# --- Tables in words ---------------------------------------------------------------------------------------
def trend_display(result: AuditProgressResult) -> pd.DataFrame:
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


def change_display(result: AuditProgressResult) -> pd.DataFrame:
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


def overall_now_display(result: AuditProgressResult) -> pd.DataFrame:
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


def overall_notes(result: AuditProgressResult) -> list[str]:
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


def standards_now_display(result: AuditProgressResult) -> pd.DataFrame:
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


def recommendations_display(result: AuditProgressResult) -> pd.DataFrame:
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
    *RATING_TERMS,
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


def methods(result: AuditProgressResult) -> list[str]:
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
    #: the whole report's result (its change, shares and "if inspected now"), for the pack's own
    #: short words and its workbook tables
    result: object = field(default=None, repr=False, compare=False)


def since_inspection_chart_data(result: AuditProgressResult) -> pd.DataFrame:
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

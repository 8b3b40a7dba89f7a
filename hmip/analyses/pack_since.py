"""The scrutiny pack page's "Since the inspection" section, from the PDU's own case audits: the
verdict in words, what a fresh inspection would most likely give now, and the small chart's figures
(:func:`since_section`, built on :func:`hmip.analyses.audit_progress.pack_summary`)."""

from __future__ import annotations

import pandas as pd

from hmip.analyses.pack_model import PackInputs, SinceSection
from hmip.analyses.words import NOT_PUBLISHED, percent, rating_words
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating


def _kq_themes(keys, fw: Framework) -> str:
    """'keeping other people safe' (the key questions' themes, each once)."""
    from hmip.analyses.words import join_words

    return join_words(list(dict.fromkeys(f"'{fw.key_question(s, k).short}'" for s, k in keys)))


def since_section(
    inp: PackInputs, pdu: str, *, framework: Framework | None = None
) -> SinceSection | None:
    """The page's "Since the inspection", from :func:`hmip.analyses.audit_progress.pack_summary` (the
    audit-progress report's own figures): the verdict in words a councillor reads right, what a fresh
    inspection would most likely give now, a one-line form, and the small chart's figures (the overall
    rating at the inspection, and the chance of each now). None where the audits hold nothing for the
    PDU (the page is then unchanged)."""
    from hmip.analyses.audit_progress import pack_summary
    from hmip.analyses.audit_progress_words import (
        _grouped_kqs,
        latest_words,
        next_band,
        published_points,
    )
    from hmip.analyses.words import count_words, join_words

    fw = framework_or_default(framework)
    given = str(inp.parameters.get("cases_path", ""))
    summary = pack_summary(
        pdu,
        inp.audits_path or None,
        cases_path="" if given.startswith("(") else given,
        confidence=inp.level,
    )
    if summary is None:
        return None
    result = summary.result
    ch = result.change
    n = len(ch)
    up, down = ch[ch["clear"] == "up"], ch[ch["clear"] == "down"]
    rest = n - len(up) - len(down)
    keys_up = list(zip(up["standard"], up["key_question"], strict=True))
    keys_down = list(zip(down["standard"], down["key_question"], strict=True))
    about = latest_words(result)
    about = about[:1].upper() + about[1:]
    if up.empty and down.empty:
        verdict = (
            f"{about} show no clear change on any of the {n} key questions: every difference from "
            "the inspection is within what chance alone gives with samples this size."
        )
        short = f"no clear change on any of the {n} key questions"
    else:
        parts, shorts = [], []
        if len(up):
            parts.append(
                f"{about} show {len(up)} of {n} key questions improved, more than chance alone "
                f"would give: {_grouped_kqs(keys_up, fw)}."
            )
            shorts.append(f"improved on {len(up)} of {n} key questions ({_kq_themes(keys_up, fw)})")
        if len(down):
            parts.append(
                ("They show " if len(up) else f"{about} show ")
                + f"{len(down)} of {n} worse, more than chance alone would give: "
                f"{_grouped_kqs(keys_down, fw)}."
            )
            shorts.append(f"worse on {len(down)} ({_kq_themes(keys_down, fw)})")
        parts.append(f"No clear change on the other {rest}.")
        shorts.append(f"no clear change on {rest}")
        verdict = " ".join(parts)
        short = "; ".join(shorts)
    now_text, now_short, now_full, chances = "", "", "", []
    published = next((p for p in [_published_overall(inp, pdu)] if p), NOT_PUBLISHED)
    fresh = result.inputs.fresh_n
    if result.now is not None and result.standards_now is not None:
        overall = result.now.overall
        chances = [
            (Rating.parse(r).label, float(p)) for r, p in overall[["rating", "probability"]].values
        ]
        best, p_best = max(chances, key=lambda x: x[1])
        rw = rating_words  # every rating word with its letter, as everywhere in the pack
        likely = list(dict.fromkeys(result.standards_now["most_likely"]))
        stds = len(result.standards_now)
        now_short = (
            f"If inspected now ({fresh} cases): most likely {rw(best)} overall, {percent(p_best)}"
        )
        if len(likely) == 1:
            still = all(
                result.inputs.published.get(s.id) == likely[0] for s in fw.case_sample_standards
            )
            tail = (
                f"; each of the {count_words(stds)} case-sample standards would most likely "
                f"{'still ' if still else ''}be {rw(likely[0])}"
            )
            if likely[0] != best:
                now_short += (
                    f"; every case-sample standard {'still ' if still else ''}most likely "
                    f"{rw(likely[0])}"
                )
                now_full = (
                    f", though every case-sample standard would most likely "
                    f"{'still ' if still else ''}be {rw(likely[0])}"
                )
        else:
            tail = "; case-sample standards most likely " + join_words(
                [
                    f"{rw(lab)} for {sum(result.standards_now['most_likely'] == lab)}"
                    for lab in likely
                ]
            )
        points, _ = published_points(result)
        step = next_band(points)
        reason = ""
        if (
            step is not None
            and step[1] == 1
            and step[0].label == best
            and likely == [Rating.INADEQUATE.label]
        ):  # why the overall rating rises while no standard is likely to
            reason = (
                f": the PDU was one point short of {rw(best)}, so one standard up a band is enough"
            )
        now_text = (
            f"If inspected now ({fresh} cases): most likely {rw(best)} overall, {percent(p_best)}"
            + (now_full if len(likely) == 1 and likely[0] != best else tail)
            + reason
            + "."
        )
    simulated = summary.simulated or d.is_simulated(inp.data.counts)
    shares = result.shares
    return SinceSection(
        about=latest_words(result).replace(" (", ", ").rstrip(")"),  # no brackets in brackets
        verdict=verdict,
        now=now_text,
        now_short=now_short + "." if now_short else "",
        short=short[:1].upper() + short[1:] + ".",
        published=published,
        chances=chances,
        fresh_n=fresh,
        simulated=simulated,
        audits_simulated=summary.simulated,
        audits=shares,
        change=ch,
        level=result.inputs.level,
        sources=tuple(d.sources(result.inputs.audits)),
    )


def _published_overall(inp: PackInputs, pdu: str) -> str | None:
    row = inp.data.overall[inp.data.overall["pdu"] == pdu]
    if row.empty or pd.isna(row["overall_rating"].iloc[0]):
        return None
    return str(row["overall_rating"].iloc[0])

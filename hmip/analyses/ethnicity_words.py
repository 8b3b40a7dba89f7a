"""What the ethnicity disproportionality report says and shows: its main points, the display tables
(not recorded, shares, comparisons, pooled estimates), the p-values in words, the forest plots to
show and the methods text.

Every function takes the report's result, :class:`hmip.analyses.ethnicity.EthnicityDisproportionality`.
This module does not import it (that module imports this one, for the result's main points and
methods), so the result is annotated with the contract's base type.
"""

from __future__ import annotations

import pandas as pd

from hmip.analyses.contract import ReportBase
from hmip.analyses.ethnicity_tables import _below_05, _kq_label

#: The result these functions take: :class:`hmip.analyses.ethnicity.EthnicityDisproportionality`.
EthnicityResult = ReportBase


# --- What the report says to readers -------------------------------------------------------------------
#: Glossary terms this report uses (each is defined at its end).
GLOSSARY_TERMS = (
    "HMIP",
    "PDU",
    "key question",
    "case sample",
    "simulated",
    "interval",
    "ethnic minority",
    "relative rate index",
    "Mantel-Haenszel",
    "Breslow-Day",
    "Benjamini-Hochberg",
    "p-value",
    "exact test",
    "power",
    "disclosure control",
    "suppressed",
    "Wilson",
    "standard",
    "risk ratio",
    "percentage point",
    "Newcombe",
    "5% level",
)


def _kq_labels(table: pd.DataFrame) -> list[str]:
    """Each row's key question in words ('Planning: keeping other people safe')."""
    return [_kq_label(a, b) for a, b in zip(table["standard"], table["key_question"], strict=True)]


def _dotted_label(value: str) -> str:
    std, _, kq = str(value).partition(".")
    return _kq_label(std, kq) if kq else str(value)


def _ratio(value: object) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def main_points(result: EthnicityResult) -> list:
    """At most five plain-English sentences: the pooled gap, whether it survives the adjustment for many
    comparisons, why single PDUs' figures are not shown, what is not recorded, and the disclosure rule."""
    from hmip.analyses.words import SimulatedMark, sentence

    sim = SimulatedMark() if result.simulated else ""
    inp = result.inputs
    ref = inp.grouping.reference
    pooled = result.pooled.copy()
    pooled["rr"] = pooled["MH risk ratio"].map(_ratio)
    pooled["lo"] = pooled["RR lower"].map(_ratio)
    pooled["hi"] = pooled["RR upper"].map(_ratio)
    shown = pooled[pooled["rr"].notna()]
    points = []
    where = (
        "in the PDU"
        if inp.pdu
        else f"across the {inp.cases['pdu'].nunique()} PDUs, comparing people within each PDU"
    )
    if len(shown):
        lower = int((shown["rr"] < 1).sum())
        groups = ", ".join(dict.fromkeys(shown["group"]))
        points.append(
            sentence(
                f"{where[0].upper() + where[1:]}, cases of people in the {groups} group were judged sufficient less "
                f"often than cases of {ref} people on {lower} of the {len(shown)} key questions examined "
                f"(risk ratios {shown['rr'].min():.2f} to {shown['rr'].max():.2f}; 1 means no difference)",
                sim,
                ".",
            )
        )
        clear = shown[(shown["hi"] < 1) | (shown["lo"] > 1)]
        for r in clear.itertuples():
            bh = str(pooled.loc[r.Index, "MH test (BH)"])
            label = _kq_label(r.standard, r.key_question).lower()
            if bh.startswith("p >="):
                points.append(
                    sentence(
                        f"On '{label}' the sample suggests a gap (the risk ratio's {100 * inp.level:g}% "
                        f"interval, {r.lo:.2f} to {r.hi:.2f}, lies wholly {'below' if r.hi < 1 else 'above'} 1, "
                        "which would mean no difference), but after allowing for testing "
                        f"{len(shown)} key questions at once (the Benjamini-Hochberg adjustment) the gap "
                        "is not clear enough to report as a finding",
                        sim,
                        ".",
                    )
                )
            else:
                points.append(
                    sentence(
                        f"On '{label}' the gap is clear even after allowing for testing {len(shown)} key "
                        f"questions at once (risk ratio {r.rr:.2f}, interval {r.lo:.2f} to {r.hi:.2f})",
                        sim,
                        ".",
                    )
                )
            break
    else:
        points.append(
            sentence(
                "There were too few cases in the groups compared to estimate a pooled gap", sim, "."
            )
        )
    comp = result.comparisons
    hidden = int(comp["note"].astype(str).str.startswith("suppressed").sum())
    if len(comp):
        points.append(
            sentence(
                f"Single PDUs' samples are too small to say: {hidden} of {len(comp)} per-PDU comparisons are "
                "suppressed (a group has fewer than 8 people, or, with the PDU's case counts public, its "
                "counts by ethnicity could be worked out), which is why the pooled figures are shown."
            )
        )
    nr = result.not_recorded
    total = nr[nr["pdu"] == "All PDUs"]
    if len(total) and str(total["not_recorded"].iloc[0]).isdigit():
        points.append(
            sentence(
                f"Ethnicity was not recorded for about {total['not_recorded'].iloc[0]} cases",
                sim,
                ".",
            )
        )
    if inp.rule.active:
        points.append(
            sentence(
                "Counts of people are rounded to the nearest 5 and counts of 1 to 7 are hidden (disclosure "
                "control), so a PDU's 42 cases show as 40, and percentages are worked out from the rounded counts."
            )
        )
    return points[:5]


#: Said under the cases table: a PDU's number of inspected cases is public elsewhere (the pack, the
#: sample-size report), so a hidden count here must not read as a secret or as a different figure.
CASES_NOTE = (
    "A PDU's number of inspected cases is public: the scrutiny pack and the sample-size reports give "
    "it. Where it is hidden here, that is only so that the number of cases with no ethnicity recorded "
    "cannot be worked out from it and the other figures shown."
)


def not_recorded_display(result: EthnicityResult) -> pd.DataFrame:
    nr = result.not_recorded
    return pd.DataFrame(
        {
            "PDU": nr["pdu"],
            "Cases": nr["cases"],
            "Ethnicity not recorded": nr["not_recorded"],
            "Note": nr["note"] if "note" in nr else "",
        }
    )


def shares_display(result: EthnicityResult) -> pd.DataFrame:
    """Shares by group for the PDU (or all PDUs pooled), in words."""
    inp = result.inputs
    s = result.shares[result.shares["pdu"] == ("All PDUs" if inp.pdu is None else inp.pdu)]
    return pd.DataFrame(
        {
            "Key question": _kq_labels(s),
            "Group": s["group"],
            "Sufficient": s["yes_display"],
            "Cases": s["n_display"],
            "Share": s["share"],
            f"{100 * inp.level:g}% interval": [
                "" if pd.isna(lo) else f"{100 * lo:.0f}% to {100 * hi:.0f}%"
                for lo, hi in zip(s["lower"], s["upper"], strict=True)
            ],
        }
    )


def comparisons_display(result: EthnicityResult) -> tuple[pd.DataFrame, str]:
    """The per-PDU comparisons that can be shown, in words, and one short line for those suppressed."""
    c = result.comparisons
    hidden = c[c["note"].astype(str).str.startswith("suppressed")]
    shown = c.drop(hidden.index)
    line = ""
    if len(hidden):
        line = (
            f"Suppressed: {len(hidden)} of {len(c)} per-PDU comparisons (fewer than 8 people in a group) in "
            + ", ".join(dict.fromkeys(hidden["PDU"]))
            + ". The pooled figures below use every case."
        )
    table = pd.DataFrame(
        {
            "PDU": shown["PDU"],
            "Key question": shown["key question"].map(_dotted_label),
            "Group": shown["group"],
            "Cases (group)": shown["n group"],
            "Cases (reference)": shown["n reference"],
            "Share (group)": shown["share group"],
            "Share (reference)": shown["share reference"],
            "Relative rate index": shown["RRI"].map(lambda v: "" if pd.isna(v) else f"{v:.2f}"),
            "Difference (percentage points)": [
                "" if pd.isna(d) else f"{100 * d:+.0f} ({100 * lo:+.0f} to {100 * hi:+.0f})"
                for d, lo, hi in zip(
                    shown["difference"], shown["diff lower"], shown["diff upper"], strict=True
                )
            ],
            "Clear after allowing for many comparisons?": shown["p (BH)"].map(
                lambda v: (
                    "" if pd.isna(v) else p_words(f"p = {v:.2f}" if v >= 0.001 else "p < 0.001")
                )
            ),
        }
    )
    return table, line


def pooled_display(result: EthnicityResult) -> pd.DataFrame:
    p = result.pooled
    return pd.DataFrame(
        {
            "Key question": _kq_labels(p),
            "Group": p["group"],
            "PDUs": p["strata"],
            "Cases (group)": p["n_group"],
            "Cases (reference)": p["n_reference"],
            "Risk ratio": p["MH risk ratio"],
            "Interval": [
                f"{a} to {b}" if str(a) not in ("", "nan") else ""
                for a, b in zip(p["RR lower"], p["RR upper"], strict=True)
            ],
            "Gap clear?": [
                p_words(t) if str(t) not in ("", "nan") else _mh_not_done(note)
                for t, note in zip(p["MH test"], p.get("note", [""] * len(p)), strict=True)
            ],
            "Clear after allowing for many comparisons?": [
                p_words(t) if str(t) not in ("", "nan") else "not tested" for t in p["MH test (BH)"]
            ],
            "Gap differs between PDUs?": [
                p_words(t, yes="it may", no="no sign")
                if str(t) not in ("", "nan")
                else "cannot be tested"
                for t in p["Breslow-Day"]
            ],
        }
    )


def p_words(band: str, *, yes: str = "yes", no: str = "no") -> str:
    """A p-value band in words a lay reader reads right: "no (p >= 0.05)", "yes (p < 0.001)": yes where
    chance alone would give such a gap less than 1 time in 20 (the 5% level)."""
    band = str(band).strip()
    if not band or band == "nan":
        return ""
    return f"{yes if _below_05(band) else no} ({band})"


def _mh_not_done(note: object) -> str:
    """Why the pooled test has no result, in words (the pooled analysis's note, else a general reason)."""
    note = "" if note is None or (isinstance(note, float) and pd.isna(note)) else str(note).strip()
    return note or (
        "cannot be done: within every PDU all the cases compared had the same outcome, so there is "
        "no variation to test"
    )


def forests_to_show(result: EthnicityResult) -> list[tuple[str, pd.DataFrame]]:
    """Forest plots that have at least one PDU shown (an all-suppressed plot would be empty)."""
    out = []
    for title, rows in result.forest:
        per_pdu = rows[~rows["label"].astype(str).str.startswith("All PDUs")]
        if per_pdu["estimate"].notna().any():
            out.append((title, rows))
    return out


def methods(result: EthnicityResult) -> list[str]:
    inp = result.inputs
    return [
        f"Shares by group: Wilson score {100 * inp.level:g}% intervals, computed from the rounded counts shown.",
        "Each group against the reference group within a PDU: relative rate index with Koopman's score "
        "interval, difference with Newcombe's interval, and "
        + ("Boschloo's" if inp.test == "boschloo" else "Fisher's")
        + " exact test, all from the rounded counts shown; Benjamini-Hochberg over the per-PDU comparisons.",
        "Pooled across PDUs: Mantel-Haenszel risk and odds ratios with PDUs as strata (Greenland-Robins "
        "interval), the Mantel-Haenszel test, Benjamini-Hochberg over the pooled tests, and the Breslow-Day test "
        "of whether the gap differs between PDUs; ratios shown to 2 decimal places and p-values as bands.",
        f"Disclosure control: {inp.rule.describe()}",
        *([result.release_note] if getattr(result, "release_note", "") else []),
    ]

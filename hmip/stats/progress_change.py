"""The change since the inspection: pooled latest audits (or each audit) against the inspection sample
per key question, exact tests with Holm or Benjamini-Hochberg adjustment, the range chance alone gives
and the verdict in words. Part of :mod:`hmip.stats.progress`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from hmip.rules.framework import Framework
from hmip.stats.checks import proportion, whole_number
from hmip.stats.progress_now import _weighting, latest_evidence
from hmip.stats.progress_trend import (
    ADJUSTMENTS,
    KEYS,
    TESTS,
    ProgressError,
    _fw,
    _select_pdu,
    adjusted_p_values,
    check_audit_counts,
)
from hmip.stats.results import check_level, method_label
from hmip.stats.sampling import (
    compare_samples,
)


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


def change_lead(diff: float, nothing: str) -> str:
    """A change of shares in words: 'An uplift of 6 points', 'A fall of 1 point', or ``nothing``
    where it rounds to 0 points."""
    if round(diff * 100) == 0:
        return nothing
    return f"An uplift of {_pts(diff)}" if diff > 0 else f"A fall of {_pts(diff)}"


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
    head = f"{change_lead(diff, 'A change of less than 1 point')} ({move})"
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
        out.loc[idx, "p_adjusted"] = adjusted_p_values(p, adjust)
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

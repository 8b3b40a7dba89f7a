"""The disclosure audit's world: true counts held as arrays, and what the ethnicity report shows of
them.

:class:`ShownWorld` holds one world (yes and no per PDU, key question and group; cases per PDU and
group), the codes the rule gives each count and total, the pooled Mantel-Haenszel estimates from the
true counts and how they are shown (ratios to 2 d.p., p-values as bands, Benjamini-Hochberg over the
pooled tests shown), and, given what is suppressed (``off``), the tables the report shows. The twin
search that decides what to suppress is :class:`hmip.stats.disclosure_audit.DisclosureAudit`.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from hmip.data.ethnicity import NOT_RECORDED
from hmip.errors import DisclosureError
from hmip.stats.disclosure import (
    TOTALS_TRUE,
    DisclosureRule,
    count_codes,
    mantel_haenszel_batch,
    p_band,
    round_ratio,
    row_codes,
)
from hmip.stats.disproportionality import Grouping, pooled_analysis

#: The pooled estimates shown (ratios at 2 d.p.), then the MH test and Breslow-Day p-values as bands.
MH_RATIOS = ("mh_risk_ratio", "rr_lower", "rr_upper", "mh_odds_ratio", "or_lower", "or_upper")
ALL_PDUS = "All PDUs"


def _key(v: object) -> object:
    """A shown value, comparable (NaN equals NaN)."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return repr(v)
    return v


@dataclass
class _World:
    """True counts as arrays: yes and no per (PDU, key question, group); cases per (PDU, group)."""

    pdus: list[str]
    kqs: list[tuple[str, str]]
    groups: list[str]
    Y: np.ndarray
    O: np.ndarray
    N: np.ndarray

    @classmethod
    def of(cls, counts: pd.DataFrame, sizes: pd.DataFrame) -> _World:
        pdus = list(dict.fromkeys([*sizes["pdu"], *counts["pdu"]]))
        kqs = list(dict.fromkeys(zip(counts["standard"], counts["key_question"], strict=True)))
        groups = list(dict.fromkeys([*sizes["group"], *counts["group"]]))
        pi = {p: i for i, p in enumerate(pdus)}
        qi = {k: i for i, k in enumerate(kqs)}
        gi = {g: i for i, g in enumerate(groups)}
        Y = np.zeros((len(pdus), len(kqs), len(groups)), dtype=int)
        O = np.zeros_like(Y)
        N = np.zeros((len(pdus), len(groups)), dtype=int)
        for r in sizes.itertuples():
            N[pi[r.pdu], gi[r.group]] = int(r.cases)
        for r in counts.itertuples():
            at = (pi[r.pdu], qi[(r.standard, r.key_question)], gi[r.group])
            Y[at], O[at] = int(r.yes), int(r.n) - int(r.yes)
        if (O < 0).any() or (Y + O > N[:, None, :]).any():
            raise DisclosureError(
                "counts do not fit the group sizes: yes <= n <= cases of the group is needed"
            )
        return cls(pdus, kqs, groups, Y, O, N)

    def counts(self, q: int, Yq: np.ndarray, Oq: np.ndarray, label: str) -> list[dict]:
        std, _ = self.kqs[q]
        return [
            {
                "pdu": p,
                "standard": std,
                "key_question": label,
                "group": g,
                "yes": int(Yq[i, j]),
                "n": int(Yq[i, j] + Oq[i, j]),
            }
            for i, p in enumerate(self.pdus)
            for j, g in enumerate(self.groups)
            if self.N[i, j] > 0
        ]


@dataclass
class Twin:
    """A different world, as changes to the true one: per key question q, (d yes, d no) per (PDU,
    group); and d cases per (PDU, group)."""

    changes: dict
    dN: np.ndarray
    raw: dict | None = None  # its pooled estimates, where it changes them (kept to re-check bands)


class ShownWorld:
    """One world as arrays and what the report shows of it: the rule's codes for every count and
    total, the pooled estimates from the true counts at their shown precision, and (with ``off``,
    what is suppressed) the tables shown. :class:`hmip.stats.disclosure_audit.DisclosureAudit` adds
    the twin search."""

    def __init__(
        self, w: _World, grouping: Grouping, rule: DisclosureRule, level: float, totals: bool
    ):
        self.w, self.rule, self.level, self.grouping = w, rule, level, grouping
        gi = {g: i for i, g in enumerate(w.groups)}
        self.ref = gi.get(grouping.reference)
        self.nr = gi.get(NOT_RECORDED)
        self.compared = (
            [g for g in range(len(w.groups)) if g not in (self.ref, self.nr)]
            if self.ref is not None
            else []
        )
        self.totals = totals
        self.t = rule.threshold
        self.off: set[tuple] = set()  # suppressed: ("total", q, g), ("mh", q, g), ("nr", cell)
        self.raw: dict = {}
        for part in self._pooled([(q, w.Y[:, q], w.O[:, q]) for q in range(len(w.kqs))]):
            self.raw.update(part)
        self._base_codes()

    def _base_codes(self) -> None:
        w, r = self.w, self.rule
        self.codes = [row_codes(w.Y[:, q], w.O[:, q], r) for q in range(len(w.kqs))]
        self.t_codes = [row_codes(w.Y[:, q].sum(0), w.O[:, q].sum(0), r) for q in range(len(w.kqs))]
        self.mh_base = {}
        for q in range(len(w.kqs)):
            for g in self.compared:
                strata = self._strata(q, g)
                self.mh_base[(q, g)] = np.round(
                    mantel_haenszel_batch(self._tables(q, g, strata), self.level), 2
                )

    # -- pooled estimates: the one statistic computed from true counts --------------------------------
    def _pooled(self, items: list[tuple[int, np.ndarray, np.ndarray]]) -> list[dict]:
        """MH rows for each item (q, yes, no): [{(q, g): row of pooled_analysis}], in one call."""
        if not self.compared or not items:
            return [{} for _ in items]
        rows = []
        for i, (q, Yq, Oq) in enumerate(items):
            rows += self.w.counts(q, Yq, Oq, f"{i}")
        with warnings.catch_warnings():  # degenerate strata of candidate twins: NaN is the answer
            warnings.simplefilter("ignore", RuntimeWarning)
            table = pooled_analysis(pd.DataFrame(rows), self.grouping, level=self.level)
        out: list[dict] = [{} for _ in items]
        gi = {g: j for j, g in enumerate(self.w.groups)}
        for r in table.to_dict("records"):
            i = int(r["key_question"])
            out[i][(items[i][0], gi[r["group"]])] = r
        return out

    def mh_estimable(self, q: int, g: int) -> bool:
        """Pooled estimates are shown only with at least two PDUs in which both groups have more than
        the threshold of people (their counts shown): with fewer, the pooled estimate is little more
        than one PDU's comparison, and it could not be shown without revealing that PDU's counts."""
        w, t = self.w, self.t or 0
        n = w.Y[:, q] + w.O[:, q]
        return int(((n[:, g] > t) & (n[:, self.ref] > t)).sum()) >= 2

    def mh_shown(self, q: int, g: int) -> bool:
        raw = self.raw.get((q, g))
        return (
            raw is not None
            and raw.get("strata", 0) >= 2
            and self.mh_estimable(q, g)
            and ("mh", q, g) not in self.off
        )

    def mh_display(self, raw: dict | None) -> tuple:
        if raw is None:
            return ("none",)
        return tuple(_key(round_ratio(raw.get(c, np.nan), self.rule)) for c in MH_RATIOS) + (
            p_band(raw.get("mh_p_value", np.nan), self.rule),
            p_band(raw.get("breslow_day_p", np.nan), self.rule),
        )

    def bh(self, raw: dict, ignore: frozenset = frozenset()) -> dict:
        """Benjamini-Hochberg over the pooled tests shown (one family), as bands."""
        keys = [
            k
            for k in sorted(raw)
            if self.mh_shown(*k)
            and ("mh", *k) not in ignore
            and np.isfinite(raw[k].get("mh_p_value", np.nan))
        ]
        if not keys:
            return {}
        adj = multipletests([raw[k]["mh_p_value"] for k in keys], method="fdr_bh")[1]
        return {k: p_band(p, self.rule) for k, p in zip(keys, adj, strict=True)}

    def _strata(self, q: int, g: int) -> np.ndarray:
        w, ref = self.w, self.ref
        return (
            (w.N[:, g] > 0)
            & (w.N[:, ref] > 0)
            & (w.Y[:, q, g] + w.O[:, q, g] > 0)
            & (w.Y[:, q, ref] + w.O[:, q, ref] > 0)
        )

    def _tables(
        self,
        q: int,
        g: int,
        strata: np.ndarray,
        dY: np.ndarray | None = None,
        dO: np.ndarray | None = None,
    ) -> np.ndarray:
        w, ref = self.w, self.ref
        base = np.stack(
            [w.Y[strata, q, g], w.O[strata, q, g], w.Y[strata, q, ref], w.O[strata, q, ref]], -1
        )
        if dY is None:
            return base
        return base[None] + np.stack(
            [dY[:, strata, g], dO[:, strata, g], dY[:, strata, ref], dO[:, strata, ref]], -1
        )

    def twin_tables(self, twin: Twin) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(counts, sizes) of a twin world, as ``group_counts`` and ``group_sizes`` give them."""
        w = self.w
        Y, O, N = w.Y.copy(), w.O.copy(), w.N + twin.dN
        for q, (dY, dO) in twin.changes.items():
            Y[:, q] += dY
            O[:, q] += dO
        rows = []
        for q, (_, kq) in enumerate(w.kqs):
            for r in _World(w.pdus, w.kqs, w.groups, Y, O, N).counts(q, Y[:, q], O[:, q], kq):
                rows.append(r)
        sizes = [
            {"pdu": p, "group": g, "cases": int(N[i, j])}
            for i, p in enumerate(w.pdus)
            for j, g in enumerate(w.groups)
            if N[i, j] > 0
        ]
        return pd.DataFrame(rows), pd.DataFrame(sizes)

    # -- what is shown, once the audit has settled -------------------------------------------------------
    def _shown(self, code: float):
        if code == -1:
            return self.rule.marker
        return int(code)

    def shown_counts(self) -> pd.DataFrame:
        """Per PDU, key question and group (and "All PDUs" totals): the counts shown."""
        w, r, out = self.w, self.rule, []
        secondary = (
            "suppressed so that no count can be worked out from the total (secondary suppression)"
        )
        total_note = TOTALS_TRUE if r.active else "total: the sum of the true counts"
        for q, (std, kq) in enumerate(w.kqs):
            blocks = [(p, w.Y[p, q], w.O[p, q], w.N[p] > 0) for p in range(len(w.pdus))]
            if self.totals:
                blocks.append((None, w.Y[:, q].sum(0), w.O[:, q].sum(0), w.N.sum(0) > 0))
            for p, Yq, Oq, present in blocks:
                yc, nc = row_codes(Yq, Oq, r)
                for g in np.flatnonzero(present):
                    off = p is None and ("total", q, g) in self.off
                    out.append(
                        {
                            "pdu": ALL_PDUS if p is None else w.pdus[p],
                            "standard": std,
                            "key_question": kq,
                            "group": w.groups[g],
                            "yes_display": r.marker if off else self._shown(yc[g]),
                            "n_display": r.marker if off else self._shown(nc[g]),
                            "yes_rounded": np.nan if off or yc[g] == -1 else float(yc[g]),
                            "n_rounded": np.nan if off or nc[g] == -1 else float(nc[g]),
                            "suppressed": bool(off or yc[g] == -1),
                            "note": secondary if off else (total_note if p is None else ""),
                        }
                    )
        return pd.DataFrame(out)

    def shown_not_recorded(self) -> pd.DataFrame:
        """Per PDU (and all PDUs): cases, and cases with ethnicity not recorded, as shown."""
        w, r, out = self.w, self.rule, []
        cases = w.N.sum(1)
        nrc = w.N[:, self.nr] if self.nr is not None else np.zeros(len(w.pdus), int)
        secondary = "suppressed so that no count can be worked out (secondary suppression)"
        total_note = TOTALS_TRUE if r.active else "total: the sum of the true counts"
        rows = [(p, w.pdus[p], cases[p], nrc[p]) for p in range(len(w.pdus))]
        if self.totals:
            rows.append((None, ALL_PDUS, cases.sum(), nrc.sum()))
        for p, name, c, k in rows:
            row = {"pdu": name}
            off = []
            for column, v in (("cases", c), ("not_recorded", k)):
                if ("nr", column if p is None else (column, p)) in self.off:
                    off.append(column)
                row[column] = r.marker if column in off else self._shown(count_codes(v, r))
            notes = [f"{' and '.join(off)} {secondary}"] if off else []
            row["note"] = "; ".join(notes + ([total_note] if p is None else []))
            out.append(row)
        return pd.DataFrame(out)[["pdu", "cases", "not_recorded", "note"]]

    def shown_pooled(self) -> pd.DataFrame:
        """Per key question and compared group: the Mantel-Haenszel estimates as shown."""
        w, r, out = self.w, self.rule, []
        bh = self.bh(self.raw)
        totals = self.shown_counts() if self.totals else None
        for (q, g), raw in self.raw.items():
            std, kq = w.kqs[q]
            shown = self.mh_shown(q, g)
            row = {
                "standard": std,
                "key_question": kq,
                "group": w.groups[g],
                "reference": self.grouping.reference,
                "strata": raw.get("strata", 0),
                "strata_left_out": raw.get("strata_left_out", 0),
            }
            for c in ("n_group", "n_reference"):
                row[c] = r.marker if r.active else raw.get(c, np.nan)
            if totals is not None and row["strata_left_out"] == 0:
                t = totals[(totals["pdu"] == ALL_PDUS) & (totals["key_question"] == kq)]
                t = t[t["standard"] == std].set_index("group")["n_display"]
                row["n_group"], row["n_reference"] = t.get(w.groups[g]), t.get(w.groups[self.ref])
            for c in MH_RATIOS:
                row[c] = round_ratio(raw.get(c, np.nan), r) if shown else np.nan
            row["mh_p"] = p_band(raw.get("mh_p_value", np.nan), r) if shown else ""
            row["p_bh"] = bh.get((q, g), "") if shown else ""
            row["breslow_day"] = p_band(raw.get("breslow_day_p", np.nan), r) if shown else ""
            row["shown"] = shown
            if shown:
                row["note"] = ""
            elif row["strata"] < 2 or not self.mh_estimable(q, g):
                row["note"] = (
                    f"not estimated: fewer than two PDUs with more than {self.t or 0} people in both "
                    "groups (see the comparison per PDU)"
                )
            else:
                row["note"] = (
                    "not shown: at the precision shown it would let a count of people be worked out"
                )
            row["methods"] = (
                f"Mantel-Haenszel from the true counts, PDUs as strata: risk ratio (Greenland-Robins "
                f"interval) and odds ratio (Robins-Breslow-Greenland interval), {100 * self.level:g}%"
                + (", ratios to 2 d.p." if r.active else "")
                + "; MH test with continuity correction; Breslow-Day heterogeneity; Benjamini-Hochberg "
                "over the pooled tests shown"
                + ("; p-values shown as bands" if r.active else "")
                + "; n from the rounded totals"
            )
            out.append(row)
        return pd.DataFrame(out)

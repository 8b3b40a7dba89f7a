"""The integer-program attacker of issue 22 (used by tests/test_disclosure_milp.py).

The attacker knows:

- the exact inspection counts: cases per PDU, and yes and n over all groups per PDU and key question
  (the London comparison, the sample-size report and the pack print them);
- how groupings nest: every group of every grouping is a union of the fine groups
  (White British, White other, Mixed, Asian, Black, Other, Not recorded), so the five groups sum to
  the binary ones;
- that in each fine group and key question, yes + no <= cases of the group (so where every case is
  judged on every question, a group's n is the same on all of them);
- every count printed, read by the rule: 0 is exact; a rounded ``s`` is ``s-2 .. s+2`` and at least
  8; a shown yes means yes, no and n are none of them 1-7 (the row rule); a marker is read as the
  output says it is made (``semantics``):

  * ``"v1"`` (the code before issue 22): a marker on n or on a not-recorded count is 1-7 (any count
    from 1 where the table calls it a secondary suppression); a marker on yes with n shown means
    yes or no is 1-7; the pack's marker means the value itself is 1-7;
  * ``"release"`` (the release decision): a marker may hide any count (0 included).

Shares, intervals, differences and exact tests are computed from the rounded counts shown, so they
add nothing; the pooled Mantel-Haenszel estimates (true counts, nonlinear) are not read.

For each count printed by ethnicity (deduplicated over all outputs) the attacker minimises and
maximises it with ``scipy.optimize.milp``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from hmip.stats.disclosure import MARKER, get_rule
from hmip.stats.release import (
    ALL_PDUS,
    GROUPINGS,
    NOT_RECORDED,
    FineWorld,
    ReleaseAudit,
    protected_range,
)

RULE = get_rule("nhs")
T = RULE.threshold


@dataclass
class Printed:
    expr: tuple  # sorted ((variable, coefficient), ...)
    kind: str
    shown: object
    where: str


@dataclass
class Attacker:
    w: FineWorld
    semantics: str = "v1"
    printed: list[Printed] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.audit = ReleaseAudit(self.w, RULE)  # only its public program and expressions
        self.prog = self.audit.public_program()
        self._seen: set = set()

    # expressions
    def _expr(self, scope: int | None, q: int | None, fine: tuple, kind: str) -> dict:
        from hmip.stats.release import _Cell

        return self.audit.expr(_Cell((), scope, q, fine, kind))

    def _add(self, e: dict, shown: object, kind: str, where: str) -> None:
        self.printed.append(Printed(tuple(sorted(e.items())), kind, shown, where))

    def _range(self, e: dict, shown: object) -> None:
        s = int(shown)
        key = (tuple(sorted(e.items())), s)
        if key in self._seen:
            return
        self._seen.add(key)
        if s == 0:
            self.prog.add(e, 0, 0)
        else:
            self.prog.add(e, max(s - 2, T + 1), s + 2)

    def _not_small(self, e: dict) -> None:
        key = (tuple(sorted(e.items())), "not small")
        if key not in self._seen:
            self._seen.add(key)
            self.prog.zero_or_at_least(e, T + 1)

    def _small(self, exprs: list[dict], secondary: bool) -> None:
        if self.semantics == "release" or secondary:
            return
        key = (tuple(tuple(sorted(e.items())) for e in exprs), "small")
        if key not in self._seen:
            self._seen.add(key)
            self.prog.any_between(exprs, 1, T)

    # readers
    def row(self, scope, q, fine, yes_shown, n_shown, *, secondary=False, where="", pack=False):
        """One printed row: yes and n of one group (pack: the pack's reading before issue 22)."""
        ey, en = self._expr(scope, q, fine, "yes"), self._expr(scope, q, fine, "n")
        eo = self._expr(scope, q, fine, "no")
        self._add(ey, yes_shown, "yes", where)
        self._add(en, n_shown, "n", where)
        if n_shown == MARKER:
            self._small([en], secondary)
        else:
            self._range(en, n_shown)
        if yes_shown == MARKER:
            if pack:
                self._small([ey], secondary)
            elif n_shown != MARKER:
                self._small([ey, eo], secondary)
        else:
            self._range(ey, yes_shown)
            if not (pack and self.semantics == "v1"):
                self._not_small(eo)
                self._not_small(en)

    def count(self, scope, fine, shown, *, secondary=False, where=""):
        e = self._expr(scope, None, fine, "nr")
        self._add(e, shown, "nr", where)
        if shown == MARKER:
            self._small([e], secondary)
        else:
            self._range(e, shown)

    def read_report(self, result, gid: str) -> None:
        """The ethnicity report's tables: shares (every count by group) and not recorded; the
        comparisons and pooled tables repeat the shares' n."""
        labels = GROUPINGS[gid][1]
        pdus, kqs = self.w.pdus, self.w.kqs
        for r in result.shares.itertuples():
            scope = None if r.pdu == ALL_PDUS else pdus.index(r.pdu)
            self.row(
                scope,
                kqs.index((r.standard, r.key_question)),
                labels[r.group],
                r.yes_display,
                r.n_display,
                secondary="secondary" in str(r.note),
                where=f"{gid}",
            )
        for r in result.not_recorded.itertuples():
            scope = None if r.pdu == ALL_PDUS else pdus.index(r.pdu)
            note = str(r.note)
            sec = "secondary" in note and "not_recorded" in note
            self.count(scope, labels[NOT_RECORDED], r.not_recorded, secondary=sec, where=gid)

    def read_pack_headline(self, pdu: str, q: int, e) -> None:
        """The pack's equality headline of one PDU (binary grouping)."""
        labels = GROUPINGS["binary"][1]
        p = self.w.pdus.index(pdu)
        for group, yes, n in (
            ("White", e.white_yes, e.white_n),
            ("Ethnic minority", e.minority_yes, e.minority_n),
        ):
            if yes is None or n is None:
                continue
            self.row(p, q, labels[group], yes, n, where="pack", pack=self.semantics == "v1")

    # the attack
    def attack(self, exact: bool = False) -> dict:
        """Min and max of every count printed (deduplicated), and the counts of the issue: with
        ``exact``, each range is found exactly where it lies within 3 of the truth (to count the
        counts recovered exactly and within 2; slower); else only as far as the guarantee needs
        (those two counts are None)."""
        x = self.w.truth()
        by_expr: dict[tuple, list[Printed]] = {}
        for p in self.printed:
            by_expr.setdefault(p.expr, []).append(p)
        rows, info = [], []
        for expr, ps in by_expr.items():
            v = int(sum(x[i] * a for i, a in expr))
            if v == 0:
                continue
            hidden = any(p.shown == MARKER for p in ps)
            rows.append(dict(expr))
            info.append((v, hidden, ps))
        n = self.w.n_vars()
        r = [i for i, e in enumerate(rows) for _ in e]
        c = [j for e in rows for j in e]
        a = [v for e in rows for v in e.values()]
        M = sparse.csr_matrix((a, (r, c)), shape=(len(rows), n))
        # what the inspection counts alone allow (a release cannot hide more than that): 0 up to
        # the public total, reached by the worlds with every case in one fine group (checked
        # against the integer program in tests/test_disclosure_milp.py)
        ext = np.array([M @ e for e in self.audit.extremes()])
        p_lo, p_hi = ext.min(axis=0), ext.max(axis=0)
        # goals: reaching both ends proves the guarantee, and (the ends within what the public
        # counts allow) a side proven out of reach is a narrowing
        want = []
        for (v, hidden, _), pa, pb in zip(info, p_lo, p_hi, strict=True):
            lo, hi = protected_range(v, RULE)
            if hidden and v > T:  # a width: one side reaching v -+ width is enough
                w_ = min(hi - lo, pb - pa)
                lo, hi = v - w_, v + w_
            else:
                lo, hi = max(lo, pa), min(hi, pb)
            want.append((min(lo, v - 3), max(hi, v + 3)) if exact else (lo, hi))
        lo, hi = self.prog.ranges(M, x, want, exact=exact)
        # where neither side of a width reached its goal, the bounds may be wider: solve exactly
        redo = [
            i
            for i, ((v, hidden, _), a_, b_, (wl, wh)) in enumerate(
                zip(info, lo, hi, want, strict=True)
            )
            if not exact and hidden and v > T and a_ > wl and b_ < wh
        ]
        if redo:
            lo[redo], hi[redo] = self.prog.ranges(
                M[redo], x, [want[i] for i in redo], self.prog.found, exact=True
            )
        out = {
            "hidden": {"attempted": 0, "exact": 0, "within 2": 0, "below full range": 0},
            "rounded": {"attempted": 0, "exact": 0, "within 2": 0, "below full range": 0},
            "narrowed": [],
        }
        for (v, hidden, ps), a_, b_, pa, pb in zip(info, lo, hi, p_lo, p_hi, strict=True):
            kind = "hidden" if hidden else "rounded"
            d = out[kind]
            d["attempted"] += 1
            plo, phi = protected_range(v, RULE)
            if not exact:  # ranges only as far as the guarantee needs: these are not measured
                d["exact"] = d["within 2"] = None
            else:
                d["exact"] += a_ == b_
                d["within 2"] += a_ >= v - 2 and b_ <= v + 2
            if hidden and v > T:
                below = b_ - a_ < min(phi - plo, pb - pa)
            else:
                below = a_ > max(plo, pa) or b_ < min(phi, pb)
            if below:
                d["below full range"] += 1
                out["narrowed"].append((ps[0].where, ps[0].kind, v, int(a_), int(b_), ps[0].expr))
        return out


def with_column(cases_csv: str, out_csv: str, plant: dict[str, list[tuple[str, int]]]) -> None:
    """A copy of a case file with the ethnicity of the first cases of some PDUs replaced:
    plant[pdu] = [(ethnicity detail, how many), ...] (in order; other cases keep theirs)."""
    import pandas as pd

    df = pd.read_csv(cases_csv, dtype=str, keep_default_na=False)
    for pdu, spec in plant.items():
        idx = list(df.index[df["pdu"] == pdu])
        values = [e for e, k in spec for _ in range(k)]
        assert len(values) <= len(idx), (pdu, len(values), len(idx))
        for i, v in zip(idx, values, strict=False):
            df.loc[i, "ethnicity"] = v
    df.to_csv(out_csv, index=False)


__all__ = ["Attacker", "with_column", "np"]

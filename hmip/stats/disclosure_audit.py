"""The disclosure audit: secondary suppression by twin worlds, on counts held as arrays.

What the ethnicity report releases is (1) every count, rounded or suppressed by the rule, with
"All PDUs" totals from the true totals, and (2) the pooled Mantel-Haenszel estimates from the true
counts, ratios to 2 d.p. and p-values as bands. :class:`DisclosureAudit` checks that every count keeps
at least two possible values given all of that, and suppresses more where not; :func:`disclosure_audit`
runs it. Pure statistics on plain arrays and pandas objects: what the report then computes and says
from the release is in :mod:`hmip.analyses.ethnicity`. The world as arrays and what the report shows
of it (the rule's codes, the pooled estimates as shown, the tables shown) are
:mod:`hmip.stats.disclosure_shown`; this module is the twin search on top.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

import numpy as np
import pandas as pd

from hmip.errors import DisclosureError
from hmip.stats.disclosure import (
    DisclosureRule,
    count_codes,
    get_rule,
    mantel_haenszel_batch,
    round_ratio,
    row_codes,
)
from hmip.stats.disclosure_shown import (  # noqa: F401
    ALL_PDUS,
    MH_RATIOS,
    ShownWorld,
    Twin,
    _key,
    _World,
)
from hmip.stats.disproportionality import Grouping

# --- What is shown, audited: no count can be worked back -------------------------------------------------
#: Changes to one row's counts tried when looking for a twin world: (yes, no, cases of the group).
_MOVES = (
    (1, -1, 0),
    (-1, 1, 0),
    (1, 0, 0),
    (-1, 0, 0),
    (0, 1, 0),
    (0, -1, 0),
    (1, 0, 1),
    (0, 1, 1),
)


class DisclosureAudit(ShownWorld):
    """Secondary suppression by twins.

    Every count shown (or hidden) must be consistent with at least two true values (two in 1-7 for
    a hidden one). The audit proves it by finding, for each count, a *twin*: a different world in
    which that count differs (a few answers moved between yes, no and n/a, or a case added, removed
    or moved to another group) and which the report shows identically: the same rounded or
    suppressed count in every cell and total, the same pooled estimates at their shown precision.
    Everything else the report shows is computed from those, so the two worlds cannot be told apart.
    Where no twin is found, the audit looks for one that changes only displays it may suppress, least
    useful first (the not-recorded totals; the cases per PDU and the "Not recorded" group's totals;
    the other group totals; the pooled estimates), and suppresses those; it repeats until every count
    has a twin. ``run`` returns what was suppressed; ``twins`` holds the proof for each count.
    """

    def __init__(
        self, w: _World, grouping: Grouping, rule: DisclosureRule, level: float, totals: bool
    ):
        super().__init__(w, grouping, rule, level, totals)
        self.twins: dict = {}  # count -> its twin, once run
        self._memo: dict = {}

    # -- the counts that need a twin ------------------------------------------------------------------
    def _cells(self) -> dict[tuple, tuple[int, bool]]:
        """Every count shown or hidden: key -> (true value, hidden by the rule)."""
        w, out = self.w, {}

        def add(key: tuple, v: int | np.integer) -> None:
            if v > 0:
                out[key] = (int(v), bool(self.t is not None and v <= self.t))

        for p in range(len(w.pdus)):
            for g in np.flatnonzero(w.N[p] > 0):
                for q in range(len(w.kqs)):
                    y, o = w.Y[p, q, g], w.O[p, q, g]
                    add(("y", p, q, g), y)
                    add(("o", p, q, g), o)
                    add(("n", p, q, g), y + o)
            add(("cases", p), w.N[p].sum())
            if self.nr is not None:
                add(("nrc", p), w.N[p, self.nr])
        if self.totals:
            for q in range(len(w.kqs)):
                for g in np.flatnonzero(w.N.sum(0) > 0):
                    y, o = w.Y[:, q, g].sum(), w.O[:, q, g].sum()
                    add(("ty", q, g), y)
                    add(("to", q, g), o)
                    add(("tn", q, g), y + o)
            add(("tcases",), w.N.sum())
            if self.nr is not None:
                add(("tnrc",), w.N[:, self.nr].sum())
        return out

    @staticmethod
    def _kq(key: tuple) -> int | None:
        if key[0] in ("y", "o", "n"):
            return key[2]
        return key[1] if key[0] in ("ty", "to", "tn") else None

    def _changes(
        self, key: tuple, dY: np.ndarray, dO: np.ndarray, dN: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(change of the count ``key``, its new value) for candidates (C, P, G) in its key question."""
        w, kind = self.w, key[0]
        if kind in ("y", "o", "n"):
            _, p, q, g = key
            d = {"y": dY[:, p, g], "o": dO[:, p, g], "n": dY[:, p, g] + dO[:, p, g]}[kind]
            base = {"y": w.Y, "o": w.O, "n": w.Y + w.O}[kind][p, q, g]
        elif kind in ("ty", "to", "tn"):
            _, q, g = key
            d = {"ty": dY[:, :, g], "to": dO[:, :, g], "tn": dY[:, :, g] + dO[:, :, g]}[kind]
            d = d.sum(1)
            base = {"ty": w.Y, "to": w.O, "tn": w.Y + w.O}[kind][:, q, g].sum()
        elif kind == "cases":
            d, base = dN[:, key[1], :].sum(1), w.N[key[1]].sum()
        elif kind == "nrc":
            d, base = dN[:, key[1], self.nr], w.N[key[1], self.nr]
        elif kind == "tcases":
            d, base = dN.sum((1, 2)), w.N.sum()
        else:  # tnrc
            d, base = dN[:, :, self.nr].sum(1), w.N[:, self.nr].sum()
        return d, base + d

    def _covers(
        self, key: tuple, hidden: bool, dY: np.ndarray, dO: np.ndarray, dN: np.ndarray
    ) -> np.ndarray:
        d, new = self._changes(key, dY, dO, dN)
        ok = d != 0
        if hidden:
            ok &= (new >= 1) & (new <= self.t)
        return ok

    def _twin_covers(self, twin: Twin, key: tuple, hidden: bool) -> bool:
        q = self._kq(key)
        zero = np.zeros_like(twin.dN)
        dY, dO = twin.changes.get(q, (zero, zero))
        return bool(self._covers(key, hidden, dY[None], dO[None], twin.dN[None])[0])

    # -- checks, vectorised over candidates ----------------------------------------------------------------
    def _check(
        self,
        q: int | None,
        dY: np.ndarray,
        dO: np.ndarray,
        dN: np.ndarray,
        ignore: frozenset = frozenset(),
        cases_only: bool = False,
    ) -> np.ndarray:
        """Candidates (C, P, G) that are possible worlds and show every count as the true world does
        (in key question q, or with q None only the cases)."""
        w, r = self.w, self.rule
        N1 = w.N[None] + dN
        ok = ((N1 >= 0) & ((N1 > 0) == (w.N > 0)[None])).reshape(len(dN), -1).all(1)
        if q is not None:
            Y1, O1 = w.Y[:, q][None] + dY, w.O[:, q][None] + dO
            ok &= ((Y1 >= 0) & (O1 >= 0) & (Y1 + O1 <= N1)).reshape(len(dY), -1).all(1)
            for new, old in zip(row_codes(Y1, O1, r), self.codes[q], strict=True):
                ok &= (new == old[None]).reshape(len(dY), -1).all(1)
            if self.totals:
                shown = [
                    g
                    for g in range(len(w.groups))
                    if ("total", q, g) not in self.off and ("total", q, g) not in ignore
                ]
                for new, old in zip(
                    row_codes(Y1.sum(1), O1.sum(1), r), self.t_codes[q], strict=True
                ):
                    ok &= (new[:, shown] == old[None, shown]).all(1)
        elif not cases_only:  # cases in a group >= its n in every key question
            ok &= (N1 >= (w.Y + w.O).max(1)[None]).reshape(len(dN), -1).all(1)
        return ok & self._nr_codes_equal(N1, ignore)

    def _nr_codes_equal(self, N1: np.ndarray, ignore: frozenset) -> np.ndarray:
        w, r = self.w, self.rule
        ok = np.ones(len(N1), bool)
        if (N1 == w.N[None]).all():  # no case added or removed: the not-recorded table is as it is
            return ok
        pairs = [("cases", N1.sum(2), w.N.sum(1))]
        if self.nr is not None:
            pairs.append(("not_recorded", N1[:, :, self.nr], w.N[:, self.nr]))
        for column, new, old in pairs:
            shown = [
                p
                for p in range(len(w.pdus))
                if ("nr", (column, p)) not in self.off and ("nr", (column, p)) not in ignore
            ]
            ok &= (count_codes(new[:, shown], r) == count_codes(old[shown], r)[None]).all(1)
            if self.totals and ("nr", column) not in self.off and ("nr", column) not in ignore:
                ok &= count_codes(new.sum(1), r) == count_codes(old.sum(), r)
        return ok

    def _mh_touched(
        self, q: int, dY: np.ndarray, dO: np.ndarray, ignore: frozenset = frozenset()
    ) -> list[tuple[np.ndarray, int]]:
        """Per MH row shown at q (and not ignored): (candidates that change its tables, group)."""
        out = []
        changed = (dY != 0) | (dO != 0)
        for g in self.compared:
            if self.mh_shown(q, g) and ("mh", q, g) not in ignore:
                out.append((changed[:, :, g].any(1) | changed[:, :, self.ref].any(1), g))
        return out

    def _mh_codes(self, tables: np.ndarray) -> np.ndarray:
        """The Mantel-Haenszel ratios and intervals at the report's level, at 2 d.p."""
        return np.round(mantel_haenszel_batch(tables, self.level), 2)

    def _screen(
        self, q: int, dY: np.ndarray, dO: np.ndarray, ignore: frozenset = frozenset()
    ) -> np.ndarray:
        """Quick vectorised MH ratios at 2 d.p. (pooled_analysis confirms them later)."""
        ok = np.ones(len(dY), bool)
        for touched, g in self._mh_touched(q, dY, dO, ignore):
            if not touched.any():
                continue
            c = self._mh_codes(self._tables(q, g, self._strata(q, g), dY[touched], dO[touched]))
            b = self.mh_base[(q, g)]
            same = ((c == b[None]) | (~np.isfinite(c) & ~np.isfinite(b)[None])).all(1)
            ok[touched] &= same
        return ok

    # -- confirmation with pooled_analysis itself (batched) ------------------------------------------------
    def _confirm(self, twins: list[Twin], ignore: frozenset = frozenset()) -> list[bool]:
        """Twins whose pooled estimates and Benjamini-Hochberg bands are as shown."""
        w = self.w
        items, owner = [], []
        for i, t in enumerate(twins):
            for q, (dY, dO) in t.changes.items():
                if any(x[0][0] for x in self._mh_touched(q, dY[None], dO[None], ignore)):
                    items.append((q, w.Y[:, q] + dY, w.O[:, q] + dO))
                    owner.append(i)
        parts = self._pooled(items)
        for i, part in zip(owner, parts, strict=True):
            twins[i].raw = {**(twins[i].raw or {}), **part}
        return [self._same(t, ignore) for t in twins]

    def _same(self, twin: Twin, ignore: frozenset = frozenset()) -> bool:
        """Are the twin's pooled estimates, and the Benjamini-Hochberg bands, shown as they are?"""
        if not twin.raw:
            return True
        raw = {**self.raw, **twin.raw}
        keys = [k for k in twin.raw if self.mh_shown(*k) and ("mh", *k) not in ignore]
        if any(self.mh_display(raw[k]) != self.mh_display(self.raw.get(k)) for k in keys):
            return False
        return self.bh(raw, ignore) == self.bh(self.raw, ignore)

    # -- twins: a few answers moved within one key question ------------------------------------------------
    def _atoms(self, q: int | None) -> np.ndarray:
        """Rows of (pdu, group, d yes, d no, d cases): moves within one key question, or (q None) one
        case more or fewer with every answer n/a."""
        w, out = self.w, []
        for p, g in zip(*np.nonzero(w.N > 0), strict=True):
            moves = ((0, 0, 1), (0, 0, -1)) if q is None else _MOVES
            out += [(p, g, *m) for m in moves]
        return np.array(out, dtype=int).reshape(-1, 5)

    def _deltas(self, atoms: np.ndarray, idx: np.ndarray):
        """(dY, dO, dN), each (C, P, G), for candidates given as rows of atom indices (-1: none)."""
        w = self.w
        shape = (len(idx), *w.N.shape)
        dY, dO, dN = np.zeros(shape, int), np.zeros(shape, int), np.zeros(shape, int)
        rows = np.arange(len(idx))
        for j in range(idx.shape[1]):
            use = idx[:, j] >= 0
            a = atoms[idx[use, j]]
            at = (rows[use], a[:, 0], a[:, 1])
            np.add.at(dY, at, a[:, 2])
            np.add.at(dO, at, a[:, 3])
            np.add.at(dN, at, a[:, 4])
        return dY, dO, dN

    def _candidates(
        self, atoms: np.ndarray, target: np.ndarray | None = None, base: np.ndarray | None = None
    ) -> list[np.ndarray]:
        """Index arrays (into ``base`` if given) of 1-2 atoms on different rows or, with ``target``,
        one target atom and two more."""
        A = len(atoms)
        row = atoms[:, 0] * 1000 + atoms[:, 1]
        i, j = np.triu_indices(A, 1)
        if target is None:
            keep = row[i] != row[j]
            out = [np.stack([np.arange(A), np.full(A, -1)], 1), np.stack([i[keep], j[keep]], 1)]
        else:
            out = []
            for t in target:
                keep = (row[i] != row[j]) & (row[i] != row[t]) & (row[j] != row[t])
                out.append(np.stack([np.full(keep.sum(), t), i[keep], j[keep]], 1))
            out = [np.concatenate(out)] if out else []
        if base is not None:
            out = [np.where(x < 0, -1, base[np.maximum(x, 0)]) for x in out]
        return out

    def _nearby(self, q: int | None, key: tuple, atoms: np.ndarray) -> np.ndarray:
        """Atoms that may compensate a change to ``key``: its own group's rows and, where the pooled
        estimates are involved, the rows they rest on."""
        if q is None:
            return np.arange(len(atoms))
        g = key[-1]
        cols = {g}
        if g in self.compared:
            cols.add(self.ref)
        elif g == self.ref:
            cols.update(self.compared)
        return np.flatnonzero(np.isin(atoms[:, 1], sorted(cols)))

    def _search(
        self, q: int | None, cells: dict, ignore: frozenset = frozenset(), targeted: bool = False
    ) -> dict:
        """Twins within key question q (or, q None, of all-n/a cases) for as many of ``cells`` as
        possible: 1-2 moves, or (targeted) a move of the count itself and two more."""
        atoms = self._atoms(q)
        found: dict = {}
        if len(atoms) == 0 or not cells:
            return found
        if targeted:
            batches = []
            for key in cells:
                near = self._nearby(q, key, atoms)
                dY, dO, dN = self._deltas(atoms, near[:, None])
                hit = np.flatnonzero(self._changes(key, dY, dO, dN)[0] != 0)
                batches += [x[:20000] for x in self._candidates(atoms[near], hit[:4], base=near)]
        else:
            batches = self._candidates(atoms)
        for idx in batches:
            for start in range(0, len(idx), 5000):
                if len(found) == len(cells):
                    return found
                self._try(q, atoms, idx[start : start + 5000], cells, found, ignore)
        return found

    def _try(
        self,
        q: int | None,
        atoms: np.ndarray,
        idx: np.ndarray,
        cells: dict,
        found: dict,
        ignore: frozenset,
    ) -> None:
        dY, dO, dN = self._deltas(atoms, idx)
        ok = self._check(q, dY, dO, dN, ignore)
        if q is not None:
            ok &= self._screen(q, dY, dO, ignore)
        hits = {}
        for key, (_, hidden) in cells.items():
            if key not in found:
                h = np.flatnonzero(ok & self._covers(key, hidden, dY, dO, dN))
                if len(h):
                    hits[key] = h
        tried: set[int] = set()
        for _ in range(3):
            chosen: list[int] = []
            for key, h in hits.items():  # greedy: one candidate per count not yet planned
                if key in found or np.isin(h, chosen).any():
                    continue
                fresh = h[~np.isin(h, list(tried))]
                if len(fresh):
                    chosen.append(int(fresh[0]))
            if not chosen:
                return
            tried.update(chosen)
            twins = [Twin({} if q is None else {q: (dY[c], dO[c])}, dN[c]) for c in chosen]
            good = [c for c, v in zip(chosen, self._confirm(twins, ignore), strict=True) if v]
            for key, h in hits.items():
                if key not in found:
                    for c in good:
                        if c in h:
                            found[key] = twins[chosen.index(c)]
                            break

    # -- twins: whole cases added, removed or moved ------------------------------------------------------
    def _case_moves(self, key: tuple) -> list[tuple]:
        """Cases added (+1) or removed (-1) for a twin of ``key``: a case moved to another group of
        the same PDU (the count of cases stays), one case more or fewer, or one moved between PDUs."""
        w = self.w
        present = [(int(p), int(g)) for p, g in zip(*np.nonzero(w.N > 0), strict=True)]
        kind = key[0]
        if kind in ("y", "o", "n"):
            mine = [(key[1], key[3])]
        elif kind in ("ty", "to", "tn"):
            mine = [(p, g) for p, g in present if g == key[2]]
        elif kind == "nrc":
            mine = [(key[1], self.nr)]
        elif kind == "cases":
            mine = [(p, g) for p, g in present if p == key[1]]
        elif kind == "tnrc":
            mine = [(p, g) for p, g in present if g == self.nr]
        else:
            mine = present
        moves = []
        for p, g in mine:
            for dd in (1, -1):
                moves += [((p, g, dd), (p, g2, -dd)) for p2, g2 in present if p2 == p and g2 != g]
        moves += [((p, g, dd),) for p, g in mine for dd in (1, -1)]
        for p, g in mine:  # to keep a total: the same group in another PDU
            for dd in (1, -1):
                moves += [((p, g, dd), (p2, g, -dd)) for p2, g2 in present if p2 != p and g2 == g]
        return moves

    def _case_search(
        self, cells: dict, ignore: frozenset = frozenset(), depths: Iterable[int] = (1,)
    ) -> dict:
        """Twins that add, remove or move whole cases, choosing each case's answer in every key
        question so that every count shown stays the same (and compensating, with up to ``depth``
        more moves, in the key question of the count)."""
        found: dict = {}
        for key, (_, hidden) in cells.items():
            if key in found:
                continue
            moves = self._case_moves(key)
            if self._kq(key) is None:  # a count of cases: the move itself must change it
                moves = [m for m in moves if self._move_covers(m, key, hidden)]
            moves = moves[:40]
            for depth, move in itertools.product(depths, moves):
                twin = self._realise(move, key, hidden, ignore, depth)
                if twin is None:
                    continue
                for other, (_, h) in cells.items():  # the twin proves all it changes
                    if other not in found and self._twin_covers(twin, other, h):
                        found[other] = twin
                break
        return found

    def _move_covers(self, move: tuple, key: tuple, hidden: bool) -> bool:
        dN = np.zeros((1, *self.w.N.shape), int)
        for p, g, dd in move:
            dN[0, p, g] += dd
        return bool(self._covers(key, hidden, dN * 0, dN * 0, dN)[0])

    def _realise(
        self, move: tuple, key: tuple, hidden: bool, ignore: frozenset, depth: int = 2
    ) -> Twin | None:
        """Answers for the cases added or removed, key question by key question (with up to two more
        moves in the key question of ``key``, to compensate); None if no such twin."""
        w = self.w
        dN = np.zeros((1, *w.N.shape), int)
        for p, g, dd in move:
            dN[0, p, g] += dd
        zero = np.zeros_like(dN)
        if not self._check(None, zero, zero, dN, ignore, cases_only=True)[0]:
            return None
        target_q = self._kq(key)
        if target_q is None and not self._covers(key, hidden, zero, zero, dN)[0]:
            return None
        changes = {}
        for q in range(len(w.kqs)):
            options = []
            for p, g, dd in move:
                n_left = w.N[p, g] + dd - (w.Y[p, q, g] + w.O[p, q, g])  # n/a answers left
                opts = [(0, 0)] if n_left >= 0 else []
                if dd < 0:
                    opts += [(-1, 0)] if w.Y[p, q, g] >= 1 else []
                    opts += [(0, -1)] if w.O[p, q, g] >= 1 else []
                else:
                    opts += [(1, 0), (0, 1)]
                options.append([(p, g, dy, do) for dy, do in opts])
            combos = list(itertools.product(*options))
            if not combos:
                return None
            dY = np.zeros((len(combos), *w.N.shape), int)
            dO = np.zeros_like(dY)
            for c, combo in enumerate(combos):
                for p, g, dy, do in combo:
                    dY[c, p, g] += dy
                    dO[c, p, g] += do
            if q == target_q:
                pick = self._pick(q, key, hidden, dY, dO, dN, ignore, depth)
            else:  # the same for every count: remembered until more is suppressed
                memo = (move, q, ignore, frozenset(self.off))
                if memo not in self._memo:
                    self._memo[memo] = self._pick(q, key, hidden, dY, dO, dN, ignore, 0)
                pick = self._memo[memo]
            if pick is None:
                return None
            if pick[0].any() or pick[1].any():
                changes[q] = pick
        twin = Twin(changes, dN[0])
        return twin if self._confirm([twin], ignore)[0] else None

    def _pick(
        self,
        q: int,
        key: tuple,
        hidden: bool,
        dY: np.ndarray,
        dO: np.ndarray,
        dN: np.ndarray,
        ignore: frozenset,
        depth: int,
    ):
        """The first of these answer choices in key question q (with up to ``depth`` more moves there)
        that shows every count and the pooled estimates as they are."""
        w = self.w
        compensate = depth > 0
        extras = [np.zeros((1, 2), int) - 1]
        atoms = self._atoms(q)
        if compensate:
            near = self._nearby(q, key, atoms)
            near = near[atoms[near, 4] == 0]  # compensating moves add no cases of their own
            extras += [x[:20000] for x in self._candidates(atoms[near], base=near)][:depth]
        for extra in extras:
            for start in range(0, len(extra), 3000):
                eY, eO, _ = self._deltas(atoms, extra[start : start + 3000])
                cY = (dY[:, None] + eY[None]).reshape(-1, *w.N.shape)
                cO = (dO[:, None] + eO[None]).reshape(-1, *w.N.shape)
                cN = np.repeat(dN, len(cY), 0)
                ok = self._covers(key, hidden, cY, cO, cN) if compensate else np.ones(len(cY), bool)
                ok &= self._check(q, cY, cO, cN, ignore)
                ok &= self._screen(q, cY, cO, ignore)
                hits = np.flatnonzero(ok)
                if len(hits):
                    return cY[hits[0]], cO[hits[0]]
        return None

    # -- suppression where no twin is found ------------------------------------------------------------------
    def _relax(self, q: int | None, key: tuple, hidden: bool) -> Twin | None:
        """Find a twin while ignoring some displays, least harmful first (the not-recorded totals; the
        cases per PDU and the "Not recorded" group's totals; the other group totals; the pooled
        estimates), and suppress those the twin shows differently."""
        w = self.w
        qs = range(len(w.kqs)) if q is None else [q]
        mh = frozenset(("mh", q2, g) for q2 in qs for g in self.compared)
        totals = frozenset(("total", q2, g) for q2 in qs for g in range(len(w.groups)))
        nr_totals = frozenset({("nr", "cases"), ("nr", "not_recorded")})
        nr_cells = frozenset(
            ("nr", (c, p)) for c in ("cases", "not_recorded") for p in range(len(w.pdus))
        )
        nr_all = nr_totals | nr_cells
        if self.nr is not None:  # the "Not recorded" group's totals: not compared, least used
            nr_all |= frozenset(("total", q2, self.nr) for q2 in range(len(w.kqs)))
        cell = {key: (0, hidden)}
        levels = (nr_totals, nr_all, totals | nr_all, mh | nr_all, mh | totals | nr_all)
        for thorough, ignore in itertools.product((False, True), levels):
            if thorough and ignore is not levels[-1]:
                continue  # the thorough search runs once, with all that may be suppressed
            searches = (
                [
                    lambda i: self._search(q, cell, i, targeted=True),
                    lambda i: self._case_search(cell, i, depths=(2,)),
                ]
                if thorough
                else [lambda i: self._search(q, cell, i), lambda i: self._case_search(cell, i)]
            )
            if q is None:
                searches = searches[1:]
            found, changed = [], []
            for search in searches:
                twin = search(ignore).get(key)
                if twin is not None:
                    found.append(twin)
                    changed.append(self._changed_by(twin, ignore))
                    if not changed[-1]:  # (what the twin changes is already suppressed)
                        break
            if found:  # the twin that needs the fewest suppressions
                best = min(range(len(found)), key=lambda i: (self._cost(changed[i]), i))
                self.off |= changed[best]
                return found[best]
        return None

    @staticmethod
    def _cost(suppressed: set) -> int:
        """How much a set of suppressions takes from the report (pooled estimates weigh most)."""
        weight = {"nr": 1, "total": 3, "mh": 20}
        return sum(weight[item[0]] for item in suppressed)

    def _changed_by(self, twin: Twin, ignore: frozenset) -> set:
        """Which of the ignored displays the twin shows differently (they are suppressed)."""
        out = set()
        parts = [(q, dY[None], dO[None]) for q, (dY, dO) in twin.changes.items()]
        zero = np.zeros((1, *twin.dN.shape), int)
        for item in ignore:
            rest = ignore - {item}
            if item[0] == "mh":
                if any(
                    any(t[0] for t, g in self._mh_touched(q, dY, dO) if (q, g) == item[1:])
                    for q, dY, dO in parts
                ):
                    out.add(item)
            elif not self._check(None, zero, zero, twin.dN[None], rest, cases_only=True)[0] or any(
                not self._check(q, dY, dO, twin.dN[None], rest)[0] for q, dY, dO in parts
            ):
                out.add(item)
        return out

    def run(self) -> set[tuple]:
        """Suppress until every count has a twin; returns what was suppressed."""
        if not self.rule.active:
            return self.off
        twins: dict = {}
        self.twins = {}
        for _ in range(10):
            before = set(self.off)
            cells = self._cells()
            # still twins now that more is suppressed? (only the BH bands can differ)
            twins = {k: t for k, t in twins.items() if k in cells and self._same(t)}
            by_q: dict = {}
            for key, v in cells.items():
                if key not in twins:
                    by_q.setdefault(self._kq(key), {})[key] = v
            cases = by_q.pop(None, {})
            twins.update(self._search(None, cases))
            twins.update(self._case_search({k: v for k, v in cases.items() if k not in twins}))
            for q in range(len(self.w.kqs)):
                todo = {**by_q.get(q, {}), **{k: v for k, v in cases.items() if k not in twins}}
                twins.update(self._search(q, todo))
                mine = by_q.get(q, {})
                for key in list(mine):  # the hard ones, one by one
                    if key in twins:
                        continue
                    cell, row = {key: mine[key]}, key[0] in ("y", "o", "n")
                    found = self._case_search(cell) if row else {}
                    found = found or self._search(q, cell, targeted=True)
                    found = found or (self._case_search(cell, depths=(2,)) if row else {})
                    if key in found:
                        twins.update(found)
                        continue
                    suppressed = set(self.off)
                    twins[key] = self._relax(q, key, mine[key][1]) or self._fail(key)
                    if self.off != suppressed:  # more is suppressed: the easy search may do now
                        rest = {k: v for k, v in mine.items() if k not in twins}
                        twins.update(self._search(q, rest))
            for key, (_, hidden) in cases.items():
                if key not in twins:
                    twins[key] = self._relax(None, key, hidden) or self._fail(key)
            if self.off == before:
                self.twins = twins
                return self.off
        raise DisclosureError("the disclosure audit did not settle")

    def _fail(self, key: tuple):
        raise DisclosureError(f"no way was found to show the count {key} safely")


def disclosure_audit(
    counts: pd.DataFrame,
    sizes: pd.DataFrame,
    grouping: Grouping,
    *,
    level: float = 0.95,
    rule: str | DisclosureRule = "nhs",
    all_pdus: bool = True,
    decided: set | None = None,
) -> DisclosureAudit:
    """The audit behind :func:`disclose`, run: what it suppressed (``off``) and, for every count, the
    twin world that proves it cannot be worked out (``twins``; ``twin_tables`` gives its tables).

    With ``decided`` (the ``off`` of another audit) nothing is searched: the same displays are
    suppressed, which is how a twin world is shown under the true world's suppressions.
    """
    audit = DisclosureAudit(
        _World.of(counts, sizes), grouping, get_rule(rule), level, totals=all_pdus
    )
    if decided is None:
        audit.run()
    else:
        audit.off = set(decided)
    return audit


class AllLevelsAudit(DisclosureAudit):
    """The twin audit with the pooled estimates at several confidence levels at once (issue 22): a
    twin must show every level's intervals as the true world does. An estimate is then shown at
    every level or at none, and the audit is run once instead of once per level. ``level`` is the
    first of ``levels``."""

    def __init__(
        self,
        w: _World,
        grouping: Grouping,
        rule: DisclosureRule,
        levels: tuple[float, ...],
        totals: bool,
    ):
        self.levels = tuple(levels)
        super().__init__(w, grouping, rule, self.levels[0], totals)

    def _mh_codes(self, tables: np.ndarray) -> np.ndarray:
        """The ratios and every level's intervals at 2 d.p., side by side (..., 6 * levels)."""
        return np.concatenate(
            [np.round(mantel_haenszel_batch(tables, lv), 2) for lv in self.levels], -1
        )

    def _base_codes(self) -> None:
        super()._base_codes()
        for q, g in list(self.mh_base):
            self.mh_base[(q, g)] = self._mh_codes(self._tables(q, g, self._strata(q, g)))

    def _pooled(self, items: list[tuple[int, np.ndarray, np.ndarray]]) -> list[dict]:
        """As :meth:`ShownWorld._pooled`, each row with every other level's intervals added as
        ``"<column>@<level>"``."""
        first = self.level
        out = super()._pooled(items)
        for lv in self.levels[1:]:
            self.level = lv
            try:
                more = super()._pooled(items)
            finally:
                self.level = first
            for part, extra in zip(out, more, strict=True):
                for k, row in part.items():
                    row.update({f"{c}@{lv}": extra.get(k, {}).get(c, np.nan) for c in MH_RATIOS})
        return out

    def mh_display(self, raw: dict | None) -> tuple:
        shown = super().mh_display(raw)
        if raw is None:
            return shown
        return shown + tuple(
            _key(round_ratio(raw.get(f"{c}@{lv}", np.nan), self.rule))
            for lv in self.levels[1:]
            for c in MH_RATIOS
        )

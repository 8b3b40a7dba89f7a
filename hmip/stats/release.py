"""One release decision per data set: which counts of people by ethnicity may be shown (issue 22).

Everything the reports, the scrutiny pack, its workbook and its CSV can show by ethnicity from one
case file is decided here ONCE, over all of it at the same time:

- every grouping (binary; binary with White minorities counted as minority; the five ONS groups);
- every key question of every case-sample standard (so any standard or key-question subset asked
  shows a subset of the same decision);
- each PDU and all PDUs pooled (``ALL_PDUS``);
- the not-recorded counts;
- whether each pooled estimate is shown (the same at every confidence level).

A display cell is ``(grouping, scope, standard, key question, group, kind)`` with ``kind`` "yes" or
"n" (``scope`` a PDU or ``ALL_PDUS``), or ``("nr", scope)`` for the not-recorded count. The cell is
shown rounded to the nearest 5 or hidden by the marker.

The row rule (:func:`row_display`, used by every output): a row's n is hidden where n is 1-7; its
yes where yes, no or n is 1-7; and both where the release hides them.

The guarantee, checked by an integer program (:class:`IntegerProgram`, in
:mod:`hmip.stats.release_program` with the world it runs on; the attacker of
tests/test_disclosure_milp.py): an attacker who knows everything shown under every parameter, the
exact case counts per PDU and the exact yes and n per PDU and key question over all groups (the
inspection counts other reports publish), how groupings nest, and that a case's answer counts are
at most its group's cases, cannot narrow any count below its *protected range*: 1-7 for a count of
1-7; the rounding range ``s-2 .. s+2`` (at least 8) of its rounded value ``s`` for any other
nonzero count. Where the integer program narrows a count, :func:`decide` hides more (the count
itself; the smallest count shown beside it; then the whole block) and checks again, until none is
narrowed. The per-PDU not-recorded counts and the per-PDU "Not recorded" rows are hidden outright.

A marker may hide any count, 0 included (it is read that way by the attacker). Pooled estimates
computed from the true counts are nonlinear: the integer program does not read them, they are
decided by :mod:`hmip.stats.disclosure_audit`'s twin search, and one hidden at any confidence level
is hidden at all (``pooled_hidden``).

The decision is stored next to the case file as ``<file>.release.json`` with the file's SHA-256 and
``RULE_VERSION``; a stored decision whose fingerprint does not match is recomputed (deterministically).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from hmip.data.ethnicity import NOT_RECORDED
from hmip.errors import DisclosureError
from hmip.stats.disclosure import MARKER, RULES, DisclosureRule, get_rule, row_codes
from hmip.stats.release_program import (  # noqa: F401 - re-exported: the release's public names
    _NR,
    ALL_PDUS,
    FINE_GROUPS,
    GROUPINGS,
    MINORITY,
    RULE_VERSION,
    WHITE_BRITISH,
    FineWorld,
    IntegerProgram,
    fine_groups,
    grouping_id,
    protected_range,
    rounded,
)


# --- The release ------------------------------------------------------------------------------------
@dataclass
class Release:
    """The decision: which display cells are hidden beyond the row rule, and which pooled
    estimates are hidden."""

    sha256: str
    rule: str
    suppressed: set = field(default_factory=set)
    pooled_hidden: set = field(default_factory=set)
    version: str = RULE_VERSION
    key_questions: list = field(default_factory=list)  # (standard, key question) decided over

    def hides(self, cell: tuple) -> bool:
        return tuple(cell) in self.suppressed

    def current(self, sha256: str, rule: str, kqs: list[tuple[str, str]]) -> bool:
        """Made for this file, rule and version, over (at least) these key questions: a decision
        over fewer would leave the others' cells to the row rule alone."""
        covered = {tuple(k) for k in self.key_questions}
        return (self.sha256, self.rule, self.version) == (sha256, rule, RULE_VERSION) and all(
            tuple(k) in covered for k in kqs
        )

    def to_json(self) -> str:
        """One line per hidden cell (a readable, diffable file)."""

        def cells(items: set) -> str:
            rows = [json.dumps(list(c)) for c in sorted(list(c) for c in items)]
            return "[\n  " + ",\n  ".join(rows) + "\n ]" if rows else "[]"

        head = {
            "version": self.version,
            "sha256": self.sha256,
            "rule": self.rule,
            "key_questions": [list(k) for k in self.key_questions],
        }
        parts = [f" {json.dumps(k)}: {json.dumps(v)}" for k, v in head.items()]
        parts += [
            f' "suppressed": {cells(self.suppressed)}',
            f' "pooled_hidden": {cells(self.pooled_hidden)}',
        ]
        return "{\n" + ",\n".join(parts) + "\n}\n"

    @classmethod
    def from_json(cls, text: str) -> Release:
        d = json.loads(text)
        return cls(
            sha256=d["sha256"],
            rule=d["rule"],
            suppressed={tuple(c) for c in d["suppressed"]},
            pooled_hidden={tuple(c) for c in d["pooled_hidden"]},
            version=d["version"],
            key_questions=[tuple(k) for k in d.get("key_questions", [])],
        )


def row_display(
    yes: int, n: int, rule: DisclosureRule, hide_yes: bool = False, hide_n: bool = False
) -> tuple[object, object]:
    """The one row rule (report, pack pages, workbook, CSV): (yes shown, n shown), each the rounded
    count or the marker. n is hidden where n is 1-7 (or the release hides it); yes where yes, no or
    n is 1-7 (or the release hides it)."""
    if not rule.active:
        return int(yes), int(n)
    y_code, n_code = row_codes([yes], [n - yes], rule)  # the rule of every table (one function)
    n_shown = rule.marker if (n_code[0] == -1 or hide_n) else int(n_code[0])
    return (rule.marker if (y_code[0] == -1 or hide_yes) else int(y_code[0])), n_shown


@dataclass
class _Cell:
    key: tuple
    scope: int | None  # PDU index, None: all PDUs
    q: int | None
    fine: tuple[int, ...]
    kind: str  # "yes", "n", "nr"


class ReleaseAudit:
    """The integer-program audit of one release over one fine world."""

    def __init__(self, w: FineWorld, rule: DisclosureRule, groupings: dict | None = None):
        self.w, self.rule = w, rule
        self.t = rule.threshold or 0
        self.groupings = groupings or GROUPINGS
        self.cells: list[_Cell] = []
        P, Q, _ = w.shape
        for gid, (_, labels) in self.groupings.items():
            for scope in [*range(P), None]:
                ps = range(P) if scope is None else [scope]
                sname = ALL_PDUS if scope is None else w.pdus[scope]
                for label, fine in labels.items():
                    if w.N[list(ps)][:, list(fine)].sum() == 0:
                        continue  # a group without cases has no row
                    for q, (std, kq) in enumerate(w.kqs):
                        for kind in ("yes", "n"):
                            self.cells.append(
                                _Cell((gid, sname, std, kq, label, kind), scope, q, fine, kind)
                            )
        for scope in [*range(P), None]:
            sname = ALL_PDUS if scope is None else w.pdus[scope]
            self.cells.append(_Cell(("nr", sname), scope, None, (_NR,), "nr"))
        self.by_key = {c.key: c for c in self.cells}
        self._public: dict = {}
        self._pool: list[np.ndarray] = []  # integer points of earlier programs (witnesses)
        self.solves = 0

    # linear expressions over the fine variables
    def expr(self, cell: _Cell, kind: str | None = None) -> dict[int, float]:
        w, kind = self.w, kind or cell.kind
        P = w.shape[0]
        ps = range(P) if cell.scope is None else [cell.scope]
        out: dict[int, float] = {}
        for p in ps:
            for f in cell.fine:
                if kind == "nr":
                    out[w.iN(p, f)] = 1.0
                    continue
                if kind in ("yes", "n"):
                    out[w.iY(p, cell.q, f)] = 1.0
                if kind in ("no", "n"):
                    out[w.iO(p, cell.q, f)] = 1.0
        return out

    def value(self, cell: _Cell, kind: str | None = None) -> int:
        x = self.w.truth()
        return int(sum(x[i] * a for i, a in self.expr(cell, kind).items()))

    def display(self, cell: _Cell, release_hidden: set) -> object:
        """What the cell shows under the row rule and the release."""
        r = self.rule
        if cell.kind == "nr":
            v = self.value(cell)
            if cell.key in release_hidden or 1 <= v <= self.t:
                return r.marker
            return rounded(v, r)
        yes_key = (*cell.key[:-1], "yes")
        n_key = (*cell.key[:-1], "n")
        y, n = self.value(cell, "yes"), self.value(cell, "n")
        ys, ns = row_display(y, n, r, yes_key in release_hidden, n_key in release_hidden)
        return ys if cell.kind == "yes" else ns

    def public_program(self) -> IntegerProgram:
        """What is known without any count by ethnicity: the exact cases, yes and n per PDU and key
        question over all groups, and yes + no <= cases in each fine group. Each count is at most
        its PDU's total (the variables' bounds)."""
        w = self.w
        P, Q, F = w.shape
        ub = np.zeros(w.n_vars())
        for p in range(P):
            for f in range(F):
                ub[w.iN(p, f)] = w.N[p].sum()
                for q in range(Q):
                    ub[w.iY(p, q, f)] = w.Y[p, q].sum()
                    ub[w.iO(p, q, f)] = w.O[p, q].sum()
        prog = IntegerProgram(w.n_vars(), max(int(w.N.sum()), 1), ub)
        for p in range(P):
            prog.add({w.iN(p, f): 1.0 for f in range(F)}, w.N[p].sum(), w.N[p].sum())
            for q in range(Q):
                prog.add({w.iY(p, q, f): 1.0 for f in range(F)}, w.Y[p, q].sum(), w.Y[p, q].sum())
                n = (w.Y[p, q] + w.O[p, q]).sum()
                prog.add(
                    {
                        **{w.iY(p, q, f): 1.0 for f in range(F)},
                        **{w.iO(p, q, f): 1.0 for f in range(F)},
                    },
                    n,
                    n,
                )
                for f in range(F):
                    prog.add({w.iY(p, q, f): 1.0, w.iO(p, q, f): 1.0, w.iN(p, f): -1.0}, -np.inf, 0)
        return prog

    def extremes(self) -> list[np.ndarray]:
        """The worlds with every case in one fine group (one per group): integer points of the
        public program."""
        w = self.w
        P, Q, F = w.shape
        out = []
        for f in range(F):
            N, Y, O = np.zeros_like(w.N), np.zeros_like(w.Y), np.zeros_like(w.O)
            N[:, f] = w.N.sum(axis=1)
            Y[:, :, f] = w.Y.sum(axis=2)
            O[:, :, f] = w.O.sum(axis=2)
            out.append(np.concatenate([N.ravel(), Y.ravel(), O.ravel()]).astype(float))
        return out

    def program(self, hidden: set) -> IntegerProgram:
        """The attacker's program given everything shown under ``hidden``."""
        prog = self.public_program()
        t = self.t
        done: set = set()
        for c in self.cells:
            e = self.expr(c)
            sig = (tuple(sorted(e.items())), c.kind)
            shown = self.display(c, hidden)
            if isinstance(shown, str):
                continue
            if (sig, shown) in done:
                continue
            done.add((sig, shown))
            lo, hi = _reading(shown, self.rule)
            prog.add(e, lo, hi)
            if c.kind == "yes":  # yes shown: no and n are none of them 1-t either
                n_shown = self.display(self.by_key[(*c.key[:-1], "n")], hidden)
                if isinstance(n_shown, str):
                    prog.zero_or_at_least(self.expr(c, "n"), t + 1)
                    prog.zero_or_at_least(self.expr(c, "no"), t + 1)
                else:  # no = n - yes lies in a window; the rule matters only if it meets 1-t
                    n_lo, n_hi = _reading(n_shown, self.rule)
                    if n_lo - hi <= t and n_hi - lo >= 1:
                        prog.zero_or_at_least(self.expr(c, "no"), t + 1)
        return prog

    def targets(self, hidden: set) -> tuple[list[_Cell], sparse.csr_matrix, list[tuple[int, int]]]:
        """Every distinct nonzero count shown or hidden, as rows, with its protected range."""
        cells, rows, want, seen = [], [], [], set()
        for c in self.cells:
            v = self.value(c)
            if v == 0:
                continue
            e = self.expr(c)
            sig = tuple(sorted(e.items()))
            if sig in seen:
                continue
            seen.add(sig)
            cells.append(c)
            rows.append(e)
            want.append(protected_range(v, self.rule))
        n = self.w.n_vars()
        r = [i for i, e in enumerate(rows) for _ in e]
        cidx = [j for e in rows for j in e]
        vals = [a for e in rows for a in e.values()]
        return cells, sparse.csr_matrix((vals, (r, cidx)), shape=(len(rows), n)), want

    def public_ranges(self, cells: list[_Cell], T: sparse.csr_matrix) -> dict:
        """What the inspection counts alone allow for each count (the release cannot protect a
        count beyond that: a group's yes in a PDU is at most the PDU's yes).

        No solve is needed: a count of some fine groups is at least 0 and at most the sum of its
        PDUs' public totals (yes, n or cases) over all groups; a world with every case in one of
        its fine groups reaches the top, one with every case in another group reaches 0
        (:meth:`extremes`; tests/test_disclosure_milp.py checks this against the integer
        program)."""
        todo = [i for i, c in enumerate(cells) if c.key not in self._public]
        if todo:
            vals = np.array([T[todo] @ x for x in self.extremes()])
            for j, i in enumerate(todo):
                self._public[cells[i].key] = (int(vals[:, j].min()), int(vals[:, j].max()))
        return self._public

    def requirement(self, cell: _Cell, hidden: set) -> tuple[int, int, int]:
        """(lo, hi, width): the attacker must reach lo and hi (a count of 1-7, or a count shown
        rounded), or (a larger count hidden) leave at least ``width + 1`` values; each within what
        the inspection counts alone allow."""
        v = self.value(cell)
        lo, hi = protected_range(v, self.rule)
        p_lo, p_hi = self._public.get(cell.key, (lo, hi))
        if v > self.t and isinstance(self.display(cell, hidden), str):
            return v, v, min(hi - lo, p_hi - p_lo)
        return max(lo, p_lo), min(hi, p_hi), 0

    def narrowed(self, hidden: set, only: set | None = None) -> list[_Cell]:
        """Counts the program narrows below their requirement (``only``: among these keys; hiding
        more only widens what the attacker must allow, so a count once safe stays safe)."""
        cells, T, _ = self.targets(hidden)
        if only is not None:
            keep = [i for i, c in enumerate(cells) if c.key in only]
            cells, T = [cells[i] for i in keep], T[keep]
            if not cells:
                return []
        self.public_ranges(cells, T)
        req = [self.requirement(c, hidden) for c in cells]
        want = [(lo - w, hi + w) for lo, hi, w in req]  # a wide range needs no exact bounds
        prog = self.program(hidden)
        lo, hi = prog.ranges(T, self.w.truth(), want, self._pool)
        # a larger hidden count needs a width: where neither side reached its goal, the integer
        # points found may show it; else the relaxation's bounds may prove it narrowed; the few
        # left are solved exactly
        wlo, whi = prog.witnessed
        redo = []
        for i, (a, b, (wl, wh, width)) in enumerate(zip(lo, hi, req, strict=True)):
            if width and a > wl - width and b < wh + width:
                if whi[i] - wlo[i] >= width:
                    lo[i], hi[i] = wlo[i], whi[i]
                    continue
                r_lo = prog.solve(T[i].toarray()[0], relaxed=True)
                r_hi = prog.solve(-T[i].toarray()[0], relaxed=True)
                if r_lo.status == 0 and r_hi.status == 0:
                    b_lo, b_hi = np.ceil(r_lo.fun - 1e-6), np.floor(-r_hi.fun + 1e-6)
                    if b_hi - b_lo < width:
                        lo[i], hi[i] = b_lo, b_hi
                        continue
                redo.append(i)
        if redo:
            lo[redo], hi[redo] = prog.ranges(
                T[redo],
                self.w.truth(),
                [want[i] for i in redo],
                self._pool + prog.found,
                exact=True,
            )
        # the points found are points of every later program too (hiding more drops constraints)
        n = self.w.n_vars()
        self._pool = list({x[:n].tobytes(): x[:n] for x in [*self._pool, *prog.found]}.values())
        self.solves += prog.solves
        return [
            c
            for c, a, b, (wl, wh, width) in zip(cells, lo, hi, req, strict=True)
            if a > wl or b < wh or b - a < width
        ]

    def outright(self) -> set:
        """Hidden whatever the counts: every count by ethnicity per PDU (the exact inspection counts
        per PDU are public, and with them two groups' rounded counts pin the third), the
        not-recorded counts and the "Not recorded" rows."""
        out = set()
        for c in self.cells:
            if c.scope is not None or c.kind == "nr" or c.key[4] == NOT_RECORDED:
                out.add(c.key)
        return out

    def _candidates(self, target: _Cell, hidden: set) -> list[_Cell]:
        def shown(c: _Cell) -> bool:
            return c.key not in hidden and not isinstance(self.display(c, hidden), str)

        same_expr = [
            c
            for c in self.cells
            if c.fine == target.fine
            and c.scope == target.scope
            and c.q == target.q
            and c.kind == target.kind
        ]
        block = [
            c for c in self.cells if c.scope == target.scope and c.q == target.q and c.kind != "nr"
        ]
        other_scope = [
            c
            for c in self.cells
            if c.q == target.q and c.fine == target.fine and c.scope != target.scope
        ]
        same_scope = [
            c
            for c in self.cells
            if c.scope == target.scope and c.fine == target.fine and c.kind == "n"
        ]
        out = []
        for group in (same_expr, block, other_scope, same_scope):
            group = sorted((c for c in group if shown(c)), key=lambda c: (self.value(c), c.key))
            out += [c for c in group if c not in out]
        return out

    def decide(self, max_rounds: int = 40) -> set:
        hidden = self.outright()
        only = None
        for _ in range(max_rounds):
            bad = self.narrowed(hidden, only)
            only = {c.key for c in bad}
            if not bad:
                return hidden
            added = set()
            for target in bad:
                cands = [c for c in self._candidates(target, hidden) if c.key not in added]
                if cands:
                    added.add(cands[0].key)
            if not added:  # nothing left to hide near them: hide everything of their scope
                for target in bad:
                    for c in self.cells:
                        if c.scope == target.scope:
                            added.add(c.key)
                added -= hidden
                if not added:
                    raise DisclosureError(
                        "the release cannot protect some counts: they follow from the inspection "
                        "counts alone"
                    )
            hidden |= added
        raise DisclosureError("the release decision did not settle")


def _reading(shown: object, rule: DisclosureRule) -> tuple[float, float]:
    """The range of true counts a shown (not hidden) count allows."""
    s = int(shown)
    if s == 0 or not rule.active:
        return s, s
    half = (rule.base or 1) // 2
    return max(s - half, (rule.threshold or 0) + 1), s + half


# --- Storage ------------------------------------------------------------------------------------------
def file_sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def release_path(cases_path: str | Path) -> Path:
    p = Path(cases_path)
    return p.with_name(p.name + ".release.json")


#: The pooled estimates are decided at each of these confidence levels; one hidden at any is hidden
#: at all (and at any other level asked).
RELEASE_LEVELS = (0.90, 0.95, 0.99)


def pooled_decision(
    cases: pd.DataFrame,
    kqs: list[tuple[str, str]],
    rule: DisclosureRule,
    framework: object = None,
) -> set:
    """(grouping, standard, key question, group) of the pooled estimates hidden: the twin audit
    (:class:`hmip.stats.disclosure_audit.AllLevelsAudit`) over every key question, its twins
    showing the intervals at every level of ``RELEASE_LEVELS`` as the true world does (one audit
    per grouping)."""
    from hmip.stats.disclosure_audit import AllLevelsAudit
    from hmip.stats.disclosure_shown import _World
    from hmip.stats.disproportionality import assign_groups, group_counts, make_grouping

    stds = list(dict.fromkeys(s for s, _ in kqs))
    out = set()
    for gid, (args, _) in GROUPINGS.items():
        grouping = make_grouping(**args)
        counts = group_counts(cases, grouping, standards=stds, framework=framework)
        sizes = (
            pd.DataFrame({"pdu": cases["pdu"], "group": assign_groups(cases, grouping)})
            .groupby(["pdu", "group"], sort=False)
            .size()
            .rename("cases")
            .reset_index()
        )
        audit = AllLevelsAudit(_World.of(counts, sizes), grouping, rule, RELEASE_LEVELS, True)
        audit.run()
        for item in audit.off:
            if item[0] == "mh":
                std, kq = audit.w.kqs[item[1]]
                out.add((gid, std, kq, audit.w.groups[item[2]]))
    return out


def decide_release(
    cases: pd.DataFrame,
    kqs: list[tuple[str, str]],
    rule: str | DisclosureRule,
    sha256: str,
    framework: object = None,
) -> Release:
    r = get_rule(rule)
    rel = Release(sha256=sha256, rule=r.name, key_questions=[tuple(k) for k in kqs])
    if not r.active:
        return rel
    audit = ReleaseAudit(FineWorld.of_cases(cases, kqs), r)
    rel.suppressed = audit.decide()
    rel.pooled_hidden = pooled_decision(cases, kqs, r, framework)
    return rel


# --- Applying the decision ------------------------------------------------------------------------
RELEASE_NOTE = "hidden by the data set's release decision (disclosure control over every output)"


def _marker(release: Release) -> str:
    return next((r.marker for r in RULES.values() if r.name == release.rule), MARKER)


def apply_to_counts(shown: pd.DataFrame, release: Release, gid: str) -> pd.DataFrame:
    """The counts table of ``DisclosureAudit.shown_counts`` with the release applied."""
    out = shown.copy()
    marker = _marker(release)
    for col in ("yes_display", "n_display", "note"):  # numbers only take the marker as text
        if col in out:
            out[col] = out[col].astype(object)
    for i, r in enumerate(out.itertuples()):
        base = (gid, r.pdu, r.standard, r.key_question, r.group)
        hide_yes = release.hides((*base, "yes"))
        hide_n = release.hides((*base, "n"))
        if hide_yes or hide_n:
            at = out.index[i]
            if hide_yes:
                out.at[at, "yes_display"] = marker
                out.at[at, "yes_rounded"] = np.nan
                out.at[at, "suppressed"] = True
            if hide_n:
                out.at[at, "n_display"] = marker
                out.at[at, "n_rounded"] = np.nan
            out.at[at, "note"] = RELEASE_NOTE
    return out


def apply_to_not_recorded(table: pd.DataFrame, release: Release) -> pd.DataFrame:
    out = table.copy()
    marker = _marker(release)
    for col in ("not_recorded", "note"):  # a column of numbers only takes the marker as text
        if col in out:
            out[col] = out[col].astype(object)
    for i, r in enumerate(out.itertuples()):
        if release.hides(("nr", r.pdu)):
            at = out.index[i]
            out.at[at, "not_recorded"] = marker
            out.at[at, "note"] = "; ".join(
                x for x in (f"not recorded {RELEASE_NOTE}", str(r.note)) if x
            )
    return out


def load_release(
    cases_path: str | Path,
    cases: pd.DataFrame,
    kqs: list[tuple[str, str]],
    rule: str | DisclosureRule = "nhs",
    *,
    write: bool = True,
    framework: object = None,
) -> Release:
    """The release decision for a case file: read from ``<file>.release.json`` when its fingerprint
    (SHA-256 of the file, rule, ``RULE_VERSION``) matches, else decided and (``write``) stored."""
    r = get_rule(rule)
    sha = file_sha256(cases_path)
    path = release_path(cases_path)
    if path.exists():
        try:
            rel = Release.from_json(path.read_text())
            if rel.current(sha, r.name, kqs):
                return rel
        except (ValueError, KeyError):
            pass
    rel = decide_release(cases, kqs, r, sha, framework)
    if write:
        try:
            path.write_text(rel.to_json())
        except OSError:
            pass  # a read-only data folder: the decision is deterministic, made again next time
    return rel


def release_flags(release: Release | None, gid: str, scope: str, std: str, kq: str, group: str):
    """(hide yes, hide n) of one row under a release (none: nothing hidden beyond the rule)."""
    if release is None:
        return False, False
    base = (gid, scope, std, kq, group)
    return release.hides((*base, "yes")), release.hides((*base, "n"))


_CACHE: dict = {}


def release_for_file(
    cases_path: str | Path = "",
    rule: str | DisclosureRule = "nhs",
    framework: object = None,
    *,
    decide: bool = True,
) -> Release | None:
    """The release decision of a case file ("" the bundled sample), read from its release file or
    (``decide``) decided and stored; None under a rule that hides nothing, or (``decide`` False)
    when no current decision is stored."""
    from hmip.data.cases import SIMULATED_CASES_FILE, load_cases
    from hmip.paths import data_dir
    from hmip.rules.framework import framework_or_default

    r = get_rule(rule)
    if not r.active:
        return None
    path = Path(cases_path) if cases_path else data_dir() / SIMULATED_CASES_FILE
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, r.name)
    if key not in _CACHE:
        fw = framework_or_default(framework)
        kqs = [(k.standard_id, k.id) for k in fw.key_questions]
        sha = file_sha256(path)
        stored = release_path(path)
        rel = None
        if stored.exists():
            try:
                rel = Release.from_json(stored.read_text())
            except (ValueError, KeyError):
                rel = None
        if rel is None or not rel.current(sha, r.name, kqs):
            if not decide:
                return None
            rel = load_release(path, load_cases(path, framework=fw), kqs, r, framework=fw)
        _CACHE[key] = rel
    return _CACHE[key]

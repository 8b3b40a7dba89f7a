"""Disclosure control tested as an attacker would (issue 11, "Disclosure control that holds").

The world: a few PDUs, one key question, the White reference group, one minority group and "Not
recorded", with counts of people (some of them 1-7). The report's tables are built from it by the
function the report itself uses (``hmip.analyses.ethnicity.disclose``).

The attacker reads everything the report shows and searches, by brute force over integers, for
every true count consistent with it:

- each shown count (0 is exact, the marker means 1-7 under the rule, a rounded count ``s`` means
  ``s - 2 .. s + 2`` and at least 8); a row's count of "yes" is hidden when its yes, no or n is 1-7;
- each total ("All PDUs" rows) in the same way;
- each share, ratio and difference at the precision it is shown, taken at its word: a statistic
  whose table says it was computed from the rounded counts gives nothing beyond them; any other is
  taken as computed from the true counts;
- the not-recorded table: per PDU, cases include every group's cases and "not recorded" are one
  group's cases, so n of a group <= its cases (answers may be n/a).

Constraints are propagated to a fixed point (per-row brute force, exact column sums over the PDUs,
the not-recorded coupling). What survives is a superset of what an attacker could still believe,
so a count left with one value is recovered for certain.

Then the stronger check: for every count, the test looks for a *twin*, a different world in which
that count differs, and rebuilds the whole report from it. If every table, label and sentence is
identical, no attacker, however clever, can tell the two worlds apart.

Requirements: every count hidden by the rule (1-7) is consistent with at least two values in 1-7;
every rounded count (and every total) with at least two true values.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from hmip.analyses.ethnicity import disclose
from hmip.stats.disclosure import MARKER
from hmip.stats.disproportionality import make_grouping

GROUPING = make_grouping("binary")
WHITE, MINORITY, NR = "White", "Ethnic minority", "Not recorded"
GROUPS = (WHITE, MINORITY, NR)
PDUS = ("North", "South", "East")
STD, KQ = "planning", "engagement"
TOTAL_ROWS = ("All PDUs", "All PDUs (summed)")
SETTINGS = dict(
    deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow], database=None
)


# --- The world --------------------------------------------------------------------------------------
def world_tables(world: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(counts, sizes) as ``group_counts`` and ``group_sizes`` give them, from
    world[(pdu, group)] = (yes, no, cases); groups without cases are absent."""
    counts, sizes = [], []
    for (pdu, group), (yes, no, cases) in world.items():
        if cases == 0:
            continue
        counts.append(
            {
                "pdu": pdu,
                "standard": STD,
                "key_question": KQ,
                "group": group,
                "yes": yes,
                "n": yes + no,
            }
        )
        sizes.append({"pdu": pdu, "group": group, "cases": cases})
    return pd.DataFrame(counts), pd.DataFrame(sizes)


def report(world: dict) -> dict:
    counts, sizes = world_tables(world)
    return disclose(counts, sizes, GROUPING, test="fisher")


@st.composite
def worlds(draw):
    """1-3 PDUs; per group 0-30 cases (small ones likely), up to 2 of them n/a."""
    world = {}
    for pdu in PDUS[: draw(st.integers(1, 3))]:
        for group in GROUPS:
            low = 1 if group == WHITE else 0
            cases = draw(st.one_of(st.integers(low, 12), st.integers(8, 30)))
            n = cases - draw(st.integers(0, min(2, cases)))
            yes = draw(st.integers(0, n))
            world[(pdu, group)] = (yes, n - yes, cases)
    return world


# --- Reading what is shown ------------------------------------------------------------------------------
def count_values(shown) -> range:
    """The true counts a shown count allows under the rule."""
    if shown == MARKER:
        return range(1, 8)
    if isinstance(shown, str) and not shown.strip().lstrip("-").isdigit():
        raise AssertionError(f"unexpected shown count {shown!r}")
    s = int(shown)
    return range(0, 1) if s == 0 else range(max(s - 2, 8), s + 3)


def small(v: int) -> bool:
    return 1 <= v <= 7


def row_allows(yes_shown, n_shown, yes: int, no: int) -> bool:
    """A (yes, no) pair consistent with a row showing yes_display and n_display."""
    n = yes + no
    if n not in count_values(n_shown):
        return False
    hidden = small(yes) or small(no) or small(n)
    if yes_shown == MARKER:
        return hidden
    return not hidden and yes in count_values(yes_shown)


def row_candidates(yes_shown, n_shown) -> set[tuple[int, int]]:
    out = set()
    for n in count_values(n_shown):
        for yes in range(n + 1):
            if row_allows(yes_shown, n_shown, yes, n - yes):
                out.add((yes, n - yes))
    return out


def pct(v: float) -> str:  # as the notebook shows shares and differences
    return f"{100 * v:.1f}%"


def true_count_stats(table: pd.DataFrame, method_column: str) -> bool:
    """Does the table say its statistics come from the true counts? (the attacker believes it)"""
    if table.empty or method_column not in table:
        return False
    return not table[method_column].astype(str).str.contains("rounded").all()


class Attack:
    """Brute force over integer counts consistent with one report."""

    def __init__(self, shown: dict):
        self.shown = shown
        shares = shown["shares"]
        self.pdus = [p for p in dict.fromkeys(shares["pdu"]) if p not in TOTAL_ROWS]
        # cell candidates: (pdu, group) -> {(yes, no)}; absent groups have none
        self.rows: dict[tuple[str, str], set] = {}
        for r in shares.itertuples():
            if r.pdu in TOTAL_ROWS:
                continue
            self.rows[(r.pdu, r.group)] = row_candidates(r.yes_display, r.n_display)
        self.totals: dict[str, tuple] = {}
        for r in shares[shares["pdu"].isin(TOTAL_ROWS)].itertuples():
            self.totals[r.group] = (r.yes_display, r.n_display)
        self.comp_true = true_count_stats(shown["comparisons"], "methods")
        nr = shown["not_recorded"]
        self.nr_rows = {
            r.pdu: {
                (c, k)
                for c in count_values(r.cases)
                for k in count_values(r.not_recorded)
                if k <= c
            }
            for r in nr.itertuples()
            if r.pdu not in TOTAL_ROWS
        }
        tot = nr[nr["pdu"].isin(TOTAL_ROWS)]
        self.nr_total = None if tot.empty else (tot["cases"].iloc[0], tot["not_recorded"].iloc[0])

    # -- the comparisons table, read at its shown precision when it claims true counts
    def _comparison_rows(self):
        comp = self.shown["comparisons"]
        if not self.comp_true or comp.empty:
            return []
        return [r for r in comp.to_dict("records") if pd.notna(r.get("share group"))]

    def _pair_ok(self, r, g, ref) -> bool:
        """Shares and their difference as shown (a statistic not shown constrains nothing)."""
        (yg, og), (yr, orf) = g, ref
        share_g = yg / (yg + og) if yg + og else math.nan
        share_r = yr / (yr + orf) if yr + orf else math.nan
        for column, value in (
            ("share group", share_g),
            ("share reference", share_r),
            ("difference", share_g - share_r),
        ):
            shown = r.get(column)
            if pd.notna(shown) and (math.isnan(value) or pct(value) != pct(shown)):
                return False
        return True

    def _filter_comparisons(self) -> bool:
        changed = False
        for r in self._comparison_rows():
            if r["PDU"] in TOTAL_ROWS:
                continue
            kg, kr = (r["PDU"], r["group"]), (r["PDU"], WHITE)
            pairs = [
                (g, ref) for g in self.rows[kg] for ref in self.rows[kr] if self._pair_ok(r, g, ref)
            ]
            new_g, new_r = {p[0] for p in pairs}, {p[1] for p in pairs}
            if new_g != self.rows[kg] or new_r != self.rows[kr]:
                self.rows[kg], self.rows[kr] = new_g, new_r
                changed = True
        return changed

    # -- column totals: exact, by summing every combination over the PDUs
    def _total_ok(self, group: str, ty: int, tno: int) -> bool:
        shown = self.totals.get(group)
        if shown is not None and not row_allows(*shown, ty, tno):
            return False
        return True

    def _summed_rows(self):
        return {r["group"]: r for r in self._comparison_rows() if r["PDU"] in TOTAL_ROWS}

    def _filter_totals(self) -> bool:
        changed = False
        summed = self._summed_rows()
        for group in GROUPS:
            keys = [(p, group) for p in self.pdus if (p, group) in self.rows]
            if not keys or (group not in self.totals and group not in summed):
                continue
            sums = {(0, 0)}
            for k in keys:
                sums = {(a + y, b + o) for a, b in sums for y, o in self.rows[k]}
            ok_totals = {t for t in sums if self._total_ok(group, *t)}
            if group in summed and group != WHITE:
                ref_tot = self._reference_totals(summed)
                ok_totals = {
                    t
                    for t in ok_totals
                    if any(self._pair_ok(summed[group], t, rt) for rt in ref_tot)
                }
            for k in keys:
                others = [self.rows[j] for j in keys if j != k]
                other_sums = {(0, 0)}
                for cand in others:
                    other_sums = {(a + y, b + o) for a, b in other_sums for y, o in cand}
                keep = {
                    c
                    for c in self.rows[k]
                    if any((t[0] - c[0], t[1] - c[1]) in other_sums for t in ok_totals)
                }
                if keep != self.rows[k]:
                    self.rows[k] = keep
                    changed = True
        return changed

    def _reference_totals(self, summed):
        keys = [(p, WHITE) for p in self.pdus if (p, WHITE) in self.rows]
        sums = {(0, 0)}
        for k in keys:
            sums = {(a + y, b + o) for a, b in sums for y, o in self.rows[k]}
        return {t for t in sums if self._total_ok(WHITE, *t)}

    # -- the not-recorded table: n of a group <= its cases; cases = all groups' cases
    def _n_range(self, pdu: str, group: str) -> tuple[int, int]:
        cand = self.rows.get((pdu, group))
        if cand is None:
            return 0, 0
        ns = [y + o for y, o in cand]
        return min(ns), max(ns)

    def _filter_not_recorded(self) -> bool:
        changed = False
        for p in self.pdus:
            if p not in self.nr_rows:
                continue
            lo = {g: self._n_range(p, g)[0] for g in GROUPS}
            keep = {
                (c, k)
                for c, k in self.nr_rows[p]
                if k >= lo[NR] and c - k >= lo[WHITE] + lo[MINORITY]
            }
            if keep != self.nr_rows[p]:
                self.nr_rows[p], changed = keep, True
            if not keep:
                continue
            max_nr = max(k for _, k in keep)
            max_other = max(c - k for c, k in keep)
            bounds = {
                NR: max_nr,
                WHITE: max_other - lo[MINORITY],
                MINORITY: max_other - lo[WHITE],
            }
            for g, top in bounds.items():
                if (p, g) in self.rows:
                    new = {(y, o) for y, o in self.rows[(p, g)] if y + o <= top}
                    if new != self.rows[(p, g)]:
                        self.rows[(p, g)], changed = new, True
        if self.nr_total is not None:
            keys = [p for p in self.pdus if p in self.nr_rows]
            tc, tk = (count_values(v) for v in self.nr_total)
            for p in keys:
                other_sums = {(0, 0)}
                for j in keys:
                    if j != p:
                        other_sums = {
                            (a + c, b + k) for a, b in other_sums for c, k in self.nr_rows[j]
                        }
                keep = {
                    (c, k)
                    for c, k in self.nr_rows[p]
                    if any(c + a in tc and k + b in tk for a, b in other_sums)
                }
                if keep != self.nr_rows[p]:
                    self.nr_rows[p], changed = keep, True
        return changed

    def run(self) -> Attack:
        for _ in range(50):
            changed = self._filter_comparisons()
            changed |= self._filter_totals()
            changed |= self._filter_not_recorded()
            if not changed:
                break
        return self

    # -- what the attacker now knows about each count
    def values(self) -> dict[tuple, set[int]]:
        out = {}
        for (p, g), cand in self.rows.items():
            out[("yes", p, g)] = {y for y, _ in cand}
            out[("no", p, g)] = {o for _, o in cand}
            out[("n", p, g)] = {y + o for y, o in cand}
        for p, cand in self.nr_rows.items():
            out[("cases", p)] = {c for c, _ in cand}
            out[("not recorded", p)] = {k for _, k in cand}
        return out


def true_values(world: dict) -> dict[tuple, int]:
    out = {}
    pdus = dict.fromkeys(p for p, _ in world)
    for (p, g), (yes, no, cases) in world.items():
        if cases:
            out[("yes", p, g)], out[("no", p, g)], out[("n", p, g)] = yes, no, yes + no
    for p in pdus:
        out[("cases", p)] = sum(world[(p, g)][2] for g in GROUPS)
        out[("not recorded", p)] = world[(p, NR)][2]
    return out


def leaks(world: dict, known: dict[tuple, set[int]]) -> list[str]:
    """Counts the attacker has narrowed down further than the rule allows."""
    truth = true_values(world)
    problems = []
    for key, value in truth.items():
        if key not in known:
            continue
        seen = known[key]
        assert value in seen, (
            f"the attacker's model is wrong: {key} = {value} not in {sorted(seen)}"
        )
        if value == 0:
            continue
        if small(value) and len([v for v in seen if small(v)]) < 2:
            problems.append(f"{key} = {value} (hidden) recovered: only {sorted(seen)} fit")
        elif not small(value) and len(seen) < 2:
            problems.append(f"{key} = {value} (rounded) recovered exactly")
    return problems


# --- Examples ---------------------------------------------------------------------------------------------------
#: 8 of 17 with n shown as 15: the comparison's share (47.1%) can only be 8/17.
ISSUE_SHARE = {
    ("North", WHITE): (10, 10, 20),
    ("North", MINORITY): (8, 9, 17),
    ("North", NR): (0, 0, 0),
}
#: Minority n of 1 (hidden), 8 and 8 (shown 10 and 10), total 17 (shown 15): 15 + 2 - 8 - 8 leaves 1.
EDGE_TOTAL = {
    **{(p, WHITE): (10, 10, 20) for p in PDUS},
    ("North", MINORITY): (0, 1, 1),
    ("South", MINORITY): (0, 8, 8),
    ("East", MINORITY): (0, 8, 8),
    **{(p, NR): (0, 0, 0) for p in PDUS},
}


@pytest.mark.xfail(
    strict=True,
    reason="the tables as they are: 8/17 behind 47.1% with n 15; totals reveal cells (see below)",
)
@settings(max_examples=60, **SETTINGS)
@given(worlds())
@example(ISSUE_SHARE)
@example(EDGE_TOTAL)
def test_brute_force_recovers_no_count(world):
    known = Attack(report(world)).run().values()
    assert not leaks(world, known)

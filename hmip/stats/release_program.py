"""The world a release decides over and the integer program that attacks it (for
:mod:`hmip.stats.release`): the finest ethnic partition every published grouping is made of
(:data:`FINE_GROUPS`, :data:`GROUPINGS`), one data set's counts in it (:class:`FineWorld`), the
linear constraints and disjunctions an attacker knows (:class:`IntegerProgram`, ``scipy.optimize.milp``
with HiGHS), and the range a count must keep (:func:`protected_range`, :func:`rounded`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import LinearConstraint, milp

from hmip.data.ethnicity import (
    ASIAN,
    BLACK,
    MIXED,
    NOT_RECORDED,
    OTHER,
    WHITE,
    WHITE_MINORITY_DETAIL,
)
from hmip.errors import DisclosureError
from hmip.stats.disclosure import DisclosureRule

#: Changes whenever what the decision covers or how it is made changes (a stored decision with
#: another version is recomputed).
RULE_VERSION = "release-2"
ALL_PDUS = "All PDUs"
MINORITY = "Ethnic minority"
WHITE_BRITISH = "White British"

#: The finest partition every grouping is made of.
FINE_GROUPS = (WHITE_BRITISH, "White other", MIXED, ASIAN, BLACK, OTHER, NOT_RECORDED)
_WB, _WO, _MX, _AS, _BL, _OT, _NR = range(7)

#: Published groupings: id -> (make_grouping arguments, {group label: fine groups}).
GROUPINGS: dict[str, tuple[dict, dict[str, tuple[int, ...]]]] = {
    "binary": (
        {"name": "binary", "white_minorities_as_minority": False},
        {WHITE: (_WB, _WO), MINORITY: (_MX, _AS, _BL, _OT), NOT_RECORDED: (_NR,)},
    ),
    "binary-white-minorities": (
        {"name": "binary", "white_minorities_as_minority": True},
        {WHITE_BRITISH: (_WB,), MINORITY: (_WO, _MX, _AS, _BL, _OT), NOT_RECORDED: (_NR,)},
    ),
    "ons5": (
        {"name": "ons5", "white_minorities_as_minority": False},
        {
            WHITE: (_WB, _WO),
            MIXED: (_MX,),
            ASIAN: (_AS,),
            BLACK: (_BL,),
            OTHER: (_OT,),
            NOT_RECORDED: (_NR,),
        },
    ),
}


def grouping_id(name: str, white_minorities_as_minority: bool = False) -> str:
    if name == "binary":
        return "binary-white-minorities" if white_minorities_as_minority else "binary"
    if name == "ons5":
        return "ons5"
    raise DisclosureError(f"grouping '{name}' has no release decision (custom groupings: none)")


def fine_groups(cases: pd.DataFrame) -> np.ndarray:
    """The fine group (index into FINE_GROUPS) of each case."""
    top = cases["ethnicity"].astype(str).to_numpy()
    detail = cases.get("ethnicity_detail", cases["ethnicity"]).astype(str).to_numpy()
    by_top = {MIXED: _MX, ASIAN: _AS, BLACK: _BL, OTHER: _OT, NOT_RECORDED: _NR}
    out = np.empty(len(top), dtype=int)
    for i, (t, d) in enumerate(zip(top, detail, strict=True)):
        if t == WHITE:
            out[i] = _WO if d in WHITE_MINORITY_DETAIL else _WB
        elif t in by_top:
            out[i] = by_top[t]
        else:
            raise DisclosureError(f"ethnicity '{t}' is not one of the ONS groups")
    return out


@dataclass
class FineWorld:
    """True counts on the finest partition: cases N (P, F); yes Y and no O (P, Q, F)."""

    pdus: list[str]
    kqs: list[tuple[str, str]]
    N: np.ndarray
    Y: np.ndarray
    O: np.ndarray

    @classmethod
    def of_cases(cls, cases: pd.DataFrame, kqs: list[tuple[str, str]]) -> FineWorld:
        pdus = list(dict.fromkeys(cases["pdu"]))
        pi = np.array([pdus.index(p) for p in cases["pdu"]], dtype=int)
        fg = fine_groups(cases)
        P, Q, F = len(pdus), len(kqs), len(FINE_GROUPS)
        N = np.zeros((P, F), int)
        np.add.at(N, (pi, fg), 1)
        Y, O = np.zeros((P, Q, F), int), np.zeros((P, Q, F), int)
        for q, (std, kq) in enumerate(kqs):
            a = cases[f"{std}.{kq}"].astype(str).str.lower().to_numpy()
            np.add.at(Y[:, q], (pi[a == "yes"], fg[a == "yes"]), 1)
            np.add.at(O[:, q], (pi[a == "no"], fg[a == "no"]), 1)
        return cls(pdus, list(kqs), N, Y, O)

    # variable layout of the integer program: N, then Y, then O
    @property
    def shape(self) -> tuple[int, int, int]:
        return self.Y.shape

    def n_vars(self) -> int:
        P, Q, F = self.shape
        return P * F + 2 * P * Q * F

    def iN(self, p: int, f: int) -> int:
        return p * self.shape[2] + f

    def iY(self, p: int, q: int, f: int) -> int:
        P, Q, F = self.shape
        return P * F + (p * Q + q) * F + f

    def iO(self, p: int, q: int, f: int) -> int:
        P, Q, F = self.shape
        return P * F + P * Q * F + (p * Q + q) * F + f

    def truth(self) -> np.ndarray:
        return np.concatenate([self.N.ravel(), self.Y.ravel(), self.O.ravel()]).astype(float)


# --- The attacker's integer program ---------------------------------------------------------------
class IntegerProgram:
    """Linear constraints over nonnegative integer counts, with the disjunctions the rule implies;
    finds how far each count can move (``scipy.optimize.milp``, HiGHS).

    Every variable has an upper bound (``ub``: a count is at most the public total it is part of),
    so each disjunction's big-M is the expression's own largest value: a tight relaxation. Solves
    are capped by a node limit, not by time, so that the same program gives the same answer on a
    loaded machine; a capped solve only reports what it proved reachable (a narrower range than
    the truth allows: an audit then hides more, never less)."""

    #: HiGHS branch-and-bound nodes per solve (deterministic, unlike a time limit).
    NODE_LIMIT = 5000

    def __init__(self, n_vars: int, upper: float, ub: np.ndarray | None = None):
        self.n, self.upper = n_vars, float(upper)
        self.ub: list[float] = [self.upper] * n_vars if ub is None else [float(u) for u in ub]
        self.rows: list[dict[int, float]] = []
        self.lo: list[float] = []
        self.hi: list[float] = []
        self.binaries: list[int] = []
        self._binary_set: set[int] = set()
        self._A = None
        self.witnessed: tuple | None = None  # (lowest, highest) reached, of the last ranges()
        self.plain: list[int] = []  # rows without a binary variable
        self.disjunctions: list[tuple] = []  # ("zero", expr, k) or ("between", exprs, lo, hi)
        self.solves = 0  # how many MILPs were solved (for profiling and the tests)
        self.relaxations = 0  # how many linear relaxations
        self.found: list[np.ndarray] = []  # integer points found (witnesses for later programs)

    def _var(self) -> int:
        self.n += 1
        self.ub.append(1.0)
        self.binaries.append(self.n - 1)
        self._binary_set.add(self.n - 1)
        self._A = None
        return self.n - 1

    def _max(self, coefs: dict[int, float]) -> float:
        """The largest value of a nonnegative expression under the variable bounds."""
        return float(sum(a * self.ub[j] for j, a in coefs.items() if a > 0))

    def add(self, coefs: dict[int, float], lo: float, hi: float) -> None:
        if not any(j in self._binary_set for j in coefs):
            self.plain.append(len(self.rows))
        self.rows.append(dict(coefs))
        self.lo.append(lo)
        self.hi.append(hi)
        self._A = None

    def zero_or_at_least(self, coefs: dict[int, float], k: int) -> None:
        """expr = 0 or expr >= k (expr with nonnegative coefficients)."""
        big = self._max(coefs)
        if big < k:  # it cannot reach k: it is 0
            self.add(coefs, 0, 0)
            return
        self.disjunctions.append(("zero", dict(coefs), k))
        b = self._var()
        self.add({**coefs, b: -big}, -np.inf, 0)  # expr <= M b
        self.add({**coefs, b: -k}, 0, np.inf)  # expr >= k b

    def any_between(self, exprs: list[dict[int, float]], lo: int, hi: int) -> None:
        """At least one of the expressions lies in lo..hi."""
        self.disjunctions.append(("between", [dict(e) for e in exprs], lo, hi))
        bs = [self._var() for _ in exprs]
        self.add(dict.fromkeys(bs, 1.0), 1, np.inf)
        for b, e in zip(bs, exprs, strict=True):
            big = max(self._max(e), hi)
            self.add({**e, b: -lo}, 0, np.inf)  # expr >= lo b
            self.add({**e, b: big - hi}, -np.inf, big)  # expr <= hi + M (1 - b)

    def matrix(self) -> sparse.csr_matrix:
        if self._A is None:
            r, c, v = [], [], []
            for i, row in enumerate(self.rows):
                for j, a in row.items():
                    r.append(i)
                    c.append(j)
                    v.append(a)
            self._A = sparse.csr_matrix((v, (r, c)), shape=(len(self.rows), self.n))
        return self._A

    def _milp(
        self,
        c: np.ndarray,
        rows: sparse.csr_matrix | None = None,
        rhs=None,
        extra: int = 0,
        relaxed: bool = False,
    ):
        """Minimise c . (x, s) over the program's integer points x and ``extra`` nonnegative
        continuous s, with the further rows ``rows`` (x, s) <= ``rhs`` (``relaxed``: over its
        linear relaxation, every x real)."""
        A = self.matrix()
        lo, hi = np.array(self.lo, float), np.array(self.hi, float)
        if extra:
            A = sparse.hstack([A, sparse.csr_matrix((A.shape[0], extra))], format="csr")
        if rows is not None:
            A = sparse.vstack([A, rows], format="csr")
            lo = np.append(lo, np.full(rows.shape[0], -np.inf))
            hi = np.append(hi, rhs)
        ub = np.append(np.array(self.ub, float), np.full(extra, np.inf))
        integrality = np.append(np.full(self.n, 0 if relaxed else 1), np.zeros(extra))
        if relaxed:
            self.relaxations += 1
        else:
            self.solves += 1
        # HiGHS's presolve adds seconds of cuts to these small programs, and finds nothing to remove
        res = milp(
            c,
            integrality=integrality,
            bounds=(np.zeros(self.n + extra), ub),
            constraints=LinearConstraint(A, lo, hi),
            options={"node_limit": self.NODE_LIMIT, "presolve": False},
        )
        if res.x is not None and not relaxed:
            self.found.append(np.round(res.x[: self.n]))
        return res

    def solve(self, objective: np.ndarray, relaxed: bool = False):
        """Minimise objective . x (the first ``len(objective)`` variables). Returns scipy's result."""
        c = np.zeros(self.n)
        c[: len(objective)] = objective
        return self._milp(c, relaxed=relaxed)

    def satisfies(self, x: np.ndarray, m: int | None = None) -> bool:
        """Whether the counts ``x`` (without this program's binaries) are one of its points."""
        m = len(x) if m is None else m
        z = np.zeros(self.n)
        z[:m] = x[:m]
        if np.any(z[:m] < -1e-9) or np.any(z[:m] > np.array(self.ub[:m]) + 1e-9):
            return False
        A = self.matrix()[self.plain]
        ax = A @ z
        lo, hi = np.array(self.lo)[self.plain], np.array(self.hi)[self.plain]
        if np.any(ax < lo - 1e-6) or np.any(ax > hi + 1e-6):
            return False

        def val(e: dict) -> float:
            return sum(a * z[j] for j, a in e.items())

        for d in self.disjunctions:
            if d[0] == "zero" and not (abs(val(d[1])) < 1e-6 or val(d[1]) >= d[2] - 1e-6):
                return False
            if d[0] == "between" and not any(d[2] - 1e-6 <= val(e) <= d[3] + 1e-6 for e in d[1]):
                return False
        return True

    def _batch(self, side: int, T, todo: list[int], goal: np.ndarray, seen) -> None:
        """One solve: min sum_i s_i, s_i >= side (T_i x - goal_i) over ``todo``."""
        m = T.shape[1]
        rows = sparse.hstack(
            [
                side * T[todo],
                sparse.csr_matrix((len(todo), self.n - m)),
                -sparse.identity(len(todo), format="csr"),
            ],
            format="csr",
        )
        c = np.append(np.zeros(self.n), np.ones(len(todo)))
        seen(self._milp(c, rows, side * goal[todo], extra=len(todo)).x)

    def _settle(
        self,
        side: int,
        T,
        Tn: np.ndarray,
        seen_side: np.ndarray,
        goal: np.ndarray,
        seen,
        exact: bool,
    ) -> None:
        """Bring every target's lowest (``side`` 1) or highest (-1) value seen to its goal, or prove
        that it cannot be: batch solves; (not ``exact``) linear relaxations, whose bound proves a
        goal out of reach at a small part of an integer solve's cost; batch solves again over the
        rest; then one integer solve each. Returns {target: a bound beyond its goal} where the goal was proven out of reach."""

        def open_(skip: dict) -> list[int]:
            return [
                i
                for i in range(T.shape[0])
                if side * (seen_side[i] - goal[i]) > 0 and i not in skip
            ]

        def batches(skip: dict) -> None:
            todo = open_(skip)
            for _ in range(6):
                if len(todo) <= 1:
                    return
                self._batch(side, T, todo, goal, seen)
                left = open_(skip)
                if len(left) >= len(todo):
                    return
                todo = left

        proven: dict[int, float] = {}  # target -> a bound beyond its goal (relaxation)
        batches(proven)
        if not exact:
            for i in open_(proven):
                res = self.solve(side * Tn[i], relaxed=True)
                if res.status != 0:
                    continue
                bound = np.ceil(res.fun - 1e-6) if side == 1 else np.floor(-res.fun + 1e-6)
                if side * (bound - goal[i]) > 0:
                    proven[i] = bound
            batches(proven)
        for i in open_(proven):  # one solve each for the rest (exact where the solve finishes)
            if side * (seen_side[i] - goal[i]) > 0:
                seen(self.solve(side * Tn[i]).x)
        return proven

    def ranges(
        self,
        targets: sparse.csr_matrix,
        x0: np.ndarray,
        want: list[tuple[float, float]] | None = None,
        witnesses: list[np.ndarray] = (),
        exact: bool = False,
    ) -> tuple[np.ndarray, np.ndarray]:
        """(lowest, highest) value of each target row over the program's integer points; ``x0`` is
        one feasible point (the truth), ``witnesses`` more (only those feasible are used). With
        ``want`` ((lo, hi) per target), a side is only computed until it is known to reach that
        bound (enough to check a guarantee); a side that cannot reach it is exact (``exact``) or a
        bound beyond the goal proven by the linear relaxation (enough to say it is narrowed).

        Every integer point found moves the known range of every target, so most sides are settled
        without a solve of their own: first a few *batch* solves per side, each minimising the
        total shortfall of all unsettled targets from their goals (one solution settles all that it
        brings to their goals), then one solve per side still unsettled. A side is also settled
        where a point reaches its bound from the variable bounds."""
        T = sparse.csr_matrix(targets)
        k, m = T.shape
        Tn = T.toarray()
        ub = np.array(self.ub[:m], float)
        b_lo = np.minimum(Tn, 0) @ ub  # variables are >= 0
        b_hi = np.maximum(Tn, 0) @ ub
        vals = T @ x0[:m]
        lo_seen, hi_seen = vals.copy(), vals.copy()
        if want is None:
            g_lo, g_hi = b_lo.copy(), b_hi.copy()
        else:
            g_lo = np.maximum([a for a, _ in want], b_lo)
            g_hi = np.minimum([b for _, b in want], b_hi)

        def seen(x: np.ndarray | None) -> None:
            if x is not None:
                v = np.round(T @ x[:m])
                np.minimum(lo_seen, v, out=lo_seen)
                np.maximum(hi_seen, v, out=hi_seen)

        for x in witnesses:  # a point of another program counts where it satisfies this one
            if self.satisfies(x):
                seen(x)

        exact = exact or want is None
        proven = [
            self._settle(side, T, Tn, val, goal, seen, exact)
            for side, val, goal in ((1, lo_seen, g_lo), (-1, hi_seen, g_hi))
        ]
        self.witnessed = (lo_seen.copy(), hi_seen.copy())  # reached by integer points found
        for val, found in zip((lo_seen, hi_seen), proven, strict=True):
            for i, bound in found.items():  # the lowest (highest) value is at least (most) bound
                val[i] = bound
        # where a solve stopped at its node limit, the range seen is what was proved reachable:
        # narrower than the truth allows, so an audit errs towards hiding more
        return lo_seen, hi_seen


def protected_range(v: int, rule: DisclosureRule) -> tuple[int, int]:
    """What a reader must not be able to narrow a true count ``v`` below."""
    t, base = rule.threshold or 0, rule.base or 1
    if v == 0:
        return 0, 0
    if v <= t:
        return 1, t
    s = int(np.floor(v / base + 0.5) * base)
    return max(s - base // 2, t + 1), s + base // 2


def rounded(v: int, rule: DisclosureRule) -> int:
    base = rule.base or 1
    return int(np.floor(v / base + 0.5) * base)

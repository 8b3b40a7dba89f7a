"""Where a loaded table came from: one small dataclass (:class:`Provenance`), a declared, typed home
for it on the table (:class:`ProvenanceFrame`, :class:`ProvenanceSeries`), one writer
(:func:`stamp`), one reader (:func:`provenance`), and :func:`is_simulated` / :func:`sources` for the
banner and the report contract.

A loader stamps its table with a :class:`Provenance`: whether it is simulated, its basis (published,
simulated, analyst-supplied, illustrative example), its files with SHA-256 checksums, and its load
notes (what was excluded by rule). A table derived from loaded ones takes theirs with :func:`carry`.

Where it is kept (issue 19): not in ``DataFrame.attrs`` (an untyped dict, experimental in pandas,
that nothing declares), but in a typed attribute, ``provenance``, of a small pandas subclass: a
stamped table is a :class:`ProvenanceFrame`, which declares ``_metadata = ["provenance"]`` and its
``_constructor`` as pandas documents for subclasses, so pandas' ``__finalize__`` passes the
provenance on to what is derived from the table (filters, ``copy``, ``reset_index``, ``assign``,
``sort_values``, a column taken out as a :class:`ProvenanceSeries`, groupby aggregations, pickling and
``copy.deepcopy``, which the analysis cache and the build's warm workers use). Concatenation and merges
(``pd.concat``, ``DataFrame.merge``) join the provenances of all their inputs the way :func:`carry`
does, simulated if any input is, where ``attrs`` would have kept them only if every input had the
same (pandas gives the result the class of the first input, so this holds when a loaded table comes
first). What builds a new plain frame (``pd.DataFrame(table)``, a frame made from dicts or arrays, a
concat or merge with a plain table first, some aggregations) keeps nothing, as ``attrs`` did not
either: take the provenance over with :func:`carry`. :func:`stamp` and :func:`carry` give a plain
table the subclass in place (its ``__class__``; data and identity unchanged), so a caller holding
the table sees the provenance whether or not it takes the returned value.

The explicit alternative, every loader returning its table and its provenance side by side, would
change every analysis and chart that takes a loaded table (about 60 call sites across the package's
layers); the typed subclass keeps the one declared home with the same reach as before, and
tests/test_provenance.py checks each derivation the code uses.

This module is the only one that knows where the provenance is kept; nothing in the package reads or
writes ``attrs`` (tests/test_one_way.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from hmip.data.validation import source_record


@dataclass(frozen=True)
class Provenance:
    """What a loaded table was built on."""

    simulated: bool = False
    basis: str = ""
    #: the files, each ``{"path", "name", "sha256", "basis"}``
    sources: tuple[dict, ...] = ()
    #: what loading left out by rule, in words
    load_notes: tuple[str, ...] = field(default=())
    #: the bundled illustrative example (not an analyst's file)
    example: bool = False

    @classmethod
    def of_file(
        cls, path: str | Path, basis: str, *, load_notes=(), example: bool = False
    ) -> Provenance:
        """One file's provenance: simulated when its basis is."""
        return cls(
            simulated=basis == "simulated",
            basis=basis,
            sources=(source_record(Path(path), basis),),
            load_notes=tuple(load_notes),
            example=example,
        )


_NONE = Provenance()


def published(path: str | Path) -> Provenance:
    """HMIP's published file."""
    return Provenance.of_file(path, "published")


def _join(provs: list[Provenance]) -> Provenance:
    """The provenances of several tables as one: the first's basis, simulated if any is, their sources
    without repeats, their load notes."""
    if not provs:
        return _NONE
    if all(p == provs[0] for p in provs[1:]):
        return provs[0]
    seen, srcs = set(), []
    for p in provs:
        for s in p.sources:
            if s["path"] not in seen:
                seen.add(s["path"])
                srcs.append(s)
    return replace(
        provs[0],
        simulated=any(p.simulated for p in provs),
        sources=tuple(srcs),
        load_notes=tuple(dict.fromkeys(n for p in provs for n in p.load_notes)),
        example=any(p.example for p in provs),
    )


class _Carries:
    """What :class:`ProvenanceFrame` and :class:`ProvenanceSeries` share: the typed attribute and its
    propagation through operations with several inputs (concat, merge)."""

    #: the table's provenance (an empty one until stamped)
    provenance: Provenance = _NONE

    def __finalize__(self, other, method=None, **kwargs):
        out = super().__finalize__(other, method=method, **kwargs)
        inputs = getattr(other, "input_objs", None)
        if inputs is not None:  # concat, merge: pandas gives the inputs, not one table
            provs = [provenance(o) for o in inputs if _stamped(o)]
            if provs:
                object.__setattr__(out, "provenance", _join(provs))
        return out


class ProvenanceFrame(_Carries, pd.DataFrame):
    """A loaded table: a DataFrame with its :class:`Provenance` as the typed attribute
    ``provenance``, passed on by pandas to the tables derived from it."""

    _metadata = ["provenance"]

    @property
    def _constructor(self):
        return ProvenanceFrame

    @property
    def _constructor_sliced(self):
        return ProvenanceSeries

    # pandas builds a subclass's result by passing a plain DataFrame to its constructor (a second
    # frame each operation); building it straight from pandas' block manager, as pandas does for its
    # own classes, keeps a loaded table's operations as fast as a plain one's
    def _constructor_from_mgr(self, mgr, axes):
        return ProvenanceFrame._from_mgr(mgr, axes=axes)

    def _constructor_sliced_from_mgr(self, mgr, axes):
        ser = ProvenanceSeries._from_mgr(mgr, axes=axes)
        object.__setattr__(ser, "_name", None)  # as pandas: the caller sets the name
        return ser


class ProvenanceSeries(_Carries, pd.Series):
    """A column or row of a loaded table, with the table's :class:`Provenance`."""

    _metadata = [*pd.Series._metadata, "provenance"]

    @property
    def _constructor(self):
        return ProvenanceSeries

    @property
    def _constructor_expanddim(self):
        return ProvenanceFrame

    def _constructor_from_mgr(self, mgr, axes):
        ser = ProvenanceSeries._from_mgr(mgr, axes=axes)
        object.__setattr__(ser, "_name", None)  # as pandas: the caller sets the name
        return ser

    def _constructor_expanddim_from_mgr(self, mgr, axes):
        return ProvenanceFrame._from_mgr(mgr, axes=mgr.axes)


def _home(table):
    """``table`` as the subclass that keeps a provenance. A plain DataFrame or Series becomes one in
    place (its class changes; its data and identity stay), so a caller holding the table sees the
    provenance whether or not it takes the returned value."""
    if isinstance(table, _Carries):
        return table
    if type(table) is pd.DataFrame:
        table.__class__ = ProvenanceFrame
    elif type(table) is pd.Series:
        table.__class__ = ProvenanceSeries
    else:
        raise TypeError(f"cannot keep a provenance on a {type(table).__name__}")
    return table


def stamp(table, prov: Provenance):
    """Record ``prov`` as ``table``'s provenance; returns the table (the same object)."""
    if not isinstance(prov, Provenance):
        raise TypeError(f"a provenance is a Provenance, not a {type(prov).__name__}")
    table = _home(table)
    object.__setattr__(table, "provenance", prov)
    return table


def provenance(obj) -> Provenance:
    """The provenance of a loaded (or derived) table; an empty one for anything else."""
    prov = obj.provenance if isinstance(obj, _Carries) else None
    return prov if isinstance(prov, Provenance) else _NONE


def carry(table, *origins, **changes):
    """Give a derived ``table`` the provenance of the table(s) it was made from (their sources joined,
    simulated if any is), with ``changes`` applied; returns the table (the same object)."""
    if not changes and not any(_stamped(o) for o in origins):
        return table
    provs = [provenance(o) for o in origins]
    first = provs[0] if provs else _NONE
    joined = replace(
        first,
        simulated=any(p.simulated for p in provs),
        sources=tuple(sources(*origins)),
        load_notes=tuple(n for p in provs for n in p.load_notes),
    )
    return stamp(table, replace(joined, **changes))


def _stamped(obj) -> bool:
    return provenance(obj) != _NONE


def is_simulated(*objects) -> bool:
    """True if any of the loaded objects was built on simulated data."""
    return any(provenance(o).simulated for o in objects)


def sources(*objects) -> list[dict]:
    """The files (with checksums) behind loaded objects, without repeats."""
    seen, out = set(), []
    for o in objects:
        for s in provenance(o).sources:
            if s["path"] not in seen:
                seen.add(s["path"])
                out.append(s)
    return out

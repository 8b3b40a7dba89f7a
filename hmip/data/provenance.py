"""Where a loaded table came from: one small dataclass (:class:`Provenance`), one writer
(:func:`stamp`), one reader (:func:`provenance`), and :func:`is_simulated` / :func:`sources` for the
banner and the report contract.

A loader stamps its table with a :class:`Provenance`: whether it is simulated, its basis (published,
simulated, analyst-supplied, illustrative example), its files with SHA-256 checksums, and its load
notes (what was excluded by rule). A table derived from loaded ones takes theirs with :func:`carry`.

This module is the only one that knows where the provenance is kept (today one entry of the table's
``attrs``, which pandas copies onto filtered and derived tables); nothing else reads or writes
``attrs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from hmip.data.validation import source_record

_KEY = "provenance"


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


def published(path: str | Path) -> Provenance:
    """HMIP's published file."""
    return Provenance.of_file(path, "published")


def stamp(table, prov: Provenance):
    """Record ``prov`` as ``table``'s provenance; returns the table."""
    table.attrs[_KEY] = prov
    return table


def provenance(obj) -> Provenance:
    """The provenance of a loaded (or derived) table; an empty one for anything else."""
    found = getattr(obj, "attrs", None)
    prov = found.get(_KEY) if isinstance(found, dict) else None
    return prov if isinstance(prov, Provenance) else Provenance()


def carry(table, *origins, **changes):
    """Give a derived ``table`` the provenance of the table(s) it was made from (their sources joined,
    simulated if any is), with ``changes`` applied; returns the table."""
    if not changes and not any(_stamped(o) for o in origins):
        return table
    provs = [provenance(o) for o in origins]
    first = provs[0] if provs else Provenance()
    joined = replace(
        first,
        simulated=any(p.simulated for p in provs),
        sources=tuple(sources(*origins)),
        load_notes=tuple(n for p in provs for n in p.load_notes),
    )
    return stamp(table, replace(joined, **changes))


def _stamped(obj) -> bool:
    found = getattr(obj, "attrs", None)
    return isinstance(found, dict) and isinstance(found.get(_KEY), Provenance)


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

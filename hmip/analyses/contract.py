"""The report contract: what every analysis result declares for the banner, the index and the tests.

Every ``prepare()`` in :mod:`hmip.analyses` returns a :class:`ReportResult`:

- ``parameters``: the notebook's parameters as the reader sees them in the banner;
- ``simulated`` and ``sources``: whether any figure is built on simulated data, and the data basis:
  the files the figures come from (name, path, basis, checksum);
- ``main_points()``: what the report opens with (sentences or plain text);
- ``methods_used()``: the methods, in plain words, for the end of the report;
- ``index_group``: where the report is listed on the index (:data:`INDEX_GROUPS`), declared here
  rather than guessed from a parameter's name.

Result classes get ``parameters``, ``simulated`` and ``sources`` from :class:`ReportBase` by
saying where their inputs are (:meth:`ReportBase.report_inputs`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

#: Where a report is listed on the index: one per PDU ("each PDU"), one per region (the scrutiny
#: pack), or the analysts' reports. The one list: a catalogue entry's ``group`` is one of these too
#: (:mod:`hmip.build.catalogue`, which imports this module: keep its imports light).
GROUP_EACH_PDU = "each PDU"
GROUP_REGION = "region"
GROUP_ANALYSTS = "analysts"
INDEX_GROUPS = (GROUP_EACH_PDU, GROUP_REGION, GROUP_ANALYSTS)


@runtime_checkable
class ReportResult(Protocol):
    """What the banner, the index and the tests rely on, for every analysis result."""

    index_group: ClassVar[str]

    @property
    def parameters(self) -> dict: ...

    @property
    def simulated(self) -> bool: ...

    @property
    def sources(self) -> list[dict]: ...

    def main_points(self) -> list: ...

    def methods_used(self) -> list: ...


@dataclass(frozen=True)
class ReportInputs:
    """Where a result's parameters and loaded data are: the parameters as given, and every loaded
    table the figures are built on (each carries its provenance)."""

    parameters: dict
    loaded: Sequence[object]


class ReportBase:
    """``parameters``, ``simulated`` and ``sources`` of a result, from :meth:`report_inputs`: the
    one implementation every result class shares."""

    index_group: ClassVar[str] = GROUP_ANALYSTS

    def report_inputs(self) -> ReportInputs:  # pragma: no cover - every subclass says
        raise NotImplementedError

    @property
    def parameters(self) -> dict:
        return self.report_inputs().parameters

    @property
    def simulated(self) -> bool:
        """True when any figure is built on simulated data."""
        from hmip.data import loaders as d

        return d.is_simulated(*self.report_inputs().loaded)

    @property
    def sources(self) -> list[dict]:
        """The files behind the figures (name, path, basis, checksum), without repeats."""
        from hmip.data import loaders as d

        return d.sources(*self.report_inputs().loaded)

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if cls.index_group not in INDEX_GROUPS:
            raise TypeError(
                f"{cls.__name__}.index_group {cls.index_group!r} is not one of {INDEX_GROUPS}"
            )

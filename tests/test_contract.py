"""The report contract (hmip.analyses.contract): every analysis result declares its parameters, whether
it is simulated and its data basis, its main points, its methods and its index group, in one way."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from hmip.analyses import contract
from hmip.analyses.ethnicity import EthnicityDisproportionality
from hmip.analyses.london_comparison import LondonComparison
from hmip.analyses.sample_size import SampleSizeSensitivity
from hmip.analyses.scrutiny_pack import ScrutinyPack
from hmip.data.provenance import Provenance, stamp

REPORTS = (LondonComparison, SampleSizeSensitivity, EthnicityDisproportionality)


@pytest.mark.parametrize("cls", REPORTS)
def test_every_report_result_takes_parameters_and_simulated_from_the_base(cls):
    assert issubclass(cls, contract.ReportBase)
    for name in ("parameters", "simulated", "sources"):
        assert name not in cls.__dict__, f"{cls.__name__} re-implements {name}"
    assert cls.index_group in contract.INDEX_GROUPS


def test_the_pack_keeps_the_contract_in_its_fields():
    names = {f.name for f in dataclasses.fields(ScrutinyPack)}
    assert {"parameters", "simulated", "sources"} <= names
    assert ScrutinyPack.index_group == "region"


def test_an_index_group_outside_the_list_is_refused():
    with pytest.raises(TypeError, match="index_group"):

        class Wrong(contract.ReportBase):  # noqa: F841 - refused at definition
            index_group = "somewhere"


def test_the_base_reads_parameters_simulated_and_sources_from_the_inputs():
    sim = pd.DataFrame({"x": [1]})
    stamp(sim, Provenance(simulated=True, sources=({"path": "a.csv", "name": "a.csv"},)))
    real = pd.DataFrame({"x": [1]})
    stamp(real, Provenance(simulated=False, sources=({"path": "b.csv", "name": "b.csv"},)))

    @dataclasses.dataclass
    class Result(contract.ReportBase):
        loaded: tuple
        index_group = "region"

        def report_inputs(self) -> contract.ReportInputs:
            return contract.ReportInputs({"region": "London"}, self.loaded)

        def main_points(self) -> list:
            return ["one"]

        def methods_used(self) -> list:
            return ["two"]

    both, only_real = Result((real, sim)), Result((real,))
    assert both.parameters == {"region": "London"}
    assert both.simulated and not only_real.simulated
    assert [s["name"] for s in both.sources] == ["b.csv", "a.csv"]
    assert isinstance(both, contract.ReportResult)


def test_a_prepared_report_meets_the_contract():
    from hmip.analyses import london_comparison

    result = london_comparison.prepare()
    assert isinstance(result, contract.ReportResult)
    assert result.parameters == result.options.parameters
    assert result.simulated is True  # the bundled case sample
    assert any(s["basis"] == "simulated" for s in result.sources)
    assert result.main_points() and result.methods_used()

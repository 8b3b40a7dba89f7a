"""A new report needs four files and nothing else (issue 19, CONTRIBUTING's "Adding a report"): its
analysis module, its tests, its notebook and its catalogue entry. This test writes the four into a
temporary folder, builds them with ``hmip reports build`` and reads the published run back: the index
lists the report under the group its catalogue entry declares (the fanned-out parameter is named
``borough``, not ``pdu``), and its page has the banner (simulated data said first, the file named) and
the main points."""

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.e2e

ANALYSIS = '''\
"""A demonstration report: how many sampled cases a PDU has (the bundled simulated sample)."""

from dataclasses import dataclass

import pandas as pd

from hmip.analyses.contract import ReportBase, ReportInputs
from hmip.data.cases import load_cases


@dataclass(frozen=True)
class DemoResult(ReportBase):
    index_group = "each PDU"

    borough: str
    cases: pd.DataFrame

    def report_inputs(self) -> ReportInputs:
        return ReportInputs({"borough": self.borough}, (self.cases,))

    def main_points(self) -> list:
        return [f"{self.borough} has {len(self.cases)} cases in the sample."]

    def methods_used(self) -> list:
        return ["A count of the sampled cases."]


def prepare(borough: str) -> DemoResult:
    cases = load_cases()
    return DemoResult(borough, cases[cases["pdu"] == borough])
'''

ANALYSIS_TEST = """\
from hmip.analyses.contract import ReportResult
from hmip_demo_report import prepare


def test_the_demo_report_meets_the_contract():
    result = prepare("Lambeth")
    assert isinstance(result, ReportResult) and result.simulated
    assert result.main_points() == [f"Lambeth has {len(result.cases)} cases in the sample."]
"""

SETUP = """\
from hmip.present import display
from hmip_demo_report import prepare

result = prepare(borough)
display.show_provenance(*result.report_inputs().loaded, title=f"Demo: {borough}", parameters=result.parameters)
display.main_points(result.main_points())"""


def _notebook() -> dict:
    def cell(source: str, tags: tuple[str, ...] = ()) -> dict:
        meta = {"tags": list(tags)} if tags else {}
        return {
            "cell_type": "code",
            "execution_count": None,
            "metadata": meta,
            "outputs": [],
            "source": source,
        }

    return {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": "# Demo report"},
            cell('borough: str = "Lambeth"  # the PDU to report on', ("parameters",)),
            cell(SETUP),
            cell('display.say("The end.")'),
        ],
        "metadata": {
            "kernelspec": {"display_name": "Python (hmip)", "language": "python", "name": "hmip"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def test_a_new_report_builds_from_four_files(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    files = {
        "analysis": pkg / "hmip_demo_report.py",
        "test": pkg / "test_hmip_demo_report.py",
        "notebook": tmp_path / "demo.ipynb",
        "catalogue": tmp_path / "reports.toml",
    }
    files["analysis"].write_text(ANALYSIS)
    files["test"].write_text(ANALYSIS_TEST)
    files["notebook"].write_text(json.dumps(_notebook(), indent=1))
    files["catalogue"].write_text(
        textwrap.dedent(
            f"""\
            [settings]
            keep = 1
            [[report]]
            name = "demo-{{borough_slug}}"
            title = "Demo for {{borough}}"
            notebook = "{files["notebook"]}"
            group = "each PDU"
            fan_out = {{ parameter = "borough", values = ["Lambeth"] }}
            """
        )
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(pkg), str(ROOT)])}
    out = tmp_path / "reports"

    def run(*args: str, cwd: Path) -> None:
        done = subprocess.run(
            [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr

    run("pytest", "-q", "-p", "no:cacheprovider", str(files["test"]), cwd=pkg)
    run(
        *("hmip.cli", "reports", "build", "--catalogue", str(files["catalogue"])),
        *("--out", str(out), "--jobs", "1"),
        cwd=ROOT,
    )
    # nothing else was written: four files, and the build's output folder
    assert {p.name for p in tmp_path.iterdir()} == {"pkg", "reports", "demo.ipynb", "reports.toml"}
    assert sorted(p.name for p in pkg.iterdir() if p.suffix == ".py") == sorted(
        [files["analysis"].name, files["test"].name]
    )

    index = (out / "latest" / "index.html").read_text(encoding="utf-8")
    each_pdu = index[index.index("<h2>Each PDU</h2>") : index.index("Reports for analysts")]
    lambeth = re.search(r"<li><strong>Lambeth</strong>:(.*?)</li>", each_pdu, re.S)
    assert lambeth and "demo-lambeth.html" in lambeth.group(1), each_pdu

    page = (out / "latest" / "demo-lambeth.html").read_text(encoding="utf-8")
    assert "hmip-banner" in page and "Simulated case data" in page
    from hmip.data.cases import load_cases
    from hmip.data.loaders import sources

    (source,) = sources(load_cases())  # the provenance reaches the banner: file, basis, checksum
    assert f"{source['name']}</span> (simulated, SHA-256 {source['sha256'][:12]}" in page
    assert "hmip-main-points" in page and "Lambeth has " in page and " cases in the sample." in page

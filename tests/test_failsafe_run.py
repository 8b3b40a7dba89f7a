"""Issue 21, cases 7 and 6 through `hmip run`: a data error in a notebook lists every problem with
its file, row and column, as `hmip rate` does (was only "error: 3 problems found:"); and the London
comparison builds on a case file that lacks one of the region's PDUs."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HMIP = str(Path(sys.executable).with_name("hmip"))
LONDON = ROOT / "notebooks" / "london_comparison.ipynb"
CASES = ROOT / "data" / "simulated_cases_london_2022.csv"


def hmip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HMIP, *args], capture_output=True, text=True, timeout=600)


def _cases(path: Path, *, bad_rows=(), drop_pdu: str = "") -> Path:
    rows = list(csv.reader(CASES.open(encoding="utf-8")))
    for i in bad_rows:
        rows[i][rows[0].index("court_work.desistance")] = "maybe"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            r for r in rows if not drop_pdu or r[1] != drop_pdu
        )
    return path


@pytest.mark.notebooks
def test_run_lists_every_problem_of_a_data_file_as_rate_does(tmp_path):
    bad = _cases(tmp_path / "bad_cases.csv", bad_rows=(1, 5, 9))
    out = tmp_path / "out.html"
    run = hmip("run", str(LONDON), "-p", "cases_path", str(bad), "-o", str(out))
    assert run.returncode == 2 and "Traceback" not in run.stderr
    for row in (1, 5, 9):
        assert (
            f"{bad}, row {row} (line {row + 1}), column 'court_work.desistance': 'maybe' is not "
            "an answer" in run.stderr
        )
    assert run.stderr.startswith("error: 3 problems found:\n")
    assert run.stderr == hmip("rate", str(bad)).stderr  # the same message as `hmip rate`
    assert not out.exists()


@pytest.mark.notebooks
def test_run_builds_the_london_comparison_without_one_of_its_pdus(tmp_path):
    cases = _cases(tmp_path / "cases_without_newham.csv", drop_pdu="Newham")
    out = tmp_path / "london.html"
    run = hmip("run", str(LONDON), "-p", "cases_path", str(cases), "-o", str(out))
    assert run.returncode == 0, run.stderr
    html = out.read_text(encoding="utf-8")
    assert 'aria-label="Not available"' in html
    assert "cannot check: no cases or counts for this PDU in the data" in html

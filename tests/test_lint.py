"""Style is part of the test suite: ruff's lint and format checks, and notebooks stored clean."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
TARGETS = ["hmip", "tests", "benchmarks"]


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff_check_is_clean():
    result = _run(str(RUFF), "check", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean():
    result = _run(str(RUFF), "format", "--check", *TARGETS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_notebooks_are_stored_without_outputs_and_with_a_parameters_cell():
    result = _run(sys.executable, "-m", "hmip.build.kernel", "check-notebooks", "notebooks")
    assert result.returncode == 0, result.stdout + result.stderr

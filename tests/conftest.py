import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "bad_files"
os.environ.setdefault("MPLBACKEND", "Agg")
# Use the project's kernel ahead of any other `hmip` kernelspec on the machine.
os.environ.setdefault("JUPYTER_PATH", str(Path(sys.prefix) / "share" / "jupyter"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def cases():
    from hmip.data.cases import load_cases

    return load_cases()


@pytest.fixture(scope="session")
def counts(cases):
    from hmip.data.cases import key_question_counts

    return key_question_counts(cases)


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The default catalogue, built once per test session (shared by the report and reader tests)."""
    from hmip.build.runner import build

    out = tmp_path_factory.mktemp("reports")
    status, summary = build(ROOT / "reports.toml", out=out, jobs=2)
    assert status == 0, summary
    return out, summary

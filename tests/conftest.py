import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BAD = ROOT / "tests" / "bad_files"
TINY = "tests/fixtures/tiny.ipynb"
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
    from hmip.build.build import build

    out = tmp_path_factory.mktemp("reports")
    status, summary = build(ROOT / "reports.toml", out=out, jobs=2)
    assert status == 0, summary
    return out, summary


def tiny_catalogue(
    folder: Path,
    *,
    names: tuple[str, str] = ("tiny-one", "tiny-two"),
    fail: bool = False,
    keep: int | None = 5,
    timeout: int | None = 120,
    extra: str = "",
    name: str = "cat.toml",
) -> Path:
    """The tests' two-report catalogue: two quick reports of the tiny notebook (messages "first" and
    "second"; titles from the names, "tiny-one" -> "Tiny one"); the second fails on demand. ``extra``
    is appended (e.g. a [[pack]] entry). ``keep`` or ``timeout`` None: the catalogue's default."""
    first, second = names
    body = f"""\
[settings]
{"" if keep is None else f"keep = {keep}"}
{"" if timeout is None else f"timeout = {timeout}"}
[[report]]
name = "{first}"
title = "{first.replace("-", " ").capitalize()}"
notebook = "{TINY}"
parameters = {{ message = "first" }}
[[report]]
name = "{second}"
title = "{second.replace("-", " ").capitalize()}"
notebook = "{TINY}"
parameters = {{ message = "second", fail = {str(fail).lower()} }}
{extra}"""
    path = Path(folder) / name
    path.write_text(body)
    return path

import hashlib
import os
import subprocess
import sys
import textwrap
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


def write_catalogue(folder: Path, body: str, name: str = "cat.toml") -> Path:
    """The catalogue ``body`` (dedented) written to ``folder``/``name``."""
    path = Path(folder) / name
    path.write_text(textwrap.dedent(body))
    return path


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


def build_command(catalogue: Path, out: Path, *more: str) -> list[str]:
    """``hmip reports build`` of ``catalogue`` into ``out`` (then ``more`` arguments), as the command
    line this Python runs."""
    command = ["reports", "build", "--catalogue", str(catalogue), "--out", str(out), *more]
    return [sys.executable, "-m", "hmip.cli", *command]


def build_process(catalogue: Path, out: Path, *more: str, **popen) -> subprocess.Popen:
    """The build of :func:`build_command` as a running process (stdout and stderr piped, as text);
    ``popen``: more of Popen's arguments (cwd, start_new_session)."""
    return subprocess.Popen(
        build_command(catalogue, out, *more),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def snapshot(folder: Path) -> dict:
    """Every published file and its checksum (logs and kept failures aside)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "logs" not in p.parts and "failed" not in p.parts and p.name != ".lock"
    }

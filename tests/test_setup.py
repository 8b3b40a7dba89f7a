"""The set-up: conda file in sync with pyproject, the venv's kernel used by papermill and nbval."""

import re
import sys
import tomllib
from pathlib import Path

import nbformat
import papermill as pm

from hmip.build.kernel import KERNEL_NAME, check_kernel, notebook_problems


def test_environment_yml_names_the_python_of_requires_python(root):
    req = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    env = (root / "environment.yml").read_text()
    pinned = re.search(r"-\s*python\s*=\s*([\d.]+)", env).group(1)
    assert req == f">={pinned}"
    assert "-e .[dev]" in env  # packages come from pyproject, so the two cannot drift


def test_hmip_kernel_runs_this_venvs_python():
    assert Path(check_kernel()).resolve() == Path(sys.executable).resolve()


def test_papermill_executes_with_the_venv_kernel(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import sys, hmip\nprint(sys.executable)"),
    ]
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "Python (hmip)",
        "language": "python",
    }
    src, out = tmp_path / "k.ipynb", tmp_path / "k_out.ipynb"
    nbformat.write(nb, src)
    pm.execute_notebook(
        str(src), str(out), kernel_name=KERNEL_NAME, progress_bar=False, cwd=str(tmp_path)
    )
    printed = nbformat.read(out, as_version=4).cells[1].outputs[0]["text"].strip()
    assert Path(printed).resolve() == Path(sys.executable).resolve()


def test_committed_notebooks_are_clean(root):
    problems = [
        p for nb in sorted((root / "notebooks").glob("*.ipynb")) for p in notebook_problems(nb)
    ]
    assert problems == []


def test_papermill_sees_every_parameter_of_every_notebook(root):
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
        names = [
            line.split(":")[0]
            for line in cell.source.splitlines()
            if line.strip() and not line.startswith("#")
        ]
        inspected = pm.inspect_notebook(str(path))
        assert list(inspected) == names, (
            path.name
        )  # a comment with '=' makes papermill skip the line
        assert all(p["help"] for p in inspected.values()), path.name

"""The project's Jupyter kernel and notebook hygiene checks.

``python -m hmip.report.kernel check`` confirms the ``hmip`` kernelspec runs this environment's Python,
so papermill and nbval never fall back to some other ``python3`` on the machine.
``python -m hmip.report.kernel check-notebooks notebooks`` confirms notebooks are stored without outputs,
with a cell tagged ``parameters`` and the ``hmip`` kernelspec.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hmip.errors import KernelError

KERNEL_NAME = "hmip"


def kernel_python(name: str = KERNEL_NAME) -> str:
    """The interpreter the named kernelspec starts."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
    except NoSuchKernel:
        raise KernelError(f"no Jupyter kernel named '{name}': run `make install`") from None
    return spec.argv[0]


def check_kernel(name: str = KERNEL_NAME) -> str:
    python = kernel_python(name)
    if Path(python).resolve() != Path(sys.executable).resolve():
        raise KernelError(
            f"the '{name}' kernel runs {python}, not this environment's {sys.executable}: run `make install`"
        )
    return python


def notebook_problems(path: Path) -> list[str]:
    problems = []
    nb = json.loads(Path(path).read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    if any(c.get("outputs") or c.get("execution_count") for c in cells if c["cell_type"] == "code"):
        problems.append(f"{path}: committed with outputs; run `make format` (nbstripout)")
    if not any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells):
        problems.append(f"{path}: no cell tagged 'parameters'")
    if nb.get("metadata", {}).get("kernelspec", {}).get("name") != KERNEL_NAME:
        problems.append(f"{path}: kernelspec is not '{KERNEL_NAME}'")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check"]:
        try:
            print(f"kernel '{KERNEL_NAME}' -> {check_kernel()}")
        except KernelError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    if argv[:1] == ["check-notebooks"]:
        folder = Path(argv[1] if len(argv) > 1 else "notebooks")
        problems = [p for nb in sorted(folder.glob("*.ipynb")) for p in notebook_problems(nb)]
        for p in problems:
            print(p, file=sys.stderr)
        return 1 if problems else 0
    print("usage: python -m hmip.report.kernel check | check-notebooks [DIR]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())

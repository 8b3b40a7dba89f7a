"""``hmip run``: one notebook by hand, with checked parameters, rendered like the catalogue's reports.

hmip run NOTEBOOK [-p NAME VALUE ...] [-o OUT.html] [--title T] [--timeout S] [--kernel K]
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import warnings
from pathlib import Path

from hmip.build.lazy import defer_rfc3987_syntax
from hmip.build.publish import run_meta
from hmip.errors import EXIT_FAILED, EXIT_OK, input_error_names
from hmip.paths import resolve


def _notebook_title(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") == "markdown":
                for line in "".join(cell.get("source", "")).splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
    return path.stem.replace("_", " ").capitalize()


def _is_executed(notebook: Path) -> bool:
    """An earlier ``hmip run`` output (papermill's metadata in it, or the mark of a run that did not
    finish), which may be written over."""
    try:
        meta = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]
        return "papermill" in meta or "did_not_finish" in meta.get("hmip", {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def _check_outputs(source: Path, html: Path, executed: Path) -> None:
    """The HTML and the executed notebook (``-o X.html`` -> ``X.html``, ``X.ipynb``) must not write
    over the notebook being run, anything in the project's ``notebooks/``, or any notebook that is not
    an earlier executed output: refused before anything runs (exit 2)."""
    from hmip.errors import ParameterError
    from hmip.paths import project_root

    source = source.resolve()
    notebooks = (project_root() / "notebooks").resolve()
    for target in (html, executed):
        if target.resolve() == source:
            raise ParameterError(
                f"-o {html}: the executed notebook would be written over the notebook being run "
                f"({source}); choose another name or folder for -o"
            )
        if target.resolve().is_relative_to(notebooks):
            raise ParameterError(
                f"-o {html}: nothing is written into {notebooks} (the source notebooks); choose "
                "another folder for -o"
            )
    if executed.exists() and not _is_executed(executed):
        raise ParameterError(
            f"-o {html}: {executed} exists and is not an executed notebook written by hmip run; it "
            "would be written over. Choose another name or folder for -o"
        )


def run_notebook(
    notebook: str,
    pairs: list[tuple[str, str]],
    *,
    output: str | None = None,
    title: str | None = None,
    timeout: int | None = None,
    kernel: str = "hmip",
    stream=None,
) -> int:
    """``hmip run``: check the parameters against the notebook, run it with the project's kernel (over
    IPC), and render the same self-contained HTML as the catalogue, banner included. Returns the exit
    status; a notebook that refuses its parameters (an HmipError in a cell) gives one line and 2."""
    defer_rfc3987_syntax()  # before anything imports nbformat (see hmip.build.lazy)
    from hmip.build.catalogue import DEFAULT_TIMEOUT, notebook_parameters
    from hmip.build.execute import run_job
    from hmip.build.kernel import kernel_python
    from hmip.errors import EXIT_BAD_INPUT, ParameterError

    stream = stream or sys.stdout
    path = Path(notebook)
    if not path.is_file():
        path = resolve(notebook)
    if not path.is_file() or path.suffix != ".ipynb":
        raise ParameterError(f"notebook not found: {notebook}")
    params = notebook_parameters(path, pairs)  # unknown names and bad types: nothing runs
    kernel_python(kernel)
    html = Path(output or f"{path.stem}.html").resolve()
    if html.suffix != ".html":
        raise ParameterError(f"-o must name an .html file, got {output}")
    executed = html.with_suffix(".ipynb")
    _check_outputs(path, html, executed)  # never over the input, a source notebook or notebooks/
    html.parent.mkdir(parents=True, exist_ok=True)
    meta = run_meta()
    job = {
        "name": html.stem,
        "title": title or _notebook_title(path),
        "notebook": str(path.resolve()),
        "parameters": params,
    }

    def stop(signum, frame):  # SIGTERM as Ctrl-C: the kernel is stopped on the way out (exit 130)
        raise KeyboardInterrupt(signal.Signals(signum).name)

    old_term = signal.signal(signal.SIGTERM, stop)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # third-party deprecations are not the analyst's business
        try:
            r = run_job(
                job,
                staging=str(html.parent),
                kernel=kernel,
                timeout=timeout or DEFAULT_TIMEOUT,
                meta=meta,
                html_path=str(html),
                notebook_path=str(executed),
            )
        finally:
            signal.signal(signal.SIGTERM, old_term)
    # the outcome is decided: a SIGTERM from now on changes nothing
    getattr(old_term, "settle", lambda: None)()
    if r.ok:
        stream.write(f"wrote {html} in {r.seconds:.1f}s (executed notebook: {executed})\n")
        return EXIT_OK
    if r.ename in input_error_names():  # the notebook refused a value: say why, as `hmip rate` does
        message = r.error.split(": ", 1)[-1].strip()  # every problem, with its file, row and column
        print(f"error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"error: {r.error}\n  the executed notebook with the error: {executed}", file=sys.stderr)
    return EXIT_FAILED

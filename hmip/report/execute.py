"""Executing one report in a worker process: papermill with the project's kernel and a time limit,
then HTML rendered from the successful execution; a failure always leaves a notebook log."""

from __future__ import annotations

import signal
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from hmip.paths import resolve
from hmip.report.render import render_html


@dataclass
class JobResult:
    name: str
    title: str
    parameters: dict
    ok: bool
    seconds: float
    error: str = ""
    html: str = ""
    notebook: str = ""
    cell_seconds: float = 0.0
    kernel_seconds: float = 0.0


def _timeout_handler(signum, frame):  # pragma: no cover - exercised by a timed-out report
    raise TimeoutError("the report exceeded its time limit")


def run_job(job: dict, staging: str, kernel: str, timeout: int, meta: dict) -> dict:
    """Execute one report with papermill and render its HTML (runs in a worker process)."""
    import nbformat
    import papermill as pm

    start = time.perf_counter()
    out_nb = Path(staging) / f"{job['name']}.ipynb"
    result = JobResult(
        job["name"], job["title"], job["parameters"], ok=False, seconds=0.0, notebook=str(out_nb)
    )
    old = signal.signal(signal.SIGALRM, _timeout_handler)
    # papermill's per-cell limit fires first and writes the notebook with the error; the alarm is a backstop
    signal.alarm(int(timeout) + 30)
    try:
        pm.execute_notebook(
            str(resolve(job["notebook"])),
            str(out_nb),
            parameters=job["parameters"],
            kernel_name=kernel,
            progress_bar=False,
            log_output=False,
            execution_timeout=int(timeout),
            cwd=str(Path(staging)),
            request_save_on_cell_execute=False,  # one write at the end (or on error), not two per cell
            shutdown_kernel="immediate",
        )  # outputs are written by then; a graceful stop costs ~1.5 s a report
        signal.alarm(0)
        nb = nbformat.read(out_nb, as_version=4)
        durations = [c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells]
        result.cell_seconds = float(sum(durations))
        html_path = Path(staging) / f"{job['name']}.html"
        html_path.write_text(
            render_html(nb, title=job["title"], parameters=job["parameters"], meta=meta),
            encoding="utf-8",
        )
        result.html = str(html_path)
        result.ok = True
    except TimeoutError:
        result.error = f"timed out after {timeout} s"
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal to the others
        result.error = _short_error(exc)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        result.seconds = time.perf_counter() - start
    if not result.ok and not out_nb.exists():
        _write_failure_notebook(resolve(job["notebook"]), out_nb, job["parameters"], result.error)
    return asdict(result)


def _write_failure_notebook(source: Path, target: Path, parameters: dict, error: str) -> None:
    """When papermill wrote nothing (e.g. a cell hit its time limit), keep the notebook with the parameters and
    the error at the top, so the failed-runs folder always holds a log for every failed report."""
    import nbformat

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:  # noqa: BLE001 - the log must be written whatever the source's state
        nb = nbformat.v4.new_notebook()
    params = "\n".join(f"- `{k}` = `{v!r}`" for k, v in parameters.items()) or "- defaults"
    nb.cells.insert(
        0,
        nbformat.v4.new_markdown_cell(
            f"**This report failed before papermill could save its outputs.**\n\nError: `{error}`\n\nParameters:\n{params}"
        ),
    )
    nbformat.write(nb, target)


def _warm_worker() -> None:
    """Pool initializer: import papermill and nbconvert while the main process validates the catalogue."""
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


def _noop() -> None:
    return None


def _short_error(exc: BaseException) -> str:
    text = str(exc)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", None)
    if evalue is not None:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"

"""Executing reports: one report (papermill with the project's kernel over IPC, a time limit, then HTML
rendered from the successful execution; a failure always leaves a notebook log), and the warm worker
process that the build runs several of.

A worker (``python -m hmip.report.execute worker``, started by :mod:`hmip.report.runner`) imports the
heavy libraries once, then for each report forks a fresh child from that warm, never-used state. The
child forks the report's kernel from the same state (:class:`hmip.report.kernel.ForkedKernelManager`),
runs the notebook, renders the HTML and exits. So a report pays no imports and no interpreter start,
yet every report starts clean: nothing a notebook does (globals, Matplotlib's rcParams, open
figures, caches) survives into the next one.

Lifetime: the worker gets SIGTERM when the builder dies (PR_SET_PDEATHSIG) and also watches its parent
pid; the report child and its kernel get SIGKILL when their parent dies. No process outlives the build.

The worker protocol is one JSON object a line: the builder writes a job on the worker's stdin; the
worker answers on its stdout (its own prints go to stderr, which is the run's log file).
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path

from hmip.errors import EXIT_INTERRUPTED
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
    render_seconds: float = 0.0
    built_at: str = ""
    ename: str = ""


def _timeout_handler(signum, frame):  # pragma: no cover - exercised by a timed-out report
    raise TimeoutError("the report exceeded its time limit")


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_job(
    job: dict,
    staging: str,
    kernel: str,
    timeout: int,
    meta: dict,
    *,
    forked: bool = False,
    html_path: str | None = None,
    notebook_path: str | None = None,
) -> dict:
    """Execute one report with papermill over a private IPC kernel and render its HTML.

    ``forked``: start the kernel by forking this (warm) process instead of launching a new interpreter.
    """
    import nbformat
    import papermill as pm
    from jupyter_core.utils import run_sync

    from hmip.report.kernel import forked_kernel_manager, ipc_kernel_manager

    start = time.perf_counter()
    out_nb = Path(notebook_path) if notebook_path else Path(staging) / f"{job['name']}.ipynb"
    out_html = Path(html_path) if html_path else Path(staging) / f"{job['name']}.html"
    result = JobResult(
        job["name"], job["title"], job["parameters"], ok=False, seconds=0.0, notebook=str(out_nb)
    )
    old = signal.signal(signal.SIGALRM, _timeout_handler)
    # papermill's per-cell limit fires first and writes the notebook with the error; the alarm is a backstop
    signal.alarm(int(timeout) + 30)
    km = None
    try:
        if forked:
            km = forked_kernel_manager(kernel)
            km.start_forked(cwd=str(staging))
        else:
            km = ipc_kernel_manager(kernel)
        pm.execute_notebook(
            str(resolve(job["notebook"])),
            str(out_nb),
            parameters=job["parameters"],
            kernel_name=kernel,
            km=km,
            progress_bar=False,
            log_output=False,
            execution_timeout=int(timeout),
            cwd=str(staging),
            request_save_on_cell_execute=False,  # one write at the end (or on error), not two per cell
        )
        result.kernel_seconds = 0.0
        run_sync(km.shutdown_kernel)(now=True)  # outputs are written by then
        km = None
        signal.alarm(0)
        nb = nbformat.read(out_nb, as_version=4)
        durations = [c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells]
        result.cell_seconds = float(sum(durations))
        t = time.perf_counter()
        result.built_at = _now()
        out_html.write_text(
            render_html(
                nb,
                title=job["title"],
                parameters=job["parameters"],
                meta={**meta, "generated_at": result.built_at},
            ),
            encoding="utf-8",
        )
        result.render_seconds = time.perf_counter() - t
        result.html = str(out_html)
        result.ok = True
    except TimeoutError:
        result.error = f"timed out after {timeout} s"
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal to the others
        result.error = _short_error(exc)
        result.ename = str(getattr(exc, "ename", "") or type(exc).__name__)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if km is not None:
            with contextlib.suppress(Exception):
                run_sync(km.shutdown_kernel)(now=True)
            km.remove_private_dir()
        result.seconds = time.perf_counter() - start
    if not result.ok and not out_nb.exists():
        _write_failure_notebook(resolve(job["notebook"]), out_nb, job["parameters"], result.error)
    return asdict(result)


def _write_failure_notebook(source: Path, target: Path, parameters: dict, error: str) -> None:
    """When papermill wrote nothing (e.g. a cell hit its time limit, or the build was stopped), keep the
    notebook with the parameters and the error at the top, so the failed-runs folder always holds a log
    for every report that did not succeed."""
    import nbformat

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:  # noqa: BLE001 - the log must be written whatever the source's state
        nb = nbformat.v4.new_notebook()
    params = "\n".join(f"- `{k}` = `{v!r}`" for k, v in parameters.items()) or "- defaults"
    nb.cells.insert(
        0,
        nbformat.v4.new_markdown_cell(
            f"**This report did not finish: papermill saved no outputs.**\n\nError: `{error}`\n\nParameters:\n{params}"
        ),
    )
    nbformat.write(nb, target)


def _short_error(exc: BaseException) -> str:
    text = str(exc)
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", None)
    if evalue is not None:
        return f"{ename}: {evalue}"
    return f"{type(exc).__name__}: {text.splitlines()[-1] if text else ''}"


# --- The warm worker ----------------------------------------------------------------------------------------
def _warm_render() -> None:
    """Render an empty notebook once, so nbconvert's templates are compiled before any fork."""
    import nbformat

    with contextlib.suppress(Exception):
        render_html(
            nbformat.v4.new_notebook(),
            title="warm-up",
            parameters={},
            meta={"generated_at": "", "version": "", "commit": ""},
        )


class _Worker:
    def __init__(self, proto_fd: int):
        self.proto_fd = proto_fd
        self.parent = int(os.environ.get("HMIP_BUILDER_PID") or os.getppid())
        self.child: int | None = None
        self.buffer = b""

    def send(self, obj: dict) -> None:
        data = (json.dumps(obj, default=str) + "\n").encode()
        while data:
            data = data[os.write(self.proto_fd, data) :]

    def parent_gone(self) -> bool:
        return os.getppid() != self.parent

    def read_line(self) -> dict | None:
        """The next job (None when the builder is gone)."""
        while b"\n" not in self.buffer:
            if self.parent_gone():
                return None
            ready, _, _ = select.select([0], [], [], 0.5)
            if ready:
                chunk = os.read(0, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self, signum, frame) -> None:
        if self.child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.child, signal.SIGKILL)  # its kernel follows (parent-death signal)
        os._exit(EXIT_INTERRUPTED)

    def run_forked(self, msg: dict) -> dict:
        """Run one report in a child forked from this warm, clean process."""
        job, staging = msg["job"], msg["staging"]
        result_file = Path(staging) / f".{job['name']}.result.json"
        sys.stdout.flush()
        sys.stderr.flush()
        me = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the report process
            code = 0
            try:
                from hmip.report.kernel import set_parent_death_signal

                set_parent_death_signal(signal.SIGKILL)
                if os.getppid() != me:  # the worker died before the line above
                    os._exit(1)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                devnull = os.open(os.devnull, os.O_RDONLY)
                os.dup2(devnull, 0)
                os.close(devnull)
                os.close(self.proto_fd)
                r = run_job(
                    job, staging, msg["kernel"], msg["timeout"], msg["meta"], forked=msg["forked"]
                )
                result_file.write_text(json.dumps(r, default=str), encoding="utf-8")
            except BaseException:  # noqa: BLE001
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        self.child = pid
        hard_limit = time.monotonic() + float(msg["timeout"]) + 60
        status = None
        while status is None:
            done, st = os.waitpid(pid, os.WNOHANG)
            if done:
                status = os.waitstatus_to_exitcode(st)
                break
            if self.parent_gone() or time.monotonic() > hard_limit:
                os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        self.child = None
        try:
            result = json.loads(result_file.read_text(encoding="utf-8"))
            result_file.unlink()
        except (OSError, ValueError):
            result = asdict(
                JobResult(
                    job["name"],
                    job["title"],
                    job["parameters"],
                    False,
                    0.0,
                    f"the report process ended with status {status} before reporting",
                )
            )
            out_nb = Path(staging) / f"{job['name']}.ipynb"
            if not out_nb.exists():
                _write_failure_notebook(
                    resolve(job["notebook"]), out_nb, job["parameters"], result["error"]
                )
            result["notebook"] = str(out_nb)
        return result


def worker_main() -> int:
    """The warm worker: see the module docstring."""
    from hmip.report.kernel import forkable, set_parent_death_signal, warm_imports

    proto_fd = os.dup(1)
    os.dup2(2, 1)  # anything printed goes to the log, not into the protocol
    worker = _Worker(proto_fd)
    set_parent_death_signal(signal.SIGTERM)
    if worker.parent_gone():
        return EXIT_INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the builder decides what a Ctrl-C means
    signal.signal(signal.SIGTERM, worker.stop)
    hello = worker.read_line()
    if hello is None:
        return EXIT_INTERRUPTED
    start = time.perf_counter()
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    warm_imports(hello.get("modules", []))
    _warm_render()
    forked = forkable(hello["kernel"])
    worker.send(
        {"ready": os.getpid(), "warm_seconds": time.perf_counter() - start, "forked": forked}
    )
    while True:
        msg = worker.read_line()
        if msg is None or msg.get("stop"):
            return 0
        msg["forked"] = forked
        try:
            worker.send(worker.run_forked(msg))
        except BrokenPipeError:
            return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        raise SystemExit(worker_main())
    print("usage: python -m hmip.report.execute worker", file=sys.stderr)
    raise SystemExit(2)

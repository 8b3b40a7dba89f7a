"""Executing reports: one report (papermill with the project's kernel over IPC, a time limit, then HTML
rendered from the successful execution; a failure always leaves a notebook log), and the warm
processes a build runs them in.

The builder (:mod:`hmip.build.build`, :mod:`hmip.build.pool`) starts one warm process (``python -m hmip.build.execute zygote
FD``, :func:`zygote_main`). It checks the catalogue, imports the heavy libraries once, and forks the
workers, so every worker starts warm and clean. For each report a worker forks a fresh child from that
never-used state; the child forks the report's kernel from the same state
(:class:`hmip.build.kernel.ForkedKernelManager`), runs the notebook, renders the HTML and exits. A
worker prepares the next report's child and kernel (started, connected and answering) while the current
report runs. So a report pays no imports, no interpreter start and no kernel start-up, yet every report
starts clean: nothing a notebook does (globals, Matplotlib's rcParams, open figures, caches) survives
into the next one.

The scrutiny packs need no kernel: when a build has packs and two workers or more, the warm process
forks one early worker as soon as the numerical libraries are imported, before the rest of its
imports. It imports the pack's modules and builds the packs on the core the warm process's imports
leave idle, then stops; the reports run on the warm workers (the builder gives it packs only).

Lifetime: the warm process and the workers get SIGTERM when their parent dies (PR_SET_PDEATHSIG) and
also watch their parent's pid; report processes and kernels get SIGKILL when their parent dies. No
process outlives the build.

A worker speaks JSON lines over a socket with the builder: a job in, its result out. Everything the
processes print goes to the run's log file.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import select
import signal
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

from hmip.build import names
from hmip.build.render import render_html
from hmip.build.results import JobResult
from hmip.errors import EXIT_INTERRUPTED
from hmip.paths import resolve

#: a report process that could not write its files (disk full, read-only) exits with this (EX_IOERR)
DISK_FAULT_STATUS = 74
DISK_FAULT_TEXT = "OSError: [Errno 28] No space left on device, or a read-only file system"


def _no_space(exc: BaseException) -> bool:
    from hmip.errors import NO_SPACE_ERRNOS

    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in NO_SPACE_ERRNOS:
            return True
        exc = exc.__cause__ or exc.__context__
    return False


class ReportTimeLimit(BaseException):
    """The report's whole run exceeded its time limit. A BaseException (not TimeoutError, which asyncio
    and nbclient catch as a cell's own timeout) so that no library code swallows it."""


def _timeout_handler(signum, frame):  # pragma: no cover - exercised by a timed-out report
    raise ReportTimeLimit("the report exceeded its time limit")


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@functools.cache  # registered once a process (the warm process does it before forking)
def _register_primed_engine() -> str:
    """A papermill engine (papermill's extension point) whose notebook client uses a kernel client that
    was connected, and waited for, before the report was known: a primed kernel."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    class PrimedNotebookClient(PapermillNotebookClient):
        def __init__(self, nb_man, km=None, kc=None, **kw):
            super().__init__(nb_man, km=km, **kw)
            self.kc = kc  # nbclient connects a client only when it has none

    class PrimedEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(
            cls,
            nb_man,
            kernel_name,
            log_output=False,
            start_timeout=60,
            execution_timeout=None,
            **kw,
        ):
            kw = remove_args(["input_path", "timeout", "startup_timeout"], **kw)
            final = merge_kwargs(
                kw,
                timeout=execution_timeout,
                startup_timeout=start_timeout,
                kernel_name=kernel_name,
                log=logger,
                log_output=log_output,
            )
            return PrimedNotebookClient(nb_man, **final).execute()

    papermill_engines.register("hmip-primed", PrimedEngine)
    return "hmip-primed"


def prime_kernel(kernel: str, cwd: str, private_dir: str | None = None):
    """Start a kernel by forking this warm process, connect a client and wait until it answers: all
    before the report is known. Returns (kernel manager, connected client)."""
    from jupyter_core.utils import run_sync

    from hmip.build.kernel import forked_kernel_manager

    km = forked_kernel_manager(kernel, private_dir=private_dir)
    km.start_forked(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    run_sync(kc.wait_for_ready)(timeout=60)
    return km, kc


def run_job(
    job: dict,
    *,
    staging: str,
    kernel: str,
    timeout: int,
    meta: dict,
    forked: bool = False,
    primed: tuple | None = None,
    html_path: str | None = None,
    notebook_path: str | None = None,
) -> JobResult:
    """Execute one report with papermill over a private IPC kernel and render its HTML.

    ``forked``: start the kernel by forking this (warm) process instead of launching a new interpreter.
    ``primed``: a (kernel manager, client) pair from :func:`prime_kernel`, already answering.
    """
    import papermill as pm

    from hmip.build.kernel import forked_kernel_manager, ipc_kernel_manager

    start = time.perf_counter()
    # every file a report writes lies inside its run's folder (its name is a checked slug)
    out_nb = Path(notebook_path or names.inside(staging, names.report_notebook(job["name"])))
    out_html = Path(html_path or names.inside(staging, names.report_html(job["name"])))
    result = JobResult.for_job(job, notebook=str(out_nb))
    old = signal.signal(signal.SIGALRM, _timeout_handler)
    # the limit is the report's whole run (every cell together), not each cell's
    signal.alarm(max(1, int(timeout)))
    km = None
    engine = {}
    try:
        if primed:
            km, kc = primed
            engine = {"engine_name": _register_primed_engine(), "kc": kc}
        elif forked:
            km = forked_kernel_manager(kernel)
            km.start_forked(cwd=str(staging))
        else:
            km = ipc_kernel_manager(kernel)
        nb = pm.execute_notebook(
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
            **engine,
        )
        _stop_kernel(km)  # outputs are written by then
        km = None
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
        signal.alarm(0)  # the limit covers rendering too
        result.render_seconds = time.perf_counter() - t
        result.html = str(out_html)
        result.ok = True
    except ReportTimeLimit:
        result.error = f"timed out: the report ran longer than its limit of {timeout} s"
        result.ename = "TimeoutError"
    except Exception as exc:  # noqa: BLE001 - every failure is reported, none is fatal to the others
        result.error = _short_error(exc)
        result.ename = str(getattr(exc, "ename", "") or type(exc).__name__)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        if km is not None:
            _stop_kernel(km)
        result.seconds = time.perf_counter() - start
    if not result.ok and not out_nb.exists():
        _write_failure_notebook(resolve(job["notebook"]), out_nb, job["parameters"], result.error)
    return result


def run_pack(job: dict, staging: str) -> JobResult:
    """Build one scrutiny pack (PDF, HTML, workbook, CSVs) into ``staging``; a failure is reported like a
    failed report's."""
    from hmip.build.pack import build_pack

    start = time.perf_counter()
    result = JobResult.for_job(job)
    try:
        paths = build_pack(
            job["parameters"]["region"], Path(staging), paper=job["parameters"]["paper"]
        )
        result.html = str(next((p for p in paths if p.suffix == ".html"), ""))
        result.ok = True
        result.built_at = _now()
    except Exception as exc:  # noqa: BLE001 - a failed pack is a failed build, reported like a report
        result.error = f"{type(exc).__name__}: {exc}"
        result.ename = type(exc).__name__
    result.seconds = time.perf_counter() - start
    return result


def _result_file(name: str, staging: str) -> Path:
    """Where a report process leaves its result for its worker."""
    return Path(staging) / f".{name}.result.json"


def _record(result: JobResult, staging: str) -> None:
    _result_file(result.name, staging).write_text(
        json.dumps(result.to_dict(), default=str), encoding="utf-8"
    )


def _stop_kernel(km) -> None:
    """A forked kernel is killed outright (it is this process's child, and disposable); a launched one
    is shut down through jupyter_client. Either way its private directory goes."""
    from jupyter_core.utils import run_sync

    pid = getattr(getattr(km, "provisioner", None), "pid", None)
    try:
        if getattr(km, "forked", False) and pid:
            # the kernel leads its own process group: what its cells started (a `sleep &`) goes too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        elif km.has_kernel:
            run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # noqa: BLE001 - the report's outcome is already known
        pass
    finally:
        km.remove_private_dir()


def _write_failure_notebook(source: Path, target: Path, parameters: dict, error: str) -> None:
    """When papermill wrote nothing (e.g. a cell hit its time limit, or the build was stopped), keep the
    notebook with the parameters and the error at the top, so the failed-runs folder always holds a log
    for every report that did not succeed."""
    import nbformat

    try:
        nb = nbformat.read(source, as_version=4)
    except Exception:  # noqa: BLE001 - the log must be written whatever the source's state
        nb = nbformat.v4.new_notebook()
    nb.metadata["hmip"] = {"did_not_finish": True}  # an output of a run (hmip run may replace it)
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
    """Render an empty notebook once, so nbconvert's templates are compiled before any fork; and make
    the kernel manager and engine classes every report uses."""
    import nbformat

    from hmip.build.kernel import _forked_manager_class

    with contextlib.suppress(Exception):
        _forked_manager_class()
        _register_primed_engine()

    with contextlib.suppress(Exception):
        render_html(
            nbformat.v4.new_notebook(),
            title="warm-up",
            parameters={},
            meta={"generated_at": "", "version": "", "commit": ""},
        )


def _warm_charts() -> None:
    """When the notebooks draw charts (they import hmip.present.charts), draw one now, before any fork:
    fonts and first-use work are then paid once per build, not once per report (charts.warm_up)."""
    charts = sys.modules.get("hmip.present.charts")
    if charts is not None:
        with contextlib.suppress(Exception):
            charts.warm_up()


def _warm_shared(jobs: list | None = None) -> None:
    """Compute the work the catalogue's reports share (data files, the sample-size table, the
    accuracy-curve chart) once, before any fork, so every report inherits it
    (:func:`hmip.present.cache.warm`; content-addressed, so a report never gets a stale result)."""
    if not jobs:
        return
    with contextlib.suppress(Exception):
        from hmip.present.cache import warm

        warm(jobs)


@dataclass
class _Spare:
    """A report process forked ahead of need, its kernel forked and answering, waiting for its job."""

    pid: int
    pipe: int
    kernel_dir: str
    staging: str
    kernel: str


class _Worker:
    def __init__(self, proto_fd: int, prime_ahead: bool = True):
        self.proto_fd = proto_fd
        self.parent = int(os.environ.get("HMIP_BUILDER_PID") or os.getppid())
        self.child: int | None = None
        self.spare: _Spare | None = None
        self.prime_ahead = prime_ahead
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
            ready, _, _ = select.select([self.proto_fd], [], [], 0.5)
            if ready:
                chunk = os.read(self.proto_fd, 65536)
                if not chunk:
                    return None
                self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self, signum, frame) -> None:
        """SIGTERM (from the builder, or the parent-death signal): kill the report processes now; their
        kernels follow (parent-death signal), and so does whatever their cells started."""
        import shutil

        for pid in (self.child, self.spare.pid if self.spare else None):
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        if self.spare:
            shutil.rmtree(self.spare.kernel_dir, ignore_errors=True)
        self.spare = None
        with contextlib.suppress(Exception):
            self.sweep(wait=1.0)
        os._exit(EXIT_INTERRUPTED)

    def sweep(self, wait: float = 0.0) -> list[int]:
        """Kill every process under this worker except its primed spare: the processes a report's cells
        started, whose kernel has gone (this worker is their subreaper, so they are its children now,
        not init's), with everything they started. ``wait``: first give a killed report's kernel that
        long to die, so that its own children are reparented here."""
        import psutil

        spare = self.spare.pid if self.spare else None
        deadline = time.monotonic() + wait
        killed: list[int] = []
        while True:
            try:
                kids = [k for k in psutil.Process().children() if k.pid != spare]
            except psutil.Error:
                return killed
            for k in kids:
                with contextlib.suppress(psutil.Error):
                    family = [k, *k.children(recursive=True)]
                    for p in family:
                        with contextlib.suppress(psutil.Error):
                            p.kill()
                            killed.append(p.pid)
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(k.pid, 0)
            if time.monotonic() >= deadline:
                return killed
            time.sleep(0.05)

    # -- in a forked child ---------------------------------------------------------------------------------
    def _child_start(self, parent: int) -> None:
        from hmip.build.kernel import set_parent_death_signal

        set_parent_death_signal(signal.SIGKILL)
        if os.getppid() != parent:  # the worker died before the line above
            os._exit(1)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        os.close(self.proto_fd)
        if self.spare:  # an older spare's pipe: only the worker may hold it
            os.close(self.spare.pipe)

    @staticmethod
    def _run_and_record(msg: dict, primed=None) -> None:
        job, staging = msg["job"], msg["staging"]
        r = run_job(
            job,
            staging=staging,
            kernel=msg["kernel"],
            timeout=msg["timeout"],
            meta=msg["meta"],
            forked=msg["forked"],
            primed=primed,
        )
        _record(r, staging)

    @staticmethod
    def _pack_and_record(msg: dict) -> None:
        job, staging = msg["job"], msg["staging"]
        r = run_pack(job, staging)
        _record(r, staging)

    def _fork(self, body) -> int:
        sys.stdout.flush()
        sys.stderr.flush()
        me = os.getpid()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the report process
            code = 0
            try:
                self._child_start(me)
                body()
            except BaseException as exc:  # noqa: BLE001
                traceback.print_exc()
                code = DISK_FAULT_STATUS if _no_space(exc) else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        return pid

    # -- in the worker ---------------------------------------------------------------------------------------
    def make_spare(self, msg: dict) -> None:
        """Fork the next report process now: it forks its kernel and waits until the kernel answers,
        while the current report runs, then waits for its job on a pipe (end of input: it quits)."""
        from hmip.build.kernel import private_kernel_dir

        kernel_dir = str(private_kernel_dir())
        r, w = os.pipe()

        def body():
            os.close(w)
            primed = prime_kernel(msg["kernel"], msg["staging"], kernel_dir)
            data = b""
            while not data.endswith(b"\n"):
                chunk = os.read(r, 65536)
                if not chunk:
                    break
                data += chunk
            if not data.strip():
                _stop_kernel(primed[0])
                return
            self._run_and_record(json.loads(data), primed)

        pid = self._fork(body)
        os.close(r)
        self.spare = _Spare(pid, w, kernel_dir, msg["staging"], msg["kernel"])

    def discard_spare(self) -> None:
        import shutil

        spare, self.spare = self.spare, None
        if spare is None:
            return
        os.close(spare.pipe)  # end of input: it stops its kernel and exits
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            done, _ = os.waitpid(spare.pid, os.WNOHANG)
            if done:
                break
            time.sleep(0.02)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.kill(spare.pid, signal.SIGKILL)
            os.waitpid(spare.pid, 0)
        shutil.rmtree(spare.kernel_dir, ignore_errors=True)

    def _hand_to_spare(self, msg: dict) -> int | None:
        spare = self.spare
        if spare is None or (spare.staging, spare.kernel) != (msg["staging"], msg["kernel"]):
            self.discard_spare()
            return None
        self.spare = None
        try:
            data = (json.dumps(msg, default=str) + "\n").encode()
            while data:
                data = data[os.write(spare.pipe, data) :]
        except OSError:  # it died while priming: run the report afresh
            with contextlib.suppress(ChildProcessError):
                os.waitpid(spare.pid, 0)
            return None
        finally:
            os.close(spare.pipe)
        return spare.pid

    def run(self, msg: dict) -> dict:
        """Run one report in a process forked from this warm, clean one (primed ahead when possible)."""
        job, staging = msg["job"], msg["staging"]
        result_file = _result_file(job["name"], staging)
        pack = bool(job.get("pack"))
        pid = None if pack else self._hand_to_spare(msg)  # a pack needs no kernel: the spare waits
        if pid is None:
            pid = self._fork(lambda: (self._pack_and_record if pack else self._run_and_record)(msg))
        self.child = pid
        if msg["forked"] and self.prime_ahead and self.spare is None and msg.get("more", True):
            self.make_spare(msg)
        # the report's own alarm ends it at its limit; this is the backstop (stuck in C code)
        hard_limit = time.monotonic() + float(msg["timeout"]) + 10
        status = None
        exited = _exit_notice(pid)
        try:
            while status is None:
                done, st = os.waitpid(pid, os.WNOHANG)
                if done:
                    status = os.waitstatus_to_exitcode(st)
                    break
                if self.parent_gone() or time.monotonic() > hard_limit:
                    os.kill(pid, signal.SIGKILL)
                if exited is None:
                    time.sleep(0.02)
                else:  # woken the moment the report process ends (the next report starts at once)
                    select.select([exited], [], [], 0.5)
        finally:
            if exited is not None:
                os.close(exited)
        self.child = None
        self.sweep()  # whatever the report started (a `sleep &` in a cell) ends with it
        try:
            result = json.loads(result_file.read_text(encoding="utf-8"))
            result_file.unlink()
        except (OSError, ValueError):
            result_file.unlink(missing_ok=True)
            why = (
                f"{DISK_FAULT_TEXT} (the report process could not write its files)"
                if status == DISK_FAULT_STATUS
                else f"the report process ended with status {status} before reporting"
            )
            failed = JobResult.for_job(job, error=why)
            if not pack:  # a failed report always leaves a notebook with its error
                out_nb = Path(staging) / names.report_notebook(job["name"])
                with contextlib.suppress(OSError):  # the disk may be full
                    if not out_nb.exists():
                        _write_failure_notebook(
                            resolve(job["notebook"]), out_nb, job["parameters"], failed.error
                        )
                failed.notebook = str(out_nb)
            result = failed.to_dict()
        return result


def _exit_notice(pid: int) -> int | None:
    """A file descriptor that becomes readable when process ``pid`` ends (Linux's pidfd), or None
    where the system has none (the worker then polls every 20 ms)."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _worker_loop(fd: int, parent: int, forked: bool, prime_ahead: bool) -> int:
    """A worker, just forked from the warm process: run the builder's jobs from socket ``fd``."""
    from hmip.build.kernel import set_child_subreaper, set_parent_death_signal

    set_parent_death_signal(signal.SIGTERM)  # its parent is the warm process
    set_child_subreaper()  # orphans of a report's kernel come here, to be stopped (Worker.sweep)
    worker = _Worker(fd, prime_ahead)
    worker.parent = parent
    if worker.parent_gone():
        return EXIT_INTERRUPTED
    signal.signal(signal.SIGTERM, worker.stop)
    while True:
        msg = worker.read_line()
        if msg is None or msg.get("stop"):
            worker.discard_spare()
            return 0
        msg["forked"] = forked
        try:
            worker.send(worker.run(msg))
        except OSError:  # the builder has gone
            worker.discard_spare()
            return 0


def zygote_main(ctl_fd: int) -> int:
    """The warm process (``python -m hmip.build.execute zygote FD``). It checks the catalogue, imports
    the heavy libraries once, then forks a worker for each request from the builder (control socket
    ``FD``), handing the builder one end of a socket pair per worker. It never runs a report itself, so
    every worker it forks starts from the same clean, warm state.

    Messages (JSON, one per datagram): builder -> ``{"modules", "kernel", "validate"}`` then
    ``{"fork": n}``; warm process -> ``{"checked": true}`` or ``{"refused", "error"}``, then
    ``{"ready", "warm_seconds", "forked"}``, then ``{"worker": pid}`` with the socket's file descriptor.
    With ``"early_pack": true`` in the builder's first message, one ``{"worker": pid, "early": true}``
    comes first: a worker forked before the warm imports, for the scrutiny packs only.
    """
    import socket

    from hmip.build.kernel import forkable, set_parent_death_signal, warm_imports

    ctl = socket.socket(fileno=ctl_fd)
    builder = int(os.environ.get("HMIP_BUILDER_PID") or os.getppid())
    set_parent_death_signal(signal.SIGTERM)
    if os.getppid() != builder:
        return EXIT_INTERRUPTED
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the builder decides what a Ctrl-C means
    signal.signal(signal.SIGTERM, lambda signum, frame: os._exit(EXIT_INTERRUPTED))

    def send(obj: dict, fds=()) -> None:
        data = json.dumps(obj, default=str).encode()
        socket.send_fds(ctl, [data], list(fds)) if fds else ctl.send(data)

    hello = json.loads(ctl.recv(1 << 22) or b"{}")
    if not hello:
        return 0
    start = time.perf_counter()
    import gc

    # no collections while the warm process imports and warms: the imports allocate millions of
    # objects and none of them is garbage, yet each full collection walked them all (4 a build, ~0.1 s
    # each); one collection at the end, then the warm objects are frozen (below) and it is enabled
    gc.disable()
    from hmip.build.lazy import defer_rfc3987_syntax

    defer_rfc3987_syntax()  # before nbconvert imports nbformat: ~1.8 s saved (see hmip.build.lazy)
    # report kernels run unattended, with no debugger: leaving debugpy out (ipykernel then runs without
    # one) saves importing it and pydevd, ~120 modules and 0.2 s, at the start of every build
    sys.modules.setdefault("debugpy", None)
    me = os.getpid()
    if hello.get("early_pack"):
        # the scrutiny packs need no kernel, papermill or warm charts: a worker forked now (after the
        # numerical libraries everything uses) imports what they need and builds them on the core the
        # warm imports below leave idle (3-4 s at the start of every build); it runs packs only, then
        # stops (the builder gives it nothing else: its report processes would start cold). It gets
        # no job before the catalogue is checked.
        from hmip.build.kernel import warm_imports

        warm_imports(("numpy", "pandas", "scipy.stats"))
        _fork_worker(ctl, send, me, forked=False, prime_ahead=False, early=True)
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401

    if hello.get("validate") is not None:
        from hmip.build.catalogue import Job, validate_jobs
        from hmip.build.kernel import kernel_python
        from hmip.errors import HmipError

        try:
            validate_jobs([Job(**j) for j in hello["validate"]])
            kernel_python(hello["kernel"])  # a clear error now if the kernel is missing
            send({"checked": True})
        except HmipError as exc:
            send({"refused": str(exc), "error": type(exc).__name__})
            return 0
    warm_imports(hello.get("modules", []))
    from hmip.present.banner import COMMIT_ENV, git_commit

    os.environ[COMMIT_ENV] = git_commit()  # found once: every report's banner says it
    _warm_render()
    _warm_charts()
    _warm_shared(hello.get("validate"))
    forked = forkable(hello["kernel"])
    gc.collect()
    gc.freeze()  # the collector leaves the warm objects alone, so forked children share their pages
    gc.enable()
    send({"ready": os.getpid(), "warm_seconds": time.perf_counter() - start, "forked": forked})
    while True:
        with contextlib.suppress(ChildProcessError):
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass  # reap workers that have finished
        if os.getppid() != builder:
            return EXIT_INTERRUPTED
        ready, _, _ = select.select([ctl], [], [], 0.5)
        if not ready:
            continue
        data = ctl.recv(1 << 16)
        if not data:  # the builder closed the control socket: done
            return 0
        for _ in range(int(json.loads(data).get("fork", 0))):
            _fork_worker(ctl, send, me, forked=forked, prime_ahead=hello.get("prime_ahead", True))


#: what a pack imports, imported by the early worker before its first job (while the builder checks
#: the catalogue: its core is otherwise idle then): the pack's HTML and PDF, and what it imports on
#: first use (its "Since the inspection" section, the workbook and the CSVs' data dictionary)
EARLY_MODULES = (
    "hmip.build.pack",
    "hmip.analyses.scrutiny_pack",
    "weasyprint",
    "hmip.analyses.audit_progress",
    "hmip.data.findings",
    "gptables",
    "yaml",
    "pandas.io.formats.csvs",
)


def _fork_worker(
    ctl, send, me: int, *, forked: bool, prime_ahead: bool, early: bool = False
) -> int:
    """Fork one worker from the warm process and hand the builder its socket (``early``: a worker
    forked before the warm imports, for the scrutiny packs only)."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - a worker
        code = 1
        try:
            ctl.close()
            theirs.close()
            if early:  # while the builder waits for the catalogue's check
                import gc

                from hmip.build.kernel import warm_imports

                warm_imports(EARLY_MODULES)  # with the warm process's collector off (no garbage)
                # the collector leaves what was imported alone: a pack allocates millions of objects
                # (WeasyPrint's boxes), and each full collection would walk the imports too
                gc.collect()
                gc.freeze()
                gc.enable()
            code = _worker_loop(ours.detach(), me, forked, prime_ahead)
        except BaseException:  # noqa: BLE001
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    ours.close()
    send({"worker": pid, **({"early": True} if early else {})}, [theirs.fileno()])
    theirs.close()
    return pid


if __name__ == "__main__":
    if sys.argv[1:2] == ["zygote"] and len(sys.argv) == 3:
        raise SystemExit(zygote_main(int(sys.argv[2])))
    print("usage: python -m hmip.build.execute zygote FD", file=sys.stderr)
    raise SystemExit(2)

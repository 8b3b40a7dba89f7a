"""The builder's machinery: its console and log output, its stop signals, and the worker pool.

:class:`WorkerPool` starts one warm process (:func:`hmip.build.execute.zygote_main`), which checks the
catalogue and imports the heavy libraries once, then forks workers that each run one report at a time.
Worker output and third-party warnings go to the run's log (:class:`LogSink`), never the console;
the console shows one line per report (:class:`Progress`). The first SIGTERM or SIGINT stops the build
(:class:`BuildInterrupted`) unless it is publishing (:class:`StopState`).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings

from hmip.build.catalogue import Job
from hmip.build.results import JobResult
from hmip.errors import CatalogueError
from hmip.paths import SHARED_MEMO_ENV, project_root


class BuildInterrupted(KeyboardInterrupt):
    """Raised in the builder by SIGTERM or SIGINT."""

    def __init__(self, signum: int):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# --- Output -------------------------------------------------------------------------------------------------
class Progress:
    """One aligned line per report (status, name, seconds) and a summary, on the console and in the log."""

    def __init__(self, total: int, log, stream=None, width: int = 40):
        self.total, self.done, self.log, self.width = total, 0, log, width
        self.stream = stream or sys.stdout
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def line(self, text: str, console: bool = True) -> None:
        if console:
            if self.tty:
                self.stream.write("\r\033[K")
            self.stream.write(text + "\n")
            self.stream.flush()
        self.log.write(text + "\n")
        self.log.flush()

    def finished(self, r: JobResult, running: int) -> None:
        self.done += 1
        status = "ok" if r.ok else "FAILED"
        n = len(str(self.total))
        self.line(
            f"[{self.done:>{n}}/{self.total}] {status:<6} {r.name:<{self.width}} {r.seconds:6.1f}s"
            + (f"  {r.error}" if r.error else "")
        )
        if self.tty and running:
            self.stream.write(f"  ... {running} running")
            self.stream.flush()


class LogSink:
    """Collects worker output and warnings until the run's log file exists, then writes there."""

    def __init__(self):
        self.pending: list[str] = []
        self.fh = None

    def write(self, text: str) -> None:
        if self.fh is None:
            self.pending.append(text)
        else:
            self.fh.write(text)
            self.fh.flush()

    def attach(self, fh) -> None:
        self.fh = fh
        for text in self.pending:
            fh.write(text)
        self.pending.clear()
        fh.flush()


@contextlib.contextmanager
def warnings_to(sink: LogSink):
    """Third-party warnings raised in the builder go to the log, not the console."""
    old = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        sink.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = old


class StopState:
    """The first SIGTERM or SIGINT raises BuildInterrupted, unless the build is in a critical section
    (publishing, or already keeping a failed run), where it is only recorded. Later ones are recorded."""

    def __init__(self):
        self.received: int | None = None
        self.critical = False
        self.started = time.perf_counter()  # the build's wall time counts from here

    def handler(self, signum, frame):
        first = self.received is None
        self.received = self.received or signum
        if first and not self.critical:
            raise BuildInterrupted(signum)


@contextlib.contextmanager
def stop_signals():
    state = StopState()
    old = {s: signal.signal(s, state.handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield state
    finally:
        for s, h in old.items():
            signal.signal(s, h)
        if state.critical:  # the outcome is decided (published, or kept as failed): a later signal
            for h in old.values():  # must not turn it into 130 (hmip.cli's handler settles)
                getattr(h, "settle", lambda: None)()


# --- The worker pool ----------------------------------------------------------------------------------------
class _Worker:
    def __init__(self, pid: int, sock, early: bool = False):
        self.pid, self.sock, self.out, self.job, self.started = pid, sock, b"", None, 0.0
        self.returncode: int | None = None
        #: forked before the warm imports (``early_pack``): given scrutiny packs only, then stopped
        self.early = early
        self.stopping = False

    def takes(self, job: Job) -> bool:
        """Can this worker run ``job``? An early worker runs packs only (its report processes would
        start without the warm imports)."""
        return not self.stopping and (job.pack or not self.early)


class WorkerPool:
    """One warm process (:func:`hmip.build.execute.zygote_main`) checks the catalogue and imports the
    heavy libraries once; ``n`` workers are forked from it, each speaking JSON lines over a socket."""

    def __init__(self, n: int, hello: dict, sink: LogSink):
        import socket

        from hmip.build.kernel import interpreter_flags

        self.n, self.sink = n, sink
        self.sel = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.checked: dict | None = None
        self.ready: dict | None = None
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # results the run's processes share (the pack's pages and the reports draw the same
        # distributions: hmip.analyses.cache), in a folder private to this run, removed at its end
        self.shared = tempfile.mkdtemp(prefix="hmip-shared-")
        try:  # a zygote that cannot start leaves no folder behind
            self.zygote = subprocess.Popen(
                [sys.executable, *interpreter_flags(hello["kernel"]), "-m", "hmip.build.execute"]
                + ["zygote", str(theirs.fileno())],
                pass_fds=[theirs.fileno()],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                cwd=str(project_root()),
                env={
                    **os.environ,
                    "HMIP_BUILDER_PID": str(os.getpid()),
                    SHARED_MEMO_ENV: self.shared,
                },
            )
        except BaseException:
            shutil.rmtree(self.shared, ignore_errors=True)
            raise
        theirs.close()
        self.ctl.send(json.dumps(hello, default=str).encode())
        self.sel.register(self.ctl, selectors.EVENT_READ, (None, "ctl"))
        self.sel.register(self.zygote.stdout, selectors.EVENT_READ, (None, "log"))

    def request(self, n: int) -> None:
        with contextlib.suppress(OSError):
            self.ctl.send(json.dumps({"fork": n}).encode())

    def send(self, w: _Worker, obj: dict) -> bool:
        try:
            w.sock.sendall((json.dumps(obj, default=str) + "\n").encode())
            return True
        except OSError:
            return False

    def _forget(self, w: _Worker) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self.sel.unregister(w.sock)
        w.sock.close()
        if w in self.workers:
            self.workers.remove(w)

    def _control(self) -> None:
        import socket

        try:
            data, fds, _, _ = socket.recv_fds(self.ctl, 1 << 16, 4)
        except OSError:
            data, fds = b"", []
        if not data:
            self.sel.unregister(self.ctl)
            code = self.zygote.wait()
            if self.checked is None:
                raise CatalogueError(
                    f"the report worker process exited (status {code}); see the log"
                )
            if not self.workers:
                raise RuntimeError(f"the warm worker process exited (status {code})")
            return
        msg = json.loads(data)
        if "checked" in msg or "refused" in msg:
            self.checked = msg
        elif "ready" in msg:
            self.ready = msg
            self.sink.write(
                f"warm process {msg['ready']}: imports took {msg['warm_seconds']:.2f}s; kernels "
                f"{'forked from it' if msg.get('forked') else 'started afresh'}\n"
            )
            self.request(self.n)
        elif "worker" in msg:
            w = _Worker(msg["worker"], socket.socket(fileno=fds[0]), bool(msg.get("early")))
            if w.early:
                self.sink.write(f"worker {w.pid}: forked before the warm imports, for the packs\n")
            self.workers.append(w)
            self.sel.register(w.sock, selectors.EVENT_READ, (w, "worker"))

    def events(self, timeout: float = 1.0):
        """Yield (worker, message) for each job result; a dead worker yields (worker, None)."""
        for key, _ in self.sel.select(timeout):
            w, kind = key.data
            if kind == "ctl":
                self._control()
                continue
            try:
                data = os.read(key.fd, 65536)
            except OSError:
                data = b""
            if kind == "log":
                if data:
                    self.sink.write(data.decode("utf-8", "replace"))
                else:
                    self.sel.unregister(key.fileobj)
                continue
            if not data:
                self._forget(w)
                yield w, None
                continue
            w.out += data
            while b"\n" in w.out:
                line, w.out = w.out.split(b"\n", 1)
                yield w, json.loads(line)

    def wait_checked(self) -> None:
        """Wait for the warm process's verdict on the catalogue and the kernel; raise if refused."""
        from hmip.errors import KernelError

        while self.checked is None:
            for _ in self.events(1.0):
                pass
        if "refused" in self.checked:
            cls = KernelError if self.checked.get("error") == "KernelError" else CatalogueError
            raise cls(self.checked["refused"])

    def pids(self) -> list[int]:
        return [self.zygote.pid, *(w.pid for w in self.workers)]

    def close(self, timeout: float = 5.0) -> None:
        """End of input for every worker and the warm process; they exit (a worker first stops its
        primed spare). Anything still running after ``timeout`` is killed."""
        for w in list(self.workers):
            self._forget(w)
        with contextlib.suppress(OSError):
            self.ctl.close()
        self._reap(timeout)

    def terminate(self, timeout: float = 5.0) -> None:
        """Stop now: SIGTERM the warm process and each worker (a worker kills its report processes,
        whose kernels follow), then SIGKILL any descendant still there."""
        import psutil

        family = []
        with contextlib.suppress(psutil.Error):
            family = psutil.Process(self.zygote.pid).children(recursive=True)
        for pid in self.pids():
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGTERM)
        for w in list(self.workers):
            self._forget(w)
        with contextlib.suppress(OSError):
            self.ctl.close()
        self._reap(timeout)
        for p in family:
            with contextlib.suppress(psutil.Error):
                p.kill()
        psutil.wait_procs(family, timeout=timeout)

    def _reap(self, timeout: float) -> None:
        try:
            self.zygote.wait(timeout)
        except subprocess.TimeoutExpired:
            self.zygote.kill()
            self.zygote.wait()
        shutil.rmtree(self.shared, ignore_errors=True)
        with contextlib.suppress(Exception):
            rest = self.zygote.stdout.read()
            if rest:
                self.sink.write(rest.decode("utf-8", "replace"))
        with contextlib.suppress(Exception):
            self.zygote.stdout.close()


def name_width(jobs: list[Job]) -> int:
    """The width of the report-name column in progress lines."""
    return min(80, max([len(j.name) for j in jobs] + [10]))

"""Build every report in a catalogue: parallel, safe, self-contained HTML.

    hmip reports build [--catalogue reports.toml] [--jobs N] [--only NAME] [--list [--format json]]
                       [--out DIR] [--keep N] [--timeout SECONDS]

How a build runs:

1. The catalogue is read and expanded (an entry can fan out over PDUs). Every parameter is checked
   against the notebook's parameters cell (papermill's inspection): unknown names and wrong types
   are refused before anything runs (exit 2). This is done in one warm process that then imports the
   heavy libraries once and forks ``--jobs`` workers (:mod:`hmip.build.execute`).
2. Under ``reports/.lock``, staging folders of dead runs are removed. Each report runs in a fresh
   process forked from a warm worker, with its own kernel (forked too, over IPC in a private 0700
   directory removed afterwards), a time limit, into ``reports/.staging/<run-id>/``. HTML is rendered
   only from a successful execution, with code hidden and nothing fetched from the network.
3. Only if every report succeeded is the run moved to ``reports/<run-id>/`` and ``reports/index.html``
   and ``reports/latest`` switched (atomic renames); the last ``keep`` runs are kept. A partial build
   (``--only``) carries every other catalogue report over from the latest published run, marked with
   its original build time, so the index never loses a report.
4. If any report failed, or the build was stopped (SIGTERM, SIGINT), nothing published changes: the
   executed notebooks (with their errors) are kept under ``reports/failed/<run-id>/`` and named in the
   message. Workers and kernels are stopped with the build, and die with it if it is killed.

Exit statuses (defined in :mod:`hmip.errors`): 0 every report built and published; 1 a report failed
or timed out (nothing published); 2 bad catalogue, parameters or usage (nothing ran); 3 another build
holds the lock; 130 stopped by SIGTERM or SIGINT (nothing published). Each run writes
``reports/logs/<run-id>.log``: progress, the package versions, and every worker's and kernel's own
output and warnings (the console shows only one line per report and a summary).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
import warnings
from collections import deque
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from hmip.build.catalogue import (
    DEFAULT_CATALOGUE,
    Job,
    Settings,
    job_spec,
    load_catalogue,
    notebook_imports,
    slug,
    validate_jobs,
)
from hmip.build.execute import JobResult, _write_failure_notebook, run_pack
from hmip.build.lazy import defer_rfc3987_syntax
from hmip.build.publish import atomic_symlink, atomic_write, prune_runs
from hmip.build.render import index_html
from hmip.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    CatalogueError,
)
from hmip.paths import project_root, reports_dir, resolve

RUN_ID_PATTERN = r"\d{8}T\d{6}Z(-\d+)?"
PID_FILE = "builder.pid"


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

    def finished(self, r: dict, running: int) -> None:
        self.done += 1
        status = "ok" if r["ok"] else "FAILED"
        n = len(str(self.total))
        self.line(
            f"[{self.done:>{n}}/{self.total}] {status:<6} {r['name']:<{self.width}} {r['seconds']:6.1f}s"
            + (f"  {r['error']}" if r["error"] else "")
        )
        if self.tty and running:
            self.stream.write(f"  ... {running} running")
            self.stream.flush()


class _LogSink:
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
def _warnings_to(sink: _LogSink):
    """Third-party warnings raised in the builder go to the log, not the console."""
    old = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        sink.write(warnings.formatwarning(message, category, filename, lineno, line))

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = old


class _StopState:
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
def _stop_signals():
    state = _StopState()
    old = {s: signal.signal(s, state.handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield state
    finally:
        for s, h in old.items():
            signal.signal(s, h)


# --- The worker pool ----------------------------------------------------------------------------------------
class _Worker:
    def __init__(self, pid: int, sock):
        self.pid, self.sock, self.out, self.job, self.started = pid, sock, b"", None, 0.0
        self.returncode: int | None = None


class WorkerPool:
    """One warm process (:func:`hmip.build.execute.zygote_main`) checks the catalogue and imports the
    heavy libraries once; ``n`` workers are forked from it, each speaking JSON lines over a socket."""

    def __init__(self, n: int, hello: dict, sink: _LogSink):
        import socket

        from hmip.build.kernel import interpreter_flags

        self.n, self.sink = n, sink
        self.sel = selectors.DefaultSelector()
        self.workers: list[_Worker] = []
        self.checked: dict | None = None
        self.ready: dict | None = None
        self.ctl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.zygote = subprocess.Popen(
            [sys.executable, *interpreter_flags(hello["kernel"]), "-m", "hmip.build.execute"]
            + ["zygote", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            cwd=str(project_root()),
            env={**os.environ, "HMIP_BUILDER_PID": str(os.getpid())},
        )
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
            w = _Worker(msg["worker"], socket.socket(fileno=fds[0]))
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
        with contextlib.suppress(Exception):
            rest = self.zygote.stdout.read()
            if rest:
                self.sink.write(rest.decode("utf-8", "replace"))
        with contextlib.suppress(Exception):
            self.zygote.stdout.close()


# --- The build ----------------------------------------------------------------------------------------------
def build(
    catalogue: str | Path | None = None,
    *,
    jobs: int | None = None,
    only: list[str] | None = None,
    out: str | Path | None = None,
    keep: int | None = None,
    timeout: int | None = None,
    list_only: bool = False,
    list_format: str = "text",
    stream=None,
) -> tuple[int, dict]:
    """Build the catalogue. Returns (exit status, summary)."""
    defer_rfc3987_syntax()
    sink = _LogSink()
    with _warnings_to(sink):  # third-party warnings go to the run's log, never the console
        return _build(
            catalogue, sink, jobs, only, out, keep, timeout, list_only, list_format, stream
        )


def _build(
    catalogue, sink, jobs, only, out, keep, timeout, list_only, list_format, stream
) -> tuple[int, dict]:
    stream = stream or sys.stdout
    cat_path = resolve(catalogue or DEFAULT_CATALOGUE)
    catalogue_jobs, settings = load_catalogue(cat_path)
    selected = _select(catalogue_jobs, only)
    if list_only:
        validate_jobs(selected)
        specs = [job_spec(j, settings, timeout) for j in selected]
        if list_format == "json":
            stream.write(json.dumps({"catalogue": str(cat_path), "jobs": specs}, indent=2) + "\n")
        else:
            for j in selected:
                params = ", ".join(f"{k}={v!r}" for k, v in j.parameters.items()) or "defaults"
                stream.write(f"{j.name:<40} {j.notebook}  [{params}]  {j.title}\n")
        return EXIT_OK, {"jobs": specs}
    n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(selected)))
    hello = {
        "modules": notebook_imports([j.notebook for j in selected]),
        "kernel": settings.kernel,
        "validate": [asdict(j) for j in selected],  # checked there: papermill is imported there
    }
    pool = WorkerPool(n_jobs, hello, sink)
    try:
        with _stop_signals() as stop_state:
            pool.wait_checked()
            return _build_checked(
                pool,
                selected,
                catalogue_jobs,
                settings,
                partial=bool(only),
                out=out,
                keep=keep,
                timeout=timeout,
                stream=stream,
                sink=sink,
                stop_state=stop_state,
            )
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.close()


def _select(catalogue_jobs: list[Job], only: list[str] | None) -> list[Job]:
    if not only:
        return catalogue_jobs
    import difflib

    names = [j.name for j in catalogue_jobs]
    missing = [n for n in only if n not in names]
    if missing:
        hints = []
        for n in missing:
            close = difflib.get_close_matches(n, names, n=1)
            hints.append(f"'{n}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise CatalogueError(
            f"--only: no report named {', '.join(hints)}; reports: {', '.join(names)}"
        )
    return [j for j in catalogue_jobs if j.name in only]


def _build_checked(
    pool, jobs, catalogue_jobs, settings, *, partial, out, keep, timeout, stream, sink, stop_state
) -> tuple[int, dict]:
    out_dir = Path(out) if out else reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = keep if keep is not None else settings.keep
    timeout = timeout or settings.timeout
    with _reports_lock(out_dir) as locked:
        if not locked:
            stream.write(f"another build is running (lock {out_dir / '.lock'}); nothing was done\n")
            return EXIT_LOCKED, {}
        meta = _run_meta(paper=settings.paper)
        return _build_locked(
            pool,
            jobs,
            catalogue_jobs,
            settings,
            out_dir,
            keep,
            timeout,
            stream,
            sink,
            meta,
            partial,
            stop_state,
        )


@contextlib.contextmanager
def _reports_lock(out_dir: Path):
    """``reports/.lock``, taken without waiting: yields True when held (released on leaving), False
    when a build or a publish already holds it."""
    with (out_dir / ".lock").open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_meta(**extra: object) -> dict:
    """What the banner, index and manifest say made a run: time, project version, commit, packages."""
    from hmip.present.banner import git_commit, package_versions, project_version

    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "version": project_version(),
        "commit": git_commit(),
        "versions": package_versions(),
        **extra,
    }


def schedule(jobs: list[Job], out_dir: Path) -> list[Job]:
    """Longest first, so no long report is left running alone at the end: by the previous published
    run's times when there is one, otherwise single reports before the (many, similar) fanned-out ones."""
    previous: dict[str, float] = {}
    manifest = out_dir / "latest" / "manifest.json"
    if manifest.is_file():
        with contextlib.suppress(ValueError, KeyError, OSError, TypeError):
            previous = {
                r["name"]: float(r["seconds"]) for r in json.loads(manifest.read_text())["results"]
            }
    if previous:
        default = max(previous.values())  # a new report: assume it is long
        return sorted(jobs, key=lambda j: -previous.get(j.name, default))
    return sorted(jobs, key=lambda j: j.fanned_out)


def _new_run_id(out_dir: Path) -> str:
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id, i = base, 1
    while (
        (out_dir / run_id).exists()
        or (out_dir / "failed" / run_id).exists()
        or (out_dir / ".staging" / run_id).exists()
    ):
        run_id = f"{base}-{i}"
        i += 1
    return run_id


def _process_start(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def write_pid_file(staging: Path) -> None:
    (staging / PID_FILE).write_text(
        json.dumps({"pid": os.getpid(), "started": _process_start(os.getpid())}), encoding="utf-8"
    )


def remove_dead_staging(out_dir: Path) -> list[str]:
    """Remove staging folders whose builder is gone (killed, or the machine stopped). Called under the
    lock, so no live build owns any of them; the pid file is checked all the same."""
    from hmip.build.kernel import remove_stale_kernel_dirs

    removed = []
    root = out_dir / ".staging"
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if not d.is_dir():
                continue
            alive = False
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                info = json.loads((d / PID_FILE).read_text(encoding="utf-8"))
                started = _process_start(int(info["pid"]))
                alive = started is not None and abs(started - float(info["started"])) < 1.0
            if not alive:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d.name)
        with contextlib.suppress(OSError):
            root.rmdir()
    remove_stale_kernel_dirs()
    return removed


def _name_width(jobs: list[Job]) -> int:
    return min(80, max([len(j.name) for j in jobs] + [10]))


def _build_locked(
    pool: WorkerPool,
    jobs: list[Job],
    catalogue_jobs: list[Job],
    settings: Settings,
    out_dir: Path,
    keep: int,
    timeout: int,
    stream,
    sink: _LogSink,
    meta: dict,
    partial: bool,
    stop_state: _StopState,
) -> tuple[int, dict]:
    from hmip.present.banner import versions_text

    cleaned = remove_dead_staging(out_dir)
    run_id = _new_run_id(out_dir)
    staging = out_dir / ".staging" / run_id
    staging.mkdir(parents=True)
    write_pid_file(staging)
    (out_dir / "logs").mkdir(exist_ok=True)
    log_path = out_dir / "logs" / f"{run_id}.log"
    started = stop_state.started
    results: dict[str, dict] = {}
    reports, packs = jobs, pack_jobs(settings)
    jobs = reports + packs
    with log_path.open("a", encoding="utf-8") as log:
        sink.attach(log)
        progress = Progress(len(jobs), log, stream, _name_width(jobs))
        what = f"{len(reports)} reports" + (
            f" and {len(packs)} scrutiny pack{'s' if len(packs) > 1 else ''}" if packs else ""
        )
        progress.line(
            f"run {run_id}: {what}, {pool.n} at a time, kernel '{settings.kernel}' "
            f"(IPC), time limit {timeout}s each; log {log_path}"
        )
        progress.line(f"versions: {versions_text(meta['versions'])}", console=False)
        for name in cleaned:
            progress.line(f"removed the staging folder of a dead run: {name}")
        summary = {"run_id": run_id, "jobs": pool.n, "log": str(log_path)}
        try:
            _run_all(pool, jobs, staging, settings, timeout, meta, results, progress, log)
        except BuildInterrupted as stop:
            from hmip.build.kernel import remove_stale_kernel_dirs

            stop_state.critical = True
            pool.terminate()
            remove_stale_kernel_dirs()  # the private directories of the kernels just stopped
            return _keep_failed(
                out_dir,
                staging,
                jobs,
                results,
                summary,
                meta,
                progress,
                started,
                interrupted=stop,
            )
        stop_state.critical = True  # from here on a signal is recorded, not obeyed halfway
        ordered = [results[j.name] for j in jobs]
        if any(not r["ok"] for r in ordered):
            return _keep_failed(
                out_dir, staging, jobs, results, summary, meta, progress, started, None
            )
        if partial:
            ordered = _carry_over(out_dir, staging, reports, catalogue_jobs, ordered, progress)
        return _publish(
            out_dir, staging, run_id, ordered, summary, meta, progress, keep, started, len(jobs)
        )


def pack_jobs(settings: Settings) -> list[Job]:
    """The catalogue's scrutiny packs (PDF, HTML, workbook, CSVs) as jobs: built by the workers alongside
    the reports, into the same run, so a failed pack publishes nothing, like a failed report."""
    return [
        Job(
            name=f"scrutiny-pack-{slug(region)}",
            title=f"Scrutiny pack: {region}",
            notebook="",
            parameters={"region": region, "paper": paper},
            pack=True,
        )
        for region, paper in settings.packs
    ]


def _run_all(pool, jobs, staging, settings, timeout, meta, results, progress, log) -> None:
    pending = deque(schedule(jobs, staging.parent.parent))
    by_name = {j.name: j for j in jobs}
    while len(results) < len(jobs):
        for w in pool.workers:
            if w.job is None and pending:
                job = pending.popleft()
                w.job, w.started = job, time.perf_counter()
                pool.send(
                    w,
                    {
                        "job": asdict(job),
                        "staging": str(staging),
                        "kernel": settings.kernel,
                        "timeout": timeout,
                        "meta": meta,
                        "more": bool(pending),  # none left: the worker primes no spare kernel
                    },
                )
        for w, msg in pool.events(1.0):
            if msg is None:  # the worker died
                log.write(f"worker {w.pid} exited\n")
                if w.job is not None:
                    r = asdict(
                        JobResult(
                            w.job.name,
                            w.job.title,
                            w.job.parameters,
                            False,
                            time.perf_counter() - w.started,
                            "its worker process died",
                        )
                    )
                    _ensure_notebook(w.job, staging, r["error"])
                    results[w.job.name] = r
                    progress.finished(r, sum(x.job is not None for x in pool.workers))
                if pending:
                    pool.request(1)  # a replacement, forked from the warm process
                continue
            job = by_name[msg["name"]]
            w.job = None
            results[job.name] = msg
            progress.finished(msg, sum(x.job is not None for x in pool.workers))


def _ensure_notebook(job: Job, staging: Path, error: str) -> None:
    """A failed or unfinished report always leaves a notebook with its error (a pack has none)."""
    nb = staging / f"{job.name}.ipynb"
    if not job.pack and not nb.exists():
        _write_failure_notebook(resolve(job.notebook), nb, job.parameters, error)


def _relative(result: dict) -> dict:
    """Every file of a run sits at the top of its folder."""
    r = dict(result)
    for key in ("html", "notebook"):
        if r.get(key):
            r[key] = Path(r[key]).name
    return r


def _write_manifest(
    folder: Path, summary: dict, meta: dict, results: list[dict], final: Path
) -> None:
    """manifest.json: paths relative to the run's folder; each report's build time and whether it was
    carried over from an earlier run; the package versions."""
    manifest = {
        **meta,
        "run_id": summary["run_id"],
        "status": summary.get("status", "published"),
        "wall_seconds": summary.get("wall_seconds"),
        "jobs": summary["jobs"],
        "log": os.path.relpath(summary["log"], final),
        "results": [
            {
                **_relative(r),
                "carried_over": bool(r.get("carried_over")),
                "built_at": r.get("built_at") or "",
            }
            for r in results
        ],
    }
    (folder / "manifest.json").write_text(
        json.dumps(manifest, indent=2, default=str), encoding="utf-8"
    )


def _keep_failed(
    out_dir, staging, jobs, results, summary, meta, progress, started, interrupted
) -> tuple[int, dict]:
    dest = out_dir / "failed" / summary["run_id"]
    ordered = []
    for j in jobs:
        r = results.get(j.name)
        if r is None:
            why = f"not finished: the build was stopped by {interrupted}"
            r = asdict(JobResult(j.name, j.title, j.parameters, False, 0.0, why))
            _ensure_notebook(j, staging, why)
        ordered.append(r)
    summary.update(
        wall_seconds=time.perf_counter() - started,
        status="interrupted" if interrupted else "failed",
        results=ordered,
    )
    (staging / PID_FILE).unlink(missing_ok=True)
    for r in ordered:
        for key in ("html", "notebook"):
            if r.get(key):
                r[key] = str(dest / Path(r[key]).name)
    _write_manifest(staging, summary, meta, ordered, dest)
    dest.parent.mkdir(exist_ok=True)
    shutil.move(str(staging), dest)
    with contextlib.suppress(OSError):
        (out_dir / ".staging").rmdir()
    summary["failed_dir"] = str(dest)
    if interrupted:
        done = sum(r["ok"] for r in ordered)
        progress.line(
            f"stopped by {interrupted}: {done} of {len(ordered)} reports had finished; nothing was "
            f"published; what ran is kept in {dest}. Log: {summary['log']}"
        )
        return EXIT_INTERRUPTED, summary
    failed = [r for r in ordered if not r["ok"]]
    for r in failed:
        progress.line(
            f"FAILED {r['name']}: {r['error']}\n  executed notebook with the error: {r['notebook']}"
        )
    progress.line(
        f"{len(failed)} of {len(ordered)} reports failed: nothing was published; "
        f"the previous reports and index are unchanged. Log: {summary['log']}"
    )
    return EXIT_FAILED, summary


def _carry_over(out_dir, staging, jobs, catalogue_jobs, built, progress) -> list[dict]:
    """A partial build publishes a complete run: every other catalogue report comes from the latest
    published run, with its original build time."""
    rebuilt = {j.name for j in jobs}
    others = [j for j in catalogue_jobs if j.name not in rebuilt]
    if not others:
        return built
    latest = out_dir / "latest"
    previous: dict[str, dict] = {}
    prev_dir = latest.resolve() if latest.is_symlink() or latest.exists() else None
    if prev_dir is not None and (prev_dir / "manifest.json").is_file():
        with contextlib.suppress(OSError, ValueError, KeyError):
            m = json.loads((prev_dir / "manifest.json").read_text(encoding="utf-8"))
            for r in m["results"]:
                if r.get("ok"):
                    r["built_at"] = r.get("built_at") or m.get("generated_at", "")
                    if not r.get("carried_over"):
                        r["from_run"] = m.get("run_id", prev_dir.name)
                    previous[r["name"]] = r
    if not previous:
        progress.line(
            f"no earlier run to carry over from: publishing only the {len(built)} reports built"
        )
        return built
    by_name = {r["name"]: r for r in built}
    missing = []
    for j in others:
        r = previous.get(j.name)
        src_html = prev_dir / f"{j.name}.html"
        if r is None or not src_html.is_file():
            missing.append(j.name)
            continue
        for ext in ("html", "ipynb"):
            src = prev_dir / f"{j.name}.{ext}"
            if src.is_file():
                shutil.copy2(src, staging / src.name)
        by_name[j.name] = {
            **r,
            "title": j.title,
            "parameters": j.parameters,
            "html": str(staging / f"{j.name}.html"),
            "notebook": str(staging / f"{j.name}.ipynb"),
            "carried_over": True,
            "from_run": r.get("from_run") or prev_dir.name,
        }
    progress.line(
        f"carried over {len(others) - len(missing)} reports from run {prev_dir.name} (built earlier)"
        + (f"; not in that run, so not in this one: {', '.join(missing)}" if missing else "")
    )
    listed = {j.name for j in catalogue_jobs}
    return [by_name[j.name] for j in catalogue_jobs if j.name in by_name] + [
        r
        for r in built
        if r["name"] not in listed  # the scrutiny packs, rebuilt every time
    ]


def _publish(
    out_dir, staging, run_id, results, summary, meta, progress, keep, started, n_built
) -> tuple[int, dict]:
    final = out_dir / run_id
    summary.update(wall_seconds=time.perf_counter() - started, status="published")
    (staging / PID_FILE).unlink(missing_ok=True)
    _write_manifest(staging, summary, meta, results, final)
    os.replace(staging, final)
    for r in results:
        r["html"] = str(final / f"{r['name']}.html")
        r["notebook"] = str(final / f"{r['name']}.ipynb")
    atomic_write(out_dir / "index.html", index_html(run_id, results, meta))
    atomic_symlink(run_id, out_dir / "latest")
    removed = prune_runs(out_dir, keep)
    with contextlib.suppress(OSError):
        (out_dir / ".staging").rmdir()  # only if empty
    carried = sum(1 for r in results if r.get("carried_over"))
    progress.line(
        f"published {len(results)} reports ({n_built} built"
        + (f", {carried} carried over" if carried else "")
        + f") to {final} in {summary['wall_seconds']:.1f}s; index {out_dir / 'index.html'}"
        + (f"; removed old runs {removed}" if removed else "")
    )
    summary["results"] = results
    summary["run_dir"] = str(final)
    return EXIT_OK, summary


# --- Publishing outputs gathered from elsewhere ------------------------------------------------------------
def _executed_info(notebook: Path) -> tuple[float, str]:
    """(seconds, finished UTC) from papermill's metadata in an executed notebook."""
    seconds, built = 0.0, ""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        meta = json.loads(notebook.read_text(encoding="utf-8"))["metadata"]["papermill"]
        seconds = float(meta.get("duration") or 0.0)
        end = meta.get("end_time")
        if end:
            built = datetime.fromisoformat(end).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return seconds, built


def publish_gathered(
    folder: str | Path,
    catalogue: str | Path | None = None,
    *,
    out: str | Path | None = None,
    keep: int | None = None,
    stream=None,
) -> tuple[int, dict]:
    """Publish a run whose reports were built elsewhere (e.g. one Airflow task per report running
    ``hmip run ... -o FOLDER/<name>.html``): every catalogue report must be in ``folder``, else nothing
    is published (exit 1). The catalogue's scrutiny packs need no kernel and are built here, into the
    run (a failed pack: nothing is published). Then the same atomic publish as a build: copied into staging, manifest
    written, moved into place by a rename, index and ``latest`` switched, old runs pruned."""
    defer_rfc3987_syntax()
    stream = stream or sys.stdout
    folder = Path(folder)
    jobs, settings = load_catalogue(resolve(catalogue or DEFAULT_CATALOGUE))
    missing = [j.name for j in jobs if not (folder / f"{j.name}.html").is_file()]
    if missing:
        stream.write(
            f"nothing was published: {len(missing)} of {len(jobs)} reports are missing from {folder}: "
            f"{', '.join(missing)}\n"
        )
        return EXIT_FAILED, {"missing": missing}
    out_dir = Path(out) if out else reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    with _reports_lock(out_dir) as locked:
        if not locked:
            stream.write(f"another build is running (lock {out_dir / '.lock'}); nothing was done\n")
            return EXIT_LOCKED, {}
        remove_dead_staging(out_dir)
        started = time.perf_counter()
        run_id = _new_run_id(out_dir)
        staging = out_dir / ".staging" / run_id
        staging.mkdir(parents=True)
        write_pid_file(staging)
        (out_dir / "logs").mkdir(exist_ok=True)
        log_path = out_dir / "logs" / f"{run_id}.log"
        meta = _run_meta()
        results = []
        for j in jobs:
            for ext in ("html", "ipynb"):
                src = folder / f"{j.name}.{ext}"
                if src.is_file():
                    shutil.copy2(src, staging / src.name)
            seconds, built = _executed_info(folder / f"{j.name}.ipynb")
            if not built:
                mtime = (folder / f"{j.name}.html").stat().st_mtime
                built = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            results.append(
                {
                    **asdict(JobResult(j.name, j.title, j.parameters, True, seconds)),
                    "html": str(staging / f"{j.name}.html"),
                    "notebook": str(staging / f"{j.name}.ipynb"),
                    "built_at": built,
                }
            )
        with log_path.open("a", encoding="utf-8") as log:
            packs = pack_jobs(settings)
            progress = Progress(len(jobs) + len(packs), log, stream, _name_width(jobs + packs))
            progress.line(f"run {run_id}: publishing {len(jobs)} reports gathered from {folder}")
            for p in packs:  # needs no kernel: built here, from the data, like the build does
                r = run_pack(asdict(p), str(staging))
                progress.finished(r, 0)
                if not r["ok"]:
                    shutil.rmtree(staging, ignore_errors=True)
                    with contextlib.suppress(OSError):
                        (out_dir / ".staging").rmdir()
                    progress.line(f"nothing was published: the scrutiny pack failed: {r['error']}")
                    return EXIT_FAILED, {"failed": [r]}
                results.append(r)
            summary = {
                "run_id": run_id,
                "jobs": 0,
                "log": str(log_path),
                "gathered_from": str(folder),
            }
            return _publish(
                out_dir,
                staging,
                run_id,
                results,
                summary,
                meta,
                progress,
                keep if keep is not None else settings.keep,
                started,
                len(jobs),
            )


# --- One notebook by hand -------------------------------------------------------------------------------------
def _error_names() -> set[str]:
    from hmip.errors import HmipError

    names, todo = set(), [HmipError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _notebook_title(path: Path) -> str:
    with contextlib.suppress(OSError, ValueError):
        for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
            if cell.get("cell_type") == "markdown":
                for line in "".join(cell.get("source", "")).splitlines():
                    if line.startswith("# "):
                        return line[2:].strip()
    return path.stem.replace("_", " ").capitalize()


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
    defer_rfc3987_syntax()
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
    html.parent.mkdir(parents=True, exist_ok=True)
    executed = html.with_suffix(".ipynb")
    meta = _run_meta()
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
                str(html.parent),
                kernel,
                timeout or DEFAULT_TIMEOUT,
                meta,
                html_path=str(html),
                notebook_path=str(executed),
            )
        finally:
            signal.signal(signal.SIGTERM, old_term)
    if r["ok"]:
        stream.write(f"wrote {html} in {r['seconds']:.1f}s (executed notebook: {executed})\n")
        return EXIT_OK
    if r.get("ename") in _error_names():  # the notebook refused a value: say why, in one line
        message = r["error"].split(": ", 1)[-1].strip().splitlines()[0]
        print(f"error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(
        f"error: {r['error']}\n  the executed notebook with the error: {executed}", file=sys.stderr
    )
    return EXIT_FAILED


def add_run_arguments(parser) -> None:
    parser.add_argument(
        "notebook", help="the notebook, e.g. notebooks/sample_size_sensitivity.ipynb"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter (repeatable); checked against the notebook's parameters cell",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="the HTML to write (default: NOTEBOOK-NAME.html here); the executed notebook goes beside it",
    )
    parser.add_argument(
        "--title", default=None, help="the banner's title (default: the notebook's)"
    )
    parser.add_argument(
        "--timeout", type=int, default=None, help="time limit per cell in seconds (default 900)"
    )
    parser.add_argument("--kernel", default="hmip", help="Jupyter kernel (default: hmip)")


# --- CLI glue ---------------------------------------------------------------------------------------------------
def add_build_arguments(parser) -> None:
    parser.add_argument(
        "--catalogue",
        default=None,
        help=f"catalogue file (default: {DEFAULT_CATALOGUE} in the project root)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="reports built at once (default: the number of cores)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=None,
        metavar="NAME",
        help="rebuild only this report (repeatable); the others are carried over from the latest run",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the reports and their parameters; run nothing"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="with --list: json prints the jobs for an external scheduler",
    )
    parser.add_argument("--out", default=None, help="output folder (default: reports/)")
    parser.add_argument(
        "--keep",
        type=int,
        default=None,
        help="successful runs to keep (default: the catalogue's, else 5)",
    )
    parser.add_argument(
        "--timeout", type=int, default=None, help="time limit per report in seconds"
    )

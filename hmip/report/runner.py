"""Build every report in a catalogue: parallel, safe, self-contained HTML.

    hmip reports build [--catalogue reports.toml] [--jobs N] [--only NAME] [--list] [--out DIR]
                       [--keep N] [--timeout SECONDS]

How a build runs:

1. The catalogue is read and expanded (an entry can fan out over PDUs). Every parameter is checked
   against the notebook's parameters cell (papermill's inspection): unknown names and wrong types
   are refused before anything runs (exit 2).
2. Reports are executed by papermill with the ``hmip`` kernel named explicitly, in parallel
   (``--jobs``), each with a time limit, into ``reports/.staging/<run-id>/``. HTML is rendered only
   from a successful execution, with code hidden and nothing fetched from the network.
3. Only if every report succeeded is the run moved to ``reports/<run-id>/`` and ``reports/index.html``
   and ``reports/latest`` switched (atomic renames); the last ``keep`` runs are kept.
4. If any report failed, nothing published changes: the executed notebooks (with their errors) are
   kept under ``reports/failed/<run-id>/`` and named in the message, and the exit status is 1.

Exit statuses (for schedulers): 0 every report built and published; 1 a report failed or timed out
(nothing published); 2 bad catalogue, parameters or usage (nothing ran); 3 another build holds the
lock; 130 interrupted. Each run writes ``reports/logs/<run-id>.log``.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import fcntl
import json
import multiprocessing
import os
import shutil
import sys
import time
import traceback
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from hmip.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, CatalogueError
from hmip.paths import reports_dir, resolve
from hmip.report.catalogue import DEFAULT_CATALOGUE, Job, Settings, load_catalogue, validate_jobs
from hmip.report.execute import JobResult, _noop, _short_error, _warm_worker, run_job
from hmip.report.publish import atomic_symlink, atomic_write, prune_runs
from hmip.report.render import index_html


# --- The build ----------------------------------------------------------------------------------------------
class Progress:
    """One line per report with its status and time; a live line as well when writing to a terminal."""

    def __init__(self, total: int, log, stream=None):
        self.total, self.done, self.log = total, 0, log
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()

    def line(self, text: str) -> None:
        if self.tty:
            self.stream.write("\r\033[K")
        self.stream.write(text + "\n")
        self.stream.flush()
        self.log.write(text + "\n")
        self.log.flush()

    def finished(self, r: dict, running: int) -> None:
        self.done += 1
        status = "ok" if r["ok"] else "FAILED"
        self.line(
            f"[{self.done:>3}/{self.total}] {status:<6} {r['name']:<40} {r['seconds']:6.1f}s"
            + (f"  {r['error']}" if r["error"] else "")
        )
        if self.tty and running:
            self.stream.write(f"  ... {running} running")
            self.stream.flush()


def build(
    catalogue: str | Path | None = None,
    *,
    jobs: int | None = None,
    only: list[str] | None = None,
    out: str | Path | None = None,
    keep: int | None = None,
    timeout: int | None = None,
    list_only: bool = False,
    stream=None,
) -> tuple[int, dict]:
    """Build the catalogue. Returns (exit status, summary)."""
    stream = stream or sys.stdout
    cat_path = resolve(catalogue or DEFAULT_CATALOGUE)
    all_jobs, settings = load_catalogue(cat_path)
    if only:
        missing = [n for n in only if n not in {j.name for j in all_jobs}]
        if missing:
            raise CatalogueError(
                f"--only: no report named {missing}; reports: {', '.join(j.name for j in all_jobs)}"
            )
        all_jobs = [j for j in all_jobs if j.name in only]
    if list_only:
        validate_jobs(all_jobs)
        for j in all_jobs:
            params = ", ".join(f"{k}={v!r}" for k, v in j.parameters.items()) or "defaults"
            stream.write(f"{j.name:<40} {j.notebook}  [{params}]  {j.title}\n")
        return EXIT_OK, {"jobs": [asdict(j) for j in all_jobs]}
    jobs = min(jobs or os.cpu_count() or 1, len(all_jobs))
    pool = cf.ProcessPoolExecutor(
        max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_worker
    )
    for _ in range(jobs):
        pool.submit(_noop)  # start the workers now, so their imports overlap the validation below
    try:
        return _build_with_pool(
            pool, all_jobs, settings, jobs=jobs, out=out, keep=keep, timeout=timeout, stream=stream
        )
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _preflight(jobs: list[dict], kernel: str) -> None:
    """Validate parameters and the kernel (in a worker, which imports papermill anyway)."""
    from hmip.report.kernel import kernel_python

    validate_jobs([Job(**j) for j in jobs])
    kernel_python(kernel)  # a clear error now if the kernel is missing


def _build_with_pool(
    pool, all_jobs, settings, *, jobs, out, keep, timeout, stream
) -> tuple[int, dict]:
    from hmip.report.banner import git_commit, project_version

    pool.submit(
        _preflight, [asdict(j) for j in all_jobs], settings.kernel
    ).result()  # raises CatalogueError / KernelError
    out_dir = Path(out) if out else reports_dir()
    out_dir.mkdir(parents=True, exist_ok=True)
    keep = keep if keep is not None else settings.keep
    timeout = timeout or settings.timeout
    lock_fh = (out_dir / ".lock").open("w")
    try:
        fcntl.flock(lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.write(f"another build is running (lock {out_dir / '.lock'}); nothing was done\n")
        return EXIT_LOCKED, {}
    try:
        return _build_locked(
            pool,
            all_jobs,
            settings,
            out_dir,
            jobs,
            keep,
            timeout,
            stream,
            {
                "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "version": project_version(),
                "commit": git_commit(),
            },
        )
    finally:
        fcntl.flock(lock_fh, fcntl.LOCK_UN)
        lock_fh.close()


def schedule(jobs: list[Job], out_dir: Path) -> list[Job]:
    """Longest first, so no long report is left running alone at the end: by the previous published
    run's times when there is one, otherwise single reports before the (many, similar) fanned-out ones."""
    previous: dict[str, float] = {}
    manifest = out_dir / "latest" / "manifest.json"
    if manifest.is_file():
        with contextlib.suppress(ValueError, KeyError, OSError):
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


def _build_locked(
    pool,
    jobs: list[Job],
    settings: Settings,
    out_dir: Path,
    n_jobs: int,
    keep: int,
    timeout: int,
    stream,
    meta: dict,
) -> tuple[int, dict]:
    run_id = _new_run_id(out_dir)
    staging = out_dir / ".staging" / run_id
    staging.mkdir(parents=True)
    (out_dir / "logs").mkdir(exist_ok=True)
    log_path = out_dir / "logs" / f"{run_id}.log"
    started = time.perf_counter()
    results: list[dict] = []
    with log_path.open("w", encoding="utf-8") as log:
        progress = Progress(len(jobs), log, stream)
        progress.line(
            f"run {run_id}: {len(jobs)} reports, {n_jobs} at a time, kernel '{settings.kernel}', "
            f"time limit {timeout}s each; log {log_path}"
        )
        futures = {
            pool.submit(run_job, asdict(j), str(staging), settings.kernel, timeout, meta): j
            for j in schedule(jobs, out_dir)
        }
        pending = set(futures)
        for fut in cf.as_completed(futures):
            pending.discard(fut)
            job = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker is a failed report
                r = asdict(
                    JobResult(job.name, job.title, job.parameters, False, 0.0, _short_error(exc))
                )
                log.write(traceback.format_exc())
            results.append(r)
            progress.finished(r, len(pending))
        order = {j.name: i for i, j in enumerate(jobs)}
        results.sort(key=lambda r: order[r["name"]])
        wall = time.perf_counter() - started
        summary = {
            "run_id": run_id,
            "wall_seconds": wall,
            "results": results,
            "jobs": n_jobs,
            "log": str(log_path),
        }
        failed = [r for r in results if not r["ok"]]
        (staging / "manifest.json").write_text(
            json.dumps({**summary, **meta}, indent=2, default=str), encoding="utf-8"
        )
        if failed:
            dest = out_dir / "failed" / run_id
            dest.parent.mkdir(exist_ok=True)
            shutil.move(str(staging), dest)
            for r in failed:
                progress.line(
                    f"FAILED {r['name']}: {r['error']}\n  executed notebook with the error: {dest / (r['name'] + '.ipynb')}"
                )
            progress.line(
                f"{len(failed)} of {len(results)} reports failed: nothing was published; "
                f"the previous reports and index are unchanged. Log: {log_path}"
            )
            summary["failed_dir"] = str(dest)
            with contextlib.suppress(OSError):
                (out_dir / ".staging").rmdir()
            return EXIT_FAILED, summary
        final = out_dir / run_id
        os.replace(staging, final)
        for r in results:
            r["html"] = str(final / f"{r['name']}.html")
            r["notebook"] = str(final / f"{r['name']}.ipynb")
        atomic_write(out_dir / "index.html", index_html(run_id, results, meta))
        atomic_symlink(run_id, out_dir / "latest")
        removed = prune_runs(out_dir, keep)
        with contextlib.suppress(OSError):
            (out_dir / ".staging").rmdir()  # only if empty
        progress.line(
            f"published {len(results)} reports to {final} in {wall:.1f}s; index {out_dir / 'index.html'}"
            + (f"; removed old runs {removed}" if removed else "")
        )
        summary["run_dir"] = str(final)
        return EXIT_OK, summary


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
        help="build only this report (repeatable)",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the reports and their parameters; run nothing"
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

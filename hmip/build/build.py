"""Build every report in a catalogue: parallel, safe, self-contained HTML.

    hmip reports build [--catalogue reports.toml] [--jobs N] [--only NAME] [--list [--format json]]
                       [--out DIR] [--keep N] [--timeout SECONDS]

How a build runs:

1. The catalogue is read and expanded (an entry can fan out over PDUs). Every parameter is checked
   against the notebook's parameters cell (papermill's inspection): unknown names and wrong types
   are refused before anything runs (exit 2). This is done in one warm process that then imports the
   heavy libraries once and forks ``--jobs`` workers (:mod:`hmip.build.pool`, :mod:`hmip.build.execute`).
2. Under ``reports/.lock``, staging folders of dead runs are removed. Each report runs in a fresh
   process forked from a warm worker, with its own kernel (forked too, over IPC in a private 0700
   directory removed afterwards), a time limit, into ``reports/.staging/<run-id>/``. HTML is rendered
   only from a successful execution, with code hidden and nothing fetched from the network.
3. Only if every report succeeded is the run (with its own ``index.html``) moved to
   ``reports/<run-id>/`` and published by one atomic switch, ``reports/latest``
   (``reports/index.html`` links to ``latest/index.html``; :mod:`hmip.build.publish`); the last
   ``keep`` runs are kept, and as many failed runs and logs. A partial build (``--only``) carries every other catalogue report over from the latest
   published run, marked with its original build time, so the index never loses a report.
4. If any report failed, or the build was stopped (SIGTERM, SIGINT), nothing published changes: the
   executed notebooks (with their errors) are kept under ``reports/failed/<run-id>/`` and named in the
   message. Workers and kernels are stopped with the build, and die with it if it is killed.

Exit statuses (defined in :mod:`hmip.errors`): 0 every report built and published (a SIGTERM after
publishing does not change it); 1 a report failed or timed out (nothing published); 2 bad catalogue,
parameters or usage (nothing ran), or a report refused its data or a parameter; 3 another build holds
the lock; 4 the reports folder could not be written (disk full, read-only: this run removed, nothing
published changed); 130 stopped by SIGTERM or SIGINT (nothing published). Each run writes
``reports/logs/<run-id>.log``: progress, the package versions, and every worker's and kernel's own
output and warnings (the console shows only one line per report and a summary).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import functools
import json
import os
import shutil
import sys
import threading
import time
from collections import Counter, deque
from dataclasses import asdict, dataclass
from pathlib import Path

from hmip.build import names
from hmip.build.catalogue import (
    DEFAULT_CATALOGUE,
    Job,
    Settings,
    job_spec,
    load_catalogue,
    notebook_imports,
    pack_jobs,
    positive_setting,
    validate_jobs,
)
from hmip.build.index import preload_index
from hmip.build.lazy import defer_rfc3987_syntax
from hmip.build.pool import (
    BuildInterrupted,
    LogSink,
    Progress,
    StopState,
    WorkerPool,
    name_width,
    stop_signals,
    warnings_to,
)
from hmip.build.publish import (
    Staging,
    disk_error_text,
    disk_faults,
    locked_message,
    make_reports_dir,
    open_staging,
    publish,
    reports_lock,
    run_meta,
    writable,
)
from hmip.build.results import JobResult, RunSummary
from hmip.errors import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_LOCKED,
    EXIT_OK,
    CatalogueError,
    input_error_names,
)
from hmip.paths import reports_dir, resolve


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
) -> tuple[int, RunSummary]:
    """Build the catalogue. Returns (exit status, summary)."""
    defer_rfc3987_syntax()  # before anything imports nbformat (see hmip.build.lazy)
    stream = stream or sys.stdout
    if keep is not None:
        keep = positive_setting(keep, "--keep")
    if timeout is not None:
        timeout = positive_setting(timeout, "--timeout")
    cat_path = resolve(catalogue or DEFAULT_CATALOGUE)
    catalogue_jobs, settings = load_catalogue(cat_path)
    selected = _select(catalogue_jobs, only)
    if list_only:
        return _list(
            selected, settings, cat_path=cat_path, timeout=timeout, fmt=list_format, stream=stream
        )
    out_dir = Path(out) if out else reports_dir()
    writable(out_dir)  # a read-only or full reports folder: one line, exit 4, before any work
    sink = LogSink()
    with warnings_to(sink), stop_signals() as stop_state:  # SIGTERM from here on: exit 130
        n_jobs = max(1, min(jobs or os.cpu_count() or 1, len(selected)))
        hello = {
            "modules": notebook_imports([j.notebook for j in selected]),
            "kernel": settings.kernel,
            "validate": [asdict(j) for j in selected],  # checked there: papermill is imported there
            # the packs start on a worker forked before the warm imports, on the core they leave idle
            "early_pack": bool(settings.packs) and n_jobs >= 2,
        }
        pool = None
        try:
            pool = WorkerPool(n_jobs, hello, sink)
            # what the index page needs (pandas, the loaders, the badges), imported by this process
            # while the reports run, not after the last one (~0.5 s at the end of every build)
            threading.Thread(target=preload_index, daemon=True, name="preload-index").start()
            stop_state.started = time.perf_counter()
            pool.wait_checked()
            plan = _Plan(
                jobs=selected,
                catalogue_jobs=catalogue_jobs,
                settings=settings,
                partial=bool(only),
                keep=keep if keep is not None else settings.keep,
                timeout=timeout or settings.timeout,
            )
            return _build_checked(
                pool, plan, out=out_dir, stream=stream, sink=sink, stop_state=stop_state
            )
        except BaseException:
            if pool is not None:
                pool.terminate()
            raise
        finally:
            if pool is not None:
                pool.close()  # still under the stop handlers: a SIGTERM now cannot change the outcome


def _list(
    selected: list[Job], settings: Settings, *, cat_path: Path, timeout, fmt: str, stream
) -> tuple[int, RunSummary]:
    """``--list``: the jobs, as text or (for an external scheduler) JSON; nothing runs."""
    validate_jobs(selected)
    specs = [job_spec(j, settings, timeout) for j in selected]
    if fmt == "json":
        stream.write(json.dumps({"catalogue": str(cat_path), "jobs": specs}, indent=2) + "\n")
    else:
        for j in selected:
            params = ", ".join(f"{k}={v!r}" for k, v in j.parameters.items()) or "defaults"
            stream.write(f"{j.name:<40} {j.notebook}  [{params}]  {j.title}\n")
    return EXIT_OK, RunSummary(status="listed", specs=specs)


def _select(catalogue_jobs: list[Job], only: list[str] | None) -> list[Job]:
    if not only:
        return catalogue_jobs
    import difflib

    job_names = [j.name for j in catalogue_jobs]
    missing = [n for n in only if n not in job_names]
    if missing:
        hints = []
        for n in missing:
            close = difflib.get_close_matches(n, job_names, n=1)
            hints.append(f"'{n}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        raise CatalogueError(
            f"--only: no report named {', '.join(hints)}; reports: {', '.join(job_names)}"
        )
    return [j for j in catalogue_jobs if j.name in only]


@dataclass
class _Plan:
    """What this build runs, and how."""

    jobs: list[Job]
    catalogue_jobs: list[Job]
    settings: Settings
    partial: bool
    keep: int
    timeout: int


def _build_checked(
    pool: WorkerPool, plan: _Plan, *, out, stream, sink: LogSink, stop_state: StopState
) -> tuple[int, RunSummary]:
    out_dir = make_reports_dir(Path(out))
    with reports_lock(out_dir) as locked:
        if not locked:
            stream.write(locked_message(out_dir))
            return EXIT_LOCKED, RunSummary(status="locked")
        meta = run_meta(paper=plan.settings.paper)
        with disk_faults(out_dir, stop_state=stop_state) as fault:
            staging = fault.staging = open_staging(out_dir)
            return _build_locked(
                pool,
                plan,
                staging=staging,
                stream=stream,
                sink=sink,
                meta=meta,
                stop_state=stop_state,
            )


def schedule(jobs: list[Job], out_dir: Path) -> list[Job]:
    """Longest first, so no long report is left running alone at the end (LPT scheduling): by the
    previous published run's times when there is one. Otherwise by what each kind of job costs: the
    scrutiny packs first (each prepares every PDU's page and lays out and writes a PDF: the longest
    job of a build), then single reports, then fanned-out ones, the fan-outs over few values before
    those over many (a report made for each of many PDUs is the light, per-PDU kind; one made for
    a few PDUs, such as the audit-progress report for the PDUs with audits, does more for each)."""
    previous: dict[str, float] = {}
    manifest = out_dir / names.LATEST / names.MANIFEST
    if manifest.is_file():
        with contextlib.suppress(ValueError, KeyError, OSError, TypeError):
            previous = {
                r["name"]: float(r["seconds"]) for r in json.loads(manifest.read_text())["results"]
            }
    if previous:
        default = max(previous.values())  # a new report: assume it is long
        return sorted(jobs, key=lambda j: -previous.get(j.name, default))
    fan_size = Counter(j.notebook for j in jobs if j.fanned_out and not j.pack)
    return sorted(
        jobs, key=lambda j: (not j.pack, j.fanned_out, fan_size[j.notebook] if j.fanned_out else 0)
    )


def _build_locked(
    pool: WorkerPool,
    plan: _Plan,
    *,
    staging: Staging,
    stream,
    sink: LogSink,
    meta: dict,
    stop_state: StopState,
) -> tuple[int, RunSummary]:
    from hmip.present.banner import versions_text

    started = stop_state.started
    results: dict[str, JobResult] = {}
    reports, packs = plan.jobs, pack_jobs(plan.settings)
    jobs = reports + packs
    with staging.log.open("a", encoding="utf-8") as log:
        sink.attach(log)
        progress = Progress(len(jobs), log, stream, name_width(jobs))
        what = f"{len(reports)} reports" + (
            f" and {len(packs)} scrutiny pack{'s' if len(packs) > 1 else ''}" if packs else ""
        )
        progress.line(
            f"run {staging.run_id}: {what}, {pool.n} at a time, kernel '{plan.settings.kernel}' "
            f"(IPC), time limit {plan.timeout}s each; log {staging.log}"
        )
        progress.line(f"versions: {versions_text(meta['versions'])}", console=False)
        for name in staging.cleaned:
            progress.line(f"removed the staging folder of a dead run: {name}")
        summary = RunSummary(run_id=staging.run_id, jobs=pool.n, log=str(staging.log))
        # what the run ends with, kept as failed or published
        ending = dict(
            summary=summary, meta=meta, progress=progress, started=started, keep=plan.keep
        )
        keep_failed = functools.partial(_keep_failed, staging, jobs=jobs, results=results, **ending)
        try:
            _run_all(
                pool,
                jobs,
                staging=staging.folder,
                settings=plan.settings,
                timeout=plan.timeout,
                meta=meta,
                results=results,
                progress=progress,
                log=log,
            )
        except BuildInterrupted as stop:
            from hmip.build.kernel import remove_stale_kernel_dirs

            stop_state.critical = True
            pool.terminate()
            remove_stale_kernel_dirs()  # the private directories of the kernels just stopped
            return keep_failed(interrupted=stop)
        stop_state.critical = True  # from here on a signal is recorded, not obeyed halfway
        ordered = [results[j.name] for j in jobs]
        full = next((r for r in ordered if not r.ok and disk_error_text(r.error)), None)
        if full is not None:  # a report could not write its files: a disk fault, not a report's
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(staging.out_dir))
        if any(not r.ok for r in ordered):
            return keep_failed(interrupted=None)
        if plan.partial:
            ordered = _carry_over(
                staging,
                jobs=reports,
                catalogue_jobs=plan.catalogue_jobs,
                built=ordered,
                progress=progress,
            )
        return publish(staging, results=ordered, n_built=len(jobs), **ending)


def _run_all(
    pool: WorkerPool,
    jobs: list[Job],
    *,
    staging: Path,
    settings: Settings,
    timeout: int,
    meta: dict,
    results: dict[str, JobResult],
    progress: Progress,
    log,
) -> None:
    pending = deque(schedule(jobs, staging.parent.parent))
    by_name = {j.name: j for j in jobs}
    while len(results) < len(jobs):
        for w in list(pool.workers):
            if w.job is None and w.early and not w.stopping and not any(j.pack for j in pending):
                pool.send(w, {"stop": True})  # its packs are done: it exits
                w.stopping = True
            job = next((j for j in pending if w.takes(j)), None) if w.job is None else None
            if job is not None:
                pending.remove(job)
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
                    r = JobResult.for_job(
                        w.job,
                        seconds=time.perf_counter() - w.started,
                        error="its worker process died",
                    )
                    _ensure_notebook(w.job, staging, r.error)
                    results[w.job.name] = r
                    progress.finished(r, sum(x.job is not None for x in pool.workers))
                if pending and not w.early:
                    pool.request(1)  # a replacement, forked from the warm process
                continue
            job = by_name[msg["name"]]
            w.job = None
            results[job.name] = JobResult.from_dict(msg)
            progress.finished(results[job.name], sum(x.job is not None for x in pool.workers))


def _ensure_notebook(job: Job, staging: Path, error: str) -> None:
    """A failed or unfinished report always leaves a notebook with its error (a pack has none)."""
    from hmip.build.execute import _write_failure_notebook

    nb = staging / names.report_notebook(job.name)
    if not job.pack and not nb.exists():
        _write_failure_notebook(resolve(job.notebook), nb, job.parameters, error)


def _keep_failed(
    staging: Staging,
    *,
    jobs: list[Job],
    results: dict[str, JobResult],
    summary: RunSummary,
    meta: dict,
    progress: Progress,
    started: float,
    interrupted: BuildInterrupted | None,
    keep: int,
) -> tuple[int, RunSummary]:
    from hmip.build.publish import prune_failed_and_logs, write_manifest

    dest = staging.out_dir / names.FAILED / staging.run_id
    ordered = []
    for j in jobs:
        r = results.get(j.name)
        if r is None:
            why = f"not finished: the build was stopped by {interrupted}"
            r = JobResult.for_job(j, error=why)
            _ensure_notebook(j, staging.folder, why)
        ordered.append(r)
    summary.wall_seconds = time.perf_counter() - started
    summary.status = "interrupted" if interrupted else "failed"
    summary.results = ordered
    staging.release()
    for r in ordered:
        if r.html:
            r.html = str(dest / Path(r.html).name)
        if r.notebook:
            r.notebook = str(dest / Path(r.notebook).name)
    write_manifest(staging.folder, summary=summary, meta=meta, results=ordered, final=dest)
    dest.parent.mkdir(exist_ok=True)
    shutil.move(str(staging.folder), dest)
    staging.tidy()
    prune_failed_and_logs(staging.out_dir, keep)  # failed runs and logs are kept as runs are
    summary.failed_dir = str(dest)
    if interrupted:
        done = sum(r.ok for r in ordered)
        progress.line(
            f"stopped by {interrupted}: {done} of {len(ordered)} reports had finished; nothing was "
            f"published; what ran is kept in {dest}. Log: {summary.log}"
        )
        return EXIT_INTERRUPTED, summary
    failed = [r for r in ordered if not r.ok]
    for r in failed:
        progress.line(
            f"FAILED {r.name}: {r.error}\n  executed notebook with the error: {r.notebook}"
        )
    refused = all(r.ename in input_error_names() for r in failed)
    progress.line(
        f"{len(failed)} of {len(ordered)} reports failed"
        + (" (their data or parameters were refused)" if refused else "")
        + f": nothing was published; the previous reports and index are unchanged. Log: {summary.log}"
    )
    # a bad data file or parameter (the notebook raised the project's HmipError) is bad input: 2
    return (EXIT_BAD_INPUT if refused else EXIT_FAILED), summary


def _previous_results(prev_dir: Path) -> dict[str, JobResult] | None:
    """The successful results of the latest published run, each with its build time and its run; None
    when its manifest is missing or damaged."""
    previous: dict[str, JobResult] = {}
    try:
        m = json.loads((prev_dir / names.MANIFEST).read_text(encoding="utf-8"))
        for entry in m["results"]:
            r = JobResult.from_dict(entry)
            if r.ok:
                r.built_at = r.built_at or m.get("generated_at", "")
                if not r.carried_over:
                    r.from_run = m.get("run_id", prev_dir.name)
                previous[r.name] = r
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return previous


def _results_from_files(prev_dir: Path, jobs: list[Job]) -> dict[str, JobResult]:
    """When a run's manifest is damaged: its reports, rebuilt from the files in its folder (each built
    when its HTML was last written)."""
    from datetime import UTC, datetime

    found = {}
    for j in jobs:
        html = prev_dir / names.report_html(j.name)
        if html.is_file():
            built = datetime.fromtimestamp(html.stat().st_mtime, UTC)
            found[j.name] = JobResult.for_job(
                j, ok=True, built_at=built.strftime("%Y-%m-%d %H:%M:%S UTC"), from_run=prev_dir.name
            )
    return found


def _previous_run(out_dir: Path) -> Path | None:
    """The run to carry over from: the one ``latest`` names, else (``latest`` lost) the newest run."""
    from hmip.build.publish import _runs

    latest = out_dir / names.LATEST
    if latest.is_symlink() and latest.resolve().is_dir():
        return latest.resolve()
    runs = _runs(out_dir)
    return runs[-1] if runs else None


def _carry_over(
    staging: Staging,
    *,
    jobs: list[Job],
    catalogue_jobs: list[Job],
    built: list[JobResult],
    progress: Progress,
) -> list[JobResult]:
    """A partial build publishes a complete run: every other catalogue report comes from the latest
    published run, with its original build time."""
    rebuilt = {j.name for j in jobs}
    others = [j for j in catalogue_jobs if j.name not in rebuilt]
    if not others:
        return built
    prev_dir = _previous_run(staging.out_dir)
    if prev_dir is None:  # the first build of this folder: only then may a run hold fewer reports
        progress.line(
            f"no earlier run to carry over from: publishing only the {len(built)} reports built"
        )
        return built
    previous = _previous_results(prev_dir)
    if previous is None:  # a damaged manifest must not make reports disappear
        previous = _results_from_files(prev_dir, others)
        progress.line(
            f"the manifest of run {prev_dir.name} is missing or damaged: carrying its reports over "
            f"from the files in its folder ({len(previous)} of {len(others)} found)"
        )
    if not previous:
        staging.discard()
        raise CatalogueError(
            f"--only: the earlier run {prev_dir} holds none of the other reports "
            f"({', '.join(j.name for j in others)}), so this run would lose them; nothing was "
            "published. Build every report (without --only)."
        )
    by_name = {r.name: r for r in built}
    missing = []
    for j in others:
        r = previous.get(j.name)
        if r is None or not (prev_dir / names.report_html(j.name)).is_file():
            missing.append(j.name)
            continue
        for name in (names.report_html(j.name), names.report_notebook(j.name)):
            if (prev_dir / name).is_file():
                shutil.copy2(prev_dir / name, names.inside(staging.folder, name))
        by_name[j.name] = dataclasses.replace(
            r,
            title=j.title,
            parameters=j.parameters,
            group=j.group,
            subject=j.subject,
            html=str(staging.folder / names.report_html(j.name)),
            notebook=str(staging.folder / names.report_notebook(j.name)),
            carried_over=True,
            from_run=r.from_run or prev_dir.name,
        )
    progress.line(
        f"carried over {len(others) - len(missing)} reports from run {prev_dir.name} (built earlier)"
        + (f"; not in that run, so not in this one: {', '.join(missing)}" if missing else "")
    )
    listed = {j.name for j in catalogue_jobs}
    return [by_name[j.name] for j in catalogue_jobs if j.name in by_name] + [
        r
        for r in built
        if r.name not in listed  # the scrutiny packs, rebuilt every time
    ]

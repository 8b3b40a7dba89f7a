"""Publishing a run atomically, for a build and for reports built elsewhere (``hmip reports publish``).

A run is assembled in ``reports/.staging/<run-id>/`` (:func:`open_staging`, under ``reports/.lock``),
its manifest written, then moved into place by one rename; ``reports/index.html`` and
``reports/latest`` are switched by renames too, and old runs pruned (:func:`publish`). A staging
folder whose builder has died is removed by the next build or publish (:func:`remove_dead_staging`).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hmip.build import names
from hmip.build.catalogue import DEFAULT_CATALOGUE, load_catalogue, pack_jobs
from hmip.build.index import index_html
from hmip.build.lazy import defer_rfc3987_syntax
from hmip.build.pool import Progress, name_width
from hmip.build.results import JobResult, RunSummary
from hmip.errors import EXIT_FAILED, EXIT_LOCKED, EXIT_OK, DiskFault, is_disk_fault
from hmip.paths import reports_dir, resolve


def atomic_symlink(target: str, link: Path) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def _runs(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        (
            p
            for p in folder.iterdir()
            if p.is_dir() and not p.is_symlink() and names.is_run_id(p.name)
        ),
        key=lambda p: names.run_id_order(p.name),
    )


INDEX_TARGET = f"{names.LATEST}/{names.INDEX}"


def index_link(out_dir: Path) -> None:
    """``reports/index.html`` -> ``latest/index.html`` (relative), made once; an index written by an
    older version (a file) is replaced by the link."""
    index = out_dir / names.INDEX
    if index.is_symlink() and os.readlink(index) == INDEX_TARGET:
        return
    atomic_symlink(INDEX_TARGET, index)


def prune_runs(out: Path, keep: int) -> list[str]:
    """Keep the newest ``keep`` published runs (at least 1, and never the one ``latest`` names)."""
    if int(keep) < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    latest = out / names.LATEST
    current = latest.resolve() if latest.is_symlink() else None
    runs = _runs(out)
    removed = []
    for old in runs[: max(0, len(runs) - keep)]:
        if current is not None and old.resolve() == current:
            continue
        shutil.rmtree(old)
        removed.append(old.name)
    return removed


def prune_failed_and_logs(out: Path, keep: int) -> list[str]:
    """The same keep policy for what failed runs leave: ``failed/`` keeps its newest ``keep`` runs, and
    ``logs/`` keeps the log of every run still kept (published or failed) and the newest ``keep`` others
    (e.g. of builds stopped before they had a folder)."""
    if int(keep) < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    removed = []
    failed = _runs(out / names.FAILED)
    for old in failed[: max(0, len(failed) - keep)]:
        shutil.rmtree(old, ignore_errors=True)
        removed.append(f"{names.FAILED}/{old.name}")
    logs_dir = out / names.LOGS
    if logs_dir.is_dir():
        kept_runs = {p.name for p in _runs(out)} | {p.name for p in _runs(out / names.FAILED)}
        staging = out / names.STAGING
        if staging.is_dir():
            kept_runs |= {p.name for p in staging.iterdir()}
        logs = sorted(
            (p for p in logs_dir.glob("*.log") if names.is_run_id(p.stem)),
            key=lambda p: names.run_id_order(p.stem),
        )
        others = [p for p in logs if p.stem not in kept_runs]
        for old in others[: max(0, len(others) - keep)]:
            old.unlink(missing_ok=True)
            removed.append(f"{names.LOGS}/{old.name}")
    return removed


_DISK_WORDS = ("[Errno 28]", "No space left on device", "Read-only file system", "Disk quota")


def disk_error_text(text: str) -> bool:
    """A report's error message that is a disk fault (the report process could not write its files)."""
    return any(w in (text or "") for w in _DISK_WORDS)


def writable(out_dir: Path) -> Path:
    """Check, before any work, that ``out_dir`` can be written (or made): else :class:`DiskFault`, one
    line, exit 4. Nothing is created here."""
    probe = Path(out_dir)
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    problem = None
    if os.statvfs(probe).f_flag & os.ST_RDONLY:
        problem = os.strerror(errno.EROFS)
    elif not os.access(probe, os.W_OK):
        problem = os.strerror(errno.EACCES)
    elif (out_dir / names.LOCK).exists():
        try:
            with (out_dir / names.LOCK).open("a"):
                pass
        except OSError as exc:
            if not is_disk_fault(exc):
                raise
            problem = exc.strerror
    if problem:
        raise DiskFault(
            f"cannot write to the reports folder {out_dir}: {problem}; nothing was built"
        )
    return out_dir


def make_reports_dir(out_dir: Path) -> Path:
    """``out_dir``, made if missing (a read-only or full disk: :class:`DiskFault`)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        if not is_disk_fault(exc):
            raise
        raise DiskFault(
            f"cannot write to the reports folder {out_dir}: {exc.strerror}; nothing was built"
        ) from None
    return out_dir


@dataclass
class _Fault:
    staging: Staging | None = None


@contextlib.contextmanager
def disk_faults(out_dir: Path, *, stop_state=None):
    """A disk fault (full, read-only) anywhere inside: the run's staging folder, a run moved into place
    but not yet published, and any half-written switch file are removed; published runs are untouched;
    :class:`DiskFault` (exit 4) says so in one line."""
    fault = _Fault()
    try:
        yield fault
    except OSError as exc:
        if isinstance(exc, DiskFault) or not is_disk_fault(exc):
            raise
        if stop_state is not None:
            stop_state.critical = True
        where = exc.filename or out_dir
        remove_unpublished(out_dir, fault.staging)
        raise DiskFault(
            f"the reports folder could not be written ({exc.strerror}: {where}); this run was removed "
            f"and the published reports are unchanged"
        ) from None


def remove_unpublished(out_dir: Path, staging: Staging | None) -> None:
    """After a fault: this run's staging folder, its folder if ``latest`` does not name it, and the
    temporary files of a switch."""
    if staging is not None:
        staging.discard()
        latest = out_dir / names.LATEST
        current = latest.resolve() if latest.is_symlink() else None
        if staging.final.is_dir() and staging.final.resolve() != current:
            shutil.rmtree(staging.final, ignore_errors=True)
    for name in (names.INDEX, names.LATEST):
        with contextlib.suppress(OSError):
            (out_dir / f".{name}.tmp").unlink()


@contextlib.contextmanager
def reports_lock(out_dir: Path):
    """``reports/.lock``, taken without waiting: yields True when held (released on leaving), False
    when a build or a publish already holds it."""
    with (out_dir / names.LOCK).open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def locked_message(out_dir: Path) -> str:
    return f"another build is running (lock {out_dir / names.LOCK}); nothing was done\n"


def run_meta(**extra: object) -> dict:
    """What the banner, index and manifest say made a run: time, project version, commit, packages."""
    from hmip.present.banner import git_commit, package_versions, project_version

    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "version": project_version(),
        "commit": git_commit(),
        "versions": package_versions(),
        **extra,
    }


# --- Staging ------------------------------------------------------------------------------------------------
def _process_start(pid: int) -> float | None:
    import psutil

    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def write_pid_file(staging: Path) -> None:
    (staging / names.PID_FILE).write_text(
        json.dumps({"pid": os.getpid(), "started": _process_start(os.getpid())}), encoding="utf-8"
    )


def remove_dead_staging(out_dir: Path) -> list[str]:
    """Remove staging folders whose builder is gone (killed, or the machine stopped). Called under the
    lock, so no live build owns any of them; the pid file is checked all the same."""
    from hmip.build.kernel import remove_stale_kernel_dirs

    removed = []
    root = out_dir / names.STAGING
    if root.is_dir():
        for d in sorted(root.iterdir()):
            if not d.is_dir():
                continue
            alive = False
            with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
                info = json.loads((d / names.PID_FILE).read_text(encoding="utf-8"))
                started = _process_start(int(info["pid"]))
                alive = started is not None and abs(started - float(info["started"])) < 1.0
            if not alive:
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d.name)
        with contextlib.suppress(OSError):
            root.rmdir()
    remove_stale_kernel_dirs()
    return removed


@dataclass
class Staging:
    """A run being assembled: its id, its staging folder (with this builder's pid file) and its log."""

    out_dir: Path
    run_id: str
    folder: Path
    log: Path
    #: staging folders of dead runs removed when this one was opened
    cleaned: list[str] = field(default_factory=list)

    @property
    def final(self) -> Path:
        return self.out_dir / self.run_id

    def release(self) -> None:
        """The run leaves staging: its pid file goes (and ``.staging`` too, when it is left empty)."""
        (self.folder / names.PID_FILE).unlink(missing_ok=True)

    def tidy(self) -> None:
        with contextlib.suppress(OSError):
            (self.out_dir / names.STAGING).rmdir()  # only if empty

    def discard(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.tidy()


def open_staging(out_dir: Path) -> Staging:
    """Under the lock: remove dead runs' staging folders, then make this run's, with its pid file,
    and the logs folder."""
    cleaned = remove_dead_staging(out_dir)
    run_id = names.new_run_id(out_dir)
    folder = out_dir / names.STAGING / run_id
    folder.mkdir(parents=True)
    write_pid_file(folder)
    (out_dir / names.LOGS).mkdir(exist_ok=True)
    return Staging(out_dir, run_id, folder, out_dir / names.LOGS / names.log_name(run_id), cleaned)


# --- The manifest and the switch ----------------------------------------------------------------------------
def write_manifest(
    folder: Path, *, summary: RunSummary, meta: dict, results: list[JobResult], final: Path
) -> None:
    """manifest.json: paths relative to the run's folder (every file of a run sits at the top of its
    folder); each report's build time and whether it was carried over from an earlier run; the package
    versions."""
    manifest = {
        **meta,
        "run_id": summary.run_id,
        "status": summary.status or "published",
        "wall_seconds": summary.wall_seconds,
        "jobs": summary.jobs,
        "log": os.path.relpath(summary.log, final),
        "results": [
            {
                **r.to_dict(),
                "html": Path(r.html).name if r.html else "",
                "notebook": Path(r.notebook).name if r.notebook else "",
            }
            for r in results
        ],
    }
    (folder / names.MANIFEST).write_text(
        json.dumps(manifest, indent=2, default=str), encoding="utf-8"
    )


def publish(
    staging: Staging,
    *,
    results: list[JobResult],
    summary: RunSummary,
    meta: dict,
    progress: Progress,
    keep: int,
    started: float,
    n_built: int,
) -> tuple[int, RunSummary]:
    """Move the staged run into place and publish it by ONE atomic switch: the ``latest`` link. The
    index lives in the run's folder (``<run-id>/index.html``, links relative to ``reports/``), and
    ``reports/index.html`` is a link to ``latest/index.html``, made once: so the index and ``latest``
    always name the same run, whenever the build is stopped or killed. Then old runs, failed runs and
    logs are pruned (``keep``)."""
    out_dir, final = staging.out_dir, staging.final
    if int(keep) < 1:
        raise ValueError(f"keep must be at least 1, got {keep}")
    summary.wall_seconds = time.perf_counter() - started
    summary.status = "published"
    for r in results:  # every file of the run lies inside its folder (names are checked slugs)
        names.inside(staging.folder, names.report_html(r.name))
        names.inside(staging.folder, names.report_notebook(r.name))
    staging.release()
    write_manifest(staging.folder, summary=summary, meta=meta, results=results, final=final)
    (staging.folder / names.INDEX).write_text(
        index_html(staging.run_id, results, meta), encoding="utf-8"
    )
    os.replace(staging.folder, final)
    for r in results:
        r.html = str(final / names.report_html(r.name))
        r.notebook = str(final / names.report_notebook(r.name))
    index_link(out_dir)  # made once (dangling until the first run is published)
    atomic_symlink(staging.run_id, out_dir / names.LATEST)  # the switch
    removed = prune_runs(out_dir, keep)
    prune_failed_and_logs(out_dir, keep)
    staging.tidy()
    carried = sum(1 for r in results if r.carried_over)
    progress.line(
        f"published {len(results)} reports ({n_built} built"
        + (f", {carried} carried over" if carried else "")
        + f") to {final} in {summary.wall_seconds:.1f}s; index {out_dir / names.INDEX}"
        + (f"; removed old runs {removed}" if removed else "")
    )
    summary.results = results
    summary.run_dir = str(final)
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
) -> tuple[int, RunSummary]:
    """Publish a run whose reports were built elsewhere (e.g. one Airflow task per report running
    ``hmip run ... -o FOLDER/<name>.html``): every catalogue report must be in ``folder``, else nothing
    is published (exit 1). The catalogue's scrutiny packs need no kernel and are built here, into the
    run (a failed pack: nothing is published). Then the same atomic publish as a build: copied into staging, manifest
    written, moved into place by a rename, index and ``latest`` switched, old runs pruned."""
    defer_rfc3987_syntax()  # before anything imports nbformat (see hmip.build.lazy)
    stream = stream or sys.stdout
    folder = Path(folder)
    jobs, settings = load_catalogue(resolve(catalogue or DEFAULT_CATALOGUE))
    missing = [j.name for j in jobs if not (folder / names.report_html(j.name)).is_file()]
    if missing:
        stream.write(
            f"nothing was published: {len(missing)} of {len(jobs)} reports are missing from {folder}: "
            f"{', '.join(missing)}\n"
        )
        return EXIT_FAILED, RunSummary(status="missing", missing=missing)
    out_dir = make_reports_dir(writable(Path(out) if out else reports_dir()))
    with reports_lock(out_dir) as locked:
        if not locked:
            stream.write(locked_message(out_dir))
            return EXIT_LOCKED, RunSummary(status="locked")
        with disk_faults(out_dir) as fault:
            fault.staging = open_staging(out_dir)
            return _publish_gathered_locked(
                fault.staging, jobs, settings, folder=folder, stream=stream, keep=keep
            )


def _publish_gathered_locked(
    staging: Staging, jobs: list, settings, *, folder: Path, stream, keep: int | None
) -> tuple[int, RunSummary]:
    from hmip.build.execute import run_pack

    started = time.perf_counter()
    meta = run_meta()
    results = []
    for j in jobs:
        for name in (names.report_html(j.name), names.report_notebook(j.name)):
            if (folder / name).is_file():
                shutil.copy2(folder / name, staging.folder / name)
        seconds, built = _executed_info(folder / names.report_notebook(j.name))
        if not built:
            mtime = (folder / names.report_html(j.name)).stat().st_mtime
            built = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        results.append(
            JobResult.for_job(
                j,
                ok=True,
                seconds=seconds,
                html=str(staging.folder / names.report_html(j.name)),
                notebook=str(staging.folder / names.report_notebook(j.name)),
                built_at=built,
            )
        )
    with staging.log.open("a", encoding="utf-8") as log:
        packs = pack_jobs(settings)
        progress = Progress(len(jobs) + len(packs), log, stream, name_width(jobs + packs))
        progress.line(
            f"run {staging.run_id}: publishing {len(jobs)} reports gathered from {folder}"
        )
        for p in packs:  # needs no kernel: built here, from the data, like the build does
            r = run_pack(asdict(p), str(staging.folder))
            progress.finished(r, 0)
            if not r.ok:
                staging.discard()
                progress.line(f"nothing was published: the scrutiny pack failed: {r.error}")
                return EXIT_FAILED, RunSummary(status="failed", results=[r])
            results.append(r)
        summary = RunSummary(
            run_id=staging.run_id, jobs=0, log=str(staging.log), gathered_from=str(folder)
        )
        return publish(
            staging,
            results=results,
            summary=summary,
            meta=meta,
            progress=progress,
            keep=keep if keep is not None else settings.keep,
            started=started,
            n_built=len(jobs),
        )

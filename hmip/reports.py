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
import html
import json
import multiprocessing
import os
import re
import shutil
import signal
import sys
import time
import tomllib
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from hmip.paths import reports_dir, resolve

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_LOCKED = 0, 1, 2, 3
DEFAULT_CATALOGUE = "reports.toml"
DEFAULT_KEEP = 5
DEFAULT_TIMEOUT = 900
TEMPLATE_DIR = Path(__file__).with_name("templates")


class CatalogueError(ValueError):
    """The catalogue or a report's parameters are invalid; nothing has run."""


@dataclass
class Job:
    name: str
    title: str
    notebook: str
    parameters: dict = field(default_factory=dict)
    fanned_out: bool = False


@dataclass
class Settings:
    keep: int = DEFAULT_KEEP
    timeout: int = DEFAULT_TIMEOUT
    kernel: str = "hmip"


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


# --- Catalogue ------------------------------------------------------------------------------------
def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def _fan_out_values(spec: dict, where: str) -> list[str]:
    if "values" in spec:
        return [str(v) for v in spec["values"]]
    if "region" in spec:
        from hmip.data import load_published_overall

        overall = load_published_overall()
        values = overall.loc[overall["region"] == spec["region"], "pdu"].tolist()
        if not values:
            raise CatalogueError(f"{where}: no PDUs in region '{spec['region']}'")
        return values
    if "from_cases" in spec:
        import csv

        path = resolve(spec["from_cases"])
        if not path.is_file():
            raise CatalogueError(f"{where}: fan_out.from_cases file not found: {path}")
        with path.open(encoding="utf-8") as fh:
            return list(dict.fromkeys(r["pdu"] for r in csv.DictReader(fh)))
    raise CatalogueError(f"{where}: fan_out needs 'values', 'region' or 'from_cases'")


def load_catalogue(path: str | Path) -> tuple[list[Job], Settings]:
    """Read and expand a catalogue file (TOML): [settings] and [[report]] entries."""
    path = Path(path)
    if not path.is_file():
        raise CatalogueError(f"catalogue not found: {path}")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogueError(f"{path}: not valid TOML: {exc}") from None
    s = data.get("settings", {})
    unknown = set(s) - {"keep", "timeout", "kernel"}
    if unknown:
        raise CatalogueError(f"{path}: unknown settings {sorted(unknown)}; accepted: keep, timeout, kernel")
    settings = Settings(int(s.get("keep", DEFAULT_KEEP)), int(s.get("timeout", DEFAULT_TIMEOUT)), str(s.get("kernel", "hmip")))
    jobs: list[Job] = []
    for i, entry in enumerate(data.get("report", []), start=1):
        where = f"{path}, report {i} ({entry.get('name', '?')})"
        unknown = set(entry) - {"name", "title", "notebook", "parameters", "fan_out"}
        if unknown:
            raise CatalogueError(f"{where}: unknown keys {sorted(unknown)}; accepted: name, title, notebook, parameters, fan_out")
        for key in ("name", "title", "notebook"):
            if key not in entry:
                raise CatalogueError(f"{where}: '{key}' is required")
        params = dict(entry.get("parameters", {}))
        if "fan_out" in entry:
            spec = entry["fan_out"]
            param = spec.get("parameter")
            if not param:
                raise CatalogueError(f"{where}: fan_out needs 'parameter' (the notebook parameter to vary)")
            for value in _fan_out_values(spec, where):
                fmt = {param: value, f"{param}_slug": slug(value)}
                jobs.append(Job(entry["name"].format(**fmt), entry["title"].format(**fmt), entry["notebook"],
                                {**params, param: value}, fanned_out=True))
        else:
            jobs.append(Job(entry["name"], entry["title"], entry["notebook"], params))
    if not jobs:
        raise CatalogueError(f"{path}: no [[report]] entries")
    names = [j.name for j in jobs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise CatalogueError(f"{path}: report names must be unique; repeated: {dupes}")
    return jobs, settings


_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,)}


def validate_jobs(jobs: list[Job]) -> None:
    """Refuse unknown parameters and wrong types, using papermill's inspection of each notebook."""
    import papermill as pm

    problems = []
    inspected: dict[str, dict] = {}
    for job in jobs:
        nb = resolve(job.notebook)
        if not nb.is_file():
            problems.append(f"{job.name}: notebook not found: {job.notebook}")
            continue
        if job.notebook not in inspected:
            inspected[job.notebook] = pm.inspect_notebook(str(nb))
        declared = inspected[job.notebook]
        for key, value in job.parameters.items():
            if key not in declared:
                problems.append(f"{job.name}: unknown parameter '{key}' for {job.notebook}; accepted: {', '.join(declared)}")
                continue
            type_name = (declared[key].get("inferred_type_name") or "").strip()
            allowed = _TYPES.get(type_name)
            if allowed and (not isinstance(value, allowed) or (type_name != "bool" and isinstance(value, bool))):
                problems.append(f"{job.name}: parameter '{key}' must be {type_name}, got {type(value).__name__} {value!r}")
    if problems:
        raise CatalogueError("the catalogue was refused before anything ran:\n  " + "\n  ".join(problems))


# --- Executing one report (in a worker process) --------------------------------------------------------
def _css() -> str:
    return (TEMPLATE_DIR / "hmip_report" / "report.css").read_text(encoding="utf-8")


def _timeout_handler(signum, frame):  # pragma: no cover - exercised by a timed-out report
    raise TimeoutError("the report exceeded its time limit")


def render_html(nb, *, title: str, parameters: dict, meta: dict) -> str:
    """Self-contained HTML with code hidden and the banner at the top (provenance from the notebook)."""
    import nbformat
    from nbconvert import HTMLExporter

    from hmip.banner import PROVENANCE_MIME, banner_html

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    prov = {"simulated": False, "bases": [], "sources": [], "disclosure": ""}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PROVENANCE_MIME in data:
                prov = json.loads(data[PROVENANCE_MIME]) if isinstance(data[PROVENANCE_MIME], str) else data[PROVENANCE_MIME]
                continue  # the runner's banner replaces the notebook's own
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue  # warnings are for the log, not the reader
            kept.append(out)
        cell.outputs = kept
    nb.metadata["title"] = title
    exporter = HTMLExporter(template_name="hmip_report", extra_template_basedirs=[str(TEMPLATE_DIR)],
                            exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    resources = {"hmip_banner": banner_html(prov, title=title, parameters=parameters, generated_at=meta["generated_at"],
                                            version=meta["version"], commit=meta["commit"]),
                 "hmip_css": _css()}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def run_job(job: dict, staging: str, kernel: str, timeout: int, meta: dict) -> dict:
    """Execute one report with papermill and render its HTML (runs in a worker process)."""
    import nbformat
    import papermill as pm

    start = time.perf_counter()
    out_nb = Path(staging) / f"{job['name']}.ipynb"
    result = JobResult(job["name"], job["title"], job["parameters"], ok=False, seconds=0.0, notebook=str(out_nb))
    old = signal.signal(signal.SIGALRM, _timeout_handler)
    # papermill's per-cell limit fires first and writes the notebook with the error; the alarm is a backstop
    signal.alarm(int(timeout) + 30)
    try:
        pm.execute_notebook(str(resolve(job["notebook"])), str(out_nb), parameters=job["parameters"], kernel_name=kernel,
                            progress_bar=False, log_output=False, execution_timeout=int(timeout), cwd=str(Path(staging)),
                            request_save_on_cell_execute=False,  # one write at the end (or on error), not two per cell
                            shutdown_kernel="immediate")  # outputs are written by then; a graceful stop costs ~1.5 s a report
        signal.alarm(0)
        nb = nbformat.read(out_nb, as_version=4)
        durations = [c.metadata.get("papermill", {}).get("duration") or 0.0 for c in nb.cells]
        result.cell_seconds = float(sum(durations))
        html_path = Path(staging) / f"{job['name']}.html"
        html_path.write_text(render_html(nb, title=job["title"], parameters=job["parameters"], meta=meta), encoding="utf-8")
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
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**This report failed before papermill could save its outputs.**\n\nError: `{error}`\n\nParameters:\n{params}"))
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


# --- Publishing ------------------------------------------------------------------------------------------
def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _atomic_symlink(target: str, link: Path) -> None:
    tmp = link.with_name(f".{link.name}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    tmp.symlink_to(target)
    os.replace(tmp, link)


def index_html(run_id: str, results: list[dict], meta: dict) -> str:
    esc = html.escape
    rows = []
    for r in results:
        params = "; ".join(f"{esc(str(k))} = {esc(str(v))}" for k, v in r["parameters"].items()) or "defaults"
        status = "built" if r["ok"] else "FAILED"
        link = f'<a href="{esc(run_id)}/{esc(r["name"])}.html">{esc(r["title"])}</a>' if r["ok"] else esc(r["title"])
        rows.append(f"<tr><td>{link}</td><td>{params}</td><td>{status}</td><td>{r['seconds']:.1f} s</td></tr>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>hmip-analytics reports</title><style>{_css()}
table.hmip-index {{ border-collapse: collapse; }} table.hmip-index td, table.hmip-index th {{ border: 1px solid #999; padding: 4px 8px; text-align: left; }}
</style></head>
<body class="hmip-report"><main>
<h1>hmip-analytics reports</h1>
<p>Run <code>{esc(run_id)}</code>, generated {esc(meta['generated_at'])}; hmip-analytics {esc(meta['version'])}, commit {esc(meta['commit'])}.
Reports built on simulated data say so in a banner at their top.</p>
<table class="hmip-index"><caption>Reports in this run</caption>
<thead><tr><th scope="col">Report</th><th scope="col">Parameters</th><th scope="col">Status</th><th scope="col">Build time</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
</main></body></html>
"""


def _prune(out: Path, keep: int) -> list[str]:
    runs = sorted(p for p in out.iterdir() if p.is_dir() and re.fullmatch(r"\d{8}T\d{6}Z(-\d+)?", p.name))
    removed = []
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old)
        removed.append(old.name)
    return removed


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
        self.line(f"[{self.done:>3}/{self.total}] {status:<6} {r['name']:<40} {r['seconds']:6.1f}s"
                  + (f"  {r['error']}" if r["error"] else ""))
        if self.tty and running:
            self.stream.write(f"  ... {running} running")
            self.stream.flush()


def build(catalogue: str | Path | None = None, *, jobs: int | None = None, only: list[str] | None = None,
          out: str | Path | None = None, keep: int | None = None, timeout: int | None = None, list_only: bool = False,
          stream=None) -> tuple[int, dict]:
    """Build the catalogue. Returns (exit status, summary)."""
    stream = stream or sys.stdout
    cat_path = resolve(catalogue or DEFAULT_CATALOGUE)
    all_jobs, settings = load_catalogue(cat_path)
    if only:
        missing = [n for n in only if n not in {j.name for j in all_jobs}]
        if missing:
            raise CatalogueError(f"--only: no report named {missing}; reports: {', '.join(j.name for j in all_jobs)}")
        all_jobs = [j for j in all_jobs if j.name in only]
    if list_only:
        validate_jobs(all_jobs)
        for j in all_jobs:
            params = ", ".join(f"{k}={v!r}" for k, v in j.parameters.items()) or "defaults"
            stream.write(f"{j.name:<40} {j.notebook}  [{params}]  {j.title}\n")
        return EXIT_OK, {"jobs": [asdict(j) for j in all_jobs]}
    jobs = min(jobs or os.cpu_count() or 1, len(all_jobs))
    pool = cf.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_warm_worker)
    for _ in range(jobs):
        pool.submit(_noop)  # start the workers now, so their imports overlap the validation below
    try:
        return _build_with_pool(pool, all_jobs, settings, jobs=jobs, out=out, keep=keep, timeout=timeout, stream=stream)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _preflight(jobs: list[dict], kernel: str) -> None:
    """Validate parameters and the kernel (in a worker, which imports papermill anyway)."""
    from hmip.kernel import kernel_python

    validate_jobs([Job(**j) for j in jobs])
    kernel_python(kernel)  # a clear error now if the kernel is missing


def _build_with_pool(pool, all_jobs, settings, *, jobs, out, keep, timeout, stream) -> tuple[int, dict]:
    from hmip.banner import git_commit, project_version

    pool.submit(_preflight, [asdict(j) for j in all_jobs], settings.kernel).result()  # raises CatalogueError / KernelError
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
        return _build_locked(pool, all_jobs, settings, out_dir, jobs, keep, timeout, stream,
                             {"generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
                              "version": project_version(), "commit": git_commit()})
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
            previous = {r["name"]: float(r["seconds"]) for r in json.loads(manifest.read_text())["results"]}
    if previous:
        default = max(previous.values())  # a new report: assume it is long
        return sorted(jobs, key=lambda j: -previous.get(j.name, default))
    return sorted(jobs, key=lambda j: j.fanned_out)


def _new_run_id(out_dir: Path) -> str:
    base = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_id, i = base, 1
    while (out_dir / run_id).exists() or (out_dir / "failed" / run_id).exists() or (out_dir / ".staging" / run_id).exists():
        run_id = f"{base}-{i}"
        i += 1
    return run_id


def _build_locked(pool, jobs: list[Job], settings: Settings, out_dir: Path, n_jobs: int, keep: int, timeout: int, stream,
                  meta: dict) -> tuple[int, dict]:
    run_id = _new_run_id(out_dir)
    staging = out_dir / ".staging" / run_id
    staging.mkdir(parents=True)
    (out_dir / "logs").mkdir(exist_ok=True)
    log_path = out_dir / "logs" / f"{run_id}.log"
    started = time.perf_counter()
    results: list[dict] = []
    with log_path.open("w", encoding="utf-8") as log:
        progress = Progress(len(jobs), log, stream)
        progress.line(f"run {run_id}: {len(jobs)} reports, {n_jobs} at a time, kernel '{settings.kernel}', "
                      f"time limit {timeout}s each; log {log_path}")
        futures = {pool.submit(run_job, asdict(j), str(staging), settings.kernel, timeout, meta): j
                   for j in schedule(jobs, out_dir)}
        pending = set(futures)
        for fut in cf.as_completed(futures):
            pending.discard(fut)
            job = futures[fut]
            try:
                r = fut.result()
            except Exception as exc:  # noqa: BLE001 - a crashed worker is a failed report
                r = asdict(JobResult(job.name, job.title, job.parameters, False, 0.0, _short_error(exc)))
                log.write(traceback.format_exc())
            results.append(r)
            progress.finished(r, len(pending))
        order = {j.name: i for i, j in enumerate(jobs)}
        results.sort(key=lambda r: order[r["name"]])
        wall = time.perf_counter() - started
        summary = {"run_id": run_id, "wall_seconds": wall, "results": results, "jobs": n_jobs, "log": str(log_path)}
        failed = [r for r in results if not r["ok"]]
        (staging / "manifest.json").write_text(json.dumps({**summary, **meta}, indent=2, default=str), encoding="utf-8")
        if failed:
            dest = out_dir / "failed" / run_id
            dest.parent.mkdir(exist_ok=True)
            shutil.move(str(staging), dest)
            for r in failed:
                progress.line(f"FAILED {r['name']}: {r['error']}\n  executed notebook with the error: {dest / (r['name'] + '.ipynb')}")
            progress.line(f"{len(failed)} of {len(results)} reports failed: nothing was published; "
                          f"the previous reports and index are unchanged. Log: {log_path}")
            summary["failed_dir"] = str(dest)
            with contextlib.suppress(OSError):
                (out_dir / ".staging").rmdir()
            return EXIT_FAILED, summary
        final = out_dir / run_id
        os.replace(staging, final)
        for r in results:
            r["html"] = str(final / f"{r['name']}.html")
            r["notebook"] = str(final / f"{r['name']}.ipynb")
        _atomic_write(out_dir / "index.html", index_html(run_id, results, meta))
        _atomic_symlink(run_id, out_dir / "latest")
        removed = _prune(out_dir, keep)
        with contextlib.suppress(OSError):
            (out_dir / ".staging").rmdir()  # only if empty
        progress.line(f"published {len(results)} reports to {final} in {wall:.1f}s; index {out_dir / 'index.html'}"
                      + (f"; removed old runs {removed}" if removed else ""))
        summary["run_dir"] = str(final)
        return EXIT_OK, summary


# --- CLI glue ---------------------------------------------------------------------------------------------------
def add_build_arguments(parser) -> None:
    parser.add_argument("--catalogue", default=None, help=f"catalogue file (default: {DEFAULT_CATALOGUE} in the project root)")
    parser.add_argument("--jobs", type=int, default=None, help="reports built at once (default: the number of cores)")
    parser.add_argument("--only", action="append", default=None, metavar="NAME", help="build only this report (repeatable)")
    parser.add_argument("--list", action="store_true", help="list the reports and their parameters; run nothing")
    parser.add_argument("--out", default=None, help="output folder (default: reports/)")
    parser.add_argument("--keep", type=int, default=None, help="successful runs to keep (default: the catalogue's, else 5)")
    parser.add_argument("--timeout", type=int, default=None, help="time limit per report in seconds")


def cli(args) -> int:
    try:
        status, _ = build(args.catalogue, jobs=args.jobs, only=args.only, out=args.out, keep=args.keep,
                          timeout=args.timeout, list_only=args.list)
    except CatalogueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RuntimeError as exc:  # e.g. the hmip kernel is not installed
        from hmip.kernel import KernelError

        if not isinstance(exc, KernelError):
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return status

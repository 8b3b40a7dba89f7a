"""Issue 21, the build machinery: nothing published is ever lost, no path escapes the run's folder,
every fault ends in one line with its documented status, publishing is one atomic switch, time limits
and stops mean what they say.

Builds here are tiny (tests/fixtures/tiny.ipynb and busy.ipynb); published runs that only need to
exist are made by :func:`publish` itself from fake reports, without a kernel."""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from hmip.build import names
from hmip.build.catalogue import load_catalogue
from hmip.build.pool import Progress
from hmip.build.publish import (
    disk_faults,
    open_staging,
    prune_failed_and_logs,
    prune_runs,
    publish,
)
from hmip.build.results import JobResult, RunSummary
from hmip.errors import EXIT_DISK, CatalogueError, DiskFault

from .conftest import build_process, tiny_catalogue, write_catalogue

ROOT = Path(__file__).resolve().parents[1]
TINY = "tests/fixtures/tiny.ipynb"
BUSY = "tests/fixtures/busy.ipynb"
META = {"generated_at": "2026-01-01 00:00:00 UTC", "version": "0", "commit": "x", "versions": {}}


def hmip(*args, cwd=None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "hmip.cli", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        **kw,
    )


def one_line_error(r) -> None:
    assert "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("error: ") and r.stderr.count("\n") == 1, r.stderr


def fake_publish(out: Path, report_names=("one", "two"), keep: int = 5) -> str:
    """A published run of fake reports (no kernel): the same publish() a build uses."""
    out.mkdir(parents=True, exist_ok=True)
    staging = open_staging(out)
    results = []
    for n in report_names:
        (staging.folder / f"{n}.html").write_text(f"<p>{n} of {staging.run_id}</p>")
        (staging.folder / f"{n}.ipynb").write_text("{}")
        results.append(
            JobResult(
                name=n, title=n.title(), parameters={}, ok=True, built_at=META["generated_at"]
            )
        )
    with staging.log.open("a") as log:
        status, _ = publish(
            staging,
            results=results,
            summary=RunSummary(run_id=staging.run_id, jobs=1, log=str(staging.log)),
            meta=META,
            progress=Progress(len(results), log, io.StringIO()),
            keep=keep,
            started=time.perf_counter(),
            n_built=len(results),
        )
    assert status == 0
    return staging.run_id


def consistent(out: Path) -> str | None:
    """The published state: None when nothing is published; else the one run that both ``latest``
    and ``index.html`` name (asserted)."""
    latest, index = out / "latest", out / "index.html"
    if not latest.is_symlink():
        assert not index.exists()
        return None
    run = latest.resolve()
    assert run.is_dir() and (run / "manifest.json").is_file()
    if index.exists():  # the index is the run's own: it cannot name another
        assert index.resolve() == run / "index.html"
        assert f'href="{run.name}/' in index.read_text()
    return run.name


def busy_catalogue(folder: Path, reports: dict[str, dict], timeout: int = 120) -> Path:
    body = f"[settings]\ntimeout = {timeout}\n"
    for report, params in reports.items():
        inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
        body += (
            f'[[report]]\nname = "{report}"\ntitle = "Busy {report}"\nnotebook = "{BUSY}"\n'
            f"parameters = {{ {inline} }}\n"
        )
    return write_catalogue(folder, body)


# --- 1. keep below 1; 13. a negative time limit ------------------------------------------------------------
@pytest.mark.parametrize("value", ["0", "-1"])
def test_keep_below_one_is_refused_on_the_command_line(tmp_path, value):
    out = tmp_path / "reports"
    fake_publish(out)
    cat = tiny_catalogue(tmp_path)
    for args in (
        ("reports", "build", "--catalogue", cat, "--out", out, "--keep", value),
        ("reports", "publish", tmp_path, "--catalogue", cat, "--out", out, "--keep", value),
    ):
        r = hmip(*args)
        assert r.returncode == 2 and "--keep" in r.stderr and "at least 1" in r.stderr, r.stderr
        assert "Traceback" not in r.stderr
    assert consistent(out)  # nothing published was touched


@pytest.mark.parametrize("setting", ["keep = 0", "keep = -1", "timeout = -5", "timeout = 0"])
def test_settings_below_one_are_refused_when_the_catalogue_loads(tmp_path, setting):
    cat = tiny_catalogue(tmp_path)
    cat.write_text(cat.read_text().replace("keep = 5", setting).replace("timeout = 120\n", "", 1))
    with pytest.raises(CatalogueError, match="at least 1"):
        load_catalogue(cat)


def test_keep_zero_cannot_reach_the_pruning(tmp_path):
    from hmip.build.build import build

    out = tmp_path / "reports"
    fake_publish(out)
    with pytest.raises(CatalogueError, match="--keep must be at least 1"):
        build(tiny_catalogue(tmp_path), out=out, keep=0)
    with pytest.raises(ValueError):
        prune_runs(out, 0)
    assert consistent(out)


@pytest.mark.parametrize(
    "args",
    [
        ("reports", "build", "--timeout", "-5"),
        ("reports", "build", "--timeout", "0"),
        ("run", TINY, "--timeout", "-5"),
    ],
    ids=["build-negative", "build-zero", "run-negative"],
)
def test_a_time_limit_below_one_second_is_refused(tmp_path, args):
    r = hmip(*args, "--out" if args[0] == "reports" else "-o", tmp_path / "x")
    assert r.returncode == 2 and "--timeout" in r.stderr and "at least 1" in r.stderr, r.stderr
    assert not list(tmp_path.iterdir())


# --- 2. hmip run never writes over a notebook --------------------------------------------------------------
def test_run_refuses_to_write_over_the_notebook_it_runs(tmp_path):
    source = tmp_path / "X.ipynb"
    shutil.copy(ROOT / TINY, source)
    before = source.read_bytes()
    r = hmip("run", source, "-o", tmp_path / "X.html")
    assert r.returncode == 2 and "written over the notebook being run" in r.stderr, r.stderr
    one_line_error(r)
    assert source.read_bytes() == before and not (tmp_path / "X.html").exists()


def test_run_writes_nothing_into_notebooks(tmp_path):
    nb = ROOT / "notebooks" / "sample_size_sensitivity.ipynb"
    before = nb.read_bytes()
    listing = sorted(p.name for p in nb.parent.iterdir())
    r = hmip("run", nb, "-o", nb.with_suffix(".html"))
    assert r.returncode == 2 and "nothing is written into" in r.stderr, r.stderr
    one_line_error(r)
    r = hmip("run", ROOT / TINY, "-o", nb.parent / "elsewhere.html")
    assert r.returncode == 2 and "nothing is written into" in r.stderr, r.stderr
    assert nb.read_bytes() == before and sorted(p.name for p in nb.parent.iterdir()) == listing


def test_run_refuses_to_write_over_another_source_notebook(tmp_path):
    other = tmp_path / "report.ipynb"  # a notebook someone wrote, not an executed output
    shutil.copy(ROOT / TINY, other)
    before = other.read_bytes()
    r = hmip("run", ROOT / TINY, "-o", tmp_path / "report.html")
    assert r.returncode == 2 and "is not an executed notebook" in r.stderr, r.stderr
    assert other.read_bytes() == before


# --- 5. names are slugs; every output path stays inside the run's folder ------------------------------
@pytest.mark.parametrize(
    "name",
    ["../../../escaped", "/tmp/escaped", "a/b", "Upper", "dots.html", "index", "", "x" * 101],
)
def test_a_report_name_that_is_not_a_slug_is_refused_when_the_catalogue_loads(tmp_path, name):
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = {json.dumps(name)}
        title = "T"
        notebook = "{TINY}"
        """,
    )
    with pytest.raises(CatalogueError, match="is not accepted"):
        load_catalogue(cat)
    r = hmip("reports", "build", "--catalogue", cat, "--out", tmp_path / "reports", "--list")
    assert r.returncode == 2
    one_line_error(r)
    assert not (tmp_path / "escaped").exists() and not Path("/tmp/escaped").exists()


def test_a_fanned_out_name_must_be_a_slug_too(tmp_path):
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "x-{{message}}"
        title = "T {{message}}"
        notebook = "{TINY}"
        fan_out = {{ parameter = "message", values = ["ok", "../up"] }}
        """,
    )
    with pytest.raises(CatalogueError, match="'x-../up' is not accepted"):
        load_catalogue(cat)


def test_output_paths_are_resolved_inside_the_runs_folder(tmp_path):
    assert names.inside(tmp_path, "a.html") == (tmp_path / "a.html").resolve()
    for bad in ("../a.html", "/etc/a.html", "sub/../../a.html", "sub/a.html"):
        with pytest.raises(ValueError, match="outside"):
            names.inside(tmp_path, bad)


# --- 8. one line, documented status: no kernelspec, read-only, disk full -------------------------------
def test_a_notebook_without_a_kernelspec_is_one_line_in_a_build_and_in_list(tmp_path):
    nb = json.loads((ROOT / TINY).read_text())
    del nb["metadata"]["kernelspec"]
    path = tmp_path / "no_kernelspec.ipynb"
    path.write_text(json.dumps(nb))
    cat = write_catalogue(tmp_path, f'[[report]]\nname = "nk"\ntitle = "NK"\nnotebook = "{path}"\n')
    for extra in (["--list"], ["--list", "--format", "json"], []):
        r = hmip("reports", "build", "--catalogue", cat, "--out", tmp_path / "reports", *extra)
        assert r.returncode == 2, r.stderr
        assert "has no kernelspec" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "reports" / "latest").exists()


def need_root(reason: str) -> None:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip(f"{reason}: needs root to mount a tmpfs")


@contextlib.contextmanager
def tmpfs(folder: Path, size: str = "2m", options: str = ""):
    """A small tmpfs at ``folder`` (root only); unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}{options}", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill the file system of ``folder`` until only about ``leave`` bytes are free."""
    free = shutil.disk_usage(folder).free - leave
    with (folder / "filler").open("wb") as fh:
        with contextlib.suppress(OSError):
            while free > 0:
                chunk = min(free, 1 << 20)
                fh.write(b"\0" * chunk)
                free -= chunk


def test_a_read_only_reports_folder_is_one_line_and_exit_4(tmp_path):
    need_root("a read-only reports folder")
    cat = tiny_catalogue(tmp_path)
    with tmpfs(tmp_path / "ro", options=",ro") as ro:
        r = hmip("reports", "build", "--catalogue", cat, "--out", ro)
        assert r.returncode == EXIT_DISK == 4, (r.stdout, r.stderr)
        one_line_error(r)
        assert "Read-only file system" in r.stderr and r.stdout == ""
        r = hmip("reports", "build", "--catalogue", cat, "--out", ro / "reports")
        assert r.returncode == 4 and "Traceback" not in r.stderr


@pytest.mark.e2e
def test_a_full_disk_during_a_build_is_one_line_exit_4_and_leaves_nothing(tmp_path):
    need_root("a full disk")
    cat = tiny_catalogue(tmp_path)
    with tmpfs(tmp_path / "disk", size="3m") as disk:
        out = disk / "reports"
        first = fake_publish(out)
        fill(disk, leave=8 * 1024)
        r = hmip("reports", "build", "--catalogue", cat, "--out", out, "--jobs", "2")
        assert r.returncode == 4, (r.stdout, r.stderr)
        one_line_error(r)
        assert "could not be written" in r.stderr and "unchanged" in r.stderr
        assert not (out / ".staging").exists()
        assert [p.name for p in out.iterdir() if names.is_run_id(p.name)] == [first]  # no orphan
        assert not list(out.glob(".*.tmp"))
        assert consistent(out) == first  # what was published still is


def test_a_full_disk_while_writing_the_index_leaves_no_staging_orphan_or_temporary(
    tmp_path, monkeypatch
):
    out = tmp_path / "reports"
    first = fake_publish(out)
    real = Path.write_text

    def full(self, *a, **kw):
        if self.name == "index.html":
            raise OSError(errno.ENOSPC, "No space left on device", str(self))
        return real(self, *a, **kw)

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(DiskFault, match="No space left on device"):
        with disk_faults(out) as fault:
            staging = fault.staging = open_staging(out)
            (staging.folder / "one.html").write_text("x")
            with staging.log.open("a") as log:
                publish(
                    staging,
                    results=[JobResult(name="one", title="One", parameters={}, ok=True)],
                    summary=RunSummary(run_id=staging.run_id, log=str(staging.log)),
                    meta=META,
                    progress=Progress(1, log, io.StringIO()),
                    keep=5,
                    started=time.perf_counter(),
                    n_built=1,
                )
    assert not (out / ".staging").exists() and not list(out.glob(".*.tmp"))
    assert [p.name for p in out.iterdir() if names.is_run_id(p.name)] == [first]
    assert consistent(out) == first


def test_the_exit_status_for_disk_faults_is_documented():
    readme = (ROOT / "README.md").read_text()
    assert "| 4 |" in readme and "disk" in readme[readme.index("| 4 |") :].split("\n")[0]


# --- 11. publishing is one atomic switch: a kill at any step ----------------------------------------------
CRASH = textwrap.dedent(
    """
    import os, shutil, signal, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    from tests.test_failsafe_build import fake_publish
    step, count = int(sys.argv[1]), [0]

    def counted(fn):
        def wrapper(*a, **kw):
            count[0] += 1
            if count[0] == step:
                os.kill(os.getpid(), signal.SIGKILL)  # a real kill, just before this step
            return fn(*a, **kw)
        return wrapper

    os.replace = counted(os.replace)
    os.rename = counted(os.rename)
    shutil.rmtree = counted(shutil.rmtree)
    Path.write_text = counted(Path.write_text)
    Path.symlink_to = counted(Path.symlink_to)
    Path.unlink = counted(Path.unlink)
    fake_publish(Path(sys.argv[2]), keep=1)
    print(count[0])
    """
)


@pytest.mark.parametrize("first_run", [True, False], ids=["first-publish", "over-a-published-run"])
def test_a_kill_at_any_step_of_publishing_leaves_index_and_latest_on_one_run(tmp_path, first_run):
    script = tmp_path / "crash.py"
    script.write_text(CRASH.format(root=str(ROOT)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    steps = None
    step = 1
    while steps is None or step <= steps + 1:
        out = tmp_path / f"reports-{step}"
        before = fake_publish(out, keep=1) if not first_run else None
        r = subprocess.run(
            [sys.executable, str(script), str(step), str(out)],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        if r.returncode == 0:  # ran to the end: it counted its steps
            steps = int(r.stdout.split()[-1])
            assert consistent(out) not in (None, before)
        else:
            assert r.returncode == -signal.SIGKILL, r.stderr
            now = consistent(out)  # latest and index name the same run, or nothing is published
            assert now is None or (out / now / "one.html").is_file()
            if not first_run:
                assert now is not None  # a published run never disappears
        step += 1
    assert steps and steps >= 4


# --- 12. SIGTERM gives what the README says, in every window ----------------------------------------------
def catches_sigterm(pid: int) -> bool:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) & (1 << (signal.SIGTERM - 1)))
    return False


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.0])
def test_sigterm_in_the_first_second_exits_130(tmp_path, delay):
    cat = tiny_catalogue(tmp_path)
    proc = build_process(cat, tmp_path / "reports", "--jobs", "1", cwd=ROOT)
    deadline = time.monotonic() + 30
    while not catches_sigterm(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.005)  # from its first moment the command handles SIGTERM
    time.sleep(delay)
    family = []
    with contextlib.suppress(psutil.Error):
        family = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (delay, stdout, stderr)
    assert "Traceback" not in stderr
    _, alive = psutil.wait_procs(family, timeout=10)
    assert not [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not (tmp_path / "reports" / "latest").exists()


@pytest.mark.e2e
def test_sigterm_just_after_published_exits_0(tmp_path):
    cat = tiny_catalogue(tmp_path)
    proc = build_process(cat, tmp_path / "reports", "--jobs", "2", cwd=ROOT)
    for line in proc.stdout:
        if line.startswith("published"):
            proc.send_signal(signal.SIGTERM)  # the run is published: the scheduler must see success
            break
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, (stdout, stderr)
    assert consistent(tmp_path / "reports")


def test_the_readme_says_what_a_stop_gives_in_every_window():
    readme = (ROOT / "README.md").read_text()
    assert "after it has published" in readme or "once the run is published" in readme


# --- 13, 14, 16: whole-run time limits, processes a report starts, bad data -------------------------------
def _gone(pids: list[int], seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                    alive.append(pid)
        if not alive:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.e2e
def test_a_reports_time_limit_is_its_whole_run(tmp_path):
    """Four 3 s cells under a 6 s limit: each cell is within it, the report is not (it used to run all
    12 s and be published)."""
    from hmip.build.build import build

    cat = busy_catalogue(tmp_path, {"slow": {"cell_seconds": 3.0}}, timeout=6)
    status, summary = build(cat, out=tmp_path / "reports", jobs=1, stream=io.StringIO())
    assert status == 1
    (r,) = summary.results
    assert not r.ok and "limit of 6 s" in r.error
    assert r.seconds < 10  # stopped at its limit, not after every cell
    assert not (tmp_path / "reports" / "latest").exists()
    assert (Path(summary.failed_dir) / "slow.ipynb").is_file()  # its log is kept


@pytest.mark.e2e
def test_processes_a_report_starts_end_with_it_and_bad_data_exits_2(tmp_path):
    """A cell starts two `sleep 300` (one in the kernel's group, one in a session of its own): both are
    gone when the build ends. A report refused its data file (the project's data error): exit 2, as the
    README says."""
    from hmip.build.build import build

    pids_file = tmp_path / "pids"
    bad = ROOT / "tests" / "bad_files" / "cases_bad_answer.csv"
    cat = busy_catalogue(
        tmp_path, {"spawner": {"spawn": str(pids_file)}, "bad-data": {"data_path": str(bad)}}
    )
    console = io.StringIO()
    status, summary = build(cat, out=tmp_path / "reports", jobs=2, stream=console)
    pids = [int(p) for p in pids_file.read_text().split()]
    assert len(pids) == 2
    assert _gone(pids), [psutil.Process(p).ppid() for p in pids if psutil.pid_exists(p)]
    assert status == 2, console.getvalue()
    assert "refused" in console.getvalue()
    by_name = {r.name: r for r in summary.results}
    assert by_name["spawner"].ok and not by_name["bad-data"].ok


def test_a_bad_data_file_in_a_catalogue_build_is_documented_as_2():
    readme = (ROOT / "README.md").read_text()
    row = next(ln for ln in readme.splitlines() if ln.startswith("| 2 |"))
    assert "data" in row


# --- 3. a damaged manifest never makes reports disappear --------------------------------------------------
@pytest.mark.e2e
def test_a_damaged_manifest_does_not_drop_reports_from_a_partial_build(tmp_path):
    out = tmp_path / "reports"
    earlier = fake_publish(out, ("tiny-one", "tiny-two"))
    manifest = out / earlier / "manifest.json"
    manifest.write_text(manifest.read_text()[:40])  # truncated
    cat = tiny_catalogue(tmp_path)
    r = hmip(
        "reports", "build", "--catalogue", cat, "--out", out, "--only", "tiny-one", "--jobs", "1"
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "missing or damaged" in r.stdout and "no earlier run" not in r.stdout
    run = consistent(out)
    assert run != earlier
    entries = {
        e["name"]: e for e in json.loads((out / run / "manifest.json").read_text())["results"]
    }
    assert list(entries) == ["tiny-one", "tiny-two"]  # every catalogue report is still published
    assert entries["tiny-two"]["carried_over"] and entries["tiny-two"]["from_run"] == earlier
    assert (out / run / "tiny-two.html").read_text() == f"<p>tiny-two of {earlier}</p>"
    assert (out / "index.html").read_text().count(f'href="{run}/') == 2


def test_a_damaged_run_holding_none_of_the_other_reports_is_refused(tmp_path):
    from hmip.build.build import _carry_over
    from hmip.build.catalogue import Job

    out = tmp_path / "reports"
    earlier = fake_publish(out, ("elsewhere",))
    (out / earlier / "manifest.json").write_text("{")
    staging = open_staging(out)
    jobs = [Job("one", "One", TINY), Job("two", "Two", TINY)]
    built = [JobResult(name="one", title="One", parameters={}, ok=True)]
    with staging.log.open("a") as log, pytest.raises(CatalogueError, match="would lose them"):
        _carry_over(
            staging,
            jobs=jobs[:1],
            catalogue_jobs=jobs,
            built=built,
            progress=Progress(1, log, io.StringIO()),
        )
    assert not staging.folder.exists() and consistent(out) == earlier


# --- 15. failed runs and logs are pruned too ----------------------------------------------------------------
def test_failed_runs_and_logs_are_kept_as_runs_are(tmp_path):
    out = tmp_path / "reports"
    (out / "failed").mkdir(parents=True)
    (out / "logs").mkdir()
    ids = [f"2026010{d}T000000Z" for d in range(1, 8)]
    for run_id in ids:
        (out / "failed" / run_id).mkdir()
        (out / "logs" / f"{run_id}.log").write_text("log")
    (out / "logs" / "20260108T000000Z.log").write_text("the log of a build stopped early")
    prune_failed_and_logs(out, 3)
    assert sorted(p.name for p in (out / "failed").iterdir()) == ids[-3:]
    kept = sorted(p.stem for p in (out / "logs").iterdir())
    # the logs of the 3 failed runs kept, and the newest 3 others (2 of pruned runs, the stopped build)
    assert kept == [*ids[2:], "20260108T000000Z"]


def test_publishing_prunes_failed_runs_and_logs(tmp_path):
    out = tmp_path / "reports"
    (out / "failed").mkdir(parents=True)
    for d in range(1, 5):
        (out / "failed" / f"2020010{d}T000000Z").mkdir()
    runs = [fake_publish(out, keep=2) for _ in range(3)]
    assert sorted(p.name for p in out.iterdir() if names.is_run_id(p.name)) == sorted(runs[-2:])
    assert len(list((out / "failed").iterdir())) == 2
    assert len(list((out / "logs").glob("*.log"))) <= 2 + 2
    assert consistent(out) == runs[-1]
    readme = (ROOT / "README.md").read_text()
    assert (
        "prunes\n`reports/failed/`" in readme
        and "`reports/logs/` (the logs of the runs kept" in readme
    )


# --- 10. the pack's page: a long unbroken word wraps inside it ----------------------------------------------
def test_a_long_unbroken_word_wraps_inside_the_packs_page():
    """One 100-character word (the longest evidence accepted) in a progress cell stays within the
    page's printable width (it used to run off the page and be clipped)."""
    from weasyprint import HTML

    from hmip.build.pack import pack_css
    from hmip.data.recommendations import MAX_LENGTH

    word = "W" * max(MAX_LENGTH.values())  # the widest letter, at the longest length accepted
    html = (
        f'<html><head><style>{pack_css("A4")}</style></head><body class="pack">'
        '<section class="page pdu"><table class="recs"><colgroup><col class="c-no">'
        '<col class="c-rec"><col class="c-prog"></colgroup><tbody><tr><td>1</td><td>A '
        f"recommendation</td><td>{word}. <em>Evidence:</em> {word}</td></tr></tbody></table>"
        "</section></body></html>"
    )
    page = HTML(string=html).render().pages[0]

    def boxes(box):
        yield box
        for child in getattr(box, "children", None) or []:
            yield from boxes(child)

    text = [b for b in boxes(page._page_box) if type(b).__name__ == "TextBox"]
    assert text
    right = max(b.position_x + b.width for b in text)
    assert right <= page.width - page._page_box.margin_right + 0.5

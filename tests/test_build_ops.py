"""Operating the report builder: private kernel transport, clean stops, quiet logs, partial rebuilds,
jobs for external schedulers, and warm workers that still start every report clean."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from hmip.build.build import build
from hmip.build.catalogue import load_catalogue

from .conftest import build_command, build_process, tiny_catalogue, write_catalogue

PROBE = "tests/fixtures/probe.ipynb"
TINY = "tests/fixtures/tiny.ipynb"
ROOT = Path(__file__).resolve().parents[1]


def probe_catalogue(tmp_path, reports: list[tuple[str, dict]], name="probe.toml") -> Path:
    body = "[settings]\ntimeout = 120\n"
    for report, params in reports:
        inline = ", ".join(f"{k} = {json.dumps(v)}" for k, v in params.items())
        body += (
            f'[[report]]\nname = "{report}"\ntitle = "Probe {report}"\n'
            f'notebook = "{PROBE}"\nparameters = {{ {inline} }}\n'
        )
    return write_catalogue(tmp_path, body, name)


def probe_state(notebook: Path) -> dict:
    text = notebook.read_text()
    return json.loads(re.search(r"PROBE (\{.*?\})\\n", text).group(1).replace('\\"', '"'))


@pytest.fixture(scope="module")
def probed(tmp_path_factory):
    """Two probe reports on ONE worker: the first leaves state behind, the second reports what it sees."""
    tmp = tmp_path_factory.mktemp("probe")
    cat = probe_catalogue(tmp, [("dirty", {"leak": True}), ("clean", {"leak": False})])
    out = tmp / "reports"
    status, summary = build(cat, out=out, jobs=1, stream=open(os.devnull, "w"))
    assert status == 0, summary
    run = Path(summary.run_dir)
    return out, summary, {n: probe_state(run / f"{n}.ipynb") for n in ("dirty", "clean")}


@pytest.mark.e2e
def test_kernels_talk_over_ipc_in_a_private_directory_that_is_removed(probed):
    out, summary, states = probed
    for state in states.values():
        assert state["transport"] == "ipc"
        assert (
            state["dir_mode"] & 0o777 == 0o700
        )  # only the owner (jupyter_client adds the sticky bit)
        assert not Path(state["connection_file"]).parent.exists()  # removed afterwards
    log = Path(summary.log).read_text()
    assert "TCP" not in log and "without encryption" not in log
    assert "(IPC)" in log


@pytest.mark.e2e
def test_a_builds_reports_share_a_private_folder_that_is_removed_at_its_end(probed):
    """Results two of a run's processes both compute (the pack's pages and the reports: issue 25) are
    shared in a folder made for the run, readable by its owner only, and gone when the run ends."""
    _, _, states = probed
    folders = {s["shared_memo"] for s in states.values()}
    assert len(folders) == 1 and None not in folders  # the same folder for every report of the run
    assert all(s["shared_memo_is_dir"] for s in states.values())  # there while the reports ran
    folder = Path(folders.pop())
    assert folder.name.startswith("hmip-shared-")
    assert not folder.exists()  # removed at the end of the run


@pytest.mark.e2e
def test_a_report_starts_clean_on_a_warm_worker(probed):
    """Imports are paid once per worker, yet a report that sets a global, changes rcParams and leaves
    a figure open does not affect the next report on the same worker."""
    _, _, states = probed
    dirty, clean = states["dirty"], states["clean"]
    assert dirty["worker_pid"] == clean["worker_pid"]  # the same worker ran both
    assert dirty["kernel_pid"] != clean["kernel_pid"]  # each kernel serves one report
    assert clean["pandas_preloaded"] and dirty["pandas_preloaded"]  # imports paid before the report
    assert not clean["leaked_global"] and not clean["leaked_module_attribute"]
    assert clean["linewidth"] == dirty["linewidth"] != 9.0
    assert clean["open_figures"] == 0
    # no report writes the user's IPython history database (issue 25)
    assert clean["history_database"] is False and dirty["history_database"] is False
    # the commit is found once for the build and given to every report (no git run a report)
    from hmip.present.banner import COMMIT_ENV, git_commit

    assert COMMIT_ENV not in os.environ
    assert clean["build_commit"] == dirty["build_commit"] == git_commit() != ""
    assert not clean["debugger_loaded"]  # report kernels run without debugpy (issue 25)
    # the warm process imports with the collector off (issue 25); every report runs with it on
    assert clean["gc_enabled"] and dirty["gc_enabled"]


@pytest.mark.e2e
def test_a_kernel_is_ready_when_its_iopub_carries_the_first_cells_output():
    """Issue 25: the build's kernel clients are ready without jupyter_client's 0.2 s of listening for
    silence on IOPub, yet IOPub is connected by then: the first execution's output and status
    arrive. A kernel that has died is reported, not waited for."""
    from jupyter_core.utils import run_sync

    from hmip.build.kernel import _ready_client_class, ipc_kernel_manager

    km = ipc_kernel_manager("hmip")
    run_sync(km.start_kernel)()
    kc = km.client()
    try:
        assert isinstance(kc, _ready_client_class())
        kc.start_channels()
        run_sync(kc.wait_for_ready)(timeout=60)
        seen = []
        reply = run_sync(kc.execute_interactive)(
            "print('first output')", output_hook=seen.append, timeout=60
        )
        assert reply["content"]["status"] == "ok"
        streams = [m["content"]["text"] for m in seen if m["msg_type"] == "stream"]
        assert streams == ["first output\n"]
        run_sync(km.shutdown_kernel)(now=True)
        with pytest.raises(RuntimeError, match="died|respond"):
            run_sync(kc.wait_for_ready)(timeout=3)
    finally:
        kc.stop_channels()
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)


@pytest.mark.e2e
def test_a_running_kernels_connection_file_says_ipc(tmp_path):
    """While the report runs, its kernel's connection file (in a 0700 directory) names the ipc transport."""
    marker = tmp_path / "running"
    cat = probe_catalogue(tmp_path, [("slow", {"marker": str(marker), "sleep_seconds": 20.0})])
    proc = build_process(cat, tmp_path / "reports", "--jobs", "1")
    try:
        wait_for(lambda: marker.exists(), 90)
        kernel = psutil.Process(int(marker.read_text()))
        conn = _kernel_connection_files(kernel)[0]
        assert json.loads(Path(conn).read_text())["transport"] == "ipc"
        assert oct(os.stat(Path(conn).parent).st_mode & 0o777) == oct(0o700)
        sockets = sorted(p.name for p in Path(conn).parent.iterdir() if p.is_socket())
        # shell, iopub, stdin, control, heartbeat, and ipykernel's pipe for output from subprocesses
        assert sockets == ["iopub-pipe", "k-1", "k-2", "k-3", "k-4", "k-5"]
        assert not [c for c in kernel.net_connections(kind="inet")]  # no TCP or UDP at all
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=60)


def _kernel_connection_files(kernel: psutil.Process) -> list[str]:
    """The kernel's connection file, found from its Unix sockets' directory."""
    found = []
    for c in kernel.net_connections(kind="unix"):
        if c.laddr:
            candidate = Path(c.laddr).parent / "kernel.json"
            if candidate.is_file():
                found.append(str(candidate))
    return found


def wait_for(condition, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.1)


def start_build(tmp_path, n=2, seconds=60.0):
    markers = [tmp_path / f"started-{i}" for i in range(n)]
    cat = probe_catalogue(
        tmp_path,
        [
            (f"sleepy-{i}", {"marker": str(m), "sleep_seconds": seconds})
            for i, m in enumerate(markers)
        ],
    )
    out = tmp_path / "reports"
    proc = build_process(cat, out, "--jobs", str(n), start_new_session=True)
    wait_for(lambda: all(m.exists() for m in markers), 120)
    family = psutil.Process(proc.pid).children(recursive=True)
    kernels = [psutil.Process(int(m.read_text())) for m in markers]
    assert all(k in family for k in kernels) and len(family) >= 3 * n  # workers, reports, kernels
    return proc, out, family


def gone_within(procs, seconds: float) -> list:
    _, alive = psutil.wait_procs(procs, timeout=seconds)
    return [p for p in alive if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]


@pytest.mark.e2e
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_build_stops_its_workers_and_kernels_and_keeps_what_ran(tmp_path, sig):
    proc, out, family = start_build(tmp_path)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert gone_within(family, 5) == []
    assert not (out / "latest").exists() and not (out / "index.html").exists()  # nothing published
    assert not (out / ".staging").exists()
    (failed,) = (out / "failed").iterdir()
    kept = sorted(p.name for p in failed.glob("*.ipynb"))
    assert kept == ["sleepy-0.ipynb", "sleepy-1.ipynb"]
    manifest = json.loads((failed / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and not any(r["ok"] for r in manifest["results"])
    assert "stopped by SIG" in stdout and "Traceback" not in stderr


@pytest.mark.e2e
def test_a_killed_build_leaves_no_process_and_the_next_build_removes_its_staging(tmp_path):
    proc, out, family = start_build(tmp_path)
    staging = list((out / ".staging").iterdir())
    assert len(staging) == 1 and (staging[0] / "builder.pid").is_file()
    proc.kill()
    proc.communicate(timeout=30)
    assert gone_within(family, 5) == []  # workers, report processes and kernels die with it
    assert staging[0].exists()  # nobody was left to tidy up...
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "tiny"
        title = "Tiny"
        notebook = "{TINY}"
        """,
        "next.toml",
    )
    status, summary = build(cat, out=out, jobs=1, stream=open(os.devnull, "w"))
    assert status == 0
    assert not staging[0].exists()  # ...until the next build
    assert staging[0].name in Path(summary.log).read_text()


@pytest.mark.e2e
def test_the_console_shows_one_aligned_line_per_report_and_a_summary(tmp_path):
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "a"
        title = "A"
        notebook = "{TINY}"
        [[report]]
        name = "a-much-longer-name"
        title = "B"
        notebook = "{TINY}"
        """,
    )
    r = subprocess.run(
        build_command(cat, tmp_path / "reports", "--jobs", "2"), capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # third-party warnings go to the log
    lines = r.stdout.splitlines()
    rows = [ln for ln in lines if re.match(r"\[\d/2\] ", ln)]
    assert len(rows) == 2 and len(lines) == 4  # header, two reports, summary
    assert len({ln.index("s", ln.rindex(" ")) for ln in rows}) == 1  # seconds end in one column
    assert all(re.fullmatch(r"\[\d/2\] ok {5}[a-z-]+ +\d+\.\d+s", ln) for ln in rows)
    assert lines[-1].startswith("published 2 reports")
    assert "kernel" not in r.stdout.lower().replace("kernel 'hmip'", "")
    log = next((tmp_path / "reports" / "logs").glob("*.log")).read_text()
    assert re.search(r"versions: python 3\.\d+\.\d+, hmip-analytics [\d.]+, numpy [\d.]+", log)


@pytest.mark.e2e
def test_a_partial_rebuild_carries_every_other_report_over(tmp_path):
    cat = tiny_catalogue(tmp_path, names=("one", "two"), keep=None, timeout=None)
    out = tmp_path / "reports"
    devnull = open(os.devnull, "w")
    import io

    first_out = io.StringIO()
    status, first = build(cat, out=out, jobs=1, only=["one"], stream=first_out)
    assert status == 0 and "no earlier run to carry over from" in first_out.getvalue()
    assert [r.name for r in first.results] == ["one"]
    status, full = build(cat, out=out, jobs=2, stream=devnull)
    assert status == 0
    full_manifest = json.loads((Path(full.run_dir) / "manifest.json").read_text())
    built_two = {r["name"]: r["built_at"] for r in full_manifest["results"]}["two"]
    time.sleep(1.1)
    status, partial = build(cat, out=out, jobs=1, only=["one"], stream=devnull)
    assert status == 0
    run = Path(partial.run_dir)
    manifest = json.loads((run / "manifest.json").read_text())
    entries = {r["name"]: r for r in manifest["results"]}
    assert list(entries) == ["one", "two"]  # the index never loses a report
    assert not entries["one"]["carried_over"] and entries["two"]["carried_over"]
    assert entries["two"]["built_at"] == built_two  # its original build time
    assert entries["one"]["built_at"] > built_two
    assert entries["two"]["from_run"] == full.run_id
    for r in entries.values():  # paths relative to the published run
        assert r["html"] == f"{r['name']}.html" and (run / r["html"]).is_file()
        assert r["notebook"] == f"{r['name']}.ipynb" and (run / r["notebook"]).is_file()
    assert not Path(manifest["log"]).is_absolute() and (run / manifest["log"]).is_file()
    assert manifest["versions"]["pandas"] and manifest["versions"]["python"]
    index = (out / "index.html").read_text()
    assert f'href="{partial.run_id}/two.html"' in index and "carried over" in index
    assert built_two in index


def test_a_partial_rebuild_still_publishes_the_scrutiny_pack_and_counts_it(tmp_path):
    """The pack is a job like a report (built by a worker alongside them): a partial rebuild rebuilds it
    and publishes it, and the progress lines count it."""
    import io

    cat = tiny_catalogue(
        tmp_path,
        names=("one", "two"),
        keep=None,
        timeout=None,
        extra='[[pack]]\nregion = "London"\n',
    )
    out = tmp_path / "reports"
    status, full = build(cat, out=out, jobs=2, stream=io.StringIO())
    assert status == 0
    console = io.StringIO()
    status, partial = build(cat, out=out, jobs=2, only=["one"], stream=console)
    assert status == 0, console.getvalue()
    lines = [ln for ln in console.getvalue().splitlines() if ln.startswith("[")]
    assert [ln.split()[0] for ln in lines] == ["[1/2]", "[2/2]"]  # one report and the pack
    assert "1 reports and 1 scrutiny pack" in console.getvalue()
    run = Path(partial.run_dir)
    entries = {r["name"]: r for r in json.loads((run / "manifest.json").read_text())["results"]}
    assert list(entries) == ["one", "two", "scrutiny-pack-london"]
    pack = entries["scrutiny-pack-london"]
    assert pack["ok"] and pack["pack"] and not pack["carried_over"]
    assert pack["built_at"] and not pack["from_run"]  # built in this run
    for f in ("scrutiny-pack-london.pdf", "scrutiny-pack-london.html", "scrutiny-data-london.xlsx"):
        assert (run / f).is_file(), f
    assert f'href="{partial.run_id}/scrutiny-pack-london.pdf"' in (out / "index.html").read_text()


def test_list_json_gives_each_job_for_an_external_scheduler(tmp_path, root):
    r = subprocess.run(
        [sys.executable, "-m", "hmip.cli", "reports", "build", "--list", "--format", "json"],
        capture_output=True,
        text=True,
        cwd=root,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    catalogue_jobs, _ = load_catalogue(root / "reports.toml")
    assert set(doc) == {"catalogue", "jobs"}
    assert [j["name"] for j in doc["jobs"]] == [j.name for j in catalogue_jobs]
    for job in doc["jobs"]:
        assert set(job) >= {"name", "notebook", "parameters", "output", "timeout", "command"}
        assert isinstance(job["parameters"], dict) and isinstance(job["timeout"], int)
        assert job["output"] == f"{job['name']}.html" and (root / job["notebook"]).is_file()
        assert job["command"][:3] == ["hmip", "run", job["notebook"]]
    newham = next(j for j in doc["jobs"] if j["name"] == "sample-size-newham")
    assert newham["parameters"] == {"pdu": "Newham"} and newham["timeout"] == 900
    assert "-p" in newham["command"] and "Newham" in newham["command"]


def hmip(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "hmip.cli", *args], capture_output=True, text=True, cwd=cwd
    )


def test_run_refuses_an_unknown_parameter_before_anything_runs(tmp_path, root):
    nb = root / "notebooks" / "sample_size_sensitivity.ipynb"
    r = hmip("run", str(nb), "-p", "pdu_name", "Newham", "-o", str(tmp_path / "out.html"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "unknown parameter 'pdu_name'" in r.stderr and "did you mean 'pdu'?" in r.stderr
    assert "accepted: pdu, n, caseload" in r.stderr
    r = hmip("run", str(nb), "-p", "n", "forty", "-o", str(tmp_path / "out.html"))
    assert r.returncode == 2 and "'n' must be a whole number (int), got 'forty'" in r.stderr
    assert not list(tmp_path.iterdir())  # nothing ran, nothing written


@pytest.mark.notebooks
def test_run_turns_a_refused_value_into_one_line(tmp_path, root):
    nb = root / "notebooks" / "sample_size_sensitivity.ipynb"
    r = hmip("run", str(nb), "-p", "pdu", "Newhm", "-o", str(tmp_path / "out.html"))
    assert r.returncode == 2, r.stderr
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("error: ")
    assert "did you mean 'Newham'" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.html").exists()


@pytest.mark.e2e
def test_run_renders_the_catalogues_html_with_the_projects_ipc_kernel(tmp_path, root):
    out = tmp_path / "probe.html"
    r = hmip("run", str(root / PROBE), "-p", "leak", "true", "-o", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "" and r.stdout.startswith(f"wrote {out}")
    page = out.read_text()
    head = page[: page.index("</header>")]
    assert "Kernel probe" in head and "<code>leak</code> = True" in head and "Software" in head
    assert "<script" not in page and "import psutil" not in page  # self-contained, code hidden
    state = probe_state(out.with_suffix(".ipynb"))
    assert state["transport"] == "ipc" and state["dir_mode"] & 0o777 == 0o700
    assert not Path(state["connection_file"]).parent.exists()


@pytest.mark.e2e
def test_jobs_run_elsewhere_are_gathered_and_published_atomically(tmp_path):
    """What docs/scheduling.md describes: one task per job (its `hmip run` command), then one publish."""
    cat = write_catalogue(
        tmp_path,
        f"""
        [[report]]
        name = "one"
        title = "One"
        notebook = "{TINY}"
        parameters = {{ message = "first", count = 4 }}
        [[report]]
        name = "two"
        title = "Two"
        notebook = "{TINY}"
        [[pack]]
        region = "London"
        """,
    )
    jobs = json.loads(
        hmip("reports", "build", "--list", "--format", "json", "--catalogue", str(cat)).stdout
    )["jobs"]
    gathered, out = tmp_path / "gathered", tmp_path / "reports"
    gathered.mkdir()
    r = hmip("reports", "publish", str(gathered), "--catalogue", str(cat), "--out", str(out))
    assert r.returncode == 1 and "one, two" in r.stdout and not (out / "latest").exists()
    for job in jobs:  # each of these could run on another machine
        command = [*job["command"][1:]]
        command[command.index("-o") + 1] = str(gathered / job["output"])
        r = hmip(*command)
        assert r.returncode == 0, r.stderr
    r = hmip("reports", "publish", str(gathered), "--catalogue", str(cat), "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    run = (out / "latest").resolve()
    manifest = json.loads((run / "manifest.json").read_text())
    # the scrutiny pack needs no kernel: the publish step builds it into the run
    assert [e["name"] for e in manifest["results"]] == ["one", "two", "scrutiny-pack-london"]
    assert all(e["built_at"] and e["html"] == f"{e['name']}.html" for e in manifest["results"])
    assert (run / "scrutiny-pack-london.pdf").is_file() and (
        run / "scrutiny-data-london.xlsx"
    ).is_file()
    assert "<code>count</code> = 4" in (run / "one.html").read_text()
    assert 'href="' + run.name + '/two.html"' in (out / "index.html").read_text()


@pytest.mark.e2e
def test_run_stopped_with_sigterm_stops_its_kernel_and_exits_130(tmp_path, root):
    marker = tmp_path / "running"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hmip.cli", "run", str(root / PROBE), "-p", "marker", str(marker)]
        + ["-p", "sleep_seconds", "60", "-o", str(tmp_path / "probe.html")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for(lambda: marker.exists(), 90)
    family = psutil.Process(proc.pid).children(recursive=True)
    kernel = psutil.Process(int(marker.read_text()))
    assert kernel in family
    kernel_dir = Path(_kernel_connection_files(kernel)[0]).parent
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, (stdout, stderr)
    assert gone_within(family, 5) == [] and not kernel_dir.exists()
    assert not (tmp_path / "probe.html").exists()

"""The Airflow DAG of hmip.build.airflow, run by Airflow's own test runner (``dag.test()``) in Airflow's
own venv (``.venv-airflow``, made by ``make airflow-env`` from requirements-airflow.lock; ``make test``
makes it). Airflow's home, its SQLite database, DAGs folder and logs live in a temporary folder.

A DAG file like a deployment's is written to the DAGs folder; each report runs in its own task with the
project's ``hmip run``; the publish task publishes the run atomically, and a failed report publishes
nothing."""

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from .conftest import snapshot, tiny_catalogue

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW_VENV = ROOT / ".venv-airflow"
AIRFLOW_PYTHON = AIRFLOW_VENV / "bin" / "python"
HMIP = (
    Path(sys.executable).parent / "hmip"
)  # the project's own command, in the venv running the tests

#: the tests that run Airflow (marked `airflow`) are skipped without its venv; the others need no Airflow
SKIP_REASON = (
    f"Airflow's venv {AIRFLOW_VENV.name}/ is absent: `make airflow-env` creates it "
    "(`make test` does, and so does CI)"
)
without_airflow_skip = pytest.mark.skipif(not AIRFLOW_PYTHON.exists(), reason=SKIP_REASON)


#: runs in Airflow's venv: load the DAG file, run the DAG with Airflow's test runner, print the states
RUNNER = textwrap.dedent(
    """
    import json, runpy, sys
    dag = runpy.run_path(sys.argv[1])["dag"]
    run = dag.test()
    states = {ti.task_id: str(ti.state) for ti in run.get_task_instances()}
    print("RESULT " + json.dumps({"state": str(run.state), "run_id": run.run_id, "tasks": states}))
    """
)


@pytest.fixture(scope="module")
def airflow(tmp_path_factory):
    if not AIRFLOW_PYTHON.exists():
        pytest.skip(SKIP_REASON)
    """Airflow's home, with its SQLite database migrated, all in a temporary folder."""
    home = tmp_path_factory.mktemp("airflow")
    (home / "dags").mkdir()
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
    }
    env.pop("VIRTUAL_ENV", None)
    r = subprocess.run(
        [str(AIRFLOW_VENV / "bin" / "airflow"), "db", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return home, env


def run_dag(airflow, name: str, **arguments) -> dict:
    """Write a DAG file as a deployment would, and run it with ``dag.test()``: the DAG run's state and
    each task's."""
    home, env = airflow
    dag_file = home / "dags" / f"{name}.py"
    call = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
    dag_file.write_text(
        "from hmip.build.airflow import reports_dag\n\n"
        f"dag = reports_dag({call}, dag_id={name!r}, retries=0)\n"
    )
    started = time.perf_counter()
    r = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", RUNNER, str(dag_file)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    log = home / f"{name}.log"
    log.write_text(r.stdout + r.stderr)
    lines = [line for line in r.stdout.splitlines() if line.startswith("RESULT ")]
    assert r.returncode == 0 and lines, (
        f"dag.test() failed (log {log}):\n{(r.stdout + r.stderr)[-4000:]}"
    )
    result = json.loads(lines[-1].removeprefix("RESULT "))
    result["seconds"] = time.perf_counter() - started
    return result


@pytest.fixture(scope="module")
def published(airflow, tmp_path_factory):
    """The two-report catalogue run through the DAG; the jobs come from a file written by
    ``hmip reports build --list --format json``, as the docs advise for a deployment."""
    tmp = tmp_path_factory.mktemp("dag-ok")
    cat = tiny_catalogue(tmp, keep=None)
    jobs = tmp / "jobs.json"
    r = subprocess.run(
        [str(HMIP), "reports", "build", "--list", "--format", "json", "--catalogue", str(cat)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    jobs.write_text(r.stdout)
    out, shared = tmp / "reports", tmp / "shared"
    result = run_dag(
        airflow,
        "hmip_reports_ok",
        project=str(ROOT),
        shared=str(shared),
        catalogue=str(cat),
        out=str(out),
        jobs=str(jobs),
        hmip=str(HMIP),
    )
    return result, out, shared


@pytest.mark.airflow
@without_airflow_skip
def test_each_report_is_a_task_and_the_publish_task_publishes_the_run(published):
    result, out, shared = published
    assert result["state"] == "success", result
    assert result["tasks"] == {"tiny-one": "success", "tiny-two": "success", "publish": "success"}
    # each task wrote its report into the DAG run's own folder
    gathered = shared / result["run_id"]
    assert sorted(p.name for p in gathered.iterdir()) == [
        "tiny-one.html",
        "tiny-one.ipynb",
        "tiny-two.html",
        "tiny-two.ipynb",
    ]
    # ... and the run was published as `hmip reports build` publishes one
    run = (out / "latest").resolve()
    assert run.parent == out and run.name != result["run_id"]
    manifest = json.loads((run / "manifest.json").read_text())
    assert [e["name"] for e in manifest["results"]] == ["tiny-one", "tiny-two"]
    assert all(e["html"] == f"{e['name']}.html" and e["built_at"] for e in manifest["results"])
    assert not any(e.get("carried_over") for e in manifest["results"])
    assert "Message: first" in (run / "tiny-one.html").read_text()
    assert "Message: second" in (run / "tiny-two.html").read_text()
    index = (out / "index.html").read_text()
    assert (
        f'href="{run.name}/tiny-one.html"' in index and f'href="{run.name}/tiny-two.html"' in index
    )
    assert not (out / ".staging").exists() or not any((out / ".staging").iterdir())


@pytest.mark.airflow
@without_airflow_skip
def test_a_failed_report_fails_the_dag_and_leaves_the_published_run_untouched(
    published, airflow, tmp_path
):
    """The same output folder; tiny-two now fails. The DAG file lists the jobs itself (no jobs file)."""
    _, out, _ = published
    before = snapshot(out)
    latest = os.readlink(out / "latest")
    cat = tiny_catalogue(tmp_path, fail=True, keep=None)
    result = run_dag(
        airflow,
        "hmip_reports_fail",
        project=str(ROOT),
        shared=str(tmp_path / "shared"),
        catalogue=str(cat),
        out=str(out),
        hmip=str(HMIP),
    )
    assert result["state"] == "failed", result
    assert result["tasks"]["tiny-one"] == "success"
    assert result["tasks"]["tiny-two"] == "failed"
    assert result["tasks"]["publish"] == "upstream_failed"  # all_success: it never ran
    assert snapshot(out) == before and os.readlink(out / "latest") == latest
    # the failed report's executed notebook names the error, for whoever looks at the task
    executed = tmp_path / "shared" / result["run_id"] / "tiny-two.ipynb"
    assert "injected failure for the test" in executed.read_text()


def test_the_module_needs_airflow_only_to_make_the_dag(tmp_path):
    """hmip.build.airflow imports without Airflow (the project's venv has none), and each task's
    command is the job's own `hmip run`, writing into the DAG run's folder, quoted for bash."""
    import shlex

    from hmip.build import airflow as module

    cat = tiny_catalogue(tmp_path, keep=None)
    listing = module.list_jobs(ROOT, cat, str(HMIP))
    assert [j["name"] for j in listing["jobs"]] == ["tiny-one", "tiny-two"]
    folder = "/runs/{{ run_id }}"
    for job in listing["jobs"]:
        command = module.report_command(job, folder, ROOT, str(HMIP))
        cd, mkdir, run = command.split(" && ")
        assert shlex.split(cd) == ["cd", str(ROOT)] and shlex.split(mkdir) == [
            "mkdir",
            "-p",
            folder,
        ]
        expected = [str(HMIP), *job["command"][1:]]
        expected[expected.index("-o") + 1] = f"{folder}/{job['output']}"
        assert shlex.split(run) == ["exec", *expected]
    publish = module.publish_command(folder, ROOT, str(HMIP), cat, tmp_path / "out", 3)
    assert shlex.split(publish.split(" && ")[1]) == [
        "exec", str(HMIP), "reports", "publish", folder, "--catalogue", str(cat),
        "--out", str(tmp_path / "out"), "--keep", "3",
    ]  # fmt: skip
    try:
        import airflow  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError):
            module.reports_dag(ROOT, tmp_path, jobs=listing)


def test_a_bad_catalogue_makes_no_dag(tmp_path):
    from hmip.build.airflow import list_jobs

    cat = tmp_path / "bad.toml"
    cat.write_text('[[report]]\nname = "x"\ntitle = "X"\nnotebook = "tests/fixtures/tiny.ipynb"\n'
                   'parameters = { mesage = "typo" }\n')  # fmt: skip
    with pytest.raises(RuntimeError, match="exited 2"):
        list_jobs(ROOT, cat, str(HMIP))


def test_the_airflow_extra_and_uv_are_locked_with_hashes(root):
    """requirements-airflow.lock pins the `airflow` extra at versions pyproject accepts, every package
    with hashes and no index named; requirements-uv.lock pins the uv that installs the locks."""
    import re
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import Version

    extra = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for lock, wanted in [
        ("requirements-airflow.lock", [Requirement(r) for r in extra["airflow"]]),
        ("requirements-uv.lock", [Requirement("uv")]),
    ]:
        text = (root / lock).read_text()
        entries = [e for e in re.split(r"\n(?=[A-Za-z0-9])", text) if "==" in e.split("\n")[0]]
        pins = {
            canonicalize_name(m.group(1)): Version(m.group(2))
            for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)", text, flags=re.M)
        }
        assert entries and all("--hash=sha256:" in e for e in entries), lock
        assert not re.search(r"https?://|--(extra-)?index-url|--trusted-host|--find-links", text)
        assert "make lock-airflow" in text  # says how to refresh it
        for req in wanted:
            assert req.specifier.contains(pins[canonicalize_name(req.name)]), (lock, req)

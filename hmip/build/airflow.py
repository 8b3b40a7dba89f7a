"""Apache Airflow: the report catalogue as a DAG, one task per report and one task that publishes.

In a file of the deployment's DAGs folder (Airflow's environment needs only Airflow and this package,
installed without its dependencies; the reports run with the project's own venv)::

    from hmip.build.airflow import reports_dag

    dag = reports_dag(
        project="/srv/hmip-analytics",  # the same checkout, with `make install` done, on every worker
        shared="/mnt/hmip-runs",  # storage every worker writes and the publisher reads
        schedule="30 6 * * 1",
    )

The DAG is generated from ``reports.toml`` through ``hmip reports build --list --format json`` (or the
``jobs`` file that command wrote): one ``BashOperator`` per report runs the job's own ``hmip run``
command, writing ``NAME.html`` and ``NAME.ipynb`` into ``SHARED/<run_id>/``; then ``publish`` runs
``hmip reports publish`` on that folder, which publishes the run atomically with the same index,
manifest, scrutiny packs and carry-over rules as ``hmip reports build``. ``publish`` has the trigger
rule ``all_success``: if any report fails, it does not run and nothing published changes.

Nothing here imports Airflow until :func:`reports_dag` is called, so the rest of ``hmip`` works without
it, and this module imports nothing from ``hmip`` (it calls the ``hmip`` command), so an Airflow
environment can import it without the project's dependencies.
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

#: minutes added to a report's own time limit before Airflow stops its task (the report stops itself first)
GRACE = timedelta(minutes=2)


def default_hmip(project: str | Path) -> str:
    """The project's own ``hmip`` command: its venv, made by ``make install``."""
    return str(Path(project) / ".venv" / "bin" / "hmip")


def list_jobs(
    project: str | Path, catalogue: str | Path | None = None, hmip: str | None = None
) -> dict:
    """The catalogue's jobs, as ``hmip reports build --list --format json`` prints them (the parameters
    are checked against the notebooks first: a bad catalogue raises, and no DAG is made)."""
    command = [hmip or default_hmip(project), "reports", "build", "--list", "--format", "json"]
    if catalogue:
        command += ["--catalogue", str(catalogue)]
    r = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise RuntimeError(
            f"`{shlex.join(command)}` exited {r.returncode}: {(r.stderr or r.stdout).strip()}"
        )
    return json.loads(r.stdout)


def _load_jobs(
    jobs: str | Path | dict | None, project: str | Path, catalogue: Any, hmip: str
) -> dict:
    if jobs is None:
        return list_jobs(project, catalogue, hmip)
    if isinstance(jobs, dict):
        return jobs
    return json.loads(Path(jobs).read_text(encoding="utf-8"))


def report_command(job: dict, folder: str, project: str | Path, hmip: str) -> str:
    """The bash command of one report's task: the job's ``hmip run``, writing into ``folder``."""
    args = list(job["command"][1:])  # after "hmip"
    args[args.index("-o") + 1] = f"{folder}/{job['output']}"
    return (
        f"cd {shlex.quote(str(project))} && mkdir -p {shlex.quote(folder)} && "
        f"exec {shlex.quote(hmip)} {shlex.join(args)}"
    )


def publish_command(
    folder: str,
    project: str | Path,
    hmip: str,
    catalogue: str | Path | None = None,
    out: str | Path | None = None,
    keep: int | None = None,
) -> str:
    """The bash command of the publish task: ``hmip reports publish`` on the gathered folder."""
    args = ["reports", "publish", folder]
    if catalogue:
        args += ["--catalogue", str(catalogue)]
    if out:
        args += ["--out", str(out)]
    if keep is not None:
        args += ["--keep", str(keep)]
    return f"cd {shlex.quote(str(project))} && exec {shlex.quote(hmip)} {shlex.join(args)}"


def _bash_operator() -> type:
    try:  # Airflow 3 (and 2.x with the standard provider)
        from airflow.providers.standard.operators.bash import BashOperator
    except ImportError:  # Airflow 2
        from airflow.operators.bash import BashOperator
    return BashOperator


def _dag_class() -> type:
    try:  # Airflow 3
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow import DAG
    return DAG


def reports_dag(
    project: str | Path,
    shared: str | Path,
    *,
    catalogue: str | Path | None = None,
    out: str | Path | None = None,
    keep: int | None = None,
    jobs: str | Path | dict | None = None,
    hmip: str | None = None,
    dag_id: str = "hmip_reports",
    schedule: Any = None,
    start_date: datetime | None = None,
    retries: int = 1,
    retry_delay: timedelta = timedelta(minutes=2),
    max_active_tasks: int = 32,
    **dag_kwargs: Any,
) -> Any:
    """An Airflow DAG that builds the catalogue's reports, one task each, and publishes the run.

    ``project``: the project's checkout (with ``make install`` done) on every worker. ``shared``: a
    folder every worker can write and the publishing worker can read; each DAG run writes into
    ``shared/<run_id>/``. ``catalogue`` (default ``reports.toml``), ``out`` (default the project's
    ``reports/``) and ``keep`` are passed to ``hmip reports publish``. ``jobs``: the output of
    ``hmip reports build --list --format json`` (a file or the parsed dict) so that parsing the DAG
    file runs nothing; default: run that command now. ``hmip``: the command (default the project's
    ``.venv/bin/hmip``). The other arguments go to Airflow's ``DAG``.
    """
    DAG, BashOperator = _dag_class(), _bash_operator()
    project = Path(project)
    hmip = hmip or default_hmip(project)
    listing = _load_jobs(jobs, project, catalogue, hmip)
    catalogue = catalogue or listing.get("catalogue")
    folder = f"{Path(shared)}/{{{{ run_id }}}}"  # one folder per DAG run (rendered by Airflow)
    # the project's kernel ahead of any other `hmip` kernelspec on the worker, and no display needed
    env = {
        "JUPYTER_PATH": str(
            Path(shutil.which(hmip) or hmip).resolve().parent.parent / "share/jupyter"
        ),
        "MPLBACKEND": "Agg",
    }
    dag = DAG(
        dag_id,
        schedule=schedule,
        start_date=start_date or datetime(2024, 1, 1),
        catchup=False,
        max_active_tasks=max_active_tasks,
        default_args={"retries": retries, "retry_delay": retry_delay},
        doc_md=__doc__,
        tags=["hmip"],
        **dag_kwargs,
    )
    with dag:
        reports = [
            BashOperator(
                task_id=job["name"],
                bash_command=report_command(job, folder, project, hmip),
                env=env,
                append_env=True,
                execution_timeout=timedelta(seconds=job["timeout"]) + GRACE,
                doc_md=f"{job.get('title', job['name'])}: `{job['notebook']}` with "
                f"{json.dumps(job['parameters'])}",
            )
            for job in listing["jobs"]
        ]
        publish = BashOperator(
            task_id="publish",
            bash_command=publish_command(folder, project, hmip, catalogue, out, keep),
            env=env,
            append_env=True,
            trigger_rule="all_success",  # one failed report: this does not run, nothing is published
            retries=0,  # a publish that failed (e.g. the lock was held) is rerun by hand
        )
        reports >> publish
    return dag


def main(argv: list[str] | None = None) -> int:
    """``python -m hmip.build.airflow PROJECT SHARED [--catalogue C] [--out O]``: print the tasks."""
    import argparse

    p = argparse.ArgumentParser(description="Show the Airflow tasks the catalogue makes")
    p.add_argument("project")
    p.add_argument("shared")
    p.add_argument("--catalogue")
    p.add_argument("--out")
    p.add_argument("--hmip")
    a = p.parse_args(argv)
    hmip = a.hmip or default_hmip(a.project)
    listing = list_jobs(a.project, a.catalogue, hmip)
    folder = f"{a.shared}/{{{{ run_id }}}}"
    for job in listing["jobs"]:
        print(f"{job['name']}: {report_command(job, folder, a.project, hmip)}")
    catalogue = a.catalogue or listing.get("catalogue")
    print(f"publish: {publish_command(folder, a.project, hmip, catalogue, a.out)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

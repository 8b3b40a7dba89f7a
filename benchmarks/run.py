"""Performance harness (`make bench`): figures measured in one run, reported as ratios.

Measures, on this machine, in one run:
- the default catalogue's build: wall time and its ratio to the FLOOR, where the floor is, per report,
  one kernel start (measured) plus the notebook's own cell execution time (papermill's per-cell
  durations; the first cell's duration includes the imports the notebook needs), summed and divided by
  the number of jobs. Goal: 1.3x or less;
- the naive chain a user would otherwise script: `papermill` then `jupyter nbconvert --no-input` as
  separate processes, one report after another. Goal: the build is at least 2x faster;
- a simulated national catalogue (~110 PDUs, one sample-size report each): wall time, ratio to its
  floor, and the peak memory (RSS of the builder and every child: workers and kernels). Goal < 1 GB;
- computing every sensitivity statistic for all London PDUs (issue: well under a second).

Writes benchmarks/results/latest.json. Not a test: the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hmip.report.catalogue import load_catalogue  # noqa: E402
from hmip.report.runner import build  # noqa: E402

BIN = Path(sys.executable).parent


class PeakRSS:
    """Samples the summed RSS of this process and all its descendants."""

    def __init__(self, interval=0.2):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()

    def _sample(self):
        me = psutil.Process(os.getpid())
        while not self._stop.is_set():
            total = 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(self.interval)

    def __enter__(self):
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def kernel_start_seconds(kernel="hmip", repeats=3) -> float:
    """Median time to start the kernel and have it answer (shutdown not counted)."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        km, kc = start_new_kernel(kernel_name=kernel)
        kc.execute_interactive("pass", timeout=60)
        times.append(time.perf_counter() - t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def floor_seconds(results, kernel_start, jobs) -> float:
    return sum(kernel_start + r["cell_seconds"] for r in results) / jobs


def naive_chain(jobs, workdir: Path) -> float:
    import yaml

    start = time.perf_counter()
    for j in jobs:
        out = workdir / f"{j.name}.ipynb"
        subprocess.run(
            [
                str(BIN / "papermill"),
                str(ROOT / j.notebook),
                str(out),
                "-k",
                "hmip",
                "--no-progress-bar",
                "-y",
                yaml.safe_dump(j.parameters),
            ],
            check=True,
            capture_output=True,
            cwd=workdir,
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)],
            check=True,
            capture_output=True,
            cwd=workdir,
        )
    return time.perf_counter() - start


def timed_build(catalogue, out, jobs):
    quiet = io.StringIO()
    with PeakRSS() as mem:
        t = time.perf_counter()
        status, summary = build(catalogue, out=out, jobs=jobs, stream=quiet)
        wall = time.perf_counter() - t
    if status != 0:
        raise SystemExit(f"build failed:\n{quiet.getvalue()}")
    return wall, summary, mem.peak / 2**20


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument(
        "--national",
        type=int,
        default=110,
        help="simulated PDUs in the national catalogue (0 to skip)",
    )
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "latest.json"))
    args = ap.parse_args(argv)
    figures: dict = {
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }

    # 0. sensitivity statistics for all London PDUs
    from hmip.analyses.london_comparison import load_comparison
    from hmip.analyses.sample_size import sensitivity_all

    data = load_comparison()
    sensitivity_all(data)  # warm-up
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        sensitivity_all(data)
        runs.append(time.perf_counter() - t)
    figures["sensitivity_all_london_seconds"] = statistics.median(runs)

    # 1. kernel start
    figures["kernel_start_seconds"] = kernel_start_seconds()

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cat = ROOT / "reports.toml"
        jobs, _ = load_catalogue(cat)
        wall, summary, peak = timed_build(cat, tmp / "reports", args.jobs)
        floor = floor_seconds(summary["results"], figures["kernel_start_seconds"], args.jobs)
        figures.update(
            default_reports=len(jobs),
            build_seconds=wall,
            floor_seconds=floor,
            build_to_floor_ratio=wall / floor,
            default_peak_rss_mb=peak,
        )
        if not args.skip_naive:
            naive_dir = tmp / "naive"
            naive_dir.mkdir()
            naive = naive_chain(jobs, naive_dir)
            figures.update(naive_seconds=naive, naive_to_build_ratio=naive / wall)
        if args.national:
            from hmip.data.simulate import national_scenario, write_scenario

            cases, ratings = write_scenario(national_scenario(args.national), tmp / "national")
            ncat = tmp / "national.toml"
            ncat.write_text(f"""
[settings]
timeout = 900
[[report]]
name = "sample-size-{{pdu_slug}}"
title = "How firm are {{pdu}}'s ratings?"
notebook = "notebooks/sample_size_sensitivity.ipynb"
parameters = {{ cases_path = "{cases}", ratings_path = "{ratings}" }}
fan_out = {{ parameter = "pdu", from_cases = "{cases}" }}
""")
            nwall, nsummary, npeak = timed_build(ncat, tmp / "national_reports", args.jobs)
            nfloor = floor_seconds(nsummary["results"], figures["kernel_start_seconds"], args.jobs)
            figures.update(
                national_reports=len(nsummary["results"]),
                national_build_seconds=nwall,
                national_floor_seconds=nfloor,
                national_build_to_floor_ratio=nwall / nfloor,
                peak_rss_mb=npeak,
            )
        else:
            figures["peak_rss_mb"] = figures["default_peak_rss_mb"]

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n")
    goals = {
        "build_to_floor_ratio": "<= 1.3",
        "naive_to_build_ratio": ">= 2",
        "national_build_to_floor_ratio": "<= 1.3",
        "peak_rss_mb": "< 1024",
        "sensitivity_all_london_seconds": "well under 1",
    }
    print(f"{'figure':<34}{'value':>12}  goal")
    for k, v in figures.items():
        print(
            f"{k:<34}{v:>12.3f}  {goals.get(k, '')}"
            if isinstance(v, float)
            else f"{k:<34}{v!s:>12}  {goals.get(k, '')}"
        )
    print(f"\nwritten to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

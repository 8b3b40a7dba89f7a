"""Performance harness (`make bench`): figures measured in one run, reported as ratios.

Measures, on this machine, in one run:
- the default catalogue's build: wall time and its ratio to the FLOOR. The floor is the work no
  builder can avoid, spread perfectly over the jobs: the heavy libraries are imported once
  (`import_seconds`, measured in a fresh interpreter; nothing can run before they are), then the
  reports' own computation (the sum of papermill's per-cell durations, which in warm kernels no longer
  include imports) and the scrutiny packs' own build time (the workers build them alongside the
  reports) are shared evenly:
      floor = import_seconds + (sum(cell_seconds over reports) + sum(pack_seconds)) / jobs
  It leaves out what the builder adds per report: forking the report process and its kernel, papermill's
  bookkeeping and rendering the HTML. (Before issue 14 the floor was sum(kernel start + cell seconds,
  imports included) / jobs, as every report paid both.) Goal: 1.3x or less;
- the naive chain a user would otherwise script: `papermill` then `jupyter nbconvert --no-input` as
  separate processes, one report after another, then `hmip pack` for each of the catalogue's packs
  (the build makes those too), compared with the median of four builds, two on each side of the
  chain: the one above and one more straight before it, two straight after it. A build lasts a dozen
  seconds and can land in a slow spell of this shared machine, and builds timed straight after the
  chain's minute and a half of work have often been 8-19% slower than those before it: with as many
  builds on each side, such a drift weighs on the builds as it does on the chain, which spans it. All
  four are reported, with the ratio the earlier design gave (the median of the first build and the two
  after the chain). Goal (issue 25): the build is at least 8x faster;
- a simulated national catalogue (~110 PDUs, one sample-size report each): wall time, seconds per report
  against the 342 s for 110 reports measured before issue 14 (goal: at least 2x better) and against the
  builder of that time (`--baseline-commit`, run here on the first `--baseline-national` reports of the
  same catalogue, so both see the same machine load; goal (issue 25): at least 5x), ratio to its floor, and the peak memory of the builder and every child (workers, report processes, kernels) as
  the sum of their PSS (proportional set size: a page shared by forked processes is counted once
  overall, not once per process), with the sum of RSS alongside. Goal: PSS < 1 GB;
- computing every sensitivity statistic for all London PDUs (issue: well under a second);
- where each report's time goes: papermill's per-cell durations of the default build.

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

from hmip.build.build import build  # noqa: E402
from hmip.build.catalogue import load_catalogue  # noqa: E402

BIN = Path(sys.executable).parent


NATIONAL_BEFORE_SECONDS, NATIONAL_BEFORE_REPORTS = 342.0, 110  # issue 14, measured on 2 cores


class PeakRSS:
    """Samples the summed RSS (every 0.5 s) and PSS (every 2 s: reading smaps costs CPU, which would
    slow the build being measured) of this process and all its descendants. (RSS was sampled every
    0.2 s until issue 25: walking every descendant five times a second took about 4% of the 2 cores
    from the national build it measured, while the old builder it is compared with runs unsampled.)"""

    def __init__(self, interval=0.5, pss_every=4):
        self.interval, self.pss_every = interval, pss_every
        self.peak, self.peak_rss, self._stop = 0, 0, threading.Event()

    def _sample(self):
        me = psutil.Process(os.getpid())
        i = 0
        while not self._stop.is_set():
            pss = rss = 0
            with_pss = i % self.pss_every == 0
            for p in [me, *me.children(recursive=True)]:
                try:
                    if with_pss:
                        info = p.memory_full_info()
                        pss += getattr(info, "pss", info.rss)
                        rss += info.rss
                    else:
                        rss += p.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, rss)
            if with_pss:
                self.peak = max(self.peak, pss)
            i += 1
            time.sleep(self.interval)

    def __enter__(self):
        self._t = threading.Thread(target=self._sample, daemon=True)
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def kernel_start_seconds(kernel="hmip", repeats=3) -> float:
    """Median time to start an ordinary (launched, not forked) kernel over IPC and have it answer
    (shutdown not counted): what every report paid before issue 14."""
    from hmip.build.kernel import ipc_kernel_manager

    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        km = ipc_kernel_manager(kernel, blocking=True)
        km.start_kernel()
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        kc.execute_interactive("pass", timeout=60)
        times.append(time.perf_counter() - t)
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return statistics.median(times)


def import_seconds(catalogue) -> float:
    """Median time for a fresh interpreter to import what a worker imports before its first report."""
    from hmip.build.catalogue import notebook_imports

    jobs, _ = load_catalogue(catalogue)
    modules = notebook_imports([j.notebook for j in jobs])
    code = (
        "import time, sys; t = time.perf_counter(); from hmip.build.lazy import defer_rfc3987_syntax; defer_rfc3987_syntax(); import nbconvert, papermill; "
        "from hmip.build.kernel import warm_imports; warm_imports(sys.argv[1:]); "
        "print(time.perf_counter() - t)"
    )
    times = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", code, *modules], capture_output=True, text=True, check=True
        )
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def floor_seconds(results, imports, jobs) -> float:
    """The floor's definition is in the module docstring."""
    work = sum(r.seconds if r.pack else r.cell_seconds for r in results)
    return imports + work / jobs


def cell_profile(run_dir: Path) -> dict:
    """Per report of the run: papermill's duration of each code cell (first line of the cell)."""
    import nbformat

    profile = {}
    for nb_path in sorted(run_dir.glob("*.ipynb")):
        nb = nbformat.read(nb_path, as_version=4)
        cells = [
            (
                c.source.splitlines()[0][:60] if c.source else "",
                c.metadata.get("papermill", {}).get("duration") or 0.0,
            )
            for c in nb.cells
            if c.cell_type == "code"
        ]
        profile[nb_path.stem] = [{"cell": src, "seconds": round(d, 3)} for src, d in cells]
    return profile


def naive_chain(jobs, settings, workdir: Path) -> float:
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
    for region, paper in settings.packs:
        subprocess.run(
            [
                str(BIN / "hmip"),
                "pack",
                "--region",
                region,
                "--paper",
                paper,
                "--out",
                str(workdir),
            ],
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
    return wall, summary, mem.peak / 2**20, mem.peak_rss / 2**20


BASELINE_CODE = """
import sys, time
try:
    from hmip.build.build import build
except ImportError:  # a commit from before hmip/report/ was split
    from hmip.report.runner import build
t = time.perf_counter()
status, summary = build(sys.argv[1], out=sys.argv[2], jobs=int(sys.argv[3]))
results = summary.get("results", []) if isinstance(summary, dict) else summary.results
print("BASELINE", status, time.perf_counter() - t, len(results))
"""


def baseline_build(commit: str, catalogue: Path, out: Path, jobs: int, workdir: Path) -> float:
    """The project as it was at ``commit`` (before issue 14: its builder, notebooks, analysis code and
    data), on the same catalogue and machine, in this run: the fair 'before' when the machine is shared
    and its load varies. Its kernels import that commit's hmip (PYTHONPATH), so its notebooks are that
    commit's too (HMIP_PROJECT_ROOT)."""
    src = workdir / "baseline_src"
    src.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit, "hmip", "notebooks", "data"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    env = {**os.environ, "PYTHONPATH": str(src), "HMIP_PROJECT_ROOT": str(src)}
    t = time.perf_counter()
    r = subprocess.run(
        [sys.executable, "-c", BASELINE_CODE, str(catalogue), str(out), str(jobs)],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(workdir),
    )
    wall = time.perf_counter() - t
    line = [ln for ln in r.stdout.splitlines() if ln.startswith("BASELINE")]
    if r.returncode != 0 or not line or line[0].split()[1] != "0":
        raise SystemExit(f"baseline build failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return wall


def national_catalogue(
    path: Path, cases: Path, ratings: Path, pdus: list[str] | None = None
) -> Path:
    """One sample-size report per PDU of the simulated national file (or per PDU of ``pdus``)."""
    fan_out = (
        f'{{ parameter = "pdu", values = {json.dumps(pdus)} }}'
        if pdus
        else f'{{ parameter = "pdu", from_cases = "{cases}" }}'
    )
    path.write_text(f"""
[settings]
timeout = 900
[[report]]
name = "sample-size-{{pdu_slug}}"
title = "How firm are {{pdu}}'s ratings?"
notebook = "notebooks/sample_size_sensitivity.ipynb"
parameters = {{ cases_path = "{cases}", ratings_path = "{ratings}" }}
fan_out = {fan_out}
""")
    return path


def report_sizes_and_pages(run_dir: Path, print_dir: Path) -> dict:
    """Each published page's HTML size, and its A4 page count printed in headless Chromium (None where
    Chromium is absent); the scrutiny pack's PDF page count from the PDF itself."""
    from hmip.build.browser import BrowserUnavailable, page_count, print_to_pdf

    out = {}
    for page in sorted(run_dir.glob("*.html")):
        entry = {"html_kb": round(page.stat().st_size / 1024, 1), "a4_pages": None}
        try:
            entry["a4_pages"] = page_count(print_to_pdf(page, print_dir / f"{page.stem}.pdf"))
        except BrowserUnavailable:
            pass
        out[page.stem] = entry
    for pdf in sorted(run_dir.glob("*.pdf")):
        out.setdefault(pdf.stem, {})["pdf_pages"] = page_count(pdf)
    return out


def sensitivity_all(
    data,
    *,
    level: float = 0.95,
    draws: int = 10000,
    seed: int = 2022,
) -> dict:
    """Everything the sensitivity analysis computes, for every PDU of a loaded comparison (the
    benchmark's statistics workload; built from the sample-size report's public functions)."""
    from hmip.analyses.sample_size import (
        BOUNDARY_SHARES,
        SensitivityInputs,
        judgement_ratings,
        key_question_table,
        rating_distributions,
        sample_size_table,
    )
    from hmip.rules.framework import default_framework
    from hmip.stats.sampling import accuracy_curve

    fw = default_framework()
    out = {}
    for i, pdu in enumerate(data.pdus):
        counts = data.counts[data.counts["pdu"] == pdu].reset_index(drop=True)
        if counts.empty:
            continue
        cases = (
            None
            if data.cases is None
            else data.cases[data.cases["pdu"] == pdu].reset_index(drop=True)
        )
        judgement = judgement_ratings(data.ratings, pdu, framework=fw)
        inp = SensitivityInputs(
            pdu, counts, cases, judgement, None, 42, None, level, 0.8, draws, seed + i, None, (), {}
        )
        out[pdu] = {
            "key_questions": key_question_table(counts, level=level, framework=fw),
            "ratings": rating_distributions(inp, framework=fw),
        }
    out["_accuracy"] = accuracy_curve(BOUNDARY_SHARES, range(10, 401), framework=fw)
    out["_sample_sizes"] = sample_size_table(BOUNDARY_SHARES, framework=fw)
    return out


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
    ap.add_argument(
        "--baseline-commit",
        default="a3caca2",
        help="commit whose builder is measured in the same run as 'before' ('' to skip)",
    )
    ap.add_argument(
        "--baseline-national",
        type=int,
        default=40,
        help="simulated PDUs for the same-run baseline (its seconds per report are compared)",
    )
    ap.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "latest.json"))
    args = ap.parse_args(argv)
    figures: dict = {
        "jobs": args.jobs,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
    }

    # 0. sensitivity statistics for all London PDUs
    from hmip.analyses.london_comparison import load_comparison

    data = load_comparison()
    sensitivity_all(data)  # warm-up
    runs = []
    for _ in range(5):
        t = time.perf_counter()
        sensitivity_all(data)
        runs.append(time.perf_counter() - t)
    figures["sensitivity_all_london_seconds"] = statistics.median(runs)

    # 1. an ordinary kernel's start (what every report paid before), and a worker's imports
    figures["kernel_start_seconds"] = kernel_start_seconds()
    cat = ROOT / "reports.toml"
    figures["import_seconds"] = import_seconds(cat)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        jobs, settings = load_catalogue(cat)
        wall, summary, peak, peak_rss = timed_build(cat, tmp / "reports", args.jobs)
        n_jobs = min(args.jobs, len(jobs))
        figures["build_step_seconds"] = {r.name: round(r.seconds, 2) for r in summary.results}
        floor = floor_seconds(summary.results, figures["import_seconds"], n_jobs)
        figures.update(
            default_reports=len(jobs),
            build_seconds=wall,
            floor_seconds=floor,
            build_to_floor_ratio=wall / floor,
            default_peak_pss_mb=peak,
            default_peak_rss_sum_mb=peak_rss,
        )
        profile = cell_profile(Path(summary.run_dir))
        figures["reports"] = report_sizes_and_pages(Path(summary.run_dir), tmp / "print")
        if not args.skip_naive:
            naive_dir = tmp / "naive"
            naive_dir.mkdir()
            # two builds straight before the naive chain (the one above, one more) and two straight
            # after it: the chain (a minute and a half, so it averages the machine's swings itself) is
            # compared with their median, so that a drift over the chain weighs on both sides alike
            before = [wall, timed_build(cat, tmp / "reports_before", args.jobs)[0]]
            naive = naive_chain(jobs, settings, naive_dir)
            after = [timed_build(cat, tmp / f"reports_after_{i}", args.jobs)[0] for i in (1, 2)]
            figures.update(
                naive_seconds=naive,
                build_seconds_before_chain=[round(w, 2) for w in before],
                build_seconds_after_chain=[round(w, 2) for w in after],
                naive_to_build_ratio=naive / statistics.median(before + after),
                # the design before this stop: the first build and the two after the chain
                naive_to_build_ratio_first_and_after=naive / statistics.median([wall, *after]),
            )
        if args.national:
            from hmip.data.simulate import national_scenario, write_scenario

            cases, ratings = write_scenario(national_scenario(args.national), tmp / "national")
            ncat = national_catalogue(tmp / "national.toml", cases, ratings)
            nwall, nsummary, npeak, npeak_rss = timed_build(
                ncat, tmp / "national_reports", args.jobs
            )
            nfloor = floor_seconds(nsummary.results, figures["import_seconds"], args.jobs)
            n = len(nsummary.results)
            per_report = nwall / n
            before = NATIONAL_BEFORE_SECONDS / NATIONAL_BEFORE_REPORTS
            figures.update(
                national_reports=n,
                national_build_seconds=nwall,
                national_seconds_per_report=per_report,
                national_seconds_per_report_before=before,
                national_per_report_speedup=before / per_report,
                national_floor_seconds=nfloor,
                national_build_to_floor_ratio=nwall / nfloor,
                peak_pss_mb=npeak,
                peak_rss_sum_mb=npeak_rss,
            )
            if args.baseline_commit and args.baseline_national:
                # the first PDUs of the same national catalogue, built by the old builder in this run
                pdus = list(dict.fromkeys(r.parameters["pdu"] for r in nsummary.results))
                bcat = national_catalogue(
                    tmp / "baseline.toml", cases, ratings, pdus[: args.baseline_national]
                )
                bwall = baseline_build(
                    args.baseline_commit, bcat, tmp / "baseline_reports", args.jobs, tmp
                )
                figures.update(
                    baseline_commit=args.baseline_commit,
                    baseline_national_reports=args.baseline_national,
                    baseline_national_build_seconds=bwall,
                    baseline_seconds_per_report=bwall / args.baseline_national,
                    per_report_speedup_same_run=(bwall / args.baseline_national) / per_report,
                )
        else:
            figures["peak_pss_mb"] = figures["default_peak_pss_mb"]

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({**figures, "cell_profile": profile}, indent=2) + "\n")
    goals = {
        "build_to_floor_ratio": "<= 1.3",
        "naive_to_build_ratio": ">= 8 (issue 25)",
        "naive_to_build_ratio_first_and_after": "(the earlier design, for comparison)",
        "national_per_report_speedup": ">= 2",
        "per_report_speedup_same_run": ">= 5 (issue 25)",
        "national_build_to_floor_ratio": "<= 1.3",
        "peak_pss_mb": "< 1024",
        "sensitivity_all_london_seconds": "well under 1",
    }
    print("where the default build's reports spend their cells (seconds):")
    for name, cells in profile.items():
        top = sorted(cells, key=lambda c: -c["seconds"])[:3]
        print(f"  {name:<40} " + "; ".join(f"{c['seconds']:.2f} {c['cell']}" for c in top))
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

"""The ``hmip`` command line.

    hmip rate FILE.csv [--format table|csv] [--rounding none|whole_percent]
    hmip simulate [--out DIR] [--seed N] [--effect RR] [--national N]
    hmip reports build [--catalogue reports.toml] [--jobs N] [--only NAME] [--list [--format json]] ...
    hmip reports publish FOLDER [--catalogue reports.toml] [--out DIR]
    hmip run NOTEBOOK [-p NAME VALUE ...] [-o OUT.html]
    hmip release [CASES.csv] [--rule nhs|none]
    hmip pack [--region London] [--paper A4|A3] [--out DIR] [--cases-path P] [--counts-path P]
              [--progress-path P] [--audits-path P|none]

Exit statuses (defined in :mod:`hmip.errors`): 0 success; 1 a report or check failed; 2 bad input or
usage (the message names the file, row and column); 3 another build holds the reports lock;
4 the reports folder could not be written (disk full, read-only); 130 interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from hmip.errors import EXIT_BAD_INPUT, EXIT_DISK, EXIT_INTERRUPTED, EXIT_OK, DiskFault, HmipError


def _at_least_one(text: str) -> int:
    """``--keep`` and ``--timeout``: a whole number of at least 1 (``--keep 0`` would delete every
    published run)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be a whole number of at least 1, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


class _Stops:
    """SIGTERM (and SIGINT) from the first moment of the command: exit 130, as the README says. A build
    installs its own handlers while it runs; once it has published (or kept a failed run), a signal no
    longer changes its exit status (:meth:`settle`)."""

    def __init__(self):
        self.settled = False

    def __call__(self, signum, frame):
        if not self.settled:
            raise KeyboardInterrupt(signal.Signals(signum).name)

    def settle(self) -> None:
        self.settled = True


STOPS = _Stops()


def _rate(args) -> int:
    import pandas as pd

    from hmip.data.cases import key_question_counts, load_cases
    from hmip.data.loaders import file_kind, load_counts, load_standard_ratings
    from hmip.rules.framework import default_framework
    from hmip.rules.tables import rate_pdus, rate_standards

    fw = default_framework()
    path = Path(args.file)
    kind = file_kind(path)
    counts = None
    if kind == "cases":
        counts = key_question_counts(load_cases(path))
    elif kind == "counts":
        counts = load_counts(path)
    else:
        standards = load_standard_ratings(path)
    if counts is not None:
        rated = rate_standards(counts, rounding=args.rounding)
        standards = rated[["pdu", "standard", "rating"]]
    else:
        rated = None
    overall = (
        rate_pdus(standards)
        if standards["standard"].isin([s.id for s in fw.judgement_standards]).any()
        else None
    )
    if args.format == "csv":
        out = (
            standards.merge(
                rated[["pdu", "standard", "limiting", "limiting_yes", "limiting_n"]], how="left"
            )
            if rated is not None
            else standards.copy()
        )
        out["standard_name"] = [fw.standard(s).name for s in out["standard"]]
        if overall is not None:
            out = out.merge(
                overall[["pdu", "points", "max_points", "overall_rating"]], on="pdu", how="left"
            )
        from hmip.textsafe import write_csv

        write_csv(out, sys.stdout)  # formula-like text quoted (data/README.md)
        return EXIT_OK
    for pdu in standards["pdu"].drop_duplicates():
        print(f"\n{pdu}\n{'=' * len(pdu)}")
        g = standards[standards["pdu"] == pdu]
        width = max(len(fw.standard(s).label()) for s in g["standard"])
        for r in g.itertuples():
            label = "unknown" if pd.isna(r.rating) else r.rating
            print(f"  {fw.standard(r.standard).label():<{width}}  {label}")
        if overall is not None:
            o = overall[overall["pdu"] == pdu].iloc[0]
            if pd.notna(o["points"]):
                print(f"  {'Points':<{width}}  {o['points']} of {o['max_points']}")
                print(f"  {'Overall':<{width}}  {o['overall_rating']} ({o['code']})")
            print(f"\n  {o['explanation']}")
        else:
            print("\n  Overall: not computed: the file has no domain-one (judgement) ratings.")
        if rated is not None:
            for r in rated[rated["pdu"] == pdu].itertuples():
                print(f"\n  {r.explanation}")
    return EXIT_OK


def _simulate(args) -> int:
    from hmip.data.simulate import national_scenario, write_london_sample, write_scenario

    if args.national:
        paths = write_scenario(
            national_scenario(args.national, seed=args.seed, ethnicity_effect=args.effect), args.out
        )
    else:
        paths = write_london_sample(args.out, seed=args.seed, ethnicity_effect=args.effect)
    for p in paths:
        print(f"wrote {p} (SIMULATED)")
    return EXIT_OK


def _reports(args) -> int:
    from hmip.build.build import build

    status, _ = build(
        args.catalogue,
        jobs=args.jobs,
        only=args.only,
        out=args.out,
        keep=args.keep,
        timeout=args.timeout,
        list_only=args.list,
        list_format=args.format,
    )
    return status


def _out_folder(path: Path) -> Path:
    """``--out``: a folder, or a path where one can be made; refused (exit 2) before any work if it,
    or a folder above it, is a file."""
    for p in (path, *path.parents):
        if p.exists():
            if not p.is_dir():
                what = "the path exists and is a file" if p == path else f"{p} is a file"
                raise HmipError(f"--out {path}: {what}; give a folder (made if missing)")
            break
    return path


def _release(args) -> int:
    """Decide (or read) a case file's one release decision and store it beside the file."""
    import time

    from hmip.analyses.params import check_path
    from hmip.data.cases import SIMULATED_CASES_FILE
    from hmip.paths import data_dir
    from hmip.stats.disclosure import get_rule
    from hmip.stats.release import release_for_file, release_path

    cases = check_path("cases_path", args.cases_path) or data_dir() / SIMULATED_CASES_FILE
    started = time.perf_counter()
    rel = release_for_file(cases, get_rule(args.rule))
    if rel is None:
        print(f"rule {args.rule!r} hides nothing: no release decision is needed")
        return EXIT_OK
    path = release_path(cases)
    print(
        f"{path}: {len(rel.suppressed)} counts and {len(rel.pooled_hidden)} pooled estimates hidden "
        f"in every output of this file ({time.perf_counter() - started:.0f} s)"
    )
    return EXIT_OK


def _pack(args) -> int:
    import time

    from hmip.build.pack import build_pack
    from hmip.paths import reports_dir

    start = time.perf_counter()
    paths = build_pack(
        args.region,
        _out_folder(Path(args.out)) if args.out else reports_dir(),
        paper=args.paper,
        cases_path=args.cases_path,
        counts_path=args.counts_path,
        progress_path=args.progress_path,
        audits_path=args.audits_path,
    )
    for p in paths:
        print(f"wrote {p}")
    print(f"scrutiny pack for {args.region} built in {time.perf_counter() - start:.1f} s")
    return EXIT_OK


def _publish(args) -> int:
    from hmip.build.publish import publish_gathered

    status, _ = publish_gathered(args.folder, args.catalogue, out=args.out, keep=args.keep)
    return status


def _run(args) -> int:
    from hmip.build.run_notebook import run_notebook

    return run_notebook(
        args.notebook,
        [tuple(p) for p in args.parameter],
        output=args.output,
        title=args.title,
        timeout=args.timeout,
        kernel=args.kernel,
    )


def _add_run_arguments(parser) -> None:
    parser.add_argument(
        "notebook", help="the notebook, e.g. notebooks/sample_size_sensitivity.ipynb"
    )
    parser.add_argument(
        "-p",
        "--parameter",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter (repeatable); checked against the notebook's parameters cell",
    )
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="the HTML to write (default: NOTEBOOK-NAME.html here); the executed notebook goes beside it",
    )
    parser.add_argument(
        "--title", default=None, help="the banner's title (default: the notebook's)"
    )
    parser.add_argument(
        "--timeout",
        type=_at_least_one,
        default=None,
        help="time limit for the whole notebook in seconds (default 900)",
    )
    parser.add_argument("--kernel", default="hmip", help="Jupyter kernel (default: hmip)")


def _add_build_arguments(parser) -> None:
    from hmip.build.catalogue import DEFAULT_CATALOGUE

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
        help="rebuild only this report (repeatable); the others are carried over from the latest run",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the reports and their parameters; run nothing"
    )
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="with --list: json prints the jobs for an external scheduler",
    )
    parser.add_argument("--out", default=None, help="output folder (default: reports/)")
    parser.add_argument(
        "--keep",
        type=_at_least_one,
        default=None,
        help="published runs to keep, at least 1; as many failed runs and logs are kept "
        "(default: the catalogue's, else 5)",
    )
    parser.add_argument(
        "--timeout",
        type=_at_least_one,
        default=None,
        help="time limit for each report's whole run, in seconds",
    )


def build_parser() -> argparse.ArgumentParser:
    from hmip.data.simulation_defaults import DEFAULT_ETHNICITY_EFFECT, DEFAULT_SEED

    p = argparse.ArgumentParser(prog="hmip", description="HMIP rating rules, analysis and reports")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser(
        "rate", help="rate every PDU in a CSV of key-question counts, cases or standard ratings"
    )
    r.add_argument("file")
    r.add_argument("--format", choices=("table", "csv"), default="table")
    r.add_argument(
        "--rounding",
        choices=("none", "whole_percent"),
        default="none",
        help="compare unrounded shares with 50/65/80%% (default) or round to whole percent first",
    )
    r.set_defaults(func=_rate)
    s = sub.add_parser("simulate", help="write the seeded SIMULATED case sample")
    s.add_argument("--out", default=None, help="folder (default: data/)")
    s.add_argument("--seed", type=int, default=DEFAULT_SEED)
    s.add_argument(
        "--effect",
        type=float,
        default=DEFAULT_ETHNICITY_EFFECT,
        help="relative reduction in the chance of a sufficient judgement for ethnic minority people on the "
        "affected key questions (0 = no effect; 0.2 = risk ratio 0.8)",
    )
    s.add_argument(
        "--national",
        type=int,
        default=0,
        metavar="N",
        help="instead, N unconstrained simulated PDUs",
    )
    s.set_defaults(func=_simulate)
    rel = sub.add_parser(
        "release",
        help="decide once, for every report, the pack and the workbook, which counts by ethnicity "
        "a case file may show; stored beside it as <file>.release.json (takes minutes)",
    )
    rel.add_argument(
        "cases_path",
        nargs="?",
        default="",
        help="case-level file (default: the bundled SIMULATED sample)",
    )
    rel.add_argument("--rule", default="nhs", help="disclosure rule (default: nhs)")
    rel.set_defaults(func=_release)
    pk = sub.add_parser(
        "pack",
        help="build the scrutiny pack (PDF, HTML) and its data (workbook, CSVs) for one region",
    )
    pk.add_argument("--region", default="London", help="region (default: London)")
    pk.add_argument(
        "--paper", choices=("A4", "A3"), default="A4", help="paper size (default: A4 portrait)"
    )
    pk.add_argument("--out", default=None, help="output folder (default: the project's reports/)")
    pk.add_argument(
        "--cases-path", default="", help="case-level file (default: the bundled SIMULATED sample)"
    )
    pk.add_argument("--counts-path", default="", help="key-question counts file, instead of cases")
    pk.add_argument(
        "--progress-path",
        default="",
        help="progress against HMIP's recommendations (see data/README.md); default: none",
    )
    pk.add_argument(
        "--audits-path",
        default="",
        metavar="PATH",
        help="the PDU's own case audits, a file or a folder (see data/README.md), for each PDU "
        "page's 'Since the inspection'; default: the bundled SIMULATED example series (Lewisham "
        "and Bromley); 'none' leaves the section out",
    )
    pk.set_defaults(func=_pack)
    rep = sub.add_parser("reports", help="build the report catalogue")
    rep_sub = rep.add_subparsers(dest="reports_command", required=True)
    b = rep_sub.add_parser("build", help="execute and publish every report in the catalogue")
    _add_build_arguments(b)
    b.set_defaults(func=_reports)
    pub = rep_sub.add_parser(
        "publish",
        help="publish reports built elsewhere (one scheduler task per report) as one run, atomically",
    )
    pub.add_argument("folder", help="the folder holding every report's NAME.html (and NAME.ipynb)")
    pub.add_argument("--catalogue", default=None, help="catalogue file (default: reports.toml)")
    pub.add_argument("--out", default=None, help="output folder (default: reports/)")
    pub.add_argument(
        "--keep", type=_at_least_one, default=None, help="published runs to keep (at least 1)"
    )
    pub.set_defaults(func=_publish)
    run = sub.add_parser(
        "run",
        help="run one notebook with checked parameters and render the same HTML as the catalogue",
        description="Run one notebook by hand: parameters are checked against its parameters cell before "
        "anything runs; the project's kernel runs it (over IPC); the HTML has the reports' banner.",
    )
    _add_run_arguments(run)
    run.set_defaults(func=_run)
    return p


def main(argv: list[str] | None = None) -> int:
    from hmip.errors import NO_SPACE_ERRNOS

    try:
        for sig in (signal.SIGTERM, signal.SIGINT):  # before anything else: a stop is 130
            signal.signal(sig, STOPS)
        parser = build_parser()
        args = parser.parse_args(argv)
        return args.func(args)
    except HmipError as exc:  # every error raised on purpose: one message, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # e.g. `hmip rate ... | head`
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        if not (isinstance(exc, DiskFault) or exc.errno in NO_SPACE_ERRNOS):
            raise
        # a full disk or a read-only folder: one line, its own status
        print(
            f"error: {exc if isinstance(exc, DiskFault) else _disk_message(exc)}", file=sys.stderr
        )
        return EXIT_DISK


def _disk_message(exc: OSError) -> str:
    where = f": {exc.filename}" if exc.filename else ""
    return f"could not write{where} ({exc.strerror or exc})"


if __name__ == "__main__":
    raise SystemExit(main())

"""Every name a build writes, in one place: run ids, each report's files, the scrutiny pack's files.

A run is ``reports/<run-id>/`` (``20260101T063000Z``, or ``...Z-1`` when that second is taken). In it,
each report is ``<name>.html`` and ``<name>.ipynb``; each region's scrutiny pack is
``scrutiny-pack-<region>.pdf`` and ``.html``, with its data as ``scrutiny-data-<region>.xlsx`` and
``scrutiny-data-<region>-<table>.csv`` (and ``...-data-dictionary.csv``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

#: a run's folder name: the UTC time it started, and a counter when that second is taken
RUN_ID_PATTERN = r"\d{8}T\d{6}Z(-\d+)?"
_RUN_ID_TIME = "%Y%m%dT%H%M%SZ"
PID_FILE = "builder.pid"
MANIFEST = "manifest.json"
INDEX = "index.html"
LATEST = "latest"
LOCK = ".lock"
STAGING = ".staging"
FAILED = "failed"
LOGS = "logs"


#: a report's name: lower-case letters and digits in words joined by single hyphens (no dots, slashes
#: or absolute paths: a name is a file name in the run's folder and nothing else)
REPORT_NAME_PATTERN = r"[a-z0-9]+(-[a-z0-9]+)*"
MAX_NAME = 100
#: names the run's folder uses for itself (``index.html``, ``manifest.json``)
RESERVED = frozenset({"index", "manifest", "latest", "failed", "logs"})


def is_report_name(name: str) -> bool:
    return (
        isinstance(name, str)
        and len(name) <= MAX_NAME
        and re.fullmatch(REPORT_NAME_PATTERN, name) is not None
        and name not in RESERVED
    )


def inside(folder: Path, name: str) -> Path:
    """``folder / name``, resolved, refused (ValueError) unless it lies inside ``folder``."""
    root = Path(folder).resolve()
    target = (root / name).resolve()
    if target.parent != root:
        raise ValueError(f"{name!r} would be written outside {root}")
    return target


def slug(text: str) -> str:
    """'Lewisham and Bromley' -> 'lewisham-and-bromley'; anything but letters and digits is a hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def region_slug(region: str) -> str:
    """A region's slug in file names ('region' when nothing is left)."""
    return slug(region) or "region"


def is_run_id(name: str) -> bool:
    return re.fullmatch(RUN_ID_PATTERN, name) is not None


def run_id_order(run_id: str) -> tuple[str, int]:
    """Sort key: by time, then by the counter (``...Z-10`` after ``...Z-9``)."""
    base, _, n = run_id.partition("-")
    return base, int(n or 0)


def new_run_id(out_dir: Path) -> str:
    """A run id not yet used in ``out_dir`` (published, failed or staging)."""
    base = datetime.now(UTC).strftime(_RUN_ID_TIME)
    run_id, i = base, 1
    while any(
        p.exists()
        for p in (out_dir / run_id, out_dir / FAILED / run_id, out_dir / STAGING / run_id)
    ):
        run_id = f"{base}-{i}"
        i += 1
    return run_id


def report_html(name: str) -> str:
    return f"{name}.html"


def report_notebook(name: str) -> str:
    return f"{name}.ipynb"


def log_name(run_id: str) -> str:
    return f"{run_id}.log"


def pack_name(region: str) -> str:
    """The scrutiny pack's job name and file stem: ``scrutiny-pack-<region>``."""
    return f"scrutiny-pack-{region_slug(region)}"


def pack_pdf(region: str) -> str:
    return f"{pack_name(region)}.pdf"


def pack_html(region: str) -> str:
    return f"{pack_name(region)}.html"


def data_stem(region: str) -> str:
    return f"scrutiny-data-{region_slug(region)}"


def workbook_name(region: str) -> str:
    return f"{data_stem(region)}.xlsx"


def csv_name(region: str, table: str) -> str:
    """One table of the pack's data as CSV: ``scrutiny-data-<region>-<table>.csv`` (underscores in the
    table's key become hyphens)."""
    return f"{data_stem(region)}-{table.replace('_', '-')}.csv"


def data_dictionary_name(region: str) -> str:
    return f"{data_stem(region)}-data-dictionary.csv"

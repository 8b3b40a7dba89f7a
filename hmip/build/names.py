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


def slug(text: str) -> str:
    """'Lewisham and Bromley' -> 'lewisham-and-bromley'; anything but letters and digits is a hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")


def region_slug(region: str) -> str:
    """A region's slug in file names ('region' when nothing is left)."""
    return slug(region) or "region"


def is_run_id(name: str) -> bool:
    return re.fullmatch(RUN_ID_PATTERN, name) is not None


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

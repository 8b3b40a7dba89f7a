"""Reading CSV files as text and collecting every problem with its file, row and column.

The loaders build on these helpers: nothing is coerced or dropped silently, and each problem says
what would be accepted.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from pathlib import Path

import pandas as pd

from hmip.errors import DataValidationError, FrameworkError, Problem
from hmip.paths import data_dir
from hmip.rules.framework import Framework, did_you_mean

PUBLISHED_OVERALL_FILE = "published_overall_ratings.csv"

#: The largest input file read (50 MiB; a national case-level file is well under 10 MiB). A larger
#: file, or an endless one such as /dev/zero, is refused with its size before it can fill memory.
MAX_FILE_BYTES = 50 * 1024 * 1024


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_record(path: Path, basis: str) -> dict:
    return {"path": str(path), "name": Path(path).name, "sha256": sha256(path), "basis": basis}


def is_simulated_path(path: Path) -> bool:
    return "simulated" in Path(path).name.lower()


def read_bytes_capped(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of a data file, refused (one problem naming the file) if it is missing, a folder,
    unreadable, or larger than ``limit`` bytes. Reads at most ``limit + 1`` bytes, so an endless
    file (``/dev/zero``) or a huge one never fills memory."""
    path = Path(path)
    name = str(path)
    if path.is_dir():
        raise DataValidationError(
            [Problem(name, None, None, "is a folder, not a file; give the path of a CSV file")]
        )
    if not path.exists():
        raise DataValidationError([Problem(name, None, None, "file not found")])
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as exc:
        raise DataValidationError(
            [Problem(name, None, None, f"cannot be read: {exc.strerror or exc}")]
        ) from None
    if len(raw) > limit:
        raise DataValidationError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"is larger than {limit // (1024 * 1024)} MiB, the largest data file accepted "
                    "(data/README.md); is it the right file?",
                )
            ]
        )
    return raw


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV as strings: header and rows.

    Raises for a missing, empty, non-UTF-8 or binary file, a folder, and a file over
    :data:`MAX_FILE_BYTES`.
    """
    path = Path(path)
    name = str(path)
    raw = read_bytes_capped(path)
    if not raw.strip():
        raise DataValidationError(
            [Problem(name, None, None, "the file is empty; expected a CSV with a header row")]
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"not UTF-8 encoded (byte 0x{raw[exc.start]:02x} on line {line}); "
                    "save the file as UTF-8 (in Excel: 'CSV UTF-8')",
                )
            ]
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DataValidationError(
            [
                Problem(
                    name,
                    None,
                    None,
                    f"not a text file (it holds a NUL byte on line {line}); expected a CSV saved as "
                    "UTF-8 text",
                )
            ]
        )
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [r for r in reader]
    except csv.Error as exc:
        raise DataValidationError(
            [Problem(name, None, None, f"not a readable CSV: {exc}")]
        ) from None
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    problems = []
    for i, r in enumerate(body, start=1):
        if len(r) != len(header) and any(x.strip() for x in r):
            problems.append(
                Problem(name, i, None, f"has {len(r)} fields but the header has {len(header)}")
            )
    if problems:
        raise DataValidationError(problems)
    body = [[x.strip() for x in r] for r in body if any(x.strip() for x in r)]
    if not body:
        raise DataValidationError([Problem(name, None, None, "has a header but no data rows")])
    return header, body


def check_columns(name: str, header: list[str], required, optional=()) -> list[Problem]:
    problems = []
    allowed = list(required) + list(optional)
    seen = set()
    for col in header:
        if col in seen:
            problems.append(Problem(name, None, col, "column appears twice in the header"))
        seen.add(col)
        if col not in allowed:
            problems.append(
                Problem(
                    name,
                    None,
                    col,
                    f"unknown column{did_you_mean(col, allowed)}; accepted columns: {', '.join(allowed)}",
                )
            )
    for col in required:
        if col not in header:
            problems.append(Problem(name, None, col, "required column is missing"))
    return problems


def _frame(header, body) -> pd.DataFrame:
    return pd.DataFrame(body, columns=header, dtype=object)


def read_frame(
    path: Path, required, optional=(), *, check_pdus: bool = True
) -> tuple[str, pd.DataFrame, list[Problem]]:
    """Read a CSV, refuse it at once if its columns are wrong, and start the problem list with its PDU names."""
    name = str(path)
    header, body = read_table(path)
    problems = check_columns(name, header, required, optional)
    if problems:
        raise DataValidationError(problems)
    df = _frame(header, body)
    if check_pdus:
        check_pdu_names(name, df, problems)
    return name, df, problems


def known_pdus() -> list[str]:
    path = data_dir() / PUBLISHED_OVERALL_FILE
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [r["pdu"] for r in csv.DictReader(fh)]


def has_letter_or_digit(value: str) -> bool:
    """True if ``value`` holds a letter A-Z (either case) or a digit. Text without one (``-``, ``=``,
    ``@``) names nothing, and the workbook's tables refuse a cell of symbols only."""
    return re.search(r"[A-Za-z0-9]", value) is not None


def check_pdu_names(name: str, df: pd.DataFrame, problems: list[Problem]) -> None:
    """PDU names: not blank, not symbols only ('-'), and not a near miss of a PDU we know ('Lambeth '
    or 'Lambith')."""
    known = known_pdus()
    known_set = set(known)
    norm_known = {re.sub(r"\s+", " ", k).strip().lower(): k for k in known}
    verdicts: dict[str, str | None] = {}  # once per distinct name, not per row

    def verdict(value: str) -> str | None:
        if not value:
            return "PDU name is blank"
        if not has_letter_or_digit(value):
            return f"'{value}' is not a PDU name: it has no letter or digit (A-Z, 0-9)"
        if value in known_set:
            return None
        norm = re.sub(r"\s+", " ", value).strip().lower()
        if norm in norm_known:
            return (
                f"'{value}' differs from the known PDU '{norm_known[norm]}' only in case or spacing"
            )
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.85)
        return f"'{value}' is not a known PDU (did you mean '{close[0]}'?)" if close else None

    for i, value in enumerate(df["pdu"], start=1):
        if value not in verdicts:
            verdicts[value] = verdict(value)
        if verdicts[value]:
            problems.append(Problem(name, i, "pdu", verdicts[value]))


def resolve_standard(
    fw: Framework, value: str, name: str, row: int, problems, *, case_sample_only=False
):
    try:
        std = fw.standard(value)
    except FrameworkError as exc:
        problems.append(Problem(name, row, "standard", str(exc)))
        return None
    if case_sample_only and not std.case_sample:
        accepted = ", ".join(s.id for s in fw.case_sample_standards)
        problems.append(
            Problem(
                name,
                row,
                "standard",
                f"{std.label()} is not rated from a case sample; accepted: {accepted}",
            )
        )
        return None
    return std


def parse_count(value: str, name: str, row: int, column: str, problems) -> int | None:
    if not re.fullmatch(r"\d+", value or ""):
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is not a count; accepted: a whole number 0, 1, 2, ...",
            )
        )
        return None
    return int(value)


def duplicate_problems(name: str, df: pd.DataFrame, keys: list[str], what: str) -> list[Problem]:
    problems = []
    first_row: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(df[k] for k in keys), strict=True), start=1):
        if key in first_row:
            problems.append(
                Problem(
                    name, i, None, f"duplicate {what} {key} (first given in row {first_row[key]})"
                )
            )
        else:
            first_row[key] = i
    return problems

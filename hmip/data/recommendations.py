"""HMIP's recommendations to each PDU, and an optional file of progress against them.

- :func:`load_recommendations` reads ``data/published_recommendations.csv``: one row per PDU and
  recommendation, each with its source. PDUs whose recommendations have no recorded source have no
  rows (the pack says so; it never invents them).
- :func:`load_progress` reads a progress file that analysts or the PDU write: one row per
  recommendation with the action, a RAG status (on track / at risk / off track), the evidence and
  the date.

Both are validated like every other input: every problem names the file, row and column and says
what is accepted, all problems are reported at once, and nothing is dropped. A progress file is
refused for a status that is not one of the three, for the same recommendation given twice, and for
a PDU or recommendation number that the recommendations file does not hold, and for a date that is
not a real date (2023-02-30) or is in the future.
"""

from __future__ import annotations

import calendar
import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hmip.data.provenance import Provenance, published, stamp
from hmip.data.validation import has_letter_or_digit, known_pdus, read_frame
from hmip.errors import DataValidationError, Problem
from hmip.paths import data_dir
from hmip.rules.framework import did_you_mean

RECOMMENDATIONS_FILE = "published_recommendations.csv"
EXAMPLE_PROGRESS_FILE = "example_progress_lewisham_and_bromley.csv"


@dataclass(frozen=True)
class ProgressStatus:
    """A RAG status for progress against a recommendation: a word, a RAG letter and its colour name."""

    label: str
    letter: str
    rag: str


#: The three statuses, worst first.
PROGRESS_STATUSES: tuple[ProgressStatus, ...] = (
    ProgressStatus("off track", "R", "red"),
    ProgressStatus("at risk", "A", "amber"),
    ProgressStatus("on track", "G", "green"),
)
_STATUS_SPELLINGS = {}
for _s in PROGRESS_STATUSES:
    _STATUS_SPELLINGS[_s.label] = _s
    _STATUS_SPELLINGS[_s.rag] = _s
    _STATUS_SPELLINGS[_s.letter.lower()] = _s
    _STATUS_SPELLINGS[_s.label.replace(" ", "")] = _s

#: The longest action and evidence accepted, so each PDU's page still fits on one printed page.
MAX_LENGTH = {"action": 75, "evidence": 80}

_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")


def status_for(value: str) -> ProgressStatus | None:
    """The status for a spelling ('on track', 'On-track', 'ON_TRACK', 'green', 'G'), or None."""
    key = " ".join(str(value).replace("_", " ").replace("-", " ").split()).casefold()
    return _STATUS_SPELLINGS.get(key)


def _accepted_statuses() -> str:
    return "; ".join(f"{s.label} (or {s.rag}, {s.letter})" for s in PROGRESS_STATUSES)


def _is_example(path: Path) -> bool:
    return "example" in Path(path).name.lower()


def _today() -> datetime.date:
    """Today's date (UTC), against which progress dates are checked; a test may replace it."""
    return datetime.datetime.now(datetime.UTC).date()


def _check_date(value: str, name: str, row: int, column: str, problems: list[Problem]) -> None:
    """A progress date: YYYY-MM-DD or YYYY-MM, a real date (not 2023-02-30), not after today."""
    accepted = "accepted: YYYY-MM-DD or YYYY-MM (e.g. 2023-06-30)"
    if not _DATE.fullmatch(value):
        problems.append(Problem(name, row, column, f"'{value}' is not a date; {accepted}"))
        return
    year, month = int(value[:4]), int(value[5:7])
    days = calendar.monthrange(year, month)[1]
    if len(value) == 10 and int(value[8:]) > days:
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is not a real date ({calendar.month_name[month]} {year} has {days} "
                f"days); {accepted}",
            )
        )
        return
    today = _today()
    first_possible = datetime.date(year, month, int(value[8:]) if len(value) == 10 else 1)
    if first_possible > today:
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is in the future (today is {today.isoformat()}); give the date of the "
                "update, on or before today",
            )
        )


def _parse_number(value: str, name: str, row: int, column: str, problems: list[Problem]):
    if not re.fullmatch(r"[1-9]\d*", value or ""):
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is not a recommendation number; accepted: a whole number 1, 2, 3, ...",
            )
        )
        return None
    return int(value)


def _duplicates(name: str, df: pd.DataFrame, column: str, what: str) -> list[Problem]:
    """The same PDU and recommendation number twice: named at the number's column."""
    problems, first_row = [], {}
    for i, key in enumerate(zip(df["pdu"], df[column], strict=True), start=1):
        if key[1] is None:
            continue
        if key in first_row:
            problems.append(
                Problem(
                    name,
                    i,
                    column,
                    f"duplicate {what}: {key[0]} recommendation {key[1]} is already given in row "
                    f"{first_row[key]}; give one row per recommendation (its latest position)",
                )
            )
        else:
            first_row[key] = i
    return problems


def _in_order(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def load_recommendations(path: str | Path | None = None) -> pd.DataFrame:
    """HMIP's recommendations: pdu, number, recommendation, source, note (one row per PDU and number).

    Refused: a PDU that is not an inspected PDU in ``published_overall_ratings.csv``, a number that is
    not 1, 2, 3, ..., blank wording or source, and the same PDU and number twice.
    """
    path = Path(path) if path else data_dir() / RECOMMENDATIONS_FILE
    name, df, problems = read_frame(path, ["pdu", "number", "recommendation", "source"], ["note"])
    if "note" not in df:
        df["note"] = ""
    known = known_pdus()
    numbers = []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if (
            row.pdu
            and row.pdu not in known
            and not any(p.row == i and p.column == "pdu" for p in problems)
        ):
            problems.append(
                Problem(
                    name,
                    i,
                    "pdu",
                    f"'{row.pdu}' is not an inspected PDU{did_you_mean(row.pdu, known)}; accepted: "
                    f"{'; '.join(known)}",
                )
            )
        numbers.append(_parse_number(row.number, name, i, "number", problems))
        if not row.recommendation:
            problems.append(
                Problem(name, i, "recommendation", "the recommendation's wording is blank")
            )
        if not row.source:
            problems.append(
                Problem(name, i, "source", "every recommendation needs its source (document, date)")
            )
    df["number"] = numbers
    problems += _duplicates(name, df, "number", "recommendation")
    if problems:
        raise DataValidationError(_in_order(problems))
    df["number"] = df["number"].astype(int)
    df = df[["pdu", "number", "recommendation", "source", "note"]].reset_index(drop=True)
    stamp(df, published(path))
    return df


def load_progress(path: str | Path, recommendations: pd.DataFrame | None = None) -> pd.DataFrame:
    """A progress file: pdu, recommendation (its number), action, status, evidence, date (+ note).

    ``status`` becomes the status word (on track, at risk, off track); ``status_letter`` and
    ``status_rag`` are added. Evidence may be blank (the pack then says "no evidence given"); every
    other column is required. Refused, with file, row and column: a status that is not one of the
    three, a PDU with no recommendations in ``recommendations`` (default: the published file), a
    recommendation number that PDU does not have, the same recommendation twice, a date that is not
    YYYY-MM-DD or YYYY-MM, is not a real date (2023-02-30) or is after today (UTC), a blank
    action, and an action or evidence with no letter or digit (``-``).

    The provenance's basis is ``"illustrative example"`` when the file's name contains "example" (the
    shipped example), otherwise ``"analyst-supplied"``.
    """
    recs = recommendations if recommendations is not None else load_recommendations()
    path = Path(path)
    name, df, problems = read_frame(
        path,
        ["pdu", "recommendation", "action", "status", "date"],
        ["evidence", "note"],
    )
    for col in ("evidence", "note"):
        if col not in df:
            df[col] = ""
    by_pdu: dict[str, set[int]] = {}
    for r in recs.itertuples(index=False):
        by_pdu.setdefault(r.pdu, set()).add(int(r.number))
    pdus_with_recs = list(by_pdu)
    numbers, statuses = [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        known_pdu = row.pdu in by_pdu
        if (
            row.pdu
            and not known_pdu
            and not any(p.row == i and p.column == "pdu" for p in problems)
        ):
            problems.append(
                Problem(
                    name,
                    i,
                    "pdu",
                    f"'{row.pdu}' has no recommendations in {RECOMMENDATIONS_FILE}"
                    f"{did_you_mean(row.pdu, pdus_with_recs)}; accepted: "
                    f"{'; '.join(pdus_with_recs) or 'none (the recommendations file is empty)'}",
                )
            )
        number = _parse_number(row.recommendation, name, i, "recommendation", problems)
        numbers.append(number)
        if known_pdu and number is not None and number not in by_pdu[row.pdu]:
            accepted = ", ".join(str(n) for n in sorted(by_pdu[row.pdu]))
            problems.append(
                Problem(
                    name,
                    i,
                    "recommendation",
                    f"{row.pdu} has no recommendation {number}; accepted: {accepted}",
                )
            )
        status = status_for(row.status)
        if status is None:
            problems.append(
                Problem(
                    name,
                    i,
                    "status",
                    f"'{row.status}' is not a status; accepted: {_accepted_statuses()}, in any letter case",
                )
            )
        statuses.append(status)
        if not row.action:
            problems.append(
                Problem(name, i, "action", "the action is blank; say what is being done")
            )
        elif not has_letter_or_digit(row.action):
            problems.append(
                Problem(
                    name,
                    i,
                    "action",
                    f"'{row.action}' has no letter or digit; say what is being done",
                )
            )
        if row.evidence and not has_letter_or_digit(row.evidence):
            problems.append(
                Problem(
                    name,
                    i,
                    "evidence",
                    f"'{row.evidence}' has no letter or digit; give the evidence in words, or leave "
                    "it blank if there is none (the pack then says 'no evidence given')",
                )
            )
        for column, limit in MAX_LENGTH.items():
            text = getattr(row, column)
            if len(text) > limit:
                problems.append(
                    Problem(
                        name,
                        i,
                        column,
                        f"is {len(text)} characters long; accepted: up to {limit}, so each PDU's page "
                        "fits on one printed page (keep the detail in the PDU's own report)",
                    )
                )
        _check_date(row.date, name, i, "date", problems)
    df["recommendation"] = numbers
    problems += _duplicates(name, df, "recommendation", "progress for recommendation")
    if problems:
        raise DataValidationError(_in_order(problems))
    df["recommendation"] = df["recommendation"].astype(int)
    df["status"] = [s.label for s in statuses]
    df["status_letter"] = [s.letter for s in statuses]
    df["status_rag"] = [s.rag for s in statuses]
    cols = [
        "pdu",
        "recommendation",
        "action",
        "status",
        "status_letter",
        "status_rag",
        "evidence",
        "date",
        "note",
    ]
    df = df[cols].reset_index(drop=True)
    basis = "illustrative example" if _is_example(path) else "analyst-supplied"
    notes = [f"{len(df)} progress rows loaded from {path.name}; no rows dropped."]
    stamp(
        df,
        Provenance.of_file(path, basis, load_notes=notes, example=basis == "illustrative example"),
    )
    return df

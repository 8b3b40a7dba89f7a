"""Published national context: PDU ratings across England and Wales, and HMIP's national counts.

Entry points:

- :func:`load_national_ratings` - one row per published PDU inspection (``published_national_ratings.csv``);
- :func:`load_national_counts` - one row per count HMIP gave (``published_national_counts.csv``);
- :func:`framework_label` - the display name of a framework id, including the revised framework.

Ratings under different frameworks are not comparable: ``pdu-2021`` (the 2021-2023 framework, nine
rated standards, 0-27 points) has its rules in ``hmip/rules/frameworks``; the revised framework
``pdu-2023`` (from late 2023, four core case standards) has no published points scale here, so a
row under it may not carry points.

Like every loader, these collect **all** problems and raise one :class:`DataValidationError` naming
the file, row and column of each and saying what is accepted. Nothing is dropped or coerced
silently. Each loaded frame's provenance (:func:`hmip.data.provenance.provenance`): not simulated, basis
published, the file with its SHA-256.
"""

from __future__ import annotations

import calendar
import re
from pathlib import Path

import pandas as pd

from hmip.data.provenance import published, stamp
from hmip.data.published_rows import (
    check_basis,
    check_blank_points,
    check_source,
    finish_overall,
    parse_rating,
)
from hmip.data.validation import duplicate_problems, parse_count, read_frame
from hmip.errors import DataValidationError, FrameworkError, Problem
from hmip.paths import data_dir
from hmip.rules.framework import OverallScale, available_frameworks, load_framework
from hmip.rules.tables import RATING_DTYPE

NATIONAL_RATINGS_FILE = "published_national_ratings.csv"
NATIONAL_COUNTS_FILE = "published_national_counts.csv"

#: Frameworks known by id but without a rules file: ratings only, no points scale.
FRAMEWORKS_WITHOUT_SCALE: dict[str, str] = {
    "pdu-2023": "HMIP PDU inspection framework from late 2023 (revised; no published points scale)",
}

INCLUDES_NON_PDU = ("yes", "no", "")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")

RATING_COLUMNS = [
    "pdu",
    "region",
    "framework",
    "publication_date",
    "overall_rating",
    "overall_rating_basis",
    "points",
    "points_basis",
    "max_points",
    "source",
]
COUNT_COLUMNS = [
    "period_start",
    "period_end",
    "framework",
    "what_was_counted",
    "rating",
    "count",
    "out_of",
    "includes_non_pdu",
    "source",
]


def known_frameworks() -> list[str]:
    """Framework ids a national row may name: those with a rules file, then the revised one."""
    return [*available_frameworks(), *FRAMEWORKS_WITHOUT_SCALE]


def framework_label(framework_id: str) -> str:
    """The display name of a framework id ('HMIP PDU inspection framework 2021-2023')."""
    if framework_id in FRAMEWORKS_WITHOUT_SCALE:
        return FRAMEWORKS_WITHOUT_SCALE[framework_id]
    try:
        return load_framework(framework_id).name
    except FrameworkError:
        raise FrameworkError(
            f"unknown framework '{framework_id}'; known: {', '.join(known_frameworks())}"
        ) from None


def overall_scales(framework_id: str) -> tuple[OverallScale, ...]:
    """The overall points scales of a framework; empty for a framework without a published scale."""
    if framework_id in FRAMEWORKS_WITHOUT_SCALE:
        return ()
    return load_framework(framework_id).overall_scales


def date_bounds(value: str) -> tuple[str, str] | None:
    """The first and last day a date of precision YYYY, YYYY-MM or YYYY-MM-DD can mean; None if invalid."""
    m = _DATE.fullmatch(value or "")
    if not m:
        return None
    year, month, day = int(m[1]), m[2], m[3]
    if month is None:
        return f"{year:04d}-01-01", f"{year:04d}-12-31"
    if not 1 <= int(month) <= 12:
        return None
    last = calendar.monthrange(year, int(month))[1]
    if day is None:
        return f"{year:04d}-{month}-01", f"{year:04d}-{month}-{last:02d}"
    if not 1 <= int(day) <= last:
        return None
    return (value, value)


def _check_date(value: str, name: str, row: int, column: str, problems: list[Problem]) -> None:
    if value and date_bounds(value) is None:
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is not a date; accepted: YYYY, YYYY-MM or YYYY-MM-DD "
                "(a real calendar date, as precise as the source allows), or blank if unknown",
            )
        )


def _check_framework(value: str, name: str, row: int, problems: list[Problem]) -> bool:
    if value in known_frameworks():
        return True
    problems.append(
        Problem(
            name,
            row,
            "framework",
            f"'{value}' is not a known framework; accepted: {', '.join(known_frameworks())}",
        )
    )
    return False


# --- National ratings ---------------------------------------------------------------------------
def _read_national(
    path: str | Path | None, default: str, columns: list[str]
) -> tuple[Path, str, pd.DataFrame, list[Problem]]:
    """A national file (``default`` in the data folder unless ``path`` is given), read with a 'note'
    column ('' where the file has none): (its path, its name, the frame, the problems so far)."""
    path = Path(path) if path else data_dir() / default
    name, df, problems = read_frame(path, columns, ["note"], check_pdus=False)
    if "note" not in df:
        df["note"] = ""
    return path, name, df, problems


def load_national_ratings(path: str | Path | None = None) -> pd.DataFrame:
    """Published overall ratings of PDUs nationally: one row per PDU inspection.

    Columns: pdu, region, framework, publication_date (text, YYYY / YYYY-MM / YYYY-MM-DD or blank),
    overall_rating (ordered categorical), overall_rating_basis, points (nullable Int64),
    points_basis, max_points (nullable Int64), source, note. Blank text stays ''.

    Checks every row: a known framework; a rating; a date of a known precision; points only under a
    framework with a points scale, with their basis and a ``max_points`` that is one of its scales,
    from 0 to max_points and inside the overall rating's band on that scale; a reasoning note for
    every implied value; a source; no duplicate PDU, framework and publication date.
    """
    path, name, df, problems = _read_national(path, NATIONAL_RATINGS_FILE, RATING_COLUMNS)
    ratings, points, max_points = [], [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if not row.pdu:
            problems.append(Problem(name, i, "pdu", "PDU name is blank"))
        fw_ok = _check_framework(row.framework, name, i, problems)
        _check_date(row.publication_date, name, i, "publication_date", problems)
        rating = parse_rating(row.overall_rating, name, i, "overall_rating", problems)
        ratings.append(rating)
        check_basis(row.overall_rating_basis, name, i, "overall_rating_basis", problems)
        implied = row.overall_rating_basis == "implied" or row.points_basis == "implied"
        if implied and not row.note:
            problems.append(
                Problem(name, i, "note", "an implied value needs its reasoning in the note")
            )
        check_source(row.source, name, i, problems)
        scales = overall_scales(row.framework) if fw_ok else ()
        mp = None
        if row.max_points:
            mp = parse_count(row.max_points, name, i, "max_points", problems)
            if mp is not None and fw_ok and mp not in [s.max_points for s in scales]:
                accepted = ", ".join(str(s.max_points) for s in scales)
                problems.append(
                    Problem(
                        name,
                        i,
                        "max_points",
                        f"{mp} is not a points scale of {row.framework}; "
                        + (
                            f"accepted: {accepted}"
                            if accepted
                            else "it has no points scale: leave blank"
                        ),
                    )
                )
                mp = None
        max_points.append(mp if mp is not None else pd.NA)
        if row.points == "":
            points.append(pd.NA)
            check_blank_points(row.points_basis, name, i, problems)
            continue
        p = parse_count(row.points, name, i, "points", problems)
        points.append(p if p is not None else pd.NA)
        check_basis(row.points_basis, name, i, "points_basis", problems)
        if fw_ok and not scales:
            problems.append(
                Problem(
                    name,
                    i,
                    "points",
                    f"{row.framework} has no published points scale, so its ratings carry no points; "
                    "leave points blank",
                )
            )
            continue
        if not row.max_points:
            problems.append(
                Problem(
                    name, i, "max_points", "points are given, so give the scale they are out of"
                )
            )
            continue
        if p is None or mp is None:
            continue
        scale = next(s for s in scales if s.max_points == mp)
        if p > mp:
            problems.append(
                Problem(name, i, "points", f"{p} is outside the scale; accepted: 0 to {mp}")
            )
            continue
        band = next(b for b in scale.bands if b.low <= p <= b.high)
        if rating is not None and band.rating != rating:
            own = next(b for b in scale.bands if b.rating == rating)
            problems.append(
                Problem(
                    name,
                    i,
                    "points",
                    f"{p} of {mp} points is in the {band.rating} band ({band.low}-{band.high}), "
                    f"but the overall rating is {rating}; accepted for {rating}: {own.low}-{own.high}",
                )
            )
    problems += duplicate_problems(
        name, df, ["pdu", "framework", "publication_date"], "PDU, framework and publication date"
    )
    finish_overall(df, path, problems, ratings, points, max_points)
    return df[[*RATING_COLUMNS, "note"]].reset_index(drop=True)


# --- National counts ----------------------------------------------------------------------------
def load_national_counts(path: str | Path | None = None) -> pd.DataFrame:
    """Counts of overall ratings HMIP published: one row per figure ('10 of 17 were Inadequate').

    Columns: period_start, period_end (text dates or blank), framework, what_was_counted, rating
    (ordered categorical), count, out_of (int), includes_non_pdu ('yes', 'no' or '' for not
    stated), source, note. Counts overlap and some include regional inspections: never add them up
    or mix them with the PDU table.
    """
    path, name, df, problems = _read_national(path, NATIONAL_COUNTS_FILE, COUNT_COLUMNS)
    ratings, counts, totals = [], [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        _check_framework(row.framework, name, i, problems)
        _check_date(row.period_start, name, i, "period_start", problems)
        _check_date(row.period_end, name, i, "period_end", problems)
        start, end = date_bounds(row.period_start), date_bounds(row.period_end)
        if start and end and start[0] > end[1]:
            problems.append(
                Problem(
                    name,
                    i,
                    "period_end",
                    f"the period ends ({row.period_end}) before it starts ({row.period_start})",
                )
            )
        if not row.what_was_counted:
            problems.append(Problem(name, i, "what_was_counted", "say what the source counted"))
        ratings.append(parse_rating(row.rating, name, i, "rating", problems))
        c = parse_count(row.count, name, i, "count", problems)
        n = parse_count(row.out_of, name, i, "out_of", problems)
        if n == 0:
            problems.append(
                Problem(name, i, "out_of", "0 is not accepted; a count is out of 1 or more")
            )
        elif c is not None and n is not None and c > n:
            problems.append(
                Problem(name, i, "count", f"{c} is more than out_of {n}; accepted: 0 to {n}")
            )
        counts.append(c)
        totals.append(n)
        if row.includes_non_pdu not in INCLUDES_NON_PDU:
            problems.append(
                Problem(
                    name,
                    i,
                    "includes_non_pdu",
                    f"'{row.includes_non_pdu}' is not accepted; accepted: yes, no, or blank "
                    "where the source does not say",
                )
            )
        if not row.source:
            problems.append(Problem(name, i, "source", "every published count needs its source"))
    problems += duplicate_problems(
        name,
        df,
        ["period_start", "period_end", "framework", "what_was_counted", "rating"],
        "period, framework, count and rating",
    )
    if problems:
        raise DataValidationError(problems)
    df["rating"] = pd.Categorical(ratings, dtype=RATING_DTYPE)
    df["count"] = pd.array(counts, dtype="int64")
    df["out_of"] = pd.array(totals, dtype="int64")
    stamp(df, published(path))
    return df[[*COUNT_COLUMNS, "note"]].reset_index(drop=True)

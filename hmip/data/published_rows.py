"""Checks shared by every row of HMIP's published files (the overall ratings of
:mod:`hmip.data.loaders` and the national ratings of :mod:`hmip.data.national`): a rating, a basis,
a source, and no basis for blank points. Each adds a :class:`Problem` naming the file, row and
column and saying what is accepted; nothing is dropped."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from hmip.data.provenance import published, stamp
from hmip.errors import DataValidationError, Problem, RatingError
from hmip.rules.ratings import Rating
from hmip.rules.tables import RATING_DTYPE

#: The bases a published value may have: published as such, or implied by published values.
BASES = ("published", "implied")


def parse_rating(
    value: str, name: str, row: int, column: str, problems: list[Problem]
) -> str | None:
    """The rating's label, or None with a problem."""
    try:
        return Rating.parse(value).label
    except RatingError as exc:
        problems.append(Problem(name, row, column, str(exc)))
        return None


def check_basis(value: str, name: str, row: int, column: str, problems: list[Problem]) -> None:
    if value not in BASES:
        problems.append(
            Problem(name, row, column, f"'{value}' is not a basis; accepted: {', '.join(BASES)}")
        )


def check_source(value: str, name: str, row: int, problems: list[Problem]) -> None:
    if not value:
        problems.append(Problem(name, row, "source", "every published value needs its source"))


def check_blank_points(points_basis: str, name: str, row: int, problems: list[Problem]) -> None:
    """Blank points: their basis must be blank too."""
    if points_basis:
        problems.append(
            Problem(name, row, "points_basis", "points are blank, so leave their basis blank")
        )


def finish_overall(
    df: pd.DataFrame,
    path: Path,
    problems: list[Problem],
    ratings: list,
    points: list,
    max_points: list,
) -> pd.DataFrame:
    """The end of loading a published overall-ratings file: every problem raised at once, else the
    checked overall_rating, points and max_points set and the file stamped as published."""
    if problems:
        raise DataValidationError(problems)
    df["overall_rating"] = pd.Categorical(ratings, dtype=RATING_DTYPE)
    df["points"] = pd.array(points, dtype="Int64")
    df["max_points"] = pd.array(max_points, dtype="Int64")
    return stamp(df, published(path))

"""Where a PDU stands among every PDU rated under the same inspection framework.

A PDU is placed by its overall rating and, where known, its points. Where a PDU's points are not
published, they are taken to be anywhere in its rating's band on the framework's full scale (read
from the framework file: Inadequate 0-4, Requires improvement 5-13, Good 14-22, Outstanding 23-27
under ``pdu-2021``). So a position is a **range of ranks**, never a made-up single rank.

Ranks are competition ranks: a PDU's rank is 1 + the number of PDUs with more points, so PDUs with
equal points share a rank ("ties count as ties"). Over every combination of points the published
ratings allow,

- the best rank is 1 + the number of other PDUs *certainly* higher: whose lowest possible points
  exceed this PDU's highest possible points;
- the worst rank is 1 + the number of other PDUs *possibly* higher: whose highest possible points
  exceed this PDU's lowest possible points.

Both extremes are reached (each PDU's points can be chosen independently), so the range is exact.
On the same basis, the other PDUs certainly below (highest possible points under this PDU's lowest),
certainly level (the same known points) and the rest, which the published figures cannot place
against this one, are counted too, so that a sentence giving the rank gives counts on the same basis.
A framework without a published points scale (the revised ``pdu-2023``) is ranked by overall rating
only: rank = 1 + the number of PDUs rated higher, shared by every PDU with the same rating.

Ratings under different frameworks are never compared: :class:`CrossFrameworkError`.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, fields

import pandas as pd

from hmip.data.national import FRAMEWORKS_WITHOUT_SCALE, framework_label, overall_scales
from hmip.errors import FrameworkError, RatingError, StatisticsError
from hmip.rules.ratings import Rating

#: The method named on every position.
METHOD_POINTS = (
    "rank range: competition ranks (1 + number of PDUs with more points) at the extremes of each "
    "PDU's known points or, where unknown, its rating's band"
)
METHOD_RATING_ONLY = (
    "competition rank by overall rating only (1 + number of PDUs rated higher); "
    "the framework has no published points scale"
)
REQUIRED_COLUMNS = ("pdu", "framework", "overall_rating", "points", "max_points")


class CrossFrameworkError(StatisticsError):
    """Ratings under different inspection frameworks were to be compared; they are not comparable."""


@dataclass(frozen=True)
class NationalPosition:
    """A PDU's place among the ``n_pdus`` PDUs rated under one framework (itself included)."""

    pdu: str
    framework: str
    framework_name: str
    rating: str
    points: int | None
    points_basis: str
    points_low: int | None  # the points used: known points, or the rating's band
    points_high: int | None
    band_low: int | None  # the rating's band on the full scale (None without a points scale)
    band_high: int | None
    max_points: int | None
    n_pdus: int
    n_rated_higher: int
    n_rated_same: int  # other PDUs with the same rating
    n_rated_lower: int
    n_points_known: int  # PDUs (this one included) whose points are known
    n_same_rating_points_known: int  # PDUs of this rating (this one too) with known points
    n_same_rating_points_higher: int  # of those, how many have more points than this PDU
    n_same_rating_points_equal: int  # of those, how many others have the same points
    n_certainly_higher: int
    n_possibly_higher: int
    n_certainly_lower: int  # on the rank's basis (points; rating without a scale): certainly below
    n_possibly_lower: int
    n_certainly_equal: int  # other PDUs certainly level with this one (same known points)
    rank_best: int
    rank_worst: int
    method: str

    @property
    def rating_rank(self) -> int:
        """Competition rank by overall rating alone (shared by every PDU with the same rating)."""
        return 1 + self.n_rated_higher

    @property
    def exact(self) -> bool:
        """True when the best and worst ranks agree."""
        return self.rank_best == self.rank_worst

    @property
    def has_points_scale(self) -> bool:
        return self.points_low is not None


def _check_framework_arg(framework: object) -> str:
    if not isinstance(framework, str) or not framework:
        raise CrossFrameworkError(
            f"give one framework id (e.g. 'pdu-2021'), not {framework!r}: ratings under different "
            "frameworks are not comparable, so a position is only defined within one framework"
        )
    return framework


def _check_table(ratings: object) -> None:
    if not isinstance(ratings, pd.DataFrame):
        raise StatisticsError("give the national ratings as a DataFrame (load_national_ratings())")
    missing = [c for c in REQUIRED_COLUMNS if c not in ratings.columns]
    if missing:
        raise StatisticsError(
            f"the ratings table lacks column(s) {', '.join(missing)}; "
            f"needed: {', '.join(REQUIRED_COLUMNS)}"
        )


def _not_comparable(framework: str, other: str) -> str:
    reasons = [
        f"{f} has no published points scale here"
        for f in (framework, other)
        if f in FRAMEWORKS_WITHOUT_SCALE
    ]
    why = f" ({'; '.join(reasons)})" if reasons else ""
    return f"ratings under {other} are not comparable with ratings under {framework}{why}"


def _framework_rows(ratings: pd.DataFrame, framework: str) -> pd.DataFrame:
    rows = ratings[ratings["framework"] == framework]
    if rows.empty:
        present = sorted(set(ratings["framework"]))
        raise StatisticsError(
            f"no PDU is rated under '{framework}' in this table; frameworks present: "
            f"{', '.join(present) or 'none'}"
        )
    return rows


def _full_scale(framework: str):
    """The framework's full points scale (every rated standard rated), or None without a scale."""
    try:
        scales = overall_scales(framework)
    except FrameworkError as exc:
        raise StatisticsError(str(exc)) from None
    full = [s for s in scales if not s.not_rated]
    return full[0] if full else None


def _intervals(rows: pd.DataFrame, framework: str) -> tuple[list[tuple[int, int] | None], object]:
    """Each row's possible points (known points, or its rating's band on the full scale)."""
    scale = _full_scale(framework)
    out: list[tuple[int, int] | None] = []
    for row in rows.itertuples(index=False):
        if pd.isna(row.overall_rating):
            raise StatisticsError(f"{row.pdu} has no overall rating under {framework}")
        try:
            label = Rating.parse(row.overall_rating).label
        except RatingError as exc:
            raise StatisticsError(f"{row.pdu}: {exc}") from None
        has_points = not pd.isna(row.points)
        if scale is None:
            if has_points:
                raise StatisticsError(
                    f"{row.pdu} has points under {framework}, which has no published points scale"
                )
            out.append(None)
            continue
        if has_points:
            mp = None if pd.isna(row.max_points) else int(row.max_points)
            if mp != scale.max_points:
                raise StatisticsError(
                    f"{row.pdu}'s points are out of {mp}; only points out of {scale.max_points} "
                    f"(the full scale of {framework}) can be ranked together"
                )
            p = int(row.points)
            if not 0 <= p <= scale.max_points:
                raise StatisticsError(f"{row.pdu}: {p} points is outside 0-{scale.max_points}")
            out.append((p, p))
        else:
            band = next(b for b in scale.bands if b.rating == label)
            out.append((band.low, band.high))
    return out, scale


def _positions(
    ratings: pd.DataFrame, framework: str, pdu: str | None = None
) -> list[NationalPosition]:
    """Every PDU's position under ``framework``; with ``pdu``, that PDU's only (each position is
    counted against every other PDU, so one PDU's costs n comparisons, not n squared: a report placing
    one PDU, or a pack placing each of its region's, does not count the whole table each time)."""
    _check_table(ratings)
    framework = _check_framework_arg(framework)
    rows = _framework_rows(ratings, framework).reset_index(drop=True)
    intervals, scale = _intervals(rows, framework)
    name = framework_label(framework)
    levels = [Rating.parse(r).score for r in rows["overall_rating"]]
    known = [not pd.isna(p) for p in rows["points"]]
    n = len(rows)
    bands = {Rating.parse(b.rating).score: (b.low, b.high) for b in scale.bands} if scale else {}
    bases = rows["points_basis"] if "points_basis" in rows else pd.Series([""] * n)
    out = []
    for i, row in enumerate(rows.itertuples(index=False)):
        if pdu is not None and row.pdu != pdu:
            continue
        others = [j for j in range(n) if j != i]
        higher = sum(levels[j] > levels[i] for j in others)
        same = sum(levels[j] == levels[i] for j in others)
        pts = int(row.points) if known[i] else None
        same_known = [j for j in others if levels[j] == levels[i] and known[j]]
        band = bands.get(levels[i])
        if intervals[i] is None:
            lo = hi = None
            certain = possible = higher
            lower = n - 1 - higher - same
            certain_low = possible_low = lower
            equal = same
            method = METHOD_RATING_ONLY
        else:
            lo, hi = intervals[i]
            certain = sum(intervals[j][0] > hi for j in others)
            possible = sum(intervals[j][1] > lo for j in others)
            certain_low = sum(intervals[j][1] < lo for j in others)
            possible_low = sum(intervals[j][0] < hi for j in others)
            equal = sum(intervals[j] == (lo, hi) and lo == hi for j in others)
            method = METHOD_POINTS
        out.append(
            NationalPosition(
                pdu=row.pdu,
                framework=framework,
                framework_name=name,
                rating=Rating.parse(row.overall_rating).label,
                points=pts,
                points_basis=(bases.iloc[i] or "") if pts is not None else "",
                points_low=lo,
                points_high=hi,
                band_low=band[0] if band else None,
                band_high=band[1] if band else None,
                max_points=scale.max_points if scale is not None else None,
                n_pdus=n,
                n_rated_higher=higher,
                n_rated_same=same,
                n_rated_lower=n - 1 - higher - same,
                n_points_known=sum(known),
                n_same_rating_points_known=len(same_known) + (pts is not None),
                n_same_rating_points_higher=(
                    sum(int(rows["points"].iloc[j]) > pts for j in same_known)
                    if pts is not None
                    else 0
                ),
                n_same_rating_points_equal=(
                    sum(int(rows["points"].iloc[j]) == pts for j in same_known)
                    if pts is not None
                    else 0
                ),
                n_certainly_higher=certain,
                n_possibly_higher=possible,
                n_certainly_lower=certain_low,
                n_possibly_lower=possible_low,
                n_certainly_equal=equal,
                rank_best=1 + certain,
                rank_worst=1 + possible,
                method=method,
            )
        )
    return out


def national_position(
    ratings: pd.DataFrame, pdu: str, framework: str = "pdu-2021"
) -> NationalPosition:
    """Place ``pdu`` among every PDU rated under ``framework`` (see the module docstring).

    ``ratings`` is a table like :func:`hmip.data.national.load_national_ratings` returns (columns
    pdu, framework, overall_rating, points, max_points; points_basis optional). Raises
    :class:`CrossFrameworkError` when the PDU was rated only under another framework, and
    :class:`StatisticsError` for an unknown PDU, a PDU rated twice under the framework, or points
    that do not fit the framework's full scale.
    """
    _check_table(ratings)
    framework = _check_framework_arg(framework)
    own = ratings[ratings["pdu"] == pdu]
    if own.empty:
        names = sorted(set(ratings["pdu"]))
        close = difflib.get_close_matches(str(pdu), names, n=1, cutoff=0.75)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise StatisticsError(f"'{pdu}' is not in the ratings table{hint}")
    mine = own[own["framework"] == framework]
    if mine.empty:
        other = sorted(set(own["framework"]))[0]
        raise CrossFrameworkError(
            f"{pdu} was not rated under {framework}, only under {', '.join(sorted(set(own['framework'])))}; "
            f"{_not_comparable(framework, other)}, so it cannot be placed among {framework} PDUs. "
            f"Place it among the {other} PDUs instead"
        )
    if len(mine) > 1:
        raise StatisticsError(
            f"{pdu} has {len(mine)} inspections under {framework}; keep the one to place "
            "(for example by publication_date) before asking for its position"
        )
    return _positions(ratings, framework, pdu)[0]


def national_positions(ratings: pd.DataFrame, framework: str = "pdu-2021") -> pd.DataFrame:
    """Every PDU's position under ``framework``: one row per PDU, the fields of
    :class:`NationalPosition` plus rating_rank, sorted by best rank, then worst rank, then name."""
    positions = _positions(ratings, framework)
    names = [f.name for f in fields(NationalPosition)]
    table = pd.DataFrame([asdict(p) for p in positions], columns=names)
    table.insert(names.index("rank_best"), "rating_rank", [p.rating_rank for p in positions])
    for col in ("points", "points_low", "points_high", "band_low", "band_high", "max_points"):
        table[col] = pd.array(table[col], dtype="Int64")
    return table.sort_values(["rank_best", "rank_worst", "pdu"]).reset_index(drop=True)


def rating_distribution(ratings: pd.DataFrame, framework: str = "pdu-2021") -> pd.DataFrame:
    """How many PDUs had each overall rating under ``framework``.

    One row per rating, Inadequate to Outstanding (zero counts included), with columns framework,
    rating (ordered categorical), count and out_of (the number of PDUs rated under the framework).
    """
    _check_table(ratings)
    framework = _check_framework_arg(framework)
    rows = _framework_rows(ratings, framework)
    try:
        levels = [Rating.parse(r).label for r in rows["overall_rating"]]
    except RatingError as exc:
        raise StatisticsError(str(exc)) from None
    labels = Rating.labels()
    table = pd.DataFrame(
        {
            "framework": framework,
            "rating": pd.Categorical(labels, categories=labels, ordered=True),
            "count": [levels.count(label) for label in labels],
            "out_of": len(levels),
        }
    )
    return table


# --- A claim tested as it was made: the table as of a date, and the points it rests on -----------
def published_by(ratings: pd.DataFrame, date: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows certainly published on or before ``date``, the rows whose date cannot tell).

    ``date`` is YYYY-MM-DD. A row dated "2022-11" is certainly published by 2022-12-01; a row dated
    only "2023" is not certainly published by 2023-01-12 (it may be later), so it goes in the second
    table, with rows that have no date. Rows certainly published after ``date`` are in neither.
    """
    from hmip.data.national import date_bounds

    _check_table(ratings)
    if "publication_date" not in ratings.columns:
        raise StatisticsError("the ratings table lacks column publication_date")
    if date_bounds(date) != (date, date):
        raise StatisticsError(f"'{date}' is not a date (YYYY-MM-DD)")
    bounds = [date_bounds(str(v) if pd.notna(v) else "") for v in ratings["publication_date"]]
    certain = [b is not None and b[1] <= date for b in bounds]
    unsure = [b is None or (b[0] <= date < b[1]) for b in bounds]
    return (
        ratings[certain].reset_index(drop=True),
        ratings[unsure].reset_index(drop=True),
    )


def with_points(
    ratings: pd.DataFrame, pdu: str, points: int | None, framework: str = "pdu-2021"
) -> pd.DataFrame:
    """A copy of ``ratings`` in which ``pdu``'s points under ``framework`` are ``points`` (None:
    unknown, so placed anywhere in its rating's band), to test how a position rests on them."""
    _check_table(ratings)
    out = ratings.copy()
    mine = (out["pdu"] == pdu) & (out["framework"] == framework)
    if not mine.any():
        raise StatisticsError(f"'{pdu}' is not rated under {framework} in this table")
    out["points"] = out["points"].astype("Float64")
    out.loc[mine, "points"] = pd.NA if points is None else float(points)
    if "points_basis" in out:
        out.loc[mine, "points_basis"] = "" if points is None else "assumed"
    return out


def points_sensitivity(
    ratings: pd.DataFrame,
    pdu: str,
    options: tuple[int | None, ...],
    framework: str = "pdu-2021",
) -> list[tuple[int | None, NationalPosition]]:
    """``pdu``'s position with each of ``options`` as its points (None: unknown), in that order."""
    return [
        (p, national_position(with_points(ratings, pdu, p, framework), pdu, framework))
        for p in options
    ]

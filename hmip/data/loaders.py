"""Load and validate the project's data files into plain pandas objects.

Entry points:

- :func:`load_published` - published standard ratings, one row per PDU and standard;
- :func:`load_published_overall` - published overall ratings and points;
- :func:`load_published_ratings` - both, as a :class:`PublishedRatings`;
- :func:`load_cases` - a case-level file (default: the bundled *simulated* sample);
- :func:`load_counts` - an aggregate file of yes/no counts per key question;
- :func:`key_question_counts` - case level -> counts;
- :func:`load_standard_ratings` - a file of standard ratings (columns pdu, standard, rating).

Every loader collects **all** problems and raises one :class:`DataValidationError` naming the file,
row and column of each and saying what is accepted. Nothing is dropped or coerced silently:
exclusions by rule (``n/a`` answers) are counted in the load notes.

Every loaded table carries its :class:`hmip.data.provenance.Provenance` (simulated or not, the basis:
published, simulated or analyst-supplied, the files with SHA-256 checksums, the load notes), read with
:func:`hmip.data.provenance.provenance`, so a report can say what it was built on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hmip.data.cases import key_question_counts, load_cases
from hmip.data.provenance import (  # noqa: F401 - is_simulated, sources: the public names
    Provenance,
    carry,
    is_simulated,
    provenance,
    published,
    sources,
    stamp,
)
from hmip.data.published_rows import (
    check_basis,
    check_blank_points,
    check_source,
    finish_overall,
    parse_rating,
)
from hmip.data.validation import (
    PUBLISHED_OVERALL_FILE,
    duplicate_problems,
    is_simulated_path,
    parse_count,
    read_frame,
    read_table,
    resolve_standard,
)
from hmip.errors import DataValidationError, FrameworkError, Problem, RatingError
from hmip.paths import data_dir
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.rules.tables import RATING_DTYPE

PUBLISHED_STANDARDS_FILE = "published_standard_ratings.csv"
PUBLISHED_INDICATORS_FILE = "published_regional_indicators.csv"
SIMULATED_RATINGS_FILE = "simulated_standard_ratings_london_2022.csv"


# --- Published ratings ------------------------------------------------------------------------------
def load_published(
    path: str | Path | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """Published standard ratings: one row per pdu and standard.

    Columns: pdu, standard (id), standard_name, code, rating (ordered categorical; blank = unknown,
    NaN), basis (published / implied / blank), source, note. The overall ratings beside them:
    :func:`load_published_ratings`.
    """
    fw = framework_or_default(framework)
    path = Path(path) if path else data_dir() / PUBLISHED_STANDARDS_FILE
    df = _load_standard_rating_table(path, fw, bases=("published", "implied"), require_source=True)
    stamp(df, published(path))
    return df


@dataclass(frozen=True)
class PublishedRatings:
    """HMIP's published ratings: per standard (:func:`load_published`) and overall
    (:func:`load_published_overall`, from the file beside the standards)."""

    standards: pd.DataFrame
    overall: pd.DataFrame


def load_published_ratings(
    path: str | Path | None = None, *, framework: Framework | None = None
) -> PublishedRatings:
    """The published standard ratings and the overall ratings in the file beside them."""
    path = Path(path) if path else data_dir() / PUBLISHED_STANDARDS_FILE
    return PublishedRatings(
        standards=load_published(path, framework=framework),
        overall=load_published_overall(path.with_name(PUBLISHED_OVERALL_FILE)),
    )


def load_standard_ratings(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """A file of standard ratings (columns pdu, standard, rating; basis, source, note optional)."""
    fw = framework_or_default(framework)
    path = Path(path)
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    df = _load_standard_rating_table(
        path, fw, bases=("published", "implied", "simulated", "analyst-supplied")
    )
    stamp(df, Provenance.of_file(path, basis))
    return df


def _load_standard_rating_table(
    path: Path, fw: Framework, *, bases, require_source=False
) -> pd.DataFrame:
    required = ["pdu", "standard", "rating"] + (["basis", "source"] if require_source else [])
    optional = [c for c in ("basis", "source", "note", "region") if c not in required]
    name, df, problems = read_frame(path, required, optional)
    for col in ("basis", "source", "note"):
        if col not in df:
            df[col] = ""
    std_ids, ratings = [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        std = resolve_standard(fw, row.standard, name, i, problems)
        std_ids.append(std.id if std else None)
        if row.rating == "":
            ratings.append(None)
            if row.basis not in ("",):
                problems.append(
                    Problem(
                        name,
                        i,
                        "basis",
                        f"basis '{row.basis}' is given for a blank (unknown) rating; leave it blank",
                    )
                )
        else:
            try:
                rating = Rating.parse(row.rating)
                ratings.append(rating.label)
            except RatingError as exc:
                problems.append(Problem(name, i, "rating", str(exc)))
                ratings.append(None)
                continue
            if std is not None and not std.rated:
                problems.append(
                    Problem(
                        name,
                        i,
                        "rating",
                        f"{std.label()} is not rated in {fw.name}; leave the rating blank",
                    )
                )
            if row.basis not in bases and (require_source or row.basis):
                problems.append(
                    Problem(
                        name,
                        i,
                        "basis",
                        f"'{row.basis}' is not a basis; accepted: {', '.join(bases)}",
                    )
                )
            if require_source and not row.source:
                problems.append(
                    Problem(name, i, "source", "every published or implied rating needs its source")
                )
    df["standard"] = std_ids
    problems += duplicate_problems(name, df, ["pdu", "standard"], "pdu and standard")
    if problems:
        raise DataValidationError(problems)
    df["rating"] = pd.Categorical(ratings, dtype=RATING_DTYPE)
    df["standard_name"] = [fw.standard(s).name for s in df["standard"]]
    df["code"] = [fw.standard(s).code for s in df["standard"]]
    cols = ["pdu", "standard", "standard_name", "code", "rating", "basis", "source", "note"]
    return df[cols + [c for c in df.columns if c not in cols]].reset_index(drop=True)


def load_published_overall(path: str | Path | None = None) -> pd.DataFrame:
    """Published overall ratings: pdu, region, overall_rating, its basis, points (nullable), max_points, ..."""
    path = Path(path) if path else data_dir() / PUBLISHED_OVERALL_FILE
    required = [
        "pdu",
        "region",
        "overall_rating",
        "overall_rating_basis",
        "points",
        "points_basis",
        "max_points",
        "publication_date",
        "source",
    ]
    name, df, problems = read_frame(path, required, ["note"], check_pdus=False)
    if "note" not in df:
        df["note"] = ""
    ratings, points, max_points = [], [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        ratings.append(parse_rating(row.overall_rating, name, i, "overall_rating", problems))
        mp = parse_count(row.max_points, name, i, "max_points", problems)
        max_points.append(mp)
        if row.points == "":
            points.append(pd.NA)
            check_blank_points(row.points_basis, name, i, problems)
        else:
            p = parse_count(row.points, name, i, "points", problems)
            if p is not None and mp is not None and p > mp:
                problems.append(Problem(name, i, "points", f"{p} is more than max_points {mp}"))
            points.append(p if p is not None else pd.NA)
            check_basis(row.points_basis, name, i, "points_basis", problems)
        check_basis(row.overall_rating_basis, name, i, "overall_rating_basis", problems)
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row.publication_date):
            problems.append(
                Problem(
                    name,
                    i,
                    "publication_date",
                    f"'{row.publication_date}' is not a date; accepted: YYYY-MM-DD or YYYY-MM",
                )
            )
        check_source(row.source, name, i, problems)
    problems += duplicate_problems(name, df, ["pdu"], "pdu")
    finish_overall(df, path, problems, ratings, points, max_points)
    return df


def load_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """Published regional indicators (e.g. London's 25% on risk of serious harm assessment)."""
    path = Path(path) if path else data_dir() / PUBLISHED_INDICATORS_FILE
    _, df, _ = read_frame(
        path,
        ["region", "indicator", "value", "unit", "basis", "source"],
        ["note"],
        check_pdus=False,
    )
    df["value"] = pd.to_numeric(df["value"])
    stamp(df, published(path))
    return df


# --- Aggregate counts ---------------------------------------------------------------------------------
def load_counts(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """An aggregate file: pdu, standard, key_question, yes, no (one row per pdu and key question)."""
    fw = framework_or_default(framework)
    path = Path(path)
    name, df, problems = read_frame(
        path, ["pdu", "standard", "key_question", "yes", "no"], ["region", "not_applicable"]
    )
    stds, kqs, yes, no = [], [], [], []
    for i, row in enumerate(df.to_dict("records"), start=1):
        std = resolve_standard(fw, row["standard"], name, i, problems, case_sample_only=True)
        kq = None
        if std is not None:
            try:
                kq = std.key_question(row["key_question"]).id
            except FrameworkError as exc:
                problems.append(Problem(name, i, "key_question", str(exc)))
        stds.append(std.id if std else None)
        kqs.append(kq)
        y = parse_count(row["yes"], name, i, "yes", problems)
        n = parse_count(row["no"], name, i, "no", problems)
        if y is not None and n is not None and y + n == 0:
            problems.append(
                Problem(
                    name, i, None, "yes + no is 0; a key question needs at least one case judged"
                )
            )
        yes.append(y)
        no.append(n)
    df["standard"], df["key_question"], df["yes"], df["no"] = stds, kqs, yes, no
    problems += duplicate_problems(
        name, df, ["pdu", "standard", "key_question"], "pdu, standard and key question"
    )
    if problems:
        raise DataValidationError(problems)
    df["yes"] = df["yes"].astype(int)
    df["no"] = df["no"].astype(int)
    if "not_applicable" in df:
        df["not_applicable"] = [int(x) if x else 0 for x in df["not_applicable"]]
    df["n"] = df["yes"] + df["no"]
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    notes = [f"{len(df)} key-question rows loaded from {path.name}; no rows dropped."]
    stamp(df, Provenance.of_file(path, basis, load_notes=notes))
    return df


def file_kind(path: str | Path) -> str:
    """'cases', 'counts' or 'ratings', told apart by the header; otherwise a DataValidationError."""
    header, _ = read_table(Path(path))
    if "case_id" in header:
        return "cases"
    if "key_question" in header:
        return "counts"
    if "rating" in header:
        return "ratings"
    raise DataValidationError(
        [
            Problem(
                str(path),
                None,
                None,
                "not a recognised file: give key-question counts (columns pdu, standard, key_question, yes, no), "
                "standard ratings (columns pdu, standard, rating) or case-level records (with case_id)",
            )
        ]
    )


def load_any_counts(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """Counts from either a case-level or an aggregate file, told apart by the header."""
    if file_kind(path) == "cases":
        return key_question_counts(load_cases(path, framework=framework), framework=framework)
    return load_counts(path, framework=framework)


def load_simulated_ratings(
    path: str | Path | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """The full set of standard ratings behind the simulated sample (published, implied or simulated)."""
    return load_standard_ratings(
        Path(path) if path else data_dir() / SIMULATED_RATINGS_FILE, framework=framework
    )

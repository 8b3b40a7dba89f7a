"""HMIP's own published findings, and where to read each London PDU's report.

Entry points:

- :func:`load_findings` reads ``data/published_findings.csv``: one row per statement HMIP (or a named
  secondary source) published about a PDU, a named group of PDUs or a region - a quote, a close
  paraphrase, a figure HMIP states ("25 per cent"), or a standard rating a source states. Each row
  says whether it is PDU-level, about a named group of PDUs, or regional, and gives its source and
  date.
- :func:`load_reports` reads ``data/published_reports.csv``: for each London PDU, its inspection
  report's title (exact, or described where the exact title was not found), date and where to read
  it, and whether its recommendations are held in ``published_recommendations.csv``.
- :func:`findings_for` returns the rows a PDU's page shows: its own PDU-level rows first, then the
  rows of groups that name it, then its region's rows, each kind of row marked by ``level``.
- :func:`report_line` is the one plain line a page shows where a PDU's recommendations are not held.

Like every loader, these collect **all** problems and raise one :class:`DataValidationError` naming
the file, row and column of each and saying what is accepted. Nothing is dropped or coerced.
Each frame's provenance: not simulated, basis published, the file with its SHA-256.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd

from hmip.data.national import date_bounds, known_frameworks
from hmip.data.provenance import carry, published, stamp
from hmip.data.validation import duplicate_problems, read_frame
from hmip.errors import DataValidationError, FrameworkError, Problem, RatingError
from hmip.paths import data_dir
from hmip.rules.framework import did_you_mean, load_framework
from hmip.rules.ratings import Rating

FINDINGS_FILE = "published_findings.csv"
REPORTS_FILE = "published_reports.csv"

FINDING_COLUMNS = [
    "pdu",
    "region",
    "level",
    "framework",
    "kind",
    "text",
    "figure",
    "unit",
    "out_of",
    "standard",
    "key_question",
    "rating",
    "published",
    "source",
    "source_kind",
    "note",
]
REQUIRED_FINDING_COLUMNS = [c for c in FINDING_COLUMNS if c != "note"]
REPORT_COLUMNS = [
    "pdu",
    "report_title",
    "title_basis",
    "published",
    "address",
    "recommendations_held",
    "source",
    "note",
]

#: pdu: about one PDU; group: about named PDUs together (``pdu`` lists them, separated by "; ");
#: regional: about a region (``pdu`` blank, or the PDUs the regional figure covers);
#: national: about England and Wales (``pdu`` and ``region`` blank).
LEVELS = ("pdu", "group", "regional", "national")
KINDS = ("quote", "paraphrase", "figure", "rating")
SOURCE_KINDS = ("primary", "secondary")
KEY_QUESTIONS = ("engagement", "desistance", "safety")
TITLE_BASES = ("exact", "described")
YES_NO = ("yes", "no")
#: Standards of the revised programme (from late 2023) as sources name them: three domain-one
#: standards and four core case standards. No points scale is published for them.
REVISED_STANDARDS = (
    "leadership",
    "staffing",
    "services",
    "assessment",
    "planning",
    "implementation_and_delivery",
    "reviewing",
)
#: A web address without its scheme: a host with a dot, then an optional path.
_ADDRESS = re.compile(r"[a-z0-9][a-z0-9.-]*\.[a-z]{2,}(/\S*)?", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(\.\d+)?")


def _today() -> str:
    return dt.date.today().isoformat()


def _check_date(
    value: str, name: str, row: int, column: str, problems: list[Problem], *, blank_ok: bool
) -> None:
    if not value:
        if not blank_ok:
            problems.append(
                Problem(
                    name, row, column, "the date is blank; accepted: YYYY, YYYY-MM or YYYY-MM-DD"
                )
            )
        return
    bounds = date_bounds(value)
    if bounds is None:
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is not a date; accepted: YYYY, YYYY-MM or YYYY-MM-DD (a real calendar "
                "date, as precise as the source allows), or blank with the reason in the note",
            )
        )
    elif bounds[0] > _today():
        problems.append(
            Problem(
                name,
                row,
                column,
                f"'{value}' is in the future; a published date is today or earlier",
            )
        )


def _check_choice(
    value: str, allowed, name: str, row: int, column: str, problems, what: str
) -> bool:
    if value in allowed:
        return True
    problems.append(
        Problem(
            name,
            row,
            column,
            f"'{value}' is not {what}{did_you_mean(value, list(allowed))}; accepted: "
            f"{', '.join(a or '(blank)' for a in allowed)}",
        )
    )
    return False


def _check_sources(value: str, name: str, row: int, problems: list[Problem]) -> None:
    """Every source: web addresses without the scheme, separated by '; ', or a named document."""
    if not value:
        problems.append(
            Problem(
                name,
                row,
                "source",
                "every finding needs its source (a web address without the scheme)",
            )
        )
        return
    for part in (p.strip() for p in value.split(";")):
        if not part:
            problems.append(Problem(name, row, "source", "an empty source between '; ' separators"))
        elif part.lower().startswith(("http://", "https://")):
            problems.append(
                Problem(
                    name,
                    row,
                    "source",
                    f"'{part}': give the address without its scheme (no http:// or https://)",
                )
            )


def _check_standard(
    value: str, framework: str, name: str, row: int, problems: list[Problem]
) -> None:
    if not value:
        return
    if framework == "pdu-2023":
        _check_choice(
            value,
            REVISED_STANDARDS,
            name,
            row,
            "standard",
            problems,
            "a standard of the revised programme",
        )
        return
    try:
        load_framework(framework).standard(value)
    except FrameworkError as exc:
        problems.append(Problem(name, row, "standard", str(exc)))


def _pdus(value: str) -> list[str]:
    return [p.strip() for p in value.split(";") if p.strip()]


# --- Findings -----------------------------------------------------------------------------------
def load_findings(path: str | Path | None = None) -> pd.DataFrame:
    """HMIP's published findings: one row per statement, quote, figure or stated rating.

    Columns (all text, blank stays ''): pdu, region, level (pdu, group, regional, national), framework
    (pdu-2021, pdu-2023), kind (quote, paraphrase, figure, rating), text, figure (float or NaN),
    unit, out_of (float or NaN), standard, key_question (engagement, desistance, safety or blank),
    rating (a rating word or blank), published, source, source_kind (primary, secondary), note.

    Refused, with file, row and column: an unknown level, kind, framework, source kind, key
    question or rating; a PDU-level row without one PDU, or a group row without two or more; a
    figure row without its number and unit, or a number that is not one; a figure above its
    ``out_of``; a rating row without a rating and a standard (or the overall rating, with a blank
    standard); a standard the framework does not have; blank text; a blank source or one written
    with its scheme; a date that is not YYYY, YYYY-MM or YYYY-MM-DD or lies in the future; a blank
    date without the reason in the note; and the same statement twice.
    """
    path = Path(path) if path else data_dir() / FINDINGS_FILE
    name, df, problems = read_frame(path, REQUIRED_FINDING_COLUMNS, ["note"], check_pdus=False)
    if "note" not in df:
        df["note"] = ""
    figures, totals = [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        level_ok = _check_choice(row.level, LEVELS, name, i, "level", problems, "a level")
        _check_choice(row.kind, KINDS, name, i, "kind", problems, "a kind of finding")
        fw_ok = _check_choice(
            row.framework, known_frameworks(), name, i, "framework", problems, "a known framework"
        )
        _check_choice(
            row.source_kind, SOURCE_KINDS, name, i, "source_kind", problems, "a source kind"
        )
        _check_choice(
            row.key_question,
            ("", *KEY_QUESTIONS),
            name,
            i,
            "key_question",
            problems,
            "a key question",
        )
        pdus = _pdus(row.pdu)
        if level_ok and row.level == "pdu" and len(pdus) != 1:
            problems.append(Problem(name, i, "pdu", "a PDU-level finding names exactly one PDU"))
        if level_ok and row.level == "group" and len(pdus) < 2:
            problems.append(
                Problem(name, i, "pdu", "a group finding names two or more PDUs, separated by '; '")
            )
        if level_ok and row.level == "national" and (row.pdu or row.region):
            column = "pdu" if row.pdu else "region"
            problems.append(
                Problem(name, i, column, "a national finding names no PDU and no region")
            )
        if level_ok and row.level == "regional" and not row.region:
            problems.append(Problem(name, i, "region", "a regional finding names its region"))
        if not row.text:
            problems.append(Problem(name, i, "text", "the finding's wording is blank"))
        figure = total = float("nan")
        if row.figure:
            if _NUMBER.fullmatch(row.figure):
                figure = float(row.figure)
            else:
                problems.append(
                    Problem(
                        name,
                        i,
                        "figure",
                        f"'{row.figure}' is not a number; accepted: e.g. 25 or 12.5",
                    )
                )
        if row.out_of:
            if _NUMBER.fullmatch(row.out_of) and float(row.out_of) > 0:
                total = float(row.out_of)
            else:
                problems.append(
                    Problem(
                        name,
                        i,
                        "out_of",
                        f"'{row.out_of}' is not accepted; accepted: a number above 0",
                    )
                )
        if row.kind == "figure" and not row.figure:
            problems.append(
                Problem(name, i, "figure", "a figure row gives the number the source states")
            )
        if row.figure and not row.unit:
            problems.append(
                Problem(
                    name, i, "unit", "a number needs its unit (percent, points, cases, posts, ...)"
                )
            )
        if row.unit == "percent" and figure == figure and not 0 <= figure <= 100:
            problems.append(
                Problem(name, i, "figure", f"{row.figure} is not a percentage; accepted: 0 to 100")
            )
        if figure == figure and total == total and figure > total:
            problems.append(
                Problem(name, i, "figure", f"{row.figure} is more than out_of {row.out_of}")
            )
        figures.append(figure)
        totals.append(total)
        if row.rating:
            try:
                Rating.parse(row.rating)
            except RatingError as exc:
                problems.append(Problem(name, i, "rating", str(exc)))
        if row.kind == "rating" and not row.rating:
            problems.append(
                Problem(name, i, "rating", "a rating row gives the rating the source states")
            )
        if fw_ok:
            _check_standard(row.standard, row.framework, name, i, problems)
        if row.key_question and not row.standard and row.kind == "rating":
            problems.append(Problem(name, i, "standard", "a key question belongs to a standard"))
        _check_sources(row.source, name, i, problems)
        _check_date(row.published, name, i, "published", problems, blank_ok=True)
        if not row.published and not row.note:
            problems.append(
                Problem(
                    name,
                    i,
                    "note",
                    "a blank date needs its reason in the note (e.g. 'not in the stored copy')",
                )
            )
    problems += duplicate_problems(
        name, df, ["pdu", "level", "text", "standard", "source"], "finding"
    )
    if problems:
        raise DataValidationError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    df["figure"] = pd.array(figures, dtype="float64")
    df["out_of"] = pd.array(totals, dtype="float64")
    stamp(df, published(path))
    return df[FINDING_COLUMNS].reset_index(drop=True)


def findings_for(
    pdu: str, findings: pd.DataFrame | None = None, region: str | None = None
) -> pd.DataFrame:
    """The rows a PDU's page shows: its own PDU-level rows, then groups naming it, then its region's.

    ``region`` defaults to the region its own rows give. An added column ``order`` (1, 2, 3) keeps
    that order; within each, the source's order in the file is kept.
    """
    df = findings if findings is not None else load_findings()
    own = df[(df["level"] == "pdu") & (df["pdu"] == pdu)]
    group = df[(df["level"] == "group") & df["pdu"].map(lambda v: pdu in _pdus(v))]
    if region is None:
        regions = [r for r in own["region"].tolist() + group["region"].tolist() if r]
        region = regions[0] if regions else ""
    regional = (
        df[(df["level"] == "regional") & (df["region"] == region)] if region else df.iloc[0:0]
    )
    out = pd.concat([own.assign(order=1), group.assign(order=2), regional.assign(order=3)])
    carry(out, df)
    return out.reset_index(drop=True)


# --- Reports ------------------------------------------------------------------------------------
def load_reports(path: str | Path | None = None) -> pd.DataFrame:
    """Each London PDU's inspection report: title, title basis, date, address and whether its
    recommendations are held.

    Columns (text): pdu, report_title, title_basis (exact, described), published, address,
    recommendations_held (yes, no), source, note. Refused, with file, row and column: a PDU not in
    ``published_overall_ratings.csv``; a blank title; a title basis other than exact or described;
    a described title without the reason in the note; a date that does not parse or is in the
    future; an address that is not a web address without the scheme; recommendations_held other
    than yes or no; a blank source; a PDU given twice.
    """
    path = Path(path) if path else data_dir() / REPORTS_FILE
    name, df, problems = read_frame(path, [c for c in REPORT_COLUMNS if c != "note"], ["note"])
    if "note" not in df:
        df["note"] = ""
    for i, row in enumerate(df.itertuples(index=False), start=1):
        if not row.report_title:
            problems.append(Problem(name, i, "report_title", "the report's title is blank"))
        _check_choice(
            row.title_basis, TITLE_BASES, name, i, "title_basis", problems, "a title basis"
        )
        if row.title_basis == "described" and not row.note:
            problems.append(
                Problem(name, i, "note", "a described title needs the reason in the note")
            )
        _check_date(row.published, name, i, "published", problems, blank_ok=False)
        if not _ADDRESS.fullmatch(row.address or ""):
            problems.append(
                Problem(
                    name,
                    i,
                    "address",
                    f"'{row.address}' is not a web address without its scheme (e.g. "
                    "hmiprobation.justiceinspectorates.gov.uk/document/...)",
                )
            )
        _check_choice(
            row.recommendations_held, YES_NO, name, i, "recommendations_held", problems, "yes or no"
        )
        _check_sources(row.source, name, i, problems)
    problems += duplicate_problems(name, df, ["pdu"], "PDU")
    if problems:
        raise DataValidationError(sorted(problems, key=lambda p: (p.row or 0, p.column or "")))
    stamp(df, published(path))
    return df[REPORT_COLUMNS].reset_index(drop=True)


def report_line(pdu: str, reports: pd.DataFrame | None = None) -> str:
    """One plain line naming a PDU's report, its date and where to read it.

    'HMIP's report, "An inspection of probation services in ...", published 18 October 2022, is at
    hmiprobation.justiceinspectorates.gov.uk/document/...' - or, where the exact title was not
    found, 'HMIP's inspection report on Lambeth PDU, published 18 October 2022, is announced at ...'.
    """
    df = reports if reports is not None else load_reports()
    rows = df[df["pdu"] == pdu]
    if rows.empty:
        known = df["pdu"].tolist()
        raise DataValidationError(
            [
                Problem(
                    REPORTS_FILE,
                    None,
                    "pdu",
                    f"no report recorded for '{pdu}'{did_you_mean(pdu, known)}",
                )
            ]
        )
    r = rows.iloc[0]
    when = _date_words(r["published"])
    if r["title_basis"] == "exact":
        return f"HMIP's report, \u201c{r['report_title']}\u201d, published {when}, is at {r['address']}."
    return (
        f"HMIP's inspection report on {pdu} PDU, published {when}, is announced at {r['address']}."
    )


def _date_words(value: str) -> str:
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    month = dt.date(parts[0], parts[1], 1).strftime("%B")
    if len(parts) == 2:
        return f"{month} {parts[0]}"
    return f"{parts[2]} {month} {parts[0]}"

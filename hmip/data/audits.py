"""A PDU's own case audits between inspections: case-level records with the date of each audit.

PDUs audit their own cases against HMIP's key questions between inspections (for Lewisham and
Bromley, the HMPPS operational assurance re-audit that concluded in Dec 2022). An audit file is the
case-level format of :mod:`hmip.data.cases` (one row per case, one column per key question) plus the
audit's date. Two layouts are accepted (``data/README.md``, "Internal case audits"):

- **one file** holding every audit, with an ``audit_date`` column (YYYY-MM-DD, the day the audit
  concluded); or
- **one file per audit** (a folder, or a list of files): the date comes from an ``audit_date``
  column if the file has one, else from the file name, which must contain the date as YYYY-MM-DD
  (``audit_2023-03-31.csv``, ``lewisham_and_bromley_2023-03-31_osag.csv``).

Audits are often small and may cover only some standards or key questions: a key-question column
may be left out of a file, or left blank, and both mean "not audited" (n/a). Everything else is
validated as the inspection's case files are (:func:`hmip.data.cases.load_cases` and its column
validators are reused), and every problem names the file, row and column and says what is
accepted. Refused, besides what the case format refuses:

- an impossible date (2023-02-30), a date not written YYYY-MM-DD, or a date after today;
- an audit with no cases: a file with a header only, or an audit (PDU and date) in which every
  key-question answer is n/a or blank;
- a column that is not a key question of the framework (``assessment.risk``), with a suggestion;
- a PDU that is not in the published ratings (``published_overall_ratings.csv``), or not among the
  PDUs given in ``pdus=``.

:func:`audit_counts` turns the loaded cases into yes / no / n/a counts per PDU, audit date, standard
and key question; :func:`load_recommendation_key_questions` reads which key questions measure each
of HMIP's recommendations (``data/recommendation_key_questions.csv``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from hmip.data.cases import (
    ANSWER_DTYPE,
    CASE_ID_COLUMNS,
    ROSH_DTYPE,
    _answers,
    key_question_counts,
    validate_columns,
)
from hmip.data.ethnicity import ETHNICITY_DTYPE, NOT_RECORDED
from hmip.data.provenance import Provenance, carry, stamp
from hmip.data.validation import (
    PUBLISHED_OVERALL_FILE,
    check_columns,
    check_pdu_names,
    is_simulated_path,
    known_pdus,
    read_frame,
    read_table,
    source_record,
)
from hmip.errors import DataValidationError, FrameworkError, Problem
from hmip.paths import data_dir
from hmip.rules.framework import Framework, did_you_mean, framework_or_default

#: The shipped example series (SIMULATED; see hmip.data.simulate_audits).
SIMULATED_AUDITS_FILE = "simulated_audits_lewisham_and_bromley.csv"
#: Which key questions measure each HMIP recommendation.
RECOMMENDATION_KEY_QUESTIONS_FILE = "recommendation_key_questions.csv"

AUDIT_DATE_COLUMN = "audit_date"
#: Optional columns of an audit file besides the key questions.
AUDIT_OPTIONAL_COLUMNS = (AUDIT_DATE_COLUMN, "audit_id", "note")
#: A date in a file name (one file per audit): the first YYYY-MM-DD in the name.
FILE_NAME_DATE = re.compile(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_ACCEPTED = "accepted: a real date written YYYY-MM-DD (e.g. 2023-03-31), not after today"


# --- Dates -----------------------------------------------------------------------------------------
def parse_audit_date(raw: str, today: dt.date) -> tuple[dt.date | None, str]:
    """(date, problem message or ''): YYYY-MM-DD, a real calendar date, not after ``today``."""
    if not _ISO_DATE.fullmatch(raw or ""):
        what = "blank" if not raw else f"'{raw}' is not a date written YYYY-MM-DD"
        return None, f"{what}; {_DATE_ACCEPTED}"
    try:
        value = dt.date.fromisoformat(raw)
    except ValueError:
        year, month, day = (int(x) for x in raw.split("-"))
        if not 1 <= month <= 12:
            why = f"there is no month {month}"
        else:
            last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
            why = f"{dt.date(year, month, 1):%B %Y} has {last} days"
        return None, f"'{raw}' is not a real date ({why}); {_DATE_ACCEPTED}"
    if value > today:
        return None, (
            f"'{raw}' is in the future (today is {today.isoformat()}); an audit's date is the day "
            f"it concluded; {_DATE_ACCEPTED}"
        )
    return value, ""


def date_from_file_name(path: str | Path) -> str | None:
    """The first YYYY-MM-DD in a file's name (not checked), or None."""
    found = FILE_NAME_DATE.search(Path(path).name)
    return found.group(1) if found else None


# --- Files ----------------------------------------------------------------------------------------
def _audit_files(paths: str | Path | Iterable[str | Path] | None) -> list[Path]:
    if paths is None:
        return [data_dir() / SIMULATED_AUDITS_FILE]
    if isinstance(paths, str | Path):
        p = Path(paths)
        if p.is_dir():
            files = sorted(f for f in p.iterdir() if f.suffix.lower() == ".csv")
            if not files:
                raise DataValidationError(
                    [Problem(str(p), None, None, "the folder holds no .csv audit files")]
                )
            return files
        return [p]
    files = [Path(p) for p in paths]
    if not files:
        raise DataValidationError(
            [Problem("audits", None, None, "no audit files given; give a file, folder or list")]
        )
    return files


def _header_problems(name: str, header: list[str], fw: Framework) -> list[Problem]:
    """Unknown key questions get their own message; the rest is :func:`check_columns`."""
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    problems, rest = [], []
    for col in header:
        if "." in col and col not in kq_cols:
            problems.append(
                Problem(
                    name,
                    None,
                    col,
                    f"'{col}' is not a key question of {fw.name}{did_you_mean(col, kq_cols)}; "
                    f"accepted key-question columns: {', '.join(kq_cols)} (any may be left out)",
                )
            )
        else:
            rest.append(col)
    return problems + check_columns(
        name, rest, CASE_ID_COLUMNS, [*AUDIT_OPTIONAL_COLUMNS, *kq_cols]
    )


def _read_one(
    path: Path, fw: Framework, pdus: list[str], today: dt.date, problems: list[Problem]
) -> pd.DataFrame | None:
    """One audit file, validated; its problems are appended, and None returned when it is refused."""
    name = str(path)
    try:
        header, _ = read_table(path)
    except DataValidationError as exc:
        for p in exc.problems:
            if p.message == "has a header but no data rows":
                p = Problem(
                    name,
                    None,
                    None,
                    "has a header but no cases: an audit with no cases; accepted: one row per "
                    "audited case",
                )
            problems.append(p)
        return None
    head = _header_problems(name, header, fw)
    if head:
        problems.extend(head)
        return None
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    _, df, found = read_frame(
        path, list(CASE_ID_COLUMNS), [*AUDIT_OPTIONAL_COLUMNS, *kq_cols], check_pdus=False
    )
    # PDU names: near misses (as for case files), then anything not among the PDUs accepted
    check_pdu_names(name, df, found)
    flagged = {p.row for p in found if p.column == "pdu"}
    accepted = set(pdus)
    for i, value in enumerate(df["pdu"], start=1):
        if i not in flagged and value not in accepted:
            found.append(
                Problem(
                    name,
                    i,
                    "pdu",
                    f"'{value}' is not a PDU in the data{did_you_mean(value, pdus)}; accepted: a PDU "
                    f"of {PUBLISHED_OVERALL_FILE} ({'; '.join(pdus)}) or one given in pdus=",
                )
            )
    # case details: the case format's own validators
    df["ethnicity_detail"] = df["ethnicity"]
    validate_columns(df, name, found)
    # dates: a column, or the file name
    if AUDIT_DATE_COLUMN in df:
        raw_dates = list(df[AUDIT_DATE_COLUMN])
        where = [(i, AUDIT_DATE_COLUMN) for i in range(1, len(df) + 1)]
    else:
        from_name = date_from_file_name(path)
        if from_name is None:
            found.append(
                Problem(
                    name,
                    None,
                    AUDIT_DATE_COLUMN,
                    "no audit_date column and no date in the file name; accepted: an audit_date "
                    "column (YYYY-MM-DD), or a file name holding the date "
                    "(e.g. audit_2023-03-31.csv)",
                )
            )
            raw_dates = [None] * len(df)
        else:
            raw_dates = [from_name] * len(df)
        where = [(None, f"{AUDIT_DATE_COLUMN} (from the file name)")] * len(df)
    dates: list[dt.date | None] = []
    parsed: dict[str, tuple] = {}
    reported_name = False
    for raw, (row, column) in zip(raw_dates, where, strict=True):
        if raw is None:
            dates.append(None)
            continue
        if raw not in parsed:
            parsed[raw] = parse_audit_date(raw, today)
        value, message = parsed[raw]
        if message and (row is not None or not reported_name):
            found.append(Problem(name, row, column, message))
            reported_name = reported_name or row is None
        dates.append(value)
    df[AUDIT_DATE_COLUMN] = dates
    # answers: a missing or blank key-question column means "not audited" (n/a)
    for col in kq_cols:
        if col not in df:
            df[col] = "n/a"
        else:
            df[col] = ["n/a" if v == "" else v for v in df[col]]
    answers, _ = _answers(df, fw, name, found)
    for col in kq_cols:
        df[col] = answers[col]
    # duplicates within an audit, and audits with no answered key question
    seen: dict[tuple, int] = {}
    for i, key in enumerate(zip(df["pdu"], df[AUDIT_DATE_COLUMN], df["case_id"], strict=True), 1):
        if key[1] is None:
            continue
        if key in seen:
            found.append(
                Problem(
                    name,
                    i,
                    "case_id",
                    f"case '{key[2]}' appears twice in the {key[0]} audit of {key[1]} (first in row "
                    f"{seen[key]}); accepted: each case once per audit",
                )
            )
        else:
            seen[key] = i
    answered = pd.concat([df[c].isin(["yes", "no"]) for c in kq_cols], axis=1).any(axis=1)
    df["_row"] = range(1, len(df) + 1)
    valid = [d is not None for d in df[AUDIT_DATE_COLUMN]]
    for (pdu, date), group in df[valid].groupby(["pdu", AUDIT_DATE_COLUMN], sort=True):
        if not answered[group.index].any():
            rows = group["_row"]
            found.append(
                Problem(
                    name,
                    int(rows.iloc[0]),
                    AUDIT_DATE_COLUMN,
                    f"the {pdu} audit of {date} has no cases: every key-question answer in rows "
                    f"{rows.min()}-{rows.max()} is n/a or blank; accepted: an audit with at least "
                    "one case answered yes or no on some key question",
                )
            )
    problems.extend(found)
    if found:
        return None
    df["source_file"] = path.name
    return df.drop(columns="_row")


def load_audits(
    paths: str | Path | Iterable[str | Path] | None = None,
    *,
    framework: Framework | None = None,
    pdus: Iterable[str] | None = None,
    today: dt.date | None = None,
) -> pd.DataFrame:
    """Load a series of internal case audits: one file with an ``audit_date`` column, a folder of
    files one per audit, or a list of files (default: the shipped SIMULATED Lewisham and Bromley
    series, :data:`SIMULATED_AUDITS_FILE`).

    ``pdus``: the PDUs accepted (default: those of ``published_overall_ratings.csv``; give the PDUs
    of your own case file to audit a PDU outside it). ``today``: the latest date accepted (default:
    the computer's date).

    Returns one row per audited case: audit_date (datetime64), audit_id, pdu, case_id, gender,
    sentence_type, rosh, ethnicity, ethnicity_detail, one categorical column per key question
    ('yes', 'no', 'n/a'; a key question an audit did not cover is 'n/a' for all its cases),
    source_file; sorted by PDU, date and file order. Its provenance: simulated, basis, sources,
    load notes (as :func:`hmip.data.cases.load_cases`). Every problem in every file is
    reported at once in one :class:`DataValidationError`.
    """
    fw = framework_or_default(framework)
    today = today or dt.date.today()
    accepted = list(pdus) if pdus is not None else known_pdus()
    files = _audit_files(paths)
    problems: list[Problem] = []
    frames = [_read_one(f, fw, accepted, today, problems) for f in files]
    if problems:
        raise DataValidationError(problems)
    df = pd.concat(frames, ignore_index=True)
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    if "audit_id" not in df:
        df["audit_id"] = ""
    df["audit_id"] = [
        a if isinstance(a, str) and a else f"{p} {d.isoformat()}"
        for a, p, d in zip(df["audit_id"], df["pdu"], df[AUDIT_DATE_COLUMN], strict=True)
    ]
    df[AUDIT_DATE_COLUMN] = pd.to_datetime(df[AUDIT_DATE_COLUMN])
    df["ethnicity"] = pd.Categorical(df["ethnicity"], dtype=ETHNICITY_DTYPE)
    df["rosh"] = pd.Categorical(df["rosh"], dtype=ROSH_DTYPE)
    for col in kq_cols:
        df[col] = pd.Categorical(df[col], dtype=ANSWER_DTYPE)
    df = df.sort_values(["pdu", AUDIT_DATE_COLUMN], kind="stable").reset_index(drop=True)
    df = df[
        [
            AUDIT_DATE_COLUMN,
            "audit_id",
            "pdu",
            "case_id",
            "gender",
            "sentence_type",
            "rosh",
            "ethnicity",
            "ethnicity_detail",
            *kq_cols,
            "source_file",
        ]
    ]
    audits = df.groupby(["pdu", AUDIT_DATE_COLUMN]).size()
    # per key question, the audits that answered it (a yes or no in any case): one grouping
    answered = df[kq_cols].isin(["yes", "no"]).groupby([df["pdu"], df[AUDIT_DATE_COLUMN]]).any()
    covered = {col: int(answered[col].sum()) for col in kq_cols}
    partial = sorted(c for c, k in covered.items() if k < len(audits))
    notes = [
        f"{len(df)} audited cases in {len(audits)} audits of {df['pdu'].nunique()} PDU(s) from "
        f"{len(files)} file(s), {df[AUDIT_DATE_COLUMN].min():%d %b %Y} to "
        f"{df[AUDIT_DATE_COLUMN].max():%d %b %Y}; no rows dropped.",
        "A key question left out of a file, or left blank, is taken as not audited (n/a)"
        + (f"; covered by only some audits: {', '.join(partial)}." if partial else "."),
    ]
    n_nr = int((df["ethnicity"] == NOT_RECORDED).sum())
    notes.append(f"{n_nr} audited cases ({n_nr / len(df):.1%}) have ethnicity not recorded.")
    simulated = any(is_simulated_path(f) for f in files)
    basis = "simulated" if simulated else "analyst-supplied"
    files_used = tuple(
        source_record(f, "simulated" if is_simulated_path(f) else basis) for f in files
    )
    stamp(df, Provenance(simulated, basis, files_used, tuple(notes)))
    return df


def audit_counts(audits: pd.DataFrame, *, framework: Framework | None = None) -> pd.DataFrame:
    """Audited cases -> counts: pdu, audit_date, audit_id, standard, key_question, yes, no,
    not_applicable, n (= yes + no) and covered (n > 0: the audit answered this key question).

    One row per PDU, audit and key question of the framework, so a key question an audit did not
    cover is a row with n = 0 and covered False (never silently missing)."""
    fw = framework_or_default(framework)
    counts = key_question_counts(audits, by=[AUDIT_DATE_COLUMN], framework=fw)
    ids = audits[["pdu", AUDIT_DATE_COLUMN, "audit_id"]].drop_duplicates(["pdu", AUDIT_DATE_COLUMN])
    counts = counts.merge(ids, on=["pdu", AUDIT_DATE_COLUMN], how="left")
    counts["covered"] = counts["n"] > 0
    cols = ["pdu", AUDIT_DATE_COLUMN, "audit_id", "standard", "key_question"]
    counts = counts[[*cols, "yes", "no", "not_applicable", "n", "covered"]]
    counts = counts.sort_values(["pdu", AUDIT_DATE_COLUMN], kind="stable").reset_index(drop=True)
    carry(counts, audits)
    return counts


# --- Recommendations -> key questions ----------------------------------------------------------------
def load_recommendation_key_questions(
    path: str | Path | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """Which key questions measure each of HMIP's recommendations to a PDU.

    Columns: pdu, recommendation (number), standard, key_question, rationale, source. A blank
    key_question means the recommendation is not measured by case audits (its standard, if given,
    is the inspectors' judgement standard it concerns). Refused: a PDU and recommendation number not
    in ``published_recommendations.csv``, a standard or key question the framework does not have, a
    key question of a standard not rated from cases, blank rationale or source, and a repeated row.
    """
    from hmip.data.recommendations import load_recommendations

    fw = framework_or_default(framework)
    path = Path(path) if path else data_dir() / RECOMMENDATION_KEY_QUESTIONS_FILE
    columns = ["pdu", "recommendation", "standard", "key_question", "rationale", "source"]
    name, df, problems = read_frame(path, columns)
    known = {(r.pdu, int(r.number)) for r in load_recommendations().itertuples()}
    numbers = []
    for i, r in enumerate(df.itertuples(), start=1):
        number = int(r.recommendation) if re.fullmatch(r"[1-9]\d*", r.recommendation) else None
        numbers.append(number)
        if number is None:
            problems.append(
                Problem(
                    name,
                    i,
                    "recommendation",
                    f"'{r.recommendation}' is not a recommendation number; accepted: 1, 2, 3, ...",
                )
            )
        elif (r.pdu, number) not in known:
            have = sorted(n for p, n in known if p == r.pdu)
            problems.append(
                Problem(
                    name,
                    i,
                    "recommendation",
                    f"{r.pdu} has no recommendation {number} in published_recommendations.csv; "
                    f"accepted: {', '.join(map(str, have)) or 'none recorded for this PDU'}",
                )
            )
        std = None
        if r.standard:
            try:
                std = fw.standard(r.standard)
            except FrameworkError as exc:
                problems.append(Problem(name, i, "standard", str(exc)))
        if r.key_question:
            if std is None and r.standard:
                pass
            elif std is None:
                problems.append(
                    Problem(name, i, "standard", "blank; a key question needs its standard")
                )
            elif not std.case_sample:
                problems.append(
                    Problem(
                        name,
                        i,
                        "key_question",
                        f"{std.label()} is rated by judgement and has no key questions; leave "
                        "key_question blank",
                    )
                )
            else:
                try:
                    std.key_question(r.key_question)
                except FrameworkError as exc:
                    problems.append(Problem(name, i, "key_question", str(exc)))
        for col in ("rationale", "source"):
            if not getattr(r, col):
                problems.append(Problem(name, i, col, f"blank; accepted: the {col} of the mapping"))
    df["recommendation"] = numbers
    dup = df.duplicated(["pdu", "recommendation", "standard", "key_question"], keep="first")
    for i in [int(k) + 1 for k in df.index[dup]]:
        problems.append(Problem(name, i, None, "repeats an earlier row; give each mapping once"))
    if problems:
        raise DataValidationError(problems)
    df["standard"] = [fw.standard(s).id if s else "" for s in df["standard"]]
    stamp(df, Provenance(basis="assumption", sources=(source_record(path, "assumption"),)))
    return df


def published_ratings(pdu: str, *, framework: Framework | None = None) -> dict[str, str]:
    """The published (or implied) rating of each rated standard of ``pdu``, standard id -> rating
    label, from ``published_standard_ratings.csv``: what :func:`hmip.stats.progress.inspection_now`
    holds the judgement standards at. Refused (one problem naming the file and column) for a PDU
    with no rows, or with a rated standard whose rating is not known."""
    from hmip.data.loaders import PUBLISHED_STANDARDS_FILE, load_published

    fw = framework_or_default(framework)
    table = load_published(framework=fw)
    rows = table[table["pdu"] == pdu]
    name = str(data_dir() / PUBLISHED_STANDARDS_FILE)
    if rows.empty:
        known = sorted(table["pdu"].unique())
        raise DataValidationError(
            [
                Problem(
                    name,
                    None,
                    "pdu",
                    f"no published ratings for '{pdu}'{did_you_mean(pdu, known)}; accepted: "
                    f"{'; '.join(known)}",
                )
            ]
        )
    out = {r.standard: str(r.rating) for r in rows.itertuples() if pd.notna(r.rating)}
    missing = [s.id for s in fw.rated_standards if s.id not in out]
    if missing:
        raise DataValidationError(
            [
                Problem(
                    name,
                    None,
                    "rating",
                    f"{pdu} has no published or implied rating for {', '.join(missing)}; the "
                    "'if inspected now' chances need every rated standard",
                )
            ]
        )
    return out

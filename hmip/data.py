"""Load and validate the project's data files into plain pandas objects.

Entry points:

- :func:`load_published` - published standard ratings, one row per PDU and standard;
- :func:`load_published_overall` - published overall ratings and points;
- :func:`load_cases` - a case-level file (default: the bundled *simulated* sample);
- :func:`load_counts` - an aggregate file of yes/no counts per key question;
- :func:`key_question_counts` - case level -> counts;
- :func:`load_standard_ratings` - a file of standard ratings (columns pdu, standard, rating).

Every loader collects **all** problems and raises one :class:`DataValidationError` naming the file,
row and column of each and saying what is accepted. Nothing is dropped or coerced silently:
exclusions by rule (``n/a`` answers) are counted in ``df.attrs["load_notes"]``.

Every loaded object carries ``df.attrs["simulated"]`` (bool), ``df.attrs["basis"]`` (published,
simulated or analyst-supplied) and ``df.attrs["sources"]`` (paths and SHA-256 checksums), so a
report can say what it was built on.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from hmip.framework import Framework, FrameworkError, default_framework, did_you_mean
from hmip.paths import data_dir
from hmip.rules import Rating, RatingError

PUBLISHED_STANDARDS_FILE = "published_standard_ratings.csv"
PUBLISHED_OVERALL_FILE = "published_overall_ratings.csv"
PUBLISHED_INDICATORS_FILE = "published_regional_indicators.csv"
SIMULATED_CASES_FILE = "simulated_cases_london_2022.csv"
SIMULATED_RATINGS_FILE = "simulated_standard_ratings_london_2022.csv"

RATING_DTYPE = pd.CategoricalDtype(Rating.labels(), ordered=True)

# --- Ethnicity: ONS harmonised top-level groups (2021), plus "Not recorded" ---------------------
WHITE = "White"
MIXED = "Mixed or Multiple ethnic groups"
ASIAN = "Asian or Asian British"
BLACK = "Black, Black British, Caribbean or African"
OTHER = "Other ethnic group"
NOT_RECORDED = "Not recorded"
ETHNIC_GROUPS = (WHITE, MIXED, ASIAN, BLACK, OTHER, NOT_RECORDED)
ETHNICITY_DTYPE = pd.CategoricalDtype(list(ETHNIC_GROUPS))

#: ONS 2021 detailed categories (England) -> top-level group. The White minority categories
#: (Irish; Gypsy or Irish Traveller; Roma; Any other White background) are listed in
#: WHITE_MINORITY_DETAIL so groupings can treat them either way.
ONS_DETAILED = {
    "English, Welsh, Scottish, Northern Irish or British": WHITE,
    "Irish": WHITE,
    "Gypsy or Irish Traveller": WHITE,
    "Roma": WHITE,
    "Any other White background": WHITE,
    "White and Black Caribbean": MIXED,
    "White and Black African": MIXED,
    "White and Asian": MIXED,
    "Any other Mixed or Multiple background": MIXED,
    "Indian": ASIAN,
    "Pakistani": ASIAN,
    "Bangladeshi": ASIAN,
    "Chinese": ASIAN,
    "Any other Asian background": ASIAN,
    "Caribbean": BLACK,
    "African": BLACK,
    "Any other Black, Black British, or Caribbean background": BLACK,
    "Arab": OTHER,
    "Any other ethnic group": OTHER,
}
WHITE_MINORITY_DETAIL = ("Irish", "Gypsy or Irish Traveller", "Roma", "Any other White background")
_ETHNICITY_ALIASES = {
    "white": WHITE,
    "mixed": MIXED,
    "mixed or multiple": MIXED,
    "mixed or multiple ethnic groups": MIXED,
    "asian": ASIAN,
    "asian or asian british": ASIAN,
    "black": BLACK,
    "black, black british, caribbean or african": BLACK,
    "black or black british": BLACK,
    "other": OTHER,
    "other ethnic group": OTHER,
    "not recorded": NOT_RECORDED,
    "not stated": NOT_RECORDED,
    "unknown": NOT_RECORDED,
    "missing": NOT_RECORDED,
    "prefer not to say": NOT_RECORDED,
    "": NOT_RECORDED,
}
_ETHNICITY_LOOKUP = {**_ETHNICITY_ALIASES, **{k.lower(): v for k, v in ONS_DETAILED.items()}}

GENDERS = ("male", "female", "other")
SENTENCE_TYPES = ("community", "licence")
_SENTENCE_ALIASES = {"community": "community", "community order": "community", "licence": "licence",
                     "license": "licence", "post-custody": "licence", "licence/post-custody": "licence",
                     "licence or post-custody": "licence"}
ROSH_LEVELS = ("low", "medium", "high", "very high")
ROSH_DTYPE = pd.CategoricalDtype(list(ROSH_LEVELS), ordered=True)

ANSWERS = ("yes", "no", "n/a")
_ANSWER_ALIASES = {
    "yes": "yes", "y": "yes", "sufficient": "yes", "1": "yes", "true": "yes",
    "no": "no", "n": "no", "not sufficient": "no", "insufficient": "no", "0": "no", "false": "no",
    "n/a": "n/a", "na": "n/a", "not applicable": "n/a",
}
ANSWER_DTYPE = pd.CategoricalDtype(list(ANSWERS))

CASE_ID_COLUMNS = ("case_id", "pdu", "gender", "sentence_type", "rosh", "ethnicity")


# --- Errors ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row (the header is not counted); None for file-level problems
    column: str | None
    message: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row} (line {self.row + 1})")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class DataValidationError(ValueError):
    """One error listing every problem found in a file, each with file, row and column."""

    MAX_LISTED = 50

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.MAX_LISTED]]
        if len(self.problems) > self.MAX_LISTED:
            lines.append(f"... and {len(self.problems) - self.MAX_LISTED} more problems")
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''} found:\n  " + "\n  ".join(lines))


# --- Reading ----------------------------------------------------------------------------------------
def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _source(path: Path, basis: str) -> dict:
    return {"path": str(path), "name": Path(path).name, "sha256": sha256(path), "basis": basis}


def is_simulated_path(path: Path) -> bool:
    return "simulated" in Path(path).name.lower()


def _read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """Read a CSV as strings: header and rows. Raises for a missing, empty or non-UTF-8 file."""
    path = Path(path)
    name = str(path)
    if not path.exists():
        raise DataValidationError([Problem(name, None, None, "file not found")])
    raw = path.read_bytes()
    if not raw.strip():
        raise DataValidationError([Problem(name, None, None, "the file is empty; expected a CSV with a header row")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataValidationError(
            [Problem(name, None, None, f"not UTF-8 encoded (byte 0x{raw[exc.start]:02x} on line {line}); "
                     "save the file as UTF-8 (in Excel: 'CSV UTF-8')")]
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        rows = [r for r in reader]
    except csv.Error as exc:
        raise DataValidationError([Problem(name, None, None, f"not a readable CSV: {exc}")]) from None
    header = [h.strip() for h in rows[0]]
    body = rows[1:]
    problems = []
    for i, r in enumerate(body, start=1):
        if len(r) != len(header) and any(x.strip() for x in r):
            problems.append(Problem(name, i, None, f"has {len(r)} fields but the header has {len(header)}"))
    if problems:
        raise DataValidationError(problems)
    body = [[x.strip() for x in r] for r in body if any(x.strip() for x in r)]
    if not body:
        raise DataValidationError([Problem(name, None, None, "has a header but no data rows")])
    return header, body


def _check_columns(name: str, header: list[str], required, optional=()) -> list[Problem]:
    problems = []
    allowed = list(required) + list(optional)
    seen = set()
    for col in header:
        if col in seen:
            problems.append(Problem(name, None, col, "column appears twice in the header"))
        seen.add(col)
        if col not in allowed:
            problems.append(Problem(name, None, col, f"unknown column{did_you_mean(col, allowed)}; accepted columns: {', '.join(allowed)}"))
    for col in required:
        if col not in header:
            problems.append(Problem(name, None, col, "required column is missing"))
    return problems


def _frame(header, body) -> pd.DataFrame:
    return pd.DataFrame(body, columns=header, dtype=object)


def _read_frame(path: Path, required, optional=(), *, check_pdus: bool = True) -> tuple[str, pd.DataFrame, list[Problem]]:
    """Read a CSV, refuse it at once if its columns are wrong, and start the problem list with its PDU names."""
    name = str(path)
    header, body = _read_table(path)
    problems = _check_columns(name, header, required, optional)
    if problems:
        raise DataValidationError(problems)
    df = _frame(header, body)
    if check_pdus:
        _check_pdus(name, df, problems)
    return name, df, problems


def _known_pdus() -> list[str]:
    path = data_dir() / PUBLISHED_OVERALL_FILE
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return [r["pdu"] for r in csv.DictReader(fh)]


def _check_pdus(name: str, df: pd.DataFrame, problems: list[Problem]) -> None:
    """PDU names: not blank, and not a near miss of a PDU we know ('Lambeth ' or 'Lambith')."""
    known = _known_pdus()
    norm_known = {re.sub(r"\s+", " ", k).strip().lower(): k for k in known}
    for i, value in enumerate(df["pdu"], start=1):
        if not value:
            problems.append(Problem(name, i, "pdu", "PDU name is blank"))
            continue
        if value in known:
            continue
        norm = re.sub(r"\s+", " ", value).strip().lower()
        if norm in norm_known:
            problems.append(Problem(name, i, "pdu", f"'{value}' differs from the known PDU '{norm_known[norm]}' only in case or spacing"))
            continue
        close = difflib.get_close_matches(value, known, n=1, cutoff=0.85)
        if close:
            problems.append(Problem(name, i, "pdu", f"'{value}' is not a known PDU (did you mean '{close[0]}'?)"))


def _resolve_standard(fw: Framework, value: str, name: str, row: int, problems, *, case_sample_only=False):
    try:
        std = fw.standard(value)
    except FrameworkError as exc:
        problems.append(Problem(name, row, "standard", str(exc)))
        return None
    if case_sample_only and not std.case_sample:
        accepted = ", ".join(s.id for s in fw.case_sample_standards)
        problems.append(Problem(name, row, "standard", f"{std.label()} is not rated from a case sample; accepted: {accepted}"))
        return None
    return std


def _parse_count(value: str, name: str, row: int, column: str, problems) -> int | None:
    if not re.fullmatch(r"\d+", value or ""):
        problems.append(Problem(name, row, column, f"'{value}' is not a count; accepted: a whole number 0, 1, 2, ..."))
        return None
    return int(value)


def _duplicate_problems(name: str, df: pd.DataFrame, keys: list[str], what: str) -> list[Problem]:
    problems = []
    first_row: dict[tuple, int] = {}
    for i, key in enumerate(zip(*(df[k] for k in keys), strict=True), start=1):
        if key in first_row:
            problems.append(Problem(name, i, None, f"duplicate {what} {key} (first given in row {first_row[key]})"))
        else:
            first_row[key] = i
    return problems


# --- Published ratings ------------------------------------------------------------------------------
def load_published(path: str | Path | None = None, *, framework: Framework | None = None) -> pd.DataFrame:
    """Published standard ratings: one row per pdu and standard.

    Columns: pdu, standard (id), standard_name, code, rating (ordered categorical; blank = unknown,
    NaN), basis (published / implied / blank), source, note. ``attrs["overall"]`` holds
    :func:`load_published_overall`.
    """
    fw = framework or default_framework()
    path = Path(path) if path else data_dir() / PUBLISHED_STANDARDS_FILE
    df = _load_standard_rating_table(path, fw, bases=("published", "implied"), require_source=True)
    df.attrs.update(simulated=False, basis="published", sources=[_source(path, "published")])
    overall_path = path.with_name(PUBLISHED_OVERALL_FILE)
    if overall_path.exists():
        df.attrs["overall"] = load_published_overall(overall_path)
    return df


def load_standard_ratings(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """A file of standard ratings (columns pdu, standard, rating; basis, source, note optional)."""
    fw = framework or default_framework()
    path = Path(path)
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    df = _load_standard_rating_table(path, fw, bases=("published", "implied", "simulated", "analyst-supplied"))
    df.attrs.update(simulated=basis == "simulated", basis=basis, sources=[_source(path, basis)])
    return df


def _load_standard_rating_table(path: Path, fw: Framework, *, bases, require_source=False) -> pd.DataFrame:
    required = ["pdu", "standard", "rating"] + (["basis", "source"] if require_source else [])
    optional = [c for c in ("basis", "source", "note", "region") if c not in required]
    name, df, problems = _read_frame(path, required, optional)
    for col in ("basis", "source", "note"):
        if col not in df:
            df[col] = ""
    std_ids, ratings = [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        std = _resolve_standard(fw, row.standard, name, i, problems)
        std_ids.append(std.id if std else None)
        if row.rating == "":
            ratings.append(None)
            if row.basis not in ("",):
                problems.append(Problem(name, i, "basis", f"basis '{row.basis}' is given for a blank (unknown) rating; leave it blank"))
        else:
            try:
                rating = Rating.parse(row.rating)
                ratings.append(rating.label)
            except RatingError as exc:
                problems.append(Problem(name, i, "rating", str(exc)))
                ratings.append(None)
                continue
            if std is not None and not std.rated:
                problems.append(Problem(name, i, "rating", f"{std.label()} is not rated in {fw.name}; leave the rating blank"))
            if row.basis not in bases and (require_source or row.basis):
                problems.append(Problem(name, i, "basis", f"'{row.basis}' is not a basis; accepted: {', '.join(bases)}"))
            if require_source and not row.source:
                problems.append(Problem(name, i, "source", "every published or implied rating needs its source"))
    df["standard"] = std_ids
    problems += _duplicate_problems(name, df, ["pdu", "standard"], "pdu and standard")
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
    required = ["pdu", "region", "overall_rating", "overall_rating_basis", "points", "points_basis",
                "max_points", "publication_date", "source"]
    name, df, problems = _read_frame(path, required, ["note"], check_pdus=False)
    if "note" not in df:
        df["note"] = ""
    ratings, points, max_points = [], [], []
    for i, row in enumerate(df.itertuples(index=False), start=1):
        try:
            ratings.append(Rating.parse(row.overall_rating).label)
        except RatingError as exc:
            problems.append(Problem(name, i, "overall_rating", str(exc)))
            ratings.append(None)
        mp = _parse_count(row.max_points, name, i, "max_points", problems)
        max_points.append(mp)
        if row.points == "":
            points.append(pd.NA)
            if row.points_basis:
                problems.append(Problem(name, i, "points_basis", "points are blank, so leave their basis blank"))
        else:
            p = _parse_count(row.points, name, i, "points", problems)
            if p is not None and mp is not None and p > mp:
                problems.append(Problem(name, i, "points", f"{p} is more than max_points {mp}"))
            points.append(p if p is not None else pd.NA)
            if row.points_basis not in ("published", "implied"):
                problems.append(Problem(name, i, "points_basis", f"'{row.points_basis}' is not a basis; accepted: published, implied"))
        if row.overall_rating_basis not in ("published", "implied"):
            problems.append(Problem(name, i, "overall_rating_basis", f"'{row.overall_rating_basis}' is not a basis; accepted: published, implied"))
        if not re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", row.publication_date):
            problems.append(Problem(name, i, "publication_date", f"'{row.publication_date}' is not a date; accepted: YYYY-MM-DD or YYYY-MM"))
        if not row.source:
            problems.append(Problem(name, i, "source", "every published value needs its source"))
    problems += _duplicate_problems(name, df, ["pdu"], "pdu")
    if problems:
        raise DataValidationError(problems)
    df["overall_rating"] = pd.Categorical(ratings, dtype=RATING_DTYPE)
    df["points"] = pd.array(points, dtype="Int64")
    df["max_points"] = pd.array(max_points, dtype="Int64")
    df.attrs.update(simulated=False, basis="published", sources=[_source(path, "published")])
    return df


def load_indicators(path: str | Path | None = None) -> pd.DataFrame:
    """Published regional indicators (e.g. London's 25% on risk of serious harm assessment)."""
    path = Path(path) if path else data_dir() / PUBLISHED_INDICATORS_FILE
    _, df, _ = _read_frame(path, ["region", "indicator", "value", "unit", "basis", "source"], ["note"], check_pdus=False)
    df["value"] = pd.to_numeric(df["value"])
    df.attrs.update(simulated=False, basis="published", sources=[_source(path, "published")])
    return df


# --- Case-level data --------------------------------------------------------------------------------
def case_columns(framework: Framework | None = None) -> list[str]:
    """The columns of a case-level file: case details, then one column per key question."""
    fw = framework or default_framework()
    return list(CASE_ID_COLUMNS) + [kq.qualified_id for kq in fw.key_questions]


def map_ethnicity(value: str) -> str | None:
    """An ONS top-level group for a top-level or detailed ONS category (None if unrecognised)."""
    return _ETHNICITY_LOOKUP.get(re.sub(r"\s+", " ", str(value)).strip().lower())


def _standard_applies(std, row: dict) -> bool:
    return all(row.get(field) in values for field, values in std.applies_to.items())


def load_cases(path: str | Path | None = None, *, framework: Framework | None = None) -> pd.DataFrame:
    """A case-level file: one row per case, one column per key question (wide layout).

    Answers become 'yes', 'no' or 'n/a' (categorical); ethnicity is mapped to the ONS top-level
    group (``ethnicity``) with the original kept in ``ethnicity_detail``. ``attrs["load_notes"]``
    says how many answers were not applicable and how many ethnicities were not recorded.
    """
    fw = framework or default_framework()
    path = Path(path) if path else data_dir() / SIMULATED_CASES_FILE
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    name, df, problems = _read_frame(path, list(CASE_ID_COLUMNS) + kq_cols)
    genders, sentences, roshs, groups = [], [], [], []
    for i, row in enumerate(df.to_dict("records"), start=1):
        if not row["case_id"]:
            problems.append(Problem(name, i, "case_id", "case id is blank"))
        g = row["gender"].lower()
        if g in ("m", "f"):
            g = {"m": "male", "f": "female"}[g]
        if g not in GENDERS:
            problems.append(Problem(name, i, "gender", f"'{row['gender']}' is not accepted; accepted: {', '.join(GENDERS)}"))
        genders.append(g)
        s = _SENTENCE_ALIASES.get(row["sentence_type"].lower())
        if s is None:
            problems.append(Problem(name, i, "sentence_type", f"'{row['sentence_type']}' is not accepted; accepted: community, licence (or post-custody)"))
        sentences.append(s)
        r = re.sub(r"[\s_-]+", " ", row["rosh"].lower()).strip()
        if r not in ROSH_LEVELS:
            problems.append(Problem(name, i, "rosh", f"'{row['rosh']}' is not a risk of serious harm level{did_you_mean(r, ROSH_LEVELS)}; accepted: {', '.join(ROSH_LEVELS)}"))
        roshs.append(r)
        grp = map_ethnicity(row["ethnicity"])
        if grp is None:
            problems.append(Problem(name, i, "ethnicity", f"'{row['ethnicity']}' is not an ONS ethnic group or category"
                                    f"{did_you_mean(row['ethnicity'], list(ONS_DETAILED) + list(ETHNIC_GROUPS))}; "
                                    f"accepted: the ONS top-level groups ({'; '.join(ETHNIC_GROUPS)}) or the 19 detailed ONS categories"))
        groups.append(grp)
    df["gender"], df["sentence_type"], df["rosh"] = genders, sentences, roshs
    answers: dict[str, list] = {c: [] for c in kq_cols}
    not_applicable_by_rule = 0
    for std in fw.case_sample_standards:
        for i, row in enumerate(df.to_dict("records"), start=1):
            applies = _standard_applies(std, row)
            for kq in std.key_questions:
                col = kq.qualified_id
                raw = row[col]
                ans = _ANSWER_ALIASES.get(raw.lower())
                if raw == "" and not applies:
                    ans = "n/a"
                    not_applicable_by_rule += 1
                elif ans is None:
                    problems.append(Problem(name, i, col, f"'{raw}' is not an answer; accepted: yes (sufficient), no (not sufficient), n/a (not applicable)"))
                elif ans != "n/a" and not applies:
                    rule = "; ".join(f"{k} in {list(v)}" for k, v in std.applies_to.items())
                    problems.append(Problem(name, i, col, f"answered '{raw}' but {std.name} does not apply to this case (it applies where {rule}); give n/a or leave blank"))
                answers[col].append(ans)
    problems += _duplicate_problems(name, df, ["pdu", "case_id"], "pdu and case_id")
    if problems:
        raise DataValidationError(problems)
    df["ethnicity_detail"] = df["ethnicity"]
    df["ethnicity"] = pd.Categorical(groups, dtype=ETHNICITY_DTYPE)
    df["rosh"] = pd.Categorical(df["rosh"], dtype=ROSH_DTYPE)
    for col in kq_cols:
        df[col] = pd.Categorical(answers[col], dtype=ANSWER_DTYPE)
    n_na = int(sum((df[c] == "n/a").sum() for c in kq_cols))
    notes = [f"{len(df)} cases loaded from {path.name} across {df['pdu'].nunique()} PDUs; no rows dropped."]
    notes.append(f"{n_na} key-question answers are n/a (not applicable) and are excluded from shares"
                 + (f" ({not_applicable_by_rule} of them left blank where the standard does not apply)." if not_applicable_by_rule else "."))
    n_nr = int((df["ethnicity"] == NOT_RECORDED).sum())
    notes.append(f"{n_nr} cases ({n_nr / len(df):.1%}) have ethnicity not recorded.")
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    df = df[["case_id", "pdu", "gender", "sentence_type", "rosh", "ethnicity", "ethnicity_detail", *kq_cols]]
    df.attrs.update(simulated=basis == "simulated", basis=basis, sources=[_source(path, basis)], load_notes=notes,
                    framework=fw.id)
    return df


def key_question_counts(cases: pd.DataFrame, *, by: list[str] | None = None, framework: Framework | None = None) -> pd.DataFrame:
    """Case level -> counts: pdu, [by...], standard, key_question, yes, no, not_applicable, n."""
    fw = framework or default_framework()
    by = ["pdu"] + [b for b in (by or []) if b != "pdu"]
    frames = []
    for kq in fw.key_questions:
        col = kq.qualified_id
        if col not in cases:
            continue
        answers = cases[col].astype(str)
        g = pd.DataFrame({**{b: cases[b] for b in by}, "yes": answers.eq("yes"), "no": answers.eq("no"),
                          "not_applicable": answers.eq("n/a")})
        agg = g.groupby(by, observed=True, sort=True)[["yes", "no", "not_applicable"]].sum().reset_index()
        agg.insert(len(by), "standard", kq.standard_id)
        agg.insert(len(by) + 1, "key_question", kq.id)
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    for c in ("yes", "no", "not_applicable"):
        out[c] = out[c].astype(int)
    out["n"] = out["yes"] + out["no"]
    out.attrs.update({k: v for k, v in cases.attrs.items() if k in ("simulated", "basis", "sources", "load_notes")})
    return out


# --- Aggregate counts ---------------------------------------------------------------------------------
def load_counts(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """An aggregate file: pdu, standard, key_question, yes, no (one row per pdu and key question)."""
    fw = framework or default_framework()
    path = Path(path)
    name, df, problems = _read_frame(path, ["pdu", "standard", "key_question", "yes", "no"], ["region", "not_applicable"])
    stds, kqs, yes, no = [], [], [], []
    for i, row in enumerate(df.to_dict("records"), start=1):
        std = _resolve_standard(fw, row["standard"], name, i, problems, case_sample_only=True)
        kq = None
        if std is not None:
            try:
                kq = std.key_question(row["key_question"]).id
            except FrameworkError as exc:
                problems.append(Problem(name, i, "key_question", str(exc)))
        stds.append(std.id if std else None)
        kqs.append(kq)
        y = _parse_count(row["yes"], name, i, "yes", problems)
        n = _parse_count(row["no"], name, i, "no", problems)
        if y is not None and n is not None and y + n == 0:
            problems.append(Problem(name, i, None, "yes + no is 0; a key question needs at least one case judged"))
        yes.append(y)
        no.append(n)
    df["standard"], df["key_question"], df["yes"], df["no"] = stds, kqs, yes, no
    problems += _duplicate_problems(name, df, ["pdu", "standard", "key_question"], "pdu, standard and key question")
    if problems:
        raise DataValidationError(problems)
    df["yes"] = df["yes"].astype(int)
    df["no"] = df["no"].astype(int)
    if "not_applicable" in df:
        df["not_applicable"] = [int(x) if x else 0 for x in df["not_applicable"]]
    df["n"] = df["yes"] + df["no"]
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    df.attrs.update(simulated=basis == "simulated", basis=basis, sources=[_source(path, basis)],
                    load_notes=[f"{len(df)} key-question rows loaded from {path.name}; no rows dropped."])
    return df


def file_kind(path: str | Path) -> str:
    """'cases', 'counts' or 'ratings', told apart by the header; otherwise a DataValidationError."""
    header, _ = _read_table(Path(path))
    if "case_id" in header:
        return "cases"
    if "key_question" in header:
        return "counts"
    if "rating" in header:
        return "ratings"
    raise DataValidationError([Problem(str(path), None, None,
        "not a recognised file: give key-question counts (columns pdu, standard, key_question, yes, no), "
        "standard ratings (columns pdu, standard, rating) or case-level records (with case_id)")])


def load_any_counts(path: str | Path, *, framework: Framework | None = None) -> pd.DataFrame:
    """Counts from either a case-level or an aggregate file, told apart by the header."""
    if file_kind(path) == "cases":
        return key_question_counts(load_cases(path, framework=framework), framework=framework)
    return load_counts(path, framework=framework)


def load_simulated_ratings(path: str | Path | None = None, *, framework: Framework | None = None) -> pd.DataFrame:
    """The full set of standard ratings behind the simulated sample (published, implied or simulated)."""
    return load_standard_ratings(Path(path) if path else data_dir() / SIMULATED_RATINGS_FILE, framework=framework)


def is_simulated(*objects) -> bool:
    """True if any of the loaded objects was built on simulated data."""
    return any(getattr(o, "attrs", {}).get("simulated", False) for o in objects)


def sources(*objects) -> list[dict]:
    """The files (with checksums) behind loaded objects, without repeats."""
    seen, out = set(), []
    for o in objects:
        for s in getattr(o, "attrs", {}).get("sources", []):
            if s["path"] not in seen:
                seen.add(s["path"])
                out.append(s)
    return out

"""Case-level files: one row per case, one column per key question (wide layout).

Each column has its own validator; :func:`load_cases` runs them all and reports every problem with
its file, row and column.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hmip.data.ethnicity import (
    ETHNIC_GROUPS,
    ETHNICITY_DTYPE,
    NOT_RECORDED,
    ONS_DETAILED,
    map_ethnicity,
)
from hmip.data.provenance import Provenance, carry, stamp
from hmip.data.validation import duplicate_problems, is_simulated_path, read_frame
from hmip.errors import DataValidationError, Problem
from hmip.paths import data_dir
from hmip.rules.framework import Framework, did_you_mean, framework_or_default

SIMULATED_CASES_FILE = "simulated_cases_london_2022.csv"


def _aliases(spellings: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """Each accepted spelling (lower case) -> the value it means, from value -> its spellings."""
    return {spelt: value for value, spelt_as in spellings.items() for spelt in spelt_as}


GENDERS = ("male", "female", "other")
_SENTENCE_ALIASES = _aliases(
    {
        "community": ("community", "community order"),
        "licence": (
            "licence",
            "license",
            "post-custody",
            "licence/post-custody",
            "licence or post-custody",
        ),
    }
)
ROSH_LEVELS = ("low", "medium", "high", "very high")
ROSH_DTYPE = pd.CategoricalDtype(list(ROSH_LEVELS), ordered=True)

ANSWERS = ("yes", "no", "n/a")
_ANSWER_ALIASES = _aliases(
    {
        "yes": ("yes", "y", "sufficient", "1", "true"),
        "no": ("no", "n", "not sufficient", "insufficient", "0", "false"),
        "n/a": ("n/a", "na", "not applicable"),
    }
)
ANSWER_DTYPE = pd.CategoricalDtype(list(ANSWERS))

CASE_ID_COLUMNS = ("case_id", "pdu", "gender", "sentence_type", "rosh", "ethnicity")


# --- One validator per case column: raw text -> (value, problem message or "") -----------------------
def validate_case_id(raw: str) -> tuple[str, str]:
    return raw, "" if raw else "case id is blank"


def validate_pdu(raw: str) -> tuple[str, str]:
    return raw, ""  # PDU names are checked against the known PDUs when the file is read


def validate_gender(raw: str) -> tuple[str, str]:
    g = {"m": "male", "f": "female"}.get(raw.lower(), raw.lower())
    return g, "" if g in GENDERS else f"'{raw}' is not accepted; accepted: {', '.join(GENDERS)}"


def validate_sentence_type(raw: str) -> tuple[str | None, str]:
    s = _SENTENCE_ALIASES.get(raw.lower())
    return (
        s,
        "" if s else f"'{raw}' is not accepted; accepted: community, licence (or post-custody)",
    )


def validate_rosh(raw: str) -> tuple[str, str]:
    r = re.sub(r"[\s_-]+", " ", raw.lower()).strip()
    if r in ROSH_LEVELS:
        return r, ""
    return r, (
        f"'{raw}' is not a risk of serious harm level{did_you_mean(r, ROSH_LEVELS)}; "
        f"accepted: {', '.join(ROSH_LEVELS)}"
    )


def validate_ethnicity(raw: str) -> tuple[str | None, str]:
    group = map_ethnicity(raw)
    if group is not None:
        return group, ""
    return None, (
        f"'{raw}' is not an ONS ethnic group or category"
        f"{did_you_mean(raw, list(ONS_DETAILED) + list(ETHNIC_GROUPS))}; "
        f"accepted: the ONS top-level groups ({'; '.join(ETHNIC_GROUPS)}) or the 19 detailed ONS categories"
    )


#: The validator of each case-detail column (key-question columns are checked by :func:`_answers`).
COLUMN_VALIDATORS = {
    "case_id": validate_case_id,
    "pdu": validate_pdu,
    "gender": validate_gender,
    "sentence_type": validate_sentence_type,
    "rosh": validate_rosh,
    "ethnicity": validate_ethnicity,
}


def validate_columns(df: pd.DataFrame, name: str, problems: list[Problem]) -> None:
    """Check and clean every column of :data:`COLUMN_VALIDATORS` in place, adding a problem per bad
    value. A validator is a function of the text alone, so each spelling is checked once."""
    for column, validate in COLUMN_VALIDATORS.items():
        values = []
        checked: dict[str, tuple] = {}
        for i, raw in enumerate(df[column], start=1):
            if raw not in checked:
                checked[raw] = validate(raw)
            value, message = checked[raw]
            if message:
                problems.append(Problem(name, i, column, message))
            values.append(value)
        df[column] = values


def case_columns(framework: Framework | None = None) -> list[str]:
    """The columns of a case-level file: case details, then one column per key question."""
    fw = framework_or_default(framework)
    return list(CASE_ID_COLUMNS) + [kq.qualified_id for kq in fw.key_questions]


def _answers(
    df: pd.DataFrame, fw: Framework, name: str, problems: list[Problem]
) -> tuple[dict[str, list], int]:
    """Validate every key-question column: yes / no / n/a, and n/a (or blank) where the standard does not apply.

    Problems come in the order standard, row, key question. Each distinct spelling is looked up once, and
    where a standard applies is worked out once per standard, not per answer (a national file has
    thousands of rows)."""
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    answers: dict[str, list] = {c: [] for c in kq_cols}
    not_applicable_by_rule = 0
    columns = {
        c: df[c].tolist()
        for c in {*kq_cols, *(f for s in fw.case_sample_standards for f in s.applies_to)}
    }
    spelt: dict[str, str | None] = {}
    for std in fw.case_sample_standards:
        applies = [True] * len(df)
        for field, values in std.applies_to.items():
            applies = [a and v in values for a, v in zip(applies, columns[field], strict=True)]
        found: list[tuple[int, int, Problem]] = []
        rule = "; ".join(f"{k} in {list(v)}" for k, v in std.applies_to.items())
        for k, kq in enumerate(std.key_questions):
            col = kq.qualified_id
            out = answers[col]
            for i, (raw, applies_here) in enumerate(
                zip(columns[col], applies, strict=True), start=1
            ):
                if raw not in spelt:
                    spelt[raw] = _ANSWER_ALIASES.get(raw.lower())
                ans = spelt[raw]
                if raw == "" and not applies_here:
                    ans = "n/a"
                    not_applicable_by_rule += 1
                elif ans is None:
                    message = f"'{raw}' is not an answer; accepted: yes (sufficient), no (not sufficient), n/a (not applicable)"
                    found.append((i, k, Problem(name, i, col, message)))
                elif ans != "n/a" and not applies_here:
                    message = (
                        f"answered '{raw}' but {std.name} does not apply to this case (it applies where "
                        f"{rule}); give n/a or leave blank"
                    )
                    found.append((i, k, Problem(name, i, col, message)))
                out.append(ans)
        problems.extend(p for _, _, p in sorted(found, key=lambda x: x[:2]))
    return answers, not_applicable_by_rule


def load_cases(
    path: str | Path | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """A case-level file: one row per case, one column per key question (wide layout).

    Answers become 'yes', 'no' or 'n/a' (categorical); ethnicity is mapped to the ONS top-level
    group (``ethnicity``) with the original kept in ``ethnicity_detail``. The provenance's load notes
    say how many answers were not applicable and how many ethnicities were not recorded.
    """
    fw = framework_or_default(framework)
    path = Path(path) if path else data_dir() / SIMULATED_CASES_FILE
    kq_cols = [kq.qualified_id for kq in fw.key_questions]
    name, df, problems = read_frame(path, list(CASE_ID_COLUMNS) + kq_cols)
    df["ethnicity_detail"] = df["ethnicity"]
    validate_columns(df, name, problems)
    groups = df["ethnicity"].tolist()
    answers, not_applicable_by_rule = _answers(df, fw, name, problems)
    problems += duplicate_problems(name, df, ["pdu", "case_id"], "pdu and case_id")
    if problems:
        raise DataValidationError(problems)
    df["ethnicity"] = pd.Categorical(groups, dtype=ETHNICITY_DTYPE)
    df["rosh"] = pd.Categorical(df["rosh"], dtype=ROSH_DTYPE)
    for col in kq_cols:
        df[col] = pd.Categorical(answers[col], dtype=ANSWER_DTYPE)
    n_na = int(sum((df[c] == "n/a").sum() for c in kq_cols))
    notes = [
        f"{len(df)} cases loaded from {path.name} across {df['pdu'].nunique()} PDUs; no rows dropped."
    ]
    notes.append(
        f"{n_na} key-question answers are n/a (not applicable) and are excluded from shares"
        + (
            f" ({not_applicable_by_rule} of them left blank where the standard does not apply)."
            if not_applicable_by_rule
            else "."
        )
    )
    n_nr = int((df["ethnicity"] == NOT_RECORDED).sum())
    notes.append(f"{n_nr} cases ({n_nr / len(df):.1%}) have ethnicity not recorded.")
    basis = "simulated" if is_simulated_path(path) else "analyst-supplied"
    df = df[
        [
            "case_id",
            "pdu",
            "gender",
            "sentence_type",
            "rosh",
            "ethnicity",
            "ethnicity_detail",
            *kq_cols,
        ]
    ]
    stamp(df, Provenance.of_file(path, basis, load_notes=notes))
    return df


def key_question_counts(
    cases: pd.DataFrame, *, by: list[str] | None = None, framework: Framework | None = None
) -> pd.DataFrame:
    """Case level -> counts: pdu, [by...], standard, key_question, yes, no, not_applicable, n."""
    fw = framework_or_default(framework)
    by = ["pdu"] + [b for b in (by or []) if b != "pdu"]
    frames = []
    for kq in fw.key_questions:
        col = kq.qualified_id
        if col not in cases:
            continue
        answers = cases[col].astype(str)
        g = pd.DataFrame(
            {
                **{b: cases[b] for b in by},
                "yes": answers.eq("yes"),
                "no": answers.eq("no"),
                "not_applicable": answers.eq("n/a"),
            }
        )
        agg = (
            g.groupby(by, observed=True, sort=True)[["yes", "no", "not_applicable"]]
            .sum()
            .reset_index()
        )
        agg.insert(len(by), "standard", kq.standard_id)
        agg.insert(len(by) + 1, "key_question", kq.id)
        frames.append(agg)
    out = pd.concat(frames, ignore_index=True)
    for c in ("yes", "no", "not_applicable"):
        out[c] = out[c].astype(int)
    out["n"] = out["yes"] + out["no"]
    carry(out, cases)
    return out

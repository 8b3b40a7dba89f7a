"""The pack's data: a workbook built with gptables, the same tables as CSV, and a data dictionary.

The workbook follows the Analysis Function's "Releasing statistics in spreadsheets": a cover sheet
(title, source, data basis, disclosure rule, date), a contents sheet and a notes sheet, then one
table per sheet, each marked up as an Excel table with a header row; no merged cells; ratings as
words; no blank cells (``[x]`` stands for "not published or not available", never zero; protected
counts show the disclosure marker).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd

from hmip.analyses.scrutiny_pack import NA, TABLE_SPECS, ScrutinyPack, data_dictionary
from hmip.build import names
from hmip.textsafe import WORKBOOK_OPTIONS, write_csv


def notes_table(pack: ScrutinyPack) -> pd.DataFrame:
    notes = [
        (
            "not_available",
            f"{NA} means not published by HMIP, or not available from the data given. It never "
            "means zero.",
        ),
        (
            "implied",
            "Implied: the value is not published directly but follows from published values "
            "(for example, 0 of 27 points means every standard was rated Inadequate).",
        ),
        ("disclosure", f"Disclosure rule for counts of people: {pack.disclosure}"),
        (
            "sample",
            "Built on the case sample: "
            + (
                "SIMULATED data made to agree with HMIP's published ratings. Not real case data."
                if pack.simulated
                else "the analyst-supplied file named on the cover sheet."
            ),
        ),
        (
            "audits",
            "The audit tables (Audits, Audit change, Rated now) come from the PDU's own case audits: "
            + (
                "a SIMULATED example series made to show the method, NOT the PDU's results. "
                if _audits_simulated(pack)
                else "the analyst-supplied file named on the cover sheet. "
            )
            + "Their counts are of audited cases, not of people by a personal characteristic, so "
            "they are shown unrounded, as the inspection's counts are.",
        ),
        (
            "progress",
            "Progress statuses come from the progress file named on the cover sheet, if any; "
            "the shipped example file is ILLUSTRATIVE, not real progress.",
        ),
    ]
    return pd.DataFrame(notes, columns=["Note reference", "Note text"])


#: Which notes each table's title refers to.
TABLE_NOTES = {
    "overall": ("not_available", "implied"),
    "ratings": ("not_available", "implied", "sample"),
    "key_questions": ("sample",),
    "firmness": ("sample",),
    "position": ("sample",),
    "equality": ("disclosure", "sample", "not_available"),
    "recommendations": ("progress", "not_available"),
    "national": ("not_available", "implied"),
    "stated": ("not_available",),
    "audits": ("audits", "not_available"),
    "audit_change": ("audits", "sample"),
    "audit_now": ("audits",),
}

#: The tables built on the PDU's own case audits (marked SIMULATED in their titles when they are).
AUDIT_TABLES = ("audits", "audit_change", "audit_now")


def _audits_simulated(pack: ScrutinyPack) -> bool:
    return any(p.since is not None and p.since.audits_simulated for p in pack.pages)


def _cover(pack: ScrutinyPack):
    import gptables as gpt

    about = [
        [{"bold": True}, "What the figures are built on"],
        *pack.data_basis,
        [{"bold": True}, "Disclosure control"],
        pack.disclosure,
        [{"bold": True}, "Blank cells and symbols"],
        f"There are no blank cells. {NA} means not published or not available, never zero. Ratings "
        "are given as words (Inadequate, Requires improvement, Good, Outstanding) with their letters "
        "(I, RI, G, O) in a separate column.",
        [{"bold": True}, "Built"],
        pack.built_on,
        [{"bold": True}, "Files used"],
        *[f"{s['name']} ({s['basis']}), SHA-256 {s['sha256'][:16]}" for s in pack.sources],
    ]
    intro = [
        f"HM Inspectorate of Probation (HMIP) ratings of Probation Delivery Units in {pack.region}, "
        f"inspection year {pack.year}: the data behind the scrutiny pack.",
        "Source: HMIP press releases (Oct and Nov 2022) and the Lewisham and Bromley PDU presentation "
        "to the Safer Bromley Partnership Board (Jan 2023); the case sample as described below.",
    ]
    if pack.simulated:
        intro.insert(
            0,
            "SIMULATED CASE DATA: the key-question counts, firmness, position and equality tables are "
            "built on a simulated case sample. They are not evidence about any real PDU.",
        )
    if _audits_simulated(pack):
        intro.insert(
            1 if pack.simulated else 0,
            "SIMULATED AUDITS: the Audits, Audit change and Rated now tables are built on a "
            "simulated example series of the PDU's own case audits. They are not the PDU's results.",
        )
    return gpt.Cover(title=pack.title + ": data", intro=intro, about=about)


def write_workbook(pack: ScrutinyPack, path: Path) -> Path:
    import gptables as gpt

    sheets = {}
    for key, table in pack.tables.items():
        sheet, title, scope, _ = TABLE_SPECS[key]
        refs = "".join(f"$${n}$$" for n in TABLE_NOTES.get(key, ()))
        if key in AUDIT_TABLES and _audits_simulated(pack):
            title = f"SIMULATED example audits: {title[:1].lower()}{title[1:]}"
        sheets[sheet] = gpt.GPTable(
            table=table.reset_index(drop=True),
            table_name=f"{key}_table",
            title=f"{title}{refs}",
            scope=scope,
            source="the PDU's case audits and the case sample named on the cover sheet"
            if key in AUDIT_TABLES
            else "HMIP (published ratings); the case sample named on the cover sheet",
            index_columns={2: 0},
        )
    for key, table in pack.tables.items():
        blank = table.isna() | table.astype(str).apply(lambda c: c.str.strip() == "")
        if blank.to_numpy().any():
            raise ValueError(f"table {key} has blank cells; say why a value is missing instead")
    tmp = path.with_name(f".{path.name}.tmp.xlsx")
    with warnings.catch_warnings():
        # a note that only a table left out of this workbook refers to is still listed
        warnings.filterwarnings("ignore", message="The following notes are not referenced")
        # gptables' own use of pandas APIs that pandas is deprecating: not ours to fix here
        warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"gptables")
        warnings.filterwarnings("ignore", category=FutureWarning, module=r"gptables")
        gpt.write_workbook(
            filename=str(tmp),
            sheets=sheets,
            cover=_cover(pack),
            notes_table=notes_table(pack),
            contentsheet_options={"additional_elements": ["subtitles", "scope"]},
            workbook_options=WORKBOOK_OPTIONS,  # text stays text: never a formula or a link
        )
    os.replace(tmp, path)
    return path


def write_csvs(pack: ScrutinyPack, out_dir: Path) -> list[Path]:
    """One CSV per table, and the data dictionary, named scrutiny-data-<region>-<table>.csv."""
    paths = []
    for key, table in pack.tables.items():
        path = out_dir / names.csv_name(pack.region, key)
        _write_csv(table, path)
        paths.append(path)
    path = out_dir / names.data_dictionary_name(pack.region)
    dictionary = data_dictionary(pack.tables)
    files = pd.DataFrame(
        {
            "Table": [TABLE_SPECS[k][0] for k in pack.tables],
            "Column": "(file)",
            "Meaning": [
                f"{names.csv_name(pack.region, k)}: {TABLE_SPECS[k][1]}. {TABLE_SPECS[k][2]}"
                for k in pack.tables
            ],
        }
    )
    _write_csv(pd.concat([files, dictionary], ignore_index=True), path)
    return paths + [path]


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    write_csv(table, tmp)  # formula-like text quoted (data/README.md)
    os.replace(tmp, path)


def write_data(pack: ScrutinyPack, out_dir: Path) -> list[Path]:
    """scrutiny-data-<region>.xlsx, the CSVs and the data dictionary."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = write_workbook(pack, out_dir / names.workbook_name(pack.region))
    return [workbook, *write_csvs(pack, out_dir)]

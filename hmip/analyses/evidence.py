"""What HMIP found, in words a page can lead with: sourced statements about a PDU, its group and its
region, and the shares HMIP stated beside the framework's band thresholds.

Built on :mod:`hmip.data.findings` (``published_findings.csv``: one row per statement, each with its
level, source and date). Used by the scrutiny pack's PDU page and by the sample-size report, so both
say the same thing:

- :func:`hmip_found` - up to ``limit`` statements for a PDU's page: what HMIP (or a news source
  reporting HMIP) said about this PDU first, then about the PDUs reported with it, then region-wide
  figures, each marked with what it is about ("This PDU", "London-wide") and its short source
  ("HMIP, 18 Oct 2022"). A council's minutes record what the PDU told councillors,
  not what HMIP found, so they are never listed here.
- :func:`stated_shares` - every share of cases HMIP states as sufficient on a key question, with the
  band that share falls in on the framework's thresholds (for the workbook and national context).

Every string is plain text; the pack and the notebook escape it when they show it.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hmip.analyses.words import band_ranges, date_words, join_words
from hmip.errors import FrameworkError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import band

#: Publishers named in the sources, by web host (the address's host or its parent domain).
PUBLISHERS = {
    "justiceinspectorates.gov.uk": "HMIP",
    "workwithoffenders.co.uk": "Work with Offenders",
    "reflectivepractice.info": "Police Oracle",
    "bbc.co.uk": "BBC",
    "bbci.co.uk": "BBC",
    "russellwebster.com": "Russell Webster",
    "lincsonline.co.uk": "Lincolnshire Online",
    "hellorayo.co.uk": "Rayo (Greatest Hits Radio)",
    "keighleynews.co.uk": "Keighley News",
    "bedfordtoday.co.uk": "Bedford Today",
    "kentonline.co.uk": "KentOnline",
}

#: Order within a level: figures and HMIP's own words first; a stated overall rating (which the page's
#: header already shows) last.
_KIND_ORDER = {"figure": 0, "quote": 1, "paraphrase": 2, "rating": 3}
#: A paraphrase that states neither a figure nor a rating (e.g. what a report page links) comes last.
_PLAIN_PARAPHRASE = 4
_LEVEL_ORDER = {"pdu": 0, "group": 1, "regional": 2, "national": 3}


@dataclass(frozen=True)
class Finding:
    """One statement HMIP published, as a page shows it (plain text)."""

    level: str  # pdu, group, regional, national
    about: str  # "This PDU", "This PDU and 2 others reported together", "London-wide", "England and Wales"
    text: str  # a quote in quotation marks, otherwise the source's sentence (a close paraphrase)
    source: str  # short: publisher and date, "secondary: " first where not HMIP itself
    address: str  # the first source address (without its scheme)
    kind: str  # quote, paraphrase, figure, rating
    figure: float | None = None
    unit: str = ""

    @property
    def line(self) -> str:
        """'London-wide: Only 25 per cent of cases ... (HMIP, Nov 2022)'."""
        return f"{self.about}: {self.text} ({self.source})"


def _host(address: str) -> str:
    return address.split("/", 1)[0].lower()


def publisher(address: str) -> str:
    """The publisher of a source address: a known name, else its host without 'www.'."""
    host = _host(address)
    for known, name in PUBLISHERS.items():
        if host == known or host.endswith("." + known):
            return name
    return host.removeprefix("www.")


def is_council_record(address: str) -> bool:
    """A council's own site (minutes, committee papers): what the PDU told councillors, not HMIP's
    finding. Council hosts end .gov.uk; HMIP's is justiceinspectorates.gov.uk."""
    host = _host(address)
    return host.endswith(".gov.uk") and publisher(address) != "HMIP"


def short_source(row) -> str:
    """'HMIP, 18 Oct 2022'; 'secondary: Work with Offenders, Nov 2022' (publisher and date)."""
    first = row["source"].split(";")[0].strip()
    who = publisher(first)
    value = row["published"]
    when = (value if len(value) == 4 else date_words(value)) if value else "date not stored"
    secondary = "secondary: " if row["source_kind"] == "secondary" else ""
    return f"{secondary}{who}, {when}"


def _about(row, pdu: str, region: str) -> str:
    if row["level"] == "pdu":
        return "This PDU"
    if row["level"] == "group":
        others = [p.strip() for p in row["pdu"].split(";") if p.strip() and p.strip() != pdu]
        n = len(others)
        return f"This PDU and {n} other{'s' if n != 1 else ''} reported together"
    if row["level"] == "regional":
        return f"{row['region'] or region}-wide"
    return "England and Wales"


def _text(row) -> str:
    text = str(row["text"]).strip()
    if row["kind"] == "quote":
        return f"\u201c{text.rstrip('.')}.\u201d"
    return text if text.endswith((".", "!", "?")) else text + "."


def _kind_order(row) -> int:
    plain = row["kind"] == "paraphrase" and pd.isna(row["figure"]) and not row["rating"]
    return _PLAIN_PARAPHRASE if plain else _KIND_ORDER[row["kind"]]


def _is_hmip_finding(row) -> bool:
    return not any(is_council_record(a.strip()) for a in row["source"].split(";") if a.strip())


def _merge_figures(records: list[dict]) -> list[dict]:
    """Consecutive figure rows of one level, source, date and note that say the same sentence with
    different figures become one row: "... was missing 33% of its senior probation officers, 32% of
    its probation officers and 52% of its probation service officers." Nothing is reworded: the
    shared opening is kept once and the rest of each sentence is joined."""
    out: list[dict] = []
    for r in records:
        prev = out[-1] if out else None
        same = prev is not None and all(
            prev[k] == r[k] for k in ("level", "kind", "source", "published", "note", "pdu")
        )
        if same and r["kind"] == "figure":
            first = prev.get("_parts") or [prev["text"].rstrip(".")]
            words = [t.split() for t in [*first, r["text"].rstrip(".")]]
            n = 0
            while all(len(w) > n and w[n] == words[0][n] for w in words):
                n += 1
            if n >= 4:
                head = " ".join(words[0][:n])
                tails = [" ".join(w[n:]) for w in words]
                merged = dict(prev, _parts=[*first, r["text"].rstrip(".")])
                merged["text"] = f"{head} " + join_words(tails) + "."
                merged["figure"] = float("nan")
                out[-1] = merged
                continue
        out.append(r)
    return out


def _restates_overall(r: dict) -> bool:
    return r["kind"] == "rating" and not r["standard"]


def hmip_found(
    pdu: str,
    limit: int = 6,
    *,
    regional_at_least: int = 2,
    fill_with_regional: bool = True,
    skip_overall_rating: bool = False,
    findings: pd.DataFrame | None = None,
) -> list[Finding]:
    """Up to ``limit`` statements of what HMIP found, for ``pdu``'s page, in the order a page shows them.

    This PDU's own statements first (figures and HMIP's words before a restated overall rating),
    then those about the PDUs reported with it, then its region's (figures first). At least
    ``regional_at_least`` region-wide statements are kept where there are that many, so every page
    carries the region's figures; the PDU's own statements fill the rest (and, with
    ``fill_with_regional``, more region-wide ones fill what they leave). Figures one source gives in
    the same sentence are joined into one statement. With ``skip_overall_rating``, a restated overall
    rating is left out where the PDU has other statements (a page whose header shows it). Rows from a
    council's minutes (what the PDU told councillors) are left out: they are not HMIP's findings.
    """
    from hmip.analyses import cache
    from hmip.data.findings import findings_for

    if limit < 1:
        return []
    rows = findings_for(pdu, findings if findings is not None else cache.findings())
    rows = rows[[_is_hmip_finding(r) for r in rows.to_dict("records")]]
    records = rows.to_dict("records")
    region = next((r["region"] for r in records if r["region"]), "")
    keyed = sorted(
        enumerate(records),
        key=lambda ir: (_LEVEL_ORDER[ir[1]["level"]], _kind_order(ir[1]), ir[0]),
    )
    own = _merge_figures([r for _, r in keyed if r["level"] in ("pdu", "group")])
    if skip_overall_rating and any(not _restates_overall(r) for r in own):
        own = [r for r in own if not _restates_overall(r)]
    wide = _merge_figures([r for _, r in keyed if r["level"] in ("regional", "national")])
    fill = limit - len(own) if fill_with_regional else 0
    n_wide = min(len(wide), max(regional_at_least, fill), limit)
    chosen = own[: limit - n_wide] + wide[:n_wide]
    out = []
    for r in chosen:
        figure = None if pd.isna(r["figure"]) else float(r["figure"])
        out.append(
            Finding(
                level=r["level"],
                about=_about(r, pdu, region),
                text=_text(r),
                source=short_source(r),
                address=r["source"].split(";")[0].strip(),
                kind=r["kind"],
                figure=figure,
                unit=r["unit"],
            )
        )
    return out


#: The heading and note every report shows above :func:`hmip_found`'s statements.
FOUND_HEADING = "What HMIP found"
FOUND_NOTE = (
    "Published by HMIP (or a named source reporting it), each with its source and date: real, not "
    "simulated. A London-wide figure is about the region's inspected cases, not this PDU alone."
)


def findings_file() -> pd.DataFrame:
    """The findings file as loaded (its provenance names the file and its checksum), for a report's
    list of files used; loaded and checked once per build (:func:`hmip.analyses.cache.findings`)."""
    from hmip.analyses import cache

    return cache.findings()


def found_lines(pdu: str, limit: int = 4) -> list[str]:
    """:func:`hmip_found` as plain lines (at most four by default, so a report's main points still
    start on its first printed page), or one line saying none is held for this PDU."""
    found = hmip_found(pdu, limit)
    if not found:
        return [f"No statement HMIP published about {pdu} is held in published_findings.csv."]
    return [f.line for f in found]


# --- Shares HMIP stated, beside the band thresholds ----------------------------------------------
def stated_shares(
    findings: pd.DataFrame | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """Every share of cases HMIP (or a source reporting it) states as sufficient on a key question:
    figure rows in percent that name a key question. One row each, with the band the share falls in on
    the framework's thresholds (a share's band, not a published rating), and whether the finding was
    made under that framework (revised-programme shares are banded on the same thresholds for
    reference only).

    Columns: about (PDU, PDUs or region), level, framework, text, percent, standard, key_question,
    band, same_framework (bool), published, source (short), address.
    """
    from hmip.analyses import cache

    fw = framework_or_default(framework)
    df = findings if findings is not None else cache.findings()
    rows = df[(df["kind"] == "figure") & (df["unit"] == "percent") & (df["key_question"] != "")]
    out = []
    for r in rows.to_dict("records"):
        about = r["pdu"] or r["region"] or "England and Wales"
        if r["level"] == "regional":
            about = f"{r['region']} region"
        out.append(
            {
                "about": about,
                "level": r["level"],
                "framework": r["framework"],
                "text": _text(r),
                "percent": float(r["figure"]),
                "standard": r["standard"],
                "key_question": r["key_question"],
                "band": band(float(r["figure"]) / 100, framework=fw).label,
                "same_framework": r["framework"] == fw.id,
                "published": r["published"],
                "source": short_source(r),
                "address": r["source"].split(";")[0].strip(),
            }
        )
    return pd.DataFrame(
        out,
        columns=[
            "about",
            "level",
            "framework",
            "text",
            "percent",
            "standard",
            "key_question",
            "band",
            "same_framework",
            "published",
            "source",
            "address",
        ],
    )


def thresholds_text(framework: Framework | None = None) -> str:
    """'below 50% Inadequate; 50 to 64% Requires improvement; 65 to 79% Good; 80% or more Outstanding'."""
    return "; ".join(f"{text} {r.label}" for r, text in band_ranges(framework))


#: Blank or not applicable in a reader-facing table (as the workbook's other tables).
_NA = "[x]"


#: The columns of :func:`stated_shares_table` a report page shows (the workbook keeps them all): the
#: full table's eleven columns are too narrow to read on an A4 page.
PAGE_COLUMNS = (
    "About",
    "What was stated",
    "Share stated (%)",
    "Key question",
    "Band on the thresholds",
    "Published",
)


def stated_shares_page(table: pd.DataFrame) -> pd.DataFrame:
    """The columns of a stated-shares table that fit a printed page; the workbook has the rest
    (framework, band basis, full source)."""
    return table.loc[:, list(PAGE_COLUMNS)]


def stated_shares_table(
    findings: pd.DataFrame | None = None, *, framework: Framework | None = None
) -> pd.DataFrame:
    """:func:`stated_shares` with reader-facing columns, no blank cells: the workbook's sheet of HMIP's
    stated shares and the London comparison's national context show this table."""
    fw = framework_or_default(framework)
    df = stated_shares(findings, framework=fw)
    level = {"pdu": "PDU", "group": "PDUs", "regional": "region", "national": "England and Wales"}

    def standard_name(row) -> str:
        if not row["standard"]:
            return "not named"
        try:
            return fw.standard(row["standard"]).name
        except FrameworkError:  # a revised-programme standard: not in this framework file
            return row["standard"].replace("_", " ").capitalize()

    first = fw.case_sample_standards[0]
    themes = {k.id: k.short for k in first.key_questions}
    return pd.DataFrame(
        {
            "About": df["about"],
            "Level": [level[v] for v in df["level"]],
            "Framework": [
                "2021-2023" if f == fw.id else "revised (from late 2023)" for f in df["framework"]
            ],
            "What was stated": df["text"],
            "Share stated (%)": [int(v) if float(v).is_integer() else v for v in df["percent"]],
            "Standard": [standard_name(r) for r in df.to_dict("records")],
            "Key question": [themes.get(k, k) for k in df["key_question"]],
            "Band on the thresholds": df["band"],
            "Band basis": [
                "the finding's own framework"
                if same
                else "for reference only: no bands are published for the revised programme here"
                for same in df["same_framework"]
            ],
            "Published": [v or "not stored" for v in df["published"]],
            "Source": [f"{s}; {a}" for s, a in zip(df["source"], df["address"], strict=True)],
        }
    ).fillna(_NA)

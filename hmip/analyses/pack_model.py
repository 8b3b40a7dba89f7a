"""The scrutiny pack's content, as plain data: one :class:`PduPage` per PDU and the :class:`ScrutinyPack`.

Everything a reader sees is plain text or numbers here; :mod:`hmip.analyses.pack_sections` fills the
pages and :mod:`hmip.analyses.scrutiny_pack` the pack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import ClassVar

import pandas as pd

from hmip.analyses.london_comparison import ComparisonData
from hmip.analyses.words import NOT_PUBLISHED, firmness_words, percent, rating_words

PAPERS = ("A4", "A3")

#: The measure the PDUs are placed on: assessment of keeping other people safe, the measure HMIP
#: published for London as a whole (25% of inspected cases satisfactory on risk of serious harm).
POSITION_MEASURE = "assessment.safety"

#: The disproportionality headline: HMIP's recommendation 6 to Lewisham and Bromley concerns "the
#: quality of service delivery", so the headline is the key question on delivery that engages the
#: person on probation.
EQUALITY_MEASURE = "implementation_and_delivery.engagement"

#: The gap (in share judged sufficient) a committee would want to be able to detect, for "what sample
#: would be needed": 15 percentage points.
GAP_THAT_MATTERS = 0.15

#: How figures from a simulated sample are marked, next to each figure or at its column heading.
SIM_TAG = "SIM"

SIMULATED_WARNING = (
    "SIMULATED CASE DATA: figures marked SIM come from a simulated sample made to agree with HMIP's "
    "published ratings, not from this PDU's real cases. HMIP's ratings, points and dates are real."
)


@dataclass(frozen=True)
class StandardLine:
    """One of the nine rated standards on a PDU page."""

    standard: str  # id
    code: str
    name: str
    rating: str  # HMIP's published rating label, or NOT_PUBLISHED
    basis: str  # "published", "implied" or "" (not published)
    case_sample: bool
    sample_rating: str | None = None  # the rating the case sample gives (None: no case data)
    limiting: str | None = None  # the key question that set the band (short theme)
    limiting_yes: int | None = None
    limiting_n: int | None = None
    next_rating: str | None = None  # the band above the sample's rating (None at Outstanding)
    more_needed: int | None = None  # more sufficient cases on the limiting key question alone
    #: THE "more sufficient cases for the next band" figure the pack prints (table and workbook): more
    #: sufficient judgements added up over every key question below the next band
    more_needed_total: int | None = None
    p_same: float | None = None  # chance a fresh sample gives the same rating
    simulated: bool = False

    @property
    def limiting_share(self) -> float | None:
        if self.limiting_yes is None or not self.limiting_n:
            return None
        return self.limiting_yes / self.limiting_n

    @property
    def firmness_text(self) -> str:
        if not self.case_sample:
            return "not from cases"
        if self.p_same is None:
            return "not available"
        return f"{percent(self.p_same)}: {firmness_words(self.p_same)}"


@dataclass(frozen=True)
class Position:
    """Where the PDU stands among the region's inspected PDUs."""

    published: str  # from HMIP's published overall ratings (real)
    measure: str
    text: str  # the rank and its range, in words ("" when not available)
    rank: int | None = None
    of: int | None = None
    rank_lower: int | None = None
    rank_upper: int | None = None
    yes: int | None = None
    n: int | None = None
    simulated: bool = False
    national: str = ""  # "Nationally: ..." from the published national ratings (real)


@dataclass(frozen=True)
class EqualityHeadline:
    """Ethnic minority against White people on probation: share of cases judged sufficient."""

    measure: str
    status: str  # "difference", "no clear difference", "too few to say", "not available"
    text: str
    minority_share: float | None = None
    white_share: float | None = None
    minority_n: object = None  # protected count (int or the marker)
    white_n: object = None
    minority_yes: object = None
    white_yes: object = None
    difference: float | None = None
    lower: float | None = None
    upper: float | None = None
    needed_per_group: int | None = None
    simulated: bool = False


@dataclass(frozen=True)
class RecommendationLine:
    number: int
    text: str
    source: str
    status: str | None = None  # on track / at risk / off track; None where no progress is given
    status_letter: str | None = None
    action: str = ""
    evidence: str = ""
    date: str = ""


@dataclass(frozen=True)
class SinceSection:
    """ "Since the inspection" on the page of a PDU with case audits: the verdict of the PDU's own
    audits against the inspection, in two short lines (or one line where the page is short of room),
    and one small chart: the overall rating at the inspection and the chance of each if HMIP inspected
    a fresh sample now. Built by :func:`hmip.analyses.pack_since.since_section`."""

    about: str  # which audits: "the PDU's own audits of the last 12 months (80 cases)"
    verdict: str  # what changed, key question by key question, in words
    now: str  # "If HMIP inspected 42 cases now, ..." (plain words)
    short: str  # the verdict in one line, for a page short of room
    now_short: str  # "If HMIP inspected 42 cases now: most likely ..." in one line
    published: str  # HMIP's overall rating at the inspection (real)
    chances: list  # (rating label, chance) of each overall rating if inspected now, worst first
    fresh_n: int  # cases in the fresh inspection sample
    simulated: bool  # the audits (or the inspection sample compared with) are simulated
    audits_simulated: bool  # the audits themselves are the simulated example series
    audits: pd.DataFrame  # each audit's counts and share with interval, per key question
    change: pd.DataFrame  # the change since the inspection, per key question
    level: float
    sources: tuple = ()  # the audit files read (name, basis, SHA-256)

    @property
    def chart_text(self) -> str:
        """The chart in words (its accessible name and the HTML's alternative)."""
        now = ", ".join(
            f"{rating_words(label)} {percent(p)}" for label, p in self.chances if p >= 0.005
        )
        return (
            f"Overall rating. At the inspection, published: {rating_words(self.published)}. If HMIP "
            f"inspected {self.fresh_n} cases now, the chance of each rating: {now}."
        )


@dataclass(frozen=True)
class Question:
    text: str
    simulated: bool = False


@dataclass
class PduPage:
    """Everything one PDU's page shows, in the order the page shows it."""

    pdu: str
    region: str
    inspected: str  # year of inspection, or NOT_PUBLISHED
    published_on: str  # publication date in words, or NOT_PUBLISHED
    overall: str  # HMIP's overall rating label, or NOT_PUBLISHED
    overall_basis: str
    points: int | None
    max_points: int | None
    points_basis: str
    cases: int | None  # cases in the sample (None: no case data)
    simulated: bool  # any figure on the page comes from a simulated sample
    standards: list[StandardLine]
    overall_sample_rating: str | None
    overall_p_same: float | None
    overall_firmness: str
    position: Position
    equality: EqualityHeadline
    recommendations: list[RecommendationLine]
    recommendations_note: str
    progress_basis: str | None  # "illustrative example", "analyst-supplied", or None (no file)
    questions: list[Question]
    held_back: str  # one line for the region at a glance
    notes: list[str] = field(default_factory=list)
    #: What HMIP found, first on the page (real, sourced: hmip.analyses.evidence.hmip_found)
    findings: list = field(default_factory=list)
    #: The "somewhere in the middle" claim tested (hmip.analyses.national.middle_claim_text), on the
    #: page of the PDU it was made about; the London comparison shows the same paragraphs
    claim: list[str] = field(default_factory=list)
    #: "Since the inspection", from the PDU's own case audits; None where there are none
    since: SinceSection | None = None

    @property
    def points_text(self) -> str:
        if self.points is None:
            if self.overall == NOT_PUBLISHED:
                return "points not published"
            return f"points not published (out of {self.max_points})"
        implied = " (implied)" if self.points_basis == "implied" else ""
        return f"{self.points} of {self.max_points} points{implied}"


@dataclass
class ScrutinyPack:
    """Everything the pack shows: cover facts, the region at a glance, one page per PDU, methods."""

    region: str
    year: str
    built_on: str
    paper: str
    simulated: bool
    data_basis: list[str]
    disclosure: str
    pages: list[PduPage]
    how_to_read: list[tuple[str, str]]
    methods: list[tuple[str, str]]
    glossary: list[tuple[str, str]]
    tables: dict[str, pd.DataFrame]
    sources: list[dict]
    parameters: dict
    region_facts: list[str] = field(default_factory=list)  # published region-wide figures (real)

    #: The report contract (:class:`hmip.analyses.contract.ReportResult`): ``parameters``,
    #: ``simulated`` and ``sources`` are fields here; the pack is listed under its region.
    index_group: ClassVar[str] = "region"

    def main_points(self) -> list[str]:
        """The region at a glance: one line per PDU."""
        return [f"{p.pdu}: {p.held_back}" for p in self.pages]

    def methods_used(self) -> list[str]:
        return [f"{heading}: {text}" for heading, text in self.methods]

    @property
    def title(self) -> str:
        return f"Probation inspection scrutiny pack: {self.region}, {self.year}"

    @property
    def standard_columns(self) -> list[tuple[str, str]]:
        """(code, name) of the nine rated standards, in framework order."""
        return [(s.code, s.name) for s in self.pages[0].standards] if self.pages else []


@dataclass
class PackInputs:
    region: str
    data: ComparisonData
    published_overall: pd.DataFrame  # every region
    pdus: list[str]
    recommendations: pd.DataFrame
    progress: pd.DataFrame | None
    level: float
    draws: int
    seed: int
    disclosure: object
    position_measure: tuple[str, str]
    equality_measure: tuple[str, str]
    paper: str
    built_on: date
    parameters: dict
    #: the case audits behind "Since the inspection": a file or folder, None for the bundled
    #: simulated example series; ``audit_pdus`` the PDUs they hold (empty: no section)
    audits_path: str | None = None
    audit_pdus: tuple = ()
    audits_simulated: bool = False

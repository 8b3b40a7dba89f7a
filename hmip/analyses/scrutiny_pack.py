"""The scrutiny pack: what it computes and what it says, one standard page per PDU.

Council scrutiny committees asked for "a readily available pack of data that could be used as a
basis for scrutiny", in a standard template, RAG rated with letters. :func:`prepare` loads and
validates the data and returns one :class:`ScrutinyPack`: the cover facts, one :class:`PduPage` per
PDU (the same sections in the same order on every page), the methods and glossary, and the tables
of the data workbook. Everything a reader sees is plain text here; :mod:`hmip.build.pack` and
:mod:`hmip.build.workbook` only lay it out (and escape it).

Figures built on the case sample carry ``simulated=True`` when the sample is simulated, so the page
can mark them; HMIP's published ratings, points and dates are real and never marked.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from hmip.analyses.london_comparison import ComparisonData, load_comparison
from hmip.analyses.params import check_choice, check_level, check_path, check_positive_int
from hmip.analyses.sample_size import judgement_ratings
from hmip.data import loaders as d
from hmip.data.recommendations import load_progress, load_recommendations
from hmip.errors import FrameworkError, ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating, min_yes_for
from hmip.rules.tables import overall_for_pdu
from hmip.stats import DEFAULT_SEED
from hmip.stats.disclosure import MARKER, DisclosureRule, get_rule, protected_share
from hmip.stats.disproportionality import MINORITY, group_counts, make_grouping
from hmip.stats.funnel import rank_uncertainty
from hmip.stats.intervals import newcombe_difference, proportion_interval
from hmip.stats.sampling import overall_distribution, standard_rating_distribution

NOT_PUBLISHED = "Not published"
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

#: The firmness words and the lowest chance each applies from.
FIRMNESS_WORDS = (
    (0.90, "firm"),
    (0.67, "fairly firm"),
    (0.33, "could easily change"),
    (0.0, "likely to change"),
)

#: How figures from a simulated sample are marked, next to each figure or at its column heading.
SIM_TAG = "SIM"
SIMULATED_WARNING = (
    "SIMULATED CASE DATA: figures marked SIM come from a simulated sample made to agree with HMIP's "
    "published ratings, not from this PDU's real cases. HMIP's ratings, points and dates are real."
)


# --- Words ----------------------------------------------------------------------------------------
def rating_words(label: str | None) -> str:
    """'Requires improvement (RI)'; 'Not published' for a missing rating."""
    if label is None or (isinstance(label, float) and math.isnan(label)) or label == NOT_PUBLISHED:
        return NOT_PUBLISHED.lower()
    r = Rating.parse(label)
    return f"{r.label} ({r.code})"


def percent(x: float | None, *, digits: int = 0) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "not available"
    return f"{100 * x:.{digits}f}%"


def chance_in_100(p: float) -> str:
    """'about 96 in 100', with 'more than 99' and 'fewer than 1' at the ends."""
    if p > 0.995:
        return "more than 99 in 100"
    if p < 0.005:
        return "fewer than 1 in 100"
    return f"about {round(100 * p)} in 100"


def chance_short(p: float) -> str:
    """'96 in 100', 'over 99 in 100', 'under 1 in 100'."""
    if p > 0.995:
        return "over 99 in 100"
    if p < 0.005:
        return "under 1 in 100"
    return f"{round(100 * p)} in 100"


def firmness_words(p: float) -> str:
    for lowest, words in FIRMNESS_WORDS:
        if p >= lowest:
            return words
    return FIRMNESS_WORDS[-1][1]  # pragma: no cover


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def cases_needed_per_group(
    p_reference: float, gap: float = GAP_THAT_MATTERS, *, power: float = 0.8, alpha: float = 0.05
) -> int:
    """Cases needed in EACH group to detect a shortfall of ``gap`` below ``p_reference`` with ``power``
    (two-sided test at ``alpha``; normal approximation on the arcsine scale, statsmodels)."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    p_ref = min(max(float(p_reference), gap + 0.01), 0.99)
    effect = abs(proportion_effectsize(p_ref, p_ref - gap))
    n = NormalIndPower().solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
    return int(math.ceil(n))


# --- One PDU page ---------------------------------------------------------------------------------
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
    more_needed: int | None = None  # more sufficient cases on the limiting key question
    more_needed_total: int | None = None  # ... on every key question below the next band
    p_same: float | None = None  # chance a fresh sample gives the same rating
    simulated: bool = False

    @property
    def limiting_share(self) -> float | None:
        if self.limiting_yes is None or not self.limiting_n:
            return None
        return self.limiting_yes / self.limiting_n

    @property
    def limiting_text(self) -> str:
        if not self.case_sample:
            return "judged by inspectors, not from the case sample"
        if self.limiting is None:
            return "not available: no case data for this PDU"
        return f"{self.limiting}: {self.limiting_yes} of {self.limiting_n} ({percent(self.limiting_share)})"

    @property
    def next_band_text(self) -> str:
        if not self.case_sample:
            return "not from cases"
        if self.sample_rating is None:
            return "not available"
        if self.next_rating is None:
            return "already the top band"
        text = f"{self.more_needed} more for {rating_words(self.next_rating)}"
        if self.more_needed_total and self.more_needed_total != self.more_needed:
            text += f" ({self.more_needed_total} across all its questions)"
        return text

    @property
    def firmness_text(self) -> str:
        if not self.case_sample:
            return "not from cases"
        if self.p_same is None:
            return "not available"
        return f"{chance_short(self.p_same)}: {firmness_words(self.p_same)}"


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

    @property
    def progress_text(self) -> str:
        if self.status is None:
            return "no progress reported"
        evidence = self.evidence or "no evidence given"
        return f"{self.action}. Evidence: {evidence} ({self.date})"


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

    @property
    def title(self) -> str:
        return f"Probation inspection scrutiny pack: {self.region}, {self.year}"

    @property
    def standard_columns(self) -> list[tuple[str, str]]:
        """(code, name) of the nine rated standards, in framework order."""
        return [(s.code, s.name) for s in self.pages[0].standards] if self.pages else []


# --- Inputs -------------------------------------------------------------------------------------------
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


def _measure(fw: Framework, name: str, parameter: str) -> tuple[str, str]:
    try:
        std, kq = name.split(".")
        q = fw.key_question(std, kq)
    except (ValueError, FrameworkError) as exc:
        raise ParameterError(
            f"parameter {parameter} = {name!r} is not a key question; give standard.key_question, "
            f"e.g. {POSITION_MEASURE} ({exc})"
        ) from None
    return q.standard_id, q.id


def load_inputs(
    *,
    region: str = "London",
    cases_path: str = "",
    counts_path: str = "",
    progress_path: str = "",
    recommendations_path: str = "",
    paper: str = "A4",
    confidence: float = 0.95,
    draws: int = 10000,
    seed: int = DEFAULT_SEED,
    disclosure: str = "nhs",
    position_measure: str = POSITION_MEASURE,
    equality_measure: str = EQUALITY_MEASURE,
    built_on: date | None = None,
    framework: Framework | None = None,
) -> PackInputs:
    """Validate the pack's parameters and load every input, with readable errors."""
    fw = framework_or_default(framework)
    check_choice("paper", paper, PAPERS)
    level = check_level("confidence", confidence)
    check_positive_int("draws", draws, minimum=1000)
    check_choice("disclosure", disclosure, ("nhs", "none"))
    rule = get_rule(disclosure)
    data = load_comparison(region, cases_path=cases_path, counts_path=counts_path, framework=fw)
    overall_all = d.load_published_overall()
    in_region = data.overall["pdu"].tolist()
    elsewhere = set(overall_all["pdu"]) - set(in_region)
    extra = [
        p for p in dict.fromkeys(data.counts["pdu"]) if p not in in_region and p not in elsewhere
    ]
    recs = load_recommendations(check_path("recommendations_path", recommendations_path))
    progress_file = check_path("progress_path", progress_path)
    progress = load_progress(progress_file, recs) if progress_file else None
    params = dict(
        region=region,
        paper=paper,
        cases_path=cases_path or ("" if counts_path else "(bundled simulated sample)"),
        counts_path=counts_path,
        progress_path=progress_path or "(none)",
        confidence=confidence,
        draws=draws,
        seed=seed,
        disclosure=disclosure,
    )
    return PackInputs(
        region=region,
        data=data,
        published_overall=overall_all,
        pdus=in_region + extra,
        recommendations=recs,
        progress=progress,
        level=level,
        draws=draws,
        seed=seed,
        disclosure=rule,
        position_measure=_measure(fw, position_measure, "position_measure"),
        equality_measure=_measure(fw, equality_measure, "equality_measure"),
        paper=paper,
        built_on=built_on or date.today(),
        parameters={k: v for k, v in params.items() if v != ""},
    )


# --- Sections of a page ----------------------------------------------------------------------------
def date_words(value: str) -> str:
    """'2022-10-18' -> '18 Oct 2022'; '2022-11' -> 'Nov 2022'."""
    if not value:
        return NOT_PUBLISHED.lower()
    parts = value.split("-")
    months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
    month = months[int(parts[1]) - 1]
    return f"{int(parts[2])} {month} {parts[0]}" if len(parts) == 3 else f"{month} {parts[0]}"


def standard_lines(
    inp: PackInputs, pdu: str, dists: dict, *, framework: Framework | None = None
) -> list[StandardLine]:
    """The nine rated standards: HMIP's rating, and for case-sample standards what the sample shows."""
    fw = framework_or_default(framework)
    data = inp.data
    published = data.published[data.published["pdu"] == pdu].set_index("standard")
    counts = data.counts[(data.counts["pdu"] == pdu) & (data.counts["n"] > 0)]
    rated = data.case_ratings[data.case_ratings["pdu"] == pdu].set_index("standard")
    simulated = d.is_simulated(data.counts)
    out = []
    for s in fw.rated_standards:
        if s.id in published.index and pd.notna(published.loc[s.id, "rating"]):
            label, basis = str(published.loc[s.id, "rating"]), str(published.loc[s.id, "basis"])
        else:
            label, basis = NOT_PUBLISHED, ""
        line = dict(
            standard=s.id,
            code=s.code,
            name=s.name,
            rating=label,
            basis=basis,
            case_sample=s.case_sample,
        )
        if s.case_sample and s.id in rated.index and pd.notna(rated.loc[s.id, "rating"]):
            r = rated.loc[s.id]
            sample = Rating.parse(r["rating"])
            kq = fw.key_question(s.id, r["limiting"])
            line.update(
                sample_rating=sample.label,
                limiting=kq.short,
                limiting_yes=int(r["limiting_yes"]),
                limiting_n=int(r["limiting_n"]),
                simulated=simulated,
            )
            if sample < Rating.OUTSTANDING:
                target = Rating(sample + 1)
                g = counts[counts["standard"] == s.id]
                need = {
                    q.key_question: max(min_yes_for(target, int(q.n), framework=fw) - int(q.yes), 0)
                    for q in g.itertuples()
                }
                line.update(
                    next_rating=target.label,
                    more_needed=need.get(r["limiting"], 0),
                    more_needed_total=sum(need.values()),
                )
            if s.id in dists:
                line["p_same"] = _probability(dists[s.id], sample)
        out.append(StandardLine(**line))
    return out


def _probability(table: pd.DataFrame, rating: Rating) -> float:
    """The probability of ``rating`` in a rating table (columns rating, probability)."""
    wanted = Rating.parse(rating)
    return float(
        table.loc[[Rating.parse(r) == wanted for r in table["rating"]], "probability"].sum()
    )


def sample_distributions(inp: PackInputs, pdu: str, *, framework: Framework | None = None) -> dict:
    """Each case-sample standard's rating distribution in a fresh sample of the same size."""
    fw = framework_or_default(framework)
    data = inp.data
    counts = data.counts[data.counts["pdu"] == pdu]
    if counts.empty:
        return {}
    cases = None if data.cases is None else data.cases[data.cases["pdu"] == pdu]
    out = {}
    for i, s in enumerate(fw.case_sample_standards):
        g = counts[counts["standard"] == s.id]
        if g.empty or int(g["n"].sum()) == 0:
            continue
        out[s.id] = standard_rating_distribution(
            cases,
            s.id,
            pdu=pdu,
            counts=counts,
            correlated=cases is not None,
            kind="resample",
            draws=inp.draws,
            seed=inp.seed + i,
            framework=fw,
        )
    return out


def overall_firmness(
    inp: PackInputs, pdu: str, dists: dict, *, framework: Framework | None = None
) -> tuple[str | None, float | None, str]:
    """(the overall rating the data give, the chance a fresh sample gives it again, words)."""
    fw = framework_or_default(framework)
    if not dists:
        return None, None, "not available: no case data for this PDU"
    res = overall_for_pdu(inp.data.ratings, pdu, framework=fw)
    judgement = judgement_ratings(inp.data.ratings, pdu, framework=fw)
    if isinstance(res, str) or any(v is None for v in judgement.values()):
        return (
            None,
            None,
            "not available: the inspectors' ratings of the four organisational standards are not "
            "known for this PDU, so the overall rating cannot be recomputed",
        )
    if len(dists) < len(fw.case_sample_standards):
        return res.rating.label, None, "not available: a case-sample standard has no cases"
    p = _probability(overall_distribution(dists, judgement, framework=fw).overall, res.rating)
    n = inp.data.cases_per_pdu.get(pdu)
    return (
        res.rating.label,
        p,
        f"a new sample of {n} cases would give {rating_words(res.rating.label)} again "
        f"{chance_short(p)} times: {firmness_words(p)}.",
    )


def position(inp: PackInputs, pdu: str, ranks: pd.DataFrame | None) -> Position:
    """The published standing (real) and the rank on the position measure with its range."""
    fw = framework_or_default()
    overall = inp.data.overall
    n_region = len(overall)
    std, kq = inp.position_measure
    measure = f"{fw.standard(std).name}, {fw.key_question(std, kq).short}"
    row = overall[overall["pdu"] == pdu]
    if row.empty or pd.isna(row["overall_rating"].iloc[0]):
        published = (
            f"HMIP's rating of this PDU is not published; {n_region} {inp.region} PDUs have "
            "published ratings."
        )
    else:
        label = str(row["overall_rating"].iloc[0])
        same = int((overall["overall_rating"] == label).sum())
        others = Counter(str(x) for x in overall["overall_rating"] if str(x) != label)
        rest = "; ".join(f"{k} {rating_words(r)}" for r, k in others.items())
        published = (
            f"One of {same} of the {n_region} inspected {inp.region} PDUs rated {rating_words(label)}"
            + (f"; the others: {rest}." if rest else ".")
        )
    national = national_line(pdu)
    if ranks is None or pdu not in set(ranks["pdu"]):
        return Position(published, measure, "", national=national)
    r = ranks[ranks["pdu"] == pdu].iloc[0]
    of = len(ranks)
    lo, hi = int(r["rank_lower"]), int(r["rank_upper"])
    yes, n = int(round(r["share"] * r["n"])), int(r["n"])
    tied = int((ranks["rank"] == r["rank"]).sum()) > 1
    spread = (
        f"it could be anywhere from {ordinal(lo)} to {ordinal(hi)}"
        if lo != hi
        else f"its position, {ordinal(lo)}, is clear"
    )
    text = (
        f"{measure}: {yes} of {n} ({percent(yes / n)}) sufficient, "
        f"{'joint ' if tied else ''}{ordinal(int(r['rank']))} of {of} (1st = highest). "
        f"With samples this size {spread}."
    )
    return Position(
        published,
        measure,
        text,
        rank=int(r["rank"]),
        of=of,
        rank_lower=lo,
        rank_upper=hi,
        yes=yes,
        n=n,
        simulated=d.is_simulated(inp.data.counts),
        national=national,
    )


def national_line(pdu: str, framework: str = "pdu-2021") -> str:
    """ "Nationally: 20th of 36 ..." from the published national ratings (the same range as the London
    report's national context), or "" where the PDU is not in the national table."""
    from hmip.analyses.national import rank_range
    from hmip.data.national import load_national_ratings
    from hmip.stats.national import national_position

    ratings = load_national_ratings()
    if pdu not in set(ratings.loc[ratings["framework"] == framework, "pdu"]):
        return ""
    pos = national_position(ratings, pdu, framework)
    lower = "none" if pos.n_rated_lower == 0 else str(pos.n_rated_lower)
    return (
        f"Nationally: {rank_range(pos)} PDUs rated in 2021-2023 by points "
        f"({pos.n_rated_higher} rated higher, {lower} lower)."
    )


def equality_headline(
    inp: PackInputs, pdu: str, *, framework: Framework | None = None
) -> EqualityHeadline:
    """Minority vs White share judged sufficient on the equality measure, protected by the disclosure rule.

    Counts of people are rounded (or suppressed) by the rule first; the shares, their difference and
    its Newcombe interval are computed from the ROUNDED counts, so nothing shown can be unpicked.
    "Too few to say" where any count behind the comparison is 1-7 people (suppressed)."""
    fw = framework_or_default(framework)
    std, kq = inp.equality_measure
    q = fw.key_question(std, kq)
    measure = f"{fw.standard(std).name}: {q.short}"
    data = inp.data
    simulated = d.is_simulated(data.counts)
    cases = None if data.cases is None else data.cases[data.cases["pdu"] == pdu]
    if cases is None or cases.empty:
        why = (
            "the data given are counts without ethnicity"
            if data.cases is None and (data.counts["pdu"] == pdu).any()
            else "no case data for this PDU"
        )
        return EqualityHeadline(measure, "not available", f"Not available: {why}.")
    grouping = make_grouping("binary")
    counts = group_counts(cases, grouping, standards=[std], key_questions=[kq], framework=fw)
    by_group = counts.set_index("group")
    white = grouping.reference

    def get(group: str) -> tuple[int, int]:
        if group in by_group.index:
            return int(by_group.loc[group, "yes"]), int(by_group.loc[group, "n"])
        return 0, 0

    (ym, nm), (yw, nw) = get(MINORITY), get(white)
    rule = inp.disclosure
    ry, rn, share, suppressed = protected_share([ym, yw], [nm, nw], rule)
    marker = rule.marker or MARKER

    def shown(v: float, s: bool) -> str | int:
        return marker if s and np.isnan(v) else int(v)

    # The sample needed rests on the PDU's share on this question over ALL its cases (an inspection
    # count, not a count of people by ethnicity), so it cannot reveal a protected count.
    everyone = data.counts[
        (data.counts["pdu"] == pdu)
        & (data.counts["standard"] == std)
        & (data.counts["key_question"] == kq)
    ]
    p_all = float(everyone["yes"].sum() / everyone["n"].sum()) if everyone["n"].sum() else 0.5
    needed = cases_needed_per_group(p_all if 0 < p_all < 1 else 0.5)
    base = dict(measure=measure, simulated=simulated, needed_per_group=needed)
    if nm == 0 or nw == 0:
        return EqualityHeadline(
            status="too few to say",
            text=(
                f"Too few to say: the sample has no {'ethnic minority' if nm == 0 else 'White'} people "
                f"judged on this question. About {needed} cases in each group would be needed to detect "
                f"a gap of {round(100 * GAP_THAT_MATTERS)} points."
            ),
            **base,
        )
    counts_shown = dict(
        minority_n=shown(rn[0], suppressed[0]),
        white_n=shown(rn[1], suppressed[1]),
        minority_yes=shown(ry[0], suppressed[0]),
        white_yes=shown(ry[1], suppressed[1]),
    )
    if suppressed.any():
        return EqualityHeadline(
            status="too few to say",
            text=(
                f"Too few to say: some counts are of {rule.threshold} people or fewer, which the "
                f"disclosure rule hides. About {needed} cases in each group would be needed to detect "
                f"a {round(100 * GAP_THAT_MATTERS)}-point gap."
            ),
            **counts_shown,
            **base,
        )
    iy, inn = int(ry[0]), int(rn[0])
    wy, wn = int(ry[1]), int(rn[1])
    nc = newcombe_difference(iy, inn, wy, wn, level=inp.level).iloc[0]
    diff, lo, hi = nc["estimate"], nc["lower"], nc["upper"]
    pm, pw = iy / inn, wy / wn
    about = "about " if rule.active else ""
    shares = (
        f"ethnic minority {percent(pm)} of {about}{inn} cases; White {percent(pw)} of {about}{wn}"
    )
    interval = f"{100 * inp.level:g}% interval {100 * lo:+.0f} to {100 * hi:+.0f} points"
    if lo > 0 or hi < 0:
        direction = "less" if diff < 0 else "more"
        status = "difference"
        text = (
            f"Cases of ethnic minority people were judged sufficient {direction} often: {shares} "
            f"(difference {100 * diff:+.0f} points, {interval})."
        )
    else:
        status = "no clear difference"
        text = (
            f"No clear difference: {shares} (difference {100 * diff:+.0f} points, {interval}, which "
            f"includes no difference). About {needed} cases in each group would be needed to detect a "
            f"gap of {round(100 * GAP_THAT_MATTERS)} points."
        )
    return EqualityHeadline(
        status=status,
        text=text,
        minority_share=pm,
        white_share=pw,
        difference=diff,
        lower=lo,
        upper=hi,
        **counts_shown,
        **base,
    )


def recommendation_lines(inp: PackInputs, pdu: str) -> tuple[list[RecommendationLine], str]:
    recs = inp.recommendations[inp.recommendations["pdu"] == pdu].sort_values("number")
    if recs.empty:
        return [], (
            "Not held in this pack: HMIP's inspection report lists this PDU's recommendations, but "
            "they have not yet been recorded here with their source."
        )
    progress = {}
    if inp.progress is not None:
        progress = {
            int(r.recommendation): r for r in inp.progress[inp.progress["pdu"] == pdu].itertuples()
        }
    lines = []
    for r in recs.itertuples():
        p = progress.get(int(r.number))
        lines.append(
            RecommendationLine(
                number=int(r.number),
                text=r.recommendation,
                source=r.source,
                status=None if p is None else p.status,
                status_letter=None if p is None else p.status_letter,
                action="" if p is None else p.action,
                evidence="" if p is None else p.evidence,
                date="" if p is None else p.date,
            )
        )
    if inp.progress is None:
        note = "No progress file was given, so progress is not shown."
    elif inp.progress.attrs.get("example"):
        note = "Progress shown is an ILLUSTRATIVE EXAMPLE (invented), not the PDU's real progress."
    else:
        note = f"Progress as reported in {inp.progress.attrs['sources'][0]['name']}."
    return lines, note


def questions(page_figures: dict) -> list[Question]:
    """Three questions a member could ask, from this page's own figures: the weakest key question,
    the firmness, and the disproportionality result."""
    out = []
    weakest: StandardLine | None = page_figures["weakest"]
    pdu = page_figures["pdu"]
    if weakest is not None:
        more = (
            f" {weakest.more_needed} more on this question would lift it to "
            f"{rating_words(weakest.next_rating)}."
            if weakest.next_rating
            else ""
        )
        out.append(
            Question(
                f"Only {weakest.limiting_yes} of {weakest.limiting_n} cases "
                f"({percent(weakest.limiting_share)}) were sufficient on {weakest.limiting} in "
                f"{weakest.name.lower()}.{more} What is changing, and how will the committee see it?",
                weakest.simulated,
            )
        )
    else:
        out.append(
            Question(
                f"The key-question results behind {pdu}'s ratings are not in this pack. Will the PDU "
                "share its inspection results for each key question?"
            )
        )
    shaky: StandardLine | None = page_figures["shakiest"]
    p_overall = page_figures["overall_p_same"]
    if shaky is not None and shaky.p_same is not None and shaky.p_same < 0.67:
        out.append(
            Question(
                f"{shaky.name}'s rating would come out the same in only {chance_short(shaky.p_same)} "
                "fresh samples: it sits near a band boundary. What does the PDU's own case audit "
                f"show for {shaky.name.lower()}?",
                shaky.simulated,
            )
        )
    elif p_overall is not None:
        luck = (
            "so it is not down to the luck of the sample"
            if p_overall >= 0.9
            else "so most, not all, fresh samples would agree"
        )
        out.append(
            Question(
                f"A fresh sample would give the same overall rating {chance_in_100(p_overall)} times, "
                f"{luck}. Which findings does the PDU accept, and what is the plan for the weakest?",
                page_figures["simulated"],
            )
        )
    else:
        out.append(
            Question(
                "How firm are these ratings? The pack cannot say without the case sample: how many "
                "cases did each key question rest on?"
            )
        )
    eq: EqualityHeadline = page_figures["equality"]
    if eq.status == "difference" and eq.difference is not None and eq.difference < 0:
        out.append(
            Question(
                f"On {eq.measure.lower()}, ethnic minority people's cases were judged sufficient less "
                f"often ({percent(eq.minority_share)} against {percent(eq.white_share)} for White "
                "people). What explains the gap, and what is being done?",
                eq.simulated,
            )
        )
    elif eq.status in ("too few to say", "no clear difference"):
        out.append(
            Question(
                "The sample is too small to show whether work differs for ethnic minority people "
                f"(about {eq.needed_per_group} cases in each group would be needed). What does the "
                "PDU's own management information show?",
                eq.simulated,
            )
        )
    else:
        out.append(
            Question(
                "Is the quality of work the same for people from ethnic minority backgrounds as for "
                "White people on probation? What management information does the PDU hold on this?"
            )
        )
    return out


def held_back(lines: list[StandardLine], simulated: bool) -> tuple[str, StandardLine | None]:
    """One line: how many standards are Inadequate (published) and the weakest key question."""
    published = [s for s in lines if s.rating != NOT_PUBLISHED]
    parts = []
    if published:
        worst = min(Rating.parse(s.rating) for s in published)
        k = sum(Rating.parse(s.rating) == worst for s in published)
        parts.append(
            f"{k} of {len(published)} published standard ratings are {rating_words(worst.label)}"
            + (
                f" ({len(lines) - len(published)} not published)"
                if len(published) < len(lines)
                else ""
            )
        )
    else:
        parts.append("no standard ratings published")
    sampled = [s for s in lines if s.limiting_share is not None]
    weakest = min(sampled, key=lambda s: (s.limiting_share, s.code)) if sampled else None
    if weakest is not None:
        parts.append(
            f"weakest question in the case sample: {weakest.name.lower()}, {weakest.limiting}, "
            f"{weakest.limiting_yes} of {weakest.limiting_n}"
        )
    else:
        parts.append("no case data")
    return "; ".join(parts) + ".", weakest


def pdu_page(
    inp: PackInputs, pdu: str, ranks: pd.DataFrame | None, *, framework: Framework | None = None
) -> PduPage:
    fw = framework_or_default(framework)
    data = inp.data
    dists = sample_distributions(inp, pdu, framework=fw)
    lines = standard_lines(inp, pdu, dists, framework=fw)
    overall_label, p_overall, firm_text = overall_firmness(inp, pdu, dists, framework=fw)
    row = data.overall[data.overall["pdu"] == pdu]
    has_cases = bool((data.counts["pdu"] == pdu).any())
    simulated = has_cases and d.is_simulated(data.counts)
    if row.empty:
        region, inspected, published_on = inp.region, NOT_PUBLISHED, NOT_PUBLISHED
        overall, overall_basis, points, max_points, points_basis = NOT_PUBLISHED, "", None, None, ""
        notes = [
            f"{pdu} is in the case file given but not among HMIP's published {inp.region} PDUs."
        ]
    else:
        r = row.iloc[0]
        region = r["region"]
        published_on = date_words(r["publication_date"])
        inspected = r["publication_date"][:4]
        overall = str(r["overall_rating"]) if pd.notna(r["overall_rating"]) else NOT_PUBLISHED
        overall_basis = r["overall_rating_basis"]
        points = None if pd.isna(r["points"]) else int(r["points"])
        max_points = int(r["max_points"])
        points_basis = r["points_basis"]
        notes = []
    pos = position(inp, pdu, ranks)
    eq = equality_headline(inp, pdu, framework=fw)
    recs, recs_note = recommendation_lines(inp, pdu)
    line, weakest = held_back(lines, simulated)
    sampled = [s for s in lines if s.p_same is not None]
    shakiest = min(sampled, key=lambda s: s.p_same) if sampled else None
    qs = questions(
        dict(
            pdu=pdu,
            weakest=weakest,
            shakiest=shakiest,
            overall_p_same=p_overall,
            equality=eq,
            simulated=simulated,
        )
    )
    return PduPage(
        pdu=pdu,
        region=region,
        inspected=inspected,
        published_on=published_on,
        overall=overall,
        overall_basis=overall_basis,
        points=points,
        max_points=max_points,
        points_basis=points_basis,
        cases=int(data.cases_per_pdu[pdu]) if pdu in data.cases_per_pdu.index else None,
        simulated=simulated,
        standards=lines,
        overall_sample_rating=overall_label,
        overall_p_same=p_overall,
        overall_firmness=firm_text,
        position=pos,
        equality=eq,
        recommendations=recs,
        recommendations_note=recs_note,
        progress_basis=None if inp.progress is None else inp.progress.attrs["basis"],
        questions=qs,
        held_back=line,
        notes=notes,
    )


def region_ranks(inp: PackInputs) -> pd.DataFrame | None:
    """Rank ranges on the position measure for the region's PDUs with case data (at least two)."""
    std, kq = inp.position_measure
    c = inp.data.counts
    sub = c[
        (c["standard"] == std) & (c["key_question"] == kq) & (c["n"] > 0) & c["pdu"].isin(inp.pdus)
    ].reset_index(drop=True)
    if len(sub) < 2:
        return None
    return rank_uncertainty(sub, level=inp.level, seed=inp.seed)


# --- Methods, glossary, how to read -------------------------------------------------------------------
def how_to_read(simulated: bool) -> list[tuple[str, str]]:
    out = [
        (
            "Header",
            "The PDU, when it was inspected and when HMIP published the report, its overall rating "
            "and its points out of the maximum.",
        ),
        (
            "The nine standards",
            "HMIP's rating of each standard as a coloured badge with its letter and word. For the "
            "five standards rated from the case sample: the key question that set the rating (its "
            "lowest), how many more sufficient cases would have reached the next band, and how firm "
            "the rating is.",
        ),
        (
            "How firm",
            "The chance that a fresh sample of the same size would give the same rating: firm (90 in "
            "100 or more), fairly firm (67 to 89), could easily change (33 to 66), likely to change.",
        ),
        (
            "Position",
            "Where the PDU stands among the region's inspected PDUs, with the range of positions the "
            "sample allows.",
        ),
        (
            "Equality",
            "Cases of people from ethnic minority backgrounds against White people: the share judged "
            "sufficient, with its interval, protected by the disclosure rule.",
        ),
        (
            "Recommendations",
            "HMIP's recommendations to the PDU and, where a progress file is given, progress with a "
            "RAG status: G on track, A at risk, R off track.",
        ),
        ("Questions", "Three questions a member could ask, built from the page's own figures."),
    ]
    if simulated:
        out.append(
            (
                "SIM",
                "Marks a figure built on the simulated case sample. Every PDU page repeats the warning.",
            )
        )
    return out


def methods_text(
    inp: PackInputs, rule: DisclosureRule, *, framework: Framework | None = None
) -> list[tuple[str, str]]:
    fw = framework_or_default(framework)
    std, kq = inp.equality_measure
    eq_measure = f"{fw.standard(std).name}: {fw.key_question(std, kq).short}"
    pstd, pkq = inp.position_measure
    pos_measure = f"{fw.standard(pstd).name}: {fw.key_question(pstd, pkq).short}"
    level = f"{100 * inp.level:g}%"
    return [
        (
            "Where the figures come from",
            "Ratings, points and publication dates are HMIP's published ones (press releases of 18 Oct "
            "2022 and Nov 2022, and the Lewisham and Bromley PDU presentation of Jan 2023). Where a value "
            "follows from published ones it is marked implied. Everything else comes from the case "
            "sample: "
            + (
                "here a SIMULATED sample of 42 cases per PDU, made to give HMIP's published ratings; it "
                "is not real case data."
                if d.is_simulated(inp.data.counts)
                else "the file named on the cover."
            ),
        ),
        (
            "How a standard is rated",
            "Inspectors judge each case on each key question: sufficient or not. A key question's "
            "share is the sufficient cases out of those judged. Below 50% is Inadequate (I), 50 to 64% "
            "Requires improvement (RI), 65 to 79% Good (G), 80% or more Outstanding (O). A standard "
            "takes the band of its lowest key question. The four organisational standards are "
            "judged by inspectors, not from cases.",
        ),
        (
            "Overall rating and points",
            "Each of the nine standards scores 0 (I), 1 (RI), 2 (G) or 3 (O). Out of 27: 0 to 4 is "
            "Inadequate (I), 5 to 13 Requires improvement (RI), 14 to 22 Good (G), 23 to 27 "
            "Outstanding (O).",
        ),
        (
            "More cases for the next band",
            "With the sample size fixed, how many more sufficient judgements the standard needed to "
            "reach the next band: added up over every key question below that band (one case may "
            "count on more than one question). The questions below give the count for the weakest "
            "key question alone.",
        ),
        (
            "How firm",
            "The chance a fresh sample of the same size gives the same rating, allowing for what the "
            "sample says about the true share (Jeffreys prior). For a standard, the pattern of answers "
            f"on each case is kept ({inp.draws:,} seeded draws); overall, the five standards are "
            "combined exactly as if independent, with the organisational ratings held fixed.",
        ),
        (
            "Position",
            f"PDUs are placed on {pos_measure.lower()}, the measure HMIP published for London as a "
            f"whole. The range is the middle {level} of ranks over 4,000 seeded draws of each PDU's "
            "true share.",
        ),
        (
            "Equality",
            f"Headline measure: {eq_measure.lower()}, because HMIP's recommendation on "
            "disproportionality concerns the quality of service delivery. Ethnic minority follows "
            "Ministry of Justice practice (White minority groups count as White); cases with ethnicity "
            "not recorded are left out. Counts of people are protected first ("
            + (
                f"{rule.threshold} or fewer hidden, others rounded to the nearest {rule.base}"
                if rule.active
                else "no protection: internal use only"
            )
            + f"); shares, their difference and its {level} Newcombe interval use the protected counts. "
            f"The sample needed is for an 80% chance of detecting a {round(100 * GAP_THAT_MATTERS)}-point "
            "gap at the 5% level.",
        ),
    ]


GLOSSARY = [
    ("PDU", "Probation Delivery Unit: the local probation service, usually one or two boroughs."),
    ("HMIP", "HM Inspectorate of Probation, which inspects and rates PDUs."),
    (
        "Key question",
        "One of three questions asked of every case for a standard, e.g. "
        "'Does assessment focus sufficiently on keeping other people safe?'",
    ),
    ("Sufficient", "Inspectors judged the work on the case good enough on that key question."),
    ("Band", "Where a share falls: I below 50%, RI 50 to 64%, G 65 to 79%, O 80% or more."),
    (
        "Interval",
        "The range the true figure is likely to lie in, given the sample (95% of the time).",
    ),
    (
        "Rank range",
        "The positions a PDU could plausibly hold if every PDU's true share were known.",
    ),
    ("Disclosure rule", "Counts of people are rounded or hidden so no one can be identified."),
    (
        "Not published",
        "HMIP has not published this figure, or the pack does not hold it: it is "
        "unknown, not zero.",
    ),
    (
        "RAG",
        "Red, amber, green, always with a letter and a word: R off track, A at risk, G on track.",
    ),
]


# --- Tables for the workbook and CSVs ----------------------------------------------------------------
NA = "[x]"  # not available / not published (Analysis Function shorthand)


def _num(v: float | None, digits: int = 1) -> str | float:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return NA
    return round(float(v), digits)


def build_tables(
    inp: PackInputs, pages: list[PduPage], *, framework: Framework | None = None
) -> dict:
    """The workbook's tables (one per sheet), as plain DataFrames with reader-facing column names."""
    fw = framework_or_default(framework)
    simulated = d.is_simulated(inp.data.counts)
    sample_basis = "simulated" if simulated else "analyst-supplied"
    rows = []
    for p in pages:
        for s in p.standards:
            rows.append(
                {
                    "PDU": p.pdu,
                    "Standard code": s.code,
                    "Standard": s.name,
                    "HMIP rating": s.rating,
                    "Rating letter": Rating.parse(s.rating).code
                    if s.rating != NOT_PUBLISHED
                    else NA,
                    "Basis": s.basis or "not published",
                    "Rating from the case sample": s.sample_rating
                    or ("not from cases" if not s.case_sample else "no case data"),
                    "Case sample basis": sample_basis if s.sample_rating else "not applicable",
                }
            )
    ratings = pd.DataFrame(rows)
    overall = pd.DataFrame(
        [
            {
                "PDU": p.pdu,
                "Region": p.region,
                "Overall rating": p.overall,
                "Rating letter": Rating.parse(p.overall).code if p.overall != NOT_PUBLISHED else NA,
                "Points": NA if p.points is None else p.points,
                "Maximum points": NA if p.max_points is None else p.max_points,
                "Points basis": p.points_basis or "not published",
                "Published": p.published_on,
            }
            for p in pages
        ]
    )
    c = inp.data.counts[inp.data.counts["pdu"].isin([p.pdu for p in pages])]
    kq_rows = []
    for r in c.itertuples():
        lo, hi = (
            tuple(
                proportion_interval(int(r.yes), int(r.n), level=inp.level).iloc[0][
                    ["lower", "upper"]
                ]
            )
            if r.n
            else (np.nan, np.nan)
        )
        kq_rows.append(
            {
                "PDU": r.pdu,
                "Standard": fw.standard(r.standard).name,
                "Key question": fw.key_question(r.standard, r.key_question).text,
                "Sufficient": int(r.yes),
                "Not sufficient": int(r.no),
                "Cases judged": int(r.n),
                "Share sufficient (%)": _num(100 * r.yes / r.n) if r.n else NA,
                f"Lower {100 * inp.level:g}% limit (%)": _num(100 * lo),
                f"Upper {100 * inp.level:g}% limit (%)": _num(100 * hi),
                "Band": Rating.parse(_band(int(r.yes), int(r.n), fw)).label if r.n else NA,
                "Data basis": sample_basis,
            }
        )
    key_questions = pd.DataFrame(kq_rows)
    firm_rows = []
    for p in pages:
        for s in p.standards:
            if s.p_same is None:
                continue
            firm_rows.append(
                {
                    "PDU": p.pdu,
                    "Standard": s.name,
                    "Rating from the case sample": s.sample_rating,
                    "Chance of the same rating in a fresh sample (%)": _num(100 * s.p_same),
                    "In words": firmness_words(s.p_same),
                    "Data basis": sample_basis,
                }
            )
        if p.overall_p_same is not None:
            firm_rows.append(
                {
                    "PDU": p.pdu,
                    "Standard": "Overall rating",
                    "Rating from the case sample": p.overall_sample_rating,
                    "Chance of the same rating in a fresh sample (%)": _num(100 * p.overall_p_same),
                    "In words": firmness_words(p.overall_p_same),
                    "Data basis": sample_basis,
                }
            )
    firmness = pd.DataFrame(firm_rows)
    pos_rows = [
        {
            "PDU": p.pdu,
            "Measure": p.position.measure,
            "Sufficient": p.position.yes,
            "Cases judged": p.position.n,
            "Share sufficient (%)": _num(100 * p.position.yes / p.position.n),
            "Rank (1 = highest share)": p.position.rank,
            "Of": p.position.of,
            "Lowest plausible rank": p.position.rank_upper,
            "Highest plausible rank": p.position.rank_lower,
            "Data basis": sample_basis,
        }
        for p in pages
        if p.position.rank is not None
    ]
    positions = pd.DataFrame(pos_rows)
    eq_rows = []
    for p in pages:
        e = p.equality
        hidden = MARKER if e.status == "too few to say" else NA  # a statistic the rule withholds

        def pts(v: float | None, hidden: str = hidden) -> str | float:
            return hidden if v is None else _num(100 * v)

        eq_rows.append(
            {
                "PDU": p.pdu,
                "Measure": e.measure,
                "Result": e.status,
                "Ethnic minority: cases judged": _shown(e.minority_n),
                "Ethnic minority: sufficient": _shown(e.minority_yes),
                "Ethnic minority: share sufficient (%)": pts(e.minority_share),
                "White: cases judged": _shown(e.white_n),
                "White: sufficient": _shown(e.white_yes),
                "White: share sufficient (%)": pts(e.white_share),
                "Difference (percentage points)": pts(e.difference),
                "Lower limit (points)": pts(e.lower),
                "Upper limit (points)": pts(e.upper),
                "Cases needed in each group": NA
                if e.needed_per_group is None
                else e.needed_per_group,
                "Data basis": sample_basis if e.status != "not available" else "not applicable",
            }
        )
    equality = pd.DataFrame(eq_rows)
    rec_rows = []
    for p in pages:
        for r in p.recommendations:
            rec_rows.append(
                {
                    "PDU": p.pdu,
                    "Number": r.number,
                    "Recommendation": r.text,
                    "Source": r.source,
                    "Progress status": r.status or "no progress reported",
                    "Status letter": r.status_letter or NA,
                    "Action": r.action or "no progress reported",
                    "Evidence": r.evidence
                    or ("no evidence given" if r.status else "no progress reported"),
                    "Date": r.date or NA,
                    "Progress basis": p.progress_basis or "no progress file given",
                }
            )
    if not rec_rows:
        rec_rows.append(
            {
                "PDU": "none",
                "Number": NA,
                "Recommendation": "no recommendations held for these PDUs",
                "Source": NA,
                "Progress status": NA,
                "Status letter": NA,
                "Action": NA,
                "Evidence": NA,
                "Date": NA,
                "Progress basis": NA,
            }
        )
    recommendations = pd.DataFrame(rec_rows)
    tables = {
        "overall": overall,
        "ratings": ratings,
        "key_questions": key_questions,
        "firmness": firmness,
        "position": positions,
        "equality": equality,
        "recommendations": recommendations,
        "national": national_table(),
    }
    return {k: v for k, v in tables.items() if not v.empty}


def national_table(framework: str = "pdu-2021") -> pd.DataFrame:
    """Every PDU rated under the 2021-2023 framework with its published rating, points where known and
    its national rank range (published data; blanks shown as not published)."""
    from hmip.data.national import load_national_ratings
    from hmip.stats.national import national_positions

    ratings = load_national_ratings()
    mine = ratings[ratings["framework"] == framework]
    pos = national_positions(ratings, framework).set_index("pdu")
    rows = []
    for r in mine.to_dict("records"):
        q = pos.loc[r["pdu"]]
        rows.append(
            {
                "PDU": r["pdu"],
                "Region": r["region"] or NA,
                "Published": r["publication_date"],
                "Overall rating": r["overall_rating"],
                "Rating letter": Rating.parse(r["overall_rating"]).code,
                "Points": NA if pd.isna(r["points"]) else int(r["points"]),
                "Points basis": r["points_basis"] or "not published",
                "Best national rank": int(q["rank_best"]),
                "Worst national rank": int(q["rank_worst"]),
                "Of": int(q["n_pdus"]),
                "Source": r["source"],
            }
        )
    return pd.DataFrame(rows)


def _band(yes: int, n: int, fw: Framework) -> str:
    from hmip.rules.ratings import band_counts

    return band_counts(yes, n - yes, framework=fw).label


def _shown(v: object) -> object:
    return NA if v is None else v


#: Each table: (sheet name, title, what it shows, column -> meaning). Shared by the workbook and the
#: data dictionary that goes with the CSVs.
TABLE_SPECS = {
    "overall": (
        "Overall",
        "HMIP's overall rating and points for each PDU",
        "Published overall ratings; points out of 27 where published or implied.",
        {
            "PDU": "Probation Delivery Unit",
            "Region": "Probation region",
            "Overall rating": "HMIP's overall rating, in words; Not published where unknown",
            "Rating letter": "I, RI, G or O; [x] where not published",
            "Points": "Total points (0 to 27); [x] where not published",
            "Maximum points": "27, or 24 where court work is not rated",
            "Points basis": "published, implied (follows from published values) or not published",
            "Published": "Date HMIP published the inspection report",
        },
    ),
    "ratings": (
        "Ratings",
        "HMIP's rating of each standard, by PDU",
        "Nine rated standards per PDU; ratings as words; the rating the case sample gives alongside.",
        {
            "PDU": "Probation Delivery Unit",
            "Standard code": "1.1 to 2.5",
            "Standard": "Standard name",
            "HMIP rating": "Inadequate, Requires improvement, Good, Outstanding or Not published",
            "Rating letter": "I, RI, G or O; [x] where not published",
            "Basis": "published, implied or not published",
            "Rating from the case sample": "The rating the key-question counts give (case-sample standards only)",
            "Case sample basis": "simulated or analyst-supplied",
        },
    ),
    "key_questions": (
        "Key questions",
        "Cases judged sufficient on each key question, with intervals",
        "Inspection sample counts per PDU (not counts of people by characteristic, so shown unrounded).",
        {
            "PDU": "Probation Delivery Unit",
            "Standard": "Case-sample standard",
            "Key question": "The key question's wording",
            "Sufficient": "Cases judged sufficient",
            "Not sufficient": "Cases judged not sufficient",
            "Cases judged": "Sufficient plus not sufficient (not applicable cases left out)",
            "Share sufficient (%)": "Sufficient as a percentage of cases judged",
            "Lower 95% limit (%)": "Wilson score interval, lower limit",
            "Upper 95% limit (%)": "Wilson score interval, upper limit",
            "Band": "The rating band of the share",
            "Data basis": "simulated or analyst-supplied",
        },
    ),
    "firmness": (
        "Firmness",
        "How firm each rating is: the chance a fresh sample gives the same rating",
        "Posterior predictive chance that a fresh sample of the same size gives the same rating.",
        {
            "PDU": "Probation Delivery Unit",
            "Standard": "Case-sample standard, or the overall rating",
            "Rating from the case sample": "The rating the sample gives",
            "Chance of the same rating in a fresh sample (%)": "Percentage",
            "In words": "firm (90 or more), fairly firm (67 to 89), could easily change (33 to 66), likely to change (below 33)",
            "Data basis": "simulated or analyst-supplied",
        },
    ),
    "position": (
        "Position",
        "Where each PDU stands in the region, with its plausible range",
        "Rank on the position measure (1 = highest share) and the range of plausible ranks.",
        {
            "PDU": "Probation Delivery Unit",
            "Measure": "The key question PDUs are placed on",
            "Sufficient": "Cases judged sufficient",
            "Cases judged": "Cases judged on this key question",
            "Share sufficient (%)": "Percentage",
            "Rank (1 = highest share)": "Position in the region",
            "Of": "Number of PDUs ranked",
            "Lowest plausible rank": "Upper end of the 95% rank range",
            "Highest plausible rank": "Lower end of the 95% rank range",
            "Data basis": "simulated or analyst-supplied",
        },
    ),
    "equality": (
        "Equality",
        "Ethnic minority against White people on probation: share of cases judged sufficient",
        "Counts of people protected by the disclosure rule; shares and the difference from the "
        "protected counts.",
        {
            "PDU": "Probation Delivery Unit",
            "Measure": "The key question compared",
            "Result": "difference, no clear difference, too few to say, or not available",
            "Ethnic minority: cases judged": "Protected count of people ([REDACTED] = 1 to 7)",
            "Ethnic minority: sufficient": "Protected count of people",
            "Ethnic minority: share sufficient (%)": "From protected counts",
            "White: cases judged": "Protected count of people",
            "White: sufficient": "Protected count of people",
            "White: share sufficient (%)": "From protected counts",
            "Difference (percentage points)": "Ethnic minority minus White",
            "Lower limit (points)": "Newcombe 95% interval, lower limit",
            "Upper limit (points)": "Newcombe 95% interval, upper limit",
            "Cases needed in each group": "To detect a 15-point gap (80% power, 5% level)",
            "Data basis": "simulated, analyst-supplied or not applicable",
        },
    ),
    "national": (
        "National",
        "Every PDU rated under the 2021-2023 framework: published rating, points and national rank range",
        "Published national ratings; where points are not published a PDU is placed anywhere its rating's "
        "band allows, so its rank is a range. Ratings under the revised framework (from late 2023) are "
        "not comparable and are left out.",
        {
            "PDU": "Probation Delivery Unit",
            "Region": "HMPPS probation region where known",
            "Published": "Publication date of HMIP's report (YYYY-MM-DD, YYYY-MM or YYYY)",
            "Overall rating": "HMIP's overall rating",
            "Rating letter": "I, RI, G or O",
            "Points": "Points of 27 where published or implied",
            "Points basis": "published, implied, or not published",
            "Best national rank": "1 + PDUs certainly higher on points",
            "Worst national rank": "1 + PDUs possibly higher on points",
            "Of": "PDUs rated under this framework",
            "Source": "Where the rating was published",
        },
    ),
    "recommendations": (
        "Recommendations",
        "HMIP's recommendations and progress against them",
        "Recommendations as published, with the progress file's status where one is given.",
        {
            "PDU": "Probation Delivery Unit",
            "Number": "Recommendation number",
            "Recommendation": "Wording as published",
            "Source": "Where the wording comes from",
            "Progress status": "on track, at risk, off track, or no progress reported",
            "Status letter": "G on track, A at risk, R off track; [x] where none",
            "Action": "What is being done",
            "Evidence": "The evidence given",
            "Date": "Date of the progress update",
            "Progress basis": "illustrative example, analyst-supplied, or no progress file given",
        },
    ),
}


def data_dictionary(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rows = []
    for key, table in tables.items():
        sheet, title, _, columns = TABLE_SPECS[key]
        for col in table.columns:
            meaning = columns.get(col) or next(
                (v for k, v in columns.items() if k.split()[0] == col.split()[0] == "Lower"),
                next(
                    (v for k, v in columns.items() if k.split()[0] == col.split()[0] == "Upper"),
                    "",
                ),
            )
            rows.append({"Table": sheet, "Column": col, "Meaning": meaning})
    return pd.DataFrame(rows)


# --- The pack -----------------------------------------------------------------------------------------
def prepare(*, framework: Framework | None = None, **parameters: object) -> ScrutinyPack:
    """Validate the parameters, load the data and compute everything the pack shows. Takes the
    notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    ranks = region_ranks(inp)
    pages = [pdu_page(inp, pdu, ranks, framework=fw) for pdu in inp.pdus]
    simulated = d.is_simulated(*inp.data.loaded)
    years = Counter(p.inspected for p in pages if p.inspected != NOT_PUBLISHED)
    year = years.most_common(1)[0][0] if years else "year not published"
    loaded = [*inp.data.loaded, inp.recommendations] + (
        [inp.progress] if inp.progress is not None else []
    )
    sources = d.sources(*loaded)
    basis = [
        "HMIP's published ratings, points and dates: real (press releases of Oct and Nov 2022; "
        "Lewisham and Bromley PDU presentation, Jan 2023).",
        "HMIP's recommendations: real, with their source; held for "
        + (", ".join(sorted(set(inp.recommendations["pdu"]))) or "no PDU")
        + " only so far.",
    ]
    if simulated:
        basis.append(
            "The case sample behind the key questions, firmness, position and equality figures: "
            "SIMULATED (42 cases per PDU, made to agree with the published ratings). It is not real "
            "case data. Where HMIP did not publish a PDU's organisational ratings, the simulated "
            "ones are used to recompute its overall rating."
        )
    elif not inp.data.counts.empty:
        basis.append(
            "The case sample: analyst-supplied ("
            + ", ".join(s["name"] for s in d.sources(inp.data.counts))
            + ")."
        )
    if inp.progress is not None:
        basis.append(
            "Progress against recommendations: "
            + (
                "an ILLUSTRATIVE EXAMPLE file (invented, not real progress)."
                if inp.progress.attrs.get("example")
                else f"from {inp.progress.attrs['sources'][0]['name']} (analyst-supplied)."
            )
        )
    tables = build_tables(inp, pages, framework=fw)
    facts = region_facts(inp.region)
    return ScrutinyPack(
        region=inp.region,
        year=year,
        built_on=inp.built_on.strftime("%-d %B %Y"),
        paper=inp.paper,
        simulated=simulated,
        data_basis=basis,
        disclosure=inp.disclosure.describe(),
        pages=pages,
        how_to_read=how_to_read(simulated),
        methods=methods_text(inp, inp.disclosure, framework=fw),
        glossary=list(GLOSSARY),
        tables=tables,
        sources=sources,
        parameters=inp.parameters,
        region_facts=facts,
    )


def region_facts(region: str) -> list[str]:
    """HMIP's published region-wide figures, in words (real)."""
    ind = d.load_indicators()
    out = []
    for r in ind[ind["region"] == region].itertuples():
        about = "about " if "(about)" in r.unit else ""
        unit = r.unit.replace("(about)", "").strip()
        value = f"{r.value:g}%" if unit == "percent" else f"{about}{r.value:g} {unit}"
        text = f"{r.indicator[0].upper()}{r.indicator[1:]}: {value}"
        out.append(text + (f" ({r.note})." if r.note else "."))
    return out

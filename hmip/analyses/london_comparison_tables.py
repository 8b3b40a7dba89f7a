"""The London (regional) comparison's data and tables: everything the notebook needs, loaded and
validated (:func:`load_comparison`, :func:`load_inputs`); the summary of published against
recomputed overall ratings (:func:`summary_table`), the ratings grid, the counts of the chosen
measure, and the findings from the funnel and the rank ranges (:func:`findings`).

The report itself (:func:`hmip.analyses.london_comparison.prepare`) assembles these; what it says is
:mod:`hmip.analyses.london_comparison_words`, the national context
:mod:`hmip.analyses.london_national`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hmip.analyses import cache
from hmip.analyses.params import check_choice, check_level, check_path, check_pdu
from hmip.analyses.words import percent
from hmip.data import loaders as d
from hmip.errors import FrameworkError, ParameterError, RatingError
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating
from hmip.rules.tables import combine_ratings, rate_pdus, rate_standards
from hmip.stats.funnel import (
    OVERDISPERSION_METHODS,
    distinguishable_pairs,
)
from hmip.stats.intervals import INTERVAL_METHODS

# --- Summary table ------------------------------------------------------------------------------
#: A recomputed rating that the data given cannot give (shown as a neutral badge, with the reason).
NOT_AVAILABLE = "Not available"
#: Why a PDU's rating cannot be recomputed or checked when HMIP did not publish its organisational
#: delivery ratings (the simulated ones are never used: issue 20).
ORG_NOT_PUBLISHED = "HMIP did not publish its organisational delivery ratings"


def _missing(explanation: str) -> str:
    """What is missing, from the rules' 'cannot recompute: ...' explanation."""
    missing = str(explanation).removeprefix("cannot recompute: ")
    if missing.startswith("no rating for "):
        missing += " (give them in a ratings file: ratings_path)"
    return missing


def without_simulated_judgement(
    ratings: pd.DataFrame, *, framework: Framework | None = None
) -> pd.DataFrame:
    """``ratings`` with every organisational delivery (domain one) rating the simulation made up
    (basis "simulated") made unknown, basis "not published". Inspectors judge these standards, so a
    simulated one is never used as a rating (issue 20; as ``sample_size.judgement_ratings``)."""
    fw = framework_or_default(framework)
    if "basis" not in ratings:
        return ratings
    judgement_ids = {s.id for s in fw.judgement_standards}
    made_up = ratings["standard"].isin(judgement_ids) & (ratings["basis"] == "simulated")
    if not made_up.any():
        return ratings
    out = ratings.copy()
    out["basis"] = out["basis"].astype(object)
    out.loc[made_up, "rating"] = None
    out.loc[made_up, "basis"] = "not published"
    return out


@dataclass(frozen=True)
class PointsRange:
    """What the rules can say of a PDU whose organisational delivery ratings are unknown: the points
    (and ratings) every possible organisational rating would give, from its case-sample ratings."""

    low: int
    high: int
    max_points: int
    rating_low: Rating
    rating_high: Rating
    unknown: tuple[str, ...]  # the names of the standards whose rating is unknown

    def allows(self, rating: Rating | None, points: object = None) -> bool:
        """Whether a published rating (and points) is one the unknown ratings could give."""
        if rating is not None and not self.rating_low <= rating <= self.rating_high:
            return False
        return points is None or pd.isna(points) or self.low <= int(points) <= self.high

    def words(self, *, scale: bool = True) -> str:
        """'3-15 of 27, depending on the 4 unpublished organisational ratings' (without 'of 27' for a
        column of points)."""
        n = len(self.unknown)
        return (
            f"{self.low}-{self.high}{f' of {self.max_points}' if scale else ''}, depending on the "
            f"{'unpublished organisational rating' if n == 1 else f'{n} unpublished organisational ratings'}"
        )


def points_range(
    ratings: pd.DataFrame, pdu: str, *, framework: Framework | None = None
) -> PointsRange | None:
    """The range of points for ``pdu`` when only its organisational delivery ratings are unknown
    (every case-sample standard rated); None when they are all known or something else is missing."""
    from hmip.rules.ratings import overall_rating

    fw = framework_or_default(framework)
    g = ratings[ratings["pdu"] == pdu]
    given = {r.standard: (None if pd.isna(r.rating) else r.rating) for r in g.itertuples()}
    mapping: dict[str, object] = {}
    unknown = []
    for s in fw.rated_standards:
        value = given.get(s.id)
        if value is None and s.method == "judgement":
            unknown.append(s)
        elif value is None and s.id != "court_work":
            return None  # a case-sample rating is missing: the rules' own message says which
        mapping[s.id] = value
    if not unknown:
        return None
    ends = []
    for fill in (min(Rating), max(Rating)):
        try:
            ends.append(overall_rating(mapping | {s.id: fill for s in unknown}, framework=fw))
        except RatingError:
            return None
    low, high = ends
    return PointsRange(
        low.points,
        high.points,
        low.max_points,
        low.rating,
        high.rating,
        tuple(s.name for s in unknown),
    )


def summary_table(
    published_overall: pd.DataFrame,
    ratings: pd.DataFrame,
    cases_per_pdu: pd.Series | None = None,
    *,
    framework: Framework | None = None,
) -> pd.DataFrame:
    """One row per PDU: published rating (words and letters), points, the recomputed rating, and whether
    they match (a mismatch is shown, never hidden), and the number of cases.

    An organisational delivery rating the simulation made up is never used: where HMIP did not publish
    them, the recomputed points are the range the unknown ratings allow (``recomputed_low`` to
    ``recomputed_high``), the rating is not available, and the check says it cannot be made (or
    MISMATCH, if no organisational ratings at all could give the published rating)."""
    fw = framework_or_default(framework)
    ratings = without_simulated_judgement(ratings, framework=fw)
    recomputed = rate_pdus(ratings, framework=fw).set_index("pdu")
    rows = []
    for r in published_overall.itertuples():
        rec = recomputed.loc[r.pdu] if r.pdu in recomputed.index else None
        pub = Rating.parse(r.overall_rating) if pd.notna(r.overall_rating) else None
        rec_rating = (
            None
            if rec is None or pd.isna(rec["overall_rating"])
            else Rating.parse(rec["overall_rating"])
        )
        span = None if rec is None or rec_rating else points_range(ratings, r.pdu, framework=fw)
        if span is not None:
            match = (
                "no published rating"
                if pub is None
                else ("cannot check" if span.allows(pub, r.points) else "MISMATCH")
            )
        elif rec_rating is None:
            match = "cannot check"
        elif pub is None:
            match = "no published rating"
        elif rec_rating == pub and (pd.isna(r.points) or r.points == rec["points"]):
            match = "matches"
        else:
            match = "MISMATCH"
        if rec_rating:
            rec_words = f"{rec_rating.label} ({rec_rating.code})"
        elif rec is None:
            rec_words = f"{NOT_AVAILABLE}: no cases or counts for this PDU in the data"
        elif span is not None:
            rec_words = f"{NOT_AVAILABLE}: {ORG_NOT_PUBLISHED}"
        else:
            rec_words = f"{NOT_AVAILABLE}: {_missing(rec['explanation'])}"
        rows.append(
            {
                "pdu": r.pdu,
                "published_rating": f"{pub.label} ({pub.code})" if pub else "unknown",
                "published_points": r.points,
                "points_basis": getattr(r, "points_basis", "") or "",
                "recomputed_points": pd.NA if rec is None else rec["points"],
                "recomputed_low": pd.NA if span is None else span.low,
                "recomputed_high": pd.NA if span is None else span.high,
                "recomputed_rating": rec_words,
                "points_range": "" if span is None else span.words(scale=False),
                "check": match,
                "cases": pd.NA if cases_per_pdu is None else cases_per_pdu.get(r.pdu, pd.NA),
            }
        )
    out = pd.DataFrame(rows)
    for c in (
        "published_points",
        "recomputed_points",
        "recomputed_low",
        "recomputed_high",
        "cases",
    ):
        out[c] = out[c].astype("Int64")
    return out


def ratings_grid_table(
    ratings: pd.DataFrame, *, framework: Framework | None = None
) -> pd.DataFrame:
    """PDU x rated standard: the rating label, 'Not rated', or NaN where unknown (never a rating; an
    organisational delivery rating the simulation made up is unknown)."""
    fw = framework_or_default(framework)
    ratings = without_simulated_judgement(ratings, framework=fw)
    cols = [s.id for s in fw.rated_standards]
    grid = ratings.pivot_table(
        index="pdu",
        columns="standard",
        values="rating",
        aggfunc="first",
        observed=False,
        sort=False,
    )
    grid = grid.reindex(columns=cols).astype(object)
    order = list(dict.fromkeys(ratings["pdu"]))
    return grid.reindex(order)


# --- Findings in words -------------------------------------------------------------------------------
def findings(
    summary: pd.DataFrame,
    standard_ratings: pd.DataFrame,
    case_ratings: pd.DataFrame,
    funnel: pd.DataFrame | None = None,
    ranks: pd.DataFrame | None = None,
    *,
    measure: str = "",
    framework: Framework | None = None,
) -> list[str]:
    """Plain-English findings: what limited each PDU, mismatches, and what cannot be told apart."""
    fw = framework_or_default(framework)
    out = []
    standard_ratings = without_simulated_judgement(standard_ratings, framework=fw)
    overall = rate_pdus(standard_ratings, framework=fw).set_index("pdu")
    for r in summary.itertuples():
        span = points_range(standard_ratings, r.pdu, framework=fw)
        if span is not None:
            out.append(
                f"{r.pdu}: {ORG_NOT_PUBLISHED} ({', '.join(span.unknown)}), so its rating cannot be "
                f"recomputed: its case-sample ratings give {span.words()}."
            )
        elif r.pdu in overall.index:
            out.append(f"{r.pdu}: {overall.loc[r.pdu, 'explanation']}")
        lim = case_ratings[(case_ratings["pdu"] == r.pdu) & case_ratings["rating"].notna()]
        if not lim.empty:
            worst = lim[lim["rating"] == lim["rating"].min()]
            parts = [
                f"{fw.standard(w.standard).name} (limited by '{fw.key_question(w.standard, w.limiting).short}', "
                f"{w.limiting_yes}/{w.limiting_n})"
                for w in worst.itertuples()
            ]
            out.append(f"{r.pdu}: its weakest case-sample standards are {'; '.join(parts)}.")
        if r.check == "MISMATCH":
            out.append(
                f"{r.pdu}: the recomputed rating ({r.recomputed_rating}) does NOT match the published "
                f"{r.published_rating}; check the data before relying on either."
            )
    if funnel is not None:
        inside = funnel.loc[~funnel["outside_95"], "pdu"].tolist()
        outside = funnel.loc[funnel["outside_95"], "pdu"].tolist()
        if inside:
            out.append(
                f"On {measure or 'the chosen measure'}, {', '.join(inside)} "
                f"{'is' if len(inside) == 1 else 'are'} within the 95% limits around the regional share "
                f"({percent(funnel['target'].iloc[0])}): not distinguishable from chance variation at these sample sizes."
            )
        for p in outside:
            row = funnel[funnel["pdu"] == p].iloc[0]
            side = "above" if row["share"] > row["target"] else "below"
            beyond = " and the 99.8% limits" if row["outside_99.8"] else ""
            out.append(
                f"{p} is {side} the 95%{beyond} limits on {measure or 'the chosen measure'} "
                f"({percent(row['share'])} of {int(row['n'])} cases)."
            )
    if ranks is not None:
        pairs = distinguishable_pairs(ranks)
        total = len(ranks) * (len(ranks) - 1) // 2
        out.append(
            f"Of {total} pairs of PDUs, {len(pairs)} can be told apart by rank on {measure or 'this measure'} "
            f"(their 95% rank ranges do not overlap); league-table positions of the rest are not reliable."
        )
    return out


# --- Everything the comparison notebook needs, validated -----------------------------------------------
@dataclass
class ComparisonData:
    region: str
    published: pd.DataFrame  # published standard ratings (for the grid)
    overall: pd.DataFrame  # published overall ratings
    counts: pd.DataFrame  # key-question counts per PDU
    cases: pd.DataFrame | None  # case-level data, if given
    case_ratings: pd.DataFrame  # case-sample standards recomputed from the data
    ratings: pd.DataFrame  # recomputed case-sample + judgement ratings
    cases_per_pdu: pd.Series
    judgement: pd.DataFrame  # the file the domain-one ratings came from

    @property
    def loaded(self) -> tuple:
        return tuple(
            x
            for x in (self.published, self.overall, self.counts, self.cases, self.judgement)
            if x is not None
        )

    @property
    def pdus(self) -> list[str]:
        return list(dict.fromkeys(self.overall["pdu"].tolist() + self.counts["pdu"].tolist()))


def load_comparison(
    region: str | None = "London",
    *,
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    framework: Framework | None = None,
    pdu: str | None = None,
) -> ComparisonData:
    """Load and validate the data for a regional comparison (default: published + the simulated sample).

    ``pdu``: keep only that PDU once the files are validated (parameter ``pdu``, checked against the PDUs
    in the data), so a report on one PDU of a national file rates one PDU, not all of them."""
    fw = framework_or_default(framework)
    # each data file is loaded once per build (memoised on its bytes, the framework and the code)
    published_ratings = cache.published_ratings(fw)
    published, overall_all = published_ratings.standards, published_ratings.overall
    if region is None:  # every region
        overall = overall_all.reset_index(drop=True)
    else:
        check_choice("region", region, sorted(overall_all["region"].unique()))
        overall = overall_all[overall_all["region"] == region].reset_index(drop=True)
    published = published[published["pdu"].isin(overall["pdu"])].reset_index(drop=True)
    cases_file, counts_file = (
        check_path("cases_path", cases_path),
        check_path("counts_path", counts_path),
    )
    if cases_file and counts_file:
        raise ParameterError("give cases_path or counts_path, not both")
    cases = None
    if counts_file:
        counts = cache.counts_file(counts_file, fw)
        cases_per_pdu = counts.groupby("pdu", sort=False)["n"].max()
    else:
        cases, counts = cache.cases_and_counts(cases_file, fw)
        cases_per_pdu = cases.groupby("pdu", sort=False).size()
    if pdu is not None:
        check_pdu("pdu", pdu, list(dict.fromkeys(counts["pdu"])), allow_blank=False)
        counts = counts[counts["pdu"] == pdu].reset_index(drop=True)
        cases = None if cases is None else cases[cases["pdu"] == pdu].reset_index(drop=True)
        cases_per_pdu = cases_per_pdu[cases_per_pdu.index == pdu]
    judgement = (
        cache.standard_ratings(check_path("ratings_path", ratings_path), fw)
        if ratings_path
        else (cache.standard_ratings("", fw) if d.is_simulated(counts) else published)
    )
    case_ratings = rate_standards(counts, framework=fw)
    ratings = combine_ratings(case_ratings, judgement, framework=fw)
    return ComparisonData(
        region, published, overall, counts, cases, case_ratings, ratings, cases_per_pdu, judgement
    )


def measure_counts(
    data: ComparisonData, standard: str, key_question: str, *, framework: Framework | None = None
) -> pd.DataFrame:
    """The counts for one key question per PDU (validated names)."""
    fw = framework_or_default(framework)
    kq = fw.key_question(standard, key_question)
    sub = data.counts[
        (data.counts["standard"] == kq.standard_id) & (data.counts["key_question"] == kq.id)
    ]
    return sub[sub["n"] > 0].reset_index(drop=True)


def measure_label(standard: str, key_question: str, *, framework: Framework | None = None) -> str:
    fw = framework_or_default(framework)
    kq = fw.key_question(standard, key_question)
    return f"{fw.standard(standard).name}: {kq.short}"


@dataclass
class ComparisonOptions:
    highlight: str | None
    level: float
    interval_method: str
    standard: str
    key_question: str
    measure: str
    overdispersion: str
    parameters: dict


def load_inputs(
    *,
    region: str = "London",
    cases_path: str = "",
    counts_path: str = "",
    ratings_path: str = "",
    highlight_pdu: str = "",
    confidence: float = 0.95,
    interval_method: str = "wilson",
    funnel_standard: str = "assessment",
    funnel_key_question: str = "safety",
    overdispersion: str = "none",
    framework: Framework | None = None,
) -> tuple[ComparisonData, ComparisonOptions]:
    """Validate the comparison notebook's parameters and load its data, with readable errors."""
    fw = framework_or_default(framework)
    params = dict(
        region=region,
        cases_path=cases_path or "(bundled simulated sample)",
        counts_path=counts_path,
        ratings_path=ratings_path,
        highlight_pdu=highlight_pdu,
        confidence=confidence,
        interval_method=interval_method,
        funnel_standard=funnel_standard,
        funnel_key_question=funnel_key_question,
        overdispersion=overdispersion,
    )
    level = check_level("confidence", confidence)
    check_choice("interval_method", interval_method, INTERVAL_METHODS)
    check_choice("overdispersion", overdispersion, OVERDISPERSION_METHODS)
    try:
        kq = fw.key_question(funnel_standard, funnel_key_question)
    except FrameworkError as exc:
        raise ParameterError(f"funnel_standard / funnel_key_question: {exc}") from None
    data = load_comparison(
        region,
        cases_path=cases_path,
        counts_path=counts_path,
        ratings_path=ratings_path,
        framework=fw,
    )
    highlight = check_pdu("highlight_pdu", highlight_pdu, data.pdus)
    opts = ComparisonOptions(
        highlight,
        level,
        interval_method,
        kq.standard_id,
        kq.id,
        measure_label(kq.standard_id, kq.id, framework=fw),
        overdispersion,
        {k: v for k, v in params.items() if v != ""},
    )
    return data, opts


def case_sample_standard_ids(framework: Framework | None = None) -> list[str]:
    return [s.id for s in framework_or_default(framework).case_sample_standards]

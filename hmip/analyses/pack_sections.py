"""The sections of a scrutiny pack page, one function each: the nine standards, how firm the ratings
are, the position in the region and nationally, the equality headline, the recommendations, and three
questions a member could ask; :func:`pdu_page` puts them together ("Since the inspection" is
:mod:`hmip.analyses.pack_since`)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from hmip.analyses import cache
from hmip.analyses.evidence import hmip_found
from hmip.analyses.national import MIDDLE_CLAIM, middle_claim_text
from hmip.analyses.pack_model import (
    GAP_THAT_MATTERS,
    EqualityHeadline,
    PackInputs,
    PduPage,
    Position,
    Question,
    RecommendationLine,
    StandardLine,
)
from hmip.analyses.sample_size import judgement_ratings
from hmip.analyses.words import (
    NOT_PUBLISHED,
    date_words,
    firmness_words,
    ordinal,
    percent,
    rating_words,
)
from hmip.data import loaders as d
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating, min_yes_for
from hmip.rules.tables import overall_for_pdu
from hmip.stats.disclosure import MARKER
from hmip.stats.disproportionality import MINORITY, group_counts, make_grouping
from hmip.stats.funnel import rank_uncertainty
from hmip.stats.intervals import newcombe_difference
from hmip.stats.release import release_flags, release_for_file, row_display
from hmip.stats.sampling import overall_distribution, standard_rating_distribution

#: How many of HMIP's findings a PDU page leads with, and how many of them at least region-wide
#: (the page must stay one printed page; the overview page lists every London-wide figure).
FINDINGS_ON_PAGE = 3
REGIONAL_ON_PAGE = 1


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
        if cases is not None:  # the same draws as the PDU's sample-size report: shared with it
            out[s.id] = cache.correlated_distribution(
                cases, s.id, draws=inp.draws, seed=inp.seed + i, framework=fw
            )
            continue
        out[s.id] = standard_rating_distribution(
            None,
            s.id,
            pdu=pdu,
            counts=counts,
            correlated=False,
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
            "not available: HMIP did not publish the inspectors' ratings of the four organisational "
            "standards for this PDU, so the overall rating cannot be recomputed",
        )
    if len(dists) < len(fw.case_sample_standards):
        return res.rating.label, None, "not available: a case-sample standard has no cases"
    p = _probability(overall_distribution(dists, judgement, framework=fw).overall, res.rating)
    n = inp.data.cases_per_pdu.get(pdu)
    return (
        res.rating.label,
        p,
        f"a new sample of {n} cases would give {rating_words(res.rating.label)} again "
        f"{percent(p)} of the time: {firmness_words(p)}.",
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
    from hmip.analyses.national import nationally_line
    from hmip.data.national import load_national_ratings
    from hmip.stats.national import national_position

    ratings = load_national_ratings()
    if pdu not in set(ratings.loc[ratings["framework"] == framework, "pdu"]):
        return ""
    pos = national_position(ratings, pdu, framework)
    return nationally_line(pos, "in 2021-2023")  # the rank and its counts on one basis (points)


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
    # The one row rule and the data set's one release decision (hmip.stats.release), as in the
    # ethnicity report, its workbook and CSV: n hidden where 1-7, yes where yes, no or n is 1-7,
    # and whatever the release hides (every count by ethnicity of a single PDU).
    given = str(inp.parameters.get("cases_path", ""))
    release = release_for_file("" if given.startswith("(") else given, rule, fw, decide=False)
    rows = [
        row_display(y, n, rule, *release_flags(release, "binary", pdu, std, kq, group))
        for y, n, group in ((ym, nm, MINORITY), (yw, nw, white))
    ]
    suppressed = np.array([isinstance(y, str) or isinstance(n, str) for y, n in rows])
    ry = np.array([np.nan if isinstance(y, str) else float(y) for y, _ in rows])
    rn = np.array([np.nan if isinstance(n, str) else float(n) for _, n in rows])
    hidden_by_release = release is not None and any(
        any(release_flags(release, "binary", pdu, std, kq, g)) for g in (MINORITY, white)
    )

    def shown(v: float, s: bool) -> str | int:
        return rule.marker or MARKER if np.isnan(v) else int(v)

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
                f"a gap of {round(100 * GAP_THAT_MATTERS)} percentage points."
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
        why = (
            "counts of people by ethnicity in a single PDU are not shown (disclosure control over "
            "every output: with the PDU's case counts public they could be worked out); the "
            "ethnicity report compares the groups across all PDUs"
            if hidden_by_release
            else f"some counts are of {rule.threshold} people or fewer, which the disclosure rule hides"
        )
        return EqualityHeadline(
            status="too few to say",
            text=(
                f"Too few to say: {why}. About {needed} cases in each group would be needed to detect "
                f"a gap of {round(100 * GAP_THAT_MATTERS)} percentage points."
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
    interval = f"{100 * inp.level:g}% interval {100 * lo:+.0f} to {100 * hi:+.0f} percentage points"
    if lo > 0 or hi < 0:
        direction = "less" if diff < 0 else "more"
        status = "difference"
        text = (
            f"Cases of ethnic minority people were judged sufficient {direction} often: {shares} "
            f"(difference {100 * diff:+.0f} percentage points, {interval})."
        )
    else:
        status = "no clear difference"
        text = (
            f"No clear difference: {shares} (difference {100 * diff:+.0f} percentage points, {interval}, which "
            f"includes no difference). About {needed} cases in each group would be needed to detect a "
            f"gap of {round(100 * GAP_THAT_MATTERS)} percentage points."
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
        return [], recommendations_elsewhere(pdu)
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
    elif d.provenance(inp.progress).example:
        note = "Progress shown is an ILLUSTRATIVE EXAMPLE (invented), not the PDU's real progress."
    else:
        note = f"Progress as reported in {d.provenance(inp.progress).sources[0]['name']}."
    return lines, note


def recommendations_elsewhere(pdu: str) -> str:
    """Where a PDU's recommendations are not held: one plain line naming its report, date and where
    to read it (hmip.data.findings.report_line), or, for a PDU with no report recorded, that HMIP's
    report on it is not recorded here."""
    from hmip.data.findings import report_line
    from hmip.errors import DataValidationError

    try:
        return f"{report_line(pdu)} Its recommendations are in that report."
    except DataValidationError:
        return "HMIP's recommendations: no inspection report is recorded for this PDU."


def questions(page_figures: dict) -> list[Question]:
    """Three questions a member could ask: the first grounded in what HMIP published (its findings, or
    its ratings), then the firmness and the equality result, each saying when its figure comes from the
    simulated case sample (issue 20: a simulated figure never speaks as fact)."""
    out = []
    weakest: StandardLine | None = page_figures["weakest"]
    pdu = page_figures["pdu"]
    simulated = page_figures["simulated"]
    found = page_figures.get("finding")
    in_sample = "In the simulated case sample, " if simulated else "In the case sample, "
    if found:
        out.append(
            Question(
                f"HMIP found{found[1]}: {found[0]} What is {pdu if found[1] else 'the PDU'} "
                "changing, and how will the committee see it?"
            )
        )
    elif weakest is not None:
        out.append(
            Question(
                f"{in_sample}only {weakest.limiting_yes} of {weakest.limiting_n} cases "
                f"({percent(weakest.limiting_share)}) were sufficient on {weakest.limiting} in "
                f"{weakest.name.lower()}. What is changing, and how will the committee see it?",
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
                f"{in_sample}{shaky.name.lower()}'s rating came out the same in only "
                f"{percent(shaky.p_same)} of fresh samples: it sits near a band boundary. What does "
                f"the PDU's own case audit show for {shaky.name.lower()}?",
                shaky.simulated,
            )
        )
    elif p_overall is not None:
        out.append(
            Question(
                f"{in_sample}a fresh sample gave the same overall rating {percent(p_overall)} of "
                "the time. Which of HMIP's findings does the PDU accept, and what is the plan for the "
                "weakest?",
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
                f"{in_sample}on {eq.measure.lower()}, ethnic minority people's cases were judged sufficient less "
                f"often ({percent(eq.minority_share)} against {percent(eq.white_share)} for White "
                "people). What explains the gap, and what is being done?",
                eq.simulated,
            )
        )
    elif eq.status in ("too few to say", "no clear difference"):
        out.append(
            Question(
                ("The simulated case sample" if simulated else "The case sample")
                + " is too small to show whether work differs for ethnic minority people "
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


def member_finding(pdu: str, region: str) -> tuple[str, str] | None:
    """(HMIP's words, where they apply) for the first member's question: a published finding about the
    quality of casework (one naming a standard), else the first published figure other than points;
    None where HMIP's findings hold nothing for this PDU."""
    from hmip.data.findings import findings_for

    try:
        rows = findings_for(pdu, cache.findings(), region=region)
    except Exception:  # noqa: BLE001 - no findings file: the question falls back to the case sample
        return None
    rows = rows[rows["kind"].isin(["figure", "paraphrase"]) & (rows["unit"].fillna("") != "points")]
    if rows.empty:
        return None
    named = rows[rows["standard"].fillna("") != ""]
    r = (named if len(named) else rows).iloc[0]
    where = {"pdu": "", "group": f" in {pdu} and other PDUs"}.get(r["level"], f" across {region}")
    text = str(r["text"]).strip()
    if not text:
        return None
    return (f"\u201c{text}\u201d" if r["kind"] == "figure" else text, where)


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
            finding=member_finding(pdu, region),
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
        progress_basis=None if inp.progress is None else d.provenance(inp.progress).basis,
        questions=qs,
        held_back=line,
        notes=notes,
        findings=hmip_found(
            pdu,
            FINDINGS_ON_PAGE,
            regional_at_least=REGIONAL_ON_PAGE,
            fill_with_regional=False,
            skip_overall_rating=True,  # the page's header shows it
        ),
        claim=middle_claim_text() if pdu == MIDDLE_CLAIM.pdu else [],
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

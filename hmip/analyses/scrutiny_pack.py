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

import dataclasses
from collections import Counter
from datetime import date

from hmip.analyses.glossary import pack_glossary
from hmip.analyses.london_comparison import load_comparison
from hmip.analyses.pack_model import (
    EQUALITY_MEASURE,
    GAP_THAT_MATTERS,
    PAPERS,
    POSITION_MEASURE,
    SIM_TAG,
    SIMULATED_WARNING,
    EqualityHeadline,
    PackInputs,
    PduPage,
    Position,
    Question,
    RecommendationLine,
    ScrutinyPack,
    SinceSection,
    StandardLine,
)
from hmip.analyses.pack_sections import (
    _probability,
    cases_needed_per_group,
    pdu_page,
    region_ranks,
)
from hmip.analyses.pack_since import since_section
from hmip.analyses.pack_tables import NA, TABLE_SPECS, build_tables, data_dictionary
from hmip.analyses.pack_text import how_to_read, methods_text
from hmip.analyses.params import check_choice, check_level, check_path, check_positive_int
from hmip.analyses.words import (
    NOT_PUBLISHED,
    date_words,
    firmness_words,
    rating_words,
)
from hmip.data import loaders as d
from hmip.data.recommendations import load_progress, load_recommendations
from hmip.errors import FrameworkError, ParameterError
from hmip.rules.framework import Framework, framework_or_default
from hmip.stats import DEFAULT_SEED
from hmip.stats.disclosure import get_rule

#: What callers (the pack and workbook writers, tests) use from here; the parts live in pack_model,
#: pack_sections, pack_text and pack_tables, and the words in hmip.analyses.words.
__all__ = [
    "EQUALITY_MEASURE",
    "GAP_THAT_MATTERS",
    "NA",
    "NOT_PUBLISHED",
    "PAPERS",
    "POSITION_MEASURE",
    "SIMULATED_WARNING",
    "SIM_TAG",
    "TABLE_SPECS",
    "EqualityHeadline",
    "PackInputs",
    "PduPage",
    "Position",
    "Question",
    "RecommendationLine",
    "ScrutinyPack",
    "SinceSection",
    "StandardLine",
    "_probability",
    "cases_needed_per_group",
    "data_dictionary",
    "date_words",
    "firmness_words",
    "load_inputs",
    "prepare",
    "rating_words",
    "region_facts",
]


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
    audits_path: str | None = "",
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
    audits_file, audit_pdus, audits_simulated = _audits(
        audits_path, data, [*overall_all["pdu"], *data.counts["pdu"]], fw
    )
    params = dict(
        region=region,
        paper=paper,
        cases_path=cases_path or ("" if counts_path else "(bundled simulated sample)"),
        counts_path=counts_path,
        progress_path=progress_path or "(none)",
        audits_path="(none)"
        if audits_file == NO_AUDITS
        else audits_path or "(bundled SIMULATED example audits)",
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
        audits_path="" if audits_file is None else str(audits_file),
        audit_pdus=tuple(p for p in in_region + extra if p in audit_pdus),
        audits_simulated=audits_simulated,
    )


#: ``audits_path`` that leaves "Since the inspection" out of every page.
NO_AUDITS = "none"


def _audits(audits_path, data, known: list[str], fw: Framework) -> tuple[object, set, bool]:
    """(the audits file or folder, None for the bundled example; the PDUs the audits hold; whether
    they are simulated). ``audits_path``: "" for the bundled SIMULATED example series, "none" for no
    audits, else a file or folder (checked here, so a bad file stops the pack before any work, with
    its file, row and column named)."""
    from hmip.data.audits import load_audits
    from hmip.paths import resolve

    if audits_path is None or str(audits_path).strip().lower() == NO_AUDITS:
        return NO_AUDITS, set(), False
    path = None
    if str(audits_path).strip():
        path = resolve(str(audits_path))
        if not path.exists():
            raise ParameterError(
                f"parameter audits_path = {str(audits_path)!r}: no such file or folder ({path}); "
                f"give the case audits (see data/README.md), or '{NO_AUDITS}' to leave "
                "'Since the inspection' out"
            )
    if data.cases is None:  # counts only: nothing case-level to compare the audits with
        if path is None:
            return NO_AUDITS, set(), False
        raise ParameterError(
            f"parameter audits_path = {str(audits_path)!r}: the audits are compared with the "
            "inspection's case-level sample, and only counts were given; give cases_path too"
        )
    audits = load_audits(path, framework=fw, pdus=list(dict.fromkeys(known)))
    return path, set(audits["pdu"]), d.is_simulated(audits)


def prepare(*, framework: Framework | None = None, **parameters: object) -> ScrutinyPack:
    """Validate the parameters, load the data and compute everything the pack shows. Takes the
    notebook's parameters, the same as :func:`load_inputs`."""
    fw = framework_or_default(framework)
    inp = load_inputs(framework=fw, **parameters)
    ranks = region_ranks(inp)
    pages = [pdu_page(inp, pdu, ranks, framework=fw) for pdu in inp.pdus]
    pages = [_with_since(inp, p, fw) if p.pdu in inp.audit_pdus else p for p in pages]
    simulated = d.is_simulated(*inp.data.loaded)
    years = Counter(p.inspected for p in pages if p.inspected != NOT_PUBLISHED)
    year = years.most_common(1)[0][0] if years else "year not published"
    from hmip.analyses import cache
    from hmip.data.findings import load_reports

    loaded = [*inp.data.loaded, inp.recommendations, cache.findings(), load_reports()] + (
        [inp.progress] if inp.progress is not None else []
    )
    sources = d.sources(*loaded)
    sources += [s for s in _since_sources(pages) if s["name"] not in {x["name"] for x in sources}]
    basis = [
        "HMIP's published ratings, points and dates: real (press releases of Oct and Nov 2022; "
        "Lewisham and Bromley PDU presentation, Jan 2023).",
        "HMIP's recommendations: real, with their source, for "
        + (", ".join(sorted(set(inp.recommendations["pdu"]))) or "no PDU")
        + "; other pages name the report.",
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
    if any(p.since is not None for p in pages):
        basis.append(
            "The PDU's own case audits (Since the inspection): "
            + (
                "a SIMULATED example series, not the PDU's results."
                if inp.audits_simulated
                else "the PDU's own case audits, from "
                + ", ".join(s["name"] for s in _since_sources(pages))
                + " (analyst-supplied)."
            )
        )
    if inp.progress is not None:
        basis.append(
            "Progress against recommendations: "
            + (
                "an ILLUSTRATIVE EXAMPLE file (invented, not real progress)."
                if d.provenance(inp.progress).example
                else f"from {d.provenance(inp.progress).sources[0]['name']} (analyst-supplied)."
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
        how_to_read=how_to_read(simulated, any(p.since is not None for p in pages)),
        methods=methods_text(inp, inp.disclosure, framework=fw),
        glossary=pack_glossary(fw),
        tables=tables,
        sources=sources,
        parameters=inp.parameters,
        region_facts=facts,
    )


def _with_since(inp: PackInputs, page: PduPage, fw: Framework) -> PduPage:
    """The page with "Since the inspection"; where the audits cannot be compared with the inspection
    (its fieldwork date is not held, or an audit is dated before it), the page says why in one note
    and the section is left out (the audit-progress report, run with its own parameters, can say
    more)."""
    try:
        return dataclasses.replace(page, since=since_section(inp, page.pdu, framework=fw))
    except ParameterError as exc:
        why = str(exc).split(";")[0].replace("parameter inspection_date is blank and the", "the")
        return dataclasses.replace(
            page, notes=[*page.notes, f"Since the inspection: not shown ({why})."]
        )


def _since_sources(pages: list[PduPage]) -> list[dict]:
    """The files behind the pages' "Since the inspection" (name, basis, SHA-256), once each."""
    out: dict[str, dict] = {}
    for p in pages:
        for s in p.since.sources if p.since is not None else ():
            out.setdefault(s["name"], s)
    return list(out.values())


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

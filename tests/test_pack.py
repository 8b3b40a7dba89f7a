"""The scrutiny pack: one standard page per PDU (PDF and HTML), the gptables workbook, the CSVs, and the
recommendations and progress loaders.

The pack is built once per module (A4, with the example progress file); the A3 layout and the
script-tag PDU reuse the same code path with smaller builds.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import re
from collections import Counter

import pytest

from hmip.analyses import scrutiny_pack as sp
from hmip.analyses.words import chance_in_words
from hmip.data.provenance import provenance
from hmip.data.recommendations import (
    EXAMPLE_PROGRESS_FILE,
    load_progress,
    load_recommendations,
    status_for,
)
from hmip.errors import DataValidationError, ParameterError
from hmip.present.badges import RATING_LABELS, RATING_STYLES
from hmip.stats.disclosure import MARKER

EVIL = "<script>alert(1)</script>"
LETTERS = {label: RATING_STYLES[label].letter for label in RATING_LABELS}


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def built(tmp_path_factory, root):
    from hmip.build.pack import write_pack
    from hmip.build.workbook import write_data

    out = tmp_path_factory.mktemp("pack")
    pack = sp.prepare(progress_path=str(root / "data" / EXAMPLE_PROGRESS_FILE))
    paths = write_pack(pack, out) + write_data(pack, out)
    return pack, out, paths


@pytest.fixture(scope="module")
def pdf_text(built):
    from pypdf import PdfReader

    _, out, _ = built
    reader = PdfReader(out / "scrutiny-pack-london.pdf")
    return reader, [_norm(p.extract_text()) for p in reader.pages]


def _body(page_text: str) -> str:
    """The page's text after the simulated warning."""
    warning = _norm(sp.SIMULATED_WARNING)
    return page_text.split(warning, 1)[1].strip() if warning in page_text else page_text


# --- The PDF ----------------------------------------------------------------------------------------
def test_build_pack_writes_every_file(built):
    pack, out, paths = built
    names = {p.name for p in paths}
    assert {
        "scrutiny-pack-london.pdf",
        "scrutiny-pack-london.html",
        "scrutiny-data-london.xlsx",
    } <= names
    assert "scrutiny-data-london-data-dictionary.csv" in names
    for key in pack.tables:
        assert f"scrutiny-data-london-{key.replace('_', '-')}.csv" in names
    assert all(p.exists() and p.stat().st_size > 0 for p in paths)
    assert not list(out.glob(".*tmp*")), "temporary files were left behind"


def test_each_pdu_heads_exactly_one_page_and_the_page_count_adds_up(built, pdf_text):
    pack, _, _ = built
    reader, pages = pdf_text
    n = len(pack.pages)
    assert n == 6
    heads = Counter()
    for text in pages:
        for p in pack.pages:
            if _body(text).startswith(p.pdu):
                heads[p.pdu] += 1
    assert heads == Counter({p.pdu: 1 for p in pack.pages})
    # cover, the region at a glance, one page per PDU (in order), then the methods pages
    assert pages[0].startswith("SIMULATED CASE DATA") and "Contents" in pages[0]
    assert _body(pages[1]).startswith("London at a glance")
    for i, p in enumerate(pack.pages, start=2):
        assert _body(pages[i]).startswith(p.pdu), f"page {i + 1} should be {p.pdu}'s"
    methods = [i for i, t in enumerate(pages) if t.startswith("Methods and glossary")]
    assert methods == [2 + n]
    methods_pages = len(pages) - (2 + n)
    assert methods_pages in (1, 2)
    assert len(reader.pages) == 1 + 1 + n + methods_pages


def test_every_pdu_page_carries_the_simulated_warning_and_marks_simulated_figures(built, pdf_text):
    pack, _, _ = built
    _, pages = pdf_text
    warning = _norm(sp.SIMULATED_WARNING)
    for i, p in enumerate(pack.pages, start=2):
        assert p.simulated
        assert pages[i].startswith(warning), p.pdu
        assert pages[i].count(sp.SIM_TAG) >= 5, p.pdu  # next to every figure built on the sample


def test_every_rating_word_appears_with_its_letter(pdf_text):
    _, pages = pdf_text
    text = " ".join(pages)
    for label, letter in LETTERS.items():
        found = [m.start() for m in re.finditer(re.escape(label), text)]
        assert found, label
        for at in found:
            before, after = text[max(0, at - 4) : at], text[at + len(label) : at + len(label) + 5]
            if before[-1:] in "'\u2018\u201c\"" and after[:1] in "'\u2019\u201d\"":
                continue  # HMIP's own words, quoted as published
            assert before.endswith(f"{letter} ") or after.startswith(f" ({letter})"), (
                f"{label!r} without its letter near: {text[max(0, at - 40) : at + 40]!r}"
            )


def test_each_pdu_page_shows_its_published_ratings_with_letters(built, pdf_text):
    pack, _, _ = built
    _, pages = pdf_text
    for i, p in enumerate(pack.pages, start=2):
        for s in p.standards:
            if s.rating == sp.NOT_PUBLISHED:
                assert f"{s.code} {s.name}" in pages[i] and "Not published" in pages[i]
            else:
                assert f"{LETTERS[s.rating]} {s.rating}" in pages[i]
        assert "Three questions a member could ask" in pages[i]


def test_unpublished_values_say_not_published_never_blank(built, pdf_text):
    pack, _, _ = built
    _, pages = pdf_text
    newham = next(i for i, p in enumerate(pack.pages, start=2) if p.pdu == "Newham")
    assert "points not published" in pages[newham]
    assert pages[newham].count("? Not published") == 9 + 1  # nine standards and the legend
    # recommendations not held: one plain line naming the report, its date and where to read it
    assert "Its recommendations are in that report" in pages[newham]
    assert "HMIP's inspection report on Newham PDU, published November 2022" in pages[newham]
    assert not any("not yet recorded" in t.lower() for t in pages)


def test_each_pdu_page_leads_with_what_hmip_found_and_the_claim_is_said_as_in_the_comparison(
    built, pdf_text
):
    from hmip.analyses.national import MIDDLE_CLAIM, middle_claim_text
    from hmip.build.pack import esc

    pack, out, _ = built
    _, pages = pdf_text
    for i, p in enumerate(pack.pages, start=2):
        assert p.findings and p.findings[0].level == "pdu", p.pdu
        body = _body(pages[i])
        # HMIP's findings come before anything built on the case sample
        assert body.index("What HMIP found") < body.index("The nine standards"), p.pdu
        assert "London-wide" in body and "25 per cent" in body, p.pdu
    html_text = (out / "scrutiny-pack-london.html").read_text(encoding="utf-8")
    for paragraph in middle_claim_text():  # the London comparison shows the same paragraphs
        assert html_text.count(esc(paragraph)) == 1
    lb = next(p for p in pack.pages if p.pdu == MIDDLE_CLAIM.pdu)
    assert lb.claim == middle_claim_text() and all(not p.claim for p in pack.pages if p is not lb)


def test_progress_is_shown_with_rag_letters_and_labelled_as_an_example(built, pdf_text):
    pack, _, _ = built
    _, pages = pdf_text
    lb = next(i for i, p in enumerate(pack.pages, start=2) if p.pdu == "Lewisham and Bromley")
    assert "ILLUSTRATIVE EXAMPLE" in pages[lb]
    for word, letter in (("At risk", "A"), ("Off track", "R"), ("On track", "G")):
        assert f"{letter} {word}" in pages[lb]
    for n in range(1, 7):
        assert re.search(rf"\b{n} (Improve|Ensure)", pages[lb]), n


def test_the_pdf_is_tagged_with_a_title_and_language(pdf_text):
    reader, _ = pdf_text
    root = reader.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert "/StructTreeRoot" in root
    assert root["/Lang"] == "en"
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert reader.metadata.title == "Probation inspection scrutiny pack: London, 2022"
    assert b"pdfuaid" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def _text_sizes(page) -> list[tuple[float, str]]:
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((size * math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]), text.strip()))

    page.extract_text(visitor_text=visit)
    return runs


def test_text_is_at_least_10pt_on_a4_and_badge_letters_at_least_9pt(built, pdf_text):
    pack, _, _ = built
    reader, _ = pdf_text
    small_ok = {sp.SIM_TAG, "?", "implied", "Not published"} | set(LETTERS) | set(LETTERS.values())
    small_ok |= {"On track", "At risk", "Off track", "G", "A", "R"}
    for i in range(2, 2 + len(pack.pages)):
        page = reader.pages[i]
        assert float(page.mediabox.width) == pytest.approx(595.28, abs=0.5)  # A4 portrait
        runs = _text_sizes(page)
        assert min(size for size, _ in runs) >= 9 - 0.01
        below_10 = {text for size, text in runs if size < 10 - 0.01}
        assert below_10 <= small_ok, below_10


def test_each_pdu_page_fits_one_a3_page_too(built):
    from hmip.build.pack import layout, overflowing_pages

    pack, _, _ = built
    a3 = dataclasses.replace(pack, paper="A3")
    _, document = layout(a3)
    assert overflowing_pages(document, len(a3.pages)) == []
    assert len(document.pages) in (9, 10)
    width_pt = document.pages[0].width * 0.75  # CSS px -> pt
    assert width_pt == pytest.approx(841.89, abs=1)  # A3 portrait


# --- The HTML ---------------------------------------------------------------------------------------
def test_the_html_opens_offline_and_matches_the_pdf(built):
    pack, out, _ = built
    page = (out / "scrutiny-pack-london.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="en">' in page
    assert f"<title>{pack.title}</title>" in page
    for external in ("http://", "https://", "<script", "<link", "<img", "@import", "url("):
        assert external not in page, external
    for p in pack.pages:
        assert p.pdu.replace(",", ",") in page


@pytest.fixture(scope="module")
def evil_pack(tmp_path_factory, root):
    from hmip.build.pack import write_pack

    out = tmp_path_factory.mktemp("evil")
    src = (root / "data" / "simulated_cases_london_2022.csv").read_text(encoding="utf-8")
    cases = out / "analyst_cases.csv"
    cases.write_text(src.replace("Lewisham and Bromley", EVIL), encoding="utf-8")
    pack = sp.prepare(cases_path=str(cases), draws=1000)
    write_pack(pack, out)
    return pack, out


def test_a_script_tag_pdu_appears_as_text_in_html_and_pdf(evil_pack):
    from pypdf import PdfReader

    pack, out = evil_pack
    assert EVIL in [p.pdu for p in pack.pages]
    page = (out / "scrutiny-pack-london.html").read_text(encoding="utf-8")
    assert EVIL not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    texts = [_norm(p.extract_text()) for p in PdfReader(out / "scrutiny-pack-london.pdf").pages]
    assert sum(_body(t).startswith(EVIL) for t in texts) == 1
    assert any(EVIL in t for t in texts[:2])  # the contents and the region at a glance


def test_analyst_data_have_no_simulated_warning_and_missing_case_data_is_said(evil_pack):
    pack, _ = evil_pack
    assert not pack.simulated
    lb = next(p for p in pack.pages if p.pdu == "Lewisham and Bromley")
    assert lb.cases is None and not lb.simulated
    assert lb.position.text == "" and lb.equality.status == "not available"
    assert all(s.sample_rating is None for s in lb.standards if s.case_sample)
    evil = next(p for p in pack.pages if p.pdu == EVIL)
    assert evil.overall == sp.NOT_PUBLISHED and evil.points is None
    assert "not available" in evil.overall_firmness


# --- The workbook and CSVs --------------------------------------------------------------------------
def test_workbook_follows_releasing_statistics_in_spreadsheets(built):
    from openpyxl import load_workbook

    pack, out, _ = built
    wb = load_workbook(out / "scrutiny-data-london.xlsx")
    assert wb.sheetnames[:3] == ["Cover", "Contents", "Notes"]
    table_sheets = wb.sheetnames[3:]
    # the seven pack tables, the national one, HMIP's stated shares and the three audit tables
    # (Lewisham and Bromley's bundled example audits: tests/test_pack_since.py)
    assert len(table_sheets) == len(pack.tables) == 12
    assert "HMIP stated shares" in table_sheets
    for ws in wb.worksheets:
        assert not ws.merged_cells.ranges, f"merged cells on {ws.title}"
    names = set()
    for title in ["Contents", "Notes", *table_sheets]:
        ws = wb[title]
        assert len(ws.tables) == 1, f"{title}: one table per sheet"
        table = next(iter(ws.tables.values()))
        names.add(table.name)
        assert table.headerRowCount in (None, 1)  # a header row
        cells = ws[table.ref]
        header = [c.value for c in cells[0]]
        assert all(isinstance(h, str) and h for h in header), title
        if title in table_sheets:
            for row in cells[1:]:
                for c in row:
                    assert c.value is not None and str(c.value).strip() != "", (
                        f"{title}!{c.coordinate} is blank"
                    )
    assert len(names) == len(table_sheets) + 2
    cover = " ".join(str(c.value) for row in wb["Cover"].iter_rows() for c in row if c.value)
    for words in ("SIMULATED", "Disclosure control", "Built", pack.built_on):
        assert words in cover


def test_workbook_ratings_are_words_and_counts_of_people_are_protected(built):
    from openpyxl import load_workbook

    _, out, _ = built
    wb = load_workbook(out / "scrutiny-data-london.xlsx")
    ws = wb["Ratings"]
    table = next(iter(ws.tables.values()))
    rows = [[c.value for c in r] for r in ws[table.ref]]
    col = rows[0].index("HMIP rating")
    assert {r[col] for r in rows[1:]} <= {*RATING_LABELS, sp.NOT_PUBLISHED}
    ws = wb["Equality"]
    table = next(iter(ws.tables.values()))
    rows = [[c.value for c in r] for r in ws[table.ref]]
    for name in ("Ethnic minority: cases judged", "White: sufficient"):
        col = rows[0].index(name)
        for r in rows[1:]:
            assert r[col] in (MARKER, sp.NA) or (int(r[col]) % 5 == 0), r[col]


def test_csvs_match_the_tables_and_the_dictionary_explains_every_column(built):
    pack, out, _ = built
    dictionary = list(csv.DictReader((out / "scrutiny-data-london-data-dictionary.csv").open()))
    explained = {(d["Table"], d["Column"]) for d in dictionary if d["Meaning"]}
    for key, table in pack.tables.items():
        path = out / f"scrutiny-data-london-{key.replace('_', '-')}.csv"
        rows = list(csv.reader(path.open(encoding="utf-8")))
        assert rows[0] == list(table.columns)
        assert len(rows) - 1 == len(table)
        assert all(cell != "" for row in rows[1:] for cell in row), path.name
        sheet = sp.TABLE_SPECS[key][0]
        assert {(sheet, c) for c in table.columns} <= explained, key


# --- The analysis -------------------------------------------------------------------------------------
def test_page_figures_agree_with_the_rules(built):
    from hmip.rules.ratings import Rating, min_yes_for

    pack, _, _ = built
    lb = next(p for p in pack.pages if p.pdu == "Lewisham and Bromley")
    assert (lb.overall, lb.points, lb.max_points, lb.points_basis) == (
        "Inadequate",
        4,
        27,
        "implied",
    )
    assessment = next(s for s in lb.standards if s.standard == "assessment")
    assert assessment.rating == "Inadequate" and assessment.sample_rating == "Inadequate"
    need = min_yes_for(Rating.REQUIRES_IMPROVEMENT, assessment.limiting_n) - assessment.limiting_yes
    assert assessment.more_needed == need and assessment.more_needed_total >= need
    # firmness agrees with the sample-size report's own sampling distributions (same data and seed)
    from hmip.analyses import sample_size

    ss = sample_size.prepare(pdu="Lewisham and Bromley")
    chances = sample_size.standard_chances(ss)
    assert abs(assessment.p_same - chances.loc["Assessment", "Inadequate"]) < 0.02
    assert abs(lb.overall_p_same - float(ss.distributions["overall"][Rating.INADEQUATE])) < 0.02
    assert [len(p.questions) for p in pack.pages] == [3] * len(pack.pages)
    # the first question stands on HMIP's published findings; the others say the sample is simulated
    assert lb.questions[0].text.startswith("HMIP found") and not lb.questions[0].simulated
    assert all("simulated case sample" in q.text for q in lb.questions[1:] if q.simulated)
    assert len(lb.recommendations) == 6 and all(r.status for r in lb.recommendations)
    for p in pack.pages:
        assert p.position.rank_lower <= p.position.rank <= p.position.rank_upper


def test_equality_headline_says_too_few_with_the_sample_needed(built):
    pack, _, _ = built
    for p in pack.pages:
        e = p.equality
        assert e.status in ("difference", "no clear difference", "too few to say")
        if e.status == "too few to say":
            assert e.text.startswith("Too few to say") and e.needed_per_group > 42
            assert e.minority_share is None and e.difference is None


def test_words_for_chances():
    assert sp.firmness_words(0.95) == "firm"
    assert sp.firmness_words(0.7) == "fairly firm"
    assert sp.firmness_words(0.5) == "could easily change"
    assert sp.firmness_words(0.1) == "likely to change"
    assert chance_in_words(0.999, "in 100") == "more than 99 in 100"
    assert chance_in_words(0.881, "in 100") == "88 in 100"
    assert sp.rating_words("RI") == "Requires improvement (RI)"
    assert sp.rating_words(None) == "not published"


def test_cases_needed_matches_statsmodels():
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    n = NormalIndPower().solve_power(
        effect_size=abs(proportion_effectsize(0.6, 0.45)), alpha=0.05, power=0.8, ratio=1
    )
    assert sp.cases_needed_per_group(0.6) == math.ceil(n)


def test_bad_parameters_are_refused():
    with pytest.raises(ParameterError, match="paper"):
        sp.load_inputs(paper="Letter")
    with pytest.raises(ParameterError, match="equality_measure"):
        sp.load_inputs(equality_measure="planning.nonsense")


# --- Recommendations and progress -------------------------------------------------------------------
def test_published_recommendations_load_with_their_source():
    recs = load_recommendations()
    assert list(recs["pdu"].unique()) == ["Lewisham and Bromley"]
    assert list(recs["number"]) == [1, 2, 3, 4, 5, 6]
    assert recs["recommendation"].iloc[5].startswith("Ensure appropriate management information")
    assert recs["source"].str.contains("Safer Bromley Partnership Board").all()


def test_the_example_progress_file_says_it_is_an_example(root):
    progress = load_progress(root / "data" / EXAMPLE_PROGRESS_FILE)
    assert "example" in EXAMPLE_PROGRESS_FILE
    assert provenance(progress).basis == "illustrative example" and provenance(progress).example
    assert progress["note"].str.startswith("ILLUSTRATIVE EXAMPLE").all()
    assert progress["evidence"].str.startswith("EXAMPLE").all()
    assert set(progress["status"]) <= {"on track", "at risk", "off track"}
    assert len(progress) == 6


HEADER = "pdu,recommendation,action,status,evidence,date\n"


@pytest.mark.parametrize(
    "rows, where, message",
    [
        (
            "Lewisham and Bromley,1,Audit,amberish,,2023-06\n",
            (1, "status"),
            "'amberish' is not a status; accepted: off track",
        ),
        (
            "Lewisham and Bromley,2,Audit,on track,,2023-06\nLewisham and Bromley,2,Again,at risk,,2023-07\n",
            (2, "recommendation"),
            "duplicate progress for recommendation: Lewisham and Bromley recommendation 2",
        ),
        (
            "Atlantis,1,Audit,on track,,2023-06\n",
            (1, "pdu"),
            "'Atlantis' has no recommendations in published_recommendations.csv",
        ),
        (
            "Lewisham and Bromley,7,Audit,on track,,2023-06\n",
            (1, "recommendation"),
            "Lewisham and Bromley has no recommendation 7; accepted: 1, 2, 3, 4, 5, 6",
        ),
        (
            "Lewisham and Bromley,1,Audit,on track,,June\n",
            (1, "date"),
            "'June' is not a date",
        ),
        (
            f"Lewisham and Bromley,1,{'x' * 76},on track,,2023-06\n",
            (1, "action"),
            "76 characters long; accepted: up to 75",
        ),
    ],
)
def test_a_bad_progress_file_is_refused_with_row_and_column(tmp_path, rows, where, message):
    path = tmp_path / "progress.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    with pytest.raises(DataValidationError) as info:
        load_progress(path)
    row, column = where
    hits = [p for p in info.value.problems if message in p.message]
    assert hits, str(info.value)
    assert (hits[0].row, hits[0].column) == (row, column)
    assert f"row {row} (line {row + 1}), column '{column}'" in str(info.value)
    assert str(path) in str(info.value)


def test_every_problem_in_a_progress_file_is_reported_and_nothing_is_dropped(tmp_path):
    path = tmp_path / "progress.csv"
    path.write_text(
        HEADER
        + "Lewisham and Bromley,1,Audit,on track,,2023-06\n"
        + "Lewisham and Bromley,1,Audit,bad,,2023-06\n"
        + "Nowhere,3,,on track,,2023\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_progress(path)
    found = {(p.row, p.column) for p in info.value.problems}
    assert {(2, "status"), (2, "recommendation"), (3, "pdu"), (3, "action"), (3, "date")} <= found
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER + "lewisham and bromley,1,Audit,On-Track,,2023-06-30\n", encoding="utf-8"
    )
    with pytest.raises(DataValidationError, match="only in case or spacing"):
        load_progress(good)


def test_a_bad_recommendations_file_is_refused_with_row_and_column(tmp_path):
    path = tmp_path / "recs.csv"
    path.write_text(
        "pdu,number,recommendation,source\n"
        "Lambeth,1,Do better,HMIP 2022\n"
        "Lambeth,1,Do better again,HMIP 2022\n"
        "Atlantis,2,Sink less,\n",
        encoding="utf-8",
    )
    with pytest.raises(DataValidationError) as info:
        load_recommendations(path)
    found = {(p.row, p.column) for p in info.value.problems}
    assert {(2, "number"), (3, "pdu"), (3, "source")} <= found


def test_status_spellings():
    assert status_for("On-Track").label == "on track"
    assert status_for("AMBER").label == "at risk"
    assert status_for("r").label == "off track"
    assert status_for("fine") is None


def test_pack_command_refuses_a_bad_progress_file_with_exit_status_2(tmp_path, capsys):
    from hmip.cli import main

    path = tmp_path / "progress.csv"
    path.write_text(HEADER + "Lewisham and Bromley,1,Audit,sideways,,2023-06\n", encoding="utf-8")
    status = main(["pack", "--out", str(tmp_path / "out"), "--progress-path", str(path)])
    assert status == 2
    err = capsys.readouterr().err
    assert "row 1 (line 2), column 'status'" in err
    assert not (tmp_path / "out" / "scrutiny-pack-london.pdf").exists()


def test_firmness_agrees_with_the_sampling_distributions():
    import pandas as pd

    """The pack's 'same rating with a fresh sample' is the probability the sampling functions give."""
    from hmip.analyses.scrutiny_pack import _probability
    from hmip.rules.ratings import Rating

    table = pd.DataFrame(
        {"rating": list(Rating), "probability": [0.9, 0.1, 0.0, 0.0], "method": "m"}
    )
    assert _probability(table, Rating.INADEQUATE) == 0.9
    assert _probability(table, "Requires improvement") == 0.1


# --- One page per PDU at the progress file's limits (issue 21, case 10) ---------------------------------
def _progress_at_the_limits(root, path):
    """Six progress rows for Lewisham and Bromley at the longest action and evidence accepted; one
    evidence is a single unbroken word in the widest letter, one action another."""
    from hmip.data.recommendations import MAX_LENGTH

    act, ev = MAX_LENGTH["action"], MAX_LENGTH["evidence"]
    rows = list(csv.DictReader((root / "data" / EXAMPLE_PROGRESS_FILE).open(encoding="utf-8")))
    assert len(rows) == 6
    for i, row in enumerate(rows):
        row["action"] = (
            "Quality improvement work on risk of harm with partners and managers " * 3
        )[:act]
        row["evidence"] = (
            "EXAMPLE: re-audit showed a rise overall but risk work is not yet checked " * 3
        )[:ev]
        if i == 2:
            row["evidence"] = "W" * ev
        if i == 4:
            row["action"] = "W" * act
        assert len(row["action"]) == act and len(row["evidence"]) == ev
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    load_progress(path)  # within the documented limits: accepted
    return path


def test_six_progress_rows_at_full_length_keep_every_pdu_on_one_a4_page(tmp_path, root):
    from pypdf import PdfReader

    from hmip.build.pack import write_pack

    progress = _progress_at_the_limits(root, tmp_path / "progress.csv")
    pack = sp.prepare(progress_path=str(progress))
    paths = write_pack(pack, tmp_path / "out")  # raises if any page runs over
    pages = [_norm(p.extract_text()) for p in PdfReader(paths[0]).pages]
    n = len(pack.pages)
    for i, p in enumerate(pack.pages, start=2):
        assert _body(pages[i]).startswith(p.pdu), f"page {i + 1} should be {p.pdu}'s"
    assert [i for i, t in enumerate(pages) if t.startswith("Methods and glossary")] == [2 + n]
    assert len(pages) - (2 + n) in (1, 2)
    lewisham = pages[2 + [p.pdu for p in pack.pages].index("Lewisham and Bromley")]
    assert "Three questions a member could ask" in lewisham and "Ratings:" in lewisham
    # "Since the inspection" (the bundled example audits) is kept, in one line, labelled simulated
    assert "5. Since the inspection (SIMULATED audits SIM" in lewisham
    assert "Improved on 4 of 15 key questions" in lewisham


def test_a_page_that_cannot_fit_fails_the_build_and_nothing_is_written(tmp_path, root):
    from hmip.build.pack import PageOverflowError, write_pack

    pack = sp.prepare(progress_path=str(root / "data" / EXAMPLE_PROGRESS_FILE))
    page = next(p for p in pack.pages if p.pdu == "Lewisham and Bromley")
    page = dataclasses.replace(
        page, recommendations=list(page.recommendations) * 3
    )  # beyond the limits
    out = tmp_path / "out"
    with pytest.raises(PageOverflowError, match="Lewisham and Bromley runs over one A4 page"):
        write_pack(dataclasses.replace(pack, pages=[page]), out)
    assert not out.exists() or not any(out.iterdir())

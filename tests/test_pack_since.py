"""The scrutiny pack's "Since the inspection" (issue 24, "Where readers meet it"): the page of a PDU with
its own case audits gains a short section (the verdict in words, what a fresh inspection would most
likely give now, and one small chart), labelled simulated when the audits are; the workbook gains the
audit tables and their CSVs; ``hmip pack --audits-path`` chooses the audits or leaves them out.

The page still fits one sheet at the progress file's limits: tests/test_pack.py (one line there).
"""

from __future__ import annotations

import csv
import shutil

import pytest

from hmip.analyses import scrutiny_pack as sp
from hmip.analyses.words import percent
from hmip.present.badges import RATING_STYLES

PDU = "Lewisham and Bromley"


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The pack as the catalogue builds it (no progress file; the bundled example audits)."""
    from hmip.build.pack import write_pack
    from hmip.build.workbook import write_data

    out = tmp_path_factory.mktemp("pack-since")
    pack = sp.prepare()
    write_pack(pack, out)
    write_data(pack, out)
    return pack, out


@pytest.fixture(scope="module")
def pdf_pages(built):
    from pypdf import PdfReader

    _, out = built
    return [_norm(p.extract_text()) for p in PdfReader(out / "scrutiny-pack-london.pdf").pages]


def _page_of(pack, pages, pdu):
    return pages[2 + [p.pdu for p in pack.pages].index(pdu)]


def test_only_the_pdu_with_audits_has_the_section(built):
    pack, _ = built
    with_since = {p.pdu for p in pack.pages if p.since is not None}
    assert with_since == {PDU}
    s = next(p.since for p in pack.pages if p.pdu == PDU)
    assert s.simulated and s.audits_simulated
    assert s.verdict.startswith(
        "The PDU's own audits of the last 12 months (80 cases) show 4 of 15 key questions improved, "
        "more than chance alone would give: 'keeping other people safe' in Assessment, Planning,"
    )
    assert (
        "'keeping other people safe'" in s.verdict
        and "No clear change on the other 11." in s.verdict
    )
    assert s.short == (
        "Improved on 4 of 15 key questions ('keeping other people safe'); no clear change on 11."
    )
    assert s.now.startswith("If inspected now (42 cases): most likely Requires improvement (RI)")
    assert s.published == "Inadequate"
    assert abs(sum(p for _, p in s.chances) - 1) < 1e-9
    assert pack.parameters["audits_path"] == "(bundled SIMULATED example audits)"
    assert any("SIMULATED example series" in b for b in pack.data_basis)
    assert "simulated_audits_lewisham_and_bromley.csv" in {x["name"] for x in pack.sources}


def test_the_page_shows_the_section_labelled_simulated_and_others_are_unchanged(built, pdf_pages):
    pack, _ = built
    for p in pack.pages:
        text = _page_of(pack, pdf_pages, p.pdu)
        if p.pdu == PDU:
            assert "5. Since the inspection" in text
            assert "SIMULATED audits, not the PDU's results" in text
            assert _norm(p.since.verdict) in text
            assert "If inspected now SIM" in text  # the chart's row, marked
            for label, chance in p.since.chances:
                if (
                    chance >= 0.12
                ):  # each large enough part of the bar carries its letter and chance
                    assert f"{RATING_STYLES[label].letter} {percent(chance, compact=True)}" in text
            assert "6. Three questions a member could ask" in text
        else:
            assert "Since the inspection" not in text
            assert "5. Three questions a member could ask" in text


def test_the_chart_is_html_with_its_words_for_screen_readers(built):
    pack, out = built
    html = (out / "scrutiny-pack-london.html").read_text(encoding="utf-8")
    assert html.count('<figure class="since-chart" role="img"') == 1
    s = next(p.since for p in pack.pages if p.pdu == PDU)
    start = "Overall rating. At the inspection, published: Inadequate (I). If HMIP inspected 42"
    assert f'aria-label="{start}' in html and s.chart_text.startswith(start)
    for external in ("<img", "url(", "<script"):
        assert external not in html


def test_without_audits_every_page_is_as_before():
    pack = sp.prepare(audits_path="none")
    assert all(p.since is None for p in pack.pages)
    assert not {"audits", "audit_change", "audit_now"} & set(pack.tables)
    assert pack.parameters["audits_path"] == "(none)"
    assert not any(k == "Since the inspection" for k, _ in pack.how_to_read)
    assert not any(k == "Since the inspection" for k, _ in pack.methods)


def test_workbook_and_csvs_have_the_audit_tables_marked_simulated(built):
    from openpyxl import load_workbook

    from hmip.data.audits import audit_counts, load_audits

    pack, out = built
    wb = load_workbook(out / "scrutiny-data-london.xlsx")
    for sheet in ("Audits", "Audit change", "Rated now"):
        assert sheet in wb.sheetnames
        assert str(wb[sheet]["A1"].value).startswith("SIMULATED example audits: ")
    notes = " ".join(str(c.value) for row in wb["Notes"].iter_rows() for c in row if c.value)
    assert "SIMULATED example series made to show the method, NOT the PDU's results" in notes
    cover = " ".join(str(c.value) for row in wb["Cover"].iter_rows() for c in row if c.value)
    assert "SIMULATED AUDITS" in cover
    # the counts are the audit file's own (cases, not people by a characteristic: unrounded)
    counts = audit_counts(load_audits())
    counts = counts[counts["covered"]]
    rows = list(csv.DictReader((out / "scrutiny-data-london-audits.csv").open(encoding="utf-8")))
    assert len(rows) == len(counts)
    assert sum(int(r["Cases judged"]) for r in rows) == int(counts["n"].sum())
    assert sum(int(r["Sufficient"]) for r in rows) == int(counts["yes"].sum())
    assert {r["Audit basis"] for r in rows} == {"simulated"}
    change = list(
        csv.DictReader((out / "scrutiny-data-london-audit-change.csv").open(encoding="utf-8"))
    )
    assert len(change) == 15
    assert sum(r["Result"] == "improved" for r in change) == 4
    # the chart's figures, the same as the page prints them
    s = next(p.since for p in pack.pages if p.pdu == PDU)
    now = list(csv.DictReader((out / "scrutiny-data-london-audit-now.csv").open(encoding="utf-8")))
    assert [(r["Overall rating"], r["Chance as the pack prints it"]) for r in now] == [
        (label, percent(p)) for label, p in s.chances
    ]
    dictionary = list(
        csv.DictReader((out / "scrutiny-data-london-data-dictionary.csv").open(encoding="utf-8"))
    )
    for sheet in ("Audits", "Audit change", "Rated now"):
        assert all(d["Meaning"] for d in dictionary if d["Table"] == sheet), sheet


def test_pack_command_takes_the_audits_path(tmp_path, root, capsys):
    from hmip.cli import main

    audits = tmp_path / "my_audits.csv"
    shutil.copy(root / "data" / "simulated_audits_lewisham_and_bromley.csv", audits)
    out = tmp_path / "out"
    assert main(["pack", "--out", str(out), "--audits-path", str(audits)]) == 0
    html = (out / "scrutiny-pack-london.html").read_text(encoding="utf-8")
    assert "5. Since the inspection" in html
    assert f"audits_path = {audits}" in html  # the methods page says which audits were used


def test_a_bad_audits_file_is_refused_naming_file_row_and_column(tmp_path, root, capsys):
    from hmip.cli import main

    src = (root / "data" / "simulated_audits_lewisham_and_bromley.csv").read_text(encoding="utf-8")
    lines = src.splitlines(keepends=True)
    lines[3] = "2023-02-30" + lines[3][len("2022-12-16") :]
    bad = tmp_path / "audits.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["pack", "--out", str(out), "--audits-path", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err or bad.name in err
    assert "row 3" in err and "audit_date" in err and "not a real date" in err
    assert not (out / "scrutiny-pack-london.pdf").exists()
    assert main(["pack", "--out", str(out), "--audits-path", str(tmp_path / "missing")]) == 2
    assert "no such file or folder" in capsys.readouterr().err


def test_audits_that_cannot_be_compared_leave_a_note_not_a_section(tmp_path, root):
    """Newham's own audits (here the example series relabelled): its fieldwork date is not held, so the
    audits cannot be set against the inspection; the page says so in one note."""
    src = (root / "data" / "simulated_audits_lewisham_and_bromley.csv").read_text(encoding="utf-8")
    path = tmp_path / "newham.csv"
    path.write_text(src.replace(PDU, "Newham"), encoding="utf-8")
    pack = sp.prepare(audits_path=str(path))
    assert all(p.since is None for p in pack.pages)
    newham = next(p for p in pack.pages if p.pdu == "Newham")
    assert newham.notes == [
        "Since the inspection: not shown (the fieldwork date of Newham's inspection is not held)."
    ]
    assert pack.parameters["audits_path"] == str(path)

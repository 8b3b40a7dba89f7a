"""Issue 20: the same figure in the same words wherever it appears, read from the RENDERED outputs.

The catalogue is built once per test session (the ``built`` fixture in conftest.py, shared with the
report and reader tests). For every London PDU the figures are read back from the files a reader gets:
the pack's PDF text (pypdf) and HTML, the workbook (openpyxl) and its CSVs, the sample-size report, the
London comparison and the index; never from the dataclasses, so a formatter or template that goes its
own way is caught. Checked: overall rating, points, the nine standard ratings (and which are implied),
the key question that set each band with its counts and share, "more cases for the next band",
firmness (each standard and overall), the rank in the region and nationally.
"""

from __future__ import annotations

import csv
import os
import re
from functools import cache
from pathlib import Path

import pytest

from hmip.analyses.words import percent

pytestmark = pytest.mark.e2e

LETTER = {"Inadequate": "I", "Requires improvement": "RI", "Good": "G", "Outstanding": "O"}
NOT_PUBLISHED = "Not published"


def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _squash(text: str) -> str:
    """Text with every space removed: PDF extraction breaks lines and spaces differently."""
    return re.sub(r"\s+", "", text)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _badge(cell) -> str | None:
    """The rating a cell's badge says (its accessible name), or None where it has none."""
    b = cell.find(attrs={"role": "img"})
    return None if b is None else b.get("aria-label")


def _rows(table) -> tuple[list[str], list[list]]:
    head = [_norm(th.get_text(" ", strip=True)) for th in table.find("thead").find_all("th")]
    body = [tr.find_all(["th", "td"]) for tr in table.find("tbody").find_all("tr")]
    return head, body


@pytest.fixture(scope="module")
def run(request) -> Path:
    """The latest run of the session's build; HMIP_CONSISTENCY_RUN=<run folder> checks a build made
    already (for example `hmip reports build --out reports` then reports/latest) without building."""
    given = os.environ.get("HMIP_CONSISTENCY_RUN")
    if given:
        return Path(given)
    out, _ = request.getfixturevalue("built")
    return out / "latest"


@pytest.fixture(scope="module")
def london() -> list[str]:
    from hmip.data.loaders import load_published_ratings

    overall = load_published_ratings().overall
    return list(overall.loc[overall["region"] == "London", "pdu"])


# --- Readers of each output ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pack_html(run) -> dict[str, dict]:
    """Per PDU, what its pack page (HTML) says."""
    soup = _soup(run / "scrutiny-pack-london.html")
    out = {}
    for sec in soup.select("section.page.pdu"):
        pdu = _norm(sec.find("h2").get_text())
        text = _norm(sec.get_text(" ", strip=True))
        standards = {}
        for tr in sec.select("table.standards tbody tr"):
            cells = tr.find_all(["th", "td"])
            code, *name = _norm(cells[0].get_text(" ", strip=True)).split(" ")
            label = _badge(cells[1])
            row = {
                "name": " ".join(name),
                "rating": label.removesuffix(" (implied)"),
                "implied": "implied" in label or "implied" in cells[1].get_text(" ", strip=True),
            }
            if len(cells) == 6:  # a case-sample standard with case data
                row["band"] = _badge(cells[2])
                row["limiting"] = _norm(cells[2].get_text(" ", strip=True)).split(" ", 1)[1]
                row["sufficient"] = _norm(cells[3].get_text(" ", strip=True))
                row["more"] = _norm(cells[4].get_text(" ", strip=True))
                row["next"] = _badge(cells[4])
                row["firmness"] = _norm(cells[5].get_text(" ", strip=True))
            standards[code] = row
        overall = sec.select_one(".overall")
        firm = re.search(r"again (.+?) of the time: ([a-z ]+)\.", text)
        rank = re.search(
            r"sufficient, (joint )?(\d+)(?:st|nd|rd|th) of (\d+) \(1st = highest\)", text
        )
        spread = re.search(r"anywhere from (\d+)(?:st|nd|rd|th) to (\d+)(?:st|nd|rd|th)", text)
        national = re.search(r"Nationally: (.+?) of (\d+) PDUs", text)
        cases = re.search(r"(\d+) cases in the sample", text)
        out[pdu] = {
            "text": text,
            "overall": _badge(overall),
            "points": _norm(overall.select_one(".points").get_text()),
            "standards": standards,
            "overall_firmness": None if firm is None else (firm.group(1), firm.group(2)),
            "rank": None
            if rank is None
            else (
                int(rank.group(2)),
                int(rank.group(3)),
                int(spread.group(1)),
                int(spread.group(2)),
            ),
            "national": None if national is None else (national.group(1), int(national.group(2))),
            "cases": None if cases is None else int(cases.group(1)),
        }
    return out


@pytest.fixture(scope="module")
def pack_pdf(run, london) -> dict:
    """Per PDU, its pack page's text from the PDF, spaces removed."""
    from pypdf import PdfReader

    pages = [_squash(p.extract_text()) for p in PdfReader(run / "scrutiny-pack-london.pdf").pages]
    starts = {}  # the page each PDU's page begins on: its name near the top, after the warning
    for pdu in london:
        starts[pdu] = next(
            i for i, p in enumerate(pages) if _squash(pdu) in p[:400] and "ataglance" not in p[:400]
        )
    ends = sorted(starts.values()) + [len(pages)]
    per_pdu = {}
    for pdu, i in starts.items():
        stop = min([e for e in ends if e > i] + [len(pages)])
        # a PDU's page may run onto the next sheet of paper: up to the next PDU's page
        per_pdu[pdu] = "".join(pages[i:stop])
    return {"pages": pages, "pdu": per_pdu}


@pytest.fixture(scope="module")
def workbook(run) -> dict[str, list[dict]]:
    """Each sheet of the workbook as rows of {column: value as text}."""
    from openpyxl import load_workbook

    wb = load_workbook(run / "scrutiny-data-london.xlsx", read_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [[("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)]
        head = next((i for i, r in enumerate(rows) if r and r[0] == "PDU"), None)
        if head is None:
            continue
        cols = rows[head]
        out[ws.title] = [dict(zip(cols, r, strict=False)) for r in rows[head + 1 :] if any(r)]
    return out


@pytest.fixture(scope="module")
def csvs(run) -> dict[str, list[dict]]:
    out = {}
    for path in run.glob("scrutiny-data-london-*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as f:
            out[path.stem.removeprefix("scrutiny-data-london-")] = list(csv.DictReader(f))
    return out


@pytest.fixture(scope="module")
def sample_size(run, london) -> dict[str, dict]:
    """Per PDU, its sample-size report: the standards table, the key-question table, main points."""
    out = {}
    for path in run.glob("sample-size-*.html"):
        soup = _soup(path)
        title = _norm(soup.find("h1").get_text())
        pdu = next(p for p in london if f"How firm are {p}'s ratings" in title)
        text = _norm(soup.get_text(" ", strip=True))
        tables = {
            _norm(t.find("caption").get_text()): t
            for t in soup.find_all("table")
            if t.find("caption")
        }
        head, body = _rows(tables["The nine rated standards"])
        col = {h.replace(" simulated", ""): i for i, h in enumerate(head)}
        standards = {}
        for cells in body:
            name = _norm(cells[col["Standard"]].get_text())
            standards[name] = {
                "rating": _badge(cells[col["Rating"]]),
                "from": _norm(cells[col["Rating from"]].get_text()),
                "weakest": _norm(cells[col["Weakest key question"]].get_text()),
                "sufficient": _norm(cells[col["Sufficient"]].get_text()),
                "more": _norm(cells[col["More sufficient cases for the next band"]].get_text()),
                "same": _norm(cells[col["Same rating with a fresh sample"]].get_text()),
            }
        head, body = _rows(tables["Key questions: share of cases judged sufficient"])
        col = {h.replace(" simulated", ""): i for i, h in enumerate(head)}
        kqs = {
            _norm(c[col["Key question"]].get_text()): (
                _norm(c[col["Sufficient"]].get_text()),
                _norm(c[col["Share"]].get_text()),
            )
            for c in body
        }
        points = [_norm(li.get_text(" ", strip=True)) for li in soup.select(".hmip-main-points li")]
        out[pdu] = {"standards": standards, "kqs": kqs, "text": text, "main_points": points}
    return out


def _glance(path: Path, caption_has: str) -> dict[str, dict[str, str]]:
    """The 'ratings at a glance' grid: PDU -> column -> the badge's rating or the cell's text."""
    soup = _soup(path)
    table = next(
        t
        for t in soup.find_all("table")
        if t.find("caption") and caption_has in t.find("caption").get_text()
    )
    head, body = _rows(table)
    out = {}
    for cells in body:
        pdu = _norm(cells[0].get_text())
        out[pdu] = {
            h: (_badge(c) or _norm(c.get_text())) for h, c in zip(head[1:], cells[1:], strict=True)
        }
    return out


@pytest.fixture(scope="module")
def index_glance(run):
    return _glance(run.parent / "index.html", "published ratings")


@pytest.fixture(scope="module")
def comparison(run):
    path = run / "london-comparison.html"
    text = _norm(_soup(path).get_text(" ", strip=True))
    return {"glance": _glance(path, "Published ratings by standard"), "text": text}


# --- Helpers ------------------------------------------------------------------------------------------
def _points(text: str) -> tuple[int | None, bool]:
    """(points or None, implied?) from any output's wording of them."""
    m = re.search(r"(\d+) of 27", text)
    return (None if m is None else int(m.group(1)), "implied" in text)


def _by(rows: list[dict], **match) -> list[dict]:
    return [r for r in rows if all(r.get(k) == v for k, v in match.items())]


def _one(rows: list[dict], **match) -> dict:
    got = _by(rows, **match)
    assert len(got) == 1, (match, len(got))
    return got[0]


# --- The checks ---------------------------------------------------------------------------------------
def test_every_london_pdu_is_in_every_output(
    london, pack_html, sample_size, index_glance, comparison, workbook
):
    assert len(london) == 6
    for pdu in london:
        assert pdu in pack_html, pdu
        assert pdu in sample_size, pdu
        assert pdu in index_glance, pdu
        assert pdu in comparison["glance"], pdu
        assert _by(workbook["Overall"], PDU=pdu), pdu


def test_workbook_and_csvs_hold_the_same_rows(workbook, csvs):
    names = {
        "overall": "Overall",
        "ratings": "Ratings",
        "key-questions": "Key questions",
        "firmness": "Firmness",
        "position": "Position",
        "national": "National",
    }
    for key, sheet in names.items():
        book, flat = workbook[sheet], csvs[key]
        assert len(book) == len(flat), key
        for a, b in zip(book, flat, strict=True):
            for col, v in b.items():
                x = a[col]
                same = x == v or (x.replace(".0", "") == v.replace(".0", ""))
                assert same, (key, col, x, v)


def test_overall_rating_and_points_agree(
    london, pack_html, pack_pdf, workbook, index_glance, comparison, sample_size
):
    for pdu in london:
        page = pack_html[pdu]
        row = _one(workbook["Overall"], PDU=pdu)
        assert page["overall"] == row["Overall rating"] == index_glance[pdu]["Overall"], pdu
        assert comparison["glance"][pdu]["Overall"] == page["overall"], pdu
        points = _points(page["points"])
        book = (
            None if row["Points"] == "[x]" else int(row["Points"]),
            row["Points basis"] == "implied",
        )
        assert points == book == _points(index_glance[pdu]["Points"]), pdu
        assert _points(comparison["glance"][pdu]["Points"]) == points, pdu
        first = sample_size[pdu]["main_points"][0]
        assert f"HMIP rated {pdu}" in first and page["overall"] in first, pdu
        if points[0] is not None:
            assert f"{points[0]} of 27 points" in first and (("implied" in first) == points[1]), pdu
        else:
            assert "points not published" in first, pdu
        # the PDF page says the same as the HTML
        assert any(_squash(pdu) in p and _squash(page["points"]) in p for p in pack_pdf["pages"]), (
            pdu
        )


def test_nine_standard_ratings_agree_and_say_which_are_implied(
    london, pack_html, workbook, index_glance, comparison, sample_size
):
    for pdu in london:
        page = pack_html[pdu]["standards"]
        assert len(page) == 9, pdu
        ss = sample_size[pdu]["standards"]
        for code, s in page.items():
            row = _one(workbook["Ratings"], PDU=pdu, **{"Standard code": code})
            rating = s["rating"]
            assert rating == row["HMIP rating"], (pdu, code)
            assert s["implied"] == (row["Basis"] == "implied"), (pdu, code)
            assert index_glance[pdu][s["name"]] == rating, (pdu, code)
            assert comparison["glance"][pdu][s["name"]] == rating, (pdu, code)
            # the sample-size report draws only HMIP's ratings as badges ("?" where not published)
            assert ss[s["name"]]["rating"] == rating, (pdu, code, ss[s["name"]])
            assert ("implied" in ss[s["name"]]["from"]) == s["implied"], (pdu, code)


def test_key_question_counts_shares_and_more_cases_agree(
    london, pack_html, pack_pdf, workbook, sample_size
):
    for pdu in london:
        pdf = pack_pdf["pdu"][pdu]
        for code, s in pack_html[pdu]["standards"].items():
            if "sufficient" not in s:
                continue
            row = _one(workbook["Ratings"], PDU=pdu, **{"Standard code": code})
            yes, n = (int(x) for x in re.match(r"(\d+) of (\d+)", s["sufficient"]).groups())
            # the key question that set the band, with its counts and share, in the Key questions sheet
            assert row["Key question that set the band"] == s["limiting"], (pdu, code)
            kq = [
                r
                for r in _by(workbook["Key questions"], PDU=pdu, Standard=s["name"])
                if r["Sufficient"] == str(yes) and r["Cases judged"] == str(n)
            ]
            assert kq, (pdu, code, yes, n)
            assert s["sufficient"] == f"{yes} of {n} ({percent(yes / n)})", (pdu, code)
            assert abs(float(kq[0]["Share sufficient (%)"]) - 100 * yes / n) <= 0.05, (pdu, code)
            assert row["Rating from the case sample"] == s["band"], (pdu, code)
            # "more cases for the next band": one quantity in the pack, workbook and sample-size report
            ss = sample_size[pdu]["standards"][s["name"]]
            if s["next"] is None:
                assert s["more"] == "already the top band" and ss["more"] == "", (pdu, code)
            else:
                more = int(s["more"].split()[0])
                assert s["more"] == f"{more} more for {LETTER[s['next']]}", (pdu, code)
                assert row["More sufficient cases for the next band"] == str(more), (pdu, code)
                assert row["Next band"] == s["next"], (pdu, code)
                assert ss["more"] == str(more), (pdu, code)
            assert ss["sufficient"] == f"{yes} of {n}" and ss["weakest"] == s["limiting"], (
                pdu,
                code,
            )
            label = f"{s['name']}: {s['limiting']}"
            assert sample_size[pdu]["kqs"][label] == (
                f"{yes} of {n}",
                percent(yes / n, compact=True),
            )
            # the PDF page prints the same cells
            assert _squash(s["sufficient"]) in pdf, (pdu, code)
            assert _squash(s["firmness"]) in pdf, (pdu, code)


def _compact(said: str) -> str:
    """The chart and table form of a whole percentage: 'more than 99%' -> '>99%'."""
    return said.replace("more than ", ">").replace("less than ", "<")


def _fits(number: str, said: str) -> bool:
    """The workbook's percentage (1 decimal) agrees with the words printed: '99.97' with 'more than
    99%', '48.3' with '48%'."""
    x = float(number)
    if said == "more than 99%":
        return 99 <= x <= 100
    if said == "less than 1%":
        return 0 <= x <= 1
    return abs(x - int(said.rstrip("%"))) <= 0.5 + 1e-9


def test_firmness_agrees(london, pack_html, pack_pdf, workbook, sample_size):
    for pdu in london:
        page = pack_html[pdu]
        for code, s in page["standards"].items():
            if "firmness" not in s:
                continue
            row = _one(workbook["Firmness"], PDU=pdu, Standard=s["name"])
            said = row["Chance as the pack prints it"]
            assert s["firmness"] == f"{said}: {row['In words']}", (pdu, code, s["firmness"], said)
            number = row["Chance of the same rating in a fresh sample (%)"]
            assert _fits(number, said), (pdu, code, number, said)
            same = sample_size[pdu]["standards"][s["name"]]["same"]
            assert same == _compact(said), (pdu, code, same, said)
        overall = _by(workbook["Firmness"], PDU=pdu, Standard="Overall rating")
        if page["overall_firmness"] is None:
            assert not overall, pdu
            continue
        said = overall[0]["Chance as the pack prints it"]
        assert page["overall_firmness"] == (said, overall[0]["In words"]), pdu
        assert _fits(overall[0]["Chance of the same rating in a fresh sample (%)"], said), pdu
        main = next(p for p in sample_size[pdu]["main_points"] if "With a fresh sample of" in p)
        assert f"again {said} " in main, (pdu, main)
        assert any(_squash(f"again{said}ofthetime") in p for p in pack_pdf["pages"]), pdu


def test_ranks_agree(london, pack_html, workbook, comparison):
    for pdu in london:
        page = pack_html[pdu]
        pos = _one(workbook["Position"], PDU=pdu)
        rank, of, best, worst = page["rank"]
        assert (str(rank), str(of)) == (pos["Rank (1 = highest share)"], pos["Of"]), pdu
        assert (str(best), str(worst)) == (
            pos["Highest plausible rank"],
            pos["Lowest plausible rank"],
        )
        nat = _one(workbook["National"], PDU=pdu)
        said, n = page["national"]
        lo, hi = nat["Best national rank"], nat["Worst national rank"]
        expected = (
            f"{_ordinal(int(lo))}"
            if lo == hi
            else f"between {_ordinal(int(lo))} and {_ordinal(int(hi))}"
        )
        assert said == expected and str(n) == nat["Of"], (pdu, said, expected)
        assert f"{pdu}: {expected} of {n}" in comparison["text"], pdu


@cache
def _ordinal(n: int) -> str:
    from hmip.analyses.words import ordinal

    return ordinal(n)


def test_cases_in_the_sample_agree(london, pack_html, workbook):
    for pdu in london:
        judged = {int(r["Cases judged"]) for r in _by(workbook["Key questions"], PDU=pdu)}
        assert pack_html[pdu]["cases"] == max(judged), pdu

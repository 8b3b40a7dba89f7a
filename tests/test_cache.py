"""Issue 25: shared work computed once. The memo (hmip.analyses.cache, hmip.present.cache) only saves
recomputing: cached and uncached results are identical (table values, chart PNG bytes), it never
serves a stale result (a changed argument, framework file, data file or source gives a new key), and
`hmip run` alone draws the same chart bytes as a build's warmed process."""

from __future__ import annotations

import base64
import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hmip.analyses import cache
from hmip.analyses import sample_size as ss
from hmip.data.provenance import provenance
from hmip.present import cache as chart_cache
from hmip.present import charts, display
from hmip.rules.framework import FRAMEWORK_DIR, default_framework, load_framework

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "data" / "simulated_cases_london_2022.csv"
NOTEBOOK = "notebooks/sample_size_sensitivity.ipynb"
PDU = "Lewisham and Bromley"


@pytest.fixture(autouse=True)
def fresh_memo(monkeypatch):
    monkeypatch.delenv("HMIP_NO_CACHE", raising=False)
    cache.clear()
    yield
    cache.clear()


def _uncached(monkeypatch, fn, *args, **kwargs):
    monkeypatch.setenv("HMIP_NO_CACHE", "1")
    try:
        return fn(*args, **kwargs)
    finally:
        monkeypatch.delenv("HMIP_NO_CACHE")


def _accuracy_png(result, n=42, target=0.8) -> bytes:
    return chart_cache.accuracy_chart(result, n, target)[0]


def _framework_with(tmp_path: Path, good_at: str) -> Path:
    """The default framework's file with Good's threshold moved (a modified TOML)."""
    text = (FRAMEWORK_DIR / "pdu_2021.toml").read_text(encoding="utf-8")
    changed = text.replace(
        '{ rating = "Good", at_least = "0.65" }', f'{{ rating = "Good", at_least = "{good_at}" }}'
    )
    assert changed != text
    path = tmp_path / "framework.toml"
    path.write_text(changed, encoding="utf-8")
    return path


# --- cached and uncached are identical -----------------------------------------------------------------
def test_cached_and_uncached_results_are_identical(monkeypatch):
    plain = _uncached(monkeypatch, ss.prepare, pdu=PDU)
    first = ss.prepare(pdu=PDU)  # fills the memo
    assert cache.STATS["misses"] > 0 and cache.size() > 0
    second = ss.prepare(pdu=PDU)  # served from it
    assert cache.STATS["hits"] > 0
    for result in (first, second):
        pd.testing.assert_frame_equal(result.sample_sizes, plain.sample_sizes)
        pd.testing.assert_frame_equal(result.accuracy, plain.accuracy)
        pd.testing.assert_frame_equal(result.key_questions, plain.key_questions)
        pd.testing.assert_frame_equal(result.inputs.counts, plain.inputs.counts)
        pd.testing.assert_frame_equal(result.distributions["table"], plain.distributions["table"])
        assert result.inputs.judgement == plain.inputs.judgement
        assert result.conclusion == plain.conclusion
        assert [provenance(f) for f in result.inputs.loaded] == [
            provenance(f) for f in plain.inputs.loaded
        ]
    fresh = display.figure_html(
        charts.accuracy_curves(plain.accuracy, mark_n=42, target_lines=[0.8, 0.9])
    )
    shown: list[str] = []
    monkeypatch.setattr(display, "_display", lambda html, extra=None: shown.append(html))
    for _ in range(2):  # drawn, then from the memo
        display.show_chart(
            charts.accuracy_curves, first.accuracy, mark_n=42, target_lines=[0.8, 0.9]
        )
    assert shown == [fresh, fresh]


def test_a_caller_cannot_change_what_the_next_caller_gets():
    a = ss.sample_size_table(ss.BOUNDARY_SHARES, targets=[0.8, 0.9], n=42)
    a.loc[:, "method"] = "changed"
    a.iloc[0, 0] = 0.99
    b = ss.sample_size_table(ss.BOUNDARY_SHARES, targets=[0.8, 0.9], n=42)
    assert cache.STATS["hits"] == 1
    assert (b["method"] != "changed").all() and b.iloc[0, 0] == ss.BOUNDARY_SHARES[0]


# --- never stale -----------------------------------------------------------------------------------------
def test_an_argument_changes_the_figures():
    base = ss.prepare(pdu=PDU)
    other = ss.prepare(pdu=PDU, n=60, accuracy_target=0.9)
    assert "p_correct_at_60" in other.sample_sizes and "p_correct_at_42" not in other.sample_sizes
    assert _accuracy_png(base) != _accuracy_png(other, 60, 0.9)
    with_caseload = ss.prepare(pdu=PDU, caseload=300)
    assert not with_caseload.sample_sizes.equals(base.sample_sizes)


def test_a_modified_framework_file_changes_the_figures(tmp_path):
    fw = default_framework()
    table = ss.sample_size_table(ss.BOUNDARY_SHARES, n=42, framework=fw)
    png = _accuracy_png(ss.prepare(pdu=PDU))
    moved = load_framework(str(_framework_with(tmp_path, "0.70")))
    changed = ss.sample_size_table(ss.BOUNDARY_SHARES, n=42, framework=moved)
    assert not changed.equals(table)  # 0.70 is now Good's boundary, not within it
    result = ss.prepare(pdu=PDU, framework=moved)
    assert _accuracy_png(result) != png
    # the same content in another file is keyed by that file too, and gives the same values
    same = load_framework(str(shutil.copy(FRAMEWORK_DIR / "pdu_2021.toml", tmp_path / "same.toml")))
    pd.testing.assert_frame_equal(
        ss.sample_size_table(ss.BOUNDARY_SHARES, n=42, framework=same), table
    )


def test_a_changed_data_file_changes_the_figures(tmp_path):
    path = tmp_path / "simulated_cases.csv"
    shutil.copy(CASES, path)
    before = ss.prepare(pdu=PDU, cases_path=str(path))
    again = ss.prepare(pdu=PDU, cases_path=str(path))
    pd.testing.assert_frame_equal(again.key_questions, before.key_questions)
    rows = list(csv.reader(path.open(encoding="utf-8")))
    col = rows[0].index("assessment.engagement")
    flipped = 0
    for r in rows[1:]:
        if r[rows[0].index("pdu")] == PDU and r[col] in ("yes", "Yes") and flipped < 5:
            r[col] = "no" if r[col] == "yes" else "No"
            flipped += 1
    assert flipped == 5
    stat = path.stat()
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # mtime put back: the content decides
    after = ss.prepare(pdu=PDU, cases_path=str(path))
    assert not after.key_questions["yes"].equals(before.key_questions["yes"])
    assert after.key_questions["yes"].sum() == before.key_questions["yes"].sum() - 5


def test_the_code_version_is_in_the_key(monkeypatch):
    k = cache.key("x", 1, code=("hmip.stats",))
    assert cache.key("x", 1, code=("hmip.stats",)) == k
    monkeypatch.setitem(cache._CODE, "hmip.stats", "another version")
    assert cache.key("x", 1, code=("hmip.stats",)) != k


def test_content_not_identity_keys_a_frame():
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert cache.token(df) == cache.token(df.copy())
    assert cache.token(df) != cache.token(df.assign(a=[1, 3]))
    assert cache.token(df) != cache.token(df.rename(columns={"b": "c"}))
    assert cache.token(df) != cache.token(df.astype({"a": float}))
    cats = df.astype({"b": pd.CategoricalDtype(["x", "y"])})
    assert cache.token(cats) != cache.token(df.astype({"b": pd.CategoricalDtype(["y", "x"])}))
    assert cache.token(df) != cache.token(df.set_axis(["p", "q"]))
    from hmip.data.provenance import Provenance, stamp

    assert cache.token(stamp(df.copy(), Provenance(simulated=True))) != cache.token(df)


def test_the_memo_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("HMIP_NO_CACHE", "1")
    ss.sample_size_table(ss.BOUNDARY_SHARES, n=42)
    assert cache.size() == 0


# --- the warm process, and hmip run alone ------------------------------------------------------------------
def test_warm_fills_the_memo_for_the_catalogues_sample_size_reports():
    jobs = [
        {"notebook": NOTEBOOK, "parameters": {"pdu": p}}
        for p in ("Lewisham and Bromley", "Lambeth")
    ] + [{"notebook": "notebooks/london_comparison.ipynb", "parameters": {}}]
    from hmip.present.charts import glyphs

    glyphs.clear()
    assert chart_cache.warm(jobs) == 1  # one shared parameter set
    # two reports: no PDU's own charts drawn (it pays from MIN_GLYPH_WARM reports)
    assert not any("fresh sample" in key[3] for key in glyphs._LAYOUTS)
    many = [{"notebook": NOTEBOOK, "parameters": {"pdu": "Lambeth"}}] * 20
    assert chart_cache.MIN_GLYPH_WARM <= len(many) and chart_cache.warm(many) == 1
    # one PDU's own charts drawn too: their text kept for every report forked afterwards
    assert len(glyphs._GLYPHS) > 200 and len(glyphs._LAYOUTS) > 50
    assert any("fresh sample" in key[3] for key in glyphs._LAYOUTS)
    hits = cache.STATS["hits"]
    result = ss.prepare(pdu="Lambeth")
    chart_cache.accuracy_chart(result, 42, 0.8)
    assert cache.STATS["hits"] >= hits + 5  # data files, table, chart: all from the memo


@pytest.mark.notebooks
def test_hmip_run_alone_draws_the_same_chart_bytes_as_the_warmed_path(tmp_path):
    out = tmp_path / "report.html"
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("hmip")),
            "run",
            NOTEBOOK,
            "-p",
            "pdu",
            PDU,
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "HMIP_NO_CACHE": "1"},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    images = [
        base64.b64decode(m)
        for m in re.findall(
            r"data:image/png;base64,([A-Za-z0-9+/=]+)", out.read_text(encoding="utf-8")
        )
    ]
    jobs = [{"notebook": NOTEBOOK, "parameters": {"pdu": p}} for p in ("Lambeth", "Newham")]
    chart_cache.warm(jobs)  # as a build's warm process does
    warmed = chart_cache.accuracy_chart(ss.prepare(pdu=PDU), 42, 0.8)[0]
    assert cache.STATS["hits"] > 0
    assert warmed in images


def test_the_builds_warm_process_warms_from_the_catalogues_jobs():
    from hmip.build import execute

    execute._warm_shared(None)  # no jobs: nothing
    assert cache.size() == 0
    one = [{"name": "x", "notebook": NOTEBOOK, "parameters": {"pdu": PDU}}]
    execute._warm_shared(one)  # one report alone: it does its own work
    assert cache.size() == 0
    execute._warm_shared(
        [*one, {"name": "y", "notebook": NOTEBOOK, "parameters": {"pdu": "Lambeth"}}]
    )
    assert cache.size() >= 5


# --- HMIP's findings: read and checked once per build --------------------------------------------------
def test_the_findings_file_is_read_once_and_never_served_stale(tmp_path):
    from hmip.analyses import evidence
    from hmip.data.findings import FINDINGS_FILE, load_findings
    from hmip.paths import data_dir

    plain = load_findings()
    first = cache.findings()
    pd.testing.assert_frame_equal(first, plain)
    assert provenance(first) == provenance(plain)
    hits = cache.STATS["hits"]
    lines = evidence.found_lines(PDU)  # served from the memo
    evidence.findings_file()
    assert cache.STATS["hits"] >= hits + 2
    first.loc[:, "text"] = "changed by a caller"
    assert (cache.findings()["text"] != "changed by a caller").all()
    # the same file changed in place (its mtime put back): the content decides
    path = tmp_path / FINDINGS_FILE
    shutil.copy(data_dir() / FINDINGS_FILE, path)
    before = cache.findings(path)
    text = path.read_text(encoding="utf-8")
    row = before[before["pdu"] == PDU].iloc[0]
    assert text.count(row["text"]) >= 1
    stat = path.stat()
    path.write_text(text.replace(row["text"], "A finding reworded", 1), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    after = cache.findings(path)
    assert "A finding reworded" in set(after["text"]) and "A finding reworded" not in set(
        before["text"]
    )
    assert lines == evidence.found_lines(PDU)


def test_the_builds_warm_process_reads_the_findings_for_two_jobs_or_more():
    from hmip.build import execute

    execute._warm_shared([{"name": "x", "notebook": "notebooks/london_comparison.ipynb"}])
    assert cache.size() == 0
    execute._warm_shared(
        [
            {"name": "x", "notebook": "notebooks/london_comparison.ipynb", "parameters": {}},
            {"name": "y", "notebook": "notebooks/ethnicity_disproportionality.ipynb"},
        ]
    )
    assert cache.size() == 1
    hits = cache.STATS["hits"]
    cache.findings()
    assert cache.STATS["hits"] == hits + 1


# --- a chart is drawn once, laid out as savefig lays it out -----------------------------------------------
def test_a_chart_drawn_once_has_savefigs_pixels():
    """figure_png lays the figure out (constrained layout) and draws it once; savefig lays it out with
    a throw-away draw first. The pixels are the same, for every chart of the sample-size report (each
    drawn afresh: a figure drawn a second time may be laid out from where the first left it)."""
    import io

    import numpy as np
    from PIL import Image

    from hmip.present.charts import png

    result = ss.prepare(pdu=PDU)
    makers = [
        lambda: charts.probability_bars(ss.standard_chances(result), simulated=result.simulated),
        lambda: charts.shares_with_bands(result.key_questions.set_index("label"), simulated=True),
        lambda: charts.accuracy_curves(result.accuracy, mark_n=42, target_lines=[0.8, 0.9]),
    ]
    if result.distributions["points"] is not None:
        makers.append(lambda: charts.points_distribution(result.distributions["points"], pdu=PDU))
    for make in makers:
        buf = io.BytesIO()
        with charts.chart_style():
            make().savefig(buf, format="png", dpi=png.FIGURE_DPI)
        plain = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))
        fig = make()
        saves: list = []
        savefig = fig.savefig
        fig.savefig = lambda *a, _save=savefig, _saves=saves, **k: (
            _saves.append(k.get("format")),
            _save(*a, **k),
        )
        once = np.asarray(png._rendered(fig, png.FIGURE_DPI))
        assert saves == ["raw"]  # drawn once: its size read, not the PNG route's second drawing
        assert fig.get_layout_engine() is not None  # the engine is put back
        assert once.shape == plain.shape and (once == plain).all()


def test_a_text_width_is_measured_once_and_keyed_on_the_font_and_dpi():
    from hmip.present.charts import frame

    frame._WIDTHS.clear()
    with charts.chart_style():
        fig = frame._new_figure()
        plain = fig.canvas.get_renderer().get_text_width_height_descent(
            "Requires improvement", frame.FontProperties(size=9.5, weight="bold"), ismath=False
        )[0]
        first = frame._text_width(fig, "Requires improvement", 9.5, "bold")
        assert first == plain / fig.dpi and len(frame._WIDTHS) == 1
        assert frame._text_width(fig, "Requires improvement", 9.5, "bold") == first
        assert len(frame._WIDTHS) == 1  # measured once
        assert frame._text_width(fig, "Requires improvement", 9.5) != first  # weight
        assert frame._text_width(fig, "Requires improvement", 12, "bold") != first  # size
        fig.set_dpi(150)
        assert frame._text_width(fig, "Requires improvement", 9.5, "bold") != first  # dpi
    with charts.chart_style(), __import__("matplotlib").rc_context({"font.family": "monospace"}):
        mono = frame._text_width(frame._new_figure(), "Requires improvement", 9.5, "bold")
    assert mono != first  # another font

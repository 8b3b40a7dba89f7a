"""Every chart, drawn from the bundled data, as a reader meets it: nothing outside the figure, no
labels on top of each other, text at 9 pt or more at A4 width, direct labels rather than legends,
rating letters readable on their fills, no hatching, no code identifiers, a small image.

The inputs come from the analyses' ``prepare()`` with their default parameters, so the test sees the
same charts as the default reports.
"""

from __future__ import annotations

import base64
import functools
import inspect
import itertools
import math
import re
from dataclasses import dataclass

import matplotlib.text as mtext
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from hmip.analyses import audit_progress, ethnicity, london_comparison, sample_size
from hmip.present import charts
from hmip.present.badges import RATING_STYLES, contrast_ratio
from hmip.present.charts import FIGURE_DPI
from hmip.present.display import figure_html

PDU = "Lewisham and Bromley"


@pytest.fixture(scope="module")
def london():
    return london_comparison.prepare()


@pytest.fixture(scope="module")
def sensitivity():
    return sample_size.prepare()


@pytest.fixture(scope="module")
def eth():
    return ethnicity.prepare()


@functools.cache
def _audits():
    """The audit-progress report's result with its default parameters (issue 24)."""
    return audit_progress.prepare()


def _overall_shares(e):
    return e.shares[e.shares["pdu"] == "All PDUs"].assign(
        label=lambda t: t["standard"] + "." + t["key_question"] + ": " + t["group"]
    )


#: name -> (chart function, how the default notebook calls it)
CHARTS = {
    "ratings_grid": lambda L, S, E: charts.ratings_grid(L.grid, highlight=PDU),
    "ratings_grid with overall": lambda L, S, E: charts.ratings_grid(
        L.grid, overall=L.summary.set_index("pdu")["published_rating"]
    ),
    "points_chart": lambda L, S, E: charts.points_chart(L.summary, simulated=True),
    **{
        f"key_question_shares {std}": (
            lambda L, S, E, std=std: charts.key_question_shares(L.shares, std, highlight=PDU)
        )
        for std in london_comparison.case_sample_standard_ids()
    },
    "funnel_plot": lambda L, S, E: charts.funnel_plot(
        L.funnel, measure=L.options.measure, highlight=PDU
    ),
    "rank_plot": lambda L, S, E: charts.rank_plot(L.ranks, measure=L.options.measure),
    "shares_with_bands": lambda L, S, E: charts.shares_with_bands(
        S.key_questions.set_index("label")
    ),
    "probability_bars key questions": lambda L, S, E: charts.probability_bars(
        S.key_questions.set_index("label"),
        xlabel="Probability (%), " + S.key_questions["band_method"].iloc[0],
    ),
    "probability_bars standards": lambda L, S, E: charts.probability_bars(
        S.distributions["table"], simulated=True
    ),
    "points_distribution": lambda L, S, E: charts.points_distribution(
        S.distributions["points"], pdu=PDU, observed=S.observed_points, observed_basis="published"
    ),
    "accuracy_curves": lambda L, S, E: charts.accuracy_curves(S.accuracy, mark_n=42),
    "audit_trends": lambda L, S, E: charts.audit_trends(
        _audits().shares,
        _audits().trend,
        _audits().curves,
        inspection=_audits().change,
        inspection_date=_audits().inputs.inspection_date,
        simulated=True,
    ),
    "since_inspection": lambda L, S, E: charts.since_inspection(
        audit_progress.since_inspection_chart_data(_audits()),
        simulated=True,
    ),
    "group_dot_plot": lambda L, S, E: charts.group_dot_plot(
        _overall_shares(E), marker=E.inputs.rule.marker, simulated=True
    ),
    **{
        f"forest_plot {i}": (lambda L, S, E, i=i: charts.forest_plot(E.forest[i][1]))
        for i in range(6)
    },
}


def _chart_functions() -> set[str]:
    """The public chart functions: those wrapped in the chart style."""
    return {
        name
        for name, f in inspect.getmembers(charts, inspect.isfunction)
        if not name.startswith("_")
        and hasattr(f, "__wrapped__")
        and name != "chart_style"  # the style's context manager, not a chart
    }


def test_every_chart_function_is_drawn_here():
    covered = {name.split(" ")[0] for name in CHARTS}
    assert _chart_functions() == covered


@pytest.fixture(scope="module")
def figures(london, sensitivity, eth):
    out = {}
    for name, make in CHARTS.items():
        fig = make(london, sensitivity, eth)
        fig.canvas.draw()
        out[name] = fig
    return out


def _texts(fig) -> list[mtext.Text]:
    """Every piece of text drawn: figure texts, axes texts, titles, axis labels, and the tick
    labels of ticks inside the view limits."""
    drawn, ticks = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            for tick in axis.get_major_ticks() + axis.get_minor_ticks():
                ticks |= {id(tick.label1), id(tick.label2)}
                if tick.get_loc() is not None and lo - 1e-9 <= tick.get_loc() <= hi + 1e-9:
                    drawn |= {id(tick.label1), id(tick.label2)}
    return [
        t
        for t in fig.findobj(mtext.Text)
        if t.get_visible()
        and t.get_text().strip()
        and t.figure is fig
        and (id(t) not in ticks or id(t) in drawn)
    ]


def _polygon(t: mtext.Text, renderer) -> np.ndarray:
    """The corners of a text's (possibly rotated) box, in pixels."""
    box = t.get_window_extent(renderer)
    angle = t.get_rotation()
    if angle % 180 == 0:
        return np.array([[box.x0, box.y0], [box.x1, box.y0], [box.x1, box.y1], [box.x0, box.y1]])
    t.set_rotation(0)
    flat = t.get_window_extent(renderer)
    t.set_rotation(angle)
    w, h = flat.width / 2, flat.height / 2
    a = math.radians(angle)
    u, v = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    c = np.array([(box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2])
    return np.array([c - w * u - h * v, c + w * u - h * v, c + w * u + h * v, c - w * u + h * v])


def _overlap(p: np.ndarray, q: np.ndarray, tol: float = 0.5) -> bool:
    """Separating-axis test of two convex quadrilaterals, each shrunk by ``tol`` pixels."""
    for poly in (p, q):
        for i in range(4):
            edge = poly[(i + 1) % 4] - poly[i]
            normal = np.array([-edge[1], edge[0]]) / np.linalg.norm(edge)
            a, b = p @ normal, q @ normal
            if a.max() - tol <= b.min() + tol or b.max() - tol <= a.min() + tol:
                return False
    return True


@dataclass
class _Drawn:
    """Where a figure's text landed when drawn at one resolution."""

    page: tuple[float, float, float, float]
    texts: list[tuple[str, np.ndarray, list]]  # text, corners, extents incl. any box around it
    ticks: list[list[tuple[str, np.ndarray]]]  # per axis: tick label text and corners


#: Drawn at the screen resolution and at the resolution embedded in the report: text is hinted
#: differently at each, so a label that just fits at one can spill at the other.
DPIS = (100, FIGURE_DPI)


@pytest.fixture(scope="module")
def drawn(figures):
    out = {}
    for name, fig in figures.items():
        for dpi in DPIS:
            fig.set_dpi(dpi)
            fig.canvas.draw()
            renderer = fig.canvas.get_renderer()
            texts = []
            for t in _texts(fig):
                boxes = [t.get_window_extent(renderer)]
                if t.get_bbox_patch() is not None:
                    boxes.append(t.get_bbox_patch().get_window_extent(renderer))
                texts.append((t.get_text(), _polygon(t, renderer), boxes))
            shown = {id(t) for t in _texts(fig)}
            ticks = [
                [
                    (t.get_text(), _polygon(t, renderer))
                    for t in axis.get_ticklabels()
                    if id(t) in shown
                ]
                for ax in fig.axes
                for axis in (ax.xaxis, ax.yaxis)
            ]
            out[name, dpi] = _Drawn(tuple(fig.bbox.extents), texts, ticks)
        fig.set_dpi(100)
    return out


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("name", list(CHARTS))
def test_every_text_lies_inside_the_figure(drawn, name, dpi):
    d = drawn[name, dpi]
    x0, y0, x1, y1 = d.page
    outside = [
        text
        for text, _, boxes in d.texts
        for b in boxes
        if b.x0 < x0 - 0.5 or b.y0 < y0 - 0.5 or b.x1 > x1 + 0.5 or b.y1 > y1 + 0.5
    ]
    assert not outside, f"{name} at {dpi} dpi: text outside the figure: {outside}"


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("name", list(CHARTS))
def test_tick_labels_do_not_overlap(drawn, name, dpi):
    for labels in drawn[name, dpi].ticks:
        for (a, pa), (b, pb) in itertools.combinations(labels, 2):
            assert not _overlap(pa, pb), f"{name} at {dpi} dpi: {a!r} overlaps {b!r}"


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("name", list(CHARTS))
def test_no_two_texts_overlap(drawn, name, dpi):
    texts = drawn[name, dpi].texts
    clashes = [
        (a, b) for (a, pa, _), (b, pb, _) in itertools.combinations(texts, 2) if _overlap(pa, pb)
    ]
    assert not clashes, f"{name} at {dpi} dpi: overlapping text {clashes}"


@pytest.mark.parametrize("name", list(CHARTS))
def test_print_size_text_size_and_house_style(figures, name):
    fig = figures[name]
    assert fig.get_figwidth() == pytest.approx(charts.WIDTH)  # 17 cm: A4 portrait's text width
    assert fig.get_figheight() < 9.7  # fits an A4 page with room for its caption
    small = [(t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < 9]
    assert not small, f"{name}: text under 9 pt: {small}"
    assert all(ax.get_legend() is None for ax in fig.axes) and not fig.legends  # direct labels
    hatched = [p for ax in fig.axes for p in ax.patches if p.get_hatch()]
    assert not hatched
    words = (
        " ".join(t.get_text() for t in _texts(fig)) + " " + fig.hmip_caption + " " + fig.hmip_alt
    )
    assert "Okabe" not in words and "Palette" not in words
    assert not re.search(r"Beta\(\d", words)  # no one row's parameters presented as everyone's
    assert fig.hmip_alt and len(fig.hmip_alt) > 40 and fig.hmip_caption


@pytest.mark.parametrize("name", list(CHARTS))
def test_no_code_identifiers_in_chart_text(figures, name):
    fig = figures[name]
    for t in _texts(fig):
        text = t.get_text()
        assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"{name}: {text!r}"
        assert not re.search(r"\b[a-z]+\.[a-z_]+\b", text), f"{name}: {text!r}"


@pytest.mark.parametrize("name", list(CHARTS))
def test_text_on_a_rating_fill_uses_its_text_colour(figures, name):
    """Letters drawn on a badge box are in that rating's text colour (4.5:1 or more)."""
    fig = figures[name]
    fills = {s.fill.lower(): s for s in RATING_STYLES.values() if s.label != "Not rated"}
    for t in _texts(fig):
        patch = t.get_bbox_patch()
        if patch is None or to_hex(patch.get_facecolor()).lower() not in fills:
            continue
        style = fills[to_hex(patch.get_facecolor()).lower()]
        assert to_hex(t.get_color()).lower() == style.text.lower(), (name, t.get_text())
        assert contrast_ratio(style.text, style.fill) >= 4.5


def test_ratings_grid_cells_are_badges_with_letters(figures, london):
    fig = figures["ratings_grid"]
    ax = fig.axes[0]
    grid = london.grid
    cells = [p for p in ax.patches if to_hex(p.get_facecolor()) != "#ffffff"]
    assert len(cells) == grid.size
    letters = [t for t in ax.texts if t.get_text() in {"I", "RI", "G", "O", "?"}]
    assert len(letters) == grid.size
    assert sum(t.get_text() == "?" for t in letters) == int(grid.isna().sum().sum())
    for t in letters:  # each letter sits on its cell and is that style's text colour
        x, y = t.get_position()
        cell = next(p for p in cells if p.contains_point(ax.transData.transform((x, y))))
        style = next(
            s for s in RATING_STYLES.values() if s.fill.lower() == to_hex(cell.get_facecolor())
        )
        assert style.letter == t.get_text() and to_hex(t.get_color()) == style.text.lower()
    title = fig.hmip_title
    assert title == "All 28 published standard ratings are Inadequate or Requires improvement"
    assert "were not published" in " ".join(t.get_text() for t in fig.texts)
    assert "Hammersmith" in fig.hmip_alt and "not published" in fig.hmip_alt


def test_ratings_grid_with_overall_ratings_says_the_finding(figures):
    fig = figures["ratings_grid with overall"]
    assert fig.hmip_title == "All six PDUs were rated Inadequate or Requires improvement"
    assert "Overall rating" in [t.get_text() for t in fig.axes[0].get_xticklabels()]


def test_titles_can_be_given(london, sensitivity):
    fig = charts.rank_plot(london.ranks, measure="x", title="A title the analysis chose")
    assert fig.hmip_title == "A title the analysis chose"
    fig = charts.accuracy_curves(sensitivity.accuracy, title="Another")
    assert fig.texts[0].get_text() == "Another" and fig.hmip_caption.startswith("Another.")


def test_default_titles_are_short_findings(figures):
    # the qualifier a simulated finding must carry (issue 20) does not count against the finding
    for name, fig in figures.items():
        finding = fig.hmip_title.replace("in the simulated sample, ", "")
        assert len(finding.split()) <= 16, (name, fig.hmip_title)


def test_long_titles_wrap_rather_than_clip(london):
    long = "Hammersmith, Fulham, Kensington, Chelsea and Westminster: " + "a long finding " * 8
    fig = charts.funnel_plot(london.funnel, measure="m", title=long)
    fig.canvas.draw()
    title = fig.texts[0]
    assert title.get_text().count("\n") >= 1
    assert fig.bbox.contains(*title.get_window_extent().p1)


def test_simulated_values_say_so(figures):
    kq = figures["key_question_shares assessment"]
    assert charts.SIMULATED_NOTE in " ".join(t.get_text() for t in kq.texts)
    points = figures["points_chart"]
    texts = " ".join(t.get_text() for t in points.findobj(mtext.Text))
    # points HMIP did not publish: the band of its published rating, never a simulated total (issue 20:
    # Newham's was '8 (simulated)', from simulated organisational ratings)
    assert "(simulated)" not in texts and "RI means 5-13" in texts
    published = [
        t.get_text() for t in points.axes[0].texts if t.get_text() in {"0", "3", "4 (implied)"}
    ]
    assert sorted(published) == ["0", "3", "3", "4 (implied)"]  # only implied points carry a mark


def test_accuracy_curves_are_labelled_directly(figures):
    fig = figures["accuracy_curves"]
    titles = [ax.get_title(loc="left") for ax in fig.axes if ax.get_visible()]
    assert titles == [
        "True share 45% (I)",
        "True share 55% (RI)",
        "True share 60% (RI)",
        "True share 70% (G)",
        "True share 75% (G)",
        "True share 85% (O)",
    ]
    assert all(any(t.get_text().endswith("at 42") for t in ax.texts) for ax in fig.axes)


def test_probability_bars_method_is_said_once_without_one_rows_parameters(figures):
    fig = figures["probability_bars key questions"]
    label = fig.axes[0].get_xlabel().replace("\n", " ").replace("\N{NO-BREAK SPACE}", " ")
    assert "Beta(yes + 0.5, no + 0.5)" in label


def test_forest_plot_draws_a_ratio_of_zero_at_the_axis_edge():
    table = pd.DataFrame(
        {
            "label": ["A (n=10 vs 30)", "B (n=12 vs 20)", "C (n=9 vs 9)", "All PDUs (pooled)"],
            "estimate": [0.0, 0.0, 2.0, 0.7],
            "lower": [0.0, 0.0047, 0.9, 0.5],  # B: an interval that excludes its own estimate
            "upper": [0.6, 1.07, np.inf, 0.95],
        }
    )
    fig = charts.forest_plot(
        table, title="Zero ratios"
    )  # raised "'xerr' must not contain negative values"
    fig.canvas.draw()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    zero_labels = [t for t in ax.texts if t.get_text() == "ratio 0"]
    assert len(zero_labels) == 2 and all(t.xy[0] == pytest.approx(lo) for t in zero_labels)
    arrows = [t for t in ax.texts if isinstance(t, mtext.Annotation) and t.arrow_patch is not None]
    assert any(a.xy[0] == pytest.approx(lo) for a in arrows)  # A's interval runs off to 0
    assert any(a.xy[0] == pytest.approx(hi) for a in arrows)  # C's runs off to infinity
    assert "A (n=10 vs 30): 0.00 (0.00-0.60)" in fig.hmip_alt
    renderer = fig.canvas.get_renderer()
    for t in _texts(fig):
        assert fig.bbox.contains(*t.get_window_extent(renderer).p0)


def test_forest_plot_without_any_estimate_still_draws(eth):
    rows = eth.forest[0][1].assign(estimate=np.nan, lower=np.nan, upper=np.nan)
    fig = charts.forest_plot(rows)
    assert sum("not shown" in t.get_text() for t in fig.axes[0].texts) == len(rows)


@pytest.mark.parametrize("name", list(CHARTS))
def test_figure_html_is_a_small_png_with_alt_text_that_scales_to_the_page(figures, name):
    html = figure_html(figures[name])
    m = re.match(
        r'<figure class="hmip-figure"><img src="data:image/png;base64,([A-Za-z0-9+/=]+)" '
        r'alt="([^"]+)" width="(\d+)" height="(\d+)" style="max-width:100%;height:auto">'
        r"<figcaption>[^<]+</figcaption></figure>$",
        html,
    )
    assert m, html[:300]
    png = base64.b64decode(m.group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(html) < 60_000, f"{name}: {len(html)} bytes"
    assert int(m.group(3)) == round(charts.WIDTH * 96)


def test_embedded_png_keeps_every_chart_colour_exactly(figures):
    """The palette reduction keeps the rating fills, their text and the white page exact."""
    import io

    from PIL import Image

    fig = figures["ratings_grid with overall"]
    png = charts.figure_png(fig)
    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = {c for _, c in image.getcolors(maxcolors=1 << 20)}
    wanted = ["#FFFFFF", charts.TEXT] + [
        getattr(RATING_STYLES[label], part)
        for label in ("Inadequate", "Requires improvement", "Not published")
        for part in ("fill", "text", "border")
    ]
    for hex_colour in wanted:
        assert tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)) in colours, hex_colour
    assert image.getpixel((1, 1)) == (255, 255, 255)
    assert image.width == round(charts.WIDTH * charts.FIGURE_DPI)


def test_warm_up_leaves_no_figure_open_and_no_style_changed():
    """The build's warm process draws one chart before forking report kernels: it must leave nothing a
    report could notice."""
    import matplotlib
    import matplotlib.pyplot as plt

    from hmip.present import charts

    before, figures = dict(matplotlib.rcParams), plt.get_fignums()
    charts.warm_up()
    assert plt.get_fignums() == figures
    assert dict(matplotlib.rcParams) == before


def test_wrapping_by_bisection_breaks_lines_where_word_by_word_greedy_does():
    """_wrap finds each line's length by bisection; the reference here adds one word at a time."""
    import random

    from hmip.present.charts import frame

    fig = frame._new_figure()

    def greedy(text: str, width: float, size: float, weight: str) -> str:
        text = re.sub(r"\([^()]{1,24}\)", lambda m: m.group(0).replace(" ", "\u00a0"), text)
        lines = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split(" "):
                trial = f"{line} {word}" if line else word
                if line and frame._text_width(fig, trial, size, weight) > width:
                    lines.append(line)
                    line = word
                else:
                    line = trial
            lines.append(line)
        return "\n".join(lines)

    rng = random.Random(7)
    words = (
        "Does assessment focus sufficiently on keeping other people safe (n=20 vs 20) Lewisham and "
        "Bromley Requires improvement a of supercalifragilisticexpialidocious"
    ).split()
    for _ in range(150):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
        if rng.random() < 0.2:
            text = text.replace(" and ", "\n", 1)
        for width in (0.5, 1.5, 3.0, 6.0):
            weight = rng.choice(("normal", "bold"))
            assert frame._wrap(fig, text, width, 10, weight) == greedy(text, width, 10, weight)


def _png_without_kept_glyphs(fig, monkeypatch) -> bytes:
    from hmip.present.charts import glyphs
    from hmip.present.charts import png as png_module

    with monkeypatch.context() as m:
        m.setattr(png_module, "cached_glyphs", lambda: glyphs.cached_glyphs(False))
        return png_module.figure_png(fig)


def test_kept_glyphs_draw_every_chart_byte_for_byte(london, sensitivity, eth, monkeypatch):
    """Issue 25: glyph bitmaps kept between charts (hmip.present.charts.glyphs) give the very bytes
    Matplotlib's own glyph-by-glyph drawing gives, for every chart of the reports, whether the cache
    starts empty or already holds every other chart's glyphs. (Each image from a new figure: a
    figure embedded twice is laid out again from its first layout.)"""
    from hmip.present.charts import glyphs
    from hmip.present.charts.png import figure_png

    assert glyphs.applies(), "the locked Matplotlib is the one the kept glyphs were checked against"

    def new(name):
        return CHARTS[name](london, sensitivity, eth)

    plain = {name: _png_without_kept_glyphs(new(name), monkeypatch) for name in CHARTS}
    glyphs.clear()
    for name in CHARTS:  # an empty cache, filling
        assert figure_png(new(name)) == plain[name], name
    assert len(glyphs._GLYPHS) > 100
    for name in reversed(list(CHARTS)):  # a full cache, other order
        assert figure_png(new(name)) == plain[name], name


def test_kept_glyphs_with_rotated_unhinted_and_mathtext(monkeypatch):
    """The branches the report charts use rarely: rotated text (other transforms), text drawn
    without anti-aliasing (FreeType's mono mode), mathtext (glyphs and rule boxes), at whole and
    part-pixel positions."""
    import matplotlib

    from hmip.present.charts import glyphs
    from hmip.present.charts.png import figure_png

    def figure():
        fig = matplotlib.figure.Figure(figsize=(3, 2))
        ax = fig.add_subplot()
        for i, angle in enumerate((0, 30, 90, 200)):
            ax.text(0.1 + i * 0.21, 0.3 + i * 0.013, f"Ratings {angle}", rotation=angle)
        ax.text(0.1, 0.8, "Mono 0-9%", antialiased=False)
        ax.text(0.5, 0.8, r"$\frac{a}{b}\sqrt{x}$")
        ax.set_ylabel("Share sufficient (%)")
        return fig

    def png(dpi, kept=True):
        if not kept:
            from hmip.present.charts import png as png_module

            with monkeypatch.context() as m:
                m.setattr(png_module, "cached_glyphs", lambda: glyphs.cached_glyphs(False))
                return png_module.figure_png(figure(), dpi=dpi)
        return figure_png(figure(), dpi=dpi)

    plain = {dpi: png(dpi, kept=False) for dpi in (110, 163)}
    glyphs.clear()
    for dpi in (110, 163, 110, 163):  # empty, then kept at another dpi, then from kept text
        assert png(dpi) == plain[dpi], dpi


def test_the_chart_style_sets_what_matplotlibs_style_context_sets():
    """Issue 25: chart_style reads afcharts' style file once a process; inside it every parameter is
    what matplotlib.style.context(STYLE) gives, from the defaults and after a notebook changed some
    (those the style sets are set again; the others are left as the notebook set them)."""
    import matplotlib
    import matplotlib.pyplot as plt

    from hmip.present.charts.frame import STYLE, chart_style

    def params():
        d = dict(matplotlib.rcParams)
        d.pop("backend", None)
        return d

    for changes in ({}, {"font.size": 33.0, "lines.linewidth": 7.0, "hatch.linewidth": 3.0}):
        with matplotlib.rc_context(changes):
            before = params()
            with plt.style.context(STYLE):
                want = params()
            with chart_style():
                got = params()
            assert got == want
            assert params() == before  # and put back afterwards
    assert want["hatch.linewidth"] == 3.0  # not a style parameter: left as the notebook set it


def test_a_kept_text_layout_is_matplotlibs_for_each_alignment_rotation_and_dpi(monkeypatch):
    """Issue 25: a Text's layout is kept (glyphs._text_layout) under every property it depends on:
    the same words aligned, rotated, spaced, sized or at another dpi each get their own layout, equal
    to the one Matplotlib computes; a wrapped text, mathtext and other renderers are left to
    Matplotlib."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    from hmip.present.charts import glyphs

    glyphs.clear()
    fig = matplotlib.figure.Figure(figsize=(3, 2))
    FigureCanvasAgg(fig)
    variants = [
        {},
        {"ha": "right"},
        {"ha": "center", "va": "top"},
        {"rotation": 90},
        {"rotation": 30, "rotation_mode": "anchor"},
        {"linespacing": 2.0},
        {"fontsize": 14},
        {"fontweight": "bold"},
        {"multialignment": "right"},
    ]
    texts = [fig.text(0.1, 0.5, "Requires\nimprovement (RI) 0-9%", **v) for v in variants]
    original = Text.__dict__["_get_layout"]

    def same(a, b):
        assert (a[0].get_points() == b[0].get_points()).all()
        assert list(a[1]) == list(b[1]) and a[2] == b[2]

    for dpi in (110, 163):
        fig.dpi = dpi
        renderer = fig.canvas.get_renderer()
        with glyphs.cached_glyphs():
            for _ in range(2):  # computed, then from what was kept
                for t in texts:
                    same(t._get_layout(renderer), original(t, renderer))
    assert len(glyphs._TEXT_LAYOUTS) == 2 * len(variants)  # one a variant a dpi, none shared
    # left to Matplotlib (not kept): mathtext, wrapped text
    kept = len(glyphs._TEXT_LAYOUTS)
    with glyphs.cached_glyphs():
        for t in (fig.text(0.1, 0.1, r"$\sqrt{x}$"), fig.text(0.1, 0.2, "long words", wrap=True)):
            t._renderer = renderer  # as drawing sets it (a wrapped text measures the figure)
            same(t._get_layout(renderer), original(t, renderer))
    assert len(glyphs._TEXT_LAYOUTS) == kept
    # the kept box is a copy: changing what was returned changes nothing kept
    with glyphs.cached_glyphs():
        box = texts[0]._get_layout(renderer)[0]
        box.set_points(box.get_points() * 0)
        same(texts[0]._get_layout(renderer), original(texts[0], renderer))
    assert Text._get_layout is original  # put back when the context ends


def test_each_pixel_takes_its_nearest_kept_colour(london, sensitivity, eth):
    """figure_png's table lookup (issue 25) gives every pixel of every report chart the palette
    entry a direct search gives: the nearest kept colour to its own (exact for kept colours)."""
    import io as _io

    from PIL import Image

    from hmip.present.charts import png as png_module

    for name, make in CHARTS.items():
        image = png_module._rendered(make(london, sensitivity, eth), FIGURE_DPI)
        decoded = Image.open(_io.BytesIO(png_module._encoded(image)))
        if decoded.mode != "P":  # too many colours: kept as they are
            assert np.array_equal(np.asarray(decoded.convert("RGB")), np.asarray(image)), name
            continue
        palette = np.array(decoded.getpalette()[: 3 * len(decoded.getcolors())], dtype=int)
        palette = palette.reshape(-1, 3)
        indices = np.asarray(decoded)
        pixels = np.asarray(image, dtype=int)
        codes = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
        unique, inverse = np.unique(codes, return_inverse=True)
        colours = np.stack([unique >> 16, (unique >> 8) & 255, unique & 255], axis=1)
        distance = ((colours[:, None, :] - palette[None, :, :]) ** 2).sum(axis=2)
        want = distance.argmin(axis=1)[inverse.ravel()].reshape(indices.shape)
        assert np.array_equal(indices, want), name

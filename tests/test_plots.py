"""Charts carry the rating letters (readable in black and white), alt text, and unknowns that are never ratings."""

import pandas as pd

from hmip.analyses.london_comparison import load_comparison, ratings_grid_table, summary_table
from hmip.report import charts as plots
from hmip.report.display import figure_html, table_html
from hmip.rules.ratings import Rating


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def test_ratings_grid_has_a_letter_in_every_rated_cell_and_question_marks_for_unknowns():
    grid = ratings_grid_table(load_comparison().published)
    fig = plots.ratings_grid(grid)
    texts = _texts(fig)
    rated = grid.notna().sum().sum()
    assert sum(t in {r.code for r in Rating} for t in texts) == rated
    assert texts.count("?") == grid.isna().sum().sum()
    hatched = [p for p in fig.axes[0].patches if p.get_hatch() == "///"]
    assert len(hatched) == grid.isna().sum().sum()
    assert "Hammersmith" in fig.hmip_alt and "unknown" in fig.hmip_alt
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "I = Inadequate" in legend and any("not published" in t for t in legend)


def test_points_chart_labels_bands_with_letters():
    d = load_comparison()
    fig = plots.points_chart(summary_table(d.overall, d.ratings, d.cases_per_pdu))
    texts = _texts(fig)
    assert any(t.startswith("I\n0-4") for t in texts) and any(
        t.startswith("O\n23-27") for t in texts
    )
    assert "recomputed" in " ".join(texts)


def test_probability_bars_put_letters_on_segments():
    table = pd.DataFrame(
        {
            r.label: [0.6, 0.1]
            if r == Rating.INADEQUATE
            else [0.4 if r == Rating.REQUIRES_IMPROVEMENT else 0, 0.9 if r == Rating.GOOD else 0]
            for r in Rating
        },
        index=["a", "b"],
    )
    fig = plots.probability_bars(table, title="t")
    assert {"I 60%", "RI 40%", "G 90%", "I 10%"} <= set(_texts(fig))


def test_figure_html_embeds_the_image_with_escaped_alt_text():
    fig = plots.probability_bars(
        pd.DataFrame({r.label: [0.25] for r in Rating}, index=["<script>alert(1)</script>"]),
        title="x",
    )
    html = figure_html(fig)
    assert html.startswith('<figure class="hmip-figure"><img src="data:image/png;base64,')
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_tables_escape_data_strings():
    html = table_html(pd.DataFrame({"pdu": ["<script>alert(1)</script>"], "n": [3]}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html

"""Charts carry the rating letters on the badge colours (readable without colour), alt text, and
unknowns that are never ratings. Layout over every chart: tests/test_chart_layout.py."""

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.colors import to_hex

from hmip.analyses.london_comparison import load_comparison, ratings_grid_table, summary_table
from hmip.present import charts as plots
from hmip.present.badges import RATING_STYLES
from hmip.present.display import figure_html, table_html
from hmip.rules.ratings import Rating


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _figure_texts(fig):
    return [t.get_text() for t in fig.texts]


def test_ratings_grid_has_a_letter_in_every_rated_cell_and_question_marks_for_unknowns():
    grid = ratings_grid_table(load_comparison().published)
    fig = plots.ratings_grid(grid)
    texts = _texts(fig)
    rated = grid.notna().sum().sum()
    assert sum(t in {r.code for r in Rating} for t in texts) == rated
    assert texts.count("?") == grid.isna().sum().sum()
    unknown_fill = RATING_STYLES["Not published"].fill.lower()
    grey = [p for p in fig.axes[0].patches if to_hex(p.get_facecolor()) == unknown_fill]
    assert len(grey) == grid.isna().sum().sum()
    assert not any(p.get_hatch() for p in fig.axes[0].patches)
    assert "Hammersmith" in fig.hmip_alt and "not published" in fig.hmip_alt
    key = _figure_texts(fig)  # the key: each letter on its badge, then the word
    assert {"I", "Inadequate", "RI", "Requires improvement", "?", "Not published"} <= set(key)


def test_rating_fills_are_the_badge_colours():
    grid = ratings_grid_table(load_comparison().published)
    fig = plots.ratings_grid(grid)
    fills = {to_hex(p.get_facecolor()).upper() for p in fig.axes[0].patches}
    assert fills <= {s.fill.upper() for s in RATING_STYLES.values()}
    assert RATING_STYLES["Inadequate"].fill.upper() in fills


def test_points_chart_labels_bands_with_letters():
    d = load_comparison()
    fig = plots.points_chart(summary_table(d.overall, d.ratings, d.cases_per_pdu))
    texts = _texts(fig)
    assert "I  0-4" in texts and "O  23-27" in texts
    assert "not published; RI means 5-13" in texts  # Newham: the published rating's band
    assert not any("recomputed" in t for t in texts)
    assert "not published" in " ".join(_figure_texts(fig))


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
    assert {"I 60%", "RI 40%", "G 90%"} <= set(_texts(fig))
    assert any("I 10%" in t for t in _texts(fig))  # inside its segment, or listed after the bar
    for t in fig.axes[0].texts:  # letters on a fill are in that rating's text colour
        for r in Rating:
            if t.get_text().startswith(r.code + " ") and t.get_position()[0] < 1:
                assert to_hex(t.get_color()) == RATING_STYLES[r.label].text.lower()


def test_charts_do_not_change_the_global_style():
    before = dict(plt.rcParams)
    plots.probability_bars(pd.DataFrame({r.label: [0.25] for r in Rating}, index=["a"]))
    assert dict(plt.rcParams) == before


def test_charts_use_afcharts_style():
    fig = plots.probability_bars(pd.DataFrame({r.label: [0.25] for r in Rating}, index=["a"]))
    ax = fig.axes[0]
    assert not ax.spines["top"].get_visible() and not ax.spines["right"].get_visible()
    assert not ax.spines["left"].get_visible()  # afcharts: no left spine


def test_figure_html_embeds_the_image_with_escaped_alt_text():
    fig = plots.probability_bars(
        pd.DataFrame({r.label: [0.25] for r in Rating}, index=["<script>alert(1)</script>"]),
        title="x",
    )
    html = figure_html(fig)
    assert html.startswith('<figure class="hmip-figure"><img src="data:image/png;base64,')
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "max-width:100%" in html


def test_tables_escape_data_strings():
    html = table_html(pd.DataFrame({"pdu": ["<script>alert(1)</script>"], "n": [3]}))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_simulated_rating_among_published_ones_is_tagged_in_its_cell():
    import pandas as pd

    from hmip.present.display import table_html

    df = pd.DataFrame({"Standard": ["Leadership", "Court work"], "Rating": ["Good", "Inadequate"]})
    html = table_html(df, ratings=("Rating",), simulated_cells={"Rating": [True, False]})
    rows = html.split("<tr")[2:]  # header row first
    assert "hmip-sim-tag" in rows[0] and "hmip-sim-tag" not in rows[1]
    plain = table_html(df, simulated_cells={"Standard": [False, True]})
    assert "hmip-sim-tag" in plain.split("<tr")[3] and "hmip-sim-tag" not in plain.split("<tr")[2]


def test_sample_size_standards_table_counts_cases_in_whole_numbers_and_flags_simulated_ratings():
    from hmip.analyses import sample_size as ss
    from hmip.present.display import table_html

    table = ss.standards_table(ss.prepare(pdu="Lambeth"))
    more = table["More sufficient cases for the next band"]
    assert str(more.dtype) == "Int64" and more.notna().any()
    flags = ss.simulated_rating_rows(table)
    # Lambeth's organisational delivery ratings are not published: the simulated file has ratings for
    # them, but inspectors' judgements are never shown as simulated ratings (issue 20)
    assert not any(flags)
    org = table[table["Weakest key question"] == "rated by inspectors' judgement"]
    assert org["Rating"].isna().all() and set(org["Rating from"]) == {"not published by HMIP"}
    html = table_html(table, ratings=("Rating",), percent=("Same rating with a fresh sample",))
    assert ".000<" not in html  # was "16.000" more cases


def test_band_words_and_ticks_come_from_the_framework(tmp_path):
    """A framework file with other thresholds changes what the charts say and mark (no code change)."""
    from hmip.analyses import london_comparison, sample_size
    from hmip.rules.framework import available_frameworks, load_framework

    text = available_frameworks()["pdu-2021"].read_text(encoding="utf-8")
    assert 'at_least = "0.50"' in text and '"0.65"' in text
    path = tmp_path / "other.toml"
    path.write_text(text.replace('"0.50"', '"0.40"').replace('"0.65"', '"0.70"'), encoding="utf-8")
    other = load_framework(str(path))
    london = london_comparison.prepare()
    std = london_comparison.case_sample_standard_ids()[0]
    default_title = plots.key_question_shares(london.shares, std).hmip_title
    other_title = plots.key_question_shares(london.shares, std, framework=other).hmip_title
    assert "below 50%" in default_title
    assert "below 40%" in other_title and "50%" not in other_title
    table = sample_size.prepare().key_questions.set_index("label")
    ticks = plots.shares_with_bands(table, framework=other).axes[0].get_xticks()
    assert {0.4, 0.7} <= {round(float(t), 2) for t in ticks} and 0.5 not in ticks

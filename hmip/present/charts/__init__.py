"""Charts for the reports, in the Government Analysis Function's style (``afcharts``).

Each function returns a matplotlib Figure with ``fig.hmip_alt`` (the alt text) and
``fig.hmip_caption`` (the title, then the method, said once).

Modules: :mod:`~hmip.present.charts.frame` (the house style, figure set-up and the frame every chart
shares), :mod:`~hmip.present.charts.png` (the embedded image), and one module per report:
:mod:`~hmip.present.charts.london`, :mod:`~hmip.present.charts.sample_size`,
:mod:`~hmip.present.charts.ethnicity`, :mod:`~hmip.present.charts.audit_progress`. Notebooks
import the package (``from hmip.present import charts``) and call the functions re-exported here.

House style
- afcharts' Matplotlib style (``afcharts.afcharts``) is applied in a context for each figure, never
  globally (:func:`chart_style`), with this project's sizes on top: figures 6.7 in wide (A4 portrait
  text width, 17 cm), heights fitted to the content, no text smaller than 9 pt at that size.
- Series colours come from afcharts' palettes. Ratings use the badge colours of
  :mod:`hmip.present.badges`: the rating's letter (I, RI, G, O), and the word where there is room, in
  the badge's text colour on its fill (at least 4.5:1); no hatching; an unknown rating is the
  "Not published" badge with "?".
- Active titles: every chart takes ``title``; the default, computed from the data, says the
  finding in about ten words. Titles and long labels wrap to the width they have, measured.
- Direct labels rather than colour-only legends; series differ by marker or line style as well as
  colour; sample sizes shown; units on axes; the method goes in the caption, once.
- Values computed from simulated data say so in a line under the title (``simulated=True``).
"""

from hmip.present.charts.audit_progress import audit_trends, since_inspection
from hmip.present.charts.ethnicity import forest_plot, group_dot_plot
from hmip.present.charts.frame import (
    SIMULATED_NOTE,
    STYLE,
    TEXT,
    WIDTH,
    chart_style,
)
from hmip.present.charts.london import (
    funnel_plot,
    key_question_shares,
    points_chart,
    rank_plot,
    ratings_grid,
)
from hmip.present.charts.png import FIGURE_COLOURS, FIGURE_DPI, figure_png, warm_up
from hmip.present.charts.sample_size import (
    accuracy_curves,
    points_distribution,
    probability_bars,
    shares_with_bands,
)

__all__ = [
    "FIGURE_COLOURS",
    "FIGURE_DPI",
    "SIMULATED_NOTE",
    "STYLE",
    "TEXT",
    "WIDTH",
    "accuracy_curves",
    "audit_trends",
    "chart_style",
    "figure_png",
    "forest_plot",
    "funnel_plot",
    "group_dot_plot",
    "key_question_shares",
    "points_chart",
    "points_distribution",
    "probability_bars",
    "rank_plot",
    "ratings_grid",
    "shares_with_bands",
    "since_inspection",
    "warm_up",
]

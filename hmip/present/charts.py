"""Charts for the reports, in the Government Analysis Function's style (``afcharts``).

Each function returns a matplotlib Figure with ``fig.hmip_alt`` (the alt text) and
``fig.hmip_caption`` (the title, then the method, said once).

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

from __future__ import annotations

import functools
import io
import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402

from hmip.present.badges import RATING_STYLES, BadgeStyle  # noqa: E402
from hmip.rules.framework import Framework, default_framework  # noqa: E402
from hmip.rules.ratings import Rating  # noqa: E402

# --- style ------------------------------------------------------------------------------------------
WIDTH = 6.7  #: inches: the text width of A4 portrait with 2 cm margins (17 cm)
TITLE_SIZE = 12.0
TEXT_SIZE = 10.0
LABEL_SIZE = 9.5  # tick labels
SMALL_SIZE = 9.0  #: the smallest text on any chart (at WIDTH)

#: afcharts' Matplotlib style, then this project's sizes for A4 print (applied per figure).
AF_STYLE = "afcharts.afcharts"
HMIP_RC = {
    "font.size": TEXT_SIZE,
    "axes.titlesize": TEXT_SIZE,
    "axes.labelsize": TEXT_SIZE,
    "xtick.labelsize": LABEL_SIZE,
    "ytick.labelsize": LABEL_SIZE,
    "legend.fontsize": LABEL_SIZE,
    "figure.dpi": 100,
    "savefig.dpi": 110,
    "svg.fonttype": "path",
    "svg.hashsalt": "hmip",  # stable ids: an unchanged chart gives the same SVG
    "figure.constrained_layout.h_pad": 0.04,
    "figure.constrained_layout.w_pad": 0.04,
}
STYLE = [AF_STYLE, HMIP_RC]

TEXT = "#0B0C0C"  # GOV.UK near-black
SECONDARY = "#505A5F"  # GOV.UK secondary text, 7:1 on white
CATEGORICAL = get_af_colours("categorical")  # dark blue, turquoise, dark pink, orange, grey, purple
FOCUS, CONTEXT = get_af_colours("focus")  # dark blue for the data, grey for context
MID_BLUE = get_af_colours("sequential", number_of_colours=5)[2]  # 5:1 on white
MARKERS = ("o", "s", "D", "^", "v", "P")
#: Every colour a chart draws with, which an embedded image must keep exactly.
CHART_COLOURS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [c for s in RATING_STYLES.values() for c in (s.fill, s.text, s.border)]
        + [*CATEGORICAL, FOCUS, CONTEXT, MID_BLUE, TEXT, SECONDARY, "#FFFFFF"]
    )
)
SIMULATED_NOTE = "Simulated data for demonstration, not inspection findings"
_PAD = 0.08  # inches between the figure's edge and its text
_BAND_ALPHA = 0.22  # rating fills as background tints behind data
_NBSP = "\u00a0"


def chart_style():
    """A context applying the chart style (afcharts, then this project's sizes)."""
    return plt.style.context(STYLE)


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> Figure:
        with chart_style():
            return draw(*args, **kwargs)

    return wrapper


# --- reading inputs: the one place that knows where result metadata lives ---------------------------
def _meta(result, key: str, default=None):
    """Metadata carried by a statistics result (pandas ``attrs`` today)."""
    return getattr(result, "attrs", {}).get(key, default)


def _funnel_meta(funnel: pd.DataFrame) -> tuple[float, dict, str]:
    """The overall (target) share, the overdispersion description and the method of a funnel table."""
    return (
        float(funnel["target"].iloc[0]),
        {"description": str(funnel["overdispersion"].iloc[0])},
        str(funnel["method"].iloc[0]),
    )


def _simulated(result, given: bool | None) -> bool:
    return bool(_meta(result, "simulated", False)) if given is None else bool(given)


# --- words ------------------------------------------------------------------------------------------
_NUMBER_WORDS = "zero one two three four five six seven eight nine ten".split()


def _num(n: int) -> str:
    return _NUMBER_WORDS[n] if 0 <= n < len(_NUMBER_WORDS) else str(n)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(p: float) -> str:
    """A chance as a whole percent, with '<1%' and '>99%' rather than a misleading 0% or 100%."""
    if 0 < p < 0.005:
        return "<1%"
    if 0.995 < p < 1:
        return ">99%"
    return f"{p:.0%}"


def _plain(text: str, fw: Framework) -> str:
    """Code identifiers of standards and key questions replaced by their names."""

    def dotted(m: re.Match) -> str:
        try:
            std = fw.standard(m.group(1))
            kq = fw.key_question(std.id, m.group(2))
        except Exception:  # not an identifier of this framework: leave it
            return m.group(0)
        return f"{std.name}, {kq.short or kq.id}"

    out = re.sub(r"\b([a-z]+(?:_[a-z]+)*)\.([a-z]+(?:_[a-z]+)*)\b", dotted, str(text))
    for std in fw.standards:
        if "_" in std.id:
            out = re.sub(rf"\b{re.escape(std.id)}\b", std.name, out)
    return out


def _parse_rating(value) -> Rating | str | None:
    """A rating cell: a Rating, "Not rated", or None when unknown; "Inadequate (I)" is accepted."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):
        text = re.sub(r"\s*\([A-Z]{1,2}\)\s*$", "", value.strip())
        if text.lower() in ("", "unknown", "not published", "n/p", "?"):
            return None
        if text.lower() == "not rated":
            return "Not rated"
        return Rating.parse(text)
    return Rating.parse(value)


def _style(rating: Rating | str | None) -> BadgeStyle:
    if rating is None:
        return RATING_STYLES["Not published"]
    return RATING_STYLES[rating.label if isinstance(rating, Rating) else rating]


def _rating_finding(ratings: Sequence[Rating], noun: str, verb: str) -> str:
    """'All six PDUs were rated Inadequate or Requires improvement', and the like."""
    n = len(ratings)
    if n == 0:
        return f"No {noun} known"
    kinds = sorted(set(ratings))
    if len(kinds) == 1:
        return _sentence(f"all {_num(n)} {noun} {verb} {kinds[0].label}")
    if set(kinds) <= {Rating.INADEQUATE, Rating.REQUIRES_IMPROVEMENT}:
        return _sentence(f"all {_num(n)} {noun} {verb} Inadequate or Requires improvement")
    worst = kinds[0]
    k = sum(r == worst for r in ratings)
    return _sentence(f"{_num(k)} of {_num(n)} {noun} {verb} {worst.label}")


def _band_of(share: float, fw: Framework) -> Rating:
    out = Rating.INADEQUATE
    for label, t in fw.thresholds:
        if share >= float(t):
            out = Rating.parse(label)
    return out


# --- measuring and wrapping text ----------------------------------------------------------------------
def _new_figure(width: float = WIDTH) -> Figure:
    fig = Figure(figsize=(width, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _text_width(fig: Figure, text: str, size: float, weight: str = "normal") -> float:
    """Width in inches of one line of text as drawn."""
    prop = FontProperties(size=size, weight=weight)
    w, _, _ = fig.canvas.get_renderer().get_text_width_height_descent(text, prop, ismath=False)
    return w / fig.dpi


def _wrap(fig: Figure, text: str, width: float, size: float, weight: str = "normal") -> str:
    """Text wrapped to lines no wider than ``width`` inches. Short bracketed groups such as
    "(n=20 vs 20)" stay on one line; a single word wider than ``width`` stays whole."""
    text = re.sub(r"\([^()]{1,24}\)", lambda m: m.group(0).replace(" ", _NBSP), str(text))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split(" ")
        i = 0
        while i < len(words):
            # greedy: the most words that fit (at least one). A line only widens as words are added, so
            # the longest that fits is found by bisection: a few measurements a line, not one a word
            lo, hi = i + 1, len(words)
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if _text_width(fig, " ".join(words[i:mid]), size, weight) <= width:
                    lo = mid
                else:
                    hi = mid - 1
            lines.append(" ".join(words[i:lo]))
            i = lo
    return "\n".join(lines)


def _lines(text: str) -> int:
    return text.count("\n") + 1


def _line_height(size: float) -> float:
    """Inches per line of text at ``size`` points (matplotlib's line spacing is 1.2)."""
    return 1.2 * size / 72


def _xaxis_height(xlabel: str = "", ticks: bool = True) -> float:
    """Inches below an axes for its tick labels and label."""
    h = (_line_height(LABEL_SIZE) + 0.1) if ticks else 0.05
    if xlabel:
        h += _lines(xlabel) * _line_height(TEXT_SIZE) + 0.06
    return h + 0.06


# --- the embedded image ------------------------------------------------------------------------------
#: Resolution of embedded charts: 110 dpi at the charts' print size (6.7 in = 17 cm: A4's text width).
FIGURE_DPI = 110
#: Colours kept in an embedded chart: every chart colour it uses, then its most frequent others.
FIGURE_COLOURS = 48


def figure_png(fig, *, dpi: int = FIGURE_DPI, colours: int = FIGURE_COLOURS) -> bytes:
    """The figure as a small PNG, drawn in the chart style, for embedding in a report.

    A chart is flat colour plus anti-aliased edges, so it is reduced to a palette: every chart
    colour it uses (the rating fills, text and borders, the afcharts palettes) exactly, then its
    most frequent other colours, up to ``colours``; edge pixels take the nearest. A figure with too
    many colours for that to be faithful (a photograph, a gradient) keeps them all.

    Why PNG, not SVG: measured on the 21 charts of the three default reports (6.7 in wide), SVG
    with the text as paths (so that it looks the same everywhere) averaged 90 KB a chart; SVG with
    live text 29 KB before URL-encoding (and its text is then set in whatever font the reader has,
    so labels measured to fit may not); PNG at 110 dpi 79 KB, but 21 KB reduced like this: about
    29 KB of HTML with its base64.
    """
    from PIL import Image

    image = _rendered(fig, dpi)
    counts = image.getcolors(maxcolors=image.width * image.height)
    out = io.BytesIO()
    if len(counts) > 20000:
        image.save(out, format="png", optimize=True)
        return out.getvalue()
    present = {colour for _, colour in counts}
    keep = [c for c in (_rgb(h) for h in CHART_COLOURS) if c in present]
    for _, colour in sorted(counts, reverse=True):
        if len(keep) >= max(colours, len(keep)) or len(keep) >= 256:
            break
        if colour not in keep:
            keep.append(colour)
    # each pixel to its nearest kept colour (exact for the kept ones; Pillow's own palette
    # conversion approximates, and turned white into 252 grey)
    pixels = np.asarray(image, dtype=np.int32)
    codes = (pixels[..., 0] << 16) | (pixels[..., 1] << 8) | pixels[..., 2]
    # the distinct colours are known from getcolors: look each pixel up among them (sorted)
    unique = np.sort(
        np.array([(r << 16) | (g << 8) | b for _, (r, g, b) in counts], dtype=np.int32)
    )
    inverse = np.searchsorted(unique, codes.ravel())
    rgb = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1)
    kept = np.array(keep, dtype=np.int32)
    nearest = ((rgb[:, None, :] - kept[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    indexed = Image.fromarray(nearest[inverse].reshape(codes.shape).astype(np.uint8), mode="P")
    indexed.putpalette([v for colour in keep for v in colour])
    indexed.save(out, format="png", optimize=True)
    return out.getvalue()


def _rendered(fig, dpi: int):
    """The figure drawn as for a PNG (the chart style, ``dpi``), as an RGB image: the raw pixels, not
    a PNG encoded only to be decoded again."""
    from PIL import Image

    buf = io.BytesIO()
    with chart_style():
        fig.savefig(buf, format="raw", dpi=dpi)
        width, height = (int(round(x)) for x in fig.bbox.size)  # at the figure's own dpi
    raw = buf.getvalue()
    scale = dpi / fig.dpi
    for w in {int(round(width * scale)), int(width * scale), int(width * scale) + 1}:
        if w and len(raw) % (4 * w) == 0 and abs(len(raw) // (4 * w) - height * scale) <= 1:
            return Image.frombuffer("RGBA", (w, len(raw) // (4 * w)), raw).convert("RGB")
    buf = io.BytesIO()  # a size we could not infer: the PNG route
    with chart_style():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def warm_up() -> None:
    """Draw one small chart in the chart style and embed it, so that processes forked afterwards (a
    build's report kernels, forked from its warm process) start with the fonts loaded and Matplotlib's
    and Pillow's first-use work done (about 0.3 s a report). Every kernel forked from the warm process
    inherits the same state, so reports still start alike; no figure is left open, no style changed."""
    with chart_style():
        fig = _new_figure(3.0)
        ax = fig.add_subplot()
        ax.barh([0, 1], [0.4, 0.7], color=FOCUS, label="Share")
        ax.plot([0.2, 0.6], [0, 1], marker="o", color=CONTEXT, label="Line")
        ax.set_title("Warm-up 0-9%", loc="left", fontweight="bold")
        ax.set_xlabel("Share sufficient (%)")
        ax.text(0.5, 0.5, "Good (G)", fontsize=TEXT_SIZE, fontweight="bold")
        ax.legend(loc="lower right")
        _text_width(fig, "Requires improvement", TEXT_SIZE, "bold")
    figure_png(fig)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


# --- the frame: title, subtitle, a shared axis label and a key, outside the layout area ---------------
@dataclass
class _KeyItem:
    style: BadgeStyle | None  # the badge drawn before the words (None: words only)
    words: str


def _rating_key(include: Iterable[str] = ()) -> list[_KeyItem]:
    return [_KeyItem(RATING_STYLES[label], label) for label in (include or Rating.labels())]


def _frame(
    fig: Figure,
    *,
    title: str,
    content_height: float,
    subtitle: str = "",
    simulated: bool = False,
    key: Sequence[_KeyItem] = (),
    xlabel: str = "",
    xlabel_centre: float = 0.5,
) -> None:
    """Size the figure to its content and put the title and subtitle above the layout area and
    a shared axis label and the key below it. ``content_height`` (inches) is the layout area's."""
    width = fig.get_figwidth()
    avail = width - 2 * _PAD
    title_text = _wrap(fig, title, avail, TITLE_SIZE, "bold")
    notes = "\n".join(s for s in (subtitle, SIMULATED_NOTE if simulated else "") if s)
    sub_text = _wrap(fig, notes, avail, TEXT_SIZE) if notes else ""
    title_h = _lines(title_text) * _line_height(TITLE_SIZE)
    head = _PAD + title_h + (0.05 + _lines(sub_text) * _line_height(TEXT_SIZE) if sub_text else 0)
    head += 0.1

    # the key: a badge and words per item, flowed into rows
    size = LABEL_SIZE
    badge_pad = 0.035
    rows: list[list[tuple[_KeyItem, float, float]]] = []
    x = avail + 1
    for item in key:
        letter = item.style.letter if item.style else ""
        bw = _text_width(fig, letter, size, "bold") + 2 * badge_pad if letter else 0
        w = bw + (0.07 if bw else 0) + _text_width(fig, item.words, size)
        if x + w > avail:
            rows.append([])
            x = 0
        rows[-1].append((item, x, bw))
        x += w + 0.25
    row_h = _line_height(size) + 2 * badge_pad + 0.05
    foot = len(rows) * row_h + (_PAD + 0.04 if rows else 0)
    xlabel_text = _wrap(fig, xlabel, avail, TEXT_SIZE) if xlabel else ""
    xlabel_h = _lines(xlabel_text) * _line_height(TEXT_SIZE) + 0.06 if xlabel else 0
    bottom = foot + xlabel_h + (0.0 if foot or not xlabel else _PAD)

    height = head + content_height + bottom
    fig.set_size_inches(width, height)
    fig.get_layout_engine().set(rect=(0, bottom / height, 1, content_height / height))

    def put(x_in, y_in, text, **kw):
        return fig.text(x_in / width, y_in / height, text, **kw)

    put(
        _PAD,
        height - _PAD,
        title_text,
        ha="left",
        va="top",
        fontsize=TITLE_SIZE,
        fontweight="bold",
        color=TEXT,
    )
    if sub_text:
        put(
            _PAD,
            height - _PAD - title_h - 0.05,
            sub_text,
            ha="left",
            va="top",
            fontsize=TEXT_SIZE,
            color=SECONDARY,
        )
    if xlabel:  # centred where asked, but never past the figure's edges
        half = max(_text_width(fig, line, TEXT_SIZE) for line in xlabel_text.split("\n")) / 2
        centre = min(max(xlabel_centre * width, _PAD + half), width - _PAD - half)
        put(
            centre,
            bottom - 0.02,
            xlabel_text,
            ha="center",
            va="top",
            fontsize=TEXT_SIZE,
            color=TEXT,
        )
    for i, row in enumerate(rows):
        y = foot - _PAD - (i + 0.5) * row_h
        for item, x0, bw in row:
            x_words = _PAD + x0
            if item.style:
                put(
                    _PAD + x0 + badge_pad,
                    y,
                    item.style.letter,
                    ha="left",
                    va="center",
                    fontsize=size,
                    fontweight="bold",
                    color=item.style.text,
                    bbox={
                        "boxstyle": f"square,pad={badge_pad * 72 / size:.2f}",
                        "facecolor": item.style.fill,
                        "edgecolor": item.style.border,
                        "linewidth": 0.8,
                    },
                )
                x_words += bw + 0.07
            put(x_words, y, item.words, ha="left", va="center", fontsize=size, color=TEXT)


def _finish(fig: Figure, title: str, alt: str, method: str = "", simulated: bool = False) -> Figure:
    caption = title.rstrip(".") + "."
    if method:
        caption += " " + method.rstrip(".") + "."
    if simulated:
        caption += " " + SIMULATED_NOTE + "."
    fig.hmip_title = title
    fig.hmip_alt = (SIMULATED_NOTE + ". " if simulated else "") + alt
    fig.hmip_caption = caption
    return fig


def _percent_axis(axis, ticks: Sequence[float] = (0, 0.25, 0.5, 0.75, 1)) -> None:
    axis.set_major_locator(mticker.FixedLocator([float(t) for t in ticks]))
    axis.set_major_formatter(mticker.PercentFormatter(1.0, decimals=0))


def _band_edges(fw: Framework) -> list[tuple[Rating, float, float]]:
    edges = [0.0] + [float(t) for _, t in fw.thresholds] + [1.0]
    ratings = [Rating.INADEQUATE] + [Rating.parse(label) for label, _ in fw.thresholds]
    return list(zip(ratings, edges[:-1], edges[1:], strict=True))


def _shade_bands(ax, fw: Framework, letters_y: float | None = None, stagger: float = 0.0) -> None:
    """Rating bands as background tints, edged in the rating's border colour, each with its letter
    at ``letters_y`` (data units) when given; ``stagger`` moves every other letter up and down by
    that much, for narrow panels."""
    for k, (r, a, b) in enumerate(_band_edges(fw)):
        style = RATING_STYLES[r.label]
        ax.axvspan(a, b, color=style.fill, alpha=_BAND_ALPHA, lw=0, zorder=0)
        if a > 0:
            ax.axvline(a, color=style.border, lw=0.8, zorder=0.5)
        if letters_y is not None:
            y = letters_y + (stagger if k % 2 else -stagger) * (1 if 0 < k < 3 else 0)
            ax.text(
                (a + b) / 2,
                y,
                r.code,
                ha="center",
                va="center",
                fontsize=LABEL_SIZE,
                fontweight="bold",
                color=TEXT,
            )


@dataclass
class _Row:
    header: str | None = None  # a group heading (a row without data)
    label: str = ""  # a data row's label ("" for a spacer row)
    index: int = -1  # the data row's position in the input table


def _grouped_rows(labels: Sequence[str]) -> list[_Row]:
    """Rows for labels; "Group: item" labels go under one heading per group when groups repeat."""
    parts = [str(lab).rsplit(": ", 1) if ": " in str(lab) else [None, str(lab)] for lab in labels]
    prefixes = [p[0] for p in parts]
    if None in prefixes or len(set(prefixes)) == len(prefixes):
        return [_Row(None, str(lab), i) for i, lab in enumerate(labels)]
    rows: list[_Row] = []
    current: object = object()
    for i, (prefix, item) in enumerate(parts):
        if prefix != current:
            rows.append(_Row(prefix))
            current = prefix
        rows.append(_Row(None, item, i))
    return rows


def _row_axis(
    fig: Figure, ax, rows: Sequence[_Row], label_width: float, *, min_height: float = 0.27
) -> tuple[list[float], float]:
    """Lay rows out down the y axis in inches: wrapped tick labels for data rows, bold headings
    across the figure for group rows. Returns each row's centre and the total height (inches)."""
    centres, ticks, texts, headings = [], [], [], []
    y = 0.0
    for row in rows:
        if row.header is not None:
            text = _wrap(fig, row.header, fig.get_figwidth() - 2 * _PAD - 0.2, TEXT_SIZE, "bold")
            h = _lines(text) * _line_height(TEXT_SIZE) + 0.14
            headings.append((y + h / 2 + 0.03, text))
        elif row.label:
            text = _wrap(fig, row.label, label_width, LABEL_SIZE)
            h = max(min_height, _lines(text) * _line_height(LABEL_SIZE) + 0.09)
            ticks.append(y + h / 2)
            texts.append(text)
        else:
            h = min_height
        centres.append(y + h / 2)
        y += h
    ax.set_yticks(ticks, texts)
    ax.set_ylim(y, 0)
    ax.tick_params(axis="y", length=0)
    to_left = blended_transform_factory(fig.transFigure, ax.transData)
    for yc, text in headings:
        t = ax.text(
            _PAD / fig.get_figwidth(),
            yc,
            text,
            transform=to_left,
            ha="left",
            va="center",
            fontsize=TEXT_SIZE,
            fontweight="bold",
            color=TEXT,
            clip_on=False,
            zorder=4,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5},
        )
        t.set_in_layout(False)
    return centres, y


# --- London comparison ----------------------------------------------------------------------------------
@_styled
def ratings_grid(
    grid: pd.DataFrame,
    *,
    title: str | None = None,
    highlight: str | None = None,
    overall: Mapping[str, object] | pd.Series | None = None,
    framework: Framework | None = None,
) -> Figure:
    """PDUs by standards as rating badges: the letter on the rating's fill in every cell, and
    unknown ratings as grey "?" cells. ``overall`` (PDU -> overall rating) adds an Overall column."""
    fw = framework or default_framework()
    fig = _new_figure()
    ax = fig.add_subplot()
    cols = [(str(s), f"{fw.standard(s).code} {fw.standard(s).name}") for s in grid.columns]
    if overall is not None:
        cols.append(("", "Overall rating"))
    xs = [j + (0.35 if key == "" else 0) for j, (key, _) in enumerate(cols)]
    present: set[str] = set(Rating.labels())
    known: list[Rating] = []
    unknown = 0
    alt_rows = []
    for i, pdu in enumerate(grid.index):
        alt_cells = []
        for (key, name), x in zip(cols, xs, strict=True):
            rating = _parse_rating(overall.get(pdu) if key == "" else grid.loc[pdu, key])
            style = _style(rating)
            present.add(style.label)
            if key and isinstance(rating, Rating):
                known.append(rating)
            elif key and rating is None:
                unknown += 1
            ax.add_patch(
                Rectangle(
                    (x + 0.05, i + 0.06),
                    0.9,
                    0.88,
                    facecolor=style.fill,
                    edgecolor=style.border,
                    lw=0.8,
                    ls="--" if style.label == "Not rated" else "-",
                )
            )
            ax.text(
                x + 0.5,
                i + 0.5,
                style.letter,
                ha="center",
                va="center",
                fontsize=11,
                fontweight="bold",
                color=style.text,
            )
            alt_cells.append(f"{name} {style.label if rating is not None else 'not published'}")
        alt_rows.append(f"{pdu}: " + ", ".join(alt_cells))

    labels = [_wrap(fig, str(p), 1.8, LABEL_SIZE) for p in grid.index]
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels)
    for lab, pdu in zip(ax.get_yticklabels(), grid.index, strict=True):
        if highlight and str(pdu) == highlight:
            lab.set_fontweight("bold")
    ax.set_xticks(
        [x + 0.5 for x in xs],
        [name for _, name in cols],
        rotation=40,
        ha="left",
        rotation_mode="anchor",
    )
    ax.xaxis.tick_top()
    ax.tick_params(length=0, pad=2)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xlim(0, xs[-1] + 1)
    ax.set_ylim(len(labels), 0)

    if title is None:
        if overall is not None:
            ratings = [_parse_rating(overall.get(p)) for p in grid.index]
            title = _rating_finding(
                [r for r in ratings if isinstance(r, Rating)], "PDUs", "were rated"
            )
        else:
            title = _rating_finding(known, "published standard ratings", "are")
    subtitle = (
        f"{unknown} of {len(known) + unknown} standard ratings were not published (shown as ?)"
        if unknown
        else ""
    )
    cell = max(0.42, max(_lines(t) for t in labels) * _line_height(LABEL_SIZE) + 0.06)
    header = max(_text_width(fig, name, LABEL_SIZE) for _, name in cols) * math.sin(
        math.radians(40)
    )
    _frame(
        fig,
        title=title,
        subtitle=subtitle,
        content_height=len(labels) * cell + header + 0.2,
        key=_rating_key([label for label in RATING_STYLES if label in present]),
    )
    alt = (
        f"Grid of ratings, {len(labels)} PDUs by {len(grid.columns)} rated standards. "
        + "; ".join(alt_rows)
    )
    return _finish(fig, title, alt)


@_styled
def points_chart(
    summary: pd.DataFrame,
    *,
    title: str | None = None,
    max_points: int = 27,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Total points per PDU against the overall bands. Published points are solid bars; points
    recomputed from case data (where none were published) are outlined and say so."""
    fw = framework or default_framework()
    simulated = _simulated(summary, simulated)
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    fig = _new_figure()
    ax = fig.add_subplot()
    rows = [_Row()] + [_Row(None, str(p), i) for i, p in enumerate(summary["pdu"])]
    centres, total = _row_axis(fig, ax, rows, 1.8, min_height=0.34)
    for b in scale.bands:
        r = Rating.parse(b.rating)
        ax.axvspan(
            b.low - 0.5,
            b.high + 0.5,
            color=RATING_STYLES[r.label].fill,
            alpha=_BAND_ALPHA,
            lw=0,
            zorder=0,
        )
        ax.text(
            (b.low + b.high) / 2,
            centres[0],
            f"{r.code}  {b.low}-{b.high}",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=TEXT,
        )
    source = "simulated" if simulated else "recomputed"
    alt, any_recomputed = [], False
    for y, row in zip(centres[1:], summary.itertuples(), strict=True):
        published = pd.notna(row.published_points)
        pts = row.published_points if published else row.recomputed_points
        if pd.isna(pts):
            ax.text(0, y, "points not known", va="center", fontsize=SMALL_SIZE, color=SECONDARY)
            alt.append(f"{row.pdu} points not known")
            continue
        pts = int(pts)
        any_recomputed |= not published
        ax.barh(
            y,
            max(pts, 0.12),
            left=0 if pts else -0.5,
            color=FOCUS if published else "white",
            edgecolor=FOCUS,
            lw=1.2,
            height=0.2,
            zorder=2,
        )
        ax.text(
            max(pts, 0) + 0.4,
            y,
            f"{pts}" if published else f"{pts} ({source})",
            va="center",
            fontsize=LABEL_SIZE,
            fontweight="bold" if published else "normal",
            color=TEXT,
        )
        alt.append(f"{row.pdu} {pts}" + ("" if published else f" ({source})"))
    ax.set_xlim(-0.5, max_points + 0.5)
    ax.xaxis.set_major_locator(mticker.FixedLocator([b.low for b in scale.bands] + [max_points]))
    ax.grid(False)
    xlabel = f"Points (0-{max_points}): each rated standard scores I 0, RI 1, G 2, O 3"
    ax.set_xlabel(xlabel)
    if title is None:
        ratings = [_parse_rating(v) for v in summary["published_rating"]]
        k = sum(r == Rating.INADEQUATE for r in ratings if isinstance(r, Rating))
        low = scale.bands[0]
        title = _sentence(
            f"{_num(k)} of {_num(len(summary))} PDUs were rated Inadequate ({low.low}-{low.high} points)"
        )
    basis = "recomputed from simulated cases" if simulated else "recomputed from the case data"
    subtitle = (
        f"Solid bars: published points; outlined bars: not published, {basis}"
        if any_recomputed
        else ""
    )
    _frame(
        fig,
        title=title,
        subtitle=subtitle,
        content_height=total + _xaxis_height(xlabel),
        key=_rating_key(),
    )
    alt = "Bar chart of total points per PDU: " + "; ".join(alt)
    return _finish(fig, title, (subtitle + ". " if subtitle else "") + alt, subtitle)


@_styled
def key_question_shares(
    shares: pd.DataFrame,
    standard: str,
    *,
    title: str | None = None,
    highlight: str | None = None,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """One standard, a panel per key question: each PDU's share of cases judged sufficient with
    its interval, against the rating bands; n in the labels."""
    fw = framework or default_framework()
    simulated = _simulated(shares, simulated)
    std = fw.standard(standard)
    sub = shares[shares["standard"] == std.id]
    pdus = list(dict.fromkeys(sub["pdu"]))
    kqs = list(std.key_questions)
    fig = _new_figure()
    axes = fig.subplots(1, len(kqs), sharey=True, squeeze=False)[0]
    n_range = sub.groupby("pdu", sort=False)["n"].agg(["min", "max"])
    labels = []
    for p in pdus:
        lo, hi = int(n_range.loc[p, "min"]), int(n_range.loc[p, "max"])
        labels.append(f"{p} (n={lo})" if lo == hi else f"{p} (n={lo}-{hi})")
    label_width = 2.1
    rows = [_Row()] + [_Row(None, lab, i) for i, lab in enumerate(labels)]
    centres, total = _row_axis(fig, axes[0], rows, label_width, min_height=0.32)
    y = np.array(centres[1:])
    for ax, kq in zip(axes, kqs, strict=True):
        _shade_bands(ax, fw, letters_y=centres[0], stagger=0.075)
        got = sub[sub["key_question"] == kq.id].set_index("pdu").reindex(pdus)
        x = got["share"].to_numpy(float)
        ok = ~np.isnan(x)
        ax.errorbar(
            x[ok],
            y[ok],
            xerr=[
                x[ok] - got["lower"].to_numpy(float)[ok],
                got["upper"].to_numpy(float)[ok] - x[ok],
            ],
            fmt="o",
            color=FOCUS,
            ms=5,
            capsize=2.5,
            lw=1.4,
            zorder=3,
        )
        for yy in y[~ok]:
            ax.text(0.03, yy, "no cases", va="center", fontsize=SMALL_SIZE, color=SECONDARY)
        if highlight in pdus:
            yy = y[pdus.index(highlight)]
            ax.axhspan(yy - 0.16, yy + 0.16, color=CONTEXT, alpha=0.45, lw=0, zorder=0.2)
        ax.set_xlim(0, 1)
        _percent_axis(ax.xaxis, (0, 0.5, 1))
        ax.grid(False)
        ax.set_title(
            _wrap(fig, _sentence(kq.short or kq.id), 1.25, TEXT_SIZE),
            loc="left",
            fontsize=TEXT_SIZE,
        )
    for lab, p in zip(axes[0].get_yticklabels(), pdus, strict=True):
        if p == highlight:
            lab.set_fontweight("bold")
    below = int((sub.groupby("pdu")["share"].min() < float(fw.thresholds[0][1])).sum())
    if title is None:
        if below == len(pdus):
            title = f"{std.name}: every PDU had a key question below 50% (Inadequate)"
        elif below == 0:
            title = f"{std.name}: no PDU had a key question below 50%"
        else:
            title = (
                f"{std.name}: {_num(below)} of {_num(len(pdus))} PDUs had a key question below 50%"
            )
    method = f"{sub['method'].iloc[0]} {100 * sub['level'].iloc[0]:g}% interval" if len(sub) else ""
    heading = max(_lines(_wrap(fig, _sentence(k.short or k.id), 1.25, TEXT_SIZE)) for k in kqs)
    _frame(
        fig,
        title=title,
        subtitle="Dots: share of cases judged sufficient; lines: 95% interval",
        content_height=total + heading * _line_height(TEXT_SIZE) + 0.1 + _xaxis_height(),
        simulated=simulated,
        key=_rating_key(),
        xlabel="Share of cases judged sufficient (%)",
        xlabel_centre=(label_width + 0.15 + WIDTH) / 2 / WIDTH,
    )
    alt = f"{std.name}, key-question shares by PDU: " + "; ".join(
        f"{r.pdu} {fw.key_question(std.id, r.key_question).short} {r.share:.0%} "
        f"({r.lower:.0%}-{r.upper:.0%}, n={r.n})"
        for r in sub.itertuples()
    )
    return _finish(fig, title, alt, f"Intervals: {method}" if method else "", simulated)


@_styled
def funnel_plot(
    funnel: pd.DataFrame,
    *,
    measure: str,
    title: str | None = None,
    label: str = "pdu",
    highlight: str | None = None,
    simulated: bool | None = None,
) -> Figure:
    """Share against number of cases, with 95% and 99.8% limits around the share for all units;
    units outside the 95% limits (triangles) and the highlighted one are labelled."""
    from hmip.stats.funnel import funnel_curve

    theta, od, method = _funnel_meta(funnel)
    simulated = _simulated(funnel, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    n_max = max(60, int(funnel["n"].max() * 1.25))
    grid = np.arange(5, n_max + 1)
    at = int(np.searchsorted(grid, 5 + 0.15 * (n_max - 5)))
    top = float(funnel["share"].max()) + 0.1
    for level, ls in ((0.95, (0, (6, 2))), (0.998, (0, (1, 1.5)))):
        lim = funnel_curve(funnel, grid, level)  # the same rule as the table's flags
        lo, hi = lim["lower"].to_numpy(), lim["upper"].to_numpy()
        ax.plot(grid, lo, ls=ls, color=SECONDARY, lw=1.3)
        ax.plot(grid, hi, ls=ls, color=SECONDARY, lw=1.3)
        ax.text(
            grid[at],
            hi[at] + 0.02,
            f"{100 * level:g}% limits",
            fontsize=SMALL_SIZE,
            color=TEXT,
            va="bottom",
        )
        top = max(top, float(hi[at]) + 0.12)
    ax.axhline(theta, color=TEXT, lw=1.2)
    ax.text(
        n_max,
        theta + 0.015,
        f"all PDUs: {theta:.0%}",
        ha="right",
        va="bottom",
        fontsize=SMALL_SIZE,
        color=TEXT,
    )
    out = funnel["outside_95"].to_numpy(bool)
    ax.scatter(
        funnel.loc[~out, "n"], funnel.loc[~out, "share"], s=40, color=FOCUS, marker="o", zorder=3
    )
    ax.scatter(
        funnel.loc[out, "n"],
        funnel.loc[out, "share"],
        s=65,
        color=CATEGORICAL[2],
        marker="^",
        zorder=3,
    )
    for r in funnel.itertuples():
        name = str(getattr(r, label))
        if r.outside_95 or name == highlight:
            ax.annotate(
                _wrap(
                    fig, name + (": outside 95% limits" if r.outside_95 else ""), 1.6, SMALL_SIZE
                ),
                (r.n, r.share),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=SMALL_SIZE,
                fontweight="bold" if name == highlight else "normal",
                color=TEXT,
            )
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, min(1.0, math.ceil(top * 10) / 10))
    _percent_axis(ax.yaxis, np.arange(0, ax.get_ylim()[1] + 1e-9, 0.2))
    ax.set_xlabel("Number of cases judged (n)")
    ax.set_ylabel("Share judged sufficient (%)")
    n_out = int(out.sum())
    if title is None:
        title = (
            f"{measure}: {_num(n_out)} of {_num(len(funnel))} PDUs outside the 95% limits"
            if n_out
            else f"{measure}: no PDU is outside the 95% limits"
        )
    subtitle = "Each dot is a PDU" + ("; triangles: outside the 95% limits" if n_out else "")
    _frame(fig, title=title, subtitle=subtitle, content_height=3.3, simulated=simulated)
    alt = f"Funnel plot of {measure}: " + "; ".join(
        f"{getattr(r, label)} {r.share:.0%} of {int(r.n)} ({'outside' if r.outside_95 else 'inside'} 95% limits)"
        for r in funnel.itertuples()
    )
    return _finish(
        fig,
        title,
        alt,
        f"Limits: {method}. Flagged outside from {funnel['flag_method'].iloc[0]}.",
        simulated,
    )


@_styled
def rank_plot(
    ranks: pd.DataFrame,
    *,
    measure: str,
    title: str | None = None,
    label: str = "pdu",
    simulated: bool | None = None,
) -> Figure:
    """Each unit's plausible range of rank (1 = highest share), its observed rank, share and n."""
    simulated = _simulated(ranks, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    n = len(ranks)
    rows = [_Row()] + [
        _Row(None, f"{getattr(r, label)} (n={int(r.n)})", i)
        for i, r in enumerate(ranks.itertuples())
    ]
    centres, total = _row_axis(fig, ax, rows, 2.0, min_height=0.3)
    for y, r in zip(centres[1:], ranks.itertuples(), strict=True):
        ax.plot(
            [r.rank_lower - 0.15, r.rank_upper + 0.15],
            [y, y],
            color=MID_BLUE,
            lw=6,
            solid_capstyle="butt",
        )
        ax.plot(r.rank, y, "o", color=FOCUS, mec="white", mew=1.2, ms=8, zorder=3)
        ax.text(
            n + 1.0, y, f"{r.share:.0%}", va="center", ha="right", fontsize=LABEL_SIZE, color=TEXT
        )
    ax.text(
        n + 1.0, centres[0], "share", ha="right", va="center", fontsize=SMALL_SIZE, color=SECONDARY
    )
    ax.text(
        ranks["rank"].iloc[0],
        centres[0],
        "rank observed",
        ha="center",
        va="center",
        fontsize=SMALL_SIZE,
        color=SECONDARY,
    )
    ax.set_xlim(0.5, n + 1.1)
    ax.set_xticks(range(1, n + 1))
    ax.grid(False)
    xlabel = "Rank (1 = highest share); bar: range of plausible ranks (95%)"
    ax.set_xlabel(xlabel)
    widest = int((ranks["rank_upper"] - ranks["rank_lower"]).max()) + 1
    if title is None:
        if widest >= n:
            title = f"{measure}: each PDU could rank anywhere from 1 to {n}"
        else:
            title = f"{measure}: plausible ranks span up to {_num(widest)} of {_num(n)} places"
    _frame(fig, title=title, content_height=total + _xaxis_height(xlabel), simulated=simulated)
    alt = f"Rank ranges on {measure}: " + "; ".join(
        f"{getattr(r, label)} rank {r.rank} (range {r.rank_lower}-{r.rank_upper})"
        for r in ranks.itertuples()
    )
    method = str(ranks["method"].iloc[0]) if "method" in ranks and n else ""
    return _finish(fig, title, alt, f"Method: {method}" if method else "", simulated)


# --- sample size sensitivity --------------------------------------------------------------------------
def _generic_method(text: str) -> str:
    """A method without one row's parameters (they differ from row to row)."""
    return re.sub(r"Beta\(\s*[\d.]+\s*,\s*[\d.]+\s*\)", "Beta(yes + 0.5, no + 0.5)", str(text))


@_styled
def probability_bars(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Chance (%)",
    method: str | None = None,
    simulated: bool | None = None,
    label_width: float = 2.5,
) -> Figure:
    """Stacked bars of the chance of each rating (columns named by rating), one bar per row; each
    segment carries its letter and percentage, and small segments are listed after the bar."""
    simulated = _simulated(table, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    rows = _grouped_rows([str(i) for i in table.index])
    centres, total = _row_axis(fig, ax, rows, label_width)
    ys = [centres[k] for k, row in enumerate(rows) if row.header is None]
    bar_width = WIDTH - label_width - 1.2  # inches of the bar, roughly
    left = np.zeros(len(table))
    outside: list[list[str]] = [[] for _ in range(len(table))]
    for r in Rating:
        style = RATING_STYLES[r.label]
        vals = table[r.label].to_numpy(float) if r.label in table else np.zeros(len(table))
        ax.barh(
            ys,
            vals,
            left=left,
            color=style.fill,
            edgecolor=style.border,
            lw=0.6,
            height=0.19,
            zorder=2,
        )
        for i, (v, lft) in enumerate(zip(vals, left, strict=True)):
            if v < 0.005:
                continue
            text = f"{r.code} {_pct(v)}"
            if _text_width(fig, text, SMALL_SIZE, "bold") + 0.08 < v * bar_width:
                ax.text(
                    lft + v / 2,
                    ys[i],
                    text,
                    ha="center",
                    va="center",
                    fontsize=SMALL_SIZE,
                    fontweight="bold",
                    color=style.text,
                    zorder=3,
                )
            else:
                outside[i].append(text)
        left += vals
    for y, texts in zip(ys, outside, strict=True):
        if texts:
            ax.text(
                1.02,
                y,
                ", ".join(texts),
                ha="left",
                va="center",
                fontsize=SMALL_SIZE,
                color=TEXT,
                clip_on=False,
            )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.grid(False)
    xlabel = _wrap(fig, _generic_method(xlabel), WIDTH - label_width - 0.3, TEXT_SIZE)
    ax.set_xlabel(xlabel)
    if title is None:
        modal = [
            max((r for r in Rating if r.label in table), key=lambda r: table.loc[idx, r.label])
            for idx in table.index
        ]
        top = max(set(modal), key=modal.count)
        title = f"{top.label} is the most likely rating for {_num(modal.count(top))} of {_num(len(modal))}"
    _frame(
        fig,
        title=title,
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
        key=_rating_key(),
    )
    alt = f"{title}. " + "; ".join(
        f"{idx}: "
        + ", ".join(f"{r.code} {_pct(table.loc[idx, r.label])}" for r in Rating if r.label in table)
        for idx in table.index
    )
    if method is None and "band_method" in table:
        method = str(table["band_method"].iloc[0])
    method = _generic_method(method) if method else ""
    said = method and method in xlabel.replace("\n", " ").replace(_NBSP, " ")
    return _finish(fig, title, alt, f"Method: {method}" if method and not said else "", simulated)


@_styled
def shares_with_bands(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Key-question shares with intervals against the rating bands (rows: share, lower, upper,
    yes, n, method, level, indexed by label); the count (yes/n) in each label."""
    fw = framework or default_framework()
    simulated = _simulated(table, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    rows = [_Row()] + _grouped_rows([str(i) for i in table.index])  # the first row: band letters
    centres, total = _row_axis(fig, ax, rows, 2.8, min_height=0.26)
    _shade_bands(ax, fw, letters_y=centres[0])
    ys = np.array(
        [centres[k] for k, row in enumerate(rows) if row.header is None and row.index >= 0]
    )
    counts_x = 1.03
    ax.text(
        counts_x,
        centres[0],
        "sufficient",
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        color=SECONDARY,
        transform=ax.get_yaxis_transform(),
        clip_on=False,
    )
    for y, k, n in zip(ys, table["yes"], table["n"], strict=True):
        ax.text(
            counts_x,
            y,
            f"{int(k)} of {int(n)}",
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            color=TEXT,
            transform=ax.get_yaxis_transform(),
            clip_on=False,
        )
    x = table["share"].to_numpy(float)
    ax.errorbar(
        x,
        ys,
        xerr=[x - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - x],
        fmt="o",
        color=FOCUS,
        ms=5,
        capsize=2.5,
        lw=1.4,
        zorder=3,
    )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis, (0, 0.25, 0.5, 0.65, 0.8, 1))
    ax.grid(False)
    xlabel = "Share of cases judged sufficient (%)"
    ax.set_xlabel(xlabel)
    if title is None:
        bands = [_band_of(float(s), fw) for s in x]
        worst = min(bands)
        k = sum(b == worst for b in bands)
        which = "All" if k == len(bands) else f"{_num(k)} of"
        title = _sentence(f"{which} {_num(len(bands))} key questions are in the {worst.label} band")
    _frame(
        fig,
        title=title,
        subtitle="Dots: share of cases judged sufficient; lines: 95% interval",
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
        key=_rating_key(),
    )
    method = f"Intervals: {table['method'].iloc[0]} {100 * table['level'].iloc[0]:g}%"
    alt = f"{title}. " + "; ".join(
        f"{i}: {r.share:.0%} ({r.lower:.0%}-{r.upper:.0%})" for i, r in table.iterrows()
    )
    return _finish(fig, title, alt, method, simulated)


@_styled
def accuracy_curves(
    curve: pd.DataFrame,
    *,
    title: str | None = None,
    mark_n: int = 42,
    target_lines: Iterable[float] = (0.8, 0.9),
) -> Figure:
    """The chance that a sample gives the correct band, against n: one panel per true share, each
    titled with it, with HMIP's n and the chance there marked."""
    groups = list(curve.groupby("true_share"))
    targets = sorted(float(t) for t in target_lines)
    fig = _new_figure()
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    n_max = int(curve["n"].max())
    for k, ax in enumerate(axes.flat):
        if k >= len(groups):
            ax.set_visible(False)
            continue
        share, g = groups[k]
        g = g.sort_values("n")
        ax.plot(g["n"], g["p_correct"], color=FOCUS, lw=1.1)
        for t in targets:
            ax.axhline(t, color=SECONDARY, lw=0.9, ls=(0, (1, 1.5)))
        ax.axvline(mark_n, color=TEXT, lw=1, ls=(0, (4, 2)))
        here = g[g["n"] == mark_n]
        if len(here):
            p = float(here["p_correct"].iloc[0])
            ax.plot(mark_n, p, "o", color=CATEGORICAL[2], ms=6, zorder=3)
            ax.annotate(
                f"{p:.0%} at {mark_n}",
                (mark_n, p),
                xytext=(6, -4),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=SMALL_SIZE,
                fontweight="bold",
                color=TEXT,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
        rating = Rating.parse(g["true_band"].iloc[0])
        ax.set_title(f"True share {share:.0%} ({rating.code})", loc="left", fontsize=TEXT_SIZE)
        ax.set_xlim(0, n_max)
        ax.set_ylim(0, 1.02)
        ticks = [0.0, 0.5, 1.0]
        for t in targets:
            if all(abs(t - u) >= 0.15 for u in ticks):
                ticks.append(t)
        _percent_axis(ax.yaxis, sorted(ticks))
        ax.xaxis.set_major_locator(mticker.MaxNLocator(4, integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("Cases sampled (n)")
    for ax in axes[:, 0]:
        ax.set_ylabel("Chance of the\ncorrect band (%)")
    at = curve[curve["n"] == mark_n]
    worst = float(at["p_correct"].min()) if len(at) else float("nan")
    if title is None:
        title = f"With {mark_n} cases, a share near a band boundary is banded correctly {worst:.0%} of the time"
    pcts = " and ".join(f"{t:.0%}" for t in targets)
    _frame(
        fig,
        title=title,
        subtitle=f"Dashed line: HMIP's sample of {mark_n} cases; dotted lines: {pcts} chance",
        content_height=2.1 * nrows + 0.2,
    )
    alt = f"{title}. " + "; ".join(
        f"true share {r.true_share:.0%}: {r.p_correct:.0%} at n={mark_n}" for r in at.itertuples()
    )
    return _finish(
        fig,
        title,
        alt,
        f"Method: {curve['method'].iloc[0]}; the saw-tooth comes from whole-number counts",
    )


@_styled
def points_distribution(
    points: pd.Series,
    *,
    pdu: str,
    title: str | None = None,
    observed: int | None = None,
    observed_basis: str = "",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """The chance of each points total with a fresh sample, bars in the overall band's colours, and
    each band labelled with its letter, points and chance. ``observed_basis`` (e.g. "published" or
    "simulated") is said next to the inspection's total."""
    fw = framework or default_framework()
    simulated = _simulated(points, simulated)
    max_points = int(points.index.max())
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    fig = _new_figure()
    ax = fig.add_subplot()
    top = float(points.max())
    probs: dict[Rating, float] = {}
    for b in scale.bands:
        r = Rating.parse(b.rating)
        style = RATING_STYLES[r.label]
        xs = np.arange(b.low, b.high + 1)
        ax.bar(
            xs,
            points.reindex(xs).fillna(0).to_numpy(),
            color=style.fill,
            edgecolor=style.border,
            lw=0.6,
            width=0.8,
            zorder=2,
        )
        probs[r] = float(points.loc[b.low : b.high].sum())
        ax.text(
            (b.low + b.high) / 2,
            top * 1.3,
            f"{r.code} {b.low}-{b.high}: {_pct(probs[r])}",
            ha="center",
            va="center",
            fontsize=SMALL_SIZE,
            fontweight="bold",
            color=style.text,
            bbox={
                "boxstyle": "square,pad=0.25",
                "facecolor": style.fill,
                "edgecolor": style.border,
                "linewidth": 0.8,
            },
        )
    if observed is not None:
        words = f"Inspection: {observed} points" + (
            f" ({observed_basis})" if observed_basis else ""
        )
        y_obs = float(points.get(observed, 0.0))
        ax.annotate(
            words,
            (observed, y_obs),
            xytext=(observed + 2.5, max(y_obs, top * 0.5) + top * 0.1),
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            fontweight="bold",
            color=TEXT,
            arrowprops={"arrowstyle": "-|>", "color": TEXT, "lw": 1, "shrinkA": 2, "shrinkB": 2},
        )
    ax.set_xlabel(f"Total points (0-{max_points})")
    ax.set_ylabel("Chance (%)")
    ax.set_xlim(-0.7, max_points + 0.7)
    ax.set_ylim(0, top * 1.45)
    ax.xaxis.set_major_locator(mticker.FixedLocator([b.low for b in scale.bands] + [max_points]))
    step = 0.2 if top > 0.4 else 0.1 if top > 0.2 else 0.05
    _percent_axis(ax.yaxis, np.arange(0, top + 1e-9, step))
    best = max(probs, key=probs.get)
    if title is None:
        title = f"{pdu}: a fresh sample would give {best.label} {_pct(probs[best])} of the time"
    _frame(fig, title=title, content_height=2.9, simulated=simulated, key=_rating_key())
    method = _meta(points, "method", "")
    return _finish(
        fig,
        title,
        f"Chance of each total for {pdu}: "
        + ", ".join(f"{r.label} {_pct(p)}" for r, p in probs.items()),
        f"Method: {method}" if method else "",
        simulated,
    )


# --- disproportionality --------------------------------------------------------------------------------
@_styled
def group_dot_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    marker: str = "[c]",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Share judged sufficient by group with intervals and n (rows: label, share, lower, upper,
    n_display, suppressed, method). "Measure: group" labels are grouped under a heading per
    measure; groups differ by marker as well as colour; suppressed cells are said in words."""
    fw = framework or default_framework()
    simulated = _simulated(table, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    plain = [_plain(lab, fw) for lab in table["label"]]
    rows = _grouped_rows(
        [f"{lab} (n={n})" for lab, n in zip(plain, table["n_display"], strict=True)]
    )
    centres, total = _row_axis(fig, ax, rows, 2.2, min_height=0.25)
    items = [p.rsplit(": ", 1)[-1] for p in plain]
    kinds = list(dict.fromkeys(items))
    colours = [
        CATEGORICAL[0],
        CATEGORICAL[2],
        CATEGORICAL[4],
        CATEGORICAL[1],
        CATEGORICAL[3],
        CATEGORICAL[5],
    ]
    suppressed_any = False
    for y, row in zip(centres, rows, strict=True):
        if row.header is not None:
            continue
        r = table.iloc[row.index]
        if bool(r.get("suppressed", False)) or pd.isna(r["share"]):
            ax.text(
                0.01,
                y,
                f"suppressed: fewer than 8 people {marker}",
                va="center",
                fontsize=SMALL_SIZE,
                color=SECONDARY,
            )
            suppressed_any = True
            continue
        k = kinds.index(items[row.index]) % len(MARKERS)
        ax.errorbar(
            r["share"],
            y,
            xerr=[[r["share"] - r["lower"]], [r["upper"] - r["share"]]],
            fmt=MARKERS[k],
            color=colours[k],
            ms=5.5,
            capsize=2.5,
            lw=1.4,
        )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.grid(False)
    ax.grid(True, axis="x")
    xlabel = "Share of cases judged sufficient (%); lines: 95% interval"
    ax.set_xlabel(xlabel)
    if title is None:
        title = _group_finding(table, items)
    _frame(
        fig,
        title=_plain(title, fw),
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
    )
    alt = f"{_plain(title, fw)}. " + "; ".join(
        f"{lab}: "
        + (
            "suppressed"
            if bool(r.get("suppressed", False)) or pd.isna(r["share"])
            else f"{r['share']:.0%} ({r['lower']:.0%}-{r['upper']:.0%})"
        )
        for lab, (_, r) in zip(plain, table.iterrows(), strict=True)
    )
    meth = (
        table["method"].dropna().iloc[0]
        if "method" in table and table["method"].notna().any()
        else ""
    )
    method = f"Intervals: {meth}" if meth else ""
    if suppressed_any:
        method += f"{'. ' if method else ''}{marker} suppressed to protect people: fewer than 8 in a group"
    return _finish(fig, _plain(title, fw), alt, method, simulated)


def _group_finding(table: pd.DataFrame, items: list[str]) -> str:
    """'Ethnic minority share below the White share in six of six measures', or a plain title."""
    prefixes = [str(lab).rsplit(": ", 1)[0] for lab in table["label"]]
    lower = total = 0
    other = None
    for prefix in dict.fromkeys(prefixes):
        shares = {items[i]: table["share"].iloc[i] for i, p in enumerate(prefixes) if p == prefix}
        white = shares.get("White")
        for name, s in shares.items():
            if (
                name not in ("White", "Not recorded")
                and pd.notna(s)
                and white is not None
                and pd.notna(white)
            ):
                other = other or name
                total += 1
                lower += bool(s < white)
    if not total:
        return "Share of cases judged sufficient, by group"
    return f"{other} share below the White share in {_num(lower)} of {_num(total)} measures"


@_styled
def forest_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Relative rate index (ratio of shares judged sufficient), log scale",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Ratios with intervals on a log scale, with the line at 1 (rows: label, estimate, lower,
    upper). A ratio or limit of 0 (or infinity) has no place on a log scale: the interval runs to
    the axis edge and ends in an arrow, and an estimate of 0 is marked "0" at the edge."""
    fw = framework or default_framework()
    simulated = _simulated(table, simulated)
    fig = _new_figure()
    ax = fig.add_subplot()
    rows = [_Row(None, _plain(lab, fw), i) for i, lab in enumerate(table["label"])]
    centres, total = _row_axis(fig, ax, rows, 2.4, min_height=0.3)
    finite = [
        float(v)
        for v in table[["estimate", "lower", "upper"]].to_numpy().ravel()
        if pd.notna(v) and 0 < v < math.inf
    ]
    lo_edge = max(1 / 64, min([0.25] + [2.0 ** math.floor(math.log2(v) - 0.25) for v in finite]))
    hi_edge = min(64.0, max([4.0] + [2.0 ** math.ceil(math.log2(v) + 0.25) for v in finite]))
    ax.set_xscale("log")
    ax.set_xlim(lo_edge, hi_edge)
    ax.axvline(1, color=TEXT, lw=1, zorder=1)
    alt = []
    for y, row, r in zip(centres, rows, table.itertuples(), strict=True):
        est, lower, upper = (
            float(v) if pd.notna(v) else math.nan for v in (r.estimate, r.lower, r.upper)
        )
        if math.isnan(est) or math.isnan(lower) or math.isnan(upper):
            ax.text(
                1,
                y,
                "not shown: suppressed or not estimable",
                ha="center",
                va="center",
                fontsize=SMALL_SIZE,
                color=SECONDARY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                zorder=2,
            )
            alt.append(f"{row.label}: not shown")
            continue
        pooled = "pooled" in row.label.lower()
        colour = TEXT if pooled else FOCUS
        a, b = min(max(lower, lo_edge), hi_edge), max(min(upper, hi_edge), lo_edge)
        ax.plot([a, b], [y, y], color=colour, lw=1.6, zorder=3, solid_capstyle="butt")
        for end, off_scale, direction in ((a, lower < lo_edge, -1), (b, upper > hi_edge, 1)):
            if off_scale:  # the interval runs off the scale (to 0 or infinity): an arrow, not a cap
                ax.annotate(
                    "",
                    (end, y),
                    xytext=(end * 1.25**-direction, y),
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": colour,
                        "lw": 1.4,
                        "mutation_scale": 11,
                        "shrinkA": 0,
                        "shrinkB": 0,
                    },
                    zorder=3,
                )
            else:
                ax.plot([end, end], [y - 0.06, y + 0.06], color=colour, lw=1.4, zorder=3)
        if est <= 0 or est >= math.inf:  # marked by the arrow at the edge, and said there
            edge = lo_edge if est <= 0 else hi_edge
            if not (lower < lo_edge if est <= 0 else upper > hi_edge):
                ax.annotate(
                    "",
                    (edge, y),
                    xytext=(edge * (1.25 if est <= 0 else 0.8), y),
                    arrowprops={
                        "arrowstyle": "-|>",
                        "color": colour,
                        "lw": 1.4,
                        "mutation_scale": 11,
                        "shrinkA": 0,
                        "shrinkB": 0,
                    },
                    zorder=3,
                )
            ax.annotate(
                "ratio 0" if est <= 0 else "infinite",
                (edge, y),
                xytext=(2 if est <= 0 else -2, 4),
                textcoords="offset points",
                ha="left" if est <= 0 else "right",
                va="bottom",
                fontsize=SMALL_SIZE,
                fontweight="bold",
                color=TEXT,
            )
        else:
            ax.plot(
                min(max(est, lo_edge), hi_edge),
                y,
                marker="D" if pooled else "s",
                color=colour,
                ms=7 if pooled else 6,
                zorder=4,
            )
        alt.append(f"{row.label}: {est:.2f} ({lower:.2f}-{upper:.2f})")
    ax.xaxis.set_major_locator(mticker.FixedLocator(_log_ticks(lo_edge, hi_edge, WIDTH - 2.9)))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(False)
    xlabel = f"{xlabel}\nBelow 1: the minority group is less often judged sufficient"
    title = _plain(_forest_finding(table) if title is None else title, fw)
    _frame(
        fig,
        title=title,
        content_height=total + _xaxis_height(),
        simulated=simulated,
        xlabel=xlabel,
        xlabel_centre=(2.6 + WIDTH) / 2 / WIDTH,
    )
    return _finish(fig, title, f"{title}. " + "; ".join(alt), simulated=simulated)


def _log_ticks(low: float, high: float, width: float) -> list[float]:
    """Readable ticks for a log axis from ``low`` to ``high`` drawn ``width`` inches wide: 1 first,
    then the values either side, as long as each label has room (about 0.5 in)."""
    span = math.log(high / low)
    gap = span * 0.5 / width
    chosen: list[float] = []
    for t in (1, 0.5, 2, 0.25, 4, 0.1, 10, 0.125, 8, 1 / 16, 16, 0.05, 20, 1 / 32, 32, 1 / 64, 64):
        if low <= t <= high and all(abs(math.log(t / c)) >= gap for c in chosen):
            chosen.append(t)
    return sorted(chosen)


def _forest_finding(table: pd.DataFrame) -> str:
    pooled = [
        r for r in table.itertuples() if "pooled" in str(r.label).lower() and pd.notna(r.estimate)
    ]
    if not pooled:
        return "Ratio of shares judged sufficient, minority group against reference"
    r = pooled[0]
    if r.upper < 1:
        return f"Pooled: the minority group is less often judged sufficient ({r.estimate:.2f})"
    if r.lower > 1:
        return f"Pooled: the minority group is more often judged sufficient ({r.estimate:.2f})"
    return f"Pooled: no clear difference between the groups (ratio {r.estimate:.2f})"

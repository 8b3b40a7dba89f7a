"""The charts' frame: the house style, figure set-up, words shared by every chart, text measuring and
wrapping, and the frame (title, subtitle, axis label and key outside the layout area)."""

from __future__ import annotations

import contextlib
import functools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker as mticker
import pandas as pd
from afcharts.af_colours import get_af_colours
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import blended_transform_factory

from hmip.analyses.words import count_words, percent
from hmip.present.badges import RATING_STYLES, BadgeStyle
from hmip.rules.framework import Framework, framework_or_default
from hmip.rules.ratings import Rating

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


@contextlib.contextmanager
def chart_style():
    """A context applying the chart style (afcharts, then this project's sizes): what
    ``matplotlib.style.context(STYLE)`` does, with each style's parameters read once a process
    (:func:`_style_parameters`), not read from afcharts' file and parsed again every time (its colour
    cycle is Python source Matplotlib parses with ``ast``: 30 ms, twice a chart; issue 25)."""
    styles = _style_parameters()
    if styles is None:  # a Matplotlib whose style module reads styles otherwise: its own code
        with plt.style.context(STYLE):
            yield
        return
    with matplotlib.rc_context():
        for params in styles:
            matplotlib.rcParams.update(params)
        yield


@functools.cache
def _style_parameters() -> tuple[dict, ...] | None:
    """Each style of :data:`STYLE` as ``matplotlib.style.use`` applies it, in order: a package style
    (``"afcharts.afcharts"``) read with ``rc_params_from_file`` as ``use`` reads it, less the
    parameters a style may not set (``use`` leaves those out too, with a warning); a dict as given."""
    import importlib.resources

    from matplotlib import rc_params_from_file
    from matplotlib import style as mstyle

    if not hasattr(mstyle, "_STYLE_EXTENSION") or not hasattr(mstyle, "_STYLE_BLACKLIST"):
        return None
    out = []
    for style in STYLE:
        if isinstance(style, str):
            if style in mstyle.library or "." not in style:
                return None
            pkg, _, name = style.rpartition(".")
            path = importlib.resources.files(pkg) / f"{name}.{mstyle._STYLE_EXTENSION}"
            params = rc_params_from_file(path, use_default_template=False)
            out.append({k: params[k] for k in params if k not in mstyle._STYLE_BLACKLIST})
        else:
            out.append(dict(style))
    return tuple(out)


def _styled(draw: Callable[..., Figure]) -> Callable[..., Figure]:
    @functools.wraps(draw)
    def wrapper(*args, **kwargs) -> Figure:
        with chart_style():
            return draw(*args, **kwargs)

    return wrapper


# --- reading inputs: the one place that knows where result metadata lives ---------------------------
def _meta(result, key: str, default=None):
    """A field of the provenance a loaded table carries (:class:`hmip.data.provenance.Provenance`)."""
    from hmip.data.provenance import provenance

    return getattr(provenance(result), key, default)


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
def _num(n: int) -> str:
    return count_words(n)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _pct(p: float) -> str:
    """A chance as a whole percent, with '<1%' and '>99%' rather than a misleading 0% or 100% (the one
    vocabulary, :func:`hmip.analyses.words.percent`; sums of chances may exceed 1 by a rounding error)."""
    return percent(min(max(float(p), 0.0), 1.0), compact=True)


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


def _open(
    data: object = None, simulated: bool | None = None, framework: Framework | None = None
) -> tuple[Framework, bool, Figure]:
    """What every chart opens with: the framework (the default one unless given), whether its values
    are simulated (as given, else as its data say), and a new figure."""
    return framework_or_default(framework), _simulated(data, simulated), _new_figure()


#: text widths measured in this process: (text, font properties, font file, dpi, hinting) -> pixels
_WIDTHS: dict[tuple, float] = {}


def _text_width(fig: Figure, text: str, size: float, weight: str = "normal") -> float:
    """Width in inches of one line of text as drawn. A width depends only on the text, the font
    (its properties and the file they resolve to), the dpi and the hinting, so each is measured once
    per process (the rating key's words are measured for every chart; a build's warm process
    measures the common ones before it forks)."""
    from matplotlib import font_manager, rcParams

    prop = FontProperties(size=size, weight=weight)
    key = (
        text,
        tuple(prop.get_family()),
        prop.get_slant(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_size_in_points(),
        font_manager.findfont(prop),
        fig.dpi,
        rcParams["text.hinting"],
        rcParams["text.hinting_factor"],
        rcParams["text.kerning_factor"],
    )
    w = _WIDTHS.get(key)
    if w is None:
        if len(_WIDTHS) >= 20000:
            _WIDTHS.clear()
        renderer = fig.canvas.get_renderer()
        w = _WIDTHS[key] = renderer.get_text_width_height_descent(text, prop, ismath=False)[0]
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


def _interval_dots(
    ax, at, table: pd.DataFrame, *, share: str = "share", vertical: bool = False, **style
) -> None:
    """Each row's share (column ``share``) as a dot with its interval (columns lower, upper), placed
    at ``at`` on the other axis: shares along x, or along y where ``vertical``. ``style``: errorbar's
    (after fmt "o", zorder 3)."""
    s = table[share].to_numpy(float)
    err = [s - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - s]
    style = {"fmt": "o", "zorder": 3, **style}
    if vertical:
        ax.errorbar(at, s, yerr=err, **style)
    else:
        ax.errorbar(s, at, xerr=err, **style)


def _band_edges(fw: Framework) -> list[tuple[Rating, float, float]]:
    edges = [0.0] + [float(t) for _, t in fw.thresholds] + [1.0]
    ratings = [Rating.INADEQUATE] + [Rating.parse(label) for label, _ in fw.thresholds]
    return list(zip(ratings, edges[:-1], edges[1:], strict=True))


def _span(ax, lo: float, hi: float, *, along: str, **style):
    """``ax.axvspan(lo, hi, **style)`` (``along="x"``) or ``ax.axhspan`` (``"y"``): the same rectangle
    in the same blended transform, added without the data-limit update ``add_patch`` makes for it,
    which costs more than the rest of the span (3 ms each: 60 of them were a fifth of the audit
    chart's time; issue 25). The image is the same, as the data limits decide nothing once the axis's
    limits are set. So only for axes whose limits the chart sets itself, after shading."""
    import matplotlib as mpl
    from matplotlib.patches import Rectangle

    if along == "x":
        p = Rectangle((lo, 0), hi - lo, 1, **style)
        p.set_transform(ax.get_xaxis_transform(which="grid"))
    else:
        p = Rectangle((0, lo), 1, hi - lo, **style)
        p.set_transform(ax.get_yaxis_transform(which="grid"))
    ax.add_artist(p)
    p.get_path()._interpolation_steps = mpl.axis.GRIDLINE_INTERPOLATION_STEPS  # as axvspan does
    return p


def _rule(ax, at: float, *, along: str, **style):
    """``ax.axvline(at, **style)`` (``along="x"``) or ``ax.axhline``: the same line, added without the
    data-limit update (see :func:`_span`: the same conditions)."""
    import matplotlib as mpl
    from matplotlib.lines import Line2D

    if along == "x":
        line = Line2D([at, at], [0, 1], transform=ax.get_xaxis_transform(which="grid"), **style)
    else:
        line = Line2D([0, 1], [at, at], transform=ax.get_yaxis_transform(which="grid"), **style)
    ax.add_artist(line)
    line.get_path()._interpolation_steps = mpl.axis.GRIDLINE_INTERPOLATION_STEPS
    return line


def _shade_bands(ax, fw: Framework, letters_y: float | None = None, stagger: float = 0.0) -> None:
    """Rating bands as background tints, edged in the rating's border colour, each with its letter
    at ``letters_y`` (data units) when given; ``stagger`` moves every other letter up and down by
    that much, for narrow panels. The chart sets the x limits afterwards (:func:`_span`)."""
    for k, (r, a, b) in enumerate(_band_edges(fw)):
        style = RATING_STYLES[r.label]
        _span(ax, a, b, along="x", color=style.fill, alpha=_BAND_ALPHA, lw=0, zorder=0)
        if a > 0:
            _rule(ax, a, along="x", color=style.border, lw=0.8, zorder=0.5)
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

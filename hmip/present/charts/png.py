"""The embedded image: a chart as a small PNG reduced to the chart colours it uses."""

from __future__ import annotations

import contextlib
import io

import numpy as np

from hmip.present.charts.frame import (
    CHART_COLOURS,
    CONTEXT,
    FOCUS,
    TEXT_SIZE,
    _frame,
    _new_figure,
    _rating_key,
    _text_width,
    chart_style,
)
from hmip.present.charts.glyphs import cached_glyphs

# --- the embedded image ------------------------------------------------------------------------------
#: Resolution of embedded charts: 110 dpi at the charts' print size (6.7 in = 17 cm: A4's text width).
FIGURE_DPI = 110
#: Colours kept in an embedded chart: every chart colour it uses, then its most frequent others.
FIGURE_COLOURS = 48
#: zlib level of an embedded chart: measured on the sample-size report's three charts, level 9
#: (optimize) wrote 52.7 KB in 68 ms, level 8 53.3 KB in 27 ms, level 6 57.3 KB in 12 ms
PNG_COMPRESS_LEVEL = 8


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
    return _encoded(_rendered(fig, dpi), colours)


def _encoded(image, colours: int = FIGURE_COLOURS) -> bytes:
    """An RGB image as :func:`figure_png` embeds it (reduced to a palette where faithful)."""
    from PIL import Image

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
    # the distinct colours are known from getcolors: each one's nearest kept colour
    unique = np.array([(r << 16) | (g << 8) | b for _, (r, g, b) in counts], dtype=np.int32)
    rgb = np.stack([(unique >> 16) & 255, (unique >> 8) & 255, unique & 255], axis=1)
    kept = np.array(keep, dtype=np.int32)
    nearest = ((rgb[:, None, :] - kept[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    # then each pixel looked up in a table over every 24-bit colour (zero-filled on demand: only the
    # pages of the colours present are touched): 3.7 ms a chart, where a sorted search took 11 ms
    table = np.zeros(1 << 24, dtype=np.uint8)
    table[unique] = nearest
    indexed = Image.fromarray(table[codes], mode="P")
    indexed.putpalette([v for colour in keep for v in colour])
    # zlib level 8, not Pillow's optimize (level 9): 1% larger, 2.5x faster to write (issue 25)
    indexed.save(out, format="png", compress_level=PNG_COMPRESS_LEVEL)
    return out.getvalue()


def _rendered(fig, dpi: int):
    """The figure drawn as for a PNG (the chart style, ``dpi``), as an RGB image: the raw pixels, not
    a PNG encoded only to be decoded again."""
    from PIL import Image

    buf = io.BytesIO()
    with chart_style(), cached_glyphs():  # glyph bitmaps kept between charts: the same pixels
        with _laid_out(fig, dpi):  # laid out just now: savefig draws it once
            fig.savefig(buf, format="raw", dpi=dpi)
    raw = buf.getvalue()
    # Agg's canvas is the size in inches times the dpi, truncated (a float's error either way)
    width, height = (float(x) * dpi for x in fig.get_size_inches())
    for w in dict.fromkeys((int(width), int(round(width)), int(width) + 1, int(width) - 1)):
        if w > 0 and len(raw) % (4 * w) == 0 and abs(len(raw) // (4 * w) - height) < 1.5:
            return Image.frombuffer("RGBA", (w, len(raw) // (4 * w)), raw).convert("RGB")
    buf = io.BytesIO()  # a size we could not infer: the PNG route (drawn twice: slower)
    with chart_style(), cached_glyphs():
        fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


@contextlib.contextmanager
def _laid_out(fig, dpi: int):
    """The figure laid out by its layout engine (constrained layout) at ``dpi``, as ``savefig`` lays
    it out, with the engine set aside while the context lasts. ``savefig`` would lay it out with a
    whole draw whose output is thrown away (every text measured and every artist drawn twice); the
    layout alone gives the same positions, so the image is drawn once (the same bytes:
    tests/test_cache.py)."""
    from matplotlib import cbook

    engine = fig.get_layout_engine()
    if engine is None or not fig.axes or not hasattr(fig, "_layout_engine"):
        yield
        return
    with cbook._setattr_cm(fig, dpi=dpi), cbook._setattr_cm(fig.canvas, _is_saving=True):
        engine.execute(fig)
    with cbook._setattr_cm(fig, _layout_engine=None):
        yield


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
        _frame(fig, title="Warm-up", content_height=1.0, key=_rating_key())  # the key's widths
    figure_png(fig)


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]

"""Text drawn from kept glyphs and layouts, so that a chart's text is not laid out and rasterised
again glyph by glyph (issue 25).

Matplotlib 3.11's Agg renderer lays out every text with FreeType each time it is measured or drawn,
and draws it one glyph at a time: for each glyph it sets the font's size and transform, has FreeType
hint and rasterise it, then composites the bitmap. About a third of a sample-size report's chart
time went there (py-spy), mostly on the same text: tick labels, standard names and rating words are
the same on every chart of every PDU.

What is kept, each exactly what Matplotlib would compute again:
- a text's measure (width, height, descent) and its layout (glyphs and their offsets): they depend
  only on the text, the font (the FreeType font object Matplotlib resolves the properties to, which
  carries the hinting factor), its size, the dpi, the load flags (hinting) and, for the layout, the
  text's font features and language;
- a glyph's bitmap: it depends only on the font, its size, the dpi, the glyph, the transform, the load
  flags, the render mode and where it falls within its pixel (the sub-pixel part of its offset, in
  FreeType's 1/64 units); a whole-pixel offset moves the same bitmap. Each bitmap is kept with its
  position relative to that whole-pixel offset, and later draws composite it at the new place.

The image is the same, byte for byte (tests/test_chart_layout.py draws every report chart with and
without them, from an empty and from a full cache). They replace three ``RendererAgg`` methods only
while :func:`cached_glyphs` lasts (the embedded charts are drawn and laid out inside it:
:func:`hmip.present.charts.png.figure_png`), and only on the Matplotlib version they were checked
against (:data:`CHECKED_MATPLOTLIB`); any other version draws as Matplotlib does. A build's warm
process fills the caches before it forks (its warm-up charts), so every report process starts with
the common text.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

#: the Matplotlib release whose ``RendererAgg._draw_text_glyphs_and_boxes`` this reproduces
CHECKED_MATPLOTLIB = "3.11.2"
#: bitmaps kept in this process (a glyph is some hundreds of bytes; the cache is emptied when full)
MAX_GLYPHS = 50000

_GLYPHS: dict[tuple, tuple[np.ndarray, int, int]] = {}
_MATRICES: dict[tuple, np.ndarray] = {}
#: text layouts: (font, size, dpi, text, load flags, features, language) -> ((font, glyph, x, y), ...)
_LAYOUTS: dict[tuple, tuple] = {}
#: text measures: (font, size, dpi, text, load flags) -> (width, height, descent) in pixels
_MEASURES: dict[tuple, tuple[float, float, float]] = {}
#: a Text artist's layout (``Text._get_layout``): its bounding box, lines and box corner, relative to
#: its position, keyed on everything it is computed from (see :func:`_text_layout`)
_TEXT_LAYOUTS: dict[tuple, tuple] = {}
#: layouts and measures kept at most (emptied when full)
MAX_TEXTS = 20000


def _font(prop):
    """The FreeType font Matplotlib's Agg renderer resolves ``prop`` to (``_prepare_font``'s, without
    its clear and set_size, which only matter when the font is used)."""
    from matplotlib.backends.backend_agg import get_font
    from matplotlib.font_manager import fontManager

    return get_font(fontManager._find_fonts_by_props(prop))


def _draw_text(self, gc, x, y, s, prop, angle, ismath=False, mtext=None):
    """Matplotlib 3.11.2's ``RendererAgg.draw_text`` with the text's layout kept."""
    from matplotlib.backends.backend_agg import get_hinting_flag

    if ismath:
        return self.draw_mathtext(gc, x, y, s, prop, angle)
    features = mtext.get_fontfeatures() if mtext is not None else None
    language = mtext.get_language() if mtext is not None else None
    size = prop.get_size_in_points()
    flags = get_hinting_flag()
    font = _font(prop)
    key = (font, size, self.dpi, s, flags, repr(features), repr(language))
    items = _LAYOUTS.get(key)
    if items is None:
        font = self._prepare_font(prop)
        items = tuple(
            (item.ft_object, item.glyph_index, item.x, item.y)
            for item in font._layout(s, flags=flags, features=features, language=language)
        )
        if len(_LAYOUTS) >= MAX_TEXTS:
            _LAYOUTS.clear()
        _LAYOUTS[key] = items
    self._draw_text_glyphs_and_boxes(
        gc, x, y, angle, ((f, size, g, 0, 1, dx, dy) for f, g, dx, dy in items), []
    )


def _get_text_width_height_descent(self, s, prop, ismath):
    """Matplotlib 3.11.2's ``RendererAgg.get_text_width_height_descent`` with plain text's measure
    kept (mathtext and TeX are measured by Matplotlib's own code)."""
    from matplotlib.backends.backend_agg import get_hinting_flag

    if ismath is not False:
        return _ORIGINAL[2](self, s, prop, ismath)
    flags = get_hinting_flag()
    key = (_font(prop), prop.get_size_in_points(), self.dpi, s, flags)
    measure = _MEASURES.get(key)
    if measure is None:
        measure = _ORIGINAL[2](self, s, prop, ismath)
        if len(_MEASURES) >= MAX_TEXTS:
            _MEASURES.clear()
        _MEASURES[key] = measure
    return measure


def _text_layout(self, renderer):
    """Matplotlib 3.11.2's ``Text._get_layout`` with the result kept. A text's layout (its rotated
    bounding box, its lines with their measures and offsets, and its box's corner, all relative to its
    position) depends only on the text, the font it resolves to and its size, the dpi, the line
    spacing, the alignments, the rotation and its mode, and the hinting and kerning settings (for its
    measures and the font's ascent, descent and line gap); a chart asks for it three times a text (two
    passes of constrained layout and the draw), and tick labels and rating words recur on every chart.
    Wrapped text, TeX and text with a ``$`` (mathtext) are laid out by Matplotlib's own code."""
    from matplotlib import rcParams
    from matplotlib.backends.backend_agg import RendererAgg, get_hinting_flag
    from matplotlib.transforms import Bbox

    text = self.get_text()
    if not isinstance(renderer, RendererAgg) or self.get_usetex() or self.get_wrap() or "$" in text:
        return _ORIGINAL_TEXT[0](self, renderer)
    prop = self._fontproperties
    key = (
        text,
        _font(prop),
        prop.get_size_in_points(),
        self.get_figure(root=True).dpi,
        self._linespacing,
        self._get_multialignment(),
        self.get_rotation(),
        self.get_rotation_mode(),
        self._horizontalalignment,
        self._verticalalignment,
        get_hinting_flag(),
        rcParams["text.kerning_factor"],
    )
    kept = _TEXT_LAYOUTS.get(key)
    if kept is None:
        bbox, lines, corner = _ORIGINAL_TEXT[0](self, renderer)
        if len(_TEXT_LAYOUTS) >= MAX_TEXTS:
            _TEXT_LAYOUTS.clear()
        _TEXT_LAYOUTS[key] = (bbox.get_points().copy(), tuple(lines), corner)
        return bbox, lines, corner
    points, lines, corner = kept
    return Bbox(points.copy()), list(lines), corner


def _matrix(cos: float, sin: float, extend: float, slant: float) -> np.ndarray:
    """FreeType's 16.16 transform, computed as Matplotlib computes it."""
    key = (cos, sin, extend, slant)
    m = _MATRICES.get(key)
    if m is None:
        m = _MATRICES[key] = (
            (0x10000 * np.array([[cos, -sin], [sin, cos]]) @ [[extend, extend * slant], [0, 1]])
            .round()
            .astype(int)
        )
    return m


def _draw_text_glyphs_and_boxes(self, gc, x, y, angle, glyphs, boxes):
    """Matplotlib 3.11.2's ``RendererAgg._draw_text_glyphs_and_boxes`` with each glyph's bitmap kept
    (see the module docstring); boxes (mathtext rules) are drawn by Matplotlib's own code."""
    from matplotlib.backends.backend_agg import RenderMode, get_hinting_flag

    cos = math.cos(math.radians(angle))
    sin = math.sin(math.radians(angle))
    load_flags = get_hinting_flag()
    antialiased = bool(gc.get_antialiased())
    mode = RenderMode.NORMAL if antialiased else RenderMode.MONO
    height = self.height
    for font, size, glyph_index, slant, extend, dx, dy in glyphs:  # dy is upwards
        # FreeType's offsets in 1/64 pixel, as Matplotlib rounds them (its y is upwards)
        ox = round(0x40 * (x + dx * cos - dy * sin))
        oy = round(0x40 * (height - y + dx * sin + dy * cos))
        key = (font, size, self.dpi, glyph_index, cos, sin, extend, slant, ox & 63, oy & 63)
        key += (load_flags, antialiased)
        kept = _GLYPHS.get(key)
        if kept is None:
            font.set_size(size, self.dpi)
            font._set_transform(_matrix(cos, sin, extend, slant), [ox, oy])
            bitmap = font._render_glyph(glyph_index, load_flags, mode)
            buffer = np.array(bitmap.buffer, copy=True)  # FreeType reuses its glyph slot
            if not antialiased:
                buffer *= 0xFF
            kept = (buffer, bitmap.left - (ox >> 6), bitmap.top - (oy >> 6))
            if len(_GLYPHS) >= MAX_GLYPHS:
                _GLYPHS.clear()
            _GLYPHS[key] = kept
        buffer, left, top = kept
        # draw_text_image's y is downwards and the bitmap's bottom side
        self._renderer.draw_text_image(
            buffer, left + (ox >> 6), int(height) - (top + (oy >> 6)) + buffer.shape[0], 0, gc
        )
    _ORIGINAL[0](self, gc, x, y, angle, (), boxes)


_ORIGINAL: list = []
_ORIGINAL_TEXT: list = []


def applies() -> bool:
    """True where the kept text is used: the Matplotlib version it was checked against."""
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.text import Text

    return (
        matplotlib.__version__ == CHECKED_MATPLOTLIB
        and all(name in RendererAgg.__dict__ for name in _REPLACED)
        and "_get_layout" in Text.__dict__
    )


#: the methods replaced while :func:`cached_glyphs` lasts, in the order of ``_ORIGINAL``
_REPLACED = {
    "_draw_text_glyphs_and_boxes": _draw_text_glyphs_and_boxes,
    "draw_text": _draw_text,
    "get_text_width_height_descent": _get_text_width_height_descent,
}


@contextlib.contextmanager
def cached_glyphs(enabled: bool = True):
    """Measure, lay out and draw text from what is kept while the context lasts (nothing changes
    where :func:`applies` is False or ``enabled`` is False). Not for threads drawing at the same
    time."""
    if not enabled or not applies():
        yield
        return
    from matplotlib.backends.backend_agg import RendererAgg

    originals = [RendererAgg.__dict__[name] for name in _REPLACED]
    if originals[0] is _draw_text_glyphs_and_boxes:  # nested: already in place
        yield
        return
    from matplotlib.text import Text

    _ORIGINAL[:] = originals
    _ORIGINAL_TEXT[:] = [Text.__dict__["_get_layout"]]
    for name, method in _REPLACED.items():
        setattr(RendererAgg, name, method)
    Text._get_layout = _text_layout
    try:
        yield
    finally:
        for name, original in zip(_REPLACED, originals, strict=True):
            setattr(RendererAgg, name, original)
        Text._get_layout = _ORIGINAL_TEXT[0]


def clear() -> None:
    """Forget the kept glyphs, layouts and measures (tests)."""
    for kept in (_GLYPHS, _MATRICES, _LAYOUTS, _MEASURES, _TEXT_LAYOUTS):
        kept.clear()

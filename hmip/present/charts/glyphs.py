"""Drawn glyphs kept, so that a chart's text is not rasterised again glyph by glyph (issue 25).

Matplotlib 3.11's Agg renderer draws text one glyph at a time: for each glyph it sets the font's size
and transform, has FreeType hint and rasterise it, then composites the bitmap. About a sixth of a
sample-size report's time went there (py-spy), mostly on the same glyphs: tick labels, standard
names and rating words are the same on every chart of every PDU.

A glyph's bitmap depends only on the font, its size, the dpi, the glyph, the transform, the load flags
(hinting), the render mode and where it falls within its pixel (the sub-pixel part of its offset, in
FreeType's 1/64 units); a whole-pixel offset moves the same bitmap. So :func:`cached_glyphs` keeps each
bitmap the first time it is drawn, with its position relative to that whole-pixel offset, and later
draws composite the kept bitmap at the new place. The image is the same, byte for byte
(tests/test_chart_glyphs.py draws every report chart with and without it).

It replaces ``RendererAgg._draw_text_glyphs_and_boxes`` only while :func:`cached_glyphs` lasts (the
embedded charts are drawn inside it: :func:`hmip.present.charts.png.figure_png`), and only on the
Matplotlib version it was checked against (:data:`CHECKED_MATPLOTLIB`); any other version draws as
Matplotlib does. A build's warm process fills the cache before it forks (its warm-up charts), so every
report process starts with the common glyphs.
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


def applies() -> bool:
    """True where the kept glyphs are used: the Matplotlib version they were checked against."""
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg

    return matplotlib.__version__ == CHECKED_MATPLOTLIB and hasattr(
        RendererAgg, "_draw_text_glyphs_and_boxes"
    )


@contextlib.contextmanager
def cached_glyphs(enabled: bool = True):
    """Draw text with kept glyph bitmaps while the context lasts (nothing changes where
    :func:`applies` is False or ``enabled`` is False). Not for threads drawing at the same time."""
    if not enabled or not applies():
        yield
        return
    from matplotlib.backends.backend_agg import RendererAgg

    original = RendererAgg.__dict__["_draw_text_glyphs_and_boxes"]
    if original is _draw_text_glyphs_and_boxes:  # nested: already in place
        yield
        return
    _ORIGINAL[:] = [original]
    RendererAgg._draw_text_glyphs_and_boxes = _draw_text_glyphs_and_boxes
    try:
        yield
    finally:
        RendererAgg._draw_text_glyphs_and_boxes = original


def clear() -> None:
    """Forget the kept glyphs (tests)."""
    _GLYPHS.clear()
    _MATRICES.clear()

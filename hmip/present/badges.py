"""One visual language for HMIP ratings: RAG badges that always carry a letter.

A rating is shown as a badge: a coloured fill with the rating's letter in bold and, where there is
room, the word (``[RI] Requires improvement``), so colour is never the only cue. The colours are a
real RAG: Inadequate red, Requires improvement amber, Good green, and Outstanding a deep violet
that sits well apart from the three. The design follows GOV.UK Design System tags (word on a
coloured fill) and CQC rating badges.

Why solid fills, not pale tag tints: pale tints are all very light, so under simulated colour
blindness they become near-identical (GOV.UK-style pale red/yellow/green/blue tag fills such as
#F4CDC6, #FFF7BF, #CCE2D8, #BBD4EA have a closest pair only 3.8 CIEDE2000 apart under
protanopia, 5.2 under tritanopia). These fills are spread in lightness (violet darkest, red dark,
green mid, amber light), so every pair stays at least 21 CIEDE2000 apart in normal vision and
under simulated deuteranopia, protanopia and tritanopia (Machado et al. 2009 at full severity);
the closest pairs are red/green under deuteranopia and amber/green under protanopia (21.2). ``tests/test_badges.py`` measures this and the contrast of every text/fill pair
(WCAG 2.2 AA: at least 4.5:1).

Every badge has a border darker than its fill, with at least 3:1 contrast against a white page
(WCAG 1.4.11), which matters for the amber fill; "Not rated" has a dashed border. No hatching is
drawn under letters.

Standalone: stdlib only at import time. ``colorspacious`` is imported only inside
:func:`cvd_lab` / :func:`cvd_min_distance` (used by the tests and for checking new colours).
"""

from __future__ import annotations

import html
import itertools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "BADGE_CSS",
    "CVD_TYPES",
    "MIN_CVD_DELTA_E",
    "NOT_AVAILABLE",
    "RATING_LABELS",
    "RATING_STYLES",
    "BadgeStyle",
    "badge_html",
    "ciede2000",
    "contrast_ratio",
    "cvd_lab",
    "cvd_min_distance",
    "hex_to_rgb",
    "legend_html",
    "relative_luminance",
    "style_for",
]

_HEX = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class BadgeStyle:
    """How one rating (or a missing rating) is drawn: letter, fill, text and border colours."""

    label: str
    letter: str
    fill: str
    text: str
    border: str

    def __post_init__(self) -> None:
        for name in ("fill", "text", "border"):
            value = getattr(self, name)
            if not _HEX.match(value):
                raise ValueError(
                    f"BadgeStyle {self.label!r}: {name} {value!r} is not a #RRGGBB colour"
                )

    @property
    def css_class(self) -> str:
        """The badge's modifier class, e.g. ``badge-ri`` for Requires improvement."""
        return "badge-" + _CLASS_KEYS[self.label]


_CLASS_KEYS = {
    "Inadequate": "i",
    "Requires improvement": "ri",
    "Good": "g",
    "Outstanding": "o",
    "Not published": "np",
    "Not rated": "nr",
    "Not available": "na",
}

#: Near-black and dark grey text as used by GOV.UK (``govuk-colour("black")`` and secondary text).
_BLACK = "#0B0C0C"
_WHITE = "#FFFFFF"
_DARK_GREY = "#505A5F"

#: Rating label -> badge style. The four ratings first (worst to best), then the two missing states.
RATING_STYLES: dict[str, BadgeStyle] = {
    # red, HSV hue 0; white text 8.6:1
    "Inadequate": BadgeStyle("Inadequate", "I", fill="#9B0D0D", text=_WHITE, border="#5E0808"),
    # amber, HSV hue 45; near-black text 12.5:1; the fill is light (1.6:1 on white), so the
    # dark-amber border gives the shape its 3:1 edge
    "Requires improvement": BadgeStyle(
        "Requires improvement", "RI", fill="#FFC61A", text=_BLACK, border="#7A5A00"
    ),
    # green, HSV hue 135; near-black text 5.7:1 (white would be only 3.4:1)
    "Good": BadgeStyle("Good", "G", fill="#4A9B5E", text=_BLACK, border="#24583A"),
    # deep violet, HSV hue 257; white text 12.1:1
    "Outstanding": BadgeStyle("Outstanding", "O", fill="#3C1C8C", text=_WHITE, border="#1F0D4F"),
    # unknown / not published: neutral mid-grey (GOV.UK mid-grey) and a question mark
    "Not published": BadgeStyle(
        "Not published", "?", fill="#B1B4B6", text=_BLACK, border=_DARK_GREY
    ),
    # not rated: no fill, dark-grey text and a dashed border (see BADGE_CSS)
    "Not rated": BadgeStyle("Not rated", "\u2013", fill=_WHITE, text=_DARK_GREY, border=_DARK_GREY),
}

#: A rating that could not be worked out from the data given (a PDU with no cases in the file, or
#: no domain-one ratings to recompute an overall rating from): not one of HMIP's states, so kept
#: out of :data:`RATING_STYLES`. Neutral grey, never a RAG colour, and always with its word.
NOT_AVAILABLE = BadgeStyle("Not available", "?", fill="#B1B4B6", text=_BLACK, border=_DARK_GREY)

#: The four ratings, worst to best.
RATING_LABELS: tuple[str, ...] = ("Inadequate", "Requires improvement", "Good", "Outstanding")

#: The colour-vision-deficiency simulations checked (colorspacious ``cvd_type`` names).
CVD_TYPES: tuple[str, ...] = ("deuteranomaly", "protanomaly", "tritanomaly")

#: The smallest CIEDE2000 distance promised between any two rating fills, in normal vision and
#: under each simulation in :data:`CVD_TYPES` at severity 100 (measured minimum: 21.2).
MIN_CVD_DELTA_E = 20.0

_SIZES = ("normal", "small", "letter")


def _spelling_key(value: str) -> str:
    return " ".join(value.replace("_", " ").replace("-", " ").split()).casefold()


_SPELLINGS: dict[str, BadgeStyle] = {}
for _style in RATING_STYLES.values():
    _SPELLINGS[_spelling_key(_style.label)] = _style
for _label in RATING_LABELS:
    _SPELLINGS[_spelling_key(RATING_STYLES[_label].letter)] = RATING_STYLES[_label]
_SPELLINGS.update(
    {"n/p": RATING_STYLES["Not published"], "unknown": RATING_STYLES["Not published"]}
)
_SPELLINGS.update({"not available": NOT_AVAILABLE, "n/a": NOT_AVAILABLE, "no data": NOT_AVAILABLE})


def style_for(label: str) -> BadgeStyle:
    """The style for a rating label, in any letter case; the rating letters (I, RI, G, O) work too.

    Raises ValueError, naming the accepted labels, for anything else.
    """
    if isinstance(label, str):
        style = _SPELLINGS.get(_spelling_key(label))
        if style is not None:
            return style
    accepted = ", ".join(
        f"{s.label} ({s.letter})" if s.label in RATING_LABELS else s.label
        for s in RATING_STYLES.values()
    )
    raise ValueError(
        f"unknown rating label {label!r}; accepted labels: {accepted} (any letter case)"
    )


# --- colour arithmetic ---------------------------------------------------------------------


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    """``"#9B0D0D"`` -> ``(155, 13, 13)``."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        raise ValueError(f"{colour!r} is not a #RRGGBB colour")
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour (0 for black, 1 for white)."""

    def channel(c8: int) -> float:
        c = c8 / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in hex_to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(hex1: str, hex2: str) -> float:
    """WCAG 2.x contrast ratio (L1 + 0.05) / (L2 + 0.05), from 1 to 21; symmetric in its arguments."""
    l1, l2 = relative_luminance(hex1), relative_luminance(hex2)
    hi, lo = max(l1, l2), min(l1, l2)
    return (hi + 0.05) / (lo + 0.05)


def ciede2000(
    lab1: Sequence[float],
    lab2: Sequence[float],
    *,
    kL: float = 1.0,
    kC: float = 1.0,
    kH: float = 1.0,
) -> float:
    """CIEDE2000 colour difference between two CIELab colours.

    Follows Sharma, Wu and Dalal (2005), "The CIEDE2000 color-difference formula: implementation
    notes, supplementary test data, and mathematical observations", Color Res. Appl. 30(1).
    """
    L1, a1, b1 = (float(v) for v in lab1)
    L2, a2, b2 = (float(v) for v in lab2)

    # (2)-(7): a' with the G correction, C', h'
    C1 = math.hypot(a1, b1)
    C2 = math.hypot(a2, b2)
    C_bar7 = ((C1 + C2) / 2) ** 7
    G = 0.5 * (1 - math.sqrt(C_bar7 / (C_bar7 + 25.0**7)))
    a1p, a2p = (1 + G) * a1, (1 + G) * a2
    C1p, C2p = math.hypot(a1p, b1), math.hypot(a2p, b2)

    def hue(ap: float, b: float) -> float:
        if ap == 0 and b == 0:
            return 0.0
        return math.degrees(math.atan2(b, ap)) % 360.0

    h1p, h2p = hue(a1p, b1), hue(a2p, b2)

    # (8)-(10): differences
    dLp = L2 - L1
    dCp = C2p - C1p
    if C1p * C2p == 0:
        dhp = 0.0
    else:
        dhp = h2p - h1p
        if dhp > 180:
            dhp -= 360
        elif dhp < -180:
            dhp += 360
    dHp = 2 * math.sqrt(C1p * C2p) * math.sin(math.radians(dhp / 2))

    # (12)-(22): weighting functions
    Lbp = (L1 + L2) / 2
    Cbp = (C1p + C2p) / 2
    if C1p * C2p == 0:
        hbp = h1p + h2p
    elif abs(h1p - h2p) <= 180:
        hbp = (h1p + h2p) / 2
    elif h1p + h2p < 360:
        hbp = (h1p + h2p + 360) / 2
    else:
        hbp = (h1p + h2p - 360) / 2

    T = (
        1
        - 0.17 * math.cos(math.radians(hbp - 30))
        + 0.24 * math.cos(math.radians(2 * hbp))
        + 0.32 * math.cos(math.radians(3 * hbp + 6))
        - 0.20 * math.cos(math.radians(4 * hbp - 63))
    )
    d_theta = 30 * math.exp(-(((hbp - 275) / 25) ** 2))
    Cbp7 = Cbp**7
    R_C = 2 * math.sqrt(Cbp7 / (Cbp7 + 25.0**7))
    S_L = 1 + 0.015 * (Lbp - 50) ** 2 / math.sqrt(20 + (Lbp - 50) ** 2)
    S_C = 1 + 0.045 * Cbp
    S_H = 1 + 0.015 * Cbp * T
    R_T = -math.sin(math.radians(2 * d_theta)) * R_C

    tL = dLp / (kL * S_L)
    tC = dCp / (kC * S_C)
    tH = dHp / (kH * S_H)
    return math.sqrt(tL**2 + tC**2 + tH**2 + R_T * tC * tH)


def cvd_lab(colour: str, cvd_type: str | None, severity: float = 100) -> tuple[float, float, float]:
    """CIELab (D65) of ``colour`` as seen with a colour vision deficiency (needs colorspacious).

    ``cvd_type`` is ``"deuteranomaly"``, ``"protanomaly"``, ``"tritanomaly"`` (Machado et al. 2009
    via colorspacious; severity 100 is full dichromacy), or None / ``"normal"`` for normal vision.
    The simulated colour is clipped to the sRGB gamut, as a screen would show it, before it is
    converted to CIELab.
    """
    from colorspacious import cspace_convert  # optional dependency: imported only when needed

    rgb1 = [c / 255 for c in hex_to_rgb(colour)]
    if cvd_type not in (None, "normal"):
        if cvd_type not in CVD_TYPES:
            raise ValueError(
                f"unknown cvd_type {cvd_type!r}; accepted: {', '.join(CVD_TYPES)}, normal"
            )
        space = {"name": "sRGB1+CVD", "cvd_type": cvd_type, "severity": severity}
        # colorspacious: to simulate, convert *from* the CVD space to sRGB1.
        rgb1 = [min(1.0, max(0.0, float(c))) for c in cspace_convert(rgb1, space, "sRGB1")]
    L, a, b = (float(v) for v in cspace_convert(rgb1, "sRGB1", "CIELab"))
    return L, a, b


def cvd_distances(
    colours: Iterable[str], cvd_type: str | None, severity: float = 100
) -> dict[tuple[str, str], float]:
    """CIEDE2000 distance of every pair of ``colours`` under one simulation (see :func:`cvd_lab`)."""
    labs = {c: cvd_lab(c, cvd_type, severity) for c in dict.fromkeys(colours)}
    return {(c1, c2): ciede2000(labs[c1], labs[c2]) for c1, c2 in itertools.combinations(labs, 2)}


def cvd_min_distance(colours: Iterable[str], cvd_type: str | None, severity: float = 100) -> float:
    """The smallest CIEDE2000 distance between any two of ``colours`` under one simulation."""
    distances = cvd_distances(colours, cvd_type, severity)
    if not distances:
        raise ValueError("cvd_min_distance needs at least two different colours")
    return min(distances.values())


# --- HTML and CSS --------------------------------------------------------------------------


def _badge(style: BadgeStyle, size: str, note: str, *, labelled: bool) -> str:
    classes = f"badge {style.css_class} badge-size-{size}"
    full = style.label + (f" ({note})" if note else "")
    attrs = (
        f' role="img" aria-label="{html.escape(full)}" title="{html.escape(full)}"'
        if labelled
        else ""
    )
    parts = [f'<b class="badge-code">{html.escape(style.letter)}</b>']
    if size != "letter":
        parts.append(f'<span class="badge-word">{html.escape(style.label)}</span>')
        if note:
            parts.append(f'<span class="badge-note">{html.escape(note)}</span>')
    return f'<span class="{classes}"{attrs}>{" ".join(parts)}</span>'


def badge_html(label: str, *, size: str = "normal", note: str = "") -> str:
    """An inline HTML badge for a rating: bold letter, then the word (left out for ``size="letter"``).

    ``size`` is ``"normal"``, ``"small"`` (tables) or ``"letter"`` (letter only, e.g. heat-map
    cells). ``note`` (e.g. ``"provisional"``) is shown after the word and added to the badge's
    accessible name. The accessible name (``aria-label``, and ``title`` as a tooltip) is always the
    full word. All text is HTML-escaped. Style it with :data:`BADGE_CSS`.

    Raises ValueError for an unknown label or size.
    """
    style = style_for(label)
    if size not in _SIZES:
        raise ValueError(f"unknown badge size {size!r}; accepted: {', '.join(_SIZES)}")
    return _badge(style, size, str(note), labelled=True)


def legend_html(*, include_missing: bool = False) -> str:
    """A one-line legend: each rating's letter badge followed by its word.

    Its text reads "Letters: I Inadequate, RI Requires improvement, G Good, O Outstanding" (the
    badges here are plain text to assistive technology, so nothing is read twice).
    ``include_missing`` adds "? Not published" and "\u2013 Not rated".
    """
    labels = list(RATING_LABELS) + (["Not published", "Not rated"] if include_missing else [])
    items = ", ".join(
        f"{_badge(RATING_STYLES[label], 'letter', '', labelled=False)} {html.escape(label)}"
        for label in labels
    )
    return f'<p class="badge-legend">Letters: {items}</p>'


def _style_rules() -> str:
    rules = []
    for style in [*RATING_STYLES.values(), NOT_AVAILABLE]:
        rules.append(
            f".badge.{style.css_class} {{ background-color: {style.fill}; color: {style.text}; "
            f"border-color: {style.border}; }}"
        )
    rules.append(".badge.badge-nr { border-style: dashed; }")
    return "\n".join(rules)


#: CSS for :func:`badge_html` and :func:`legend_html`. Print keeps the fills
#: (``print-color-adjust: exact``) and sets every badge at 9pt or more.
BADGE_CSS = f"""\
.badge {{
  display: inline-block;
  box-sizing: border-box;
  padding: 0.1em 0.45em;
  border: 2px solid;
  border-radius: 3px;
  font-size: 0.9375rem;
  font-weight: 400;
  line-height: 1.3;
  white-space: nowrap;
  vertical-align: baseline;
  -webkit-print-color-adjust: exact;
  print-color-adjust: exact;
}}
.badge .badge-code {{ font-weight: 700; letter-spacing: 0.02em; }}
.badge .badge-word {{ margin-left: 0.3em; }}
.badge .badge-note {{ margin-left: 0.3em; font-style: italic; }}
.badge.badge-size-small {{ padding: 0 0.35em; border-width: 1px; font-size: 0.8125rem; }}
.badge.badge-size-letter {{ min-width: 2em; padding: 0 0.3em; text-align: center; }}
{_style_rules()}
.badge-legend {{ margin: 0.5em 0; line-height: 1.8; }}
.badge-legend .badge {{ margin-right: 0.15em; }}
@media print {{
  .badge {{ font-size: 10pt; border-width: 1pt; }}
  .badge.badge-size-small {{ font-size: 9pt; border-width: 0.75pt; }}
  .badge.badge-size-letter {{ font-size: 10pt; }}
  .badge-legend {{ font-size: 10pt; }}
}}
"""

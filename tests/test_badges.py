"""Rating badges: real RAG colours with letters, readable text, and fills that stay apart under CVD."""

import colorsys
import re
from html.parser import HTMLParser

import pytest

from hmip.present.badges import (
    BADGE_CSS,
    CVD_TYPES,
    MIN_CVD_DELTA_E,
    RATING_LABELS,
    RATING_STYLES,
    BadgeStyle,
    badge_html,
    ciede2000,
    contrast_ratio,
    cvd_min_distance,
    legend_html,
    relative_luminance,
    style_for,
)

WHITE = "#FFFFFF"
FOUR = [RATING_STYLES[label].fill for label in RATING_LABELS]

# Sharma, Wu and Dalal (2005), Color Res. Appl. 30(1), Table 1: (L1, a1, b1), (L2, a2, b2), dE00.
# A selection covering the G correction, the hue-angle wrap, the mean-hue cases and near-black.
SHARMA_PAIRS = [
    ((50.0, 2.6772, -79.7751), (50.0, 0.0, -82.7485), 2.0425),
    ((50.0, 3.1571, -77.2803), (50.0, 0.0, -82.7485), 2.8615),
    ((50.0, -1.3802, -84.2814), (50.0, 0.0, -82.7485), 1.0000),
    ((50.0, 0.0, 0.0), (50.0, -1.0, 2.0), 2.3669),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0009), 7.1792),
    ((50.0, 2.49, -0.001), (50.0, -2.49, 0.0011), 7.2195),
    ((50.0, -0.001, 2.49), (50.0, 0.0009, -2.49), 4.8045),
    ((50.0, -0.001, 2.49), (50.0, 0.0011, -2.49), 4.7461),
    ((50.0, 2.5, 0.0), (73.0, 25.0, -18.0), 27.1492),
    ((50.0, 2.5, 0.0), (56.0, -27.0, -3.0), 31.9030),
    ((60.2574, -34.0099, 36.2677), (60.4626, -34.1751, 39.4387), 1.2644),
    ((22.7233, 20.0904, -46.6940), (23.0331, 14.9730, -42.5619), 2.0373),
    ((90.9257, -0.5406, -0.9208), (88.6381, -0.8985, -0.7239), 1.5381),
    ((2.0776, 0.0795, -1.1350), (0.9033, -0.0636, -0.5514), 0.9082),
]


def hsv(colour: str) -> tuple[float, float, float]:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    h, s, v = colorsys.rgb_to_hsv(r, g, b)
    return h * 360, s, v


class _TextAndAttrs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text = []
        self.attrs = []

    def handle_starttag(self, tag, attrs):
        self.attrs.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(fragment: str) -> _TextAndAttrs:
    p = _TextAndAttrs()
    p.feed(fragment)
    p.close()
    return p


# --- the styles ------------------------------------------------------------------------------


def test_styles_cover_the_four_ratings_and_two_missing_states():
    assert list(RATING_STYLES) == [*RATING_LABELS, "Not published", "Not rated"]
    assert [RATING_STYLES[label].letter for label in RATING_LABELS] == ["I", "RI", "G", "O"]
    assert RATING_STYLES["Not published"].letter == "?"
    for label, style in RATING_STYLES.items():
        assert isinstance(style, BadgeStyle) and style.label == label
    assert len({s.css_class for s in RATING_STYLES.values()}) == len(RATING_STYLES)
    with pytest.raises(AttributeError):  # frozen
        RATING_STYLES["Good"].fill = "#000000"  # type: ignore[misc]


def test_badge_style_rejects_a_bad_colour():
    with pytest.raises(ValueError, match="#RRGGBB"):
        BadgeStyle("Good", "G", fill="green", text=WHITE, border="#000000")


# --- contrast (WCAG 2.x) -----------------------------------------------------------------------


def test_contrast_ratio_matches_wcag_reference_values():
    assert contrast_ratio("#000000", "#FFFFFF") == pytest.approx(21.0)
    assert contrast_ratio("#FFFFFF", "#FFFFFF") == pytest.approx(1.0)
    assert relative_luminance("#FFFFFF") == pytest.approx(1.0)
    assert relative_luminance("#000000") == 0.0
    # #767676 is the familiar lightest grey that passes 4.5:1 on white; #777777 just fails.
    assert contrast_ratio("#767676", WHITE) == pytest.approx(4.54, abs=0.01)
    assert contrast_ratio("#777777", WHITE) < 4.5
    assert contrast_ratio("#D4351C", WHITE) == contrast_ratio(WHITE, "#D4351C")


@pytest.mark.parametrize("label", list(RATING_STYLES))
def test_text_on_fill_meets_wcag_aa(label):
    style = RATING_STYLES[label]
    assert contrast_ratio(style.text, style.fill) >= 4.5, (
        label,
        contrast_ratio(style.text, style.fill),
    )


@pytest.mark.parametrize("label", list(RATING_STYLES))
def test_badge_edge_is_visible_on_a_white_page(label):
    # WCAG 1.4.11: the fill itself, or failing that the border, has 3:1 against white.
    style = RATING_STYLES[label]
    assert contrast_ratio(style.border, WHITE) >= 3.0
    if label in RATING_LABELS and label != "Requires improvement":
        assert contrast_ratio(style.fill, WHITE) >= 3.0  # only amber leans on its border


# --- real RAG: the hues ---------------------------------------------------------------------


def test_rag_hues_are_really_red_amber_green():
    h, s, _ = hsv(RATING_STYLES["Inadequate"].fill)
    assert (h <= 15 or h >= 345) and s >= 0.6, ("Inadequate not red", h, s)
    h, s, v = hsv(RATING_STYLES["Requires improvement"].fill)
    assert 30 <= h <= 50 and s >= 0.6 and v >= 0.85, ("Requires improvement not amber", h, s, v)
    h, s, _ = hsv(RATING_STYLES["Good"].fill)
    assert 90 <= h <= 160 and s >= 0.4, ("Good not green", h, s)
    h, s, _ = hsv(RATING_STYLES["Outstanding"].fill)
    assert 200 <= h <= 300 and s >= 0.4, ("Outstanding not blue/purple", h, s)


def test_missing_states_are_neutral_grey():
    for label in ("Not published", "Not rated"):
        for colour in (RATING_STYLES[label].fill, RATING_STYLES[label].text):
            assert hsv(colour)[1] <= 0.2, (label, colour)


# --- CIEDE2000 and colour vision deficiency -----------------------------------------------------


@pytest.mark.parametrize("lab1, lab2, expected", SHARMA_PAIRS)
def test_ciede2000_matches_sharma_2005(lab1, lab2, expected):
    assert ciede2000(lab1, lab2) == pytest.approx(expected, abs=1e-4)
    assert ciede2000(lab2, lab1) == pytest.approx(expected, abs=1e-4)


def test_ciede2000_is_zero_for_identical_colours():
    assert ciede2000((50, 10, -10), (50, 10, -10)) == 0.0
    assert ciede2000((0, 0, 0), (0, 0, 0)) == 0.0


@pytest.mark.parametrize("cvd_type", [None, *CVD_TYPES])
def test_rating_fills_stay_apart_under_cvd(cvd_type):
    pytest.importorskip("colorspacious")
    # Measured when chosen: normal 38.6, deuteranomaly 21.2, protanomaly 21.2, tritanomaly 36.1.
    d = cvd_min_distance(FOUR, cvd_type)
    assert d >= MIN_CVD_DELTA_E, (cvd_type, round(d, 2))
    # The missing states (grey, white) stay apart from the ratings and each other too.
    assert cvd_min_distance([s.fill for s in RATING_STYLES.values()], cvd_type) >= 15, cvd_type


def test_cvd_simulation_collapses_a_classic_confusion():
    pytest.importorskip("colorspacious")
    # Sanity check that the simulation is applied: a bright red/green pair loses most of its
    # distance under deuteranopia and protanopia, and greys are unchanged.
    red, green = "#D03020", "#40A030"
    normal = cvd_min_distance([red, green], None)
    assert cvd_min_distance([red, green], "deuteranomaly") < 0.5 * normal
    assert cvd_min_distance([red, green], "protanomaly") < 0.5 * normal
    for cvd_type in CVD_TYPES:
        assert cvd_min_distance(["#808080", "#FFFFFF"], cvd_type) == pytest.approx(
            cvd_min_distance(["#808080", "#FFFFFF"], None), abs=0.1
        )
    with pytest.raises(ValueError, match="cvd_type"):
        cvd_min_distance(FOUR, "achromatopsia")


# --- HTML ----------------------------------------------------------------------------------


@pytest.mark.parametrize("label", list(RATING_STYLES))
def test_badge_html_has_letter_word_and_accessible_name(label):
    style = RATING_STYLES[label]
    out = badge_html(label)
    assert out.startswith(f'<span class="badge {style.css_class} badge-size-normal"')
    p = parse(out)
    assert "".join(p.text) == f"{style.letter} {label}"
    outer = p.attrs[0][1]
    assert outer["aria-label"] == label and outer["title"] == label and outer["role"] == "img"
    assert ("b", {"class": "badge-code"}) in p.attrs  # letter in bold


def test_badge_html_sizes():
    assert re.search(
        r'class="badge badge-i badge-size-small"', badge_html("Inadequate", size="small")
    )
    letter = badge_html("Requires improvement", size="letter")
    p = parse(letter)
    assert "".join(p.text) == "RI"  # no word ...
    assert p.attrs[0][1]["aria-label"] == "Requires improvement"  # ... but the full name
    with pytest.raises(ValueError, match="size"):
        badge_html("Good", size="huge")


def test_badge_html_accepts_usual_spellings():
    assert badge_html("requires improvement") == badge_html("Requires improvement")
    assert badge_html("RI") == badge_html("Requires improvement")
    assert badge_html("  GOOD ") == badge_html("Good")
    assert style_for("n/p") is RATING_STYLES["Not published"]


def test_badge_html_note_is_shown_and_named():
    p = parse(badge_html("Good", note="provisional"))
    assert "".join(p.text) == "G Good provisional"
    assert p.attrs[0][1]["aria-label"] == "Good (provisional)"


def test_badge_html_escapes_text():
    out = badge_html("Good", note='<script>alert("x")</script>')
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert 'alert("x")' not in out  # quotes escaped inside attributes too
    p = parse(out)
    assert [tag for tag, _ in p.attrs] == ["span", "b", "span", "span"]
    assert p.attrs[0][1]["aria-label"] == 'Good (<script>alert("x")</script>)'


@pytest.mark.parametrize("bad", ["Excellent", "", "<script>", None, 2])
def test_badge_html_refuses_unknown_label(bad):
    with pytest.raises(ValueError) as err:
        badge_html(bad)
    message = str(err.value)
    for label in RATING_STYLES:
        assert label in message


def test_legend_reads_as_one_line_of_letters_and_words():
    out = legend_html()
    p = parse(out)
    assert (
        "".join(p.text) == "Letters: I Inadequate, RI Requires improvement, G Good, O Outstanding"
    )
    assert out.count('class="badge ') == 4
    assert "aria-label" not in out  # letters are read as text, not twice
    assert "\n" not in out
    full = "".join(parse(legend_html(include_missing=True)).text)
    assert full.endswith("O Outstanding, ? Not published, \u2013 Not rated")


# --- CSS -----------------------------------------------------------------------------------


def test_css_has_every_style_and_is_print_safe():
    for style in RATING_STYLES.values():
        rule = re.search(r"\.badge\." + style.css_class + r" \{([^}]*)\}", BADGE_CSS)
        assert rule, style.css_class
        assert f"background-color: {style.fill}" in rule.group(1)
        assert f"color: {style.text}" in rule.group(1)
        assert f"border-color: {style.border}" in rule.group(1)
    assert "-webkit-print-color-adjust: exact;" in BADGE_CSS
    assert "print-color-adjust: exact;" in BADGE_CSS
    assert "border-radius" in BADGE_CSS
    assert "hatch" not in BADGE_CSS and "repeating-linear-gradient" not in BADGE_CSS
    assert re.search(r"\.badge\.badge-nr \{ border-style: dashed; \}", BADGE_CSS)


def test_print_sizes_are_at_least_9pt():
    print_block = BADGE_CSS[BADGE_CSS.index("@media print") :]
    sizes = [float(s) for s in re.findall(r"font-size:\s*([\d.]+)pt", print_block)]
    assert sizes and min(sizes) >= 9
    assert not re.search(r"font-size:\s*[\d.]+(px|em|rem|%)", print_block)  # all set in pt
    for size in ("badge-size-small", "badge-size-letter"):
        assert "." + size in print_block


def test_module_imports_nothing_from_hmip_or_colorspacious_at_import():
    import ast
    from pathlib import Path

    import hmip.present.badges

    tree = ast.parse(Path(hmip.present.badges.__file__).read_text())
    top_level = [n for n in tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
    names = [a.name for n in top_level if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in top_level if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith(("hmip", "colorspacious", "numpy"))], names
    all_imports = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n.module for n in all_imports if (n.module or "").startswith("hmip")]

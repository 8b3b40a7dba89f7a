"""HTML output for notebooks and reports: every data string is escaped here.

Notebooks show results only through these functions, so a PDU called ``<script>alert(1)</script>``
appears as text. Figures are embedded as PNG (data URI) with alt text and a caption, so the HTML is
self-contained.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence

import pandas as pd

from hmip.analyses.words import percent as percent_words
from hmip.present.badges import badge_html
from hmip.present.banner import PROVENANCE_MIME, banner_html, esc


class Html(str):
    """Markup that is already safe (built by these helpers from escaped parts); shown as it is."""


def text(value) -> str:
    """Escape a plain string; leave :class:`Html` as it is."""
    return value if isinstance(value, Html) else esc(value)


def badge(rating, *, size: str = "normal", note: str = "") -> Html:
    """A rating badge: colour + letter + word (letter only with ``size="letter"``)."""
    label = (
        "Not published"
        if rating is None or (isinstance(rating, float) and pd.isna(rating))
        else str(rating)
    )
    return Html(badge_html(label, size=size, note=note))


def simulated_tag(note: str = "simulated") -> Html:
    """A small tag put next to any figure built on simulated data."""
    return Html(
        f"<span class='hmip-sim-tag' title='built on the simulated case sample'>{esc(note)}</span>"
    )


def _display(html_text: str, extra: dict | None = None):
    from IPython.display import display

    bundle = {
        "text/html": html_text,
        "text/plain": html.unescape(html_text) if len(html_text) < 500 else "[HTML output]",
    }
    bundle.update(extra or {})
    display(bundle, raw=True)


def figure_html(fig) -> str:
    """A ``<figure>``: the chart as an embedded PNG (see :func:`hmip.present.charts.figure_png`)
    with its alt text, shown at its print size but never wider than the page
    (``max-width: 100%``), then its caption."""
    from hmip.present.charts import figure_png

    return _figure_markup(
        figure_png(fig),
        getattr(fig, "hmip_alt", ""),
        getattr(fig, "hmip_caption", ""),
        tuple(fig.get_size_inches()),
    )


def _figure_markup(png: bytes, alt: str, caption: str, size_inches: tuple[float, float]) -> str:
    data = base64.b64encode(png).decode("ascii")
    alt = alt or caption or "Chart"
    width, height = (round(v * 96) for v in size_inches)  # CSS pixels: 96 an inch
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="hmip-figure"><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
        f'width="{width}" height="{height}" style="max-width:100%;height:auto">{cap}</figure>'
    )


def show_figure(fig) -> None:
    """Show a chart with its alt text and caption (the figure is closed afterwards)."""
    _display(figure_html(fig))


def show_chart(draw, *args, **kwargs) -> None:
    """Show the chart ``draw(*args, **kwargs)`` as :func:`show_figure` does. A chart that is the same
    for every report of a build (the accuracy curves) is drawn once, in the build's warm process, and
    shown from memory; the same arguments give the same bytes (:mod:`hmip.present.cache`)."""
    from hmip.present.cache import drawn_chart

    _display(_figure_markup(*drawn_chart(draw, *args, **kwargs)))


def table_html(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    index: bool = False,
    float_format: str = "{:.3f}",
    percent: tuple[str, ...] = (),
    ratings: tuple[str, ...] = (),
    simulated: tuple[str, ...] = (),
    whole_percent: bool = True,
    simulated_cells: Mapping[str, Sequence[bool]] | None = None,
) -> str:
    """An escaped HTML table: ``percent`` columns as percentages (whole by default), ``ratings`` columns as
    badges (colour + letter + word), ``simulated`` columns tagged in their header, and the cells flagged
    in ``simulated_cells`` (column -> a flag per row) tagged where they stand (a simulated rating in a
    column of published ones)."""
    out = df.copy()
    flags = {c: list(v) for c, v in (simulated_cells or {}).items()}
    badges: dict[str, list[str]] = {}
    for c in out.columns:
        if c in ratings:
            badges[c] = [
                str(badge(None if pd.isna(v) else v, size="small"))
                + (f" {simulated_tag()}" if c in flags and flags[c][j] else "")
                for j, v in enumerate(out[c])
            ]
            out[c] = [
                f"@@badge{i}@{j}@@" for j in range(len(out)) for i in [list(out.columns).index(c)]
            ]
        elif c in percent:
            # the one vocabulary: a whole percentage is never a misleading 0% or 100% ('>99%')
            out[c] = [
                ""
                if pd.isna(v)
                else (
                    percent_words(float(v), compact=True)
                    if whole_percent and 0 <= v <= 1
                    else f"{100 * v:.{0 if whole_percent else 1}f}%"
                )
                for v in out[c]
            ]
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = [("" if pd.isna(v) else float_format.format(v)) for v in out[c]]
        else:  # pandas' <NA> is not for readers: an unknown value is an empty cell
            out[c] = [
                ("" if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v) for v in out[c]
            ]
    for c, flagged in flags.items():
        if c not in badges:
            out[c] = [f"{v} @@sim@@" if f else v for v, f in zip(out[c], flagged, strict=True)]
    out.columns = [f"{c} @@sim@@" if c in simulated else c for c in out.columns]
    body = out.to_html(index=index, escape=True, na_rep="", border=0, classes="hmip-table")
    body = body.replace("@@sim@@", str(simulated_tag()))
    for c, cells in badges.items():
        i = list(df.columns).index(c)
        for j, cell in enumerate(cells):
            body = body.replace(f"@@badge{i}@{j}@@", cell, 1)
    if (
        caption
    ):  # a real <caption>, so the title stays with its table (and screen readers announce it)
        body = re.sub(
            r"(<table[^>]*>)",
            lambda m: f"{m.group(1)}<caption>{esc(caption)}</caption>",
            body,
            count=1,
        )
    return f"<div class='hmip-table-wrap'>{body}</div>"


def show_table(df: pd.DataFrame, caption: str | None = None, **kw) -> None:
    """Show a table with every cell escaped."""
    _display(table_html(df, caption, **kw))


def say(*paragraphs: str) -> None:
    """Show paragraphs of text (escaped)."""
    _display("".join(f"<p>{sentence_html(p)}</p>" for p in paragraphs))


def bullets(items, title: str | None = None) -> None:
    head = f"<p><strong>{esc(title)}</strong></p>" if title else ""
    _display(head + "<ul>" + "".join(f"<li>{sentence_html(i)}</li>" for i in items) + "</ul>")


def notice(message: str, kind: str = "warning") -> None:
    _display(
        f"<div class='hmip-notice hmip-{esc(kind)}' role='note'><strong>{'Note' if kind != 'warning' else 'Warning'}:</strong> {text(message)}</div>"
    )


# --- Provenance and the banner (see hmip.present.banner) ---------------------------------------------------
def provenance_record(
    *loaded, disclosure: str = "", extra_sources: list[dict] | None = None
) -> dict:
    """What a report was built on: basis (published / simulated / analyst-supplied), files with checksums."""
    from hmip.data.loaders import is_simulated, sources

    srcs = sources(*loaded) + list(extra_sources or [])
    bases = sorted({s.get("basis", "unknown") for s in srcs})
    return {
        "simulated": is_simulated(*loaded) or "simulated" in bases,
        "bases": bases,
        "sources": [
            {"name": s["name"], "sha256": s["sha256"], "basis": s.get("basis", "")} for s in srcs
        ],
        "disclosure": disclosure,
    }


def show_provenance(
    *loaded, title: str = "", parameters: dict | None = None, disclosure: str = ""
) -> None:
    """Show the banner in the notebook, and record provenance for the report runner (which re-draws the
    banner with the run's parameters, time and commit)."""
    prov = provenance_record(*loaded, disclosure=disclosure)
    _display(
        banner_html(prov, title=title, parameters=parameters), {PROVENANCE_MIME: json.dumps(prov)}
    )


# --- Reader-first blocks: main points, headings, badges grid, glossary -------------------------------------
def main_points(items, *, title: str = "Main points") -> None:
    """The answer first: at most five plain-English sentences, right after the banner."""
    items = [i for i in items if i]
    if not 1 <= len(items) <= 5:
        raise ValueError(f"main points need 1 to 5 sentences, got {len(items)}")
    _display(
        f"<section class='hmip-main-points' aria-label='{esc(title)}'><h2>{esc(title)}</h2><ul>"
        + "".join(f"<li>{sentence_html(i)}</li>" for i in items)
        + "</ul></section>"
    )


def heading(title: str, level: int = 2, *, intro: str = "") -> None:
    """A section heading (and an optional introductory sentence)."""
    _display(f"<h{level}>{text(title)}</h{level}>" + (f"<p>{text(intro)}</p>" if intro else ""))


def ratings_grid_html(
    rows: list[tuple],
    columns: list[str],
    *,
    caption: str = "",
    letters_only: bool = True,
    extra_columns: tuple[str, ...] = (),
) -> Html:
    """A table of rating badges: one row per PDU, ``(name, [rating or None per column], [extra cells])``.

    ``None`` shows as the "Not published" badge; every cell carries the letter, and its word in the
    cell's accessible name, so the grid reads in black and white. Extra cells (e.g. points) are text.
    """
    head = "".join(f"<th scope='col'>{esc(c)}</th>" for c in [*columns, *extra_columns])
    body = []
    for name, ratings, *rest in rows:
        extras = rest[0] if rest else []
        cells = "".join(
            f"<td>{badge(r, size='letter' if letters_only else 'small')}</td>" for r in ratings
        ) + "".join(f"<td class='extra'>{text(x)}</td>" for x in extras)
        body.append(f"<tr><th scope='row' class='pdu'>{text(name)}</th>{cells}</tr>")
    cap = f"<caption>{text(caption)}</caption>" if caption else ""
    return Html(
        f"<div class='hmip-table-wrap'><table class='hmip-table hmip-grid'>{cap}"
        f"<thead><tr><th scope='col' class='pdu'>PDU</th>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def show_html(markup: Html) -> None:
    """Show markup built by these helpers."""
    if not isinstance(markup, Html):
        raise TypeError(
            "show_html takes Html built by hmip.present.display helpers; use say() for text"
        )
    _display(markup)


def glossary(terms: dict[str, str], *, title: str = "Glossary") -> None:
    """The terms this report uses, one or two plain sentences each."""
    _display(
        f"<h2>{esc(title)}</h2><dl class='hmip-glossary'>"
        + "".join(f"<dt>{esc(t)}</dt><dd>{esc(d)}</dd>" for t, d in terms.items())
        + "</dl>"
    )


def sentence_html(parts) -> Html:
    """A sentence from :mod:`hmip.analyses.words`: text escaped, ratings as badges, simulated marks as tags."""
    from hmip.analyses.words import RatingMention, SimulatedMark

    if isinstance(parts, str):
        return Html(text(parts))
    out = []
    for p in parts:
        if isinstance(p, RatingMention):
            out.append(badge(p.rating, size="small"))
        elif isinstance(p, SimulatedMark):
            out.append(simulated_tag(p.note))
        else:
            out.append(text(p))
    return Html("".join(out))


def rating_bars_html(distribution: pd.DataFrame, *, caption: str = "") -> Html:
    """A bar chart of how many units got each rating, drawn in HTML: each bar is labelled with its rating
    badge (colour + letter + word) and its count, so it reads without colour and prints crisply."""
    from hmip.present.badges import style_for

    total = int(distribution["out_of"].iloc[0]) if len(distribution) else 0
    rows = []
    for r in distribution.itertuples():
        width = 0 if total == 0 else 100 * int(r.count) / total
        fill = style_for(str(r.rating)).fill
        rows.append(
            f"<tr><th scope='row'>{badge(r.rating, size='small')}</th>"
            f"<td class='hmip-bar-cell'><span class='hmip-bar' style='width:{width:.1f}%;background:{fill}'></span></td>"
            f"<td class='num'>{int(r.count)} of {total}</td></tr>"
        )
    cap = f"<caption>{text(caption)}</caption>" if caption else ""
    return Html(
        f"<div class='hmip-table-wrap'><table class='hmip-bars'>{cap}<tbody>{''.join(rows)}</tbody></table></div>"
    )

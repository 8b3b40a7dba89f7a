"""HTML output for notebooks and reports: every data string is escaped here.

Notebooks show results only through these functions, so a PDU called ``<script>alert(1)</script>``
appears as text. Figures are embedded as PNG (data URI) with alt text and a caption, so the HTML is
self-contained.
"""

from __future__ import annotations

import base64
import html
import json

import pandas as pd

from hmip.report.banner import PROVENANCE_MIME, banner_html, esc, git_commit, project_version  # noqa: F401


def _display(html_text: str, extra: dict | None = None):
    from IPython.display import display

    bundle = {
        "text/html": html_text,
        "text/plain": html.unescape(html_text) if len(html_text) < 500 else "[HTML output]",
    }
    bundle.update(extra or {})
    display(bundle, raw=True)


def figure_html(fig) -> str:
    """A ``<figure>``: the chart as an embedded PNG (see :func:`hmip.report.charts.figure_png`)
    with its alt text, shown at its print size but never wider than the page
    (``max-width: 100%``), then its caption."""
    from hmip.report.charts import figure_png

    data = base64.b64encode(figure_png(fig)).decode("ascii")
    alt = getattr(fig, "hmip_alt", "") or getattr(fig, "hmip_caption", "") or "Chart"
    caption = getattr(fig, "hmip_caption", "")
    width, height = (round(v * 96) for v in fig.get_size_inches())  # CSS pixels: 96 an inch
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure class="hmip-figure"><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
        f'width="{width}" height="{height}" style="max-width:100%;height:auto">{cap}</figure>'
    )


def show_figure(fig) -> None:
    """Show a chart with its alt text and caption (the figure is closed afterwards)."""
    _display(figure_html(fig))


def table_html(
    df: pd.DataFrame,
    caption: str | None = None,
    *,
    index: bool = False,
    float_format: str = "{:.3f}",
    percent: tuple[str, ...] = (),
) -> str:
    out = df.copy()
    for c in out.columns:
        if c in percent:
            out[c] = [("" if pd.isna(v) else f"{100 * v:.1f}%") for v in out[c]]
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = [("" if pd.isna(v) else float_format.format(v)) for v in out[c]]
        else:  # pandas' <NA> is not for readers: an unknown value is an empty cell
            out[c] = [
                ("" if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v) for v in out[c]
            ]
    body = out.to_html(index=index, escape=True, na_rep="", border=0, classes="hmip-table")
    cap = f"<p class='hmip-caption'><strong>{esc(caption)}</strong></p>" if caption else ""
    return f"<div class='hmip-table-wrap'>{cap}{body}</div>"


def show_table(df: pd.DataFrame, caption: str | None = None, **kw) -> None:
    """Show a table with every cell escaped."""
    _display(table_html(df, caption, **kw))


def say(*paragraphs: str) -> None:
    """Show paragraphs of text (escaped)."""
    _display("".join(f"<p>{esc(p)}</p>" for p in paragraphs))


def bullets(items, title: str | None = None) -> None:
    head = f"<p><strong>{esc(title)}</strong></p>" if title else ""
    _display(head + "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>")


def notice(text: str, kind: str = "warning") -> None:
    _display(
        f"<div class='hmip-notice hmip-{esc(kind)}' role='note'><strong>{'Note' if kind != 'warning' else 'Warning'}:</strong> {esc(text)}</div>"
    )


# --- Provenance and the banner (see hmip.report.banner) ---------------------------------------------------
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
) -> dict:
    """Show the banner in the notebook, and record provenance for the report runner (which re-draws the
    banner with the run's parameters, time and commit)."""
    prov = provenance_record(*loaded, disclosure=disclosure)
    _display(
        banner_html(prov, title=title, parameters=parameters), {PROVENANCE_MIME: json.dumps(prov)}
    )
    return prov

"""HTML output for notebooks and reports: every data string is escaped here.

Notebooks show results only through these functions, so a PDU called ``<script>alert(1)</script>``
appears as text. Figures are embedded as PNG (data URI) with alt text and a caption, so the HTML is
self-contained.
"""

from __future__ import annotations

import base64
import html
import io
import json
import subprocess
from datetime import UTC, datetime
from importlib import metadata

import pandas as pd

from hmip.paths import project_root

PROVENANCE_MIME = "application/vnd.hmip.provenance+json"


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def _display(html_text: str, extra: dict | None = None):
    from IPython.display import display

    bundle = {"text/html": html_text, "text/plain": html.unescape(html_text) if len(html_text) < 500 else "[HTML output]"}
    bundle.update(extra or {})
    display(bundle, raw=True)


def figure_html(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=130)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = getattr(fig, "hmip_alt", "chart")
    caption = getattr(fig, "hmip_caption", "")
    return (f'<figure class="hmip-figure"><img src="data:image/png;base64,{data}" alt="{esc(alt)}" '
            f'style="max-width:100%;height:auto"><figcaption>{esc(caption)}</figcaption></figure>')


def show_figure(fig) -> None:
    """Show a chart with its alt text and caption (the figure is closed afterwards)."""
    _display(figure_html(fig))


def table_html(df: pd.DataFrame, caption: str | None = None, *, index: bool = False, float_format: str = "{:.3f}",
               percent: tuple[str, ...] = ()) -> str:
    out = df.copy()
    for c in out.columns:
        if c in percent:
            out[c] = [("" if pd.isna(v) else f"{100 * v:.1f}%") for v in out[c]]
        elif pd.api.types.is_float_dtype(out[c]):
            out[c] = [("" if pd.isna(v) else float_format.format(v)) for v in out[c]]
        else:  # pandas' <NA> is not for readers: an unknown value is an empty cell
            out[c] = [("" if (v is pd.NA or (isinstance(v, float) and pd.isna(v))) else v) for v in out[c]]
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


def heading(text: str, level: int = 2) -> None:
    _display(f"<h{level}>{esc(text)}</h{level}>")


def notice(text: str, kind: str = "warning") -> None:
    _display(f"<div class='hmip-notice hmip-{esc(kind)}' role='note'><strong>{'Note' if kind != 'warning' else 'Warning'}:</strong> {esc(text)}</div>")


# --- Provenance and the banner ----------------------------------------------------------------------
def project_version() -> str:
    try:
        return metadata.version("hmip-analytics")
    except metadata.PackageNotFoundError:  # pragma: no cover
        return "unknown"


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=project_root(), capture_output=True, text=True, timeout=5)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=project_root(),
                               capture_output=True, text=True, timeout=5).stdout.strip()
        return (out.stdout.strip() or "unknown") + ("+uncommitted changes" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance_record(*loaded, disclosure: str = "", extra_sources: list[dict] | None = None) -> dict:
    """What a report was built on: basis (published / simulated / analyst-supplied), files with checksums."""
    from hmip.data import is_simulated, sources

    srcs = sources(*loaded) + list(extra_sources or [])
    bases = sorted({s.get("basis", "unknown") for s in srcs})
    return {"simulated": is_simulated(*loaded) or "simulated" in bases, "bases": bases,
            "sources": [{"name": s["name"], "sha256": s["sha256"], "basis": s.get("basis", "")} for s in srcs],
            "disclosure": disclosure}


def banner_html(prov: dict, *, title: str = "", parameters: dict | None = None, generated_at: str | None = None,
                version: str | None = None, commit: str | None = None) -> str:
    """The banner at the top of every report: title, parameters, data basis with checksums, disclosure rule,
    generation time (UTC), version and commit. A report on simulated data says so first, in words."""
    generated_at = generated_at or datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = ["<header class='hmip-banner' role='banner'>"]
    if prov.get("simulated"):
        parts.append("<p class='hmip-simulated'><strong>SIMULATED DATA.</strong> This report is built on a simulated "
                     "case sample made to agree with HMIP's published ratings. It shows how the analysis works; it is "
                     "NOT evidence about any real PDU's cases.</p>")
    if title:
        parts.append(f"<p class='hmip-title'><strong>{esc(title)}</strong></p>")
    parts.append("<dl>")
    if parameters:
        parts.append("<dt>Parameters</dt><dd>" + "; ".join(f"{esc(k)} = {esc(v)}" for k, v in parameters.items()) + "</dd>")
    parts.append(f"<dt>Data basis</dt><dd>{esc(', '.join(prov.get('bases', [])) or 'unknown')}<ul>"
                 + "".join(f"<li>{esc(s['name'])} ({esc(s['basis'])}), SHA-256 <code>{esc(s['sha256'][:16])}</code>&hellip;</li>"
                           for s in prov.get("sources", [])) + "</ul></dd>")
    parts.append(f"<dt>Disclosure control</dt><dd>{esc(prov.get('disclosure') or 'no counts of people shown')}</dd>")
    parts.append(f"<dt>Generated</dt><dd>{esc(generated_at)}; hmip-analytics {esc(version or project_version())}, "
                 f"commit {esc(commit or git_commit())}</dd></dl></header>")
    return "".join(parts)


def show_provenance(*loaded, title: str = "", parameters: dict | None = None, disclosure: str = "") -> dict:
    """Show the banner in the notebook, and record provenance for the report runner (which re-draws the
    banner with the run's parameters, time and commit)."""
    prov = provenance_record(*loaded, disclosure=disclosure)
    _display(banner_html(prov, title=title, parameters=parameters), {PROVENANCE_MIME: json.dumps(prov)})
    return prov

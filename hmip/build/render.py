"""Rendering: an executed notebook to self-contained HTML (code hidden, banner on top)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

TEMPLATE_DIR = Path(__file__).with_name("templates")


PAPERS = ("A4", "A3")
#: Extra print rules for the A3 edition: the same pages, larger type (councillors asked for A3).
_A3_CSS = """
@page { size: A3 portrait; margin: 18mm; }
@media print { body.hmip-report { font-size: 14pt; } table.hmip-table { font-size: 11.5pt; }
  .hmip-report h1 { font-size: 22pt; } .hmip-report h2 { font-size: 17pt; } .hmip-report h3 { font-size: 14pt; } }
"""


def report_css(paper: str = "A4") -> str:
    """The reports' stylesheet (with the rating badges'), for A4 (default) or A3 print."""
    from hmip.present.badges import BADGE_CSS

    if paper not in PAPERS:
        from hmip.errors import ParameterError

        raise ParameterError(f"paper '{paper}' is not accepted; accepted: {', '.join(PAPERS)}")
    css = (TEMPLATE_DIR / "hmip_report" / "report.css").read_text(encoding="utf-8") + BADGE_CSS
    return css + (_A3_CSS if paper == "A3" else "")


def document(title: str, body: str, *, paper: str = "A4") -> str:
    """One self-contained HTML page: our stylesheet inline, no scripts, nothing fetched."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{report_css(paper)}</style></head>"
        f'<body class="hmip-report" data-paper="{paper}"><main>{body}</main></body></html>\n'
    )


_EXPORTER = None
#: an <img> without alt text (a base64 ``src`` holds no '>')
_IMG_WITHOUT_ALT = re.compile(r"<img\b(?![^>]*\balt=)[^>]*>", re.IGNORECASE)
#: a self-closed element that HTML does not allow to self-close (markdown headings' anchor links are
#: written ``<a class="anchor-link" href="#..." />``): a browser reads it as an open tag, so the rest
#: of the page becomes one link. nbconvert's re-parse closed it; without the re-parse, we do.
_SELF_CLOSED = re.compile(
    r"<(?!(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b)"
    r"([a-zA-Z][\w-]*)(\s[^<>]*?)?\s*/>"
)


def close_elements(body: str) -> str:
    """``<a href="#x" />`` -> ``<a href="#x"></a>`` (void elements such as ``<br/>`` unchanged)."""
    return _SELF_CLOSED.sub(lambda m: f"<{m[1]}{m[2] or ''}></{m[1]}>", body)


class _Verbatim(str):
    """Stands in for BeautifulSoup in nbconvert's HTML exporter: the page as written, and no element
    to change."""

    def __new__(cls, markup, features=None):
        return super().__new__(cls, markup)

    def select(self, selector):
        return []


def _exporter_class():
    from nbconvert import HTMLExporter
    from nbconvert.exporters import html as nbconvert_html

    class ReportExporter(HTMLExporter):
        """nbconvert's HTMLExporter without its last step where it changes nothing: re-parsing the whole
        page (base64 images included) with BeautifulSoup, to give an image without alt text a
        placeholder and JupyterLab's cells a tabindex, then writing it out again. Our pages have neither
        (every chart has its alt text; the template has no JupyterLab cells), and the step cost
        0.2-0.4 s a report (issue 25). A page with either still takes nbconvert's own route; otherwise
        the document is the same, written without the re-parse (tests/test_bench_render.py)."""

        def from_notebook_node(self, nb, resources=None, **kw):
            real = nbconvert_html.BeautifulSoup
            nbconvert_html.BeautifulSoup = _Verbatim
            try:
                body, out = super().from_notebook_node(nb, resources, **kw)
            finally:
                nbconvert_html.BeautifulSoup = real
            if "jp-Notebook" in body or _IMG_WITHOUT_ALT.search(body):
                return super().from_notebook_node(nb, resources, **kw)
            return close_elements(str(body)), out

    return ReportExporter


def _exporter():
    """One HTMLExporter per process: its Jinja templates are compiled once, not once per report (a warm
    report worker compiles them before it forks)."""
    global _EXPORTER
    if _EXPORTER is None:
        _EXPORTER = _exporter_class()(
            template_name="hmip_report",
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            anchor_link_text="",
        )
    return _EXPORTER


def render_html(nb, *, title: str, parameters: dict, meta: dict, paper: str = "A4") -> str:
    """Self-contained HTML with code hidden and the banner at the top (provenance from the notebook)."""
    import nbformat

    from hmip.present.banner import PROVENANCE_MIME, banner_html

    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    prov = {"simulated": False, "bases": [], "sources": [], "disclosure": ""}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if PROVENANCE_MIME in data:
                prov = (
                    json.loads(data[PROVENANCE_MIME])
                    if isinstance(data[PROVENANCE_MIME], str)
                    else data[PROVENANCE_MIME]
                )
                continue  # the runner's banner replaces the notebook's own
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue  # warnings are for the log, not the reader
            kept.append(out)
        cell.outputs = kept
    nb.metadata["title"] = title
    exporter = _exporter()
    banner = banner_html(
        prov,
        title=title,
        parameters=parameters,
        generated_at=meta["generated_at"],
        version=meta["version"],
        commit=meta["commit"],
        versions=meta.get("versions"),
    )
    body, _ = exporter.from_notebook_node(nb)
    return document(title, banner + body, paper=meta.get("paper", paper))

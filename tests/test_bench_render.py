"""Issue 25: a report's HTML is written without nbconvert's re-parse (BeautifulSoup over the whole page,
base64 images included: 0.2-0.4 s a report). The document is the same: nbconvert's own exporter gives
the same DOM; a page that needs the re-parse (an image without alt text) still gets it."""

from __future__ import annotations

import nbformat
import pandas as pd
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter

from hmip.build import render
from hmip.present import charts, display

PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def _notebook(img_alt: bool = True) -> nbformat.NotebookNode:
    fig = charts.probability_bars(
        pd.DataFrame(
            {
                "Outstanding": [0.1],
                "Good": [0.5],
                "Requires improvement": [0.3],
                "Inadequate": [0.1],
            },
            index=["Assessment"],
        ),
        title="A chart",
        simulated=True,
    )
    figure = display.figure_html(fig)
    table = display.table_html(
        pd.DataFrame({"PDU": ["<script>x</script> & Co"], "Share": [0.5]}),
        "A table",
        percent=("Share",),
    )
    img = f'<img src="data:image/png;base64,{PNG}"' + (' alt="a dot">' if img_alt else ">")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(
            "## A heading\n\nSome *words*, a [link](https://example.org) & more."
        ),
        nbformat.v4.new_code_cell(
            "x = 1",
            outputs=[
                nbformat.v4.new_output("display_data", data={"text/html": figure}),
                nbformat.v4.new_output("display_data", data={"text/html": table}),
                nbformat.v4.new_output("display_data", data={"text/html": img}),
                nbformat.v4.new_output("stream", name="stdout", text="printed <b>\n"),
            ],
        ),
    ]
    return nb


def _nbconvert() -> HTMLExporter:
    return HTMLExporter(
        template_name="hmip_report",
        extra_template_basedirs=[str(render.TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )


def test_the_report_exporter_gives_nbconverts_document():
    nb = _notebook()
    ours, _ = render._exporter().from_notebook_node(nb)
    theirs, _ = _nbconvert().from_notebook_node(nb)
    assert type(ours) is str
    assert str(BeautifulSoup(ours, features="html.parser")) == theirs
    assert "data:image/png;base64," in ours and 'alt="a dot"' in ours


def test_an_image_without_alt_text_still_gets_nbconverts_placeholder():
    nb = _notebook(img_alt=False)
    ours, _ = render._exporter().from_notebook_node(nb)
    theirs, _ = _nbconvert().from_notebook_node(nb)
    assert ours == theirs
    assert "No description has been provided for this image" in ours


def test_nbconverts_parser_is_put_back():
    from nbconvert.exporters import html as nbconvert_html

    render._exporter().from_notebook_node(_notebook())
    assert nbconvert_html.BeautifulSoup is BeautifulSoup


def test_no_element_a_browser_would_leave_open():
    """A heading's anchor link came out as ``<a ... />``: a browser reads that as an open tag, and the
    rest of the page printed as one underlined link (seen in the rendered ethnicity report)."""
    import re

    ours, _ = render._exporter().from_notebook_node(_notebook())
    assert '<a class="anchor-link" href="#A-heading"></a>' in ours
    void = "area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr"
    assert not re.search(rf"<(?!(?:{void})\b)[a-zA-Z][\w-]*(\s[^<>]*)?/>", ours)
    assert (
        render.close_elements('<p>x<a href="#h" />y<br/></p>') == '<p>x<a href="#h"></a>y<br/></p>'
    )

"""Rendering: an executed notebook to self-contained HTML (code hidden, banner on top), and the index."""

from __future__ import annotations

import html
import json
from pathlib import Path

TEMPLATE_DIR = Path(__file__).with_name("templates")


def report_css() -> str:
    return (TEMPLATE_DIR / "hmip_report" / "report.css").read_text(encoding="utf-8")


_EXPORTER = None


def _exporter():
    """One HTMLExporter per process: its Jinja templates are compiled once, not once per report (a warm
    report worker compiles them before it forks)."""
    global _EXPORTER
    if _EXPORTER is None:
        from nbconvert import HTMLExporter

        _EXPORTER = HTMLExporter(
            template_name="hmip_report",
            extra_template_basedirs=[str(TEMPLATE_DIR)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
        )
    return _EXPORTER


def render_html(nb, *, title: str, parameters: dict, meta: dict) -> str:
    """Self-contained HTML with code hidden and the banner at the top (provenance from the notebook)."""
    import nbformat

    from hmip.report.banner import PROVENANCE_MIME, banner_html

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
    resources = {
        "hmip_banner": banner_html(
            prov,
            title=title,
            parameters=parameters,
            generated_at=meta["generated_at"],
            version=meta["version"],
            commit=meta["commit"],
            versions=meta.get("versions"),
        ),
        "hmip_css": report_css(),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def index_html(run_id: str, results: list[dict], meta: dict) -> str:
    """The index of a published run: every report with its parameters, status, build time and when it
    was built (a report carried over from an earlier run by a partial rebuild says so)."""
    esc = html.escape
    rows = []
    for r in results:
        params = (
            "; ".join(f"{esc(str(k))} = {esc(str(v))}" for k, v in r["parameters"].items())
            or "defaults"
        )
        status = ("carried over" if r.get("carried_over") else "built") if r["ok"] else "FAILED"
        link = (
            f'<a href="{esc(run_id)}/{esc(r["name"])}.html">{esc(r["title"])}</a>'
            if r["ok"]
            else esc(r["title"])
        )
        built = esc(str(r.get("built_at") or meta["generated_at"]))
        if r.get("carried_over"):
            built += f" (run {esc(str(r.get('from_run', '')))})"
        rows.append(
            f"<tr><td>{link}</td><td>{params}</td><td>{status}</td><td>{r['seconds']:.1f} s</td><td>{built}</td></tr>"
        )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>hmip-analytics reports</title><style>{report_css()}
table.hmip-index {{ border-collapse: collapse; }} table.hmip-index td, table.hmip-index th {{ border: 1px solid #999; padding: 4px 8px; text-align: left; }}
</style></head>
<body class="hmip-report"><main>
<h1>hmip-analytics reports</h1>
<p>Run <code>{esc(run_id)}</code>, generated {esc(meta["generated_at"])}; hmip-analytics {esc(meta["version"])}, commit {esc(meta["commit"])}.
Reports built on simulated data say so in a banner at their top.</p>
<table class="hmip-index"><caption>Reports in this run</caption>
<thead><tr><th scope="col">Report</th><th scope="col">Parameters</th><th scope="col">Status</th><th scope="col">Build time</th><th scope="col">Built at</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table>
</main></body></html>
"""

"""The index (``reports/index.html``): the page readers open first. The region's published ratings at a
glance, a line per PDU linking to the reports the catalogue groups under "each PDU", the scrutiny
packs, then a table of the analysts' reports with each one's settings, status and build time."""

from __future__ import annotations

import html

from hmip.build import names
from hmip.build.catalogue import GROUP_EACH_PDU
from hmip.build.render import document
from hmip.build.results import JobResult


def preload_index() -> None:
    """Import what :func:`index_html` uses (a build calls it in a thread while its reports run); a
    failure here is left for index_html to raise, where it is reported."""
    import contextlib

    with contextlib.suppress(Exception):
        import hmip.data.loaders  # noqa: F401
        import hmip.present.display  # noqa: F401
        import hmip.rules.framework  # noqa: F401


def _ratings_at_a_glance(region: str = "London") -> tuple[str, list[str]]:
    """The region's published ratings as a grid of badges, and its PDUs in order."""
    from hmip.data.loaders import load_published_ratings
    from hmip.present.display import ratings_grid_html
    from hmip.rules.framework import default_framework

    fw = default_framework()
    published_ratings = load_published_ratings(framework=fw)
    published, overall = published_ratings.standards, published_ratings.overall
    overall = overall[overall["region"] == region]
    pdus = overall["pdu"].tolist()
    rated = fw.rated_standards
    rows = []
    for pdu in pdus:
        mine = published[published["pdu"] == pdu].set_index("standard")["rating"]
        ratings = [None if _isna(mine.get(s.id)) else str(mine.get(s.id)) for s in rated]
        o = overall[overall["pdu"] == pdu].iloc[0]
        ratings.append(str(o["overall_rating"]))
        if _isna(o["points"]):
            points = "not published"
        else:
            implied = " (implied)" if o["points_basis"] == "implied" else ""
            points = f"{int(o['points'])} of {int(o['max_points'])}{implied}"
        rows.append((pdu, ratings, [points]))
    columns = [s.name for s in rated] + ["Overall"]
    grid = ratings_grid_html(
        rows,
        columns,
        caption=f"{region} PDUs inspected in 2022: HMIP's published ratings (? = not published)",
        extra_columns=("Points",),
    )
    return grid, pdus


def _isna(value) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def index_html(run_id: str, results: list[JobResult], meta: dict, *, region: str = "London") -> str:
    """The page readers open first: the region's ratings at a glance, a line per PDU linking to its
    pages (the reports the catalogue groups under "each PDU"), then the analysts' reports with the
    run's date."""
    from hmip.present.badges import legend_html

    grid, pdus = _ratings_at_a_glance(region)
    by_pdu: dict[str, list[JobResult]] = {}
    others = []
    packs = [r for r in results if r.pack]
    for r in results:
        if r.pack:
            continue
        if r.group == GROUP_EACH_PDU and r.subject in pdus:
            by_pdu.setdefault(r.subject, []).append(r)
        else:
            others.append(r)

    def pack_line(r: JobResult) -> str:
        where = r.parameters.get("region", "")
        return (
            f"<li><strong>{esc(r.title)}</strong>: "
            + (
                f'<a href="{esc(run_id)}/{esc(names.pack_pdf(where))}">PDF for printing ({esc(r.parameters.get("paper", "A4"))})</a>; '
                f'<a href="{esc(run_id)}/{esc(names.pack_html(where))}">web page</a>; '
                f'<a href="{esc(run_id)}/{esc(names.workbook_name(where))}">'
                "the data as a spreadsheet</a> (and as CSV files in the same folder)"
                if r.ok
                else "FAILED in this run"
            )
            + "</li>"
        )

    pack_lines = "".join(pack_line(r) for r in packs)

    def link(r: JobResult) -> str:
        if not r.ok:
            return f"{esc(r.title)} (FAILED in this run)"
        return f'<a href="{esc(run_id)}/{esc(names.report_html(r.name))}">{esc(r.title)}</a>'

    pdu_lines = "".join(
        f"<li><strong>{esc(p)}</strong>: "
        + ("; ".join(link(r) for r in by_pdu.get(p, [])) or "no report in this run")
        + "</li>"
        for p in pdus
    )
    rows = []
    for r in others:
        params = (
            "; ".join(f"<code>{esc(k)}</code> = {esc(v)}" for k, v in r.parameters.items())
            or "defaults"
        )
        status = ("carried over" if r.carried_over else "built") if r.ok else "FAILED"
        built = esc(str(r.built_at or meta["generated_at"]))
        if r.carried_over:
            built += f" (run {esc(str(r.from_run))})"
        rows.append(
            f"<tr><td>{link(r)}</td><td>{params}</td><td>{status}</td>"
            f"<td class='num'>{r.seconds:.1f} s</td><td>{built}</td></tr>"
        )
    body = f"""
<header class="hmip-banner"><h1>Probation inspection reports: {esc(region)}</h1>
<p>HM Inspectorate of Probation (HMIP) ratings of the {esc(region)} Probation Delivery Units (PDUs)
inspected in 2022, and the analysis built on them. Built {esc(meta["generated_at"])}
(run <code>{esc(run_id)}</code>; hmip-analytics {esc(meta["version"])}, commit {esc(meta["commit"])}).</p></header>
{f"<h2>Scrutiny pack</h2><p>One standard page per PDU, for committee members, with the data behind it.</p><ul>{pack_lines}</ul>" if pack_lines else ""}
<h2>Ratings at a glance</h2>
{legend_html(include_missing=True)}
{grid}
<h2>Each PDU</h2>
<p>How firm each PDU's ratings are, and what held them back. The case-level figures in these reports
come from a simulated sample; each report says so at its top.</p>
<ul>{pdu_lines}</ul>
<h2>Reports for analysts</h2>
<div class="hmip-table-wrap"><table class="hmip-table"><caption>Reports in this run ({esc(meta["generated_at"])})</caption>
<thead><tr><th scope="col">Report</th><th scope="col">Settings</th><th scope="col">Status</th><th scope="col" class="num">Build time</th><th scope="col">Built at</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
"""
    return document(f"Probation inspection reports: {region}", body)

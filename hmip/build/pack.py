"""The scrutiny pack as HTML and a tagged PDF (WeasyPrint), and :func:`build_pack`, its one entry point.

The same HTML and print CSS make both: the HTML opens offline (CSS inline, no images, fonts or
scripts) and WeasyPrint prints it to a PDF/UA-1 (tagged) PDF with the document's title and
language. Every data string is escaped here. Each PDU page is one printed page on A4 portrait (and
on A3 with ``paper="A3"``, where everything is scaled up by the paper's ratio): after laying the
pack out, any PDU page that runs over is set again in a denser style, and a page that still runs
over fails the build with :class:`PageOverflowError` (nothing is written; a page is never cut or
spilt onto a second sheet). Text within the progress file's limits always fits (tested at the limits).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

from hmip.analyses.scrutiny_pack import (
    NOT_PUBLISHED,
    SIM_TAG,
    SIMULATED_WARNING,
    PduPage,
    ScrutinyPack,
    SinceSection,
    date_words,
)
from hmip.analyses.words import percent
from hmip.build import names
from hmip.build.workbook import write_data
from hmip.data.recommendations import PROGRESS_STATUSES
from hmip.errors import HmipError
from hmip.present.badges import BADGE_CSS, RATING_LABELS, RATING_STYLES, badge_html

#: Root font size and page margins per paper: A3 is A4 scaled by sqrt(2), so a page that fits on A4
#: fits on A3 in the same place, at 1.41 times the size.
PAPER = {
    "A4": {"size": "A4 portrait", "font": 10.0, "margin": (7, 10, 11, 10)},
    "A3": {"size": "A3 portrait", "font": 14.1, "margin": (10, 14, 15.5, 14)},
}
PDF_VARIANT = "pdf/ua-1"

#: Progress statuses drawn like rating badges, in the same RAG fills: on track green, at risk
#: amber, off track red; always with the RAG letter and the word.
_STATUS_FILL = {
    "on track": RATING_STYLES["Good"],
    "at risk": RATING_STYLES["Requires improvement"],
    "off track": RATING_STYLES["Inadequate"],
}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def _sim(on: bool) -> str:
    return (
        f' <span class="sim" title="built on the simulated case sample">{SIM_TAG}</span>'
        if on
        else ""
    )


def status_badge(status: str | None) -> str:
    if status is None:
        return '<span class="no-progress">no progress reported</span>'
    s = next(x for x in PROGRESS_STATUSES if x.label == status)
    style = _STATUS_FILL[s.label]
    word = s.label[0].upper() + s.label[1:]
    return (
        f'<span class="badge status status-{s.rag}" role="img" aria-label="{esc(word)}" '
        f'style="background-color:{style.fill};color:{style.text};border-color:{style.border}">'
        f'<b class="badge-code">{esc(s.letter)}</b> <span class="badge-word">{esc(word)}</span></span>'
    )


def _rating_badge(label: str, size: str = "normal", note: str = "") -> str:
    return badge_html(label if label != NOT_PUBLISHED else "Not published", size=size, note=note)


def pack_css(paper: str = "A4") -> str:
    p = PAPER[paper]
    top, right, bottom, left = p["margin"]
    return f"""
@page {{
  size: {p["size"]};
  margin: {top}mm {right}mm {bottom}mm {left}mm;
  @bottom-left {{ content: string(pack-title); font-family: "Liberation Sans", Arial, Helvetica, sans-serif;
    font-size: 1rem; color: #333; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages);
    font-family: "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 1rem; color: #333; }}
}}
html {{ font-size: {p["font"]}pt; }}
body.pack {{
  font-family: "Liberation Sans", Arial, Helvetica, sans-serif;
  font-size: 1rem; line-height: 1.2; color: #0B0C0C; margin: 0;
}}
.pack h1 {{ font-size: 2.2rem; line-height: 1.15; margin: 0 0 0.3rem; string-set: pack-title content(); }}
.pack h2 {{ font-size: 1.5rem; line-height: 1.15; margin: 0 0 0.2rem; }}
.pack h3 {{ font-size: 1.1rem; margin: 0.5rem 0 0.15rem; break-after: avoid; }}
.pack h3 .h-note {{ font-size: 1rem; font-weight: 400; }}
.pack p {{ margin: 0.2rem 0; }}
.pack a {{ color: inherit; }}
.pack ul, .pack ol {{ margin: 0.2rem 0; padding-left: 1.3rem; }}
.pack li {{ margin: 0.1rem 0; }}
.pack table {{ border-collapse: collapse; width: 100%; }}
.pack th, .pack td {{ border: 0.75pt solid #6F777B; padding: 0.12rem 0.3rem; text-align: left; vertical-align: top; }}
/* a long unbroken word (a web address, a run of letters) wraps inside its cell, never runs off the page */
.pack td, .pack li, .pack p, .pack dd {{ overflow-wrap: anywhere; word-break: break-word; }}
.pack th {{ background: #E8E8E8; font-weight: 700; }}
.pack tr {{ break-inside: avoid; }}
.page {{ break-after: page; }}
.page:last-child {{ break-after: auto; }}
/* badges scale with the paper: letters at 9pt or more on A4 */
body.pack .badge {{ font-size: 1rem; border-width: 1pt; line-height: 1.1; padding: 0 0.35em; }}
body.pack .badge.badge-size-small {{ font-size: 0.95rem; border-width: 0.75pt; }}
body.pack .badge.badge-size-letter {{ font-size: 0.95rem; min-width: 1.9em; padding: 0 0.2em; }}
body.pack .badge.status {{ font-size: 0.95rem; border-width: 0.75pt; }}
.sim {{ display: inline-block; font-size: 0.9rem; font-weight: 700; border: 1pt dashed #0B0C0C;
  padding: 0 0.2em; line-height: 1.1; letter-spacing: 0.03em; }}
.warning {{ border: 2pt solid #0B0C0C; border-left-width: 6pt; background: #F3F2F1; padding: 0.25rem 0.45rem;
  margin: 0 0 0.35rem; }}
.warning strong {{ text-transform: none; }}
.muted {{ color: #333; }}
.note {{ font-style: italic; }}
/* cover */
.cover .subtitle {{ font-size: 1.2rem; margin: 0 0 0.6rem; }}
.cover dl {{ margin: 0.4rem 0; }}
.cover dt {{ font-weight: 700; margin-top: 0.35rem; }}
.cover dd {{ margin: 0 0 0 1rem; }}
.cover .contents a {{ color: #0B0C0C; text-decoration: none; }}
.cover .how dt {{ display: inline; }}
.legend p {{ margin: 0.15rem 0; }}
body.pack .badge-legend {{ font-size: 1rem; line-height: 1.4; }}
/* overview */
table.glance {{ table-layout: fixed; }}
table.glance col.c-pdu {{ width: 22%; }}
table.glance col.c-letter {{ width: 4.8%; }}
table.glance col.c-overall {{ width: 23%; }}
table.glance col.c-points {{ width: 11.8%; }}
table.glance td.pdu-name {{ font-weight: 700; }}
table.glance td.letter, table.glance th.letter {{ text-align: center; padding: 0.12rem 0.1rem; }}
table.glance tr.held td {{ border-top: none; padding-top: 0; padding-bottom: 0.3rem; }}
table.glance tr.pdu-row td {{ border-bottom: none; padding-top: 0.3rem; }}
.key {{ margin-top: 0.3rem; }}
/* PDU page */
.pdu-head {{ display: flex; justify-content: space-between; align-items: flex-start; border-bottom: 1.5pt solid #0B0C0C;
  padding-bottom: 0.25rem; margin-bottom: 0.1rem; }}
.pdu-head .who {{ flex: 1 1 auto; padding-right: 0.6rem; }}
.pdu-head .overall {{ flex: 0 0 auto; text-align: right; }}
body.pack .pdu-head .overall .badge {{ font-size: 1.2rem; }}
.pdu-head .points {{ font-size: 1.1rem; font-weight: 700; margin: 0.1rem 0 0; }}
/* the PDU page's tables are set in the narrow face (still 10pt on A4) so each page fits one sheet */
table.standards, table.recs {{ font-family: "Liberation Sans Narrow", "Arial Narrow", "Liberation Sans", Arial, sans-serif; }}
table.standards {{ table-layout: fixed; }}
table.standards col.c-std {{ width: 15%; }}
table.standards col.c-rating {{ width: 21.5%; }}
table.standards col.c-set {{ width: 29%; }}
table.standards col.c-yes {{ width: 12%; }}
table.standards col.c-next {{ width: 13%; }}
table.standards col.c-firm {{ width: 9.5%; }}
table.standards td.next {{ white-space: nowrap; }}
table.standards th.span {{ text-align: center; font-weight: 400; background: #F3F2F1; }}
table.standards td.judged {{ color: #333; font-style: italic; }}
.two {{ display: grid; grid-template-columns: minmax(0, 11fr) minmax(0, 9fr); column-gap: 0.8rem; }}
/* minmax(0, ...): the columns are 11:9 of the width, as '11fr 9fr' lays them out here, but WeasyPrint
   need not measure every word's min-content width first (the same PDF bytes, half the layout time) */
.two > section {{ border-top: 0.75pt solid #6F777B; }}
table.recs {{ table-layout: fixed; }}
table.recs col.c-no {{ width: 4.5%; }}
table.recs col.c-rec {{ width: 41%; }}
table.recs col.c-rec-only {{ width: 95.5%; }}
table.recs col.c-prog {{ width: 54.5%; }}
ol.questions li {{ margin-bottom: 0.15rem; }}
.found p {{ margin: 0.2rem 0 0.1rem; font-family: "Liberation Sans Narrow", "Arial Narrow", "Liberation Sans", Arial, sans-serif; }}
.found .found-head {{ font-size: 1.1rem; }}
.found .src, .claim .src {{ color: #333; }}
.claim {{ border-top: 0.75pt solid #6F777B; }}
.claim p {{ margin: 0.1rem 0; }}
.page-legend {{ margin-top: 0.3rem; border-top: 0.75pt solid #6F777B; padding-top: 0.15rem; }}
.page-legend .badge-legend {{ margin: 0; font-size: 1rem; line-height: 1.35; }}
/* PDU pages are set a little tighter than the cover, so a full page (six recommendations with
   progress) fits one sheet; a page that still runs over is set again in the denser style */
.pdu {{ line-height: 1.12; }}
.pdu h3 {{ margin: 0.3rem 0 0.1rem; }}
.pdu th, .pdu td {{ padding: 0.05rem 0.25rem; }}
.pdu.dense {{ line-height: 1.04; }}
.pdu.dense h3 {{ margin: 0.2rem 0 0.05rem; }}
.pdu.dense th, .pdu.dense td {{ padding: 0 0.2rem; }}
.pdu.dense p, .pdu.dense li {{ margin: 0.05rem 0; }}
.pdu.dense .warning {{ padding: 0.1rem 0.4rem; margin-bottom: 0.2rem; }}
.pdu.dense .pdu-head {{ padding-bottom: 0.1rem; }}
.pdu.dense .found p {{ margin: 0.1rem 0 0; }}
.pdu.dense .page-legend {{ margin-top: 0.1rem; padding-top: 0.05rem; }}
.pdu.tight h3 {{ margin: 0.12rem 0 0; }}
.pdu.tight ol.questions li {{ margin: 0; }}
.pdu.tight .page-legend {{ margin-top: 0.05rem; padding-top: 0; }}
/* "Since the inspection" (a PDU with case audits): words on the left, one small chart on the right;
   on a page short of room, one line */
.since {{ display: grid; grid-template-columns: minmax(0, 1fr) 33%; column-gap: 0.8rem; border-top: 0.75pt solid #6F777B; }}
.since p, .since-line {{ font-family: "Liberation Sans Narrow", "Arial Narrow", "Liberation Sans", Arial, sans-serif; }}
.since p {{ margin: 0.1rem 0; }}
.since-line {{ border-top: 0.75pt solid #6F777B; margin: 0.25rem 0 0; padding-top: 0.05rem; }}
.since-line .found-head {{ font-size: 1.1rem; }}
figure.since-chart {{ margin: 0.3rem 0 0; font-family: "Liberation Sans Narrow", "Arial Narrow", "Liberation Sans", Arial, sans-serif; }}
.since-chart .cap {{ font-weight: 700; margin: 0 0 0.1rem; }}
.since-chart .bar-row {{ display: flex; align-items: center; margin: 0.12rem 0; }}
.since-chart .bar-label {{ flex: 0 0 8.8rem; line-height: 1.05; }}
.since > * {{ min-width: 0; }}
.since-chart .bar {{ flex: 1 1 auto; min-width: 0; display: flex; border: 0.75pt solid #0B0C0C; }}
.since-chart .seg {{ display: block; flex: 0 0 auto; min-width: 0; white-space: nowrap; overflow: hidden; text-align: center;
  font-weight: 700; line-height: 1.3; border-left: 0.75pt solid #0B0C0C; }}
.since-chart .seg:first-child {{ border-left: none; }}
.since-now {{ margin: 0 0 0.1rem; font-family: "Liberation Sans Narrow", "Arial Narrow", "Liberation Sans", Arial, sans-serif; }}
.pdu.dense .since p {{ margin: 0.05rem 0; }}
.pdu.dense .since-line {{ margin-top: 0.1rem; padding-top: 0; border-top: none; }}
.pdu.dense .since-line .found-head {{ font-size: 1rem; }}
.pdu.dense figure.since-chart {{ margin-top: 0.15rem; }}
/* methods */
.methods dt {{ font-weight: 700; margin-top: 0.3rem; }}
.methods dd {{ margin: 0 0 0 0; }}
.methods .glossary dt {{ display: inline; }}
.methods .glossary dd {{ display: inline; }}
.methods .glossary div {{ margin: 0.12rem 0; }}
@media print {{
  .cover .contents a::after {{ content: leader(". ") " page " target-counter(attr(href), page); }}
}}
@media screen {{
  html {{ font-size: 12pt; }}
  body.pack {{ background: #F3F2F1; padding: 1rem 0; }}
  .page {{ background: #FFFFFF; max-width: 200mm; margin: 0 auto 1.2rem; padding: 12mm;
    box-shadow: 0 0 4px rgba(0,0,0,0.3); }}
  .pack table.glance, .pack table.standards, .pack table.recs {{ table-layout: auto; }}
  .pack col {{ width: auto !important; }}
  .since {{ grid-template-columns: 1fr 45%; }}
}}
"""


# --- Sections -------------------------------------------------------------------------------------
def _legend() -> str:
    items = ", ".join(
        f"{badge_html(label, size='letter')} {esc(label)}"
        for label in (*RATING_LABELS, "Not published")
    )
    return f'<p class="badge-legend">Ratings: {items}</p>'


def _status_legend() -> str:
    items = ", ".join(status_badge(s.label) for s in reversed(PROGRESS_STATUSES))
    return f'<p class="badge-legend">Progress: {items}</p>'


def cover_html(pack: ScrutinyPack) -> str:
    parts = ['<section class="page cover" id="cover">']
    if pack.simulated:
        parts.append(
            '<div class="warning" role="note"><strong>SIMULATED CASE DATA.</strong> Part of this pack '
            "is built on a simulated case sample, made to agree with HMIP's published ratings. It shows "
            "how the pack works and is NOT evidence about any real PDU's cases. Figures built on it are "
            f"marked {_sim(True)} on every page.</div>"
        )
    parts.append(f"<h1>{esc(pack.title)}</h1>")
    parts.append(
        '<p class="subtitle">HM Inspectorate of Probation (HMIP) ratings of Probation Delivery Units, '
        "for council scrutiny committees and community safety partnerships</p>"
    )
    parts.append("<dl>")
    parts.append(f"<dt>Region</dt><dd>{esc(pack.region)}</dd>")
    parts.append(f"<dt>Inspection year</dt><dd>{esc(pack.year)}</dd>")
    parts.append(
        "<dt>What the figures are built on</dt><dd><ul>"
        + "".join(f"<li>{esc(b)}</li>" for b in pack.data_basis)
        + "</ul></dd>"
    )
    parts.append(
        f"<dt>Disclosure rule for counts of people</dt><dd>{esc(pack.disclosure)} Counts of cases "
        "per PDU and key question are inspection sample sizes, shown as HMIP publishes them.</dd>"
    )
    parts.append(f"<dt>Built</dt><dd>{esc(pack.built_on)}</dd>")
    parts.append("</dl>")
    parts.append('<h2 id="how">How to read a PDU page</h2>')
    parts.append(
        "<p>Every PDU page has the same sections in the same places, so a reader who learns one "
        "page can read them all:</p><dl class='how'>"
        + "".join(
            f"<div><dt>{esc(k)}:</dt> <dd style='display:inline;margin:0'>{esc(v)}</dd></div>"
            for k, v in pack.how_to_read
        )
        + "</dl>"
    )
    parts.append('<div class="legend">' + _legend() + _status_legend() + "</div>")
    parts.append('<h2 id="contents">Contents</h2><ul class="contents">')
    parts.append('<li><a href="#overview">The region at a glance</a></li>')
    for i, p in enumerate(pack.pages, start=1):
        parts.append(f'<li><a href="#pdu-{i}">{esc(p.pdu)}</a></li>')
    parts.append('<li><a href="#methods">Methods and glossary</a></li></ul>')
    parts.append("</section>")
    return "".join(parts)


def overview_html(pack: ScrutinyPack) -> str:
    cols = pack.standard_columns
    parts = ['<section class="page overview" id="overview" aria-labelledby="overview-title">']
    if pack.simulated:
        parts.append(f'<div class="warning" role="note">{esc(SIMULATED_WARNING)}</div>')
    parts.append(f'<h2 id="overview-title">{esc(pack.region)} at a glance</h2>')
    parts.append(
        "<p>HMIP's ratings of every inspected PDU, standard by standard (letters; see the key below "
        "the table), the overall rating and points, and under each PDU what held it back most.</p>"
    )
    parts.append(
        '<table class="glance"><colgroup><col class="c-pdu">'
        + '<col class="c-letter">' * len(cols)
        + '<col class="c-overall"><col class="c-points"></colgroup>'
    )
    parts.append('<thead><tr><th scope="col">PDU</th>')
    for code, name in cols:
        parts.append(f'<th scope="col" class="letter" title="{esc(name)}">{esc(code)}</th>')
    parts.append('<th scope="col">Overall</th><th scope="col">Points</th></tr></thead><tbody>')
    for i, p in enumerate(pack.pages, start=1):
        parts.append(
            f'<tr class="pdu-row"><td class="pdu-name"><a href="#pdu-{i}">{esc(p.pdu)}</a></td>'
        )
        for s in p.standards:
            parts.append(f'<td class="letter">{_rating_badge(s.rating, "letter")}</td>')
        parts.append(f"<td>{_rating_badge(p.overall, 'small')}</td>")
        pts = (
            f"{p.points} of {p.max_points}" + (" (implied)" if p.points_basis == "implied" else "")
            if p.points is not None
            else "not published"
        )
        parts.append(f"<td>{esc(pts)}</td></tr>")
        parts.append(
            f'<tr class="held"><td colspan="{len(cols) + 3}">Held back most: {esc(p.held_back)}'
            f"{_sim(p.simulated)}</td></tr>"
        )
    parts.append("</tbody></table>")
    parts.append(
        '<p class="key"><strong>Standards:</strong> '
        + "; ".join(f"{esc(code)} {esc(name)}" for code, name in cols)
        + ".</p>"
    )
    parts.append(_legend())
    if pack.region_facts:
        parts.append(f"<h3>Across {esc(pack.region)} (published by HMIP)</h3><ul>")
        parts.append("".join(f"<li>{esc(f)}</li>" for f in pack.region_facts))
        parts.append("</ul>")
    claimed = next((p for p in pack.pages if p.claim), None)
    if claimed is not None:
        parts.append(_claim(claimed))
    parts.append("</section>")
    return "".join(parts)


def _standards_table(p: PduPage) -> str:
    rows = [
        '<table class="standards"><colgroup><col class="c-std"><col class="c-rating"><col class="c-set">'
        '<col class="c-yes"><col class="c-next"><col class="c-firm"></colgroup><thead>'
        '<tr><th scope="col">Standard</th><th scope="col">HMIP rating</th>'
        '<th scope="col">Key question that set the band</th>'
        '<th scope="col">Sufficient</th>'
        '<th scope="col">Next band</th>'
        '<th scope="col">How firm</th></tr></thead><tbody>'
    ]
    for s in p.standards:
        note = "implied" if s.basis == "implied" else ""
        rows.append(
            f'<tr><th scope="row">{esc(s.code)} {esc(s.name)}</th>'
            f"<td>{_rating_badge(s.rating, 'small', note)}</td>"
        )
        if not s.case_sample:
            rows.append(
                '<td class="judged" colspan="4">Judged by inspectors, not from the case sample</td></tr>'
            )
            continue
        if s.sample_rating is None:
            rows.append('<td colspan="4">Not available: no case data for this PDU</td></tr>')
            continue
        band = _rating_badge(s.sample_rating, "letter")
        rows.append(
            f"<td>{band} {esc(s.limiting)}</td>"
            f"<td>{s.limiting_yes} of {s.limiting_n} ({esc(_pct(s.limiting_share))})</td>"
        )
        if s.next_rating is None:
            rows.append("<td>already the top band</td>")
        else:
            rows.append(
                f'<td class="next">{s.more_needed_total} more for {_rating_badge(s.next_rating, "letter")}</td>'
            )
        rows.append(f"<td>{esc(s.firmness_text)}</td></tr>")
    rows.append("</tbody></table>")
    return "".join(rows)


def _pct(x) -> str:
    return percent(x, unknown="not available")


def _recommendations(p: PduPage) -> str:
    # the note (where the progress comes from) runs into the section's heading, saving a line
    note = (
        f' <span class="h-note note">{esc(p.recommendations_note)}</span>'
        if p.recommendations_note
        else ""
    )
    parts = [f"<h3>4. Recommendations and progress{note}</h3>"]
    if not p.recommendations:
        return "".join(parts)
    with_progress = p.progress_basis is not None
    rec_col = "c-rec" if with_progress else "c-rec-only"  # without progress, the text takes the row
    parts.append(f'<table class="recs"><colgroup><col class="c-no"><col class="{rec_col}">')
    parts.append('<col class="c-prog">' if with_progress else "")
    parts.append(
        '</colgroup><thead><tr><th scope="col">No.</th><th scope="col">Recommendation</th>'
        + ('<th scope="col">Progress</th>' if with_progress else "")
        + "</tr></thead><tbody>"
    )
    for r in p.recommendations:
        parts.append(f"<tr><td>{r.number}</td><td>{esc(r.text)}</td>")
        if with_progress:
            if r.status is None:
                parts.append("<td>No progress reported for this recommendation</td>")
            else:
                evidence = r.evidence or "no evidence given"
                parts.append(
                    f"<td>{status_badge(r.status)} <strong>{esc(date_words(r.date))}:</strong> "
                    f"{esc(r.action)}. <em>Evidence:</em> {esc(evidence)}</td>"
                )
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _findings(p: PduPage) -> str:
    """What HMIP found, first on the page: each statement with what it is about and its source."""
    if not p.findings:
        return ""
    items = " ".join(
        f'<strong>{esc(f.about)}:</strong> {esc(f.text)} <span class="src">({esc(f.source)})</span>'
        for f in p.findings
    )
    # one paragraph, its heading run in, so the page keeps to one sheet
    return (
        '<section class="found"><p><strong class="found-head">What HMIP found</strong> '
        f'<span class="h-note">(published; real, not simulated):</span> {items}</p></section>'
    )


def _claim(p: PduPage) -> str:
    """The "somewhere in the middle" claim tested, from the page of the PDU it was made about; shown on
    the region-at-a-glance page (the PDU's own page has no room left on one sheet)."""
    if not p.claim:
        return ""
    head, *rest = p.claim
    return (
        f'<section class="claim" id="claim"><h3>{esc(p.pdu)}: the &#8220;middle&#8221; claim, '
        'tested <span class="h-note">(published ratings)</span></h3>'
        + f"<p>{esc(head)}</p>"
        + "".join(f"<p>{esc(t)}</p>" for t in rest)
        + "</section>"
    )


def _since_chart(since: SinceSection) -> str:
    """The small chart: HMIP's overall rating at the inspection, and the chance of each rating if HMIP
    inspected a fresh sample now (a 100% bar in the rating colours, each part with its letter and
    chance). Drawn in HTML, so the HTML stays self-contained and the PDF keeps its text."""

    def seg(label: str, width: float, text: str) -> str:
        style = RATING_STYLES[label]
        return (
            f'<span class="seg" style="width:{100 * width:.2f}%;background-color:{style.fill};'
            f'color:{style.text}">{esc(text)}</span>'
        )

    if since.published in RATING_STYLES:
        code = RATING_STYLES[since.published].letter
        before = seg(since.published, 1.0, f"{code} {since.published}")
    else:
        before = f'<span class="seg">{esc(since.published)}</span>'
    shown = [(lab, p) for lab, p in since.chances if p >= 0.005]
    now = "".join(
        seg(
            lab,
            p,
            f"{RATING_STYLES[lab].letter} {percent(p, compact=True)}" if p >= 0.12 else "",
        )
        for lab, p in shown
    )
    return (
        f'<figure class="since-chart" role="img" aria-label="{esc(since.chart_text)}">'
        f'<p class="cap">Overall rating</p>'
        f'<div class="bar-row"><span class="bar-label">At the inspection (published)</span>'
        f'<span class="bar">{before}</span></div>'
        f'<div class="bar-row"><span class="bar-label">If inspected now{_sim(since.simulated)}</span>'
        f'<span class="bar">{now}</span></div></figure>'
    )


def _since_note(since: SinceSection) -> str:
    return (
        "SIMULATED audits, not the PDU's results"
        if since.audits_simulated
        else "the PDU's own case audits, against the inspection's sample"
    )


def _since(p: PduPage, number: int, compact: int = 0) -> str:
    """ "Since the inspection" (pages of PDUs with case audits): the verdict and what a fresh
    inspection would give now, beside the small chart; on a page short of room (``compact``) the
    same in two lines without the chart (1), or the verdict alone in one line (2)."""
    s = p.since
    if s is None:
        return ""
    if compact:
        what = "SIMULATED audits" if s.audits_simulated else "the PDU's own case audits"
        line = (
            f'<p class="since-line"><strong class="found-head">{number}. Since the inspection</strong> '
            f'<span class="h-note">({what}{_sim(s.simulated)}):</span> {esc(s.short)}</p>'
        )
        if compact == 1 and s.now_short:
            line += f'<p class="since-now">{esc(s.now_short)}{_sim(s.simulated)}</p>'
        return line
    note = _since_note(s)
    return (
        '<section class="since"><div>'
        f'<h3>{number}. Since the inspection <span class="h-note">({esc(note)}{_sim(s.simulated)})</span></h3>'
        f"<p>{esc(s.verdict)}{_sim(s.simulated)}</p>"
        + (f"<p>{esc(s.now)}{_sim(s.simulated)}</p>" if s.now else "")
        + "</div>"
        + (_since_chart(s) if s.chances else "<div></div>")
        + "</section>"
    )


def pdu_html(p: PduPage, index: int, region: str, *, compact: int = 0) -> str:
    sid = f"pdu-{index}"
    parts = [f'<section class="page pdu" id="{sid}" aria-labelledby="{sid}-title">']
    if p.simulated:
        parts.append(f'<div class="warning" role="note">{esc(SIMULATED_WARNING)}</div>')
    meta = [esc(p.region)]
    meta.append(
        f"inspected {esc(p.inspected)}"
        if p.inspected != NOT_PUBLISHED
        else "inspection date not published"
    )
    meta.append(
        f"report published {esc(p.published_on)}"
        if p.published_on != NOT_PUBLISHED
        else "report not published"
    )
    if p.cases is not None:
        meta.append(f"{p.cases} cases in the sample{_sim(p.simulated)}")
    else:
        meta.append("no case sample in the data given")
    overall_note = "implied" if p.overall_basis == "implied" else ""
    parts.append(
        f'<header class="pdu-head"><div class="who"><h2 id="{sid}-title">{esc(p.pdu)}</h2>'
        f'<p class="meta">{" · ".join(meta)}</p>'
        + "".join(f'<p class="note">{esc(n)}</p>' for n in p.notes)
        + '</div><div class="overall">'
        f"<p>Overall: {_rating_badge(p.overall, 'normal', overall_note)}</p>"
        f'<p class="points">{esc(p.points_text)}</p></div></header>'
    )
    parts.append(_findings(p))
    parts.append(
        "<h3>1. The nine standards <span class='h-note'>(columns 3 to 6 from this PDU&#8217;s case "
        f"sample{_sim(p.simulated)})</span></h3>"
    )
    parts.append(_standards_table(p))
    parts.append(
        f"<p><strong>Overall rating:</strong> {esc(p.overall_firmness)}"
        f"{_sim(p.overall_p_same is not None and p.simulated)}</p>"
    )
    parts.append('<div class="two"><section>')
    parts.append(f"<h3>2. Position in {esc(region)}</h3>")
    parts.append(f"<p>{esc(p.position.published)}</p>")
    if p.position.national:
        parts.append(f"<p>{esc(p.position.national)}</p>")
    if p.position.text:
        parts.append(f"<p>{esc(p.position.text)}{_sim(p.position.simulated)}</p>")
    else:
        parts.append(
            "<p>Position on the case sample: not available (no case data for this PDU).</p>"
        )
    parts.append("</section><section>")
    parts.append("<h3>3. Equality: ethnic minority and White people</h3>")
    parts.append(f"<p>Share of cases judged sufficient on {esc(p.equality.measure.lower())}.</p>")
    parts.append(f"<p>{esc(p.equality.text)}{_sim(p.equality.simulated)}</p>")
    parts.append("</section></div>")
    parts.append(_recommendations(p))
    parts.append(_since(p, 5, compact))
    n = 6 if p.since is not None else 5
    parts.append(f"<h3>{n}. Three questions a member could ask</h3><ol class='questions'>")
    parts.append("".join(f"<li>{esc(q.text)}{_sim(q.simulated)}</li>" for q in p.questions))
    parts.append("</ol>")
    parts.append(f'<div class="page-legend">{_legend()}</div>')
    parts.append(f'<span id="{sid}-end"></span></section>')
    return "".join(parts)


def methods_html(pack: ScrutinyPack) -> str:
    parts = ['<section class="page methods" id="methods" aria-labelledby="methods-title">']
    parts.append('<h2 id="methods-title">Methods and glossary, in plain words</h2><dl>')
    for head, text in pack.methods:
        parts.append(f"<dt>{esc(head)}</dt><dd>{esc(text)}</dd>")
    parts.append("</dl>")
    parts.append('<h3>Glossary</h3><dl class="glossary">')
    for term, text in pack.glossary:
        parts.append(f"<div><dt>{esc(term)}:</dt> <dd>{esc(text)}</dd></div>")
    parts.append("</dl>")
    sources = sorted({r.source for p in pack.pages for r in p.recommendations})
    if sources:
        parts.append("<p><strong>Recommendations:</strong> " + esc("; ".join(sources)) + ".</p>")
    parts.append("<h3>Files used</h3><ul>")
    for s in pack.sources:
        parts.append(
            f"<li>{esc(s['name'])} ({esc(s['basis'])}), SHA-256 {esc(s['sha256'][:16])}...</li>"
        )
    parts.append("</ul>")
    params = "; ".join(f"{k} = {v}" for k, v in pack.parameters.items())
    parts.append(f'<p class="muted">Built with: {esc(params)}.</p>')
    parts.append("</section>")
    return "".join(parts)


def render_html(
    pack: ScrutinyPack,
    *,
    dense: frozenset[int] = frozenset(),
    compact: dict[int, int] | None = None,
) -> str:
    """The whole pack as one self-contained HTML document (no external resources). Pages in
    ``dense`` are set in the denser style; ``compact`` (page -> 1 or 2) gives a page's "Since the
    inspection" in two lines or one."""
    body = [cover_html(pack), overview_html(pack)]
    compact = compact or {}
    for i, p in enumerate(pack.pages, start=1):
        page = pdu_html(p, i, pack.region, compact=compact.get(i, 0))
        if i in dense:
            tight = " tight" if compact.get(i, 0) >= 2 else ""  # the last setting: every gap closed
            page = page.replace('class="page pdu"', f'class="page pdu dense{tight}"', 1)
        body.append(page)
    body.append(methods_html(pack))
    description = (
        f"Scrutiny pack of HMIP probation inspection ratings for {pack.region}, {pack.year}"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(pack.title)}</title>"
        f'<meta name="description" content="{esc(description)}">'
        '<meta name="author" content="hmip-analytics">'
        f"<style>{BADGE_CSS}{pack_css(pack.paper)}</style></head>"
        f'<body class="pack paper-{esc(pack.paper.lower())}">' + "".join(body) + "</body></html>"
    )


# --- PDF ------------------------------------------------------------------------------------------
def overflowing_pages(document, n_pdus: int) -> list[int]:
    """PDU pages (1-based) whose end lies on a later printed page than their start."""
    where = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            where.setdefault(anchor, number)
    return [
        i
        for i in range(1, n_pdus + 1)
        if where.get(f"pdu-{i}") is not None and where.get(f"pdu-{i}-end") != where.get(f"pdu-{i}")
    ]


class PageOverflowError(HmipError):
    """A PDU's page runs over one printed page even in the dense setting; the pack is not written."""


def layout(pack: ScrutinyPack):
    """(html, WeasyPrint document) with every PDU page on one printed page where possible: a page
    that runs over is set in the denser style; then, if it has "Since the inspection", that section
    is given in two lines, then one (its chart left out: the audit-progress report and the workbook
    have its figures)."""
    from weasyprint import HTML

    # each page's setting: 0 as designed, 1 dense, 2 dense with "Since the inspection" in two lines,
    # 3 in one line; a page without that section goes no further than 1
    level = {i: 0 for i in range(1, len(pack.pages) + 1)}
    top = {i: 3 if p.since is not None else 1 for i, p in enumerate(pack.pages, start=1)}
    for _ in range(4):
        dense = frozenset(i for i, v in level.items() if v >= 1)
        compact = {i: v - 1 for i, v in level.items() if v >= 2}
        text = render_html(pack, dense=dense, compact=compact)
        document = HTML(string=text).render(pdf_variant=PDF_VARIANT)
        over = overflowing_pages(document, len(pack.pages))
        bump = [i for i in over if level[i] < top[i]]
        if not bump:
            break
        for i in bump:
            level[i] += 1
    if over:  # never publish a page that runs over: the build fails, and nothing is written
        names = ", ".join(pack.pages[i - 1].pdu for i in over)
        raise PageOverflowError(
            f"the page for {names} runs over one {pack.paper} page even in the dense setting; "
            "nothing was written: shorten the progress file's text (action and evidence)"
        )
    return text, document


def _atomic_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_pack(pack: ScrutinyPack, out_dir: Path) -> list[Path]:
    """scrutiny-pack-<region>.html and .pdf in ``out_dir``."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    text, document = layout(pack)
    html_path, pdf_path = (
        out_dir / names.pack_html(pack.region),
        out_dir / names.pack_pdf(pack.region),
    )
    _atomic_bytes(html_path, text.encode("utf-8"))
    _atomic_bytes(pdf_path, document.write_pdf(pdf_variant=PDF_VARIANT))
    return [pdf_path, html_path]


def build_pack(
    region: str,
    out_dir: Path,
    *,
    paper: str = "A4",
    cases_path: str = "",
    counts_path: str = "",
    progress_path: str = "",
    audits_path: str = "",
) -> list[Path]:
    """Build the scrutiny pack for one region: the PDF and HTML, the workbook, the CSVs and their data
    dictionary, all in ``out_dir``. Returns the paths written (PDF first). ``audits_path``: the case
    audits behind "Since the inspection" ("" the bundled SIMULATED example series; "none" leaves the
    section out)."""
    from hmip.analyses import scrutiny_pack

    pack = scrutiny_pack.prepare(
        region=region,
        paper=paper,
        cases_path=cases_path,
        counts_path=counts_path,
        progress_path=progress_path,
        audits_path=audits_path,
    )
    return write_pack(pack, out_dir) + write_data(pack, out_dir)

"""The London comparison's charts."""

from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hmip.present.badges import RATING_STYLES
from hmip.present.charts.frame import (
    _BAND_ALPHA,
    CATEGORICAL,
    CONTEXT,
    FOCUS,
    LABEL_SIZE,
    MID_BLUE,
    SECONDARY,
    SMALL_SIZE,
    TEXT,
    TEXT_SIZE,
    WIDTH,
    _band_edges,
    _finish,
    _frame,
    _funnel_meta,
    _interval_dots,
    _line_height,
    _lines,
    _num,
    _open,
    _parse_rating,
    _percent_axis,
    _rating_finding,
    _rating_key,
    _Row,
    _row_axis,
    _sentence,
    _shade_bands,
    _style,
    _styled,
    _text_width,
    _wrap,
    _xaxis_height,
)
from hmip.rules.framework import Framework
from hmip.rules.ratings import Rating


# --- London comparison ----------------------------------------------------------------------------------
@_styled
def ratings_grid(
    grid: pd.DataFrame,
    *,
    title: str | None = None,
    highlight: str | None = None,
    overall: Mapping[str, object] | pd.Series | None = None,
    framework: Framework | None = None,
) -> Figure:
    """PDUs by standards as rating badges: the letter on the rating's fill in every cell, and
    unknown ratings as grey "?" cells. ``overall`` (PDU -> overall rating) adds an Overall column."""
    fw, _, fig = _open(framework=framework)
    ax = fig.add_subplot()
    cols = [(str(s), f"{fw.standard(s).code} {fw.standard(s).name}") for s in grid.columns]
    if overall is not None:
        cols.append(("", "Overall rating"))
    xs = [j + (0.35 if key == "" else 0) for j, (key, _) in enumerate(cols)]
    present: set[str] = set(Rating.labels())
    known: list[Rating] = []
    unknown = 0
    alt_rows = []
    for i, pdu in enumerate(grid.index):
        alt_cells = []
        for (key, name), x in zip(cols, xs, strict=True):
            rating = _parse_rating(overall.get(pdu) if key == "" else grid.loc[pdu, key])
            style = _style(rating)
            present.add(style.label)
            if key and isinstance(rating, Rating):
                known.append(rating)
            elif key and rating is None:
                unknown += 1
            ax.add_patch(
                Rectangle(
                    (x + 0.05, i + 0.06),
                    0.9,
                    0.88,
                    facecolor=style.fill,
                    edgecolor=style.border,
                    lw=0.8,
                    ls="--" if style.label == "Not rated" else "-",
                )
            )
            ax.text(
                x + 0.5,
                i + 0.5,
                style.letter,
                ha="center",
                va="center",
                fontsize=11,
                fontweight="bold",
                color=style.text,
            )
            alt_cells.append(f"{name} {style.label if rating is not None else 'not published'}")
        alt_rows.append(f"{pdu}: " + ", ".join(alt_cells))

    labels = [_wrap(fig, str(p), 1.8, LABEL_SIZE) for p in grid.index]
    ax.set_yticks(np.arange(len(labels)) + 0.5, labels)
    for lab, pdu in zip(ax.get_yticklabels(), grid.index, strict=True):
        if highlight and str(pdu) == highlight:
            lab.set_fontweight("bold")
    ax.set_xticks(
        [x + 0.5 for x in xs],
        [name for _, name in cols],
        rotation=40,
        ha="left",
        rotation_mode="anchor",
    )
    ax.xaxis.tick_top()
    ax.tick_params(length=0, pad=2)
    ax.grid(False)
    for s in ax.spines.values():
        s.set_visible(False)
    ax.set_xlim(0, xs[-1] + 1)
    ax.set_ylim(len(labels), 0)

    if title is None:
        if overall is not None:
            ratings = [_parse_rating(overall.get(p)) for p in grid.index]
            title = _rating_finding(
                [r for r in ratings if isinstance(r, Rating)], "PDUs", "were rated"
            )
        else:
            title = _rating_finding(known, "published standard ratings", "are")
    subtitle = (
        f"{unknown} of {len(known) + unknown} standard ratings were not published (shown as ?)"
        if unknown
        else ""
    )
    cell = max(0.42, max(_lines(t) for t in labels) * _line_height(LABEL_SIZE) + 0.06)
    header = max(_text_width(fig, name, LABEL_SIZE) for _, name in cols) * math.sin(
        math.radians(40)
    )
    _frame(
        fig,
        title=title,
        subtitle=subtitle,
        content_height=len(labels) * cell + header + 0.2,
        key=_rating_key([label for label in RATING_STYLES if label in present]),
    )
    alt = (
        f"Grid of ratings, {len(labels)} PDUs by {len(grid.columns)} rated standards. "
        + "; ".join(alt_rows)
    )
    return _finish(fig, title, alt)


@_styled
def points_chart(
    summary: pd.DataFrame,
    *,
    title: str | None = None,
    max_points: int | None = None,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Total points per PDU against the overall bands (``max_points``: default the framework's full
    scale). Published points are solid bars; where HMIP published a rating but no points, a dashed
    span covers that rating's band (a published fact, never a simulated figure); points recomputed from
    case data (where neither was published) are outlined and say so."""
    fw, simulated, fig = _open(summary, simulated, framework)
    if max_points is None:
        max_points = fw.overall_scales[0].max_points
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    ax = fig.add_subplot()
    rows = [_Row()] + [_Row(None, str(p), i) for i, p in enumerate(summary["pdu"])]
    centres, total = _row_axis(fig, ax, rows, 1.8, min_height=0.34)
    for b in scale.bands:
        r = Rating.parse(b.rating)
        ax.axvspan(
            b.low - 0.5,
            b.high + 0.5,
            color=RATING_STYLES[r.label].fill,
            alpha=_BAND_ALPHA,
            lw=0,
            zorder=0,
        )
        ax.text(
            (b.low + b.high) / 2,
            centres[0],
            f"{r.code}  {b.low}-{b.high}",
            ha="center",
            va="center",
            fontsize=LABEL_SIZE,
            fontweight="bold",
            color=TEXT,
        )
    source = "simulated" if simulated else "recomputed"
    bands = {Rating.parse(b.rating): b for b in scale.bands}
    alt, any_band, any_recomputed = [], False, False
    for y, row in zip(centres[1:], summary.itertuples(), strict=True):
        published = pd.notna(row.published_points)
        rating = _parse_rating(row.published_rating)
        band = None if published or not isinstance(rating, Rating) else bands.get(rating)
        if band is not None:
            # points not published: the band HMIP's published rating puts them in (a published fact;
            # never points recomputed from a simulated sample or simulated organisational ratings)
            any_band = True
            ax.barh(
                y,
                band.high - band.low,
                left=band.low,
                color="white",
                edgecolor=FOCUS,
                lw=1.2,
                ls="--",
                height=0.2,
                zorder=2,
            )
            words = f"not published; {rating.code} means {band.low}-{band.high}"
            ax.text(band.high + 0.4, y, words, va="center", fontsize=LABEL_SIZE, color=TEXT)
            alt.append(f"{row.pdu} points {words}")
            continue
        pts = row.published_points if published else row.recomputed_points
        if pd.isna(pts):
            ax.text(0, y, "points not known", va="center", fontsize=SMALL_SIZE, color=SECONDARY)
            alt.append(f"{row.pdu} points not known")
            continue
        pts = int(pts)
        any_recomputed |= not published
        ax.barh(
            y,
            max(pts, 0.12),
            left=0 if pts else -0.5,
            color=FOCUS if published else "white",
            edgecolor=FOCUS,
            lw=1.2,
            height=0.2,
            zorder=2,
        )
        implied = published and getattr(row, "points_basis", "") == "implied"
        ax.text(
            max(pts, 0) + 0.4,
            y,
            (f"{pts} (implied)" if implied else f"{pts}") if published else f"{pts} ({source})",
            va="center",
            fontsize=LABEL_SIZE,
            fontweight="bold" if published else "normal",
            color=TEXT,
        )
        alt.append(
            f"{row.pdu} {pts}"
            + ((" (implied)" if implied else "") if published else f" ({source})")
        )
    ax.set_xlim(-0.5, max_points + 0.5)
    ax.xaxis.set_major_locator(mticker.FixedLocator([b.low for b in scale.bands] + [max_points]))
    ax.grid(False)
    xlabel = f"Points (0-{max_points}): each rated standard scores I 0, RI 1, G 2, O 3"
    ax.set_xlabel(xlabel)
    if title is None:
        ratings = [_parse_rating(v) for v in summary["published_rating"]]
        k = sum(r == Rating.INADEQUATE for r in ratings if isinstance(r, Rating))
        low = scale.bands[0]
        title = _sentence(
            f"{_num(k)} of {_num(len(summary))} PDUs were rated Inadequate ({low.low}-{low.high} points)"
        )
    basis = "recomputed from simulated cases" if simulated else "recomputed from the case data"
    keys = ["Solid bars: published points"] if any_band or any_recomputed else []
    if any_band:
        keys.append("dashed: points not published, the band of the published rating")
    if any_recomputed:
        keys.append(f"outlined: not published, {basis}")
    subtitle = "; ".join(keys)
    _frame(
        fig,
        title=title,
        subtitle=subtitle,
        content_height=total + _xaxis_height(xlabel),
        key=_rating_key(),
    )
    alt = "Bar chart of total points per PDU: " + "; ".join(alt)
    return _finish(fig, title, (subtitle + ". " if subtitle else "") + alt, subtitle)


@_styled
def key_question_shares(
    shares: pd.DataFrame,
    standard: str,
    *,
    title: str | None = None,
    highlight: str | None = None,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """One standard, a panel per key question: each PDU's share of cases judged sufficient with
    its interval, against the rating bands; n in the labels."""
    fw, simulated, fig = _open(shares, simulated, framework)
    std = fw.standard(standard)
    sub = shares[shares["standard"] == std.id]
    pdus = list(dict.fromkeys(sub["pdu"]))
    kqs = list(std.key_questions)
    axes = fig.subplots(1, len(kqs), sharey=True, squeeze=False)[0]
    n_range = sub.groupby("pdu", sort=False)["n"].agg(["min", "max"])
    labels = []
    for p in pdus:
        lo, hi = int(n_range.loc[p, "min"]), int(n_range.loc[p, "max"])
        labels.append(f"{p} (n={lo})" if lo == hi else f"{p} (n={lo}-{hi})")
    label_width = 2.1
    rows = [_Row()] + [_Row(None, lab, i) for i, lab in enumerate(labels)]
    centres, total = _row_axis(fig, axes[0], rows, label_width, min_height=0.32)
    y = np.array(centres[1:])
    for ax, kq in zip(axes, kqs, strict=True):
        _shade_bands(ax, fw, letters_y=centres[0], stagger=0.075)
        got = sub[sub["key_question"] == kq.id].set_index("pdu").reindex(pdus)
        x = got["share"].to_numpy(float)
        ok = ~np.isnan(x)
        _interval_dots(ax, y[ok], got[ok], color=FOCUS, ms=5, capsize=2.5, lw=1.4)
        for yy in y[~ok]:
            ax.text(0.03, yy, "no cases", va="center", fontsize=SMALL_SIZE, color=SECONDARY)
        if highlight in pdus:
            yy = y[pdus.index(highlight)]
            ax.axhspan(yy - 0.16, yy + 0.16, color=CONTEXT, alpha=0.45, lw=0, zorder=0.2)
        ax.set_xlim(0, 1)
        _percent_axis(ax.xaxis, (0, 0.5, 1))
        ax.grid(False)
        ax.set_title(
            _wrap(fig, _sentence(kq.short or kq.id), 1.25, TEXT_SIZE),
            loc="left",
            fontsize=TEXT_SIZE,
        )
    for lab, p in zip(axes[0].get_yticklabels(), pdus, strict=True):
        if p == highlight:
            lab.set_fontweight("bold")
    lowest, _, edge = _band_edges(fw)[0]  # the lowest band, and the share that leaves it
    below = int((sub.groupby("pdu")["share"].min() < edge).sum())
    if title is None:
        # a finding of the simulated sample is said as one, never as a fact about the PDUs (issue 20)
        where = "in the simulated sample, " if simulated else ""
        if below == len(pdus):
            title = (
                f"{std.name}: {where}every PDU had a key question below {edge:.0%} ({lowest.label})"
            )
        elif below == 0:
            title = f"{std.name}: {where}no PDU had a key question below {edge:.0%}"
        else:
            title = (
                f"{std.name}: {where}{_num(below)} of {_num(len(pdus))} PDUs had a key question "
                f"below {edge:.0%}"
            )
    method = f"{sub['method'].iloc[0]} {100 * sub['level'].iloc[0]:g}% interval" if len(sub) else ""
    heading = max(_lines(_wrap(fig, _sentence(k.short or k.id), 1.25, TEXT_SIZE)) for k in kqs)
    _frame(
        fig,
        title=title,
        subtitle="Dots: share of cases judged sufficient; lines: 95% interval",
        content_height=total + heading * _line_height(TEXT_SIZE) + 0.1 + _xaxis_height(),
        simulated=simulated,
        key=_rating_key(),
        xlabel="Share of cases judged sufficient (%)",
        xlabel_centre=(label_width + 0.15 + WIDTH) / 2 / WIDTH,
    )
    alt = f"{std.name}, key-question shares by PDU: " + "; ".join(
        f"{r.pdu} {fw.key_question(std.id, r.key_question).short} {r.share:.0%} "
        f"({r.lower:.0%}-{r.upper:.0%}, n={r.n})"
        for r in sub.itertuples()
    )
    return _finish(fig, title, alt, f"Intervals: {method}" if method else "", simulated)


@_styled
def funnel_plot(
    funnel: pd.DataFrame,
    *,
    measure: str,
    title: str | None = None,
    label: str = "pdu",
    highlight: str | None = None,
    simulated: bool | None = None,
) -> Figure:
    """Share against number of cases, with 95% and 99.8% limits around the share for all units;
    units outside the 95% limits (triangles) and the highlighted one are labelled."""
    from hmip.stats.funnel import funnel_curve

    theta, od, method = _funnel_meta(funnel)
    _, simulated, fig = _open(funnel, simulated)
    ax = fig.add_subplot()
    n_max = max(60, int(funnel["n"].max() * 1.25))
    grid = np.arange(5, n_max + 1)
    at = int(np.searchsorted(grid, 5 + 0.15 * (n_max - 5)))
    top = float(funnel["share"].max()) + 0.1
    for level, ls in ((0.95, (0, (6, 2))), (0.998, (0, (1, 1.5)))):
        lim = funnel_curve(funnel, grid, level)  # the same rule as the table's flags
        lo, hi = lim["lower"].to_numpy(), lim["upper"].to_numpy()
        # steps: at each n the line is halfway between the last count inside and the first outside
        ax.plot(grid, lo, ls=ls, color=SECONDARY, lw=1.3, drawstyle="steps-mid")
        ax.plot(grid, hi, ls=ls, color=SECONDARY, lw=1.3, drawstyle="steps-mid")
        ax.text(
            grid[at],
            hi[at] + 0.02,
            f"{100 * level:g}% limits",
            fontsize=SMALL_SIZE,
            color=TEXT,
            va="bottom",
        )
        top = max(top, float(hi[at]) + 0.12)
    ax.axhline(theta, color=TEXT, lw=1.2)
    ax.text(
        n_max,
        theta + 0.015,
        f"all PDUs: {theta:.0%}",
        ha="right",
        va="bottom",
        fontsize=SMALL_SIZE,
        color=TEXT,
    )
    out = funnel["outside_95"].to_numpy(bool)
    ax.scatter(
        funnel.loc[~out, "n"], funnel.loc[~out, "share"], s=40, color=FOCUS, marker="o", zorder=3
    )
    ax.scatter(
        funnel.loc[out, "n"],
        funnel.loc[out, "share"],
        s=65,
        color=CATEGORICAL[2],
        marker="^",
        zorder=3,
    )
    for r in funnel.itertuples():
        name = str(getattr(r, label))
        if r.outside_95 or name == highlight:
            ax.annotate(
                _wrap(
                    fig, name + (": outside 95% limits" if r.outside_95 else ""), 1.6, SMALL_SIZE
                ),
                (r.n, r.share),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=SMALL_SIZE,
                fontweight="bold" if name == highlight else "normal",
                color=TEXT,
            )
    ax.set_xlim(0, n_max)
    ax.set_ylim(0, min(1.0, math.ceil(top * 10) / 10))
    _percent_axis(ax.yaxis, np.arange(0, ax.get_ylim()[1] + 1e-9, 0.2))
    ax.set_xlabel("Number of cases judged (n)")
    ax.set_ylabel("Share judged sufficient (%)")
    n_out = int(out.sum())
    if title is None:
        where = "in the simulated sample, " if simulated else ""
        title = (
            f"{measure}: {where}{_num(n_out)} of {_num(len(funnel))} PDUs outside the 95% limits"
            if n_out
            else f"{measure}: {where}no PDU is outside the 95% limits"
        )
    subtitle = "Each dot is a PDU" + ("; triangles: outside the 95% limits" if n_out else "")
    _frame(fig, title=title, subtitle=subtitle, content_height=3.3, simulated=simulated)
    alt = f"Funnel plot of {measure}: " + "; ".join(
        f"{getattr(r, label)} {r.share:.0%} of {int(r.n)} ({'outside' if r.outside_95 else 'inside'} 95% limits)"
        for r in funnel.itertuples()
    )
    return _finish(
        fig,
        title,
        alt,
        f"Limits: {method}. Flagged outside from {funnel['flag_method'].iloc[0]}.",
        simulated,
    )


@_styled
def rank_plot(
    ranks: pd.DataFrame,
    *,
    measure: str,
    title: str | None = None,
    label: str = "pdu",
    simulated: bool | None = None,
) -> Figure:
    """Each unit's plausible range of rank (1 = highest share), its observed rank, share and n."""
    _, simulated, fig = _open(ranks, simulated)
    ax = fig.add_subplot()
    n = len(ranks)
    rows = [_Row()] + [
        _Row(None, f"{getattr(r, label)} (n={int(r.n)})", i)
        for i, r in enumerate(ranks.itertuples())
    ]
    centres, total = _row_axis(fig, ax, rows, 2.0, min_height=0.3)
    for y, r in zip(centres[1:], ranks.itertuples(), strict=True):
        ax.plot(
            [r.rank_lower - 0.15, r.rank_upper + 0.15],
            [y, y],
            color=MID_BLUE,
            lw=6,
            solid_capstyle="butt",
        )
        ax.plot(r.rank, y, "o", color=FOCUS, mec="white", mew=1.2, ms=8, zorder=3)
        ax.text(
            n + 1.0, y, f"{r.share:.0%}", va="center", ha="right", fontsize=LABEL_SIZE, color=TEXT
        )
    ax.text(
        n + 1.0, centres[0], "share", ha="right", va="center", fontsize=SMALL_SIZE, color=SECONDARY
    )
    ax.text(
        ranks["rank"].iloc[0],
        centres[0],
        "rank observed",
        ha="center",
        va="center",
        fontsize=SMALL_SIZE,
        color=SECONDARY,
    )
    ax.set_xlim(0.5, n + 1.1)
    ax.set_xticks(range(1, n + 1))
    ax.grid(False)
    xlabel = "Rank (1 = highest share); bar: range of plausible ranks (95%)"
    ax.set_xlabel(xlabel)
    widest = int((ranks["rank_upper"] - ranks["rank_lower"]).max()) + 1
    if title is None:
        if widest >= n:
            title = f"{measure}: each PDU could rank anywhere from 1 to {n}"
        else:
            title = f"{measure}: plausible ranks span up to {_num(widest)} of {_num(n)} places"
    _frame(fig, title=title, content_height=total + _xaxis_height(xlabel), simulated=simulated)
    alt = f"Rank ranges on {measure}: " + "; ".join(
        f"{getattr(r, label)} rank {r.rank} (range {r.rank_lower}-{r.rank_upper})"
        for r in ranks.itertuples()
    )
    method = str(ranks["method"].iloc[0]) if "method" in ranks and n else ""
    return _finish(fig, title, alt, f"Method: {method}" if method else "", simulated)

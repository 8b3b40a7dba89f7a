"""The sample-size sensitivity report's charts."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from hmip.present.badges import RATING_STYLES
from hmip.present.charts.frame import (
    _NBSP,
    CATEGORICAL,
    FOCUS,
    LABEL_SIZE,
    SECONDARY,
    SMALL_SIZE,
    TEXT,
    TEXT_SIZE,
    WIDTH,
    _band_of,
    _finish,
    _frame,
    _grouped_rows,
    _meta,
    _new_figure,
    _num,
    _open,
    _pct,
    _percent_axis,
    _rating_key,
    _Row,
    _row_axis,
    _sentence,
    _shade_bands,
    _styled,
    _text_width,
    _wrap,
    _xaxis_height,
)
from hmip.rules.framework import Framework
from hmip.rules.ratings import Rating


# --- sample size sensitivity --------------------------------------------------------------------------
def _generic_method(text: str) -> str:
    """A method without one row's parameters (they differ from row to row)."""
    return re.sub(r"Beta\(\s*[\d.]+\s*,\s*[\d.]+\s*\)", "Beta(yes + 0.5, no + 0.5)", str(text))


@_styled
def probability_bars(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Chance (%)",
    method: str | None = None,
    simulated: bool | None = None,
    label_width: float = 2.5,
) -> Figure:
    """Stacked bars of the chance of each rating (columns named by rating), one bar per row; each
    segment carries its letter and percentage, and small segments are listed after the bar."""
    _, simulated, fig = _open(table, simulated)
    ax = fig.add_subplot()
    rows = _grouped_rows([str(i) for i in table.index])
    centres, total = _row_axis(fig, ax, rows, label_width)
    ys = [centres[k] for k, row in enumerate(rows) if row.header is None]
    bar_width = WIDTH - label_width - 1.2  # inches of the bar, roughly
    left = np.zeros(len(table))
    outside: list[list[str]] = [[] for _ in range(len(table))]
    for r in Rating:
        style = RATING_STYLES[r.label]
        vals = table[r.label].to_numpy(float) if r.label in table else np.zeros(len(table))
        ax.barh(
            ys,
            vals,
            left=left,
            color=style.fill,
            edgecolor=style.border,
            lw=0.6,
            height=0.19,
            zorder=2,
        )
        for i, (v, lft) in enumerate(zip(vals, left, strict=True)):
            if v < 0.005:
                continue
            text = f"{r.code} {_pct(v)}"
            if _text_width(fig, text, SMALL_SIZE, "bold") + 0.08 < v * bar_width:
                ax.text(
                    lft + v / 2,
                    ys[i],
                    text,
                    ha="center",
                    va="center",
                    fontsize=SMALL_SIZE,
                    fontweight="bold",
                    color=style.text,
                    zorder=3,
                )
            else:
                outside[i].append(text)
        left += vals
    for y, texts in zip(ys, outside, strict=True):
        if texts:
            ax.text(
                1.02,
                y,
                ", ".join(texts),
                ha="left",
                va="center",
                fontsize=SMALL_SIZE,
                color=TEXT,
                clip_on=False,
            )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.grid(False)
    xlabel = _wrap(fig, _generic_method(xlabel), WIDTH - label_width - 0.3, TEXT_SIZE)
    ax.set_xlabel(xlabel)
    if title is None:
        modal = [
            max((r for r in Rating if r.label in table), key=lambda r: table.loc[idx, r.label])
            for idx in table.index
        ]
        top = max(set(modal), key=modal.count)
        title = f"{top.label} is the most likely rating for {_num(modal.count(top))} of {_num(len(modal))}"
    _frame(
        fig,
        title=title,
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
        key=_rating_key(),
    )
    alt = f"{title}. " + "; ".join(
        f"{idx}: "
        + ", ".join(f"{r.code} {_pct(table.loc[idx, r.label])}" for r in Rating if r.label in table)
        for idx in table.index
    )
    if method is None and "band_method" in table:
        method = str(table["band_method"].iloc[0])
    method = _generic_method(method) if method else ""
    said = method and method in xlabel.replace("\n", " ").replace(_NBSP, " ")
    return _finish(fig, title, alt, f"Method: {method}" if method and not said else "", simulated)


@_styled
def shares_with_bands(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Key-question shares with intervals against the rating bands (rows: share, lower, upper,
    yes, n, method, level, indexed by label); the count (yes/n) in each label."""
    fw, simulated, fig = _open(table, simulated, framework)
    ax = fig.add_subplot()
    rows = [_Row()] + _grouped_rows([str(i) for i in table.index])  # the first row: band letters
    centres, total = _row_axis(fig, ax, rows, 2.8, min_height=0.26)
    _shade_bands(ax, fw, letters_y=centres[0])
    ys = np.array(
        [centres[k] for k, row in enumerate(rows) if row.header is None and row.index >= 0]
    )
    counts_x = 1.03
    ax.text(
        counts_x,
        centres[0],
        "sufficient",
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        color=SECONDARY,
        transform=ax.get_yaxis_transform(),
        clip_on=False,
    )
    for y, k, n in zip(ys, table["yes"], table["n"], strict=True):
        ax.text(
            counts_x,
            y,
            f"{int(k)} of {int(n)}",
            ha="left",
            va="center",
            fontsize=LABEL_SIZE,
            color=TEXT,
            transform=ax.get_yaxis_transform(),
            clip_on=False,
        )
    x = table["share"].to_numpy(float)
    ax.errorbar(
        x,
        ys,
        xerr=[x - table["lower"].to_numpy(float), table["upper"].to_numpy(float) - x],
        fmt="o",
        color=FOCUS,
        ms=5,
        capsize=2.5,
        lw=1.4,
        zorder=3,
    )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis, sorted({0, 0.25, *(float(t) for _, t in fw.thresholds), 1}))
    ax.grid(False)
    xlabel = "Share of cases judged sufficient (%)"
    ax.set_xlabel(xlabel)
    if title is None:
        bands = [_band_of(float(s), fw) for s in x]
        worst = min(bands)
        k = sum(b == worst for b in bands)
        which = "All" if k == len(bands) else f"{_num(k)} of"
        title = _sentence(f"{which} {_num(len(bands))} key questions are in the {worst.label} band")
    _frame(
        fig,
        title=title,
        subtitle="Dots: share of cases judged sufficient; lines: 95% interval",
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
        key=_rating_key(),
    )
    method = f"Intervals: {table['method'].iloc[0]} {100 * table['level'].iloc[0]:g}%"
    alt = f"{title}. " + "; ".join(
        f"{i}: {r.share:.0%} ({r.lower:.0%}-{r.upper:.0%})" for i, r in table.iterrows()
    )
    return _finish(fig, title, alt, method, simulated)


@_styled
def accuracy_curves(
    curve: pd.DataFrame,
    *,
    title: str | None = None,
    mark_n: int = 42,
    target_lines: Iterable[float] = (0.8, 0.9),
) -> Figure:
    """The chance that a sample gives the correct band, against n: one panel per true share, each
    titled with it, with HMIP's n and the chance there marked."""
    groups = list(curve.groupby("true_share"))
    targets = sorted(float(t) for t in target_lines)
    fig = _new_figure()
    ncols = min(3, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False)
    n_max = int(curve["n"].max())
    for k, ax in enumerate(axes.flat):
        if k >= len(groups):
            ax.set_visible(False)
            continue
        share, g = groups[k]
        g = g.sort_values("n")
        ax.plot(g["n"], g["p_correct"], color=FOCUS, lw=1.1)
        for t in targets:
            ax.axhline(t, color=SECONDARY, lw=0.9, ls=(0, (1, 1.5)))
        ax.axvline(mark_n, color=TEXT, lw=1, ls=(0, (4, 2)))
        here = g[g["n"] == mark_n]
        if len(here):
            p = float(here["p_correct"].iloc[0])
            ax.plot(mark_n, p, "o", color=CATEGORICAL[2], ms=6, zorder=3)
            ax.annotate(
                f"{p:.0%} at {mark_n}",
                (mark_n, p),
                xytext=(6, -4),
                textcoords="offset points",
                ha="left",
                va="top",
                fontsize=SMALL_SIZE,
                fontweight="bold",
                color=TEXT,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
            )
        rating = Rating.parse(g["true_band"].iloc[0])
        ax.set_title(f"True share {share:.0%} ({rating.code})", loc="left", fontsize=TEXT_SIZE)
        ax.set_xlim(0, n_max)
        ax.set_ylim(0, 1.02)
        ticks = [0.0, 0.5, 1.0]
        for t in targets:
            if all(abs(t - u) >= 0.15 for u in ticks):
                ticks.append(t)
        _percent_axis(ax.yaxis, sorted(ticks))
        ax.xaxis.set_major_locator(mticker.MaxNLocator(4, integer=True))
    for ax in axes[-1]:
        ax.set_xlabel("Cases sampled (n)")
    for ax in axes[:, 0]:
        ax.set_ylabel("Chance of the\ncorrect band (%)")
    at = curve[curve["n"] == mark_n]
    worst = float(at["p_correct"].min()) if len(at) else float("nan")
    if title is None:
        title = f"With {mark_n} cases, a share near a band boundary is banded correctly {worst:.0%} of the time"
    pcts = " and ".join(f"{t:.0%}" for t in targets)
    _frame(
        fig,
        title=title,
        subtitle=f"Dashed line: HMIP's sample of {mark_n} cases; dotted lines: {pcts} chance",
        content_height=2.1 * nrows + 0.2,
    )
    alt = f"{title}. " + "; ".join(
        f"true share {r.true_share:.0%}: {r.p_correct:.0%} at n={mark_n}" for r in at.itertuples()
    )
    return _finish(
        fig,
        title,
        alt,
        f"Method: {curve['method'].iloc[0]}; the saw-tooth comes from whole-number counts",
    )


@_styled
def points_distribution(
    points: pd.Series,
    *,
    pdu: str,
    title: str | None = None,
    observed: int | None = None,
    observed_basis: str = "",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """The chance of each points total with a fresh sample, bars in the overall band's colours, and
    each band labelled with its letter, points and chance. ``observed_basis`` (e.g. "published" or
    "simulated") is said next to the inspection's total."""
    fw, simulated, fig = _open(points, simulated, framework)
    max_points = int(points.index.max())
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    ax = fig.add_subplot()
    top = float(points.max())
    probs: dict[Rating, float] = {}
    for b in scale.bands:
        r = Rating.parse(b.rating)
        style = RATING_STYLES[r.label]
        xs = np.arange(b.low, b.high + 1)
        ax.bar(
            xs,
            points.reindex(xs).fillna(0).to_numpy(),
            color=style.fill,
            edgecolor=style.border,
            lw=0.6,
            width=0.8,
            zorder=2,
        )
        probs[r] = float(points.loc[b.low : b.high].sum())
        ax.text(
            (b.low + b.high) / 2,
            top * 1.3,
            f"{r.code} {b.low}-{b.high}: {_pct(probs[r])}",
            ha="center",
            va="center",
            fontsize=SMALL_SIZE,
            fontweight="bold",
            color=style.text,
            bbox={
                "boxstyle": "square,pad=0.25",
                "facecolor": style.fill,
                "edgecolor": style.border,
                "linewidth": 0.8,
            },
        )
    if observed is not None:
        words = f"Inspection: {observed} points" + (
            f" ({observed_basis})" if observed_basis else ""
        )
        y_obs = float(points.get(observed, 0.0))
        ax.annotate(
            words,
            (observed, y_obs),
            xytext=(observed + 2.5, max(y_obs, top * 0.5) + top * 0.1),
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            fontweight="bold",
            color=TEXT,
            arrowprops={"arrowstyle": "-|>", "color": TEXT, "lw": 1, "shrinkA": 2, "shrinkB": 2},
        )
    ax.set_xlabel(f"Total points (0-{max_points})")
    ax.set_ylabel("Chance (%)")
    ax.set_xlim(-0.7, max_points + 0.7)
    ax.set_ylim(0, top * 1.45)
    ax.xaxis.set_major_locator(mticker.FixedLocator([b.low for b in scale.bands] + [max_points]))
    step = 0.2 if top > 0.4 else 0.1 if top > 0.2 else 0.05
    _percent_axis(ax.yaxis, np.arange(0, top + 1e-9, step))
    best = max(probs, key=probs.get)
    if title is None:
        title = f"{pdu}: a fresh sample would give {best.label} {_pct(probs[best])} of the time"
    _frame(fig, title=title, content_height=2.9, simulated=simulated, key=_rating_key())
    method = _meta(points, "method", "")
    return _finish(
        fig,
        title,
        f"Chance of each total for {pdu}: "
        + ", ".join(f"{r.label} {_pct(p)}" for r, p in probs.items()),
        f"Method: {method}" if method else "",
        simulated,
    )

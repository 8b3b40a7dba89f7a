"""The audit-progress report's charts: each key question's audits over time against the rating
bands, and one small chart for the scrutiny pack's "Since the inspection" section."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator

from hmip.present.badges import RATING_STYLES
from hmip.present.charts.frame import (
    _BAND_ALPHA,
    CONTEXT,
    FOCUS,
    LABEL_SIZE,
    SECONDARY,
    SMALL_SIZE,
    TEXT,
    _band_edges,
    _finish,
    _frame,
    _interval_dots,
    _new_figure,
    _num,
    _pct,
    _percent_axis,
    _rating_key,
    _Row,
    _row_axis,
    _rule,
    _sentence,
    _shade_bands,
    _span,
    _styled,
    _wrap,
    _xaxis_height,
)
from hmip.rules.framework import Framework, framework_or_default


def _shade_bands_y(ax, fw: Framework) -> None:
    """Rating bands as horizontal background tints, edged in the rating's border colour. The chart
    sets the y limits afterwards (:func:`hmip.present.charts.frame._span`)."""
    for r, a, b in _band_edges(fw):
        style = RATING_STYLES[r.label]
        _span(ax, a, b, along="y", color=style.fill, alpha=_BAND_ALPHA, lw=0, zorder=0)
        if a > 0:
            _rule(ax, a, along="y", color=style.border, lw=0.7, zorder=0.5)


def _band_letters_right(ax, fw: Framework) -> None:
    """Each band's letter just outside the right edge of ``ax``."""
    for r, a, b in _band_edges(fw):
        style = RATING_STYLES[r.label]
        ax.text(
            1.04,
            (a + b) / 2,
            r.code,
            transform=ax.get_yaxis_transform(),
            ha="left",
            va="center",
            fontsize=SMALL_SIZE,
            fontweight="bold",
            color=style.text,
            clip_on=False,
            bbox={
                "boxstyle": "square,pad=0.15",
                "facecolor": style.fill,
                "edgecolor": style.border,
                "linewidth": 0.6,
            },
        )


@_styled
def audit_trends(
    shares: pd.DataFrame,
    trend: pd.DataFrame,
    curves: Mapping[tuple[str, str], pd.DataFrame],
    *,
    inspection: pd.DataFrame | None = None,
    inspection_date: object = None,
    title: str | None = None,
    simulated: bool = False,
    framework: Framework | None = None,
) -> Figure:
    """One panel per key question (columns: case-sample standards; rows: the key questions they
    share): each audit's share sufficient with its interval (dots), the fitted trend with its band (a
    solid line where the trend is clear after adjustment, dashed where not), the inspection's share
    (a hollow diamond at the inspection's date), over the rating bands, their letters at the right.
    Sized to print at full width within the print layout's figure height (120 mm).

    ``shares``: :func:`hmip.stats.progress.audit_shares` (audit_date, standard, key_question, share,
    lower, upper, n, method, level); ``trend``: the report's trend table (standard, key_question,
    status, clear, share_first, share_last, label); ``curves``: (standard, key_question) -> date,
    estimate, lower, upper; ``inspection``: standard, key_question, share_before (the change table)."""
    fw = framework_or_default(framework)
    stds = [s for s in fw.case_sample_standards if (shares["standard"] == s.id).any()]
    kqs = list(stds[0].key_questions) if stds else []
    fig = _new_figure()
    axes = fig.subplots(len(kqs), len(stds), sharex=True, sharey=True, squeeze=False)
    t_idx = trend.set_index(["standard", "key_question"])
    before = (
        inspection.set_index(["standard", "key_question"])["share_before"]
        if inspection is not None
        else pd.Series(dtype=float)
    )
    when0 = pd.Timestamp(inspection_date) if inspection_date is not None else None
    last = pd.Timestamp(shares["audit_date"].max())
    rising = []
    for i, kq in enumerate(kqs):
        for j, s in enumerate(stds):
            ax = axes[i, j]
            _shade_bands_y(ax, fw)
            key = (s.id, kq.id)
            g = shares[(shares["standard"] == s.id) & (shares["key_question"] == kq.id)]
            g = g.sort_values("audit_date")
            c = curves.get(key)
            row = t_idx.loc[key] if key in t_idx.index else None
            clear = "" if row is None else str(row["clear"])
            if c is not None:
                ax.fill_between(
                    c["date"], c["lower"], c["upper"], color=FOCUS, alpha=0.18, lw=0, zorder=1
                )
                ax.plot(
                    c["date"],
                    c["estimate"],
                    color=FOCUS,
                    lw=2.0 if clear else 1.1,
                    ls="-" if clear else (0, (3, 2)),
                    zorder=2,
                )
            if len(g):
                when = pd.to_datetime(g["audit_date"])
                _interval_dots(ax, when, g, vertical=True, color=TEXT, ms=2.2, lw=0.5, capsize=0)
            if when0 is not None and key in before.index:
                ax.plot(
                    [when0],
                    [float(before[key])],
                    marker="D",
                    ms=4.5,
                    mfc="white",
                    mec=TEXT,
                    mew=1.1,
                    ls="none",
                    zorder=4,
                )
            word = {"up": "Rising", "down": "Falling"}.get(clear, "")
            if row is not None and row["status"] != "estimated":
                word = "No trend"
            if word:
                ax.text(
                    0.04,
                    0.96,
                    word,
                    transform=ax.transAxes,
                    ha="left",
                    va="top",
                    fontsize=SMALL_SIZE,
                    fontweight="bold" if clear else "normal",
                    color=TEXT,
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.8, "alpha": 0.85},
                    zorder=5,
                )
            if clear == "up":
                rising.append(key)
            ax.set_ylim(0, 1)
            _percent_axis(ax.yaxis, (0, 0.5, 1))
            ax.grid(False)
            ax.tick_params(axis="both", labelsize=SMALL_SIZE, length=2, pad=1.5)
            if i == 0:
                ax.set_title(  # centred: a long first word may overhang both sides a little
                    _wrap(fig, s.name, 0.95, SMALL_SIZE, "bold"),
                    loc="center",
                    fontsize=SMALL_SIZE,
                    fontweight="bold",
                    color=TEXT,
                    pad=3,
                )
            if j == 0:
                ax.set_ylabel(
                    _wrap(fig, _sentence(kq.short), 0.8, SMALL_SIZE),
                    fontsize=SMALL_SIZE,
                    color=TEXT,
                )
            if j == len(stds) - 1:
                _band_letters_right(ax, fw)
    start = when0 if when0 is not None else pd.Timestamp(shares["audit_date"].min())
    for ax in axes.flat:
        ax.set_xlim(start - pd.Timedelta(days=60), last + pd.Timedelta(days=60))
        ax.xaxis.set_major_locator(mdates.YearLocator(2))
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    if len(axes.flat):
        # the panels share their x axis: the year ticks and their labels are found once and fixed
        # (the same ticks; date locators and formatters asked again for each panel at every layout
        # pass took about 0.5 s a chart)
        years = axes.flat[0].xaxis.get_major_locator()()
        labels = axes.flat[0].xaxis.get_major_formatter().format_ticks(years)
        for ax in axes.flat:
            ax.xaxis.set_major_locator(FixedLocator(years))
            ax.xaxis.set_major_formatter(FixedFormatter(labels))
    if title is None:
        n_kq = len(trend)
        if rising:
            title = (
                f"The audits are rising on {_num(len(rising))} of {n_kq} key questions; "
                "the rest show no clear trend"
            )
        else:
            title = f"None of the {n_kq} key questions shows a clear trend across the audits"
    level = float(shares["level"].iloc[0]) if len(shares) else 0.95
    lv = f"{100 * level:g}%"
    subtitle = (
        f"Dots: each audit, with its {lv} interval. Line and shading: the trend (solid where it is "
        "clear). Hollow diamond: the inspection"
    )
    _frame(
        fig,
        title=title,
        subtitle=subtitle,
        content_height=1.02 * len(kqs) + 0.45,
        simulated=simulated,
    )
    alt = f"{title}. " + "; ".join(
        f"{r.label}: "
        + (
            f"fitted from {r.share_first:.0%} to {r.share_last:.0%}, "
            + {"up": "rising", "down": "falling"}.get(r.clear, "no clear trend")
            if r.status == "estimated"
            else "no trend estimated"
        )
        for r in trend.itertuples()
    )
    method = (
        f"Intervals: {shares['method'].iloc[0]} {lv}; trend: binomial regression on time "
        "(logit link), Wald band; 'clear' after adjusting for every key question. Bands: "
        + ", ".join(f"{r.code} {r.label}" for r, _, _ in _band_edges(fw))
        if len(shares)
        else ""
    )
    return _finish(fig, title, alt, method, simulated)


@_styled
def since_inspection(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    simulated: bool = False,
    framework: Framework | None = None,
    label_width: float = 2.6,
) -> Figure:
    """The pack's small chart: per case-sample standard, its weakest key question in the latest
    audits, at the inspection (hollow diamond) and now (dot with its interval), over the bands.

    ``table``: label, share_before, share_after, lower, upper, yes_after, n_after, method, level
    (:func:`hmip.analyses.audit_progress.since_inspection_chart_data`)."""
    fw = framework_or_default(framework)
    fig = _new_figure()
    ax = fig.add_subplot()
    rows = [_Row()] + [_Row(None, str(lab), i) for i, lab in enumerate(table["label"])]
    centres, total = _row_axis(fig, ax, rows, label_width, min_height=0.3)
    _shade_bands(ax, fw, letters_y=centres[0])
    ys = np.array(centres[1:])
    before = table["share_before"].to_numpy(float)
    after = table["share_after"].to_numpy(float)
    for y, b, a in zip(ys, before, after, strict=True):
        if abs(a - b) > 0.02:
            ax.annotate(
                "",
                (a, y),
                xytext=(b, y),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": CONTEXT,
                    "lw": 1.0,
                    "shrinkA": 4,
                    "shrinkB": 5,
                },
                zorder=2,
            )
    _interval_dots(ax, ys, table, share="share_after", color=FOCUS, ms=5, capsize=2.5, lw=1.2)
    ax.plot(before, ys, "D", ms=5, mfc="white", mec=TEXT, mew=1.2, ls="none", zorder=4)
    # the right margin: "now" over the cases each latest share rests on
    margin = dict(
        ha="left",
        va="center",
        fontsize=SMALL_SIZE,
        transform=ax.get_yaxis_transform(),
        clip_on=False,
    )
    for y, k, n in zip(ys, table["yes_after"], table["n_after"], strict=True):
        ax.text(1.02, y, f"{int(k)} of {int(n)}", color=TEXT, **margin)
    ax.text(1.02, centres[0], "now", color=SECONDARY, **margin)
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis, (0, 0.25, 0.5, 0.65, 0.8, 1))
    ax.grid(False)
    ax.tick_params(axis="x", labelsize=LABEL_SIZE)
    xlabel = "Share of cases judged sufficient (%)"
    ax.set_xlabel(xlabel)
    below = int((after < float(fw.thresholds[0][1])).sum())
    if title is None:
        if below:
            title = (
                f"{_sentence(_num(below))} of {_num(len(table))} standards still have a key question "
                "in the Inadequate band"
            )
        else:
            title = "Every standard's weakest key question is now at or above 50%"
    level = float(table["level"].iloc[0]) if len(table) else 0.95
    _frame(
        fig,
        title=title,
        subtitle=(
            "Each standard's weakest key question in the latest audits. Hollow diamond: the "
            f"inspection; dot and line: the latest audits and their {100 * level:g}% interval"
        ),
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
        key=_rating_key(),
    )
    alt = f"{title}. " + "; ".join(
        f"{r.label}: {_pct(r.share_before)} at the inspection, {_pct(r.share_after)} now "
        f"({_pct(r.lower)} to {_pct(r.upper)})"
        for r in table.itertuples()
    )
    method = f"Intervals: {table['method'].iloc[0]} {100 * level:g}%" if len(table) else ""
    return _finish(fig, title, alt, method, simulated)

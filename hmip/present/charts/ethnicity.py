"""The ethnicity disproportionality report's charts."""

from __future__ import annotations

import math

import matplotlib.ticker as mticker
import pandas as pd
from matplotlib.figure import Figure

from hmip.present.charts.frame import (
    CATEGORICAL,
    FOCUS,
    MARKERS,
    SECONDARY,
    SMALL_SIZE,
    TEXT,
    WIDTH,
    _finish,
    _frame,
    _grouped_rows,
    _num,
    _open,
    _percent_axis,
    _plain,
    _Row,
    _row_axis,
    _styled,
    _xaxis_height,
)
from hmip.rules.framework import Framework


# --- disproportionality --------------------------------------------------------------------------------
@_styled
def group_dot_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    marker: str = "[c]",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Share judged sufficient by group with intervals and n (rows: label, share, lower, upper,
    n_display, suppressed, method). "Measure: group" labels are grouped under a heading per
    measure; groups differ by marker as well as colour; suppressed cells are said in words."""
    fw, simulated, fig = _open(table, simulated, framework)
    ax = fig.add_subplot()
    plain = [_plain(lab, fw) for lab in table["label"]]
    rows = _grouped_rows(
        [f"{lab} (n={n})" for lab, n in zip(plain, table["n_display"], strict=True)]
    )
    centres, total = _row_axis(fig, ax, rows, 2.2, min_height=0.25)
    items = [p.rsplit(": ", 1)[-1] for p in plain]
    kinds = list(dict.fromkeys(items))
    colours = [
        CATEGORICAL[0],
        CATEGORICAL[2],
        CATEGORICAL[4],
        CATEGORICAL[1],
        CATEGORICAL[3],
        CATEGORICAL[5],
    ]
    suppressed_any = False
    for y, row in zip(centres, rows, strict=True):
        if row.header is not None:
            continue
        r = table.iloc[row.index]
        if bool(r.get("suppressed", False)) or pd.isna(r["share"]):
            ax.text(
                0.01,
                y,
                f"hidden to protect people {marker}",
                va="center",
                fontsize=SMALL_SIZE,
                color=SECONDARY,
            )
            suppressed_any = True
            continue
        k = kinds.index(items[row.index]) % len(MARKERS)
        ax.errorbar(
            r["share"],
            y,
            xerr=[[r["share"] - r["lower"]], [r["upper"] - r["share"]]],
            fmt=MARKERS[k],
            color=colours[k],
            ms=5.5,
            capsize=2.5,
            lw=1.4,
        )
    ax.set_xlim(0, 1)
    _percent_axis(ax.xaxis)
    ax.grid(False)
    ax.grid(True, axis="x")
    xlabel = "Share of cases judged sufficient (%); lines: 95% interval"
    ax.set_xlabel(xlabel)
    if title is None:
        title = _group_finding(table, items)
    _frame(
        fig,
        title=_plain(title, fw),
        content_height=total + _xaxis_height(xlabel),
        simulated=simulated,
    )
    alt = f"{_plain(title, fw)}. " + "; ".join(
        f"{lab}: "
        + (
            "suppressed"
            if bool(r.get("suppressed", False)) or pd.isna(r["share"])
            else f"{r['share']:.0%} ({r['lower']:.0%}-{r['upper']:.0%})"
        )
        for lab, (_, r) in zip(plain, table.iterrows(), strict=True)
    )
    meth = (
        table["method"].dropna().iloc[0]
        if "method" in table and table["method"].notna().any()
        else ""
    )
    method = f"Intervals: {meth}" if meth else ""
    if suppressed_any:
        method += (
            f"{'. ' if method else ''}{marker} hidden to protect people: fewer than 8 in a group, "
            "or a count from which a small one could be worked out"
        )
    return _finish(fig, _plain(title, fw), alt, method, simulated)


def _group_finding(table: pd.DataFrame, items: list[str]) -> str:
    """'Ethnic minority share below the White share in six of six measures', or a plain title."""
    prefixes = [str(lab).rsplit(": ", 1)[0] for lab in table["label"]]
    lower = total = 0
    other = None
    for prefix in dict.fromkeys(prefixes):
        shares = {items[i]: table["share"].iloc[i] for i, p in enumerate(prefixes) if p == prefix}
        white = shares.get("White")
        for name, s in shares.items():
            if (
                name not in ("White", "Not recorded")
                and pd.notna(s)
                and white is not None
                and pd.notna(white)
            ):
                other = other or name
                total += 1
                lower += bool(s < white)
    if not total:
        return "Share of cases judged sufficient, by group"
    return f"{other} share below the White share in {_num(lower)} of {_num(total)} measures"


def _arrow(ax, head: tuple[float, float], tail: tuple[float, float], colour: str) -> None:
    """An arrow from ``tail`` to ``head``: where an interval or estimate runs off the log scale."""
    ax.annotate(
        "",
        head,
        xytext=tail,
        arrowprops={
            "arrowstyle": "-|>",
            "color": colour,
            "lw": 1.4,
            "mutation_scale": 11,
            "shrinkA": 0,
            "shrinkB": 0,
        },
        zorder=3,
    )


@_styled
def forest_plot(
    table: pd.DataFrame,
    *,
    title: str | None = None,
    xlabel: str = "Relative rate index (ratio of shares judged sufficient), log scale",
    simulated: bool | None = None,
    framework: Framework | None = None,
) -> Figure:
    """Ratios with intervals on a log scale, with the line at 1 (rows: label, estimate, lower,
    upper). A ratio or limit of 0 (or infinity) has no place on a log scale: the interval runs to
    the axis edge and ends in an arrow, and an estimate of 0 is marked "0" at the edge."""
    fw, simulated, fig = _open(table, simulated, framework)
    ax = fig.add_subplot()
    rows = [_Row(None, _plain(lab, fw), i) for i, lab in enumerate(table["label"])]
    centres, total = _row_axis(fig, ax, rows, 2.4, min_height=0.3)
    finite = [
        float(v)
        for v in table[["estimate", "lower", "upper"]].to_numpy().ravel()
        if pd.notna(v) and 0 < v < math.inf
    ]
    lo_edge = max(1 / 64, min([0.25] + [2.0 ** math.floor(math.log2(v) - 0.25) for v in finite]))
    hi_edge = min(64.0, max([4.0] + [2.0 ** math.ceil(math.log2(v) + 0.25) for v in finite]))
    ax.set_xscale("log")
    ax.set_xlim(lo_edge, hi_edge)
    ax.axvline(1, color=TEXT, lw=1, zorder=1)
    alt = []
    for y, row, r in zip(centres, rows, table.itertuples(), strict=True):
        est, lower, upper = (
            float(v) if pd.notna(v) else math.nan for v in (r.estimate, r.lower, r.upper)
        )
        if math.isnan(est) or math.isnan(lower) or math.isnan(upper):
            ax.text(
                1,
                y,
                "not shown: suppressed or not estimable",
                ha="center",
                va="center",
                fontsize=SMALL_SIZE,
                color=SECONDARY,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
                zorder=2,
            )
            alt.append(f"{row.label}: not shown")
            continue
        pooled = "pooled" in row.label.lower()
        colour = TEXT if pooled else FOCUS
        a, b = min(max(lower, lo_edge), hi_edge), max(min(upper, hi_edge), lo_edge)
        ax.plot([a, b], [y, y], color=colour, lw=1.6, zorder=3, solid_capstyle="butt")
        for end, off_scale, direction in ((a, lower < lo_edge, -1), (b, upper > hi_edge, 1)):
            if off_scale:  # the interval runs off the scale (to 0 or infinity): an arrow, not a cap
                _arrow(ax, (end, y), (end * 1.25**-direction, y), colour)
            else:
                ax.plot([end, end], [y - 0.06, y + 0.06], color=colour, lw=1.4, zorder=3)
        if est <= 0 or est >= math.inf:  # marked by the arrow at the edge, and said there
            edge = lo_edge if est <= 0 else hi_edge
            if not (lower < lo_edge if est <= 0 else upper > hi_edge):
                _arrow(ax, (edge, y), (edge * (1.25 if est <= 0 else 0.8), y), colour)
            ax.annotate(
                "ratio 0" if est <= 0 else "infinite",
                (edge, y),
                xytext=(2 if est <= 0 else -2, 4),
                textcoords="offset points",
                ha="left" if est <= 0 else "right",
                va="bottom",
                fontsize=SMALL_SIZE,
                fontweight="bold",
                color=TEXT,
            )
        else:
            ax.plot(
                min(max(est, lo_edge), hi_edge),
                y,
                marker="D" if pooled else "s",
                color=colour,
                ms=7 if pooled else 6,
                zorder=4,
            )
        alt.append(f"{row.label}: {est:.2f} ({lower:.2f}-{upper:.2f})")
    ax.xaxis.set_major_locator(mticker.FixedLocator(_log_ticks(lo_edge, hi_edge, WIDTH - 2.9)))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: f"{v:g}"))
    ax.grid(False)
    xlabel = f"{xlabel}\nBelow 1: the minority group is less often judged sufficient"
    title = _plain(_forest_finding(table) if title is None else title, fw)
    _frame(
        fig,
        title=title,
        content_height=total + _xaxis_height(),
        simulated=simulated,
        xlabel=xlabel,
        xlabel_centre=(2.6 + WIDTH) / 2 / WIDTH,
    )
    return _finish(fig, title, f"{title}. " + "; ".join(alt), simulated=simulated)


def _log_ticks(low: float, high: float, width: float) -> list[float]:
    """Readable ticks for a log axis from ``low`` to ``high`` drawn ``width`` inches wide: 1 first,
    then the values either side, as long as each label has room (about 0.5 in)."""
    span = math.log(high / low)
    gap = span * 0.5 / width
    chosen: list[float] = []
    for t in (1, 0.5, 2, 0.25, 4, 0.1, 10, 0.125, 8, 1 / 16, 16, 0.05, 20, 1 / 32, 32, 1 / 64, 64):
        if low <= t <= high and all(abs(math.log(t / c)) >= gap for c in chosen):
            chosen.append(t)
    return sorted(chosen)


def _forest_finding(table: pd.DataFrame) -> str:
    pooled = [
        r for r in table.itertuples() if "pooled" in str(r.label).lower() and pd.notna(r.estimate)
    ]
    if not pooled:
        return "Ratio of shares judged sufficient, minority group against reference"
    r = pooled[0]
    if r.upper < 1:
        return f"Pooled: the minority group is less often judged sufficient ({r.estimate:.2f})"
    if r.lower > 1:
        return f"Pooled: the minority group is more often judged sufficient ({r.estimate:.2f})"
    return f"Pooled: no clear difference between the groups (ratio {r.estimate:.2f})"

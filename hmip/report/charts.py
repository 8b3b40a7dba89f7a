"""Charts. Each function returns a matplotlib Figure with ``fig.hmip_alt`` (alt text used in the HTML).

House style: the Okabe-Ito colour-blind-safe palette; every RAG colour is paired with the rating's
letters (I, RI, G, O), so charts read in black and white; unknown ratings are grey and hatched,
never a rating; titles state the finding; axes carry units; sample sizes are shown; fonts are sized
for A4 print.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from hmip.rules.framework import Framework, default_framework  # noqa: E402
from hmip.rules.ratings import PALETTE_NAME, Rating  # noqa: E402

GREY = "#BBBBBB"
NEUTRAL = "#555555"
SERIES = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]  # Okabe-Ito
HATCH = {
    Rating.INADEQUATE: "xx",
    Rating.REQUIRES_IMPROVEMENT: "..",
    Rating.GOOD: "",
    Rating.OUTSTANDING: "//",
}

plt.rcParams.update(
    {
        "font.size": 11,
        "axes.titlesize": 12.5,
        "axes.labelsize": 11,
        "xtick.labelsize": 10,
        "ytick.labelsize": 10,
        "legend.fontsize": 9.5,
        "figure.dpi": 100,
        "savefig.dpi": 150,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _fig(width=8.0, height=4.5) -> tuple[Figure, plt.Axes]:
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()


def _finish(fig: Figure, alt: str, caption: str = "") -> Figure:
    fig.hmip_alt = alt
    fig.hmip_caption = caption or alt
    return fig


def _wrap(text: str, width: int = 28) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(str(text), width)) or str(text)


def rating_legend_handles(include_unknown=True, include_not_rated=False) -> list:
    handles = [
        Patch(facecolor=r.colour, edgecolor="black", hatch=HATCH[r], label=f"{r.code} = {r.label}")
        for r in Rating
    ]
    if include_unknown:
        handles.append(
            Patch(
                facecolor="#EEEEEE",
                edgecolor=NEUTRAL,
                hatch="///",
                label="? = not published (unknown)",
            )
        )
    if include_not_rated:
        handles.append(Patch(facecolor="white", edgecolor=NEUTRAL, label="NR = not rated"))
    return handles


# --- Issue 4: London comparison ------------------------------------------------------------------------
def ratings_grid(
    grid: pd.DataFrame,
    *,
    title: str | None = None,
    highlight: str | None = None,
    framework: Framework | None = None,
) -> Figure:
    """PDUs x standards: RAG colour plus letters in every cell; unknown grey, hatched and '?'."""
    fw = framework or default_framework()
    n_rows, n_cols = grid.shape
    fig, ax = _fig(10.5, 2.4 + 0.62 * n_rows)
    counts = {r: 0 for r in Rating}
    unknown = 0
    for i, pdu in enumerate(grid.index):
        for j, std in enumerate(grid.columns):
            value = grid.loc[pdu, std]
            if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
                ax.add_patch(
                    Rectangle(
                        (j, i), 1, 1, facecolor="#EEEEEE", edgecolor=NEUTRAL, hatch="///", lw=0.8
                    )
                )
                ax.text(
                    j + 0.5, i + 0.5, "?", ha="center", va="center", fontsize=12, color="#333333"
                )
                unknown += 1
            elif value == "Not rated":
                ax.add_patch(Rectangle((j, i), 1, 1, facecolor="white", edgecolor=NEUTRAL, lw=0.8))
                ax.text(j + 0.5, i + 0.5, "NR", ha="center", va="center", fontsize=11)
            else:
                r = Rating.parse(value)
                counts[r] += 1
                ax.add_patch(
                    Rectangle(
                        (j, i), 1, 1, facecolor=r.colour, edgecolor="white", lw=1.5, hatch=HATCH[r]
                    )
                )
                ax.text(
                    j + 0.5,
                    i + 0.5,
                    r.code,
                    ha="center",
                    va="center",
                    fontsize=14,
                    fontweight="bold",
                    color=r.text_colour,
                    bbox={"facecolor": r.colour, "edgecolor": "none", "pad": 3},
                )
    ax.set_xlim(0, n_cols)
    ax.set_ylim(n_rows, 0)
    ax.set_xticks(
        np.arange(n_cols) + 0.5,
        [_wrap(f"{fw.standard(s).code} {fw.standard(s).name}", 18) for s in grid.columns],
        fontsize=9.5,
        rotation=35,
        ha="left",
        rotation_mode="anchor",
    )
    ax.set_yticks(np.arange(n_rows) + 0.5, [_wrap(p, 30) for p in grid.index])
    for lab in ax.get_yticklabels():
        if highlight and lab.get_text().replace("\n", " ") == highlight:
            lab.set_fontweight("bold")
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    for s in ax.spines.values():
        s.set_visible(False)
    known = sum(counts.values())
    title = title or (
        f"{counts[Rating.INADEQUATE]} of {known} known standard ratings are Inadequate"
        + (f"; {unknown} not published" if unknown else "")
    )
    ax.set_title(_wrap(title, 62), loc="left", pad=12)
    ax.legend(
        handles=rating_legend_handles(),
        loc="upper left",
        bbox_to_anchor=(1.01, 1),
        frameon=False,
        title=f"Palette: {PALETTE_NAME}",
    )
    alt = f"Grid of {n_rows} PDUs by {n_cols} rated standards. " + "; ".join(
        f"{pdu}: "
        + ", ".join(
            f"{fw.standard(s).name} {('unknown' if pd.isna(grid.loc[pdu, s]) else Rating.parse(grid.loc[pdu, s]).code)}"
            for s in grid.columns
        )
        for pdu in grid.index
    )
    return _finish(fig, alt, title)


def points_chart(
    summary: pd.DataFrame, *, max_points: int = 27, framework: Framework | None = None
) -> Figure:
    """Total points per PDU against the shaded, labelled overall bands. Published points are solid;
    points recomputed from (possibly simulated) data, where none were published, are hatched."""
    fw = framework or default_framework()
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    fig, ax = _fig(8.5, 2.4 + 0.5 * len(summary))
    for b in scale.bands:
        r = Rating.parse(b.rating)
        ax.axvspan(b.low - 0.5, b.high + 0.5, color=r.colour, alpha=0.22, lw=0)
        ax.text(
            (b.low + b.high) / 2,
            -0.7,
            f"{r.code}\n{b.low}-{b.high}",
            ha="center",
            va="center",
            fontsize=9.5,
            fontweight="bold",
        )
    labels = []
    for i, row in enumerate(summary.itertuples()):
        published = pd.notna(row.published_points)
        pts = row.published_points if published else row.recomputed_points
        labels.append(_wrap(row.pdu, 30))
        if pd.isna(pts):
            ax.text(0, i, "  points not known", va="center")
            continue
        ax.barh(
            i,
            pts,
            color=NEUTRAL if published else "white",
            edgecolor=NEUTRAL,
            hatch="" if published else "///",
            height=0.55,
        )
        ax.text(
            pts + 0.3,
            i,
            f"{pts}" + ("" if published else " (recomputed)"),
            va="center",
            fontsize=10,
        )
    ax.set_yticks(range(len(summary)), labels)
    ax.set_ylim(len(summary) - 0.5, -1.3)
    ax.set_xlim(-0.5, max_points + 0.5)
    ax.set_xlabel(
        f"Total points (0-{max_points}; Inadequate 0, RI 1, Good 2, Outstanding 3 per standard)"
    )
    n_inad = sum(
        1 for r in summary.itertuples() if str(r.published_rating).startswith("Inadequate")
    )
    title = f"{n_inad} of {len(summary)} PDUs score in the Inadequate band (0-4 points)"
    ax.set_title(_wrap(title, 62), loc="left")
    fig.legend(
        handles=[
            Patch(facecolor=NEUTRAL, label="published points"),
            Patch(
                facecolor="white",
                edgecolor=NEUTRAL,
                hatch="///",
                label="recomputed from the case data (not published)",
            ),
        ]
        + [
            Patch(
                facecolor=Rating.parse(b.rating).colour,
                alpha=0.4,
                label=f"{Rating.parse(b.rating).code} = {b.rating} band",
            )
            for b in scale.bands
        ],
        loc="outside lower center",
        ncol=3,
        frameon=False,
    )
    alt = "Bar chart of total points per PDU: " + "; ".join(
        f"{r.pdu} {r.published_points if pd.notna(r.published_points) else r.recomputed_points}"
        for r in summary.itertuples()
    )
    return _finish(fig, alt, title)


def key_question_shares(
    shares: pd.DataFrame,
    standard: str,
    *,
    highlight: str | None = None,
    framework: Framework | None = None,
) -> Figure:
    """One standard: each key question's share sufficient per PDU with its interval; 50/65/80% drawn; n shown."""
    fw = framework or default_framework()
    std = fw.standard(standard)
    sub = shares[shares["standard"] == std.id]
    pdus = list(dict.fromkeys(sub["pdu"]))
    kqs = [kq for kq in std.key_questions]
    fig, ax = _fig(8.5, 1.5 + 0.55 * len(pdus) * 1.1)
    offsets = np.linspace(-0.25, 0.25, len(kqs))
    markers = ["o", "s", "D"]
    for j, kq in enumerate(kqs):
        rows = sub[sub["key_question"] == kq.id].set_index("pdu").reindex(pdus)
        y = np.arange(len(pdus)) + offsets[j]
        x = rows["share"].to_numpy(float)
        ax.errorbar(
            x,
            y,
            xerr=[x - rows["lower"].to_numpy(float), rows["upper"].to_numpy(float) - x],
            fmt=markers[j % 3],
            color=SERIES[j],
            capsize=3,
            ms=6,
            label=kq.short,
        )
    for t, (label, _) in zip([float(t) for _, t in fw.thresholds], fw.thresholds, strict=True):
        ax.axvline(t, color=NEUTRAL, lw=1, ls="--")
        ax.text(
            t,
            -0.75,
            f"{t:.0%}\n{Rating.parse(label).code} from here",
            ha="center",
            va="bottom",
            fontsize=8.5,
        )
    n_by_pdu = sub.groupby("pdu", sort=False)["n"].max()
    ax.set_yticks(range(len(pdus)), [_wrap(f"{p} (n={n_by_pdu[p]})", 32) for p in pdus])
    for lab in ax.get_yticklabels():
        if highlight and lab.get_text().replace("\n", " ").startswith(highlight):
            lab.set_fontweight("bold")
    ax.set_ylim(len(pdus) - 0.5, -1.1)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    method = f"{sub['method'].iloc[0]} {100 * sub['level'].iloc[0]:g}% interval" if len(sub) else ""
    ax.set_xlabel(_wrap(f"Share of cases judged sufficient (%) with {method}", 65))
    below = int((sub.groupby("pdu")["share"].min() < float(fw.thresholds[0][1])).sum())
    title = f"{std.name}: {below} of {len(pdus)} PDUs have a key question below 50% (Inadequate)"
    ax.set_title(_wrap(title, 62), loc="left")
    fig.legend(
        *ax.get_legend_handles_labels(),
        loc="outside lower center",
        ncol=3,
        frameon=False,
        title="key question",
    )
    alt = f"{std.name} key-question shares by PDU with {method}s: " + "; ".join(
        f"{r.pdu} {fw.key_question(std.id, r.key_question).short} {r.share:.0%} ({r.lower:.0%}-{r.upper:.0%}, n={r.n})"
        for r in sub.itertuples()
    )
    return _finish(fig, alt, f"{title}. Intervals: {method}.")


def funnel_plot(
    funnel: pd.DataFrame, *, measure: str, label: str = "pdu", highlight: str | None = None
) -> Figure:
    """Share against number of cases with 95% and 99.8% limits around the target; units outside are labelled."""
    from hmip.stats.funnel import funnel_curve

    fig, ax = _fig(8.0, 5.0)
    theta = float(funnel["target"].iloc[0])
    n_max = max(60, int(funnel["n"].max() * 1.3))
    grid = np.arange(5, n_max + 1)
    for level, ls in ((0.95, "--"), (0.998, ":")):
        lim = funnel_curve(funnel, grid, level)  # the same limits as the table's flags
        ax.plot(grid, lim["lower"], ls=ls, color=NEUTRAL, lw=1.2, label=f"{100 * level:g}% limits")
        ax.plot(grid, lim["upper"], ls=ls, color=NEUTRAL, lw=1.2)
    ax.axhline(theta, color="black", lw=1, label=f"regional share {theta:.0%}")
    out = funnel["outside_95"].to_numpy()
    ax.scatter(
        funnel["n"],
        funnel["share"],
        s=55,
        c=np.where(out, SERIES[5], SERIES[0]),
        marker="o",
        edgecolor="black",
        zorder=3,
    )
    for r in funnel.itertuples():
        name = getattr(r, label)
        if r.outside_95 or name == highlight:
            ax.annotate(
                _wrap(name, 22) + (" (outside 95%)" if r.outside_95 else ""),
                (r.n, r.share),
                xytext=(6, 4),
                textcoords="offset points",
                fontsize=9,
                fontweight="bold" if name == highlight else "normal",
            )
    ax.set_xlabel("Number of cases judged (n)")
    ax.set_ylabel("Share judged sufficient (%)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    n_out = int(out.sum())
    title = (
        f"{measure}: {n_out} of {len(funnel)} PDUs outside the 95% limits"
        if n_out
        else f"{measure}: every PDU within the 95% limits (differences consistent with chance)"
    )
    ax.set_title(_wrap(title, 62), loc="left")
    ax.legend(
        handles=ax.get_legend_handles_labels()[0]
        + [
            Patch(facecolor=SERIES[0], edgecolor="black", label="PDU inside 95% limits"),
            Patch(facecolor=SERIES[5], edgecolor="black", label="PDU outside (labelled)"),
        ],
        frameon=False,
        loc="upper right",
    )
    alt = f"Funnel plot of {measure}: " + "; ".join(
        f"{getattr(r, label)} {r.share:.0%} of {int(r.n)} ({'outside' if r.outside_95 else 'inside'} 95% limits)"
        for r in funnel.itertuples()
    )
    return _finish(
        fig,
        alt,
        f"{title}. Method: {funnel['method'].iloc[0]}. Flagged {funnel['flag_method'].iloc[0]}.",
    )


def rank_plot(ranks: pd.DataFrame, *, measure: str, label: str = "pdu") -> Figure:
    """Each unit's plausible range of rank (1 = highest share)."""
    fig, ax = _fig(8.0, 1.3 + 0.5 * len(ranks))
    for i, r in enumerate(ranks.itertuples()):
        ax.plot(
            [r.rank_lower, r.rank_upper],
            [i, i],
            color=SERIES[0],
            lw=5,
            solid_capstyle="butt",
            alpha=0.6,
        )
        ax.plot(r.rank, i, "o", color="black")
        ax.text(len(ranks) + 0.6, i, f"{r.share:.0%} (n={r.n})", va="center", fontsize=9.5)
    ax.set_yticks(range(len(ranks)), [_wrap(getattr(r, label), 30) for r in ranks.itertuples()])
    ax.set_ylim(len(ranks) - 0.5, -0.5)
    ax.set_xlim(0.5, len(ranks) + 2.5)
    ax.set_xticks(range(1, len(ranks) + 1))
    ax.set_xlabel("Rank (1 = highest share); bar = 95% range, dot = observed rank")
    widest = int((ranks["rank_upper"] - ranks["rank_lower"]).max())
    title = f"{measure}: rank ranges span up to {widest + 1} places, so most league-table positions are uncertain"
    ax.set_title(_wrap(title, 62), loc="left")
    alt = f"Rank ranges on {measure}: " + "; ".join(
        f"{getattr(r, label)} rank {r.rank} (range {r.rank_lower}-{r.rank_upper})"
        for r in ranks.itertuples()
    )
    return _finish(fig, alt, title)


# --- Issue 5: sample size sensitivity ----------------------------------------------------------------------
def probability_bars(
    table: pd.DataFrame, *, title: str, xlabel: str = "Probability (%)", label_width: int = 40
) -> Figure:  # noqa: E501
    """Stacked horizontal bars of probabilities over ratings (columns = Rating labels), letters on segments."""
    fig, ax = _fig(8.5, 1.3 + 0.45 * len(table))
    left = np.zeros(len(table))
    for r in Rating:
        vals = table[r.label].to_numpy(float) if r.label in table else np.zeros(len(table))
        ax.barh(
            range(len(table)),
            vals,
            left=left,
            color=r.colour,
            edgecolor="white",
            hatch=HATCH[r],
            label=f"{r.code} = {r.label}",
        )
        for i, (v, lft) in enumerate(zip(vals, left, strict=True)):
            if v >= 0.07:
                ax.text(
                    lft + v / 2,
                    i,
                    f"{r.code} {v:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color=r.text_colour,
                    bbox={"facecolor": r.colour, "edgecolor": "none", "pad": 0.5},
                )
        left += vals
    ax.set_yticks(range(len(table)), [_wrap(x, label_width) for x in table.index])
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(_wrap(xlabel, 65))
    ax.set_title(_wrap(title, 62), loc="left")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    alt = f"{title}. " + "; ".join(
        f"{idx}: "
        + ", ".join(f"{r.code} {table.loc[idx, r.label]:.0%}" for r in Rating if r.label in table)
        for idx in table.index
    )
    return _finish(fig, alt, f"{title}. {xlabel}.")


def shares_with_bands(
    table: pd.DataFrame, *, title: str, framework: Framework | None = None
) -> Figure:
    """Key-question shares with intervals against the band thresholds (rows: label, share, lower, upper, n)."""
    fw = framework or default_framework()
    fig, ax = _fig(8.5, 1.4 + 0.42 * len(table))
    edges = [0.0] + [float(t) for _, t in fw.thresholds] + [1.0]
    for r, (a, b) in zip(Rating, zip(edges[:-1], edges[1:], strict=True), strict=True):
        ax.axvspan(a, b, color=r.colour, alpha=0.18, lw=0)
        ax.text((a + b) / 2, -0.9, r.code, ha="center", fontsize=10, fontweight="bold")
    x = table["share"].to_numpy(float)
    ax.errorbar(
        x,
        range(len(table)),
        xerr=[x - table["lower"], table["upper"] - x],
        fmt="o",
        color="black",
        capsize=3,
    )
    ax.set_yticks(
        range(len(table)),
        [
            _wrap(f"{i} ({int(k)}/{int(n)})", 44)
            for i, k, n in zip(table.index, table["yes"], table["n"], strict=True)
        ],
    )
    ax.set_ylim(len(table) - 0.5, -1.2)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel(
        _wrap(
            f"Share judged sufficient (%), {table['method'].iloc[0]} {100 * table['level'].iloc[0]:g}% interval",
            65,
        )
    )
    ax.set_title(_wrap(title, 62), loc="left")
    alt = f"{title}. " + "; ".join(
        f"{i}: {r.share:.0%} ({r.lower:.0%}-{r.upper:.0%})" for i, r in table.iterrows()
    )
    return _finish(
        fig,
        alt,
        f"{title}. Intervals: {table['method'].iloc[0]} {100 * table['level'].iloc[0]:g}%.",
    )


def accuracy_curves(curve: pd.DataFrame, *, mark_n: int = 42, target_lines=(0.8, 0.9)) -> Figure:
    """P(correct band) against n for several true shares, HMIP's n marked."""
    fig, ax = _fig(8.5, 4.8)
    for i, (share, g) in enumerate(curve.groupby("true_share")):
        ax.plot(
            g["n"],
            g["p_correct"],
            color=SERIES[i % len(SERIES)],
            lw=1.3,
            label=f"true share {share:.0%} ({Rating.parse(g['true_band'].iloc[0]).code})",
        )
    ax.axvline(mark_n, color="black", ls="--", lw=1)
    ax.text(mark_n, 1.02, f" HMIP's n = {mark_n}", fontsize=9.5)
    for t in target_lines:
        ax.axhline(t, color=GREY, lw=1, ls=":")
        ax.text(curve["n"].max(), t, f"{t:.0%}", va="bottom", ha="right", fontsize=9)
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlabel("Number of cases sampled (n)")
    ax.set_ylabel("Chance of the correct band (%)")
    at = curve[curve["n"] == mark_n]
    worst = at["p_correct"].min() if len(at) else np.nan
    title = f"At n = {mark_n}, a true share near a boundary is banded correctly only {worst:.0%} of the time"
    ax.set_title(_wrap(title, 62), loc="left")
    ax.legend(frameon=False, loc="lower right")
    alt = f"{title}. " + "; ".join(
        f"true share {r.true_share:.0%}: {r.p_correct:.0%} at n={mark_n}" for r in at.itertuples()
    )
    return _finish(
        fig,
        alt,
        f"{title}. Method: {curve['method'].iloc[0]}; the saw-tooth comes from whole-number counts.",
    )


def points_distribution(
    points: pd.Series, *, pdu: str, observed: int | None = None, framework: Framework | None = None
) -> Figure:
    """The probability of each points total, bars coloured and lettered by overall band."""
    fw = framework or default_framework()
    max_points = int(points.index.max())
    scale = next(s for s in fw.overall_scales if s.max_points == max_points)
    fig, ax = _fig(8.5, 4.2)
    for b in scale.bands:
        r = Rating.parse(b.rating)
        xs = np.arange(b.low, b.high + 1)
        ax.bar(
            xs,
            points.reindex(xs).to_numpy(),
            color=r.colour,
            edgecolor="black",
            hatch=HATCH[r],
            label=f"{r.code}: {b.low}-{b.high} points",
        )
    if observed is not None:
        ax.axvline(observed, color="black", ls="--")
        ax.text(observed, ax.get_ylim()[1] * 0.95, f" observed {observed}", fontsize=9.5)
    ax.set_xlabel(f"Total points (0-{max_points})")
    ax.set_ylabel("Probability (%)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_xlim(-0.5, max_points + 0.5)
    ax.legend(frameon=False, loc="upper right")
    probs = {Rating.parse(b.rating): float(points.loc[b.low : b.high].sum()) for b in scale.bands}
    best = max(probs, key=probs.get)
    title = f"{pdu}: with a different sample, {best.label} {probs[best]:.0%}; " + ", ".join(
        f"{r.code} {p:.0%}" for r, p in probs.items() if r != best
    )
    ax.set_title(_wrap(title, 62), loc="left")
    return _finish(
        fig,
        f"Distribution of total points for {pdu}: "
        + ", ".join(f"{r.label} {p:.1%}" for r, p in probs.items()),
        title,
    )


# --- Issue 6: disproportionality ------------------------------------------------------------------------------
def group_dot_plot(table: pd.DataFrame, *, title: str, marker: str = "[c]") -> Figure:
    """Share sufficient by group with intervals and n; suppressed cells are shown as text, not points."""
    fig, ax = _fig(8.5, 1.4 + 0.42 * len(table))
    for i, r in enumerate(table.itertuples()):
        if getattr(r, "suppressed", False) or pd.isna(r.share):
            ax.text(
                0.02,
                i,
                f"suppressed (fewer than 8 people) {marker}",
                va="center",
                fontsize=9,
                color=NEUTRAL,
            )
            continue
        ax.errorbar(
            r.share,
            i,
            xerr=[[r.share - r.lower], [r.upper - r.share]],
            fmt="o",
            color=SERIES[0],
            capsize=3,
        )
    ax.set_yticks(
        range(len(table)),
        [
            _wrap(f"{lab} (n={n})", 44)
            for lab, n in zip(table["label"], table["n_display"], strict=True)
        ],
    )
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    meth = table["method"].dropna().iloc[0] if table["method"].notna().any() else ""
    ax.set_xlabel(_wrap(f"Share of cases judged sufficient (%), {meth}", 65))
    ax.set_title(_wrap(title, 62), loc="left")
    alt = f"{title}. " + "; ".join(
        f"{r.label}: "
        + (
            "suppressed"
            if getattr(r, "suppressed", False) or pd.isna(r.share)
            else f"{r.share:.0%} ({r.lower:.0%}-{r.upper:.0%})"
        )
        for r in table.itertuples()
    )
    return _finish(fig, alt, title)


def forest_plot(
    table: pd.DataFrame,
    *,
    title: str,
    xlabel: str = "Relative rate index (ratio of shares sufficient), log scale",
) -> Figure:
    """Ratios with intervals on a log scale with the line at 1 (rows: label, estimate, lower, upper)."""
    fig, ax = _fig(8.5, 1.4 + 0.42 * len(table))
    for i, r in enumerate(table.itertuples()):
        if (
            pd.isna(r.estimate)
            or not np.isfinite(r.lower)
            or not np.isfinite(r.upper)
            or r.lower <= 0
        ):
            ax.text(
                1,
                i,
                "not estimable or suppressed",
                va="center",
                ha="center",
                fontsize=9,
                color=NEUTRAL,
            )
            continue
        pooled = "pooled" in str(r.label).lower()
        ax.errorbar(
            max(r.estimate, 1e-3),
            i,
            xerr=[[max(r.estimate, 1e-3) - r.lower], [r.upper - max(r.estimate, 1e-3)]],
            fmt="D" if pooled else "s",
            color="black" if pooled else SERIES[0],
            capsize=3,
            ms=7 if pooled else 5,
        )
    ax.axvline(1, color="black", lw=1)
    ax.set_xscale("log")
    ax.set_xlim(0.1, 10)
    ax.set_yticks(range(len(table)), [_wrap(x, 44) for x in table["label"]])
    ax.set_ylim(len(table) - 0.5, -0.5)
    ax.set_xlabel(_wrap(xlabel, 65))
    ax.text(0.11, -0.45, "< 1: minority group less often sufficient", fontsize=8.5, va="top")
    ax.set_title(_wrap(title, 62), loc="left")
    alt = f"{title}. " + "; ".join(
        f"{r.label}: {r.estimate:.2f} ({r.lower:.2f}-{r.upper:.2f})"
        for r in table.itertuples()
        if pd.notna(r.estimate)
    )
    return _finish(fig, alt, title)

"""Issue 20, wrong figure 3: what the funnel chart draws and what it flags are one rule. For every
count x of n (n up to 60), a unit is flagged outside iff it lies beyond the limit drawn, and the flag
is the exact binomial tail written here."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hmip.stats.funnel import funnel_curve, funnel_limits, funnel_table, step_limits

ALL = pd.DataFrame(
    [{"pdu": f"{x}/{n}", "yes": x, "n": n} for n in range(1, 61) for x in range(n + 1)]
)


@pytest.mark.parametrize("target", [0.65, 0.5, 0.25, 0.8, 0.9])
def test_flagged_outside_iff_beyond_the_drawn_limit_for_every_count_up_to_60(target):
    t = funnel_table(ALL, target=target)
    x, n = t["yes"].to_numpy(), t["n"].to_numpy()
    for level in (0.95, 0.998):
        tag = f"{100 * level:g}"
        tail = (1 - level) / 2
        exact = (stats.binom.sf(x - 1, n, target) < tail) | (stats.binom.cdf(x, n, target) < tail)
        assert (t[f"outside_{tag}"].to_numpy() == exact).all()  # the flag: exact tails
        beyond = (t["share"] < t[f"lower_{tag}"]) | (t["share"] > t[f"upper_{tag}"])
        assert (t[f"outside_{tag}"] == beyond).all()  # the flag: beyond the limit shown
        # the limit drawn at each n (funnel_curve, what the chart plots) is the table's
        curve = funnel_curve(t, np.arange(1, 61), level).set_index("n")
        drawn_lo = curve.loc[n, "lower"].to_numpy()
        drawn_hi = curve.loc[n, "upper"].to_numpy()
        assert (((x / n) < drawn_lo) | ((x / n) > drawn_hi) == exact).all()
        # no point sits on a drawn line (steps are halfway between two counts), except at 0% or 100%
        # where no count is outside on that side and the line is clipped to the axis
        on_lo = np.isclose(x / n, drawn_lo) & (drawn_lo > 0)
        on_hi = np.isclose(x / n, drawn_hi) & (drawn_hi < 1)
        assert not on_lo.any() and not on_hi.any()


def test_the_interpolated_limits_disagreed_with_the_flags():
    # before: lines at Spiegelhalter's interpolated limits; 60 (x, n) points for n = 1-60 at 0.65
    # were drawn beyond the 95% line yet flagged inside (33/42: 0.786 against 0.780)
    t = funnel_table(ALL, target=0.65)
    old = funnel_limits(0.65, t["n"], 0.95)
    beyond_old = (t["share"] < old["lower"].to_numpy()) | (t["share"] > old["upper"].to_numpy())
    assert (beyond_old & ~t["outside_95"]).sum() > 0
    row = t[t["pdu"] == "33/42"].iloc[0]
    assert not row["outside_95"] and row["upper_95"] == pytest.approx(33.5 / 42)


def test_step_limits_name_the_counts_inside():
    s = step_limits(0.65, [42], 0.95).iloc[0]
    assert (s["x_lo"], s["x_hi"]) == (21, 33)
    assert stats.binom.sf(32, 42, 0.65) >= 0.025 > stats.binom.sf(33, 42, 0.65)
    assert stats.binom.cdf(21, 42, 0.65) >= 0.025 > stats.binom.cdf(20, 42, 0.65)
    assert (s["lower"], s["upper"]) == pytest.approx((20.5 / 42, 33.5 / 42))


def test_with_overdispersion_the_same_holds_for_the_adjusted_rule():
    counts = pd.DataFrame(
        {"pdu": list("abcdef"), "yes": [10, 20, 30, 15, 25, 5], "n": [30, 42, 50, 60, 42, 20]}
    )
    for method in ("multiplicative", "additive"):
        od_table = funnel_table(counts, overdispersion_method=method)
        assert od_table["adjustment"].iloc[0] == method
        theta = od_table["target"].iloc[0]
        every = funnel_table(ALL, target=theta, overdispersion_method="none")
        # re-flag every (x, n) with the adjusted rule the chart of od_table draws
        curve = funnel_curve(od_table, np.arange(1, 61), 0.95).set_index("n")
        x, n = every["yes"].to_numpy(), every["n"].to_numpy()
        sd = np.sqrt(
            theta * (1 - theta) / n * od_table["phi"].iloc[0]
            if method == "multiplicative"
            else theta * (1 - theta) / n + od_table["tau2"].iloc[0]
        )
        z = (x / n - theta) / sd
        flagged = (stats.norm.sf(z) < 0.025) | (stats.norm.cdf(z) < 0.025)
        beyond = (x / n < curve.loc[n, "lower"].to_numpy()) | (
            x / n > curve.loc[n, "upper"].to_numpy()
        )
        assert (flagged == beyond).all()


def test_the_chart_draws_the_steps():
    import matplotlib

    matplotlib.use("Agg")
    from hmip.present import charts

    t = funnel_table(ALL[ALL["n"] == 42].iloc[30:36], target=0.65)
    fig = charts.funnel_plot(t, measure="Assessment: keeping other people safe")
    lines = [ln for ln in fig.axes[0].get_lines() if ln.get_drawstyle() == "steps-mid"]
    assert len(lines) == 4  # 95% and 99.8%, lower and upper
    xs = lines[0].get_xdata()
    curve = funnel_curve(t, xs, 0.95)
    assert lines[0].get_ydata() == pytest.approx(curve["lower"].to_numpy())
    assert lines[1].get_ydata() == pytest.approx(curve["upper"].to_numpy())

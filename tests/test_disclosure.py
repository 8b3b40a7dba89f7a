"""Disclosure control: the NHS England / OpenSAFELY rule at its edges, what a reader can infer from
a shown count, secondary suppression, and the precision of statistics from true counts."""

import itertools

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.contingency_tables import StratifiedTable

from hmip.errors import DisclosureError
from hmip.stats.disclosure import (
    MARKER,
    TOTALS_ROUNDED,
    TOTALS_TRUE,
    count_codes,
    display_count,
    get_rule,
    mantel_haenszel_batch,
    p_band,
    protect,
    protect_table,
    protected_share,
    round_ratio,
    rounded_values,
    row_codes,
    secondary_suppression,
    shown_range,
)
from hmip.stats.disproportionality import mh_risk_ratio


def test_edges_0_1_7_8_12_13():
    shown = protect(pd.Series([0, 1, 7, 8, 12, 13, 42, 100]))
    assert list(shown) == [0, MARKER, MARKER, 10, 10, 15, 40, 100]


def test_parameters_threshold_base_marker():
    assert list(protect(pd.Series([3, 10, 11]), threshold=3, base=10, marker="*")) == ["*", 10, 10]
    assert list(protect(pd.DataFrame({"a": [2, 9]}))["a"]) == [MARKER, 10]


def test_a_total_never_reveals_a_suppressed_cell():
    table = pd.DataFrame(
        {"group": ["A", "B", "C"], "cases": [5, 10, 35]}
    )  # true total 50 would reveal A = 5
    out = protect_table(table, ["cases"]).table
    assert list(out["cases"][:3]) == [MARKER, 10, 35]
    total = out["cases"].iloc[-1]
    assert out["group"].iloc[-1] == "Total" and total == 45  # from rounded values, not 50
    assert total == sum(v for v in out["cases"][:3] if v != MARKER)


def test_shares_on_suppressed_counts_are_suppressed_and_use_rounded_values():
    yes_shown, n_shown, share, suppressed = protected_share([3, 40, 20], [30, 45, 42])
    assert list(suppressed) == [True, True, False]  # 3 yes; 5 no
    assert np.isnan(share[0]) and np.isnan(share[1])
    assert share[2] == pytest.approx(20 / 40)  # rounded 20 of rounded 40


def test_none_rule_is_explicit():
    rule = get_rule("none")
    assert not rule.active and "do not share" in rule.describe()
    assert MARKER in get_rule("nhs").describe()
    with pytest.raises(DisclosureError, match="accepted: nhs, none"):
        get_rule("loose")


def test_negative_or_fractional_counts_are_refused():
    with pytest.raises(DisclosureError):
        rounded_values(pd.Series([-1]))
    with pytest.raises(DisclosureError):
        rounded_values(pd.Series([1.5]))


# --- What a reader can infer, and secondary suppression ----------------------------------------------------
def test_shown_range_is_what_the_rule_allows():
    assert shown_range(0) == (0, 0)
    assert shown_range(MARKER) == (1, 7)
    assert shown_range(10) == (8, 12)  # 8-12 round to 10; 1-7 would have been suppressed
    assert shown_range(15) == (13, 17)
    for v in range(0, 60):  # every true count lies in the range its shown value gives
        lo, hi = shown_range(display_count(v))
        assert lo <= v <= hi
    assert shown_range(12, get_rule("none")) == (12, 12)


def test_codes_agree_with_protect():
    values = np.arange(0, 40)
    shown = protect(pd.Series(values))
    codes = count_codes(values)
    assert [(-1 if s == MARKER else s) for s in shown] == list(codes.astype(int))
    yes, no = np.array([3, 10, 20, 0, 40]), np.array([20, 3, 20, 0, 5])
    y_code, n_code = row_codes(yes, no)
    assert list(y_code) == [-1, -1, 20, 0, -1]  # yes hidden where yes, no or n is 1-7
    assert list(n_code) == [25, 15, 40, 0, 45]


def _attack_column(shown: list, total) -> list[set[int]]:
    """Brute force: every combination of true cells (0-30) consistent with the shown cells and the
    shown total (a marker may be primary 1-7 or a secondary suppression of any count)."""

    def allowed(s):
        if s == MARKER:
            return range(1, 31)
        lo, hi = shown_range(s)
        return range(lo, hi + 1)

    t_lo, t_hi = (0, 10**6) if total == MARKER else shown_range(total)
    seen = [set() for _ in shown]
    for combo in itertools.product(*(allowed(s) for s in shown)):
        if t_lo <= sum(combo) <= t_hi:
            for i, v in enumerate(combo):
                seen[i].add(v)
    return seen


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(st.one_of(st.integers(0, 8), st.integers(8, 16)), min_size=1, max_size=4))
def test_secondary_suppression_leaves_every_cell_two_values(cells):
    shown, total, extra = secondary_suppression(cells)
    assert all(shown[i] == MARKER for i in extra)
    for v, seen in zip(cells, _attack_column(shown, total), strict=True):
        assert v in seen
        if 1 <= v <= 7:
            assert len({x for x in seen if 1 <= x <= 7}) >= 2, (cells, shown, total)
        elif v > 7:
            assert len(seen) >= 2, (cells, shown, total)


def test_secondary_suppression_examples():
    # 1 (hidden), 8 and 8 (shown 10, 10), total 17 (shown 15): 15 + 2 - 8 - 8 leaves only 1
    shown, total, extra = secondary_suppression([1, 8, 8])
    assert extra == [1] and shown == [MARKER, MARKER, 10] and total == 15
    # four 8s (shown 10) with a total of 32 (shown 30): each must be 8
    assert secondary_suppression([8, 8, 8, 8])[2] == [0]
    # a rounded total rarely needs it: 5 of 10 + 35 (total 50) stays
    assert secondary_suppression([5, 10, 35]) == ([MARKER, 10, 35], 50, [])


def test_protect_table_states_how_totals_are_made():
    table = pd.DataFrame({"group": ["A", "B", "C"], "cases": [1, 8, 8]})
    protected = protect_table(table, ["cases"])
    rounded = protected.table
    assert rounded["note"].iloc[-1] == TOTALS_ROUNDED and protected.totals == TOTALS_ROUNDED
    assert not rounded.attrs  # no metadata rides in DataFrame.attrs
    assert rounded["cases"].iloc[-1] == 20  # 10 + 10: the suppressed cell is left out, and says so
    true = protect_table(table, ["cases"], totals="true").table
    assert list(true["cases"]) == [MARKER, MARKER, 10, 15] and true["note"].iloc[-1] == TOTALS_TRUE
    with pytest.raises(DisclosureError, match="accepted: rounded, true"):
        protect_table(table, ["cases"], totals="exact")


def test_p_bands_and_ratio_precision():
    assert [p_band(p) for p in (0.0004, 0.001, 0.0099, 0.01, 0.049, 0.05, 0.7)] == [
        "p < 0.001",
        "p < 0.01",
        "p < 0.01",
        "p < 0.05",
        "p < 0.05",
        "p >= 0.05",
        "p >= 0.05",
    ]
    assert p_band(np.nan) == "" and p_band(0.0123, "none") == "p = 0.012"
    assert round_ratio(0.68643) == 0.69 and round_ratio(0.68643, "none") == 0.68643


def test_mantel_haenszel_batch_matches_statsmodels():
    rng = np.random.default_rng(11)
    tables = rng.integers(1, 25, size=(40, 4, 4))  # 40 sets of 4 strata: a, b, c, d
    got = mantel_haenszel_batch(tables)
    for t, g in zip(tables, got, strict=True):
        st_ = StratifiedTable(t.reshape(4, 2, 2).transpose(1, 2, 0).astype(float))
        rr = mh_risk_ratio(t.reshape(4, 2, 2).astype(float))
        assert g[0] == pytest.approx(st_.riskratio_pooled)
        assert g[:3] == pytest.approx(
            rr.iloc[0][["estimate", "lower", "upper"]].to_numpy(dtype=float)
        )
        assert g[3] == pytest.approx(st_.oddsratio_pooled)
        assert g[4:] == pytest.approx(st_.oddsratio_pooled_confint())

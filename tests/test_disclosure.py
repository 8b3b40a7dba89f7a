"""Disclosure control: the NHS England / OpenSAFELY rule at its edges."""

import numpy as np
import pandas as pd
import pytest

from hmip.errors import DisclosureError
from hmip.stats.disclosure import (
    MARKER,
    get_rule,
    protect,
    protect_table,
    protected_share,
    rounded_values,
)


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
    out = protect_table(table, ["cases"])
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

"""Property test: every public function of hmip.stats.disproportionality refuses impossible arguments.

Hypothesis builds a valid call, then spoils one argument: a count (negative, fractional, NaN,
infinite, boolean or not a number, or more yes than n), a share, power or alpha outside its range, a
level outside [0.5, 1), an unknown test, grouping or grid, a table of the wrong shape. The function
must raise the project's StatisticsError: never return a number and never let a foreign exception
through.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmip.errors import StatisticsError
from hmip.stats.disproportionality import (
    MINORITY,
    adjust_p_values,
    compare_groups,
    exact_power,
    exact_test,
    group_shares,
    make_grouping,
    mh_risk_ratio,
    min_detectable_difference,
    pooled_analysis,
)

from .strategies import bad_counts

BAD_COUNTS = bad_counts(1e9, [math.nan, math.inf, -math.inf, True, None, "3"])
BAD_SHARES = st.one_of(
    st.floats().filter(lambda x: not 0 <= x <= 1),
    st.sampled_from([None, "0.5", True, [0.5]]),
)
BAD_OPEN_SHARES = st.one_of(BAD_SHARES, st.sampled_from([0, 0.0, 1, 1.0]))
BAD_LEVELS = st.one_of(
    st.floats().filter(lambda x: not 0.5 <= x < 1), st.integers(), st.sampled_from([None, "0.95"])
)
BAD_NAMES = st.one_of(st.text(max_size=10), st.sampled_from([None, 1, ["fisher"]]))


#: The power functions: each with its valid shares, and those that must lie strictly inside (0, 1).
POWER_CALLS = {
    "min_detectable_difference": (
        min_detectable_difference,
        {"p_ref": 0.7, "power": 0.8, "alpha": 0.05},
        ("power", "alpha"),
    ),
    "exact_power": (exact_power, {"p_group": 0.5, "p_ref": 0.7, "alpha": 0.05}, ("alpha",)),
}


def _counts(yes: list, n: list) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pdu": ["A", "A", "B", "B"],
            "standard": ["planning"] * 4,
            "key_question": ["engagement"] * 4,
            "group": [MINORITY, "White"] * 2,
            "yes": pd.Series(yes, dtype=object),
            "n": pd.Series(n, dtype=object),
        }
    )


@settings(max_examples=400, deadline=None, database=None)
@given(data=st.data())
def test_impossible_arguments_raise_statistics_error(data):
    draw = data.draw
    n = [draw(st.integers(1, 30)) for _ in range(4)]
    yes = [draw(st.integers(0, m)) for m in n]
    name = draw(
        st.sampled_from(
            [
                "exact_test",
                "min_detectable_difference",
                "exact_power",
                "mh_risk_ratio",
                "compare_groups",
                "pooled_analysis",
                "group_shares",
                "adjust_p_values",
                "make_grouping",
            ]
        ),
        label="function",
    )
    k = draw(st.integers(0, 3), label="which count")

    def spoil_counts() -> None:
        how = draw(st.sampled_from(["yes", "n", "yes above n"]), label="spoil")
        if how == "yes":
            yes[k] = draw(BAD_COUNTS, label="yes")
        elif how == "n":
            n[k] = draw(BAD_COUNTS, label="n")
        else:
            yes[k] = n[k] + draw(st.integers(1, 100), label="excess")

    if name == "exact_test":
        kw = {"test": draw(st.sampled_from(["boschloo", "fisher"]))}
        what = draw(st.sampled_from(["counts", "test", "grid"]))
        if what == "counts":
            k %= 2  # the test uses the first two (yes, n) pairs
            spoil_counts()
        elif what == "test":
            kw["test"] = draw(BAD_NAMES.filter(lambda t: t not in ("boschloo", "fisher")))
        else:
            kw["grid"] = draw(st.one_of(st.integers(max_value=0), st.sampled_from([1.5, None])))

        def call():
            return exact_test(yes[0], n[0], yes[1], n[1], **kw)

    elif name in POWER_CALLS:
        function, shares, open_shares = POWER_CALLS[name]
        args = {"n_group": n[0], "n_ref": n[1], **shares}
        what = draw(st.sampled_from(list(args)))
        args[what] = draw(
            BAD_COUNTS
            if what.startswith("n_")
            else BAD_OPEN_SHARES
            if what in open_shares
            else BAD_SHARES
        )

        def call():
            return function(**args)

    elif name == "mh_risk_ratio":
        what = draw(st.sampled_from(["cell", "shape", "level"]))
        tables = [[[yes[0], n[0] - yes[0]], [yes[1], n[1] - yes[1]]]]
        level = 0.95
        if what == "cell":
            tables = np.array(tables, dtype=object)
            tables[0, draw(st.integers(0, 1)), draw(st.integers(0, 1))] = draw(BAD_COUNTS)
        elif what == "shape":
            tables = draw(st.sampled_from([tables[0], [tables], [[1, 2, 3]], [], "table"]))
        else:
            level = draw(BAD_LEVELS)

        def call():
            return mh_risk_ratio(tables, level=level)

    elif name in ("compare_groups", "pooled_analysis", "group_shares"):
        what = draw(st.sampled_from(["counts", "level", "grouping", "test"]))
        kw = {}
        grouping = make_grouping("binary")
        if what == "counts":
            spoil_counts()
        elif what == "level":
            kw["level"] = draw(BAD_LEVELS)
        elif what == "grouping" and name != "group_shares":
            grouping = draw(st.sampled_from(["binary", None, 1]))
        elif name == "compare_groups":
            kw["test"] = draw(BAD_NAMES.filter(lambda t: t not in ("boschloo", "fisher")))
        else:
            kw["level"] = draw(BAD_LEVELS)
        table = _counts(yes, n)

        def call():
            if name == "group_shares":
                return group_shares(table, **kw)
            f = compare_groups if name == "compare_groups" else pooled_analysis
            return f(table, grouping, **kw)

    elif name == "adjust_p_values":
        p = [draw(st.floats(0, 1)) for _ in range(3)]
        p[k % 3] = draw(st.floats(allow_nan=False).filter(lambda x: not 0 <= x <= 1))

        def call():
            return adjust_p_values(pd.DataFrame({"p_value": p}))

    else:
        bad = draw(BAD_NAMES.filter(lambda g: g not in ("ons5", "binary", "custom")))

        def call():
            return make_grouping(bad)

    with pytest.raises(StatisticsError):
        call()

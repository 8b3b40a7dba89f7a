"""Property test: every public function of hmip.stats.intervals refuses impossible arguments.

Hypothesis builds a valid call, then spoils one argument (a count that is negative, fractional, NaN,
infinite, too large, boolean or not a number; a count above its n; a level outside [0.5, 1); an
unknown method). The function must raise the project's StatisticsError: never return a number and
never let a foreign exception through.
"""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hmip.errors import StatisticsError
from hmip.stats.intervals import (
    MAX_COUNT,
    newcombe_difference,
    proportion_interval,
    ratio_interval,
    share_table,
)

from .strategies import bad_counts

BAD_COUNTS = bad_counts(
    1e12,
    [math.nan, math.inf, -math.inf, True, False, None, "3", "", 2 + 0j],
    st.integers(min_value=MAX_COUNT + 1),
)
BAD_LEVELS = st.one_of(
    st.floats().filter(lambda x: not 0.5 <= x < 1),
    st.integers(),
    st.sampled_from([None, "0.95", True, [0.95]]),
)
BAD_METHODS = st.one_of(
    st.text(max_size=12).filter(lambda m: m not in ("wilson", "jeffreys", "clopper-pearson")),
    st.sampled_from([None, 1, "Wilson", ["wilson"]]),
)
FUNCTIONS = ["proportion_interval", "share_table", "newcombe_difference", "ratio_interval"]


def _call(name: str, yes: list, n: list, level, method):
    """Call ``name`` with the first one or two (yes, n) pairs."""
    if name == "proportion_interval":
        return proportion_interval(yes[0], n[0], level=level, method=method)
    if name == "share_table":
        return share_table(
            pd.DataFrame({"yes": [yes[0], 1], "n": [n[0], 2]}, dtype=object),
            level=level,
            method=method,
        )
    f = newcombe_difference if name == "newcombe_difference" else ratio_interval
    return f(yes[0], n[0], yes[1], n[1], level=level)


@settings(max_examples=400, deadline=None, database=None)
@given(data=st.data())
def test_impossible_arguments_raise_statistics_error(data):
    name = data.draw(st.sampled_from(FUNCTIONS), label="function")
    n = [data.draw(st.integers(0, 60)) for _ in range(2)]
    yes = [data.draw(st.integers(0, m)) for m in n]
    level, method = 0.95, "wilson"
    spoil = data.draw(
        st.sampled_from(
            ["yes", "n", "yes above n", "level"]
            + (["method"] if name in ("proportion_interval", "share_table") else [])
        ),
        label="spoil",
    )
    k = data.draw(st.integers(0, 0 if name in ("proportion_interval", "share_table") else 1))
    if spoil == "yes":
        yes[k] = data.draw(BAD_COUNTS, label="yes")
    elif spoil == "n":
        n[k] = data.draw(BAD_COUNTS, label="n")
    elif spoil == "yes above n":
        yes[k] = n[k] + data.draw(st.integers(1, 1000), label="excess")
    elif spoil == "level":
        level = data.draw(BAD_LEVELS, label="level")
    else:
        method = data.draw(BAD_METHODS, label="method")
    with pytest.raises(StatisticsError):
        _call(name, yes, n, level, method)


@settings(max_examples=100, deadline=None, database=None)
@given(
    good=st.lists(st.integers(0, 40), min_size=1, max_size=5),
    bad=BAD_COUNTS,
    where=st.integers(0, 4),
)
def test_one_impossible_count_in_an_array_is_refused(good, bad, where):
    yes = [min(v, 40) for v in good]
    n = np.full(len(yes), 40, dtype=object)
    pos = where % len(yes)
    yes_bad = list(yes)
    yes_bad[pos] = bad
    with pytest.raises(StatisticsError):
        proportion_interval(np.array(yes_bad, dtype=object), n)
    with pytest.raises(StatisticsError):
        ratio_interval(np.array(yes_bad, dtype=object), n, yes, n)

"""Hypothesis strategies the property tests share: values a function must refuse."""

import math

from hypothesis import strategies as st

#: Not a whole number: a fraction, NaN or infinity, text, None or a boolean.
NOT_WHOLE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).filter(
        lambda x: not (math.isfinite(x) and float(x).is_integer())
    ),
    st.text(max_size=3),
    st.none(),
    st.booleans(),
)


def bad_counts(limit: float, odd: list, *more: st.SearchStrategy) -> st.SearchStrategy:
    """Not a count: a negative whole number, a fraction within +-``limit``, one of ``odd`` (NaN,
    infinity, booleans, text...) or what ``more`` draws."""
    return st.one_of(
        st.integers(max_value=-1),
        st.floats(allow_nan=False, allow_infinity=False, min_value=-limit, max_value=limit).filter(
            lambda x: x != math.floor(x)
        ),
        st.sampled_from(odd),
        *more,
    )

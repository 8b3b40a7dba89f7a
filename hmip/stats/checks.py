"""Argument checks shared by the statistical functions: each names the argument and what is accepted.

Every check raises :class:`~hmip.errors.StatisticsError` (or the subclass given as ``error``), never
a foreign exception, so a caller can rely on the project's error family.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from numbers import Real

import numpy as np
import pandas as pd

from hmip.errors import StatisticsError


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def whole_number(
    name: str, value: object, *, minimum: int = 0, error: type[StatisticsError] = StatisticsError
) -> int:
    """``value`` as an int if it is a whole number >= ``minimum`` (42 or 42.0; not 42.5, NaN or True)."""
    if (
        not _is_number(value)
        or not math.isfinite(float(value))
        or not float(value).is_integer()
        or value < minimum
    ):
        raise error(f"{name} = {value!r} is not accepted; give a whole number >= {minimum}")
    return int(value)


def _number_array(name: str, values: object, what: str, error: type[StatisticsError]) -> np.ndarray:
    """``values`` as a non-empty 1-D float array (no text, blanks or True/False), or ``error`` saying
    to give ``what`` ("whole numbers >= 0", "proportions in [0, 1]")."""
    if isinstance(values, str | bytes | bool) or values is None:
        raise error(f"{name} = {values!r} is not accepted; give {what}")
    try:
        raw = np.asarray(values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values)
        if raw.dtype.kind == "b" or (
            raw.dtype.kind == "O" and any(isinstance(v, bool | np.bool_) for v in raw.ravel())
        ):
            raise TypeError("True/False are not numbers here")
        arr = np.atleast_1d(np.asarray(raw, dtype=float))
    except (TypeError, ValueError):
        raise error(
            f"{name} is not accepted: give {what} (no text, blanks or True/False)"
        ) from None
    if arr.ndim != 1 or arr.size == 0:
        raise error(f"{name} is not accepted: give one or more {what}")
    return arr


def whole_numbers(
    name: str,
    values: object,
    *,
    minimum: int = 0,
    error: type[StatisticsError] = StatisticsError,
) -> np.ndarray:
    """A non-empty 1-D array of whole numbers >= ``minimum`` (as int64), or ``error``."""
    arr = _number_array(name, values, f"whole numbers >= {minimum}", error)
    bad = ~np.isfinite(arr) | (arr != np.floor(arr)) | (arr < minimum)
    if bad.any():
        raise error(
            f"{name} is not accepted: {float(arr[bad][0]):g} is not a whole number >= {minimum}"
        )
    return arr.astype(np.int64)


def proportion(
    name: str,
    value: object,
    *,
    open_low: bool = False,
    open_high: bool = False,
    error: type[StatisticsError] = StatisticsError,
) -> float:
    """``value`` as a float in [0, 1] (strictly above 0 / below 1 where ``open_low`` / ``open_high``)."""
    low, high = "(0" if open_low else "[0", "1)" if open_high else "1]"
    if (
        not _is_number(value)
        or not math.isfinite(float(value))
        or not (0 < value if open_low else 0 <= value)
        or not (value < 1 if open_high else value <= 1)
    ):
        raise error(
            f"{name} = {value!r} is not accepted; give a proportion in {low}, {high}, "
            "e.g. 0.65 (not a percentage)"
        )
    return float(value)


def proportions(
    name: str, values: object, *, error: type[StatisticsError] = StatisticsError
) -> np.ndarray:
    """A non-empty 1-D array of proportions in [0, 1]."""
    arr = _number_array(name, values, "proportions in [0, 1]", error)
    bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1)
    if bad.any():
        raise error(f"{name} is not accepted: {float(arr[bad][0]):g} is not a proportion in [0, 1]")
    return arr


def beta_prior(
    value: object, *, name: str = "prior", error: type[StatisticsError] = StatisticsError
) -> tuple[float, float]:
    """A Beta prior: two finite positive numbers, e.g. (0.5, 0.5) for Jeffreys."""
    accepted = (
        "give two finite positive numbers, e.g. (0.5, 0.5) for Jeffreys or (1, 1) for uniform"
    )
    if isinstance(value, str | bytes) or not isinstance(value, Iterable):
        raise error(f"{name} = {value!r} is not accepted; {accepted}")
    parts = tuple(value)
    if len(parts) != 2 or not all(
        _is_number(p) and math.isfinite(float(p)) and p > 0 for p in parts
    ):
        raise error(f"{name} = {value!r} is not accepted; {accepted}")
    return float(parts[0]), float(parts[1])


def counts_table(
    name: str,
    table: object,
    *,
    yes: str = "yes",
    n: str = "n",
    extra: tuple[str, ...] = (),
    error: type[StatisticsError] = StatisticsError,
) -> tuple[np.ndarray, np.ndarray]:
    """(yes, n) from a table with whole-number columns, 0 <= yes <= n and n >= 1 on every row."""
    if not isinstance(table, pd.DataFrame):
        raise error(f"{name} must be a pandas DataFrame with columns {', '.join((*extra, yes, n))}")
    missing = [c for c in (*extra, yes, n) if c not in table.columns]
    if missing:
        raise error(
            f"{name} has no column {', '.join(repr(c) for c in missing)}; "
            f"give columns {', '.join((*extra, yes, n))}"
        )
    if table.empty:
        raise error(f"{name} has no rows; give at least one unit with counts")
    k = whole_numbers(f"{name}['{yes}']", table[yes], error=error)
    m = whole_numbers(f"{name}['{n}']", table[n], minimum=1, error=error)
    over = k > m
    if over.any():
        i = int(np.nonzero(over)[0][0])
        raise error(
            f"{name}, row {i + 1}: {yes} = {k[i]} is more than {n} = {m[i]}; "
            f"accepted: 0 <= {yes} <= {n}"
        )
    return k, m

"""Validate notebook and report parameters with readable messages (the cell after the parameters cell)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from hmip.errors import ParameterError
from hmip.paths import resolve
from hmip.rules.framework import did_you_mean


def check_choice(name: str, value: object, choices: Iterable[object]) -> str:
    choices = list(choices)
    if value not in choices:
        raise ParameterError(
            f"parameter {name} = {value!r} is not accepted{did_you_mean(str(value), choices)}; "
            f"accepted: {', '.join(map(str, choices))}"
        )
    return value


def check_level(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.5 <= float(value) < 1:
        raise ParameterError(
            f"parameter {name} = {value!r} must be a proportion from 0.5 to below 1, e.g. 0.95"
        )
    return float(value)


def check_positive_int(name: str, value: object, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ParameterError(f"parameter {name} = {value!r} must be a whole number >= {minimum}")
    return value


def check_optional_int(name: str, value: object, *, minimum: int = 1) -> int | None:
    if value in (None, 0, ""):
        return None
    return check_positive_int(name, value, minimum=minimum)


def check_path(name: str, value: object) -> Path | None:
    """Blank -> None; otherwise an existing file (relative paths are from the project root)."""
    if value in (None, ""):
        return None
    path = resolve(value)
    if not path.is_file():
        raise ParameterError(f"parameter {name} = {value!r}: no such file ({path})")
    return path


def check_pdu(
    name: str, value: str, available: Iterable[str], *, allow_blank: bool = True
) -> str | None:
    if value in (None, "") and allow_blank:
        return None
    available = list(available)
    if value not in available:
        raise ParameterError(
            f"parameter {name} = {value!r} is not a PDU in the data{did_you_mean(value, available)}; "
            f"available: {'; '.join(available)}"
        )
    return value

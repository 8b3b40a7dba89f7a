"""Text that leaves the project for a spreadsheet is text, never a formula.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice Calc and Google Sheets when they open a CSV ("CSV injection" or
"formula injection"): a PDU name ``=HYPERLINK("http://x","click")`` in a case file would become a
live link in the pack's data. As OWASP's CSV injection guidance describes, such a cell is written
with a single quote in front (``'=HYPERLINK(...)``), which spreadsheets take as "this is text" and
do not show.

- :func:`neutralise_cell` applies the rule to one value; numbers (including negative numbers, and
  text that is exactly a number such as ``-2`` or ``-0.5``) are left alone, so they stay numbers.
  Text already quoted that way (``'=1``) gets one more quote, so :func:`restore_cell` undoes the
  rule exactly.
- :func:`safe_frame` applies it to every text cell (and column name) of a DataFrame;
  :func:`write_csv` writes a DataFrame to CSV through it. Every CSV the project writes for people
  goes through :func:`write_csv`.
- :data:`WORKBOOK_OPTIONS` are the ``xlsxwriter`` workbook options under which every text cell of a
  workbook is stored as a string: never a formula, a hyperlink or a number.

The rule is documented for readers in ``data/README.md`` (data dictionary).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_TRIGGERS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

#: Prefixed to a cell that begins with a trigger: spreadsheets read the rest as text.
TEXT_PREFIX = "'"

#: Text that is exactly a plain number (``-2``, ``-0.5``, ``-1e-3``): a number, not a formula.
_NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")

#: xlsxwriter options (``gptables.write_workbook(workbook_options=...)``): strings are stored as
#: strings, whatever they begin with.
WORKBOOK_OPTIONS: dict[str, bool] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def is_formula_like(value: object) -> bool:
    """True if ``value`` is text a spreadsheet would read as a formula (see :data:`FORMULA_TRIGGERS`)."""
    return (
        isinstance(value, str)
        and value[:1] in FORMULA_TRIGGERS
        and value != ""
        and not _NUMBER.fullmatch(value)
    )


def needs_prefix(value: object) -> bool:
    """True if :func:`neutralise_cell` puts a quote in front of ``value``: formula-like text, or text
    that is already quoted formula-like text (``'=1``), so that the rule can be undone exactly."""
    return isinstance(value, str) and is_formula_like(value.lstrip(TEXT_PREFIX))


def neutralise_cell(value: Any) -> Any:
    """``value`` made safe for a spreadsheet cell: ``'`` in front of formula-like text.

    Anything that is not text (numbers, missing values) is returned unchanged, and so is text that
    is exactly a number (``-2``). ``"=1+1"`` becomes ``"'=1+1"``; ``"-2+3"`` becomes ``"'-2+3"``;
    ``"'=1"`` becomes ``"''=1"`` (so :func:`restore_cell` gives back exactly what was written).
    """
    return TEXT_PREFIX + value if needs_prefix(value) else value


def restore_cell(value: Any) -> Any:
    """The text :func:`neutralise_cell` was given, from what it returned (for programs reading our CSVs)."""
    if isinstance(value, str) and value[:1] == TEXT_PREFIX and needs_prefix(value[1:]):
        return value[1:]
    return value


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell and column name passed through :func:`neutralise_cell`.

    Numeric, boolean and date columns are untouched (so a negative number stays a number).
    """
    import pandas as pd

    out = frame.copy()
    out.columns = range(frame.shape[1])  # by position: column names may repeat
    for i in out.columns:
        series = out[i]
        if not (
            pd.api.types.is_numeric_dtype(series) or pd.api.types.is_datetime64_any_dtype(series)
        ):
            out[i] = series.astype(object).map(neutralise_cell)
    out.columns = [neutralise_cell(c) for c in frame.columns]
    return out


def write_csv(frame: pd.DataFrame, path_or_buffer: Any, **options: Any) -> None:
    """Write ``frame`` as CSV with every text cell neutralised (:func:`safe_frame`).

    Defaults: no index, ``\\n`` line ends, UTF-8; ``options`` go to ``DataFrame.to_csv``.
    """
    options = {"index": False, "lineterminator": "\n", **options}
    if isinstance(path_or_buffer, (str, bytes)) or hasattr(path_or_buffer, "__fspath__"):
        options.setdefault("encoding", "utf-8")
    safe_frame(frame).to_csv(path_or_buffer, **options)

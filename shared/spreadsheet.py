"""Cells that spreadsheets must not run: a value starting with = + - @ (or a tab or carriage
return) would be read as a formula when a CSV or XLSX export is opened, so a name typed as
`=HYPERLINK(...)` could act on the reader's machine (CSV/formula injection). Such values are
kept as text: in CSV behind an apostrophe, in XLSX as a string cell. Numbers pass unchanged."""

from __future__ import annotations

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: object) -> bool:
    """Whether a spreadsheet would take `value` for a formula."""
    return isinstance(value, str) and value.startswith(_FORMULA_START)


def csv_cell(value: object) -> object:
    return "'" + value if isinstance(value, str) and as_text(value) else value


def xlsx_value(value: object) -> object:
    """What a sheet can hold: control characters (a name typed with one) are left out."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def keep_as_text(cell) -> None:
    """Mark an openpyxl cell whose value looks like a formula as a plain string."""
    if as_text(cell.value):
        cell.data_type = "s"

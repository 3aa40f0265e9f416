"""Spreadsheet cells that are data, never formulas.

A name or department that starts with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) would run as a formula when the export is opened in Excel or WPS (CSV
injection). Every export writes such a value with a leading apostrophe, as OWASP advises;
the people import takes the apostrophe off again, so an export imported back changes
nothing."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value[:1] in FORMULA_START:
        return "'" + value
    return value


def read_cell(value: str) -> str:
    """The value an exported cell stood for (the apostrophe ``safe_cell`` added, off)."""
    if value[:1] == "'" and value[1:2] in FORMULA_START and value[1:2]:
        return value[1:]
    return value

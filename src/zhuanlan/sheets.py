"""Formatted XLSX sheets, the one way the product writes a spreadsheet: a bold header
row with a fill, frozen below the header, an autofilter on it, columns as wide as their
content (a CJK character counts double), shares as numbers shown as percentages and dates
as dates. Values are neutralised like every export (``cells.safe_cell``)."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime

from zhuanlan.cells import safe_cell

PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
HEADER_FILL = "DDE6F2"
MAX_WIDTH = 60


class Percent(float):
    """A share (0–1) to be shown as a percentage: a number in XLSX, "12.5%" in CSV."""

    def __str__(self) -> str:
        return f"{self * 100:.1f}%"


def text_width(value: object) -> int:
    """How many character cells the value takes: wide (CJK) characters count two."""
    if isinstance(value, Percent):
        return len(str(value))
    if isinstance(value, datetime | date):
        return 10
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
               for ch in str(value if value is not None else ""))


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    out = ""
    while index:
        index, rest = divmod(index - 1, 26)
        out = chr(65 + rest) + out
    return out


def write_xlsx(headers: Sequence[str], rows: Sequence[Sequence], *, title: str,
               text_columns: Sequence[int] = ()) -> bytes:
    """One sheet ``title``. ``text_columns`` (0-based) are kept as text whatever they look
    like (a 工号 like 00123 keeps its zeros)."""
    wb, ws = _sheet(title, [headers], rows)
    # Write-only sheets take their views and filter before the first row.
    ws.freeze_panes = "A2"
    if headers:
        ws.auto_filter.ref = f"A1:{column_letter(len(headers))}{max(1, len(rows) + 1)}"
    _header(ws, headers)
    return _finish(wb, ws, rows, text_columns)


def _sheet(title: str, header_lines: Sequence[Sequence], rows: Sequence[Sequence]):
    """A write-only book and its sheet, the columns as wide as headers and values."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")
    widths = [max(text_width(line[i]) for line in header_lines)
              for i in range(len(header_lines[0]))]
    for row in rows:
        for i, v in enumerate(row[:len(widths)]):
            widths[i] = max(widths[i], text_width(v))
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[column_letter(i)].width = min(MAX_WIDTH, w + 2)
    return wb, ws


def _header(ws, line: Sequence, alignment=None) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    cells = []
    for h in line:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill = bold, fill
        if alignment is not None:
            cell.alignment = alignment
        cells.append(cell)
    ws.append(cells)


def _finish(wb, ws, rows: Sequence[Sequence], text_columns: Sequence[int]) -> bytes:
    texts = set(text_columns)
    for row in rows:
        ws.append([_cell(ws, v, i in texts) for i, v in enumerate(row)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _value(v: object) -> object:
    if isinstance(v, Percent):
        return float(v)
    if isinstance(v, datetime):
        # Excel has no time zones: the caller gives local times; an aware one is shown as is.
        return v.replace(tzinfo=None)
    return safe_cell(v)


def write_grouped_xlsx(fixed: Sequence[str], groups: Sequence[tuple[str, Sequence[str]]],
                       rows: Sequence[Sequence], *, title: str,
                       text_columns: Sequence[int] = ()) -> bytes:
    """One sheet with two header rows, the layout of a ledger: the ``fixed`` columns
    (工号, 姓名, 部门) merged over both rows, then each group's label merged over its own
    sub-headers (打开 / 学习 / …). Frozen below the headers and right of the fixed
    columns; printed with the headers on every page."""
    from openpyxl.styles import Alignment

    top: list = list(fixed)
    sub: list = [None] * len(fixed)
    for label, heads in groups:
        top += [label] + [None] * (len(heads) - 1)
        sub += list(heads)
    wb, ws = _sheet(title, [top, sub], rows)
    ws.freeze_panes = f"{column_letter(len(fixed) + 1)}3"
    ws.print_title_rows = "1:2"
    for i in range(1, len(fixed) + 1):
        ws.merged_cells.add(f"{column_letter(i)}1:{column_letter(i)}2")
    at = len(fixed) + 1
    for _, heads in groups:
        if len(heads) > 1:
            ws.merged_cells.add(f"{column_letter(at)}1:{column_letter(at + len(heads) - 1)}1")
        at += len(heads)
    centre = Alignment(horizontal="center", vertical="center")
    _header(ws, top, centre)
    _header(ws, sub, centre)
    return _finish(wb, ws, rows, text_columns)


def _cell(ws, v: object, text: bool):
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=_value(v))
    if isinstance(v, Percent):
        cell.number_format = PERCENT_FORMAT
    elif isinstance(v, datetime | date):
        cell.number_format = DATE_FORMAT
    elif text:
        cell.value = safe_cell("" if v is None else str(v))
        cell.data_type = "s"
    return cell

"""Formatted XLSX sheets, the one way the product writes a spreadsheet: a bold header
row with a fill, frozen below the header, an autofilter on it, columns as wide as their
content (a CJK character counts double), shares as numbers shown as percentages and dates
as dates. Values are neutralised like every export (``cells.safe_cell``)."""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from datetime import date, datetime, timedelta

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
    text = str(value if value is not None else "")
    return len(text) if text.isascii() else _wide_width(text)


@functools.lru_cache(maxsize=4096)      # departments and names repeat down a column
def _wide_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


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
    like (a 工号 like 00123 keeps its zeros).

    The workbook's XML is written here directly (inline strings, a few cell styles): the
    not-yet-studied list of 30,000 people takes about half a second, against three
    through openpyxl's cell objects. openpyxl reads it back in the tests."""
    last = f"{column_letter(max(1, len(headers)))}{max(1, len(rows) + 1)}"
    return _book(title, [list(headers)], rows, text_columns, freeze=(0, 1),
                 extra=f'<autoFilter ref="A1:{last}"/>' if headers else "",
                 filtered=bool(headers))


def write_grouped_xlsx(fixed: Sequence[str], groups: Sequence[tuple[str, Sequence[str]]],
                       rows: Sequence[Sequence], *, title: str,
                       text_columns: Sequence[int] = ()) -> bytes:
    """One sheet with two header rows, the layout of a ledger: the ``fixed`` columns
    (工号, 姓名, 部门) merged over both rows, then each group's label merged over its own
    sub-headers (打开 / 学习 / …). Frozen below the headers and right of the fixed
    columns; printed with the headers on every page."""
    top: list = list(fixed)
    sub: list = [None] * len(fixed)
    merges = [f"{column_letter(i)}1:{column_letter(i)}2" for i in range(1, len(fixed) + 1)]
    for label, heads in groups:
        start = len(top) + 1
        top += [label] + [None] * (len(heads) - 1)
        sub += list(heads)
        if len(heads) > 1:
            merges.append(f"{column_letter(start)}1:{column_letter(len(top))}1")
    cells = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    return _book(title, [top, sub], rows, text_columns, freeze=(len(fixed), 2),
                 extra=f'<mergeCells count="{len(merges)}">{cells}</mergeCells>'
                 if merges else "", print_rows=2, header_style=CENTRE_STYLE)


def _book(title: str, header_rows: list[list], rows: Sequence[Sequence],
          text_columns: Sequence[int], *, freeze: tuple[int, int], extra: str,
          filtered: bool = False, print_rows: int = 0,
          header_style: int | None = None) -> bytes:
    """The workbook of one sheet: ``header_rows`` styled as headers, then ``rows``;
    ``freeze`` (columns, rows) the panes; ``extra`` the XML after the sheet's data
    (autofilter, merged cells)."""
    style = HEADER_STYLE if header_style is None else header_style
    width = max((len(h) for h in header_rows), default=0)
    widths = [max((text_width(h[i]) for h in header_rows if i < len(h) and h[i] is not None),
                  default=0) for i in range(width)]
    texts = set(text_columns)
    body = [f'<row r="{n}">{"".join(_cell("" if h is None else h, style) for h in line)}</row>'
            for n, line in enumerate(header_rows, start=1)]
    # Cells go without their reference (optional in the format): each follows the one before.
    for n, row in enumerate(rows, start=len(header_rows) + 1):
        cells = []
        for i, v in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], text_width(v))
            cells.append(_cell("" if v is None else str(v), TEXT_STYLE) if i in texts
                         else _cell(v) if v is not None else '<c/>')
        body.append(f'<row r="{n}">{"".join(cells)}</row>')
    cols = "".join(f'<col min="{i}" max="{i}" width="{min(MAX_WIDTH, w + 2)}" customWidth="1"/>'
                   for i, w in enumerate(widths, start=1))
    sheet = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS}">'
             f'<sheetViews><sheetView workbookViewId="0">{_pane(*freeze)}</sheetView></sheetViews>'
             + (f"<cols>{cols}</cols>" if cols else "")
             + f"<sheetData>{''.join(body)}</sheetData>{extra}</worksheet>")
    name = title[:31].translate(_SHEET_NAME) or "Sheet1"
    names = ('<definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1"/>'
             if filtered else "")
    if print_rows:
        quoted = _xml("'" + name.replace("'", "''") + "'")
        names += (f'<definedName name="_xlnm.Print_Titles" localSheetId="0">'
                  f"{quoted}!$1:${print_rows}</definedName>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK.format(
            name=_xml(name), names=f"<definedNames>{names}</definedNames>" if names else ""))
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def _pane(columns: int, rows: int) -> str:
    if not columns and not rows:
        return ""
    corner = f"{column_letter(columns + 1)}{rows + 1}"
    split = (f' xSplit="{columns}"' if columns else "") + (f' ySplit="{rows}"' if rows else "")
    active = ("bottomRight" if columns and rows else "bottomLeft" if rows else "topRight")
    return (f'<pane{split} topLeftCell="{corner}" activePane="{active}" state="frozen"/>')


# Cell styles (the order of cellXfs in _STYLES).
HEADER_STYLE, PERCENT_STYLE, DATE_STYLE, TEXT_STYLE, CENTRE_STYLE = 1, 2, 3, 4, 5
_EPOCH = datetime(1899, 12, 30)
# XML 1.0 has no place for most control characters; the sheet's names keep none of []:*?/\
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SHEET_NAME = str.maketrans({c: " " for c in "[]:*?/\\"})


def _xml(text: str) -> str:
    if not text.isprintable():
        text = _ILLEGAL.sub("", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(value: object, style: int = 0) -> str:
    if isinstance(value, Percent):
        return f'<c s="{PERCENT_STYLE}"><v>{float(value)!r}</v></c>'
    if isinstance(value, datetime | date):
        # Excel has no time zones: the caller gives local times; an aware one is shown as is.
        moment = value.replace(tzinfo=None) if isinstance(value, datetime) else \
            datetime(value.year, value.month, value.day)
        serial = (moment - _EPOCH) / timedelta(days=1)
        return f'<c s="{DATE_STYLE}"><v>{serial!r}</v></c>'
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c><v>{value!r}</v></c>"
    style_attr = f' s="{style}"' if style else ""
    return (f'<c{style_attr} t="inlineStr"><is><t xml:space="preserve">'
            f"{_xml(str(safe_cell(value)))}</t></is></c>")


_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_CT}.styles+xml"/></Types>')
_RELS = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
         f'xmlns="{_PKG}/relationships"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook '
             f'xmlns="{_NS}" xmlns:r="{_REL}"><sheets><sheet name="{{name}}" sheetId="1" '
             'r:id="rId1"/></sheets>{names}</workbook>')
_WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships '
    f'xmlns="{_PKG}/relationships"><Relationship Id="rId1" Type="{_REL}/worksheet" '
    f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{_REL}/styles" '
    'Target="styles.xml"/></Relationships>')
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_NS}">'
    f'<numFmts count="2"><numFmt numFmtId="164" formatCode="{PERCENT_FORMAT}"/>'
    f'<numFmt numFmtId="165" formatCode="{DATE_FORMAT}"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    f'<fill><patternFill patternType="solid"><fgColor rgb="FF{HEADER_FILL}"/>'
    '</patternFill></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
    '</cellStyleXfs><cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" '
    'applyFill="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    '</cellStyles></styleSheet>')

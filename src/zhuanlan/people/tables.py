"""Reading an uploaded table (CSV or XLSX) into rows of cell texts, within limits.

An upload is untrusted: a 60 KB XLSX can declare two million cells in one row or a
shared-strings table of hundreds of megabytes, which a general reader (openpyxl, even in
read-only mode) materialises before anyone can stop it. So XLSX is read here with a
streaming XML parser that counts as it goes — rows, columns, cells, shared strings and
the bytes actually inflated — and stops at the first limit with a clear message. Entities
are never resolved and no DTD is loaded (XXE, billion laughs).

CSV is decoded by what its bytes are: UTF-8 (BOM or not), UTF-16 with a BOM, GB18030
(a superset of GBK and GB2312, what Excel in China saves) or Big5 (Taiwan, Hong Kong);
a file that reads best as Shift-JIS, or as none of these, is refused by name instead of
being shown garbled. Pure: no store, no web.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO

from lxml import etree


class FileFormatError(ValueError):
    """The file cannot be read as a CSV or XLSX table (or is beyond the limits)."""


@dataclass(frozen=True)
class TableLimits:
    """Bounds on what one upload may hold (the ``people.*`` settings)."""
    max_rows: int = 200_000
    max_columns: int = 64
    max_cells: int = 2_000_000
    max_shared_strings: int = 1_000_000
    max_xml_bytes: int = 256 * 1024 * 1024      # inflated XML of one part of an XLSX


Row = tuple[int, list[str]]


def read_table(data: bytes, filename: str, limits: TableLimits = TableLimits()) -> Iterator[Row]:
    """(row number, cell texts) for every row of the file, blank rows included. Raises
    FileFormatError for a file that is no table, or one beyond ``limits``."""
    if file_kind(filename, data) == "xlsx":
        return read_xlsx(data, limits)
    return read_csv(data, limits)


def file_kind(filename: str, data: bytes) -> str:
    """"csv" or "xlsx", by the name's extension, else by the content."""
    name = filename.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if name.endswith(".xls") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileFormatError("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV")
    if name.endswith((".csv", ".txt", ".tsv")):
        return "csv"
    return "xlsx" if data.startswith(b"PK\x03\x04") else "csv"


# -- CSV ---------------------------------------------------------------------------------

_ENCODING_NAMES = {"gb18030": "GBK/GB18030（简体中文）", "cp950": "Big5（繁体中文）",
                   "shift_jis": "Shift-JIS（日文）"}


def decode_csv(data: bytes) -> str:
    """The text of a CSV file. Raises FileFormatError naming the encoding when it is one
    we do not read (Shift-JIS), or when no encoding reads it as plausible text."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode(data[3:], "utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _decode(data, "utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Legacy double-byte encodings: the same bytes often decode without error under
    # several of them (a Big5 file "is" GB18030, garbled), so each reading is judged by
    # how much of its Chinese/Japanese text is made of common characters.
    readings = []
    for encoding in ("gb18030", "cp950", "shift_jis"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        readings.append((_plausibility(text), encoding, text))
    if not readings:
        raise FileFormatError("无法识别文件编码：请在 Excel 中另存为“CSV UTF-8”后重新上传")
    score, encoding, text = max(readings, key=lambda r: r[0])
    if encoding == "shift_jis":
        raise FileFormatError(f"文件是{_ENCODING_NAMES[encoding]}编码，无法读取：请在 Excel "
                              "中另存为“CSV UTF-8”后重新上传")
    if score < 0.6:
        raise FileFormatError("无法识别文件编码（读出的文字多为乱码）：请在 Excel 中另存为"
                              "“CSV UTF-8”后重新上传")
    return text


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"文件不是有效的 {encoding.upper()}：第 {exc.start} 字节处出错") \
            from None


_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


def _plausibility(text: str) -> float:
    """The share of CJK characters (and kana) in ``text`` that are common ones; 1.0 for
    a text without any."""
    chars = _CJK.findall(text)
    if not chars:
        return 1.0
    common = _common_characters()
    return sum(c in common for c in chars) / len(chars)


@lru_cache(maxsize=1)
def _common_characters() -> frozenset[str]:
    """GB2312's first level (the 3,755 most used Simplified characters), their
    Traditional forms, and kana (so that a Japanese text is recognised as such)."""
    import opencc

    simplified = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                simplified.append(bytes((hi, lo)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    joined = "".join(simplified)
    traditional = opencc.OpenCC("s2t").convert(joined) + opencc.OpenCC("s2tw").convert(joined)
    kana = "".join(chr(c) for c in range(0x3041, 0x30FF))
    return frozenset(joined + traditional + kana)


def read_csv(data: bytes, limits: TableLimits = TableLimits()) -> Iterator[Row]:
    text = decode_csv(data)
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";"), key=first.count) if first else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    counter = _Counter(limits)
    row = 0
    try:
        for values in reader:
            row += 1
            counter.row(row, len(values))
            yield row, values
    except csv.Error as exc:
        raise FileFormatError(f"第 {row + 1} 行不是有效的 CSV：{exc}") from None


class _Counter:
    def __init__(self, limits: TableLimits) -> None:
        self.limits = limits
        self.cells = 0

    def row(self, number: int, columns: int) -> None:
        if number > self.limits.max_rows:
            raise FileFormatError(f"文件超过 {self.limits.max_rows:,} 行，请分成几个文件导入")
        if columns > self.limits.max_columns:
            raise FileFormatError(f"第 {number} 行有 {columns:,} 列，超过上限 "
                                  f"{self.limits.max_columns} 列")
        self.cells += columns
        if self.cells > self.limits.max_cells:
            raise FileFormatError(f"文件的单元格超过 {self.limits.max_cells:,} 个")


# -- XLSX --------------------------------------------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_SMALL_PART = 4 * 1024 * 1024          # workbook.xml and its relationships


def read_xlsx(data: bytes, limits: TableLimits = TableLimits()) -> Iterator[Row]:
    """The rows of the workbook's first sheet (cell texts; numbers as written, a whole
    number without ".0")."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        raise FileFormatError(f"无法读取 XLSX 文件：不是有效的 ZIP（{exc}）") from None
    with book:
        try:
            sheet_part, strings_part = _parts(book)
            strings = _shared_strings(book, strings_part, limits) if strings_part else []
            yield from _sheet_rows(book, sheet_part, strings, limits)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            # Among them: a part whose inflated bytes do not match what its header
            # declares (zipfile reads no further than the declared size).
            raise FileFormatError(f"无法读取 XLSX 文件：{exc}") from None


def _open(book: zipfile.ZipFile, name: str, limit: int) -> _Bounded:
    try:
        info = book.getinfo(name)
    except KeyError:
        raise FileFormatError(f"无法读取 XLSX 文件：缺少 {name}") from None
    if info.file_size > limit:                    # as declared; the reader checks again
        raise FileFormatError(f"XLSX 文件中的 {posixpath.basename(name)} 解压后超过 "
                              f"{limit // 1024 // 1024} MB")
    return _Bounded(book.open(info), limit, name)


class _Bounded(io.RawIOBase):
    """A part's inflated bytes, stopped at ``limit`` whatever the ZIP header declared."""

    def __init__(self, raw: IO[bytes], limit: int, name: str) -> None:
        self.raw, self.left, self.name, self.limit = raw, limit, name, limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.raw.read(min(len(buffer), 1 << 16))
        self.left -= len(chunk)
        if self.left < 0:
            raise FileFormatError(f"XLSX 文件中的 {posixpath.basename(self.name)} 解压后超过 "
                                  f"{self.limit // 1024 // 1024} MB")
        buffer[:len(chunk)] = chunk
        return len(chunk)

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            size = 1 << 16
        buffer = bytearray(size)
        n = self.readinto(buffer)
        return bytes(buffer[:n])


def _events(stream: io.RawIOBase, tag: str):
    return etree.iterparse(stream, events=("end",), tag=tag, resolve_entities=False,
                           no_network=True, load_dtd=False, huge_tree=False, recover=False)


def _parts(book: zipfile.ZipFile) -> tuple[str, str | None]:
    """The first sheet's part name and the shared strings' (if any)."""
    try:
        rels = {}
        for _, rel in _events(_open(book, "xl/_rels/workbook.xml.rels", _SMALL_PART),
                              f"{_PKG_REL}Relationship"):
            rels[rel.get("Id")] = (rel.get("Type", ""), rel.get("Target", ""))
        first = None
        for _, sheet in _events(_open(book, "xl/workbook.xml", _SMALL_PART), f"{_MAIN}sheet"):
            first = sheet.get(f"{_REL}id")
            break
    except etree.XMLSyntaxError as exc:
        raise FileFormatError(f"无法读取 XLSX 文件：{exc}") from None
    if first not in rels:
        raise FileFormatError("无法读取 XLSX 文件：找不到第一个工作表")

    def part(target: str) -> str:
        if target.startswith("/"):
            return target.lstrip("/")
        return posixpath.normpath(posixpath.join("xl", target))

    strings = next((part(t) for kind, t in rels.values() if kind.endswith("/sharedStrings")),
                   None)
    return part(rels[first][1]), strings


def _text_of(element) -> str:
    """The text of a string item (<si> or <is>): its <t> runs, phonetic runs left out."""
    return "".join(t.text or "" for t in element.iter(f"{_MAIN}t")
                   if t.getparent().tag != f"{_MAIN}rPh")


def _shared_strings(book: zipfile.ZipFile, name: str, limits: TableLimits) -> list[str]:
    strings: list[str] = []
    chars = 0
    try:
        for _, item in _events(_open(book, name, limits.max_xml_bytes), f"{_MAIN}si"):
            text = _text_of(item)
            strings.append(text)
            chars += len(text)
            item.clear()
            if len(strings) > limits.max_shared_strings:
                raise FileFormatError(f"XLSX 文件的共享字符串超过 {limits.max_shared_strings:,} 个")
            if chars > limits.max_xml_bytes:
                raise FileFormatError("XLSX 文件的共享字符串太大")
    except etree.XMLSyntaxError as exc:
        raise FileFormatError(f"无法读取 XLSX 文件（共享字符串）：{exc}") from None
    return strings


_REF = re.compile(r"([A-Z]{1,3})(\d+)$")


def _column(ref: str | None, fallback: int) -> int:
    """0-based column of a cell reference ("C5" → 2); ``fallback`` when it has none."""
    m = _REF.match(ref or "")
    if not m:
        return fallback
    n = 0
    for ch in m.group(1):
        n = n * 26 + ord(ch) - 64
    return n - 1


def _value(cell, strings: list[str]) -> str:
    kind = cell.get("t", "n")
    if kind == "inlineStr":
        inline = cell.find(f"{_MAIN}is")
        return _text_of(inline) if inline is not None else ""
    v = cell.find(f"{_MAIN}v")
    raw = v.text if v is not None and v.text else ""
    if kind == "s":
        try:
            return strings[int(raw)]
        except (ValueError, IndexError):
            raise FileFormatError(f"单元格 {cell.get('r', '')} 引用了不存在的共享字符串") from None
    if kind == "b":
        return "1" if raw == "1" else "0"
    if kind == "n" and raw:
        try:
            number = float(raw)
        except ValueError:
            return raw
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else raw
    return raw


def _sheet_rows(book: zipfile.ZipFile, name: str, strings: list[str],
                limits: TableLimits) -> Iterator[Row]:
    # Cells are taken one by one as they end and then dropped, so a row that declares
    # two million cells is refused at its 65th, not after it was built in memory.
    counter = _Counter(limits)
    number, values = 0, dict[int, str]()
    row_tag, cell_tag = f"{_MAIN}row", f"{_MAIN}c"
    try:
        for _, element in etree.iterparse(
                _open(book, name, limits.max_xml_bytes), events=("end",),
                tag=(row_tag, cell_tag), resolve_entities=False, no_network=True,
                load_dtd=False, huge_tree=False):
            if element.tag == cell_tag:
                col = _column(element.get("r"), len(values))
                if col >= limits.max_columns or len(values) >= limits.max_columns:
                    raise FileFormatError(f"第 {number + 1} 行超过 {limits.max_columns} 列")
                values[col] = _value(element, strings)
                element.clear()
                continue
            try:
                number = int(element.get("r") or number + 1)
            except ValueError:
                number += 1
            counter.row(number, len(values))
            width = max(values) + 1 if values else 0
            row = [values.get(i, "") for i in range(width)]
            values = {}
            element.clear()
            while element.getprevious() is not None:
                del element.getparent()[0]
            yield number, row
    except etree.XMLSyntaxError as exc:
        raise FileFormatError(f"无法读取 XLSX 文件（第 {number + 1} 行附近）：{exc}") from None

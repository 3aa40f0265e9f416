"""Uploaded tables are untrusted: XLSX bombs are refused early with a clear message and
bounded memory, CSV encodings are recognised (Big5 read right, Shift-JIS refused by
name) and never offered garbled."""

from __future__ import annotations

import io
import resource
import zipfile

import pytest

from zhuanlan.people.export import to_csv, to_xlsx
from zhuanlan.people.importing import parse_people
from zhuanlan.people.tables import FileFormatError, TableLimits, read_table

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_FIXED = {
    "[Content_Types].xml":
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
        'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '</Types>',
    "_rels/.rels":
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>',
    "xl/workbook.xml":
        f'<?xml version="1.0"?><workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.'
        'org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
    "xl/_rels/workbook.xml.rels":
        '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        '2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
}


def _xlsx(rows_xml: str, strings_xml: str = "") -> bytes:
    files = dict(_FIXED)
    files["xl/worksheets/sheet1.xml"] = (f'<?xml version="1.0"?><worksheet xmlns="{NS}">'
                                         f'<sheetData>{rows_xml}</sheetData></worksheet>')
    files["xl/sharedStrings.xml"] = f'<?xml version="1.0"?><sst xmlns="{NS}">{strings_xml}</sst>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


def _row(r: int, *values: str) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{r}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{r}">{cells}</row>'


def _rows(data: bytes, name: str, **limits) -> list:
    return list(read_table(data, name, TableLimits(**limits)))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_real_xlsx_reads_as_openpyxl_wrote_it():
    from zhuanlan.people.export import to_xlsx
    data = to_xlsx([{"employee_no": "00123", "name": "张三", "department": "集团/甲公司",
                     "email": "z@example.com", "active": True}])
    rows = _rows(data, "people.xlsx")
    assert rows[0][1][:4] == ["工号", "姓名", "部门", "邮箱"]
    assert rows[1][1][:4] == ["00123", "张三", "集团/甲公司", "z@example.com"]


def test_shared_strings_numbers_and_gaps():
    strings = "<si><t>姓名</t></si><si><r><t>邮</t></r><r><t>箱</t></r></si><si><t>李四</t></si>"
    rows = ('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" t="s"><v>1</v></c></row>'
            '<row r="3"><c r="A3" t="s"><v>2</v></c><c r="B3"><v>1001</v></c>'
            '<c r="C3" t="inlineStr"><is><t>l@example.com</t></is></c></row>')
    assert _rows(_xlsx(rows, strings), "x.xlsx") == [
        (1, ["姓名", "", "邮箱"]), (3, ["李四", "1001", "l@example.com"])]


def test_a_row_of_two_million_cells_is_refused_at_once():
    cells = '<c t="inlineStr"><is><t>x</t></is></c>' * 2_000_000
    data = _xlsx(f'<row r="1">{cells}</row>')
    assert len(data) < 300_000                      # a small upload …
    before = _peak_mb()
    with pytest.raises(FileFormatError, match="超过 64 列"):
        _rows(data, "bomb.xlsx")
    assert _peak_mb() - before < 200                # … that does not blow up memory


def test_too_many_rows_and_cells_are_refused():
    data = _xlsx("".join(_row(r, "a", "b") for r in range(1, 202)))
    with pytest.raises(FileFormatError, match="超过 200 行"):
        _rows(data, "rows.xlsx", max_rows=200)
    with pytest.raises(FileFormatError, match="单元格超过 100 个"):
        _rows(data, "cells.xlsx", max_cells=100)


def test_a_shared_strings_bomb_is_refused():
    strings = "<si><t>x</t></si>" * 300_000
    data = _xlsx(_row(1, "姓名", "邮箱"), strings)
    with pytest.raises(FileFormatError, match="共享字符串超过 100,000 个"):
        _rows(data, "strings.xlsx", max_shared_strings=100_000)


def test_a_part_that_inflates_beyond_the_limit_is_refused_whatever_its_header_says():
    big = _xlsx(_row(1, "姓名", "邮箱") + _row(2, "x" * 2_000_000, "a@example.com"))
    with pytest.raises(FileFormatError, match="解压后超过 1 MB"):
        _rows(big, "big.xlsx", max_xml_bytes=1024 * 1024)
    # A forged header that declares a small size: the reader counts what it inflates.
    forged = bytearray(big)
    with zipfile.ZipFile(io.BytesIO(big)) as z:
        info = z.getinfo("xl/worksheets/sheet1.xml")
    real = info.file_size.to_bytes(4, "little")
    assert forged.count(real) >= 1
    forged = bytes(forged).replace(real, (1000).to_bytes(4, "little"))
    with pytest.raises(FileFormatError):
        _rows(forged, "forged.xlsx", max_xml_bytes=1024 * 1024)


def test_entities_are_never_expanded():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>')
    files = dict(_FIXED)
    files["xl/worksheets/sheet1.xml"] = (laughs + f'<worksheet xmlns="{NS}"><sheetData>'
                                         + _row(1, "&lol2;") + "</sheetData></worksheet>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    try:
        rows = _rows(buf.getvalue(), "lol.xlsx")
    except FileFormatError:
        return                                       # refused: fine
    assert "lollollol" not in str(rows)


# -- CSV encodings -------------------------------------------------------------------------

TRADITIONAL = ("工號,姓名,部門,郵箱\r\n1001,陳大文,集團/臺灣分公司,chen@example.com\r\n"
               "1002,林美玲,集團/香港分公司,lin@example.com\r\n")
SIMPLIFIED = ("工号,姓名,部门,邮箱\r\n1001,张三,集团/甲公司,zhang@example.com\r\n"
              "1002,欧阳娜娜,集团/乙公司,oy@example.com\r\n")


@pytest.mark.parametrize("encoding,prefix", [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"),
                                             ("utf-16", b""), ("gbk", b""), ("gb18030", b"")])
def test_simplified_files_in_every_encoding_we_read(encoding, prefix):
    parsed = parse_people(prefix + SIMPLIFIED.encode(encoding), "people.csv")
    assert not parsed.problems
    assert [r.name for r in parsed.records] == ["张三", "欧阳娜娜"]


def test_a_big5_file_is_read_as_big5_and_its_names_kept_as_written():
    parsed = parse_people(TRADITIONAL.encode("big5"), "people.csv")
    assert not parsed.problems                         # 工號 / 部門 / 郵箱 are our columns
    assert [r.name for r in parsed.records] == ["陳大文", "林美玲"]
    assert parsed.records[0].department == "集團/臺灣分公司"


def test_a_shift_jis_file_is_refused_by_name():
    data = "社員番号,氏名,部署,メール\r\n1001,山田太郎,本社/営業部,yamada@example.jp\r\n"
    with pytest.raises(FileFormatError, match="Shift-JIS"):
        parse_people(data.encode("shift_jis"), "people.csv")


def test_bytes_that_read_as_nothing_plausible_are_refused():
    with pytest.raises(FileFormatError, match="无法识别文件编码"):
        parse_people(bytes(range(0x81, 0xFE)) * 20, "people.csv")


# -- exports ---------------------------------------------------------------------------------

HOSTILE = [{"employee_no": "=1+1", "name": "=HYPERLINK(\"http://evil\",\"点我\")",
            "department": "+集团/甲", "email": "a@example.com", "active": True},
           {"employee_no": "-2", "name": "@SUM(A1)", "department": "\t集团", "email":
            "b@example.com", "wecom_userid": "\rx", "active": True}]


def test_people_exports_never_start_a_cell_with_a_formula_and_import_back_unchanged():
    text = to_csv(HOSTILE).decode("utf-8-sig")
    for line in text.splitlines()[1:]:
        for cell in line.split(","):
            assert cell.strip('"')[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    from openpyxl import load_workbook
    wb = load_workbook(io.BytesIO(to_xlsx(HOSTILE)))
    for row in list(wb.worksheets[0].iter_rows(values_only=True))[1:]:
        assert all(str(v or "")[:1] not in ("=", "+", "-", "@", "\t", "\r") for v in row)
    back = parse_people(to_csv(HOSTILE), "people.csv")
    assert [r.name for r in back.records] == [p["name"] for p in HOSTILE]
    assert back.records[0].employee_no == "=1+1"

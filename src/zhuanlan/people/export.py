"""Writing people to CSV or XLSX with the headers the import reads, so that an export
imported again changes nothing. Pure."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from zhuanlan.cells import safe_cell
from zhuanlan.people.importing import ACTIVE_LABELS, FIELDS, LABELS
from zhuanlan.sheets import write_xlsx

HEADERS = [LABELS[f] for f in FIELDS]     # 工号 姓名 部门 邮箱 企业微信 钉钉 飞书 状态


def _values(person: dict) -> list[str]:
    out = []
    for f in FIELDS:
        v = person.get(f)
        if f == "active":
            out.append(ACTIVE_LABELS[bool(v)])
        else:
            out.append(safe_cell("" if v is None else str(v)))
    return out


def to_csv(people: Iterable[dict]) -> bytes:
    """UTF-8 with a BOM (Excel then opens it as UTF-8), CRLF line ends."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for p in people:
        writer.writerow(_values(p))
    return b"\xef\xbb\xbf" + buf.getvalue().encode("utf-8")


def to_xlsx(people: Iterable[dict]) -> bytes:
    """One sheet 人员, formatted (``sheets``); every cell text (a 工号 like 00123 keeps its
    zeros) and neutralised like the CSV (WPS and LibreOffice may still evaluate a text
    cell on edit)."""
    return write_xlsx(HEADERS, [_values(p) for p in people], title="人员",
                      text_columns=range(len(HEADERS)))


def export(people: Iterable[dict], kind: str) -> bytes:
    if kind == "xlsx":
        return to_xlsx(people)
    if kind == "csv":
        return to_csv(people)
    raise ValueError(f"unknown export format {kind!r} (csv, xlsx)")

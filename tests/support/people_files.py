"""Small helpers for the people tests: files made in the test, an approved item to
publish, the outbox rows of an issue."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from sqlalchemy import select

from zhuanlan.store.schema import articles, candidates, deliveries

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


_n = [0]


def approve_one(zl, slug: str) -> None:
    """An approved candidate in the column, so that publishing makes an issue."""
    column = zl.get_column(slug)
    _n[0] += 1
    n = _n[0]
    now = zl.clock()
    with zl.db.write() as conn:
        aid = conn.execute(articles.insert().values(
            url=f"https://news.example.com/{slug}/{n}",
            canonical_url=f"https://news.example.com/{slug}/{n}",
            content_hash=f"{slug}-{n}".ljust(64, "0")[:64], title=f"学习材料 {n}",
            text="深入学习贯彻党的二十大精神。" * 20, title_orig="", text_orig="", flags="",
            source_name="新华社", published_at=now, created_at=now)).inserted_primary_key[0]
        conn.execute(candidates.insert().values(
            column_id=column["id"], article_id=aid, state="approved", score=1.0, terms="学习",
            created_at=now, decided_at=now))


def outbox(zl, issue_id: int) -> list[int]:
    """The subscriber ids of the issue's outbox rows (with repeats, if any)."""
    with zl.db.read() as conn:
        return sorted(conn.execute(select(deliveries.c.subscriber_id).where(
            deliveries.c.issue_id == issue_id)).scalars())

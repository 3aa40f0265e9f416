"""A migrated store with articles, sources, columns and issues to search, on SQLite and
PostgreSQL; real article texts from the extraction corpus (tests/fixtures/corpus)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus" / "extraction" / "index.jsonl"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def corpus_article(page_id: str) -> tuple[str, str]:
    """(title, body) of a page of the extraction corpus, cleaned as ingest cleans."""
    from zhuanlan.text.normalize import clean_text

    if not CORPUS.exists():
        pytest.fail(f"the extraction corpus is not at {CORPUS} (an incomplete checkout)")
    for line in CORPUS.read_text("utf-8").splitlines():
        row = json.loads(line)
        if row["id"] == page_id:
            return clean_text(row["title"]).text, clean_text(row["body"]).text
    raise LookupError(page_id)


class Seed:
    """Rows for search tests; articles indexed as ingest indexes them."""

    def __init__(self, db) -> None:
        self.db = db
        self.n = 0
        self.issue_numbers: dict[int, int] = {}

    def source(self, name: str) -> int:
        from zhuanlan.store.schema import sources
        with self.db.write() as conn:
            return conn.execute(sources.insert().values(
                name=name, kind="feed", url=f"http://example.cn/{name}/rss.xml",
                authority=50, enabled=True, poll_minutes=30, consecutive_failures=0,
                created_at=T0)).inserted_primary_key[0]

    def column(self, slug: str, name: str | None = None) -> int:
        from zhuanlan.store.schema import columns
        with self.db.write() as conn:
            return conn.execute(columns.insert().values(
                slug=slug, name=name or slug, include_terms="学习", schedule="0 9 * * 1",
                timezone="Asia/Shanghai", created_at=T0)).inserted_primary_key[0]

    def article(self, title: str, text: str, *, source_id: int | None = None,
                published: datetime | None = T0, column_id: int | None = None,
                index: bool = True) -> int:
        """An article; published in a new issue of ``column_id`` when given."""
        from zhuanlan.store import search
        from zhuanlan.store.schema import articles, issue_items, issues
        self.n += 1
        with self.db.write() as conn:
            aid = conn.execute(articles.insert().values(
                source_id=source_id, url=f"http://example.cn/a/{self.n}",
                canonical_url=f"http://example.cn/a/{self.n}", content_hash=f"hash{self.n}",
                title=title, text=text, title_orig=title, text_orig=text,
                published_at=published, created_at=T0)).inserted_primary_key[0]
            if index:
                search.index_article(conn, aid, title, text)
            if column_id is not None:
                number = self.issue_numbers.get(column_id, 0) + 1
                self.issue_numbers[column_id] = number
                iid = conn.execute(issues.insert().values(
                    column_id=column_id, number=number, title=f"第{number}期",
                    published_at=T0)).inserted_primary_key[0]
                conn.execute(issue_items.insert().values(issue_id=iid, article_id=aid,
                                                         position=1))
        return aid

    def search(self, query: str, **kw):
        from zhuanlan.store import search
        kw.setdefault("staff", True)
        with self.db.read() as conn:
            return search.search(conn, query, **kw)

    def ids(self, query: str, **kw) -> set[int]:
        return {h.article_id for h in self.search(query, **kw).hits}


@pytest.fixture
def store(database_url):
    from zhuanlan.store import Database, migrate

    db = Database(database_url)
    migrate.upgrade(db)
    yield db
    db.dispose()


@pytest.fixture
def seed(store) -> Seed:
    return Seed(store)

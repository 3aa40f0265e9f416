"""Stories in the store: every new article joins the story of the copy it repeats (a
repost with another headline, a dateline, a cut paragraph, an excerpt) or starts one.

The LSH index lives in memory, one per process, over the window's signatures (default
90 days). It is built from the store on first use and kept in step by reading the
articles other processes added since (ids only grow), so several workers see each
other's articles without a broker.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import Connection, func, select, update

from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import Signature, SignatureError
from zhuanlan.dedup.stories import (
    UNKNOWN_RANK, DocRef, choose_representative, match_story, source_rank,
)
from zhuanlan.store.schema import articles, sources, stories


class StoryIndex:
    """The process's LSH index over the store's signatures within the window."""

    def __init__(self, window_days: int) -> None:
        self.window = timedelta(days=window_days)
        self.index = LSHIndex()
        self.last_id = 0
        self.lock = threading.Lock()
        self._pruned_at: datetime | None = None

    def sync(self, conn: Connection, now: datetime) -> None:
        """Add the articles stored since the last sync (all of the window at first)."""
        since = now - self.window
        rows = conn.execute(
            select(articles.c.id, articles.c.signature, articles.c.created_at)
            .where(articles.c.id > self.last_id, articles.c.signature.is_not(None),
                   articles.c.created_at >= since)
            .order_by(articles.c.id)).all()
        good = []
        for r in rows:
            try:
                good.append((r.id, Signature.from_bytes(r.signature), None, r.created_at))
            except SignatureError:
                continue   # from another signature version: not a candidate until re-signed
        if self.last_id == 0:
            self.index = LSHIndex.build(good)      # the start-up rebuild: the fast path
        else:
            for doc_id, sig, _size, ts in good:
                self.index.add(doc_id, sig, timestamp=ts)
        if rows:
            self.last_id = rows[-1].id
        if self._pruned_at is None or now - self._pruned_at > timedelta(hours=1):
            self.index.prune(since)
            self._pruned_at = now


def authority_rank(name: str, authority: int | None) -> int | None:
    """The story rank of a copy: by the named source (新华社, 人民日报 … in
    ``DEFAULT_SOURCE_RANK``) when known — the original's name travels with reposts —
    else from the source's configured authority (0–100), never above the named
    originals (rank 0)."""
    # source_rank reads only the name: no signature is needed for the lookup.
    if source_rank(DocRef(0, None, source=name)) != UNKNOWN_RANK:  # type: ignore[arg-type]
        return None
    return max(1, round((100 - (authority if authority is not None else 50)) / 10))


def _refs(conn: Connection, where) -> list[DocRef]:  # noqa: ANN001
    rows = conn.execute(
        select(articles.c.id, articles.c.signature, articles.c.story_id,
               articles.c.source_name, articles.c.published_at, articles.c.author,
               articles.c.url, func.length(articles.c.text).label("length"),
               sources.c.name.label("outlet"), sources.c.authority)
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(where, articles.c.signature.is_not(None))).all()
    refs = []
    for r in rows:
        name = r.source_name or r.outlet or ""
        refs.append(DocRef(r.id, Signature.from_bytes(r.signature), story=r.story_id,
                           source=name, rank=authority_rank(name, r.authority),
                           length=r.length or 0, published=r.published_at, author=r.author,
                           url=r.url))
    return refs


def assign_story(conn: Connection, index: StoryIndex, article_id: int, sig: Signature,
                 now: datetime) -> tuple[int, str | None]:
    """Put a newly stored article into its story; returns (story id, relation), the
    relation None for a new story. Also re-chooses the story's representative."""
    with index.lock:
        index.sync(conn, now)
        candidate_ids = [i for i in index.index.query(sig) if i != article_id]
    story_id, relation = None, None
    if candidate_ids:
        refs = _refs(conn, articles.c.id.in_(candidate_ids))
        me = DocRef(article_id, sig)
        story_id, relation, _score = match_story(me, refs)
        if story_id is not None and not conn.execute(
                select(stories.c.id).where(stories.c.id == story_id)).scalar():
            story_id = None    # a candidate from before stories existed: start anew
    if story_id is None:
        story_id = conn.execute(stories.insert().values(
            representative_id=article_id, size=1, created_at=now, updated_at=now,
        )).inserted_primary_key[0]
        relation = None
    conn.execute(update(articles).where(articles.c.id == article_id)
                 .values(story_id=story_id, relation=relation, signature=sig.to_bytes()))
    if relation is not None:
        members = _refs(conn, articles.c.story_id == story_id)
        conn.execute(update(stories).where(stories.c.id == story_id).values(
            representative_id=choose_representative(members), size=len(members),
            updated_at=now))
    with index.lock:
        index.index.add(article_id, sig, timestamp=now)
    return story_id, relation


def other_outlets(conn: Connection, article_id: int) -> list[dict]:
    """The other copies of the article's story: outlet, URL, title, relation."""
    story_id = conn.execute(select(articles.c.story_id)
                            .where(articles.c.id == article_id)).scalar()
    if story_id is None:
        return []
    rows = conn.execute(
        select(articles.c.id, articles.c.url, articles.c.title, articles.c.relation,
               articles.c.source_name, sources.c.name.label("outlet"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.story_id == story_id, articles.c.id != article_id)
        .order_by(articles.c.id)).mappings().all()
    return [dict(r) for r in rows]

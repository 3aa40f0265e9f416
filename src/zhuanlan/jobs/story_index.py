"""The process's near-duplicate index — the signatures of the store's articles within the
window, caught up from the store by id (``sync``) — and a new article's place in a story
(``assign_story``): the copies it repeats are found in the index and verified, the story
and its representative recorded in the store."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import cast

from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import Signature, SignatureError
from zhuanlan.dedup.stories import DocRef, match_story, verified_candidates
from zhuanlan.store import Connection
from zhuanlan.store import stories as store
from zhuanlan.store.stories import signatures_since


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
        rows = signatures_since(conn, self.last_id, since)
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


def assign_story(conn: Connection, index: StoryIndex, article_id: int, sig: Signature,
                 now: datetime) -> tuple[int, str | None]:
    """Put a newly stored article into its story; returns (story id, relation), the
    relation None for a new story. Also re-chooses the story's representative (unless an
    editor pinned one). An article an editor split out keeps its own story."""
    locked = store.locked_story(conn, article_id)
    if locked is not None:
        # The editor said "不是同一篇": matching it again would fold it straight back.
        store.place_article(conn, article_id, signature=sig.to_bytes(), keep_story=True)
        return locked, None
    with index.lock:
        index.sync(conn, now)
        # Only candidates that verify are read from the store: the rest are chance
        # band collisions, hundreds per article once the window holds a million.
        candidate_ids = [cast(int, i) for i, _rel, _score in verified_candidates(index.index, sig)
                         if i != article_id]
    story_id: int | None = None
    relation: str | None = None
    if candidate_ids:
        refs = store.refs_of(conn, candidate_ids)
        me = DocRef(article_id, sig)
        found, relation, _score = match_story(me, refs)
        story_id = cast(int | None, found)
        if story_id is not None and not store.story_exists(conn, story_id):
            story_id = None    # a candidate from before stories existed: start anew
    if story_id is None:
        story_id = store.new_story(conn, article_id, now)
        relation = None
    store.place_article(conn, article_id, signature=sig.to_bytes(), story_id=story_id,
                        relation=relation)
    if relation is not None:
        store.refresh_story(conn, story_id, now)
    with index.lock:
        index.index.add(article_id, sig, timestamp=now)
    return story_id, relation

"""Stories in the store: every new article joins the story of the copy it repeats (a
repost with another headline, a dateline, a cut paragraph, an excerpt) or starts one.

The LSH index lives in memory, one per process, over the window's signatures (default
90 days). It is built from the store on first use and kept in step by reading the
articles other processes added since (ids only grow), so several workers see each
other's articles without a broker.

Editors correct the folding: a pinned representative ("以此为准") holds while copies keep
arriving, and an article split out ("不是同一篇") gets a story of its own that assignment
never folds back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, func, select, update

from zhuanlan.dedup.minhash import Signature
from zhuanlan.dedup.stories import (
    UNKNOWN_RANK,
    DocRef,
    choose_representative,
    source_rank,
)
from zhuanlan.errors import InvalidTransition, NotFoundError
from zhuanlan.store.db import inserted_id
from zhuanlan.store.page_generation import bump, bump_if_shown, bump_if_story_shown
from zhuanlan.store.schema import articles, candidates, sources, stories


def signatures_since(conn: Connection, after_id: int, since: datetime) -> list:
    """(id, signature, created_at) of the articles after ``after_id`` stored since
    ``since`` that have a signature, by id."""
    return list(conn.execute(
        select(articles.c.id, articles.c.signature, articles.c.created_at)
        .where(articles.c.id > after_id, articles.c.signature.is_not(None),
               articles.c.created_at >= since)
        .order_by(articles.c.id)).all())


def authority_rank(name: str, authority: int | None) -> int | None:
    """The story rank of a copy: by the named source (新华社, 人民日报 … in
    ``DEFAULT_SOURCE_RANK``) when known — the original's name travels with reposts —
    else from the source's configured authority (0–100), never above the named
    originals (rank 0)."""
    # source_rank reads only the name: no signature is needed for the lookup.
    if source_rank(DocRef(0, None, source=name)) != UNKNOWN_RANK:  # type: ignore[arg-type]
        return None
    return max(1, round((100 - (authority if authority is not None else 50)) / 10))


def _refs(conn: Connection, where) -> list[DocRef]:
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


def locked_story(conn: Connection, article_id: int) -> int | None:
    """The story of an article an editor split out (it keeps it), else None."""
    return conn.execute(select(articles.c.story_id).where(
        articles.c.id == article_id, articles.c.story_locked)).scalar()


def refs_of(conn: Connection, article_ids: list[int]) -> list[DocRef]:
    return _refs(conn, articles.c.id.in_(article_ids))


def story_exists(conn: Connection, story_id: int) -> bool:
    return bool(conn.execute(select(stories.c.id).where(stories.c.id == story_id)).scalar())


def new_story(conn: Connection, article_id: int, now: datetime) -> int:
    return inserted_id(conn.execute(stories.insert().values(
        representative_id=article_id, size=1, created_at=now, updated_at=now,
    )))


def place_article(conn: Connection, article_id: int, *, signature: bytes,
                  story_id: int | None = None, relation: str | None = None,
                  keep_story: bool = False) -> None:
    """Record the article's signature and (unless ``keep_story``) its story."""
    values: dict = {"signature": signature}
    if not keep_story:
        values.update(story_id=story_id, relation=relation)
        before = conn.execute(select(articles.c.story_id)
                              .where(articles.c.id == article_id)).scalar()
        # The pages of the published copies list the story's others.
        bump_if_shown(conn, [article_id])
        bump_if_story_shown(conn, before)
        bump_if_story_shown(conn, story_id)
    conn.execute(update(articles).where(articles.c.id == article_id).values(**values))


def refresh_story(conn: Connection, story_id: int, now: datetime) -> int | None:
    """Count the story's members again and choose its representative: the editor's pin
    while the pinned copy is still a member, else :func:`choose_representative` (and the
    pin goes). Returns the representative, None when no member is left."""
    # The story's row is the lock that orders a worker adding a copy and an editor
    # splitting one off (PostgreSQL; on SQLite the write transaction already does).
    story = conn.execute(select(stories.c.representative_id, stories.c.pinned_at)
                         .where(stories.c.id == story_id).with_for_update()).first()
    if story is None:
        return None
    size = conn.execute(select(func.count()).select_from(articles)
                        .where(articles.c.story_id == story_id)).scalar() or 0
    pinned = story.pinned_at is not None and story.representative_id is not None and \
        conn.execute(select(articles.c.story_id).where(
            articles.c.id == story.representative_id)).scalar() == story_id
    values: dict = {"size": size, "updated_at": now}
    if pinned:
        representative = story.representative_id
    else:
        members = _refs(conn, articles.c.story_id == story_id)
        representative = choose_representative(members) if members else conn.execute(
            select(func.min(articles.c.id)).where(articles.c.story_id == story_id)).scalar()
        values.update(representative_id=representative, pinned_by=None, pinned_at=None)
    conn.execute(update(stories).where(stories.c.id == story_id).values(**values))
    return representative


def pin_representative(conn: Connection, story_id: int, article_id: int | None, *,
                       by: str, now: datetime) -> int | None:
    """Make ``article_id`` the story's representative and hold it there while copies keep
    arriving; None releases the pin and lets the rules choose again. Returns the
    representative before. Raises NotFoundError when the article is not in the story."""
    before = conn.execute(select(stories.c.representative_id).where(
        stories.c.id == story_id).with_for_update()).first()
    if before is None:
        raise NotFoundError("没有这篇报道", resource=f"story {story_id}")
    if article_id is None:
        conn.execute(update(stories).where(stories.c.id == story_id)
                     .values(pinned_by=None, pinned_at=None))
        refresh_story(conn, story_id, now)
        return before.representative_id
    member = conn.execute(select(articles.c.id).where(
        articles.c.id == article_id, articles.c.story_id == story_id)).scalar()
    if member is None:
        raise NotFoundError("这篇文章不在该报道中", resource=f"article {article_id}")
    conn.execute(update(stories).where(stories.c.id == story_id).values(
        representative_id=article_id, pinned_by=by or "unknown", pinned_at=now,
        updated_at=now))
    return before.representative_id


def split_out(conn: Connection, story_id: int, article_id: int, now: datetime) -> int:
    """Take ``article_id`` out of the story into a new story of its own, which story
    assignment never folds back; the candidates of the article follow it, and the old
    story is counted and its representative chosen again (a pin holds unless it was this
    article). Returns the new story's id.

    Raises NotFoundError when the article is not in the story, InvalidTransition when it
    is the story's only copy."""
    if conn.execute(select(stories.c.id).where(stories.c.id == story_id)
                    .with_for_update()).scalar() is None:
        raise NotFoundError("没有这篇报道", resource=f"story {story_id}")
    if conn.execute(select(articles.c.id).where(
            articles.c.id == article_id, articles.c.story_id == story_id)).scalar() is None:
        raise NotFoundError("这篇文章不在该报道中", resource=f"article {article_id}")
    if conn.execute(select(func.count()).select_from(articles)
                    .where(articles.c.story_id == story_id)).scalar_one() < 2:
        raise InvalidTransition("这篇报道只有这一个版本，无需拆分",
                                resource=f"article {article_id}")
    new_id = inserted_id(conn.execute(stories.insert().values(
        representative_id=article_id, size=1, created_at=now, updated_at=now,
    )))
    conn.execute(update(articles).where(articles.c.id == article_id)
                 .values(story_id=new_id, relation=None, story_locked=True))
    bump(conn)
    # A column holds one candidate per story: the new story has none yet, so no clash.
    conn.execute(update(candidates).where(candidates.c.article_id == article_id)
                 .values(story_id=new_id))
    refresh_story(conn, story_id, now)
    return new_id


def story_copies(conn: Connection, story_id: int) -> list[dict]:
    """Every copy of the story, oldest first: ``article_id``, ``title``, ``url``,
    ``outlet``, ``relation``, ``published_at``."""
    rows = conn.execute(
        select(articles.c.id.label("article_id"), articles.c.title, articles.c.url,
               articles.c.relation, articles.c.published_at,
               func.coalesce(sources.c.name, articles.c.source_name).label("outlet"))
        .outerjoin(sources, sources.c.id == articles.c.source_id)
        .where(articles.c.story_id == story_id)
        .order_by(articles.c.id)).mappings().all()
    return [dict(r) for r in rows]


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


def story_row(conn: Connection, story_id: int):
    return conn.execute(select(stories).where(stories.c.id == story_id)).first()


def representative_of(conn: Connection, story_id: int) -> int | None:
    return conn.execute(select(stories.c.representative_id)
                        .where(stories.c.id == story_id)).scalar()

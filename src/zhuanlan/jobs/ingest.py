"""Ingestion jobs: poll due sources into pages; fetch, extract, clean and dedup pages
into articles; propose new articles to the columns they match."""

from __future__ import annotations

import json
import logging
import zlib
from datetime import timedelta

from zhuanlan.backoff import retry_in
from zhuanlan.dedup import canonical_url
from zhuanlan.dedup.minhash import signature
from zhuanlan.errors import ConfigError, ExtractError, FetchError, SourceError, ZhuanlanError
from zhuanlan.fetch.async_client import FetchRequest
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.extraction import ExtractFailure, ExtractTask, plausible_date, run_tasks
from zhuanlan.jobs.images import add_images
from zhuanlan.jobs.polling import next_interval, parse_counts, push_count
from zhuanlan.jobs.selecting import column_learner, column_rules
from zhuanlan.jobs.specs import poll_spec
from zhuanlan.jobs.story_index import assign_story
from zhuanlan.model import Article, ArticleRules, CandidateState, FetchResult, PageState
from zhuanlan.selection import Doc, evaluate, featurize
from zhuanlan.sources.api_article import article_api_url, parse_api_article
from zhuanlan.sources.health import yield_alarm
from zhuanlan.sources.read import read_pages
from zhuanlan.sources.spec import SourceSpec
from zhuanlan.store import Connection, search
from zhuanlan.store import articles as article_store
from zhuanlan.store import candidates as candidate_store
from zhuanlan.store import pages as page_store
from zhuanlan.store.corpus import count_article, stats_for
from zhuanlan.text.article import clean_article

log = logging.getLogger(__name__)

MAX_PAGE_ATTEMPTS = 5
# A failing source is retried later and later, but at least once a day.
SOURCE_BACKOFF_CAP = 24 * 3600.0


def poll_due_sources(ctx: Context, limit: int) -> int:
    """Poll every enabled source whose ``next_poll_at`` has come. Returns how many."""
    now = ctx.clock()
    with ctx.db.write() as conn:
        claimed = page_store.claim_due_sources(conn, now=now, limit=limit, worker=ctx.worker_id,
                                               lease_seconds=ctx.cfg["worker.lease_seconds"])
    for row in claimed:
        poll_source(ctx, row)
    return len(claimed)


class _NotModified(Exception):
    """The list's first page answered 304: nothing new, nothing to parse."""


def poll_source(ctx: Context, source) -> int:
    """Fetch one claimed source and queue its new entries as pages. The outcome — new
    pages, health fields, the yield alarm, next poll, release — is one transaction.
    Returns the number of new pages; never raises for the source's own failures (they
    go on its row)."""
    first: list[FetchResult] = []

    def fetch(url: str) -> tuple[bytes, str, str]:
        # Only the first page is conditional: later pages of a list have no validators.
        if first:
            result = ctx.fetcher.get(url, headers=spec.header_map())
        else:
            result = ctx.fetcher.get(url, etag=source.etag, last_modified=source.last_modified,
                                    headers=spec.header_map())
            first.append(result)
            if result.not_modified:
                raise _NotModified
        return result.content, "", result.url

    try:
        spec = poll_spec(source, ctx.clock())
        feed = read_pages(spec, fetch, default_tz=ctx.tz)
    except _NotModified:
        feed = None
    except (FetchError, SourceError, ConfigError) as exc:
        _record_source_failure(ctx, source, exc)
        return 0
    result = first[0]
    now = ctx.clock()
    new_pages = 0
    with ctx.db.write() as conn:
        if feed is not None:
            rows = []
            seen: set[str] = set()
            for entry in feed.entries:
                url = canonical_url(entry.url)
                if url in seen:
                    continue
                seen.add(url)
                rows.append({
                    "source_id": source.id, "url": url, "entry_title": entry.title[:1000],
                    "entry_summary": entry.summary[:4000], "entry_published": entry.published,
                    "state": PageState.PENDING.value, "attempts": 0, "next_attempt_at": now,
                    "created_at": now,
                })
            cap = source.max_new_per_poll or ctx.cfg["sources.max_new_per_poll"]
            fresh = page_store.unknown(conn, rows)
            # Newest first (undated entries after the dated ones, in the feed's order);
            # what is left waits for the next polls, which come sooner.
            fresh.sort(key=lambda r: (r["entry_published"] is not None,
                                      r["entry_published"] or now), reverse=True)
            left = max(0, len(fresh) - cap)
            new_pages = page_store.queue_pages(conn, fresh[:cap])
            note = (f"本次只取了最新的 {cap} 条，其余 {left} 条留待下次抓取" if left else None)
        interval = next_interval(
            source.poll_minutes, new_items=new_pages,
            entry_times=[e.published for e in feed.entries] if feed else [],
            min_minutes=source.poll_min_minutes, max_minutes=source.poll_max_minutes)
        values = {
            "last_polled_at": now, "last_success_at": now, "consecutive_failures": 0,
            "last_error": None, "last_error_kind": None, "poll_minutes": interval,
            "next_poll_at": now + timedelta(minutes=interval),
        }
        if feed is not None:
            count = len(feed.entries)
            values["last_note"] = note
            if left:
                # The validators would make the next poll a 304 and the rest would wait
                # for the feed to change; come back soon and read it whole.
                values["next_poll_at"] = now + timedelta(minutes=source.poll_min_minutes)
            values.update(etag=None if left else result.etag,
                          last_modified=None if left else result.last_modified,
                          last_entry_count=count,
                          recent_counts=push_count(source.recent_counts, count),
                          alarm=yield_alarm(spec, count, parse_counts(source.recent_counts)))
        page_store.record_poll(conn, source.id, ctx.worker_id, **values)
    log.info("source polled", extra={"source_id": source.id, "url": source.url,
                                     "new_pages": new_pages, "not_modified": feed is None})
    return new_pages


def _record_source_failure(ctx: Context, source, exc: ZhuanlanError) -> None:
    now = ctx.clock()
    failures = source.consecutive_failures + 1
    kind = getattr(exc, "reason", None) or (
        "not_a_feed" if isinstance(exc, SourceError)
        else "config" if isinstance(exc, ConfigError) else "error")
    # A server that said when to come back (Retry-After) is not asked earlier.
    delay = retry_in(failures, base=source.poll_minutes * 60.0, cap=SOURCE_BACKOFF_CAP,
                     retry_after=getattr(exc, "retry_after", None))
    with ctx.db.write() as conn:
        page_store.record_poll(
            conn, source.id, ctx.worker_id, last_polled_at=now, last_error=exc.message,
            last_error_kind=kind, last_error_at=now, consecutive_failures=failures,
            next_poll_at=now + max(delay, timedelta(minutes=1)))
    log.warning("source failed", extra={"source_id": source.id, "url": source.url,
                                        "reason": kind, "error": exc.message,
                                        "failures": failures})


def process_due_pages(ctx: Context, limit: int) -> int:
    """Fetch, extract, clean and dedup pending pages. Returns how many were handled.

    The batch is fetched first, then extracted together (in the process pool when there
    is one), then each outcome is recorded with the release of its page.
    """
    now = ctx.clock()
    with ctx.db.write() as conn:
        claimed = page_store.claim_due_pages(conn, now=now, limit=limit, worker=ctx.worker_id,
                                             lease_seconds=ctx.cfg["worker.lease_seconds"])
    if not claimed:
        return 0
    specs = _page_specs(ctx, {p.source_id for p in claimed})
    requests, api_pages = [], set()
    for page in claimed:
        spec = specs.get(page.source_id)
        api = article_api_url(spec, page.url) if spec and spec.article_api else None
        if api:
            api_pages.add(page.id)
        requests.append(FetchRequest(api or page.url,
                                     headers=spec.header_map() if spec else None))
    fetched: dict[int, FetchResult] = {}
    tasks: list[ExtractTask] = []
    # The whole batch at once: the fetcher keeps each host's limits and delays.
    for page, result in zip(claimed, ctx.fetcher.get_many(requests)):
        if isinstance(result, FetchError):
            _record_page_failure(ctx, page, result.reason, result.message,
                                 temporary=result.temporary, retry_after=result.retry_after)
            continue
        fetched[page.id] = result
        spec = specs.get(page.source_id)
        if page.id in api_pages:
            # Outlets that serve the article as JSON: no HTML extraction to do.
            try:
                extracted = parse_api_article(result.text, page.url, spec, default_tz=ctx.tz)
            except ExtractError as exc:
                _record_page_failure(ctx, page, exc.reason, exc.message, temporary=False)
                continue
            _record_article(ctx, page, result, plausible_date(clean_article(extracted), ctx.clock()))
            continue
        rules = spec.article if spec and spec.article != ArticleRules() else None
        tasks.append(ExtractTask(page.id, result.url, result.content, result.encoding, ctx.tz,
                                 rules=rules, entry_title=page.entry_title,
                                 entry_published=page.entry_published,
                                 min_chars=ctx.cfg["extract.min_body_chars"]))
    by_id = {p.id: p for p in claimed}
    for task, outcome in zip(tasks, run_tasks(tasks, ctx.extract_pool)):
        page = by_id[task.page_id]
        if isinstance(outcome, ExtractFailure):
            _record_page_failure(ctx, page, outcome.reason, outcome.message, temporary=False)
        else:
            _record_article(ctx, page, fetched[page.id], plausible_date(outcome, ctx.clock()))
    return len(claimed)


def _page_specs(ctx: Context, source_ids: set[int]) -> dict[int, SourceSpec]:
    """The specs of the pages' sources (article rules, headers, article API). A source
    whose spec no longer resolves reads its pages with the generic extractor."""
    with ctx.db.read() as conn:
        rows = page_store.source_rows(conn, source_ids)
    out = {}
    for row in rows:
        try:
            out[row.id] = poll_spec(row, ctx.clock())
        except ConfigError:
            continue
    return out


def _record_article(ctx: Context, page, result: FetchResult, article: Article) -> int:
    """Store the page's article (or link the page to the article it repeats) and propose
    a new article to the columns. Returns the article id."""
    now = ctx.clock()
    sig = signature(article.text)
    with ctx.db.write() as conn:
        article_id, is_new = _store_article(conn, article, page.source_id, now)
        if is_new:
            count_article(conn, article.title, article.text)
            add_images(conn, article_id, article.images, now=now)
            story_id, _relation = assign_story(conn, ctx.story_index, article_id, sig, now)
            _propose(conn, article_id, article, page.source_id, now, story_id)
        page_store.record_page(
            conn, page.id, ctx.worker_id, state=PageState.DONE.value, article_id=article_id,
            fetched_at=now, final_url=result.url, encoding=result.encoding,
            content_gz=zlib.compress(result.content, 6), attempts=page.attempts + 1,
            last_error=None, last_error_kind=None)
    log.info("page extracted", extra={"page_id": page.id, "article_url": page.url,
                                      "article_id": article_id, "new": is_new,
                                      "flags": sorted(article.flags)})
    return article_id


def _record_page_failure(ctx: Context, page, kind: str, message: str, *,
                         temporary: bool, retry_after: float | None = None) -> None:
    now = ctx.clock()
    attempts = page.attempts + 1
    retry = temporary and attempts < MAX_PAGE_ATTEMPTS
    values = {"attempts": attempts, "last_error": message, "last_error_kind": kind}
    if retry:
        values["next_attempt_at"] = now + retry_in(attempts, base=60.0, cap=6 * 3600.0,
                                                   retry_after=retry_after)
    else:
        values["state"] = PageState.FAILED.value
    with ctx.db.write() as conn:
        page_store.record_page(conn, page.id, ctx.worker_id, **values)
    log.warning("page failed", extra={"page_id": page.id, "article_url": page.url,
                                      "reason": kind, "error": message, "retry": retry})


def _store_article(conn: Connection, article: Article, source_id: int, now) -> tuple[int, bool]:
    """The same article seen twice (same canonical URL or same content) is one row."""
    existing = article_store.existing_id(conn, article.canonical_url, article.content_hash)
    if existing is not None:
        return existing, False
    article_id = article_store.insert_article(
        conn, source_id=source_id, url=article.url, canonical_url=article.canonical_url,
        content_hash=article.content_hash, title=article.title, text=article.text,
        title_orig=article.title_orig, text_orig=article.text_orig,
        published_at=article.published, author=article.author, editor=article.editor,
        source_name=article.source_name, lang=article.lang,
        flags=",".join(sorted(article.flags)), created_at=now)
    search.index_article(conn, article_id, article.title, article.text)
    return article_id, True


def _propose(conn: Connection, article_id: int, article: Article, source_id: int | None,
             now, story_id: int | None = None) -> int:
    """Offer a new article to every column whose rules it matches, with its score and
    the reasons; a column on auto-approve approves it at once (above its threshold once
    its learner is ready, or every match when it has no threshold). A story already
    proposed to a column is not proposed again, whichever outlet's copy this is."""
    return _offer(conn, article_id, article.title, article.text, article.published,
                  source_id, now, story_id)


def propose_stored(conn: Connection, article_id: int, now, *,
                   column_ids: list[int] | None = None) -> int:
    """Offer a stored article to the columns (``column_ids``, or all) as ``_propose``
    offers a new one: after an editor split a copy out of a story, the copies left
    behind are that story's candidate again in the columns the split copy stood for."""
    row = article_store.for_offer(conn, article_id)
    if row is None:
        return 0
    return _offer(conn, article_id, row.title, row.text, row.published_at, row.source_id,
                  now, row.story_id, column_ids=column_ids)


def _offer(conn: Connection, article_id: int, title: str, text: str, published,
           source_id: int | None, now, story_id: int | None, *,
           column_ids: list[int] | None = None) -> int:
    outlet = candidate_store.outlet_name(conn, source_id)
    doc = Doc(title, text, source_id=source_id, source_name=outlet, published=published,
              now=now)
    rows = []
    for col in candidate_store.columns_to_offer(conn, column_ids):
        rules = column_rules(col)
        if rules is None:
            continue
        result = evaluate(rules, doc, stats_for(conn, [t.form for t in rules.terms()]))
        if not result.matched:
            continue
        approved = bool(col.auto_approve)
        if approved and col.auto_approve_threshold is not None:
            learner = column_learner(col)
            approved = learner.ready and learner.predict(
                featurize(title, text, outlet, result.score)
            ) >= col.auto_approve_threshold
        rows.append(_candidate(col.id, article_id, story_id, result, now, approved))
    return candidate_store.insert_candidates(conn, rows)


def _candidate(column_id: int, article_id: int, story_id: int | None, result, now,
               approved: bool) -> dict:
    return {
        "column_id": column_id, "article_id": article_id,
        "state": (CandidateState.APPROVED if approved else CandidateState.PENDING).value,
        "story_id": story_id,
        "score": result.score, "terms": json.dumps(list(result.terms), ensure_ascii=False),
        "reason": result.reason, "created_at": now,
        "decided_at": now if approved else None,
        "decided_by": "auto" if approved else None,
    }


def offer_recent(conn: Connection, column_id: int, now, *, days: int = 30,
                 limit: int = 5000) -> int:
    """Offer the articles stored in the last ``days`` (newest ``limit``, one per story)
    to one column, as candidates waiting for review — also on a column that approves
    automatically: a new column's backlog is the editor's to choose from. Returns how
    many were offered."""
    cols = candidate_store.columns_to_offer(conn, [column_id])
    rules = column_rules(cols[0]) if cols else None
    if rules is None:
        return 0
    stats = stats_for(conn, [t.form for t in rules.terms()])
    rows = []
    for a in article_store.recent_for_selection(conn, now - timedelta(days=days), limit):
        doc = Doc(a.title, a.text, source_id=a.source_id, source_name=a.outlet,
                  published=a.published_at, now=now)
        result = evaluate(rules, doc, stats)
        if result.matched:
            rows.append(_candidate(column_id, a.id, a.story_id, result, now, False))
    return candidate_store.insert_candidates(conn, rows)


def reextract(ctx: Context, *, source_id: int | None = None, batch: int = 50,
              progress=None) -> tuple[int, int]:
    """Run extraction and cleaning again over the kept pages (after the extractor
    improved), updating their articles in place. Returns (updated, failed)."""
    updated = failed = 0
    last_id = 0
    while True:
        with ctx.db.read() as conn:
            rows = page_store.kept_pages(conn, after_id=last_id, limit=batch,
                                         source_id=source_id)
        if not rows:
            break
        last_id = rows[-1].id
        tasks = [ExtractTask(r.id, r.final_url or r.url, zlib.decompress(r.content_gz),
                             r.encoding, ctx.tz, entry_title=r.entry_title,
                             entry_published=r.entry_published,
                             min_chars=ctx.cfg["extract.min_body_chars"]) for r in rows]
        article_of = {r.id: r.article_id for r in rows}
        for task, outcome in zip(tasks, run_tasks(tasks, ctx.extract_pool)):
            if isinstance(outcome, ExtractFailure):
                failed += 1
                continue
            with ctx.db.write() as conn:
                before = article_store.title_and_text(conn, article_of[task.page_id])
                if before is not None:
                    count_article(conn, before.title, before.text, sign=-1)
                count_article(conn, outcome.title, outcome.text)
                article_store.update_article(
                    conn, article_of[task.page_id], title=outcome.title, text=outcome.text,
                    title_orig=outcome.title_orig, text_orig=outcome.text_orig,
                    published_at=outcome.published, author=outcome.author,
                    editor=outcome.editor, source_name=outcome.source_name,
                    lang=outcome.lang, flags=",".join(sorted(outcome.flags)),
                    # The story stays (an editor may have corrected it); the signature
                    # follows the text for later matches.
                    signature=signature(outcome.text).to_bytes())
                search.index_article(conn, article_of[task.page_id], outcome.title, outcome.text)
            updated += 1
        if progress:
            progress(updated, failed)
    return updated, failed

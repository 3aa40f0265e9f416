"""Extraction and cleaning of fetched pages, across processes.

Extraction is the CPU-heavy step (trafilatura and lxml, ~0.1 s a page): with more than
one process it runs in a process pool so that both cores work while the fetcher waits
on the network. Tasks and results are plain picklable data; errors come back as values
because our exceptions carry keyword arguments that pickling would lose.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import signal
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from zhuanlan.errors import ExtractError
from zhuanlan.extract.article import MAIN_BLOCK, MIN_BODY_CHARS, SHORT
from zhuanlan.extract.params import DEFAULT_PARAMS, ExtractParams
from zhuanlan.model import Article, ArticleRules


@dataclass(frozen=True)
class ExtractTask:
    page_id: int
    url: str                      # the final URL, after redirects
    content: bytes
    encoding: str | None
    tz: str
    rules: ArticleRules | None = None
    entry_title: str = ""
    entry_published: datetime | None = None
    content_type: str | None = None   # for charset detection when ``encoding`` is unknown
    min_chars: int = MIN_BODY_CHARS   # the setting extract.min_body_chars
    params: ExtractParams = DEFAULT_PARAMS


@dataclass(frozen=True)
class ExtractFailure:
    page_id: int
    reason: str
    message: str


def run_task(task: ExtractTask) -> Article | ExtractFailure:
    """Extract and clean one page. Never raises for a bad page: a failure is a value.

    The minimum length applies to the cleaned body (boilerplate lines gone): under it
    the page fails ``too_short`` unless the extractor found the body clearly the page's
    main content, which is kept and flagged ``short``."""
    from zhuanlan.extract import extract_article
    from zhuanlan.fetch.charset import decode_body
    from zhuanlan.text.article import clean_article

    if task.encoding:
        html = task.content.decode(task.encoding, errors="replace")
    else:
        html, _ = decode_body(task.content, task.content_type)
    try:
        extracted = extract_article(html, task.url, default_tz=task.tz, rules=task.rules,
                                    min_chars=task.min_chars, params=task.params)
    except ExtractError as exc:
        return ExtractFailure(task.page_id, exc.reason, exc.message)
    # The list often knows what the page hides (a clean headline, a date).
    if not extracted.title and task.entry_title:
        extracted = dataclasses.replace(extracted, title=task.entry_title)
    if extracted.published is None and task.entry_published is not None:
        extracted = dataclasses.replace(extracted, published=task.entry_published)
    article = clean_article(extracted)
    chars = len("".join(article.text.split()))
    if chars < task.min_chars and SHORT not in article.flags:
        if MAIN_BLOCK not in article.flags:
            return ExtractFailure(task.page_id, "too_short",
                                  f"article body has {chars} characters after cleaning, "
                                  f"fewer than {task.min_chars}")
        article = dataclasses.replace(article, flags=article.flags | {SHORT})
    return article


def make_pool(processes: int) -> Executor | None:
    """A process pool for ``processes`` > 1 (0 means one per core); None means inline.

    Its processes come from a fork server, not forked from this process: a fork would
    copy the web server's listening sockets and signal handlers into children that
    then outlive a stopped server. They ignore SIGINT (Ctrl-C reaches the whole process
    group; the parent stops them in order)."""
    n = processes or (os.cpu_count() or 1)
    if n <= 1:
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=n, mp_context=context,
                               initializer=_ignore_sigint)


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_tasks(tasks: list[ExtractTask], pool: Executor | None) -> list[Article | ExtractFailure]:
    if pool is None or len(tasks) < 2:
        return [run_task(t) for t in tasks]
    return list(pool.map(run_task, tasks))


# Pages carry dates from templates, copyright lines and typos: a publish time more than a
# day ahead, or before the web (1994), is dropped rather than believed.
FUTURE_SLACK = timedelta(days=1)
EARLIEST = datetime(1994, 1, 1, tzinfo=UTC)


def plausible_date(article: Article, now: datetime) -> Article:
    """The article with an implausible publish time removed and flagged."""
    when = article.published
    if when is None or EARLIEST <= when <= now + FUTURE_SLACK:
        return article
    flag = "date_future" if when > now else "date_implausible"
    return dataclasses.replace(article, published=None, flags=article.flags | {flag})


def extract_one(content: bytes, content_type: str | None, url: str, tz: str, *,
                params: ExtractParams = DEFAULT_PARAMS,
                min_chars: int = MIN_BODY_CHARS) -> dict:
    """Decode, extract and clean one page — the worker's own path (``run_task``) — into
    the JSON record of ``zhuanlan extract``.

    Raises ExtractError (a ZhuanlanError) when the page yields no article.
    """
    article = run_task(ExtractTask(0, url, content, None, tz, content_type=content_type,
                                   min_chars=min_chars, params=params))
    if isinstance(article, ExtractFailure):
        raise ExtractError(url, article.reason, article.message)
    return {
        "url": article.url, "title": article.title, "text": article.text,
        "published": article.published.isoformat() if article.published else None,
        "author": article.author, "source_name": article.source_name, "lang": article.lang,
        "flags": sorted(article.flags),
    }

"""Try a source before saving it: fetch its list as a poll would, and extract its first
article as the worker would, without writing anything.

A part of the facade for the administrator's "测试" button: the list is read by
``sources.read.read_pages`` and the article by ``jobs.extraction.run_task`` (or the
outlet's article API), through the facade's polite fetcher, so the SSRF guard, robots.txt
and the size limits apply exactly as they will when the source is polled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from zhuanlan.errors import (
    ConfigError,
    ExtractError,
    FetchError,
    NotFoundError,
    SourceError,
    ZhuanlanError,
)
from zhuanlan.jobs.context import Context
from zhuanlan.model import ArticleRules

ENTRIES_SHOWN = 10
PARAGRAPHS_SHOWN = 3

# What went wrong, for the administrator (zh-CN); fetch reasons come from sources.health.
_MESSAGES = {
    "bad_url": "地址格式不正确：信息源地址必须以 http:// 或 https:// 开头",
    "bad_kind": "不支持的信息源类型",
    "config": "信息源配置有误",
    "preset": "没有这个预置信息源",
    "not_a_feed": "内容不是有效的 RSS/Atom 订阅源",
    "not_a_list": "列表页中没有找到文章链接",
    "empty": "列表中没有找到任何文章",
}
_EXTRACT_MESSAGES = {
    "not_html": "文章页不是 HTML 网页",
    "empty": "文章页中没有找到正文",
    "too_short": "文章页的正文太短",
}


@dataclass(frozen=True)
class ProbeEntry:
    title: str
    url: str
    published: datetime | None = None


@dataclass(frozen=True)
class ProbeArticle:
    url: str
    title: str
    published: datetime | None
    paragraphs: tuple[str, ...]
    author: str | None = None
    source_name: str | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What the source would give. ``ok`` is False with ``error`` (zh-CN) and
    ``error_kind`` (a machine-readable reason: a fetch reason such as ``timeout`` or
    ``blocked_address``, or ``bad_url``, ``config``, ``not_a_feed``, ``not_a_list``,
    ``empty``) when the list cannot be read; the first article's own failure is
    ``article_error`` and does not make the probe fail."""

    ok: bool
    kind: str
    url: str
    spec: dict[str, Any] = field(default_factory=dict)   # checked, for add_source(spec=…)
    title: str = ""
    entries: tuple[ProbeEntry, ...] = ()
    entry_count: int = 0
    article: ProbeArticle | None = None
    article_error: str = ""
    error: str = ""
    error_kind: str = ""


def fetch_message(exc: FetchError) -> str:
    from zhuanlan.sources.health import REASONS
    return f"{REASONS.get(exc.reason, '抓取失败')}（{exc.message}）"


def probe_source(ctx: Context, kind: str, url: str, spec: dict[str, Any] | None = None, *,
                 preset: str | None = None, params: dict[str, str] | None = None) -> ProbeResult:
    """Read the list at ``url`` as a source of ``kind`` with ``spec``'s fields (those of
    ``sources/spec.py``), or the preset ``preset`` (``kind`` and ``url`` are then the
    preset's), and extract its first entry. Never raises for the source's own failures
    and never writes to the store."""
    from zhuanlan.sources.presets import get_preset
    from zhuanlan.sources.read import read_pages
    from zhuanlan.sources.spec import KINDS, resolve_spec, spec_from_dict, spec_to_dict

    spec_data: dict[str, Any] = dict(spec or {})
    if preset:
        try:
            p = get_preset(preset)
        except NotFoundError:
            return _failed(kind, url, "preset", _MESSAGES["preset"] + f"：{preset}")
        if p.spec is None:
            return _failed(kind, url, "preset", _MESSAGES["preset"] + f"：{preset}")
        kind, url = p.kind, p.url
        spec_data = spec_to_dict(p.spec)
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _failed(kind, url, "bad_url", _MESSAGES["bad_url"])
    if kind not in KINDS:
        return _failed(kind, url, "bad_kind", f"{_MESSAGES['bad_kind']}：{kind}")
    try:
        checked = spec_from_dict({**spec_data, "kind": kind, "url": url})
        resolved = resolve_spec(checked, now=ctx.clock(), params=params or {})
    except ConfigError as exc:
        return _failed(kind, url, "config", f"{_MESSAGES['config']}：{exc.key}：{exc.message}")
    saved = spec_to_dict(checked)

    def fetch(target: str) -> tuple[bytes, str, str]:
        result = ctx.fetcher.get(target, headers=resolved.header_map())
        return result.content, "", result.url

    try:
        feed = read_pages(resolved, fetch, default_tz=ctx.tz)
    except FetchError as exc:
        return _failed(kind, url, exc.reason, fetch_message(exc), saved)
    except SourceError as exc:
        reason = "not_a_feed" if kind == "feed" else "not_a_list"
        return _failed(kind, url, reason, f"{_MESSAGES[reason]}（{exc.message}）", saved)
    except ZhuanlanError as exc:
        return _failed(kind, url, "error", f"读取失败：{exc.message}", saved)
    if not feed.entries:
        reason = "not_a_list" if kind == "html" else "empty"
        return _failed(kind, url, reason, _MESSAGES[reason], saved)
    entries = tuple(ProbeEntry(e.title, e.url, e.published) for e in feed.entries)
    article, article_error = _first_article(ctx, resolved, feed.entries[0])
    return ProbeResult(ok=True, kind=kind, url=url, spec=saved, title=feed.title,
                       entries=entries[:ENTRIES_SHOWN], entry_count=len(entries),
                       article=article, article_error=article_error)


def _first_article(ctx: Context, spec, entry) -> tuple[ProbeArticle | None, str]:
    """The first entry fetched and extracted as the worker would (no store)."""
    from zhuanlan.jobs.extraction import ExtractFailure, ExtractTask, run_task
    from zhuanlan.sources.api_article import article_api_url, parse_api_article
    from zhuanlan.text.article import clean_article

    api = article_api_url(spec, entry.url) if spec.article_api else None
    try:
        result = ctx.fetcher.get(api or entry.url, headers=spec.header_map())
    except FetchError as exc:
        return None, f"文章页无法抓取：{fetch_message(exc)}"
    if api:
        try:
            article = clean_article(parse_api_article(result.text, entry.url, spec,
                                                      default_tz=ctx.tz))
        except ExtractError as exc:
            return None, f"文章接口无法解析：{exc.message}"
    else:
        rules = spec.article if spec.article != ArticleRules() else None
        outcome = run_task(ExtractTask(0, result.url, result.content, result.encoding, ctx.tz,
                                       rules=rules, entry_title=entry.title,
                                       entry_published=entry.published,
                                       content_type=result.content_type,
                                       min_chars=ctx.cfg["extract.min_body_chars"]))
        if isinstance(outcome, ExtractFailure):
            return None, (f"文章无法提取：{_EXTRACT_MESSAGES.get(outcome.reason, '提取失败')}"
                          f"（{outcome.message}）")
        article = outcome
    paragraphs = tuple(p.strip() for p in article.text.split("\n") if p.strip())
    return ProbeArticle(url=entry.url, title=article.title, published=article.published,
                        paragraphs=paragraphs[:PARAGRAPHS_SHOWN], author=article.author,
                        source_name=article.source_name), ""


def _failed(kind: str, url: str, error_kind: str, message: str,
            spec: dict[str, Any] | None = None) -> ProbeResult:
    return ProbeResult(ok=False, kind=kind, url=url, spec=spec or {}, error=message,
                       error_kind=error_kind)

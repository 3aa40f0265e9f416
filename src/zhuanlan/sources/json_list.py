"""Lists served as JSON or JSONP (新华网 ``ds_*.json``, 央视网 JSONP, 学习强国 lgdata)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from zhuanlan.errors import SourceError
from zhuanlan.extract.dates import parse_date
from zhuanlan.model import Feed, FeedEntry
from zhuanlan.sources.entries import EntryCollector
from zhuanlan.sources.feed import plain_text, safe_link
from zhuanlan.sources.jsonp import load_json
from zhuanlan.sources.spec import SourceSpec, get_path

__all__ = ["parse_json_list"]


def _scalar(value: Any) -> str:
    if value is None or isinstance(value, (dict, list)):
        return ""
    if isinstance(value, bool):
        return ""
    return str(value)


def _date(value: Any, default_tz: ZoneInfo | str):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(int(value))
    return parse_date(_scalar(value), default_tz) if value is not None else None


def parse_json_list(content: str, url: str, spec: SourceSpec, *,
                    default_tz: ZoneInfo | str = "Asia/Shanghai") -> Feed:
    """The entries of a JSON/JSONP list read with ``spec.items`` and ``spec.fields``.

    An item's link is its ``fields.url`` value resolved against ``url``, or
    ``spec.url_template`` filled with its ``fields.id``; items without an http(s) link
    are dropped. Raises :class:`SourceError` when the document is not JSON (or JSONP)
    or ``spec.items`` does not lead to a list.
    """
    data = load_json(content, url, jsonp=spec.jsonp)
    items = get_path(data, spec.items)
    if not isinstance(items, list):
        where = spec.items or "the document"
        raise SourceError(f"items path {where!r} does not lead to a list", resource=url)
    f = spec.field_map()
    out = EntryCollector(default_tz, link_pattern=spec.link_pattern,
                         exclude_title=spec.exclude_title)
    for item in items:
        if not isinstance(item, dict):
            continue
        ident = _scalar(get_path(item, f["id"])) if "id" in f else ""
        link = safe_link(_scalar(get_path(item, f["url"])), url) if "url" in f else None
        if link is None and spec.url_template and ident:
            link = safe_link(spec.url_template.replace("{id}", quote(ident, safe="")), url)
        if link is None:
            continue
        out.add(FeedEntry(
            url=link,
            title=plain_text(_scalar(get_path(item, f["title"])), single_line=True),
            summary=plain_text(_scalar(get_path(item, f["summary"]))) if "summary" in f else "",
            published=_date(get_path(item, f["date"]), default_tz) if "date" in f else None,
            author=(plain_text(_scalar(get_path(item, f["author"])), single_line=True) or None)
            if "author" in f else None,
            guid=ident or None))
    title = plain_text(_scalar(get_path(data, "title")) if isinstance(data, dict) else "",
                       single_line=True)
    return Feed(title=title, link=url, entries=out.entries())

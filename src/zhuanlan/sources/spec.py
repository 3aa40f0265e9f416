"""How to read one list of one outlet, as data: :class:`SourceSpec`.

A spec is what a preset (``presets/*.toml``) or a custom source (the ``sources.spec`` JSON
column) says about a list URL: its kind, the selectors or JSON paths that find its items,
the headers the site wants, and how to read the articles it links to. Specs are plain
frozen data; the parsers in this package take one and return :class:`zhuanlan.model.Feed`.

URLs may hold placeholders, expanded at poll time by :func:`expand_url`:

- ``{date:%Y%m/%d}`` — today's date in Beijing (the e-paper's dated layout pages);
- ``{name}`` — a parameter the preset declares in ``params`` with a default, which an
  editor may override per source (学习强国's channel ids change without notice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dc_fields
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from lxml.cssselect import CSSSelector, SelectorError

from zhuanlan.errors import ConfigError
from zhuanlan.model import ArticleRules

__all__ = ["KINDS", "JSON_FIELDS", "ArticleApi", "SourceSpec", "spec_from_dict", "spec_to_dict",
           "expand_url", "resolve_spec", "get_path"]

KINDS = ("feed", "html", "json", "sitemap")
JSON_FIELDS = ("url", "title", "date", "summary", "author", "id")
MAX_PAGES_LIMIT = 10
BEIJING = ZoneInfo("Asia/Shanghai")

_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^{}]*))?\}")
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


@dataclass(frozen=True)
class ArticleApi:
    """Where an article's content comes as JSON/JSONP instead of an HTML page.

    ``id_pattern`` (a regex with one group) takes the item id from the article's URL;
    ``url_template`` makes the API URL from it (``{id}``). The other fields are dotted
    paths into the API's JSON; empty means "not given".
    """

    url_template: str
    id_pattern: str
    title: str = "title"
    content: str = "content"
    date: str = ""
    source: str = ""
    author: str = ""
    jsonp: bool | None = None            # None: detect a callback(...) wrapper

    def api_url(self, article_url: str) -> str | None:
        """The API URL for ``article_url``; None when its URL carries no id we know."""
        m = re.search(self.id_pattern, article_url)
        if not m:
            return None
        return self.url_template.replace("{id}", quote(m.group(1), safe=""))


@dataclass(frozen=True)
class SourceSpec:
    """How to read one list. Mappings are kept as sorted tuples of pairs so the spec
    stays hashable; :meth:`header_map`, :meth:`field_map` and :meth:`param_map` give dicts."""

    kind: str
    url: str
    # html: links are <a> elements; title/date are relative to the item container.
    links: str = ""
    item: str = ""
    title: str = ""
    date: str = ""
    link_pattern: str = ""               # every kind: the absolute URL must match (re.search)
    exclude_title: str = ""              # every kind: drop entries whose title matches
    next_page: str = ""
    max_pages: int = 1
    # json: dotted paths (FreshRSS style), "" is the document itself.
    items: str = ""
    fields: tuple[tuple[str, str], ...] = ()
    url_template: str = ""
    jsonp: bool | None = None            # None: detect a callback(...) wrapper
    # every kind
    encoding: str = ""                   # force a charset (e.g. gb18030) for html lists
    headers: tuple[tuple[str, str], ...] = ()
    params: tuple[tuple[str, str], ...] = ()   # defaults of the URL's {name} placeholders
    article: ArticleRules = field(default_factory=ArticleRules)
    article_api: ArticleApi | None = None
    authority: int = 50
    expect_min_items: int = 0

    def header_map(self) -> dict[str, str]:
        return dict(self.headers)

    def field_map(self) -> dict[str, str]:
        return dict(self.fields)

    def param_map(self) -> dict[str, str]:
        return dict(self.params)


def get_path(data: Any, path: str) -> Any:
    """The value at dotted ``path`` in decoded JSON (``data.list``, ``items.0.title``);
    None when any step is missing. ``""`` is ``data`` itself."""
    if not path:
        return data
    cur = data
    for step in path.split("."):
        if isinstance(cur, Mapping):
            cur = cur.get(step)
        elif isinstance(cur, list) and step.isdigit():
            idx = int(step)
            cur = cur[idx] if idx < len(cur) else None
        else:
            return None
        if cur is None:
            return None
    return cur


def expand_url(template: str, now: datetime, params: Mapping[str, str] | None = None) -> str:
    """``template`` with its placeholders filled.

    ``{date:FMT}`` is ``now`` in Beijing time formatted with strftime ``FMT`` (``%Y-%m-%d``
    when no format); ``{name}`` is ``params[name]``, percent-encoded. ``now`` must be
    aware. Raises :class:`ConfigError` (key ``params.<name>``) for a parameter with no
    value, and ``ValueError`` for a naive ``now``.
    """
    if now.tzinfo is None:
        raise ValueError("expand_url needs an aware datetime")
    params = params or {}

    def fill(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2)
        if name == "date":
            return now.astimezone(BEIJING).strftime(fmt or "%Y-%m-%d")
        value = params.get(name)
        if value is None or not str(value).strip():
            raise ConfigError(f"params.{name}",
                              f"参数 {name} 没有取值：请在信息源设置里填写（URL 模板 {template}）")
        return quote(str(value).strip(), safe="")

    return _PLACEHOLDER.sub(fill, template)


def resolve_spec(spec: SourceSpec, *, now: datetime,
                 params: Mapping[str, str] | None = None) -> SourceSpec:
    """The spec with its URL and header values expanded for a poll at ``now``.

    ``params`` (a source's overrides) win over the preset's declared defaults. Raises
    :class:`ConfigError` like :func:`expand_url`.
    """
    values = {**spec.param_map(), **{k: v for k, v in (params or {}).items() if v is not None}}
    headers = tuple((k, expand_url(v, now, values)) for k, v in spec.headers)
    return replace(spec, url=expand_url(spec.url, now, values), headers=headers)


# --- validation -----------------------------------------------------------------------

def _err(name: str, message: str) -> ConfigError:
    return ConfigError(f"spec.{name}", message)


def _str(d: Mapping[str, Any], name: str, default: str = "") -> str:
    value = d.get(name, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise _err(name, f"must be a string, not {type(value).__name__}")
    return value.strip()


def _int(d: Mapping[str, Any], name: str, default: int, lo: int, hi: int) -> int:
    value = d.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _err(name, f"must be an integer from {lo} to {hi}")
    if not lo <= value <= hi:
        raise _err(name, f"must be from {lo} to {hi}, not {value}")
    return value


def _opt_bool(d: Mapping[str, Any], name: str) -> bool | None:
    value = d.get(name)
    if value is None or isinstance(value, bool):
        return value
    raise _err(name, "must be true, false or absent (detect)")


def _selector(name: str, value: str) -> str:
    if value:
        try:
            CSSSelector(value)
        except (SelectorError, SyntaxError, ValueError) as exc:
            raise _err(name, f"invalid CSS selector {value!r}: {exc}") from exc
    return value


def _regex(name: str, value: str, *, groups: int | None = None) -> str:
    if value:
        try:
            compiled = re.compile(value)
        except re.error as exc:
            raise _err(name, f"invalid regular expression {value!r}: {exc}") from exc
        if groups is not None and compiled.groups != groups:
            raise _err(name, f"must have exactly {groups} group(s): {value!r}")
    return value


def _pairs(d: Mapping[str, Any], name: str) -> dict[str, str]:
    value = d.get(name) or {}
    if not isinstance(value, Mapping):
        raise _err(name, "must be a table of names to strings")
    out = {}
    for k, v in value.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise _err(f"{name}.{k}", "must be a string")
        if "\r" in v or "\n" in v:
            raise _err(f"{name}.{k}", "must not contain line breaks")
        out[k] = v
    return out


def _url(name: str, value: str, *, required: bool) -> str:
    if not value:
        if required:
            raise _err(name, "is required")
        return value
    if not value.lower().startswith(("http://", "https://")):
        raise _err(name, f"must be an http(s) URL, not {value!r}")
    return value


def _article_rules(value: Any) -> ArticleRules:
    if value is None:
        return ArticleRules()
    if not isinstance(value, Mapping):
        raise _err("article", "must be a table of selectors")
    known = {f.name for f in dc_fields(ArticleRules)}
    kwargs = {}
    for key, sel in value.items():
        if key not in known:
            raise _err(f"article.{key}", f"unknown article rule (known: {', '.join(sorted(known))})")
        items = [sel] if isinstance(sel, str) else sel
        if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
            raise _err(f"article.{key}", "must be a selector or a list of selectors")
        kwargs[key] = tuple(_selector(f"article.{key}", s.strip()) for s in items if s.strip())
    return ArticleRules(**kwargs)


def _article_api(value: Any) -> ArticleApi | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _err("article_api", "must be a table")
    known = {f.name for f in dc_fields(ArticleApi)}
    for key in value:
        if key not in known:
            raise _err(f"article_api.{key}", "unknown field")
    template = _url("article_api.url_template", _str(value, "url_template"), required=True)
    if "{id}" not in template:
        raise _err("article_api.url_template", "must contain {id}")
    pattern = _str(value, "id_pattern")
    if not pattern:
        raise _err("article_api.id_pattern", "is required")
    _regex("article_api.id_pattern", pattern, groups=1)
    return ArticleApi(
        url_template=template, id_pattern=pattern,
        title=_str(value, "title", "title"), content=_str(value, "content", "content"),
        date=_str(value, "date"), source=_str(value, "source"), author=_str(value, "author"),
        jsonp=_opt_bool(value, "jsonp"))


_KNOWN_KEYS = {f.name for f in dc_fields(SourceSpec)}


def spec_from_dict(d: Mapping[str, Any]) -> SourceSpec:
    """A validated :class:`SourceSpec` from a preset entry or a stored JSON spec.

    Raises :class:`zhuanlan.errors.ConfigError` whose key names the faulty field
    (``spec.links``, ``spec.article.body``, ``params.channel`` …) for an unknown field, a
    missing required one, a bad CSS selector or regex, or a value out of range.
    """
    if not isinstance(d, Mapping):
        raise ConfigError("spec", "must be a table")
    for key in d:
        if key not in _KNOWN_KEYS:
            raise _err(str(key), "unknown field")
    kind = _str(d, "kind", "feed")
    if kind not in KINDS:
        raise _err("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    url = _url("url", _str(d, "url"), required=True)
    params = _pairs(d, "params")
    for m in _PLACEHOLDER.finditer(url):
        if m.group(1) != "date" and m.group(1) not in params:
            raise ConfigError(f"params.{m.group(1)}",
                              f"the URL uses {{{m.group(1)}}} but params declares no default")

    links = _selector("links", _str(d, "links"))
    if kind == "html" and not links:
        raise _err("links", "is required for an html list (a CSS selector for its <a> links)")
    fields_ = _pairs(d, "fields")
    for key in fields_:
        if key not in JSON_FIELDS:
            raise _err(f"fields.{key}", f"unknown field (known: {', '.join(JSON_FIELDS)})")
    url_template = _str(d, "url_template")
    if url_template:
        _url("url_template", url_template, required=True)
        if "{id}" not in url_template:
            raise _err("url_template", "must contain {id}")
        if "id" not in fields_:
            raise _err("fields.id", "is required when url_template is set")
    if kind == "json" and "url" not in fields_ and not url_template:
        raise _err("fields.url", "a json list needs fields.url or url_template")
    if kind == "json" and "title" not in fields_:
        raise _err("fields.title", "is required for a json list")

    encoding = _str(d, "encoding")
    if encoding:
        try:
            "".encode(encoding)
        except LookupError as exc:
            raise _err("encoding", f"unknown encoding {encoding!r}") from exc
    headers = _pairs(d, "headers")
    for name in headers:
        if not _HEADER_NAME.match(name):
            raise _err(f"headers.{name}", "is not a valid header name")

    return SourceSpec(
        kind=kind, url=url, links=links,
        item=_selector("item", _str(d, "item")),
        title=_selector("title", _str(d, "title")),
        date=_selector("date", _str(d, "date")),
        link_pattern=_regex("link_pattern", _str(d, "link_pattern")),
        exclude_title=_regex("exclude_title", _str(d, "exclude_title")),
        next_page=_selector("next_page", _str(d, "next_page")),
        max_pages=_int(d, "max_pages", 1, 1, MAX_PAGES_LIMIT),
        items=_str(d, "items"), fields=tuple(sorted(fields_.items())),
        url_template=url_template, jsonp=_opt_bool(d, "jsonp"), encoding=encoding,
        headers=tuple(sorted(headers.items())), params=tuple(sorted(params.items())),
        article=_article_rules(d.get("article")), article_api=_article_api(d.get("article_api")),
        authority=_int(d, "authority", 50, 0, 100),
        expect_min_items=_int(d, "expect_min_items", 0, 0, 10_000))


def spec_to_dict(spec: SourceSpec) -> dict[str, Any]:
    """The spec as plain JSON-ready data; ``spec_from_dict(spec_to_dict(s)) == s``.
    Fields at their default are left out."""
    default = SourceSpec(kind=spec.kind, url=spec.url)
    out: dict[str, Any] = {"kind": spec.kind, "url": spec.url}
    for f in dc_fields(SourceSpec):
        if f.name in ("kind", "url"):
            continue
        value = getattr(spec, f.name)
        if value == getattr(default, f.name):
            continue
        if f.name in ("fields", "headers", "params"):
            value = dict(value)
        elif f.name == "article":
            value = {k.name: list(getattr(value, k.name)) for k in dc_fields(ArticleRules)
                     if getattr(value, k.name)}
        elif f.name == "article_api":
            api_default = ArticleApi(url_template="", id_pattern="")
            value = {k.name: getattr(value, k.name) for k in dc_fields(ArticleApi)
                     if k.name in ("url_template", "id_pattern")
                     or getattr(value, k.name) != getattr(api_default, k.name)}
        out[f.name] = value
    return out

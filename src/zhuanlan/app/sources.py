"""Sources: adding, listing, enabling, setting parameters, polling now, and trying a
source before it is saved (``app.source_probe``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from zhuanlan.errors import ConfigError, SourceError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.specs import base_spec, display_url
from zhuanlan.redact import redact_text, redact_url
from zhuanlan.sources.presets import get_preset
from zhuanlan.sources.spec import (
    KINDS,
    SourceSpec,
    resolve_spec,
    spec_from_dict,
    spec_to_dict,
)
from zhuanlan.store import sources as store
from zhuanlan.store.audit import record as audit


class Sources:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def add(self, name: str, url: str, *, kind: str = "feed", preset: str | None = None,
            spec: dict | None = None, params: dict[str, str] | None = None,
            authority: int = 50, poll_minutes: int | None = None, enabled: bool = True,
            max_new_per_poll: int | None = None, refuse_existing: bool = False,
            by: str = "admin") -> int:
        """Add a source (or return the id of the one with this URL; with
        ``refuse_existing``, SourceError).

        ``spec`` holds the fields of a list source (selectors, JSON paths … see
        ``sources/spec.py``); a preset's spec comes from its data file instead.
        Raises SourceError for a URL that is not http(s) or an unknown kind, ConfigError
        naming the field for an invalid spec.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SourceError("信息源地址须以 http:// 或 https:// 开头", resource=url)
        if kind not in KINDS:
            raise SourceError(f"未知的信息源类型 {kind!r}（可用：{', '.join(KINDS)}）",
                              resource=url)
        spec_json = None
        if spec is not None:
            checked = spec_from_dict({**spec, "kind": kind, "url": url})
            spec_json = json.dumps(spec_to_dict(checked), ensure_ascii=False)
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            existing = store.source_id_by_url(conn, url)
            if existing is not None:
                if refuse_existing:
                    raise SourceError("这个地址的信息源已经存在", resource=url)
                return existing
            source_id = store.insert_source(
                conn, name=name, kind=kind, url=url, preset=preset, spec=spec_json,
                params=json.dumps(params, ensure_ascii=False) if params else None,
                authority=authority, enabled=enabled,
                poll_minutes=poll_minutes or self.ctx.cfg["sources.poll_minutes"],
                next_poll_at=now, consecutive_failures=0, recent_counts="", created_at=now,
                max_new_per_poll=max_new_per_poll)
            audit(conn, by, "add_source", f"source {source_id}", f"{name} <{url}>", at=now)
            return source_id

    def add_preset(self, preset_id: str, *, name: str = "", by: str = "admin") -> int:
        """Add a preset's source, under its URL with the preset's own parameters.
        Raises NotFoundError for an unknown preset, SourceError when it exists."""
        p = get_preset(preset_id)
        url = display_url(p.url, p.spec.param_map() if p.spec else {})
        return self.add(name.strip() or p.name, url, kind=p.kind, preset=p.id,
                        authority=p.authority, refuse_existing=True, by=by)

    def all(self) -> list[dict]:
        with self.ctx.db.read() as conn:
            return [shown(r) for r in store.source_rows(conn)]

    def get(self, source_id: int) -> dict:
        """Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            return shown(dict(store.source_row(conn, source_id)._mapping))

    def update(self, source_id: int, *, enabled: bool | None = None,
               params: dict[str, str] | None = None, by: str = "admin") -> dict:
        """Enable or disable a source, or set values of its URL's parameters (a preset's
        channel id …). The source is polled at once. Raises NotFoundError, ConfigError
        when a parameter still lacks a value."""
        with self.ctx.db.read() as conn:
            row = store.source_row(conn, source_id)
        values: dict[str, Any] = {"next_poll_at": self.ctx.clock()}
        if enabled is not None:
            values["enabled"] = enabled
        if params:
            merged = {**json.loads(row.params or "{}"), **params}
            spec = base_spec(row)
            resolve_spec(spec, now=self.ctx.clock(), params=merged)   # refuse a still-empty one
            values["params"] = json.dumps(merged, ensure_ascii=False)
            if row.preset and not row.spec:
                values["url"] = display_url(spec.url, {**spec.param_map(), **merged})
        with self.ctx.db.write() as conn:
            store.update_source(conn, source_id, **values)
            detail = json.dumps({k: v for k, v in (("enabled", enabled), ("params", params))
                                 if v is not None}, ensure_ascii=False)
            audit(conn, by, "update_source", f"source {source_id}", detail, at=self.ctx.clock())
        return self.get(source_id)

    def stored_url(self, source_id: int) -> str:
        """The URL as stored (a password in it unmasked), for trying the source."""
        with self.ctx.db.read() as conn:
            return store.source_row(conn, source_id).url

    def settings(self, source_id: int) -> dict:
        """What the edit page shows: the source as :meth:`get` gives it, with ``spec`` (its
        fields as plain data), ``params`` (every parameter its URL uses, with the value in
        force), ``headers`` and ``editable_spec`` (False for a preset's source, whose
        list settings come from the preset's data file). Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            row = store.source_row(conn, source_id)
        source = shown(dict(row._mapping))
        try:
            spec = base_spec(row)
        except ConfigError:
            spec = SourceSpec(kind=row.kind or "feed", url=row.url)
        values = {**spec.param_map(), **json.loads(row.params or "{}")}
        return {**source, "spec": spec_to_dict(spec), "params": values,
                "headers": spec.header_map(), "editable_spec": not _preset_only(row)}

    def edit(self, source_id: int, *, name: str, url: str | None = None,
             spec: dict | None = None, headers: dict[str, str] | None = None,
             params: dict[str, str] | None = None, poll_min_minutes: int | None = None,
             poll_max_minutes: int | None = None, max_new_per_poll: int | None = None,
             by: str = "admin") -> list[str]:
        """Save an edited source; returns what changed, in words (zh-CN), also written
        to the audit log. ``spec`` holds the list fields of the source's kind (as for
        :meth:`add`) and replaces those fields of the stored spec, others kept; a
        preset's source takes ``name``, ``params`` and the polling fields only. A URL
        shown masked (a password in it) keeps the stored one. Raises NotFoundError,
        SourceError (a bad URL, one another source has) and ConfigError naming the
        field."""
        with self.ctx.db.read() as conn:
            row = store.source_row(conn, source_id)
        values: dict[str, Any] = {}
        name = name.strip()[:200]
        if not name:
            raise ConfigError("name", "请填写名称")
        values["name"] = name
        preset_only = _preset_only(row)
        merged = {**json.loads(row.params or "{}"), **{k: v.strip() for k, v in
                                                       (params or {}).items()}}
        if preset_only:
            base = base_spec(row)
            resolve_spec(base, now=self.ctx.clock(), params=merged)  # refuse an empty one
            values["url"] = display_url(base.url, {**base.param_map(), **merged})
        else:
            url = (url or "").strip()
            if url == redact_url(row.url):
                url = row.url
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise SourceError("信息源地址须以 http:// 或 https:// 开头", resource=url)
            values["url"] = url
            values["spec"] = _edited_spec(row, url, spec, headers)
            if merged and values["spec"]:
                resolve_spec(spec_from_dict(json.loads(values["spec"])), now=self.ctx.clock(),
                             params=merged)
        if merged != json.loads(row.params or "{}"):
            values["params"] = json.dumps(merged, ensure_ascii=False) if merged else None
        lo = poll_min_minutes if poll_min_minutes is not None else row.poll_min_minutes
        hi = poll_max_minutes if poll_max_minutes is not None else row.poll_max_minutes
        if not 1 <= lo <= hi <= 10_080:
            raise ConfigError("poll_minutes", "抓取间隔须满足 1 ≤ 最短 ≤ 最长 ≤ 10080 分钟")
        values.update(poll_min_minutes=lo, poll_max_minutes=hi,
                      poll_minutes=min(max(row.poll_minutes, lo), hi))
        if max_new_per_poll is not None and not 1 <= max_new_per_poll <= 100_000:
            raise ConfigError("max_new_per_poll", "每次最多新增须在 1 到 100000 之间")
        values["max_new_per_poll"] = max_new_per_poll
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        words = _change_words(row, values, changed)
        if not words:
            return []
        reading = {"url", "spec", "params"} & set(changed)
        update = {k: values[k] for k in changed}
        if reading:
            # Another list: the old validators would answer "not modified".
            update.update(etag=None, last_modified=None, next_poll_at=self.ctx.clock())
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            if "url" in changed:
                other = store.source_id_by_url(conn, values["url"])
                if other is not None and other != source_id:
                    raise SourceError("这个地址的信息源已经存在",
                                      resource=redact_url(values["url"]))
            store.update_source(conn, source_id, **update)
            audit(conn, by, "edit_source", f"source {source_id}",
                  f"编辑信息源「{name}」：" + "；".join(words), at=now)
        return words

    def deletion(self, source_id: int) -> dict:
        """What deleting the source would do (see ``store.sources.deletion_counts``),
        with the source itself under ``source``. Raises NotFoundError."""
        with self.ctx.db.read() as conn:
            row = store.source_row(conn, source_id)
            return {"source": shown(dict(row._mapping)),
                    **store.deletion_counts(conn, source_id)}

    def delete(self, source_id: int, *, by: str = "admin") -> dict:
        """Delete the source in one transaction: its fetch history, its articles in no
        published issue and its candidates waiting on the desk go; articles in a
        published issue stay. A deleted preset can be added again. Returns the counts
        and ``name``. Raises NotFoundError, SourceError while a worker polls it."""
        now = self.ctx.clock()
        with self.ctx.db.write() as conn:
            row = store.source_row(conn, source_id)
            if row.claimed_by and row.lease_until and row.lease_until > now:
                # A worker is reading it now: its pages would arrive for a source gone.
                raise SourceError("这个信息源正在抓取，请稍后再删除",
                                  resource=f"source {source_id}")
            counts = store.delete_source(conn, source_id, now)
            audit(conn, by, "delete_source", f"source {source_id}",
                  f"删除信息源「{row.name}」<{redact_url(row.url)}>：{deletion_words(counts)}",
                  at=now)
        return {**counts, "name": row.name}

    def poll_now(self, source_id: int) -> None:
        """Make a source due at once (the worker polls it on its next round)."""
        with self.ctx.db.write() as conn:
            store.make_due(conn, source_id, self.ctx.clock())

    def known_presets(self) -> set[str]:
        with self.ctx.db.read() as conn:
            return store.known_presets(conn)


def deletion_words(counts: dict) -> str:
    return (f"带来文章 {counts['articles']} 篇，其中 {counts['kept']} 篇在已发布的期中（保留），"
            f"删除 {counts['deleted']} 篇；撤回待审 {counts['pending']} 篇、已通过未发布 "
            f"{counts['approved']} 篇；删除抓取记录 {counts['pages']} 条")


def _preset_only(row) -> bool:
    """A preset's source whose list settings are the preset's own data."""
    return bool(row.preset) and not row.spec


# The list fields the edit form sets per kind; the stored spec's other fields (article
# rules, link patterns … set from the CLI) are kept.
_FORM_SPEC_KEYS = {"html": ("links", "item", "date"), "json": ("items", "fields")}


def _edited_spec(row, url: str, spec: dict | None, headers: dict[str, str] | None) -> str | None:
    kind = row.kind or "feed"
    old = json.loads(row.spec) if row.spec else {}
    data = {k: v for k, v in old.items() if k not in _FORM_SPEC_KEYS.get(kind, ())}
    data.update(spec or {})
    data.pop("headers", None)
    if headers:
        data["headers"] = headers
    data.update(kind=kind, url=url)
    if kind == "feed" and set(data) <= {"kind", "url"}:
        return None              # a plain feed needs no spec
    return json.dumps(spec_to_dict(spec_from_dict(data)), ensure_ascii=False)


_FIELD_WORDS = {"name": "名称", "url": "地址", "params": "参数", "poll_min_minutes": "最短抓取间隔",
                "poll_max_minutes": "最长抓取间隔", "max_new_per_poll": "每次最多新增"}


def _change_words(row, values: dict, changed: list[str]) -> list[str]:
    """The changes as the audit log and the page say them."""
    out = []
    for key in changed:
        if key == "spec":
            before = json.loads(row.spec) if row.spec else {}
            after = json.loads(values["spec"]) if values["spec"] else {}
            for field in sorted(set(before) | set(after)):
                if field in ("url", "kind") or before.get(field) == after.get(field):
                    continue
                if field == "headers":
                    # Header values may be credentials (a token, a cookie): names only.
                    out.append(f"请求头：{_shown_value(list(before.get(field) or {}))} → "
                               f"{_shown_value(list(after.get(field) or {}))}")
                    continue
                out.append(f"列表设置 {field}：{_shown_value(before.get(field))} → "
                           f"{_shown_value(after.get(field))}")
            continue
        old, new = getattr(row, key), values[key]
        if key == "params":
            # The values in force before: the spec's defaults under the stored ones.
            try:
                old = {**base_spec(row).param_map(), **json.loads(row.params or "{}")}
            except ConfigError:
                pass
        if key == "url":
            old, new = redact_url(old), redact_url(new)
        out.append(f"{_FIELD_WORDS[key]}：{_shown_value(old)} → {_shown_value(new)}")
    return out


def _shown_value(value: Any) -> str:
    if value in (None, "", {}, []):
        return "（空）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return "，".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, str) and value.startswith("{"):
        try:
            return _shown_value(json.loads(value))
        except ValueError:
            pass
    return str(value)


def shown(source: dict) -> dict:
    """A source as people see it: a password in its URL (or quoted in its last error)
    masked; the stored row keeps it for the fetcher."""
    source["url"] = redact_url(source["url"])
    source["last_error"] = redact_text(source.get("last_error"))
    return source

"""Sources: adding, listing, enabling, setting parameters, polling now, and trying a
source before it is saved (``app.source_probe``)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from zhuanlan.errors import SourceError
from zhuanlan.jobs.context import Context
from zhuanlan.jobs.specs import base_spec, display_url
from zhuanlan.redact import redact_text, redact_url
from zhuanlan.sources.presets import get_preset
from zhuanlan.sources.spec import KINDS, resolve_spec, spec_from_dict, spec_to_dict
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

    def poll_now(self, source_id: int) -> None:
        """Make a source due at once (the worker polls it on its next round)."""
        with self.ctx.db.write() as conn:
            store.make_due(conn, source_id, self.ctx.clock())

    def known_presets(self) -> set[str]:
        with self.ctx.db.read() as conn:
            return store.known_presets(conn)


def shown(source: dict) -> dict:
    """A source as people see it: a password in its URL (or quoted in its last error)
    masked; the stored row keeps it for the fetcher."""
    source["url"] = redact_url(source["url"])
    source["last_error"] = redact_text(source.get("last_error"))
    return source

"""Presets of the real outlets, kept as data files in ``presets/`` (not code), so that an
editor picks from a list and a layout change is a data change.

One TOML file per outlet::

    outlet = "人民网"
    authority = 90                 # default for the file's sources
    [headers]                      # sent with every list of the file (merged per source)
    [article]                      # article rules shared by the file's sources
    [article_api]                  # likewise, for outlets serving articles as JSON

    [[source]]
    id = "people-politics"         # unique across all files
    name = "人民网 · 时政"
    enabled = true
    kind = "feed"                  # then any SourceSpec field (see sources/spec.py)
    url = "…"

A source's own ``article`` / ``article_api`` replace the file's; ``headers`` and
``params`` are merged over the file's.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.sources.spec import SourceSpec, spec_from_dict

__all__ = ["Preset", "load_presets", "get_preset"]

_PRESET_KEYS = ("id", "name", "enabled", "description")
_SHARED_TABLES = ("article", "article_api")
_MERGED_TABLES = ("headers", "params")


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    kind: str
    url: str                       # may hold {date:…} / {param} placeholders: see spec.expand_url
    outlet: str
    authority: int
    enabled: bool = True
    spec: SourceSpec | None = None
    description: str = ""


def _preset(data: dict[str, Any], item: dict[str, Any]) -> Preset:
    spec_data = {k: v for k, v in item.items() if k not in _PRESET_KEYS}
    for table in _SHARED_TABLES:
        if table not in spec_data and table in data:
            spec_data[table] = data[table]
    for table in _MERGED_TABLES:
        if table in data or table in spec_data:
            spec_data[table] = {**data.get(table, {}), **spec_data.get(table, {})}
    spec_data.setdefault("authority", data.get("authority", 50))
    spec = spec_from_dict(spec_data)
    return Preset(id=item["id"], name=item["name"], kind=spec.kind, url=spec.url,
                  outlet=data["outlet"], authority=spec.authority,
                  enabled=bool(item.get("enabled", True)), spec=spec,
                  description=str(item.get("description", "")))


@lru_cache(maxsize=1)
def _load() -> tuple[Preset, ...]:
    out: list[Preset] = []
    seen: dict[str, str] = {}
    folder = resources.files("zhuanlan.sources") / "presets"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"presets/{entry.name}", f"malformed preset file: {exc}") from exc
        for n, item in enumerate(data.get("source", []), 1):
            where = f"presets/{entry.name}[{item.get('id', f'source #{n}')}]"
            try:
                preset = _preset(data, item)
            except ConfigError as exc:
                raise ConfigError(f"{where}.{exc.key}", exc.message) from exc
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(where, f"malformed preset: {exc!r}") from exc
            if preset.id in seen:
                raise ConfigError(where, f"duplicate preset id (also in {seen[preset.id]})")
            seen[preset.id] = entry.name
            out.append(preset)
    return tuple(out)


def load_presets() -> list[Preset]:
    """Every preset of every outlet file, in file order. Raises ConfigError naming the
    file, the entry and the field for a malformed one."""
    return list(_load())


def get_preset(preset_id: str) -> Preset:
    """The preset with this id. Raises NotFoundError when there is none."""
    for p in _load():
        if p.id == preset_id:
            return p
    raise NotFoundError(f"没有预置信息源 {preset_id!r}", resource=f"preset:{preset_id}")

"""Presets of the real outlets, kept as data files in ``presets/`` (not code), so that an
editor picks from a list and a layout change is a data change."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources

from zhuanlan.errors import ConfigError


@dataclass(frozen=True)
class Preset:
    id: str
    name: str
    kind: str
    url: str
    outlet: str
    authority: int
    enabled: bool = True


def load_presets() -> list[Preset]:
    """Every preset of every outlet file. Raises ConfigError naming the file and entry
    for a malformed one."""
    out: list[Preset] = []
    folder = resources.files("zhuanlan.sources") / "presets"
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            for item in data.get("source", []):
                out.append(Preset(
                    id=item["id"], name=item["name"], kind=item.get("kind", "feed"),
                    url=item["url"], outlet=data["outlet"],
                    authority=int(item.get("authority", data.get("authority", 50))),
                    enabled=bool(item.get("enabled", True))))
        except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"presets/{entry.name}", f"malformed preset: {exc}") from exc
    return out

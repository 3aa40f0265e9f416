"""What every command module shares: the registry of commands, the facade made from the
settings, and the formatting of times and spec files."""

from __future__ import annotations

import argparse
import json
import tomllib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from zhuanlan.config import load_config
from zhuanlan.errors import ConfigError

Handler = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, Handler] = {}


def command(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        COMMANDS[name] = fn
        return fn
    return register


def facade(args: argparse.Namespace, **overrides):
    """The ``Zhuanlan`` object of the settings (``--config``), logging set up."""
    from zhuanlan.core import Zhuanlan
    from zhuanlan.log import setup_logging

    cfg = load_config(args.config)
    if overrides:
        cfg = cfg.with_overrides(**overrides)
    setup_logging(cfg["log.level"], cfg["log.format"])
    return Zhuanlan(cfg)


def read_spec(path: str) -> dict:
    """A source's spec from a TOML or JSON file. Raises ConfigError naming the file."""
    text = Path(path).read_text(encoding="utf-8")
    try:
        return json.loads(text) if path.endswith(".json") else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(path, f"无法读取信息源规格：{exc}") from exc


def local(dt: datetime | None, tz: str) -> str:
    return dt.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M") if dt else "—"

"""Which SourceSpec a source row is read with: its preset's, its own, or a plain feed."""

from __future__ import annotations

import json
import re
from datetime import datetime

from zhuanlan.errors import ConfigError, NotFoundError
from zhuanlan.sources.presets import get_preset
from zhuanlan.sources.spec import SourceSpec, resolve_spec, spec_from_dict

_PARAM = re.compile(r"\{(?!date\b)([A-Za-z_][A-Za-z0-9_]*)\}")


def base_spec(source) -> SourceSpec:
    """The source's spec before its placeholders are filled. Raises ConfigError for a
    stored spec that no longer validates or a preset that no longer exists."""
    if source.spec:
        try:
            return spec_from_dict(json.loads(source.spec))
        except ValueError as exc:
            raise ConfigError("spec", f"stored spec is not JSON: {exc}") from exc
    if source.preset:
        try:
            preset = get_preset(source.preset)
        except NotFoundError:
            preset = None
        if preset is not None and preset.spec is not None:
            return preset.spec
    return SourceSpec(kind=source.kind or "feed", url=source.url)


def poll_spec(source, now: datetime) -> SourceSpec:
    """The spec for a poll at ``now``: URL and headers expanded with the source's
    parameters. Raises ConfigError naming a parameter without a value."""
    params = json.loads(source.params) if source.params else {}
    return resolve_spec(base_spec(source), now=now, params=params)


def display_url(template: str, params: dict[str, str]) -> str:
    """A preset's URL with its parameters filled but its ``{date:…}`` kept: what the
    editor sees, and unique per channel of one URL template."""
    return _PARAM.sub(lambda m: str(params.get(m.group(1), m.group(0))), template)

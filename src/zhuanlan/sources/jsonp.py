"""JSON and JSONP documents, as the outlets' list and article APIs serve them."""

from __future__ import annotations

import json
import re
from typing import Any

from zhuanlan.errors import SourceError

__all__ = ["load_json"]

# callback({...});  /**/cb({...})  var x = cb({...});  window.cb && cb({...})
_JSONP = re.compile(
    r"^\s*(?:/\*.*?\*/\s*)?(?:(?:var|let|const)\s+[\w$]+\s*=\s*)?(?:[\w$.]+\s*&&\s*)?"
    r"(?P<cb>[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*)\s*\(\s*(?P<body>.*)\)\s*;?\s*$",
    re.DOTALL)
_MAX_CHARS = 20_000_000


def load_json(text: str, url: str, *, jsonp: bool | None = None) -> Any:
    """The decoded JSON of ``text``, unwrapping a JSONP ``callback(...)`` call.

    ``jsonp`` True requires a wrapper, False forbids one, None detects it. Raises
    :class:`SourceError` (resource ``url``) for anything that is not JSON inside at most
    one callback call: a payload that needs a JavaScript interpreter is refused.
    """
    if not text or not text.strip():
        raise SourceError("empty document, not JSON", resource=url)
    if len(text) > _MAX_CHARS:
        raise SourceError(f"document too large ({len(text)} characters)", resource=url)
    body = text.strip().lstrip("\ufeff")
    wrapped = not body.startswith(("{", "["))
    if wrapped and jsonp is False:
        raise SourceError("expected JSON, got something else (JSONP?)", resource=url)
    if not wrapped and jsonp is True:
        raise SourceError("expected JSONP (callback(...)), got bare JSON", resource=url)
    if wrapped:
        m = _JSONP.match(body)
        if not m:
            raise SourceError("neither JSON nor a JSONP callback(...) call", resource=url)
        body = m.group("body").strip()
        if not body.startswith(("{", "[")):
            raise SourceError(f"JSONP callback {m.group('cb')} does not wrap a JSON object",
                              resource=url)
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise SourceError(f"invalid JSON: {exc}", resource=url) from exc

"""A chat message drawn as the platform shows it, from the very payload its channel
would send (``app.preview``): the title, the text blocks with their markdown rendered
the way the platforms do within reason (headings, bold, quotes, links, 企业微信's
<font color>, the text card's <div class>), the buttons and the links — every other
character escaped — and the sizes against the platform's limit."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from markupsafe import Markup

TEXT_KEYS = ("content", "text", "markdown", "description")
LINK_KEYS = ("url", "href", "messageURL", "messageUrl", "picURL", "picurl")
# A button: its text key and its link key, on the same object.
BUTTONS = (("btntxt", "url"), ("single_title", "single_url"), ("title", "actionURL"))

_LINK = re.compile(r"\[([^\]\n]*)\]\((https?://[^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*")
_FONT = re.compile(r"&lt;font color=&quot;(\w+)&quot;&gt;(.*?)&lt;/font&gt;")
_DIV = re.compile(r"&lt;div class=&quot;(\w+)&quot;&gt;")
_HEADING = re.compile(r"^#{1,6}\s+(.*)$")
CUT_MARK = "……等"


def markdown_html(text: str) -> Markup:
    """The markdown subset the robots and apps send, as HTML; everything else escaped."""
    out = []
    for raw in text.split("\n"):
        line = escape(raw.rstrip(), quote=True)
        line = _LINK.sub(r'<a href="\2" target="_blank" rel="noopener noreferrer">\1</a>', line)
        line = _BOLD.sub(r"<strong>\1</strong>", line)
        line = _FONT.sub(r'<span class="md-\1">\2</span>', line)
        line = _DIV.sub(r'<div class="md-\1">', line).replace("&lt;/div&gt;", "</div>")
        heading = _HEADING.match(line)
        if heading:
            out.append(f'<div class="md-h">{heading.group(1)}</div>')
        elif line.startswith("&gt; ") or line == "&gt;":
            out.append(f"<blockquote>{line[5:]}</blockquote>")
        elif line:
            out.append(f"<p>{line}</p>")
    return Markup("".join(out))


@dataclass
class Card:
    title: str = ""
    blocks: list[Markup] = field(default_factory=list)
    buttons: list[tuple[str, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    text_bytes: int = 0          # the longest text block, in UTF-8 bytes
    json_bytes: int = 0          # the whole payload as sent
    cut: bool = False            # the channel listed only some items (……等 N 篇)


def _text_of(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("content") or value.get("text") or "")
    return str(value or "")


def _rich_line(parts: list) -> str:
    """A 飞书 post paragraph ([{tag: text|a|at …}]) as markdown."""
    out = []
    for p in parts:
        if p.get("tag") == "a":
            out.append(f"[{p.get('text', '')}]({p.get('href', '')})")
        else:
            out.append(str(p.get("text") or p.get("user_name") or ""))
    return "".join(out)


def draw(payload: dict) -> Card:
    card = Card(json_bytes=len(json.dumps(payload, ensure_ascii=False,
                                          separators=(",", ":")).encode("utf-8")))
    texts: list[str] = []

    def walk(node: Any, key: str = "") -> None:
        if isinstance(node, list):
            if node and all(isinstance(p, dict) and "tag" in p for p in node) \
                    and all(p["tag"] in ("text", "a", "at") for p in node):
                texts.append(_rich_line(node))
                return
            for item in node:
                walk(item, key)
            return
        if not isinstance(node, dict):
            return
        if node.get("tag") == "button":
            card.buttons.append((_text_of(node.get("text")), str(node.get("url") or "")))
            return
        used = set()
        for text_key, url_key in BUTTONS:
            if isinstance(node.get(text_key), str) and isinstance(node.get(url_key), str):
                card.buttons.append((node[text_key], node[url_key]))
                used |= {text_key, url_key}
        for k, v in node.items():
            if k in used:
                continue
            if k == "title" and isinstance(v, (str, dict)) and not card.title:
                card.title = _text_of(v)
            elif isinstance(v, str) and k in TEXT_KEYS and not (k == "content" and key == "title"):
                texts.append(v)
            elif isinstance(v, str) and k in LINK_KEYS:
                card.links.append(v)
            else:
                walk(v, k)

    walk(payload)
    card.blocks = [markdown_html(t) for t in texts]
    card.text_bytes = max((len(t.encode("utf-8")) for t in texts), default=0)
    card.cut = any(CUT_MARK in t for t in texts)
    return card

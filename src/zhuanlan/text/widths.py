"""Character widths and spaces: one form of the same letters, digits and blanks.

Chinese pages type digits and Latin letters full-width as often as half-width
(``２０２４年``, ``ＡＩ``), pad paragraphs with ideographic spaces (``　　``), and carry
invisible characters from copy and paste (zero-width space, BOM, soft hyphen, direction
marks). Copies of one article differ in exactly these, and rules, search and dedup must
not see the difference.

Full-width *punctuation* (，。：；！？（）) is Chinese text and stays as typed: turning
``（`` into ``(`` would change how a reader sees the text for no gain in matching, and
ASCII punctuation between Chinese characters is left alone too (``5:3`` and ``5：3``
are both right).
"""

from __future__ import annotations

import re

__all__ = ["to_half_width", "remove_invisible", "normalize_spaces"]

# U+FF10–FF19, FF21–FF3A, FF41–FF5A: full-width digits and Latin letters.
_HALF_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in
                             [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                              *range(0xFF41, 0xFF5B)]})

# Zero-width space / non-joiner, word joiner, BOM, soft hyphen, left-to-right and
# right-to-left marks. (The zero-width joiner U+200D stays: emoji sequences need it.)
_INVISIBLE = re.compile("[\u200b\u200c\u200e\u200f\u2060\ufeff\u00ad]")
# C0/C1 controls other than tab and the line breaks: they come from broken CMS exports.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
# Lone surrogates: what is left of undecodable bytes (surrogateescape) that the mojibake
# step could not repair; OpenCC and PostgreSQL both refuse them.
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
# Spaces of every width, non-breaking and ideographic included.
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def to_half_width(text: str) -> str:
    """``text`` with full-width digits and Latin letters made half-width
    (``２０２４年ＡＩ`` → ``2024年AI``); everything else, punctuation included, as is."""
    return text.translate(_HALF_WIDTH)


def remove_invisible(text: str) -> str:
    """``text`` without invisible characters, control characters (tab and line breaks
    stay) and lone surrogates."""
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    return _SURROGATE.sub("", text) if not text.isascii() else text


def normalize_spaces(text: str) -> str:
    """``text`` with one kind of line break (``\\n``), runs of spaces (non-breaking and
    ideographic ones too) inside a line made one space, lines stripped, and paragraphs
    separated by at most one blank line."""
    text = _LINE_BREAKS.sub("\n", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()

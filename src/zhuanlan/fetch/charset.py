"""Character encoding of fetched pages.

Chinese media sites still serve GBK/GB2312 pages, often with no charset in the HTTP
header, sometimes with a wrong one (``utf-8`` declared, GBK sent, or the web server's
default ``ISO-8859-1``). Order of evidence:

1. a byte order mark;
2. the charset of the Content-Type header;
3. ``<meta charset>``, ``<meta http-equiv … content="…charset=…">`` or the XML
   declaration in the first 4 KB;
4. detection (strict UTF-8 first, then charset-normalizer).

A declaration is believed only if the body decodes strictly with it; otherwise UTF-8 or
GB18030, whichever decodes cleanly, is used. Decoding never raises: the last resort
replaces bad bytes with U+FFFD.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

# GB2312 lacks characters found in names in the news (镕, 喆, 堃) that GBK pages carry
# anyway; GB18030 is a superset of GB2312 and GBK (and cp936), so it reads all of them.
_GB_LABELS = frozenset({
    "gb2312", "gb_2312", "gb_2312-80", "gbk", "x-gbk", "cp936", "ms936", "windows-936",
    "csgb2312", "chinese", "iso-ir-58", "csiso58gb231280", "euc-cn", "x-euc-cn",
    "gb18030",
})
# Big5 pages use HKSCS additions in practice (the WHATWG standard decodes them so too).
_BIG5_LABELS = frozenset({"big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5"})
# Labels servers send by default rather than by knowledge of the page (Tomcat and old
# Apache defaults). Only used when nothing better is known; as in browsers, read as
# windows-1252, a superset of ISO-8859-1.
_WEAK_LABELS = frozenset({"iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1",
                          "us-ascii", "ascii", "iso_8859-1", "windows-1252", "cp1252"})

_SNIFF_BYTES = 4096
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([^"';\s]+)""", re.I)
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']\s*([A-Za-z0-9_.:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),     # -sig so that decoding drops the BOM
    (codecs.BOM_UTF32_LE, "utf-32"),    # before UTF-16 LE: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def normalize_label(label: str | None) -> str | None:
    """Python codec name for a charset label from a page, or None if unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    if name in _GB_LABELS:
        return "gb18030"
    if name in _BIG5_LABELS:
        return "big5hkscs"
    if name in _WEAK_LABELS:
        return "cp1252"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The raw charset parameter of a Content-Type header value."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def sniff_declaration(content: bytes) -> str | None:
    """The charset a document declares about itself in its first bytes, raw label."""
    head = content[:_SNIFF_BYTES]
    match = _XML_DECL.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _bom_encoding(content: bytes) -> str | None:
    for bom, name in _BOMS:
        if content.startswith(bom):
            return name
    return None


def _decodes(content: bytes, encoding: str) -> bool:
    try:
        content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _mostly_chinese_gb(content: bytes) -> bool:
    """GB18030 decodes the bytes with at most a handful of errors into text whose
    non-ASCII characters are overwhelmingly CJK."""
    text = content.decode("gb18030", errors="replace")
    bad = text.count("\ufffd")
    wide = [ch for ch in text if ord(ch) > 127 and ch != "\ufffd"]
    if not wide or bad > max(3, len(wide) // 500):
        return False
    cjk = sum(1 for ch in wide if "\u4e00" <= ch <= "\u9fff" or "\u3000" <= ch <= "\u303f"
              or "\uff00" <= ch <= "\uffef")
    return cjk >= 0.8 * len(wide)


def _is_weak(label: str | None) -> bool:
    return bool(label) and (label or "").strip().strip("\"'").lower() in _WEAK_LABELS


def detect_encoding(content: bytes, content_type: str | None = None) -> str:
    """Python codec name to decode ``content`` with (see the module's docstring)."""
    bom = _bom_encoding(content)
    if bom:
        return bom
    header_label = charset_from_content_type(content_type)
    header = normalize_label(header_label)
    meta = normalize_label(sniff_declaration(content))
    if meta in {"utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"}:
        # We just read the declaration as ASCII, so the page is not UTF-16/32.
        meta = "utf-8"
    declared = [enc for enc in (None if _is_weak(header_label) else header, meta) if enc]
    fallback = declared[0] if declared else (header or "utf-8")
    if content.isascii():
        return fallback   # every candidate decodes ASCII alike; keep what was declared
    utf8_ok = _decodes(content, "utf-8")
    for enc in dict.fromkeys(declared):   # de-duplicated, order kept
        if _decodes(content, enc):
            # Non-ASCII text that is valid UTF-8 is almost never GBK or Latin-1 by chance
            # (the bytes would have to form UTF-8 sequences throughout), while templates
            # copied with a stale gb2312 meta into UTF-8 sites are common.
            return "utf-8" if utf8_ok and enc != "utf-8" else enc
    if utf8_ok:
        return "utf-8"
    if declared and _decodes(content, "gb18030"):
        # A declaration that does not decode: a Chinese site sending GBK under a
        # utf-8 label is the usual case.
        return "gb18030"
    if _mostly_chinese_gb(content):
        # Our sources are Chinese: GBK text with a stray broken byte (a truncated
        # template, a bad copy-paste) is far likelier than the Cyrillic or Latin code page
        # a statistical detector picks for it.
        return "gb18030"
    best = charset_normalizer.from_bytes(content).best()
    detected = normalize_label(best.encoding) if best is not None else None
    if detected and _decodes(content, detected):
        return detected
    if _decodes(content, "gb18030"):
        return "gb18030"
    return fallback


def decode_body(content: bytes, content_type: str | None = None) -> tuple[str, str]:
    """(text, encoding) of a response body. Never raises on bad bytes."""
    encoding = detect_encoding(content, content_type)
    return content.decode(encoding, errors="replace"), encoding

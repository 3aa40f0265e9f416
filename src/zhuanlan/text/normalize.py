"""One clean form of a Chinese text, for matching and display.

Steps, in order, each for a reason met on real sources:

1. NFC, and invisible characters (zero-width space, BOM) dropped: copies between
   outlets differ in them, and they break matching.
2. Pinyin annotations after characters removed (``學(xué)習(xí)`` → ``學習``): some
   sites and copy-paste from study apps leave them in; flag ``pinyin_removed``.
3. Traditional → Simplified with OpenCC ``t2s``; flag ``traditional_converted``.
   A Traditional copy of an article must match the Simplified one (FACTS.md: MinHash
   never matches unconverted Traditional text).
4. Full-width digits and Latin letters → half-width (``２０２４`` → ``2024``), so that
   rules and search see one form. Full-width punctuation (，。：) is Chinese text and kept.
5. Whitespace: runs of spaces, tabs and ideographic spaces inside a line become one
   space, lines are stripped, and paragraphs are separated by at most one blank line.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from zhuanlan.model import CleanedText

__all__ = ["clean_text", "to_simplified", "remove_pinyin", "PINYIN_REMOVED",
           "TRADITIONAL_CONVERTED"]

PINYIN_REMOVED = "pinyin_removed"
TRADITIONAL_CONVERTED = "traditional_converted"

_INVISIBLE = re.compile("[\u200b\u200c\u2060\ufeff\u00ad]")
# C0/C1 controls other than tab and the line breaks handled below: they come from broken CMS exports.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_LINE_BREAKS = re.compile("\r\n|[\r\u2028\u2029\x0b\x0c\x85]")
_SPACES = re.compile("[ \t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"

# Tone-marked vowels and the plain letter each stands for.
_TONED = {
    "ā": "a", "á": "a", "ǎ": "a", "à": "a", "ē": "e", "é": "e", "ě": "e", "è": "e",
    "ī": "i", "í": "i", "ǐ": "i", "ì": "i", "ō": "o", "ó": "o", "ǒ": "o", "ò": "o",
    "ū": "u", "ú": "u", "ǔ": "u", "ù": "u", "ǖ": "v", "ǘ": "v", "ǚ": "v", "ǜ": "v",
    "ü": "v", "ń": "n", "ň": "n", "ǹ": "n", "ḿ": "m",
}
_DETONE = str.maketrans({k: v for k, v in _TONED.items()})
_TONE_MARKS = set(_TONED) - {"ü"}

# A pinyin syllable: optional initial, a final, an optional tone digit.
_SYLLABLE = (r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
             r"(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|van|ai|ei|ao|ou|an|en|"
             r"er|in|un|vn|ia|ie|iu|ua|uo|ui|ue|ve|a|o|e|i|u|v|ng|n|m)[1-5]?")
_SYLLABLES = re.compile(rf"(?:{_SYLLABLE})(?:['\s]?(?:{_SYLLABLE}))*")
_LETTERS = "a-z" + "".join(_TONED)
# A parenthesised run of lowercase letters directly after a CJK character.
_ANNOTATION = re.compile(rf"(?<=[{_CJK}])[(（]\s*([{_LETTERS}][{_LETTERS}1-5'\s]{{0,40}}?)\s*[)）]")

# U+FF10–FF19, FF21–FF3A, FF41–FF5A: full-width digits and Latin letters.
_HALF_WIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in
                             [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B),
                              *range(0xFF41, 0xFF5B)]})

_converter = None
_converter_lock = threading.Lock()


def _t2s():
    """The OpenCC converter, made once: building it reads dictionaries from disk."""
    global _converter
    if _converter is None:
        with _converter_lock:
            if _converter is None:
                import opencc  # the C++ package "opencc" (not opencc-python-reimplemented)

                _converter = opencc.OpenCC("t2s")
    return _converter


def to_simplified(text: str) -> str:
    """``text`` converted from Traditional to Simplified characters (OpenCC t2s)."""
    return _t2s().convert(text) if text else text


def _is_pinyin(annotation: str) -> tuple[bool, bool]:
    """(is pinyin, carries tone marks or digits) for the inside of a parenthesis."""
    plain = annotation.translate(_DETONE)
    if not _SYLLABLES.fullmatch(plain):
        return False, False
    toned = any(ch in _TONE_MARKS for ch in annotation) or any(ch.isdigit() for ch in annotation)
    return True, toned


def remove_pinyin(text: str) -> tuple[str, bool]:
    """``text`` without pinyin annotations after characters, and whether any was removed.

    Removed: a parenthesis (ASCII or full-width) right after a CJK character holding
    only lowercase pinyin syllables. With tone marks or tone digits (``(xué)``,
    ``(xue2)``) that is always an annotation. Without them a word like ``(china)`` could
    be an English gloss, so toneless ones are removed only when the text holds at least
    two annotations (artefacts come in runs). Never touched: ``(2024)``, ``(GDP)``,
    anything with capitals, digits other than tones, or not after a CJK character.
    """
    if "(" not in text and "（" not in text:
        return text, False
    found = []
    for m in _ANNOTATION.finditer(text):
        pinyin, toned = _is_pinyin(m.group(1).strip())
        if pinyin:
            found.append((m, toned))
    if not found:
        return text, False
    remove_toneless = len(found) >= 2
    spans = [m.span() for m, toned in found if toned or remove_toneless]
    if not spans:
        return text, False
    out, last = [], 0
    for start, end in spans:
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out), True


def _whitespace(text: str) -> str:
    text = _LINE_BREAKS.sub("\n", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def clean_text(s: str) -> CleanedText:
    """The clean form of ``s`` with flags saying what was repaired. Never raises
    (an empty or None-like input gives an empty text)."""
    if not s:
        return CleanedText("")
    flags: set[str] = set()
    text = unicodedata.normalize("NFC", s)
    text = _CONTROL.sub("", _INVISIBLE.sub("", text))
    text, removed = remove_pinyin(text)
    if removed:
        flags.add(PINYIN_REMOVED)
    simplified = to_simplified(text)
    if simplified != text:
        flags.add(TRADITIONAL_CONVERTED)
        text = simplified
    text = _whitespace(text.translate(_HALF_WIDTH))
    return CleanedText(text, frozenset(flags))

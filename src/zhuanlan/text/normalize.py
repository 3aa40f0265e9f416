"""One clean form of a Chinese text, for matching and display.

Steps, in order, each for a reason met on real sources:

1. Mojibake repaired where the bytes allow (:mod:`zhuanlan.text.mojibake`): text read
   with the wrong one of GBK and UTF-8 (``鍏ㄩ潰`` for 全面, ``ÖÐ¹ú`` for 中国); flags
   ``mojibake`` (damage found) and ``mojibake_repaired``. It runs first because it works
   on the characters exactly as they were decoded: a soft hyphen or a C1 control is a
   byte of the damaged text that the later steps would drop.
2. NFC, and invisible characters (zero-width space, BOM) and controls dropped
   (:mod:`zhuanlan.text.widths`): copies between outlets differ in them, and they break
   matching.
3. Pinyin annotations after characters removed (``學(xué)習(xí)`` → ``學習``): some
   sites and copy-paste from study apps leave them in; flag ``pinyin_removed``.
4. Traditional → Simplified with OpenCC ``t2s``; flag ``traditional_converted``.
   A Traditional copy of an article must match the Simplified one (FACTS.md: MinHash
   never matches unconverted Traditional text).
5. Full-width digits and Latin letters → half-width (``２０２４`` → ``2024``), so that
   rules and search see one form. Full-width punctuation (，。：) is Chinese text and kept.
6. Whitespace: runs of spaces, tabs, non-breaking and ideographic spaces inside a line
   become one space, lines are stripped, and paragraphs are separated by at most one
   blank line.

Portal boilerplate (分享到, 责任编辑 …) is a matter of an article body, not of every text,
and is removed by :func:`zhuanlan.text.article.clean_article` with
:func:`zhuanlan.text.boilerplate.strip_boilerplate`.

Speed: ``bench/cleaning.py`` measures it (docs/benchmarks.md, "Cleaning"): about 6 MB/s
of Chinese article text on one core of our machines, against 130 MB/s for OpenCC's
conversion alone; the mojibake check and the pinyin pattern are most of the difference.
"""

from __future__ import annotations

import re
import threading
import unicodedata

from zhuanlan.model import CleanedText
from zhuanlan.text.mojibake import MOJIBAKE, MOJIBAKE_REPAIRED, repair_mojibake
from zhuanlan.text.widths import normalize_spaces, remove_invisible, to_half_width

__all__ = ["clean_text", "to_simplified", "remove_pinyin", "PINYIN_REMOVED",
           "TRADITIONAL_CONVERTED", "MOJIBAKE", "MOJIBAKE_REPAIRED"]

PINYIN_REMOVED = "pinyin_removed"
TRADITIONAL_CONVERTED = "traditional_converted"

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


def clean_text(s: str) -> CleanedText:
    """The clean form of ``s`` with flags saying what was repaired. Never raises
    (an empty or None-like input gives an empty text)."""
    if not s:
        return CleanedText("")
    flags: set[str] = set()
    text, damaged, repaired = repair_mojibake(s)
    if damaged:
        flags.add(MOJIBAKE)
    if repaired:
        flags.add(MOJIBAKE_REPAIRED)
    text = remove_invisible(unicodedata.normalize("NFC", text))
    text, removed = remove_pinyin(text)
    if removed:
        flags.add(PINYIN_REMOVED)
    simplified = to_simplified(text)
    if simplified != text:
        flags.add(TRADITIONAL_CONVERTED)
        text = simplified
    text = normalize_spaces(to_half_width(text))
    return CleanedText(text, frozenset(flags))

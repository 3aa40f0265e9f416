"""Chinese words for rules, scores and search, with rjieba (jieba-rs).

Before the first cut, the field's terms shipped in ``terms.txt`` are added to the
segmenter's dictionary: without them 中国式现代化 is cut into 中国式 / 现代化 and
新质生产力 into 新质 / 生产力 (FACTS.md), and a column rule for those terms would
never see them whole.

The terms go into rjieba's shared default instance, so every caller in the process
segments the same way (a second instance would cost another ~40 MB).
"""

from __future__ import annotations

import threading
from importlib import resources

import rjieba

__all__ = ["tokenize", "tokenize_for_search", "tokenize_spans", "terms"]

_loaded: tuple[str, ...] | None = None
_lock = threading.Lock()


def terms() -> tuple[str, ...]:
    """The field's terms from ``terms.txt``, loaded into the segmenter on first use."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                text = resources.files("zhuanlan.text").joinpath("terms.txt").read_text("utf-8")
                words = []
                for line in text.splitlines():
                    word = line.strip()
                    if word and not word.startswith("#"):
                        # freq None lets rjieba pick a frequency high enough for the
                        # word to be cut whole (suggest_freq).
                        rjieba.add_word(word, None, None)
                        words.append(word)
                _loaded = tuple(words)
    return _loaded


def _is_word(token: str) -> bool:
    # A word holds at least one letter or digit (CJK characters count as letters);
    # whitespace and punctuation tokens do not.
    return any(ch.isalnum() for ch in token)


def tokenize(text: str) -> list[str]:
    """The words of ``text`` in order (precise mode; whitespace and punctuation dropped)."""
    if not text:
        return []
    terms()
    return [t for t in rjieba.cut(text) if _is_word(t)]


def tokenize_for_search(text: str) -> list[str]:
    """Words for a search index: precise words plus their shorter parts
    (中国式现代化 also yields 中国, 现代化), so a query for a part finds the whole."""
    if not text:
        return []
    terms()
    return [t for t in rjieba.cut_for_search(text) if _is_word(t)]


def tokenize_spans(text: str) -> list[tuple[str, int, int]]:
    """(word, start, end) character offsets of the words of ``text`` (precise mode)."""
    if not text:
        return []
    terms()
    return [(w, s, e) for w, s, e in rjieba.tokenize(text) if _is_word(w)]

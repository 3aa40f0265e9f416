"""Text: one clean form of Chinese text, and words for rules and search."""

from zhuanlan.text.normalize import clean_text

__all__ = ["clean_text"]

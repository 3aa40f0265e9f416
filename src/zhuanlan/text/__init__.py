"""Text: one clean form of Chinese text, and words for rules and search."""

from zhuanlan.text.boilerplate import strip_boilerplate
from zhuanlan.text.mojibake import repair_mojibake
from zhuanlan.text.normalize import clean_text

__all__ = ["clean_text", "repair_mojibake", "strip_boilerplate"]

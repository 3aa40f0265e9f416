"""Selection: which articles each column proposes, and why."""

from zhuanlan.selection.rules import match, parse_keywords, validate_rules

__all__ = ["match", "parse_keywords", "validate_rules"]

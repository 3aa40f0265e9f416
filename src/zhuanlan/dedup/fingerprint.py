"""An exact fingerprint of an article's content.

Two copies of one article differ in whitespace, line breaks, full-width versus
half-width forms and punctuation more often than in words; the hash ignores all of
those. Near-duplicates (edited reposts) are a different question, answered by the
clustering stage, not by this hash.
"""

from __future__ import annotations

import hashlib
import unicodedata

__all__ = ["content_hash", "fingerprint_text"]


def fingerprint_text(text: str) -> str:
    """``text`` reduced to what the hash sees: NFKC, lowercase, only letters, digits
    and combining marks (whitespace, punctuation, symbols and controls removed)."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] in "LNM")


def content_hash(title: str, text: str) -> str:
    """SHA-256 (hex) of the normalised body; of the normalised title when the body
    has nothing left after normalising. Never raises."""
    basis = fingerprint_text(text) or fingerprint_text(title)
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()

"""Dedup: canonical URLs and content fingerprints (one page, one row)."""

from zhuanlan.dedup.fingerprint import content_hash, fingerprint_text
from zhuanlan.dedup.urls import canonical_url

__all__ = ["canonical_url", "content_hash", "fingerprint_text"]

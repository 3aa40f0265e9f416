"""Dedup: canonical URLs and content fingerprints (one page, one row), and stories
(reposts of one article across outlets folded into one story, issue 4).

- :mod:`zhuanlan.dedup.urls` — ``canonical_url``
- :mod:`zhuanlan.dedup.fingerprint` — ``content_hash`` (exact copies)
- :mod:`zhuanlan.dedup.minhash` — ``signature`` of a text, ``Signature`` (to/from bytes)
- :mod:`zhuanlan.dedup.index` — ``LSHIndex`` over a time window
- :mod:`zhuanlan.dedup.stories` — ``match_story``, ``cluster``, ``choose_representative``
"""

from zhuanlan.dedup.fingerprint import content_hash, fingerprint_text
from zhuanlan.dedup.index import LSHIndex
from zhuanlan.dedup.minhash import Signature, SignatureError, signature, signatures
from zhuanlan.dedup.stories import DocRef, choose_representative, cluster, match_story, verify
from zhuanlan.dedup.urls import canonical_url

__all__ = ["canonical_url", "content_hash", "fingerprint_text", "Signature", "SignatureError",
           "signature", "signatures", "LSHIndex", "DocRef", "match_story", "verify", "cluster",
           "choose_representative"]

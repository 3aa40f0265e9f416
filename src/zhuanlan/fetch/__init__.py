"""Fetching from the network: the only inbound network access of zhuanlan.

``Fetcher`` gets one URL with a total deadline, manual redirects, a size limit on the
decompressed body and the SSRF guard (``AddressPolicy``) applied at connect time;
``decode_body`` turns the bytes of a Chinese page into text whatever its charset.
"""

from zhuanlan.fetch.charset import decode_body, detect_encoding
from zhuanlan.fetch.client import Fetcher
from zhuanlan.fetch.guard import AddressPolicy

__all__ = ["AddressPolicy", "Fetcher", "decode_body", "detect_encoding"]

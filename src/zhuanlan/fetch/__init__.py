"""Fetching from the network: the only inbound network access of zhuanlan.

``Fetcher`` gets one URL with a total deadline, manual redirects, a size limit on the
decompressed body and the SSRF guard (``AddressPolicy``) applied at connect time;
``AsyncFetcher`` does the same from asyncio, politely (per-host concurrency and pause,
retries with backoff, robots.txt), for many URLs at once, and ``PoliteFetcher`` offers
it to synchronous code (one event loop in a thread of its own); ``decode_body`` turns the
bytes of a Chinese page into text whatever its charset.
"""

from zhuanlan.fetch.async_client import AsyncFetcher, FetchRequest
from zhuanlan.fetch.charset import decode_body, detect_encoding
from zhuanlan.fetch.client import Fetcher
from zhuanlan.fetch.guard import AddressPolicy
from zhuanlan.fetch.polite import PoliteFetcher
from zhuanlan.fetch.retry import retry_after_of
from zhuanlan.fetch.robots import RobotsCache

__all__ = ["AddressPolicy", "AsyncFetcher", "FetchRequest", "Fetcher", "PoliteFetcher",
           "RobotsCache",
           "decode_body", "detect_encoding", "retry_after_of"]

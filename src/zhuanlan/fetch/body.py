"""Bounded decoding of a compressed response body.

httpx's own decoder inflates a whole network chunk at once: a 200 KB gzip bomb can turn
into tens of megabytes before any size check sees it. Here every ``decompress`` call is
given ``max_length``, so no more than ``_STEP`` bytes are produced per call and the
caller can stop as soon as the limit is crossed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

_STEP = 64 * 1024

SUPPORTED = ("gzip", "x-gzip", "deflate", "identity")


class UnsupportedEncoding(Exception):
    """The server used a Content-Encoding we did not ask for."""


class CorruptBody(Exception):
    """The compressed body cannot be decompressed."""


class BodyDecoder:
    """Turns the raw bytes of a body into its content, ``_STEP`` bytes at a time."""

    def __init__(self, content_encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in SUPPORTED):
            raise UnsupportedEncoding(content_encoding)
        self.coding = codings[0] if codings else None
        self._d: zlib._Decompress | None = None
        self._raw_deflate = False
        self._started = False
        self._done = False   # stream ended; anything after it is ignored
        if self.coding is not None:
            self._d = self._new()

    def _new(self) -> zlib._Decompress:
        if self.coding in ("gzip", "x-gzip"):
            return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        # "deflate" means a zlib stream by the RFC, but some servers send raw deflate
        # (as old IIS did); the first bytes tell which, see feed().
        return zlib.decompressobj(wbits=-zlib.MAX_WBITS if self._raw_deflate
                                  else zlib.MAX_WBITS)

    def feed(self, raw: bytes) -> Iterator[bytes]:
        """Decoded pieces of ``raw``, each at most ``_STEP`` bytes."""
        if self._d is None:
            for i in range(0, len(raw), _STEP):
                yield raw[i:i + _STEP]
            return
        if self._done:
            return
        if not self._started and raw:
            self._started = True
            if self.coding == "deflate" and not _looks_like_zlib(raw):
                self._raw_deflate = True
                self._d = self._new()
        data = raw
        while True:
            try:
                out = self._d.decompress(data, _STEP)
            except zlib.error as exc:
                raise CorruptBody(str(exc)) from exc
            if out:
                yield out
            if self._d.eof:
                rest = self._d.unused_data
                if self.coding != "deflate" and rest.startswith(b"\x1f\x8b"):
                    # Concatenated gzip members (allowed by RFC 1952): read the next one.
                    self._d = self._new()
                    data = rest
                    continue
                self._done = True   # bytes after the stream are ignored, as browsers do
                return
            data = self._d.unconsumed_tail
            # Output shorter than _STEP with no input left means nothing is pending.
            if not data and len(out) < _STEP:
                return

    def finish(self) -> Iterator[bytes]:
        """Whatever the decompressor still holds. A truncated stream is accepted
        (as browsers do): the content read so far is kept."""
        if self._d is None:
            return
        yield from self.feed(b"")


def _looks_like_zlib(data: bytes) -> bool:
    # RFC 1950 header: CM=8 in the low nibble of CMF and (CMF*256 + FLG) % 31 == 0.
    if len(data) < 2:
        return True
    cmf, flg = data[0], data[1]
    return cmf & 0x0F == 8 and (cmf * 256 + flg) % 31 == 0


class LimitedBody:
    """Collects the decoded body of a response fed raw chunk by raw chunk (sync or async
    reads alike), refusing or cutting it past ``max_bytes``.

    Memory stays below ``max_bytes`` plus one step plus one raw chunk whatever the
    compression ratio. By default crossing the limit raises OverflowError; with
    ``truncate=True`` the first ``max_bytes`` bytes are kept and ``feed`` returns True
    so the reader can stop (robots.txt: RFC 9309 wants at least 500 KiB parsed, not a
    refusal).
    """

    def __init__(self, content_encoding: str | None, max_bytes: int, *,
                 truncate: bool = False) -> None:
        self._decoder = BodyDecoder(content_encoding)   # raises UnsupportedEncoding
        self.max_bytes = max_bytes
        self.truncate = truncate
        self.full = False
        self._out = bytearray()

    def _add(self, pieces: Iterator[bytes]) -> bool:
        for piece in pieces:
            self._out += piece
            if len(self._out) > self.max_bytes:
                if not self.truncate:
                    raise OverflowError(len(self._out))
                del self._out[self.max_bytes:]
                self.full = True
                return True
        return False

    def feed(self, raw: bytes) -> bool:
        """Add one raw chunk; True once the (truncating) limit is reached."""
        if self.full:
            return True
        return self._add(self._decoder.feed(raw))

    def finish(self) -> bytes:
        if not self.full:
            self._add(self._decoder.finish())
        return bytes(self._out)


def decode_limited(chunks: Iterator[bytes], content_encoding: str | None,
                   max_bytes: int) -> bytes:
    """The whole decoded body of ``chunks``; raises OverflowError past ``max_bytes``.

    ``chunks`` may raise to abort (the fetcher's deadline does).
    """
    body = LimitedBody(content_encoding, max_bytes)
    for raw in chunks:
        body.feed(raw)
    return body.finish()

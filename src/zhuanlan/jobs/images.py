"""The images of articles: recorded with their article, fetched once by the worker,
kept as files named by their SHA-256, served from our own server (``web/media.py``).

The reader loads nothing from outside the server: an article's pictures are fetched
here, through the polite fetcher (SSRF guard, per-host politeness, size and time
limits) with the article page as Referer — many outlets refuse hotlinks — and checked
by their bytes: JPEG, PNG, GIF and WebP are kept; anything else (an HTML error page
sent as ``image/jpeg``, SVG, which can carry scripts) is refused whatever the
Content-Type said.

Storage: ``{data_dir}/images/<sha256>``, one file per distinct picture however many
articles (outlets) carry it; the row keeps ``sha256``, ``size``, ``mime`` and, read
from the header bytes, ``width``/``height``. Files rather than a BLOB column keep the
database (PostgreSQL dumps, the SQLite file and its WAL) small and let the web server
stream a picture from disk. Web processes and workers must share ``data_dir``.

Rows are work like pages: ``state`` pending → fetched | failed | too_large, with
``attempts``, ``next_attempt_at`` and a lease (``claimed_by``, ``lease_until``).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import struct
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from zhuanlan.backoff import retry_in
from zhuanlan.errors import FetchError
from zhuanlan.fetch.async_client import FetchRequest
from zhuanlan.jobs.context import Context
from zhuanlan.model import FetchResult, Image
from zhuanlan.store import Connection
from zhuanlan.store import images as store
from zhuanlan.store.claims import release_values
from zhuanlan.store.images import FAILED, FETCHED, PENDING, TOO_LARGE

log = logging.getLogger(__name__)

MAX_IMAGE_ATTEMPTS = 5
MAX_IMAGES_PER_ARTICLE = 50
MAX_URL = 2000
MAX_CAPTION = 1000
# What browsers send for an <img>: an outlet that varies on Accept answers with a
# picture rather than a page.
ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9,image/*;q=0.8,*/*;q=0.5"
_SHA256 = re.compile(r"[0-9a-f]{64}")


# -- recording (with the article) ------------------------------------------------------

def add_images(conn: Connection, article_id: int, found: Iterable[Image], *,
               now: datetime | None = None) -> int:
    """Record the article's images (absolute http(s) URLs, in the body's order) as
    pending rows, in the caller's transaction. Returns how many."""
    now = now or datetime.now(UTC)
    rows: list[dict] = []
    seen: set[str] = set()
    for image in found:
        src = (image.src or "").strip()
        if (not src.lower().startswith(("http://", "https://")) or len(src) > MAX_URL
                or src in seen):
            continue
        seen.add(src)
        rows.append({"article_id": article_id, "position": len(rows), "source_url": src,
                     "caption": (image.caption or "")[:MAX_CAPTION], "state": PENDING,
                     "attempts": 0, "next_attempt_at": now, "created_at": now})
        if len(rows) >= MAX_IMAGES_PER_ARTICLE:
            break
    store.insert_images(conn, rows)
    return len(rows)


# -- the bytes -------------------------------------------------------------------------

class Refused(Exception):
    """The body is not a picture we serve. ``kind``: ``svg``, ``not_image``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


def sniff(data: bytes) -> tuple[str, int | None, int | None]:
    """(MIME type, width, height) of a JPEG, PNG, GIF or WebP, read from its bytes
    (never from a Content-Type); width and height are None when the header does not
    give them plainly. Raises Refused for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return ("image/jpeg", *_jpeg_size(data))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        if data[12:16] == b"IHDR" and len(data) >= 24:
            w, h = struct.unpack(">II", data[16:24])
            return "image/png", w, h
        return "image/png", None, None
    if data[:6] in (b"GIF87a", b"GIF89a"):
        if len(data) >= 10:
            w, h = struct.unpack("<HH", data[6:10])
            return "image/gif", w, h
        return "image/gif", None, None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ("image/webp", *_webp_size(data))
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if b"<svg" in head or head.startswith(b"<?xml") and b"svg" in head:
        raise Refused("svg", "SVG refused (it can carry scripts)")
    kind = "HTML" if head.startswith((b"<!doctype", b"<html")) or b"<html" in head[:512] \
        else "not a JPEG, PNG, GIF or WebP"
    raise Refused("not_image", f"the body is not an image ({kind})")


def _jpeg_size(data: bytes) -> tuple[int | None, int | None]:
    i, n = 2, len(data)
    for _ in range(1000):
        while i < n and data[i] != 0xFF:
            i += 1
        while i < n and data[i] == 0xFF:
            i += 1
        if i >= n:
            break
        marker = data[i]
        i += 1
        if marker in (0x01, *range(0xD0, 0xDA)):      # no length: TEM, RSTn, SOI, EOI
            continue
        if i + 2 > n:
            break
        length = struct.unpack(">H", data[i:i + 2])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            if i + 7 <= n:
                h, w = struct.unpack(">HH", data[i + 3:i + 7])
                return w, h
            break
        if marker == 0xDA or length < 2:            # image data before any frame header
            break
        i += length
    return None, None


def _webp_size(data: bytes) -> tuple[int | None, int | None]:
    chunk = data[12:16]
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", data[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        b0, b1, b2, b3 = data[21:25]
        return 1 + (((b1 & 0x3F) << 8) | b0), 1 + (((b3 & 0x0F) << 10) | (b2 << 2) | (b1 >> 6))
    if chunk == b"VP8X" and len(data) >= 30:
        return (1 + int.from_bytes(data[24:27], "little"),
                1 + int.from_bytes(data[27:30], "little"))
    return None, None


def image_dir(ctx: Context) -> Path:
    return ctx.cfg.data_dir / "images"


def image_path(ctx: Context, sha256: str) -> Path | None:
    """The file of a picture, None for a name that is not a SHA-256 (never a path out
    of the directory, whatever the row says)."""
    if not _SHA256.fullmatch(sha256 or ""):
        return None
    return image_dir(ctx) / sha256


def _keep(ctx: Context, data: bytes) -> str:
    """Write the bytes under their SHA-256 (once; atomically, so a reader never sees
    half a file and two workers writing the same picture do no harm)."""
    digest = hashlib.sha256(data).hexdigest()
    path = image_dir(ctx) / digest
    if path.exists() and path.stat().st_size == len(data):
        return digest
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


# -- the worker's job ------------------------------------------------------------------

@dataclass(frozen=True)
class _Outcome:
    state: str
    kind: str | None = None
    message: str | None = None
    sha256: str | None = None
    size: int | None = None
    mime: str | None = None
    width: int | None = None
    height: int | None = None
    temporary: bool = False
    retry_after: float | None = None


def fetch_due_images(ctx: Context, limit: int) -> int:
    """Fetch pending images whose time has come (none when ``images.enabled`` is off).
    A URL already fetched for another article is not fetched again; a URL claimed
    twice in the batch is fetched once. Returns how many rows were handled."""
    if not ctx.cfg["images.enabled"]:
        return 0
    now = ctx.clock()
    with ctx.db.write() as conn:
        claimed = store.claim_due(conn, now=now, limit=limit, worker=ctx.worker_id,
                                  lease_seconds=ctx.cfg["worker.lease_seconds"])
    if not claimed:
        return 0
    urls = {row.source_url for row in claimed}
    with ctx.db.read() as conn:
        referers = store.article_urls(conn, {row.article_id for row in claimed})
        known: dict[str, _Outcome] = {}
        for row in store.fetched_with_urls(conn, urls):
            path = image_path(ctx, row.sha256)
            if path is not None and path.is_file():
                known[row.source_url] = _Outcome(FETCHED, sha256=row.sha256, size=row.size,
                                                 mime=row.mime, width=row.width,
                                                 height=row.height)
    outcomes: dict[str, _Outcome] = dict(known)
    todo: dict[str, str] = {}                     # url → Referer (the first article's page)
    for row in claimed:
        if row.source_url not in outcomes and row.source_url not in todo:
            todo[row.source_url] = referers.get(row.article_id) or ""
    if todo:
        # The picture limit goes to the fetcher, so a large file is refused by its
        # Content-Length or cut off mid-stream instead of downloaded whole first.
        requests = [FetchRequest(url, headers={"Accept": ACCEPT,
                                               **({"Referer": ref} if ref else {})},
                                 max_bytes=ctx.cfg["images.max_bytes"])
                    for url, ref in todo.items()]
        for url, result in zip(todo, ctx.fetcher.get_many(requests)):
            outcomes[url] = _judge(ctx, result)
    _record(ctx, claimed, outcomes)
    return len(claimed)


def _judge(ctx: Context, result: FetchResult | FetchError) -> _Outcome:
    limit = ctx.cfg["images.max_bytes"]
    if isinstance(result, FetchError):
        if result.reason == "too_large":
            message = result.message
            if limit < ctx.cfg["fetch.max_bytes"]:
                message = f"image larger than {limit} bytes (images.max_bytes)"
            return _Outcome(TOO_LARGE, "too_large", message)
        return _Outcome(FAILED, result.reason, result.message, temporary=result.temporary,
                        retry_after=result.retry_after)
    data = result.content
    if len(data) > limit:
        return _Outcome(TOO_LARGE, "too_large", f"image of {len(data)} bytes, larger than "
                                                f"{limit} (images.max_bytes)")
    if not data:
        return _Outcome(FAILED, "empty", "empty body")
    try:
        mime, width, height = sniff(data)
    except Refused as exc:
        declared = result.content_type.split(";", 1)[0].strip() or "no Content-Type"
        return _Outcome(FAILED, exc.kind, f"{exc.message}; sent as {declared}")
    return _Outcome(FETCHED, sha256=_keep(ctx, data), size=len(data), mime=mime,
                    width=width, height=height)


def _record(ctx: Context, claimed: list, outcomes: dict[str, _Outcome]) -> None:
    now = ctx.clock()
    with ctx.db.write() as conn:
        for row in claimed:
            out = outcomes[row.source_url]
            attempts = row.attempts + 1
            values: dict = {"attempts": attempts, **release_values()}
            if out.state == FETCHED:
                values.update(state=FETCHED, sha256=out.sha256, size=out.size, mime=out.mime,
                              width=out.width, height=out.height, fetched_at=now,
                              last_error=None, last_error_kind=None)
            elif out.state == FAILED and out.temporary and attempts < MAX_IMAGE_ATTEMPTS:
                values.update(next_attempt_at=now + retry_in(
                    attempts, base=60.0, cap=6 * 3600.0, retry_after=out.retry_after),
                    last_error=out.message, last_error_kind=out.kind)
            else:
                values.update(state=out.state, last_error=out.message, last_error_kind=out.kind)
            store.record_outcome(conn, row.id, ctx.worker_id, **values)
            level = logging.INFO if out.state == FETCHED else logging.WARNING
            log.log(level, "image " + (values.get("state") or "retried"), extra={
                "image_id": row.id, "article_id": row.article_id, "url": row.source_url,
                "reason": out.kind, "error": out.message, "size": out.size})


# -- reading (the article page, /img/{id}) -----------------------------------------------

@dataclass(frozen=True)
class StoredImage:
    path: Path
    mime: str
    sha256: str
    size: int


def stored_image(ctx: Context, row) -> StoredImage | None:
    """A fetched image's file, type and hash from its row (``store.images.file_of``);
    None when it is not fetched (pending, failed, too large) or its file is missing."""
    if row is None or row.state != FETCHED or not row.mime:
        return None
    path = image_path(ctx, row.sha256)
    if path is None or not path.is_file():
        return None
    return StoredImage(path, row.mime, row.sha256, row.size or 0)

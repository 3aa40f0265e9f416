"""A tiny local web site serving the bundled sample feed and article pages.

It lets a fresh machine without internet show a filled sample column: ``make run``
starts it on 127.0.0.1 and the sample source polls it like any outlet. It behaves like
a real portal where that matters to the pipeline: an RSS feed, conditional GET (ETag,
Last-Modified, 304), GBK pages sent as bare ``text/html`` so that charset detection
from the ``<meta>`` tag is exercised, 404 for anything else.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from urllib.parse import unquote, urlsplit

log = logging.getLogger(__name__)

__all__ = ["SampleSite"]

# Files whose links are written as {{BASE}} and filled in with the server's address
# when served, because the port is only known once the server is bound.
_TEMPLATED = {"feed.xml", "index.html"}
_PLACEHOLDER = b"{{BASE}}"


class _File:
    __slots__ = ("body", "content_type", "etag", "last_modified", "mtime")

    def __init__(self, body: bytes, content_type: str, mtime: float) -> None:
        self.body = body
        self.content_type = content_type
        self.etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        self.mtime = int(mtime)
        self.last_modified = formatdate(self.mtime, usegmt=True)


def _content_type(name: str, body: bytes) -> str:
    if name.endswith(".xml"):
        return "application/rss+xml; charset=utf-8"
    if name.endswith((".html", ".htm")):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            # A GBK page: like many Chinese portals, say nothing about the charset
            # and let the page's <meta charset="gb2312"> tell.
            return "text/html"
        return "text/html; charset=utf-8"
    if name.endswith(".css"):
        return "text/css; charset=utf-8"
    if name.endswith(".txt"):
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


def _walk(node: Traversable, prefix: str = ""):
    for child in node.iterdir():
        if child.name.startswith((".", "__")):
            continue
        if child.is_dir():
            yield from _walk(child, f"{prefix}{child.name}/")
        elif child.is_file():
            yield f"{prefix}{child.name}", child


def _mtime(node: Traversable, fallback: float) -> float:
    try:
        return Path(str(node)).stat().st_mtime
    except OSError:
        return fallback              # inside a zip: no file time, use the start time


class SampleSite:
    """The sample site on ``http://host:port``; ``port=0`` takes a free port.

    ``start()`` binds and serves from a daemon thread; ``stop()`` shuts it down. Also a
    context manager. ``start()`` raises OSError when the port is taken.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 8765) -> None:
        self.host = host
        self._port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._files: dict[str, _File] = {}

    @property
    def port(self) -> int:
        """The bound port once started (the real one when 0 was asked), else the asked one."""
        if self._server is not None:
            return self._server.server_address[1]
        return self._port

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in {"", "0.0.0.0"} else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    @property
    def feed_url(self) -> str:
        return f"{self.base_url}/feed.xml"

    def start(self) -> SampleSite:
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self._port), _make_handler(self))
        server.daemon_threads = True
        self._server = server
        self._files = self._load(time.time())
        self._thread = threading.Thread(target=server.serve_forever, name="zhuanlan-sample-site",
                                        kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        log.info("sample site serving on %s", self.base_url)
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _load(self, started: float) -> dict[str, _File]:
        """Read the whole site (some 70 KiB) once; fill in {{BASE}} now the port is known."""
        root = resources.files("zhuanlan.sample").joinpath("site")
        base = self.base_url.encode("ascii")
        files: dict[str, _File] = {}
        for name, node in _walk(root):
            body = node.read_bytes()
            if name in _TEMPLATED:
                body = body.replace(_PLACEHOLDER, base)
            files[name] = _File(body, _content_type(name, body), _mtime(node, started))
        return files

    def lookup(self, url_path: str) -> _File | None:
        """The file for a request path, or None. Only names read at start can be
        served, so ``..`` or an absolute path can never reach outside the site."""
        path = unquote(urlsplit(url_path).path)
        if path in {"", "/"}:
            path = "/index.html"
        name = path.lstrip("/")
        parts = name.split("/")
        if any(p in {"", ".", ".."} for p in parts) or "\\" in name or "\x00" in name:
            return None
        return self._files.get(name)


def _make_handler(site: SampleSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "zhuanlan-sample/1.0"

        def do_GET(self) -> None:
            self._serve(with_body=True)

        def do_HEAD(self) -> None:
            self._serve(with_body=False)

        def _serve(self, *, with_body: bool) -> None:
            f = site.lookup(self.path)
            if f is None:
                body = "404 页面不存在".encode()
                self.send_response(HTTPStatus.NOT_FOUND)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if with_body:
                    self.wfile.write(body)
                return
            if self._not_modified(f):
                self.send_response(HTTPStatus.NOT_MODIFIED)
                self.send_header("ETag", f.etag)
                self.send_header("Last-Modified", f.last_modified)
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                return
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", f.content_type)
            self.send_header("Content-Length", str(len(f.body)))
            self.send_header("ETag", f.etag)
            self.send_header("Last-Modified", f.last_modified)
            self.send_header("Cache-Control", "no-cache")
            self.end_headers()
            if with_body:
                self.wfile.write(f.body)

        def _not_modified(self, f: _File) -> bool:
            # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
            inm = self.headers.get("If-None-Match")
            if inm is not None:
                tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
                return "*" in tags or f.etag in tags
            ims = self.headers.get("If-Modified-Since")
            if ims:
                try:
                    return f.mtime <= int(parsedate_to_datetime(ims).timestamp())
                except (TypeError, ValueError, IndexError, OverflowError):
                    return False
            return False

        def log_message(self, format: str, *args: object) -> None:
            # Quiet: the sample site must not flood the console of `zhuanlan run`.
            log.debug("sample site: " + format, *args)

    return Handler

"""A real HTTP server on 127.0.0.1 for tests.

Tests of fetching, feeds and extraction run against real sockets rather than mocks, so
that timeouts, redirects, compression and charsets behave as on the network::

    with LocalHTTPServer() as server:
        server.route("/page", "<p>你好</p>".encode("gb18030"),
                     headers={"Content-Type": "text/html"})
        fetcher.get(server.url("/page"))
        assert server.requests[0].headers["User-Agent"]

``route_fn(path, fn)`` lets ``fn(handler)`` write the whole response itself (slow
servers, redirects, gzip bombs); ``respond(handler, status, body, headers)`` does it in
one call. The server speaks HTTP/1.1 with keep-alive, so a function writing by hand must
send a Content-Length, or send ``Connection: close`` and set ``handler.close_connection =
True``.
"""

from __future__ import annotations

import ssl
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Handler = BaseHTTPRequestHandler
RouteFn = Callable[[BaseHTTPRequestHandler], None]


class RequestHeaders(dict):
    """Header names lower-cased; lookups ignore case (``h["User-Agent"]``)."""

    def __init__(self, items=()) -> None:
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: str | None = None) -> str | None:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str                 # as sent, with the query string
    headers: RequestHeaders   # case-insensitive; a repeated header keeps its last value
    client_port: int = 0      # the same for requests sent on one kept-alive connection
    at: float = 0.0           # time.monotonic() when the request line was read


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Do not wait on close for handlers still dribbling to a client that gave up.
    block_on_close = False
    ssl_context: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:  # type: ignore[override]
        # TLS handshake in the connection's own thread, not in the accept loop, so a
        # client that never completes it cannot stall the server.
        if self.ssl_context is not None:
            request = self.ssl_context.wrap_socket(request, server_side=True)
        super().finish_request(request, client_address)

    def handle_error(self, request, client_address) -> None:  # type: ignore[override]
        # A client that hangs up early (timeouts, size limits) is what many tests do on
        # purpose; a traceback on stderr for it is noise.
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


class LocalHTTPServer:
    """HTTP server on 127.0.0.1 on an ephemeral port, serving from a daemon thread."""

    def __init__(self, host: str = "127.0.0.1", *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context`` (server side, with a certificate loaded) serves HTTPS."""
        self.host = host
        self.ssl_context = ssl_context
        self.requests: list[LoggedRequest] = []
        self.in_flight = 0        # route_slow requests being answered right now
        self.max_in_flight = 0    # the most route_slow requests ever answered at once
        self._routes: dict[str, RouteFn] = {}
        self._lock = threading.Lock()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> LocalHTTPServer:
        if self._httpd is not None:
            return self
        self._httpd = _Server((self.host, 0), self._handler_class())
        self._httpd.ssl_context = self.ssl_context
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=f"LocalHTTPServer:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None

    def __enter__(self) -> LocalHTTPServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def origin(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + (path if path.startswith("/") else "/" + path)

    # -- routes ----------------------------------------------------------------------

    def route(self, path: str, body: bytes | str, status: int = 200,
              headers: dict[str, str] | None = None) -> None:
        """Serve ``body`` at ``path`` (exact match; with or without the query string).
        A str body is sent as UTF-8."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        fixed = dict(headers or {})

        def send(handler: BaseHTTPRequestHandler) -> None:
            respond(handler, status, data, fixed)

        self.route_fn(path, send)

    def route_fn(self, path: str, fn: RouteFn) -> None:
        """Let ``fn(handler)`` answer requests for ``path`` itself."""
        with self._lock:
            self._routes[path] = fn

    def route_sequence(self, path: str,
                       responses: list[tuple[int, bytes | str, dict[str, str] | None]],
                       ) -> None:
        """Answer the n-th request for ``path`` with ``responses[n]`` ((status, body,
        headers)); the last one answers every request after it (503 then 200 …)."""
        answers = [(st, b.encode("utf-8") if isinstance(b, str) else b, dict(h or {}))
                   for st, b, h in responses]
        count = [0]

        def send(handler: BaseHTTPRequestHandler) -> None:
            with self._lock:
                index = min(count[0], len(answers) - 1)
                count[0] += 1
            status, body, headers = answers[index]
            respond(handler, status, body, headers)

        self.route_fn(path, send)

    def route_slow(self, path: str, body: bytes | str, seconds: float,
                   headers: dict[str, str] | None = None) -> None:
        """Serve ``body`` after ``seconds``, counting overlapping requests in
        ``in_flight`` / ``max_in_flight`` (a request leaves the count just *before* its
        answer is written, so a client's next request can never be counted with it)."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        fixed = dict(headers or {})

        def send(handler: BaseHTTPRequestHandler) -> None:
            with self._lock:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                time.sleep(seconds)
            finally:
                with self._lock:
                    self.in_flight -= 1
            respond(handler, 200, data, fixed)

        self.route_fn(path, send)

    def redirect(self, path: str, location: str, status: int = 302) -> None:
        self.route(path, b"", status=status, headers={"Location": location})

    def requests_to(self, path: str) -> list[LoggedRequest]:
        return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    # -- handler ---------------------------------------------------------------------

    def _find(self, raw_path: str) -> RouteFn | None:
        with self._lock:
            return self._routes.get(raw_path) or self._routes.get(raw_path.split("?", 1)[0])

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass   # tests read server.requests instead

            def _dispatch(self) -> None:
                arrived = time.monotonic()
                server.requests.append(LoggedRequest(self.command, self.path,
                                                     RequestHeaders(self.headers.items()),
                                                     self.client_address[1], arrived))
                fn = server._find(self.path)
                if fn is None:
                    respond(self, 404, b"not found", {"Content-Type": "text/plain"})
                    return
                fn(self)

            do_GET = do_HEAD = do_POST = _dispatch

        return _Handler


def respond(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"",
            headers: dict[str, str] | None = None) -> None:
    """Write a complete response with a Content-Length (usable from route functions)."""
    handler.send_response(status)
    names = {k.lower() for k in (headers or {})}
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    if "content-length" not in names and status not in (204, 304):
        handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and status not in (204, 304):
        handler.wfile.write(body)

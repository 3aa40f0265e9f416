"""The web app on a real uvicorn server on 127.0.0.1, in a thread, for tests."""

from __future__ import annotations

import threading
import time

import uvicorn

# A request of a test to a local server: generous, because a commit on the shared 2-core
# CI machine can wait seconds for the disk while PostgreSQL flushes (CI once timed out a
# one-row token GET at httpx's default 5 s); a hang still fails, just later.
REQUEST_TIMEOUT = 30.0


class WebServer:
    def __init__(self, app, port: int) -> None:
        self.port = port
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                                    log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> WebServer:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        if not self.server.started:
            raise RuntimeError("the web server did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)

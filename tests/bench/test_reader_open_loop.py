"""The open loop counts queueing (no coordinated omission): against a server that answers
one request at a time in 50 ms (20 a second) over one connection, requests offered faster
than that wait for the connection, and their latency — timed from the scheduled send, not
from when the connection was free — grows with the queue."""

import asyncio
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from _reader_load import Gen, Pool, _open_step

STATUS = {b"GET": b"200 OK", b"POST /read/beat": b"204 No Content",
          b"POST /read/studied": b"303 See Other"}


async def _serial_server(service_s: float):
    lock = asyncio.Lock()

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                await reader.readexactly(length)
                status = next(v for k, v in STATUS.items() if head.startswith(k))
                async with lock:
                    await asyncio.sleep(service_s)
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _step(rate: float, tmp_path) -> dict:
    async def go():
        server = await _serial_server(0.05)
        port = server.sockets[0].getsockname()[1]
        spec = {"kind": "study", "seed": 1, "secret": "k" * 40, "employees": 10,
                "recent": [(1, 1), (2, 1)], "beats": 2, "out": str(tmp_path / "o.json"),
                "drain": 10.0, "goal_ms": 100}
        try:
            # one connection: a request waits in the generator for it, where a closed
            # loop (or a clock started at the send) would not see the wait
            return await _open_step(Gen(spec), Pool(port, 1), rate, 2.0, spec)
        finally:
            server.close()
    return asyncio.run(go())


@pytest.mark.slow
def test_open_loop_latency_includes_the_queue(tmp_path):
    slow = _step(5, tmp_path)           # a quarter of the capacity: hardly any queue
    assert slow["p50_ms"] < 100 and not slow["errors"], slow   # (the shared machine jitters)
    fast = _step(60, tmp_path)          # three times the capacity: a queue that grows
    # served one by one in 50 ms, ~120 requests offered in 2 s finish ~6 s after the
    # start: the median waits seconds, though each took only 50 ms to serve
    assert not fast["pass"] and fast["p50_ms"] > 1000, fast
    assert fast["lost"] == 0 and not fast["errors"], fast

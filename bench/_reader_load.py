"""The reader benchmark's load generator, run in a process of its own.

A raw asyncio HTTP/1.1 keep-alive client (far cheaper than httpx). Every request belongs
to a *view* of an article by a random employee (signed ``zhuanlan_reader`` cookie, signed
as the app does), in the order a phone sends them: the article page; ``/read/state``
(the reader's own part of the page, where the server has it: ``spec["state"]``);
heartbeats of that view (15 s, 30 s, …); in the ``study`` kind 我已学习 with the view's
reading time, the page its redirect leads back to and that page's ``/read/state`` (with
the hint cookie the redirect set, as a browser sends it). A view's next request goes out
only after the answer to the previous one, as reading.js does it.

- closed loop (``run_closed``): ``clients`` connections, each sends its next request
  when the previous one is answered. Latency is per request.
- open loop (``run_open``): requests arrive as a Poisson process at a given rate,
  whether or not earlier ones were answered; each is timed from its *scheduled* send
  time, so time spent queued — behind a busy server, or waiting for a free connection —
  counts (no coordinated omission). Requests not answered ``drain`` seconds after the
  step count as infinitely late. Rates step up until p99 misses the goal.

Every answered open, heartbeat and confirmation is written to ``spec["out"]`` so the
driver can check that the store holds it.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import re
import time
from pathlib import Path

VIEW_PREFIX = "zlbench"
STATIC_REQUEST = b"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: zl-bench\r\n\r\n"
OK = {"static": 200, "article": 200, "state": 200, "beat": 204, "studied": 303, "back": 200}
IDLE_S = 4.0        # uvicorn closes a keep-alive connection idle for 5 s
_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)")
_LOCATION = re.compile(rb"\r\nlocation:\s*([^\r]+)")
_HINT = re.compile(rb"\r\nset-cookie:\s*(zhuanlan_studied=[^;\r]+)")


class Http(asyncio.Protocol):
    """One keep-alive connection, one request at a time."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future | None = None
        self.alive = True
        self.used = time.perf_counter()
        self.need = -1
        self.header_end = -1

    def connection_made(self, transport) -> None:
        self.transport = transport

    def request(self, data: bytes) -> asyncio.Future:
        self.buf.clear()
        self.need = self.header_end = -1
        self.waiter = asyncio.get_running_loop().create_future()
        if not self.alive:
            self.waiter.set_exception(ConnectionError("closed"))
        else:
            self.transport.write(data)
        return self.waiter

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.header_end < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.header_end = end + 4
            head = bytes(self.buf[:end]).lower()
            m = _LENGTH.search(head)
            if m:
                self.need = self.header_end + int(m.group(1))
            elif b"transfer-encoding: chunked" in head:
                self.need = -2
            else:
                self.need = self.header_end
        if self.need == -2:
            if not self.buf.endswith(b"0\r\n\r\n"):
                return
        elif len(self.buf) < self.need:
            return
        self.used = time.perf_counter()
        status = int(self.buf[9:12])
        head = bytes(self.buf[:self.header_end])
        anon = b"zhuanlan_anon=" in head
        m = _LOCATION.search(head.lower()) if 300 <= status < 400 else None
        location = head[m.start(1):m.end(1)].decode() if m else ""
        h = _HINT.search(head) if m else None          # what a browser keeps for /read
        hint = h.group(1).decode() if h else ""
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((status, anon, location, hint))

    def connection_lost(self, exc) -> None:
        self.alive = False
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(str(exc)))

    def close(self) -> None:
        self.alive = False
        if self.transport is not None:
            self.transport.close()


class Gen:
    """What to send next, and what came back."""

    def __init__(self, spec: dict) -> None:
        from zhuanlan.links import LinkSigner

        self.spec = spec
        self.kind = spec["kind"]
        self.rnd = random.Random(spec["seed"])
        self.signer = LinkSigner(spec["secret"])      # the app's signer, the app's key
        self.cookies: dict[int, str] = {}
        self.measuring = False
        self.lat: dict[str, list[float]] = {k: [] for k in OK}
        self.errors: dict[str, int] = {}
        self.anonymous = 0
        self.pairs: set[tuple[int, int]] = set()       # (employee, article) answered
        self.views: dict[str, int] = {}                # view id → highest seconds answered
        self.studied: set[tuple[int, int]] = set()     # (employee, article) confirmed
        self.n_views = 0
        self.idle: list[dict] = []     # open loop: views waiting for their next request
        self.answered = 0                              # warm-up included

    def cookie(self, sid: int) -> str:
        c = self.cookies.get(sid)
        if c is None:
            c = self.cookies[sid] = self.signer.sign("reader-cookie", sid)
        return c

    def new_view(self) -> dict:
        self.n_views += 1
        aid, iid = self.rnd.choice(self.spec["recent"])
        beats = {"article": 0, "beat": 1}.get(self.kind, self.spec["beats"])
        return {"sid": self.rnd.randint(1, self.spec["employees"]), "aid": aid, "iid": iid,
                "view": f"{VIEW_PREFIX}{self.spec['seed']:03d}{self.n_views:010d}",
                "seconds": 0, "open": self.kind != "beat", "beats": beats,
                "state": self.kind in ("mix", "study") and self.spec.get("state", False),
                "studied": self.kind == "study", "back": "", "hint": ""}

    @staticmethod
    def done(v: dict | None) -> bool:
        return v is None or not (v["open"] or v["state"] or v["beats"] or v["studied"]
                                 or v["back"])

    def step(self, v: dict | None) -> tuple[tuple, bytes]:
        """The next request of the view (the static file when there is none)."""
        if v is None:
            return ("static",), STATIC_REQUEST
        sid, aid = v["sid"], v["aid"]
        cookie = f"Cookie: zhuanlan_reader={self.cookie(sid)}\r\n"
        if v["open"] or v["state"] or v["back"]:
            if v["open"]:
                v["open"] = False
                kind, url = "article", f"/a/{aid}?i={v['iid']}"
            elif v["state"]:
                # the reader's own part of a page every reader gets (where the server
                # has /read/state, reading.js asks it at once) — again on the page
                # 我已学习 leads back to, with the hint cookie its 303 set
                v["state"] = False
                kind, url = "state", f"/read/state?a={aid}&i={v['iid']}"
                if v["hint"]:
                    cookie = f"{cookie[:-2]}; {v['hint']}\r\n"
            else:
                # the browser follows 我已学习's redirect back to the page
                kind, url, v["back"] = "back", v["back"].split("#")[0], ""
                v["state"] = self.kind == "study" and self.spec.get("state", False)
            return (kind, sid, aid), (
                f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"User-Agent: zl-bench\r\nAccept: text/html\r\n{cookie}\r\n").encode()
        if v["beats"]:
            v["beats"] -= 1
            v["seconds"] += 15
            body = json.dumps({"v": v["view"], "a": aid, "s": v["seconds"]},
                              separators=(",", ":")).encode()
            kind, ctype = "beat", "application/json"
            head = "POST /read/beat"
        else:
            v["studied"] = False
            v["seconds"] += 5       # the button is pressed a little after the last beat
            body = (f"article_id={aid}&issue_id={v['iid']}&view={v['view']}"
                    f"&seconds={v['seconds']}").encode()
            kind, ctype = "studied", "application/x-www-form-urlencoded"
            head = "POST /read/studied"
        return (kind, sid, aid, v["view"], v["seconds"]), (
            f"{head} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: zl-bench\r\n"
            f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{cookie}\r\n"
        ).encode() + body

    def record(self, meta: tuple, status: int, latency: float, anon: bool,
               v: dict | None = None, location: str = "", hint: str = "") -> bool:
        kind = meta[0]
        self.answered += 1
        if status != OK[kind]:
            key = f"{kind} {status or 'no answer'}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return False
        if self.measuring:
            self.lat[kind].append(latency)
        self.anonymous += anon
        if kind == "studied" and v is not None and location.startswith("/"):
            v["back"], v["hint"] = location, hint
        if kind in ("static", "state"):
            return True
        self.pairs.add((meta[1], meta[2]))
        if kind in ("beat", "studied") and self.views.get(meta[3], 0) < meta[4]:
            self.views[meta[3]] = meta[4]
        if kind == "studied":
            self.studied.add((meta[1], meta[2]))
        return True

    def save(self) -> None:
        Path(self.spec["out"]).write_text(json.dumps({
            "pairs": sorted(self.pairs), "views": self.views, "studied": sorted(self.studied)}))


def figures(lat: list[float], elapsed: float) -> dict:
    """Requests/s and percentiles of sorted latencies (seconds; inf: never answered)."""
    def ms(x: float) -> float:
        return x * 1000 if math.isfinite(x) else float("inf")
    return {"n": len(lat), "rps": sum(map(math.isfinite, lat)) / elapsed,
            "p50_ms": ms(lat[len(lat) // 2]),
            "p99_ms": ms(lat[min(len(lat) - 1, int(len(lat) * 0.99))]),
            "max_ms": ms(lat[-1])}


async def _connect(port: int) -> Http:
    _, proto = await asyncio.get_running_loop().create_connection(Http, "127.0.0.1", port)
    return proto


# ---------------------------------------------------------------- closed loop

async def run_closed(spec: dict, cpu_s) -> dict:
    gen = Gen(spec)
    warm, seconds = spec["warmup"], spec["seconds"]
    deadline = time.perf_counter() + warm + seconds

    async def client(conn: Http) -> None:
        v = None
        while time.perf_counter() < deadline:
            if gen.kind != "static" and gen.done(v):
                v = gen.new_view()
            meta, data = gen.step(v)
            t = time.perf_counter()
            try:
                status, anon, location, hint = await conn.request(data)
            except ConnectionError:
                gen.record(meta, 0, 0.0, False)
                conn = await _connect(spec["port"])
                v = None
                continue
            gen.record(meta, status, time.perf_counter() - t, anon, v, location, hint)
        conn.close()

    conns = [await _connect(spec["port"]) for _ in range(spec["clients"])]
    task = asyncio.gather(*(client(c) for c in conns))
    if warm:
        await asyncio.sleep(warm)
    gen.measuring = True
    cpu0 = cpu_s()
    t_start = time.perf_counter()
    await task
    elapsed = time.perf_counter() - t_start
    out = {"elapsed": elapsed, "errors": gen.errors, "anonymous": gen.anonymous,
           "answered": gen.answered, "gen_cpu": (cpu_s() - cpu0) / elapsed, "kinds": {}}
    for kind, lat in gen.lat.items():
        if lat:
            lat.sort()
            out["kinds"][kind] = figures(lat, elapsed)
    every = sorted(x for lat in gen.lat.values() for x in lat)
    if every:
        out["all"] = figures(every, elapsed)
    gen.save()
    return out


# ---------------------------------------------------------------- open loop

class Pool:
    """Keep-alive connections shared by the open loop's requests, at most ``cap`` open:
    beyond that a request waits for a free one (and its wait counts)."""

    def __init__(self, port: int, cap: int) -> None:
        self.port = port
        self.sem = asyncio.Semaphore(cap)
        self.free: list[Http] = []
        self.opened = 0

    async def get(self) -> Http:
        await self.sem.acquire()
        now = time.perf_counter()
        while self.free:
            c = self.free.pop()
            if c.alive and now - c.used < IDLE_S:
                return c
            c.close()
        try:
            self.opened += 1
            return await _connect(self.port)
        except BaseException:
            self.sem.release()
            raise

    def put(self, c: Http, ok: bool) -> None:
        if ok and c.alive:
            self.free.append(c)
        else:
            c.close()
        self.sem.release()


async def _open_step(gen: Gen, pool: Pool, rate: float, seconds: float, spec: dict) -> dict:
    lat: list[float] = []
    by_kind: dict[str, list[float]] = {}
    lags: list[float] = []
    idle = gen.idle
    rnd = gen.rnd
    # A new view as often as the mix has opens (1 in the requests of a view), so that
    # the mix's proportions hold from the first second of a step on, at any rate.
    p_open = 1 / (spec["beats"] + 3 + 2 * bool(spec.get("state")))

    async def one(v: dict, meta: tuple, data: bytes, t_sched: float) -> None:
        conn = await pool.get()
        ok = False
        try:
            status, anon, location, hint = await conn.request(data)
            ok = True
        except ConnectionError:
            status, anon, location, hint = 0, False, "", ""
        finally:
            pool.put(conn, ok)       # cancelled: closed, its answer is never read
        answered = gen.record(meta, status, time.perf_counter() - t_sched, anon, v, location,
                              hint)
        lat.append(time.perf_counter() - t_sched if answered else math.inf)
        by_kind.setdefault(meta[0], []).append(lat[-1])
        if answered and not gen.done(v):
            idle.append(v)

    tasks = set()
    kinds: dict[asyncio.Task, str] = {}       # which request each one is
    failed: dict[str, int] = {}               # requests that ended in an exception

    def settled(task: asyncio.Task) -> None:
        tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            what = f"{kinds[task]}: {type(task.exception()).__name__}"
            failed[what] = failed.get(what, 0) + 1

    # Counted as sent, not as len(lat) + len(tasks) afterwards: a task that has answered
    # stays in ``tasks`` until its done-callback runs, and was counted twice (the rare
    # "1 unanswered" of earlier runs, which named no request).
    scheduled = 0
    t0 = time.perf_counter()
    t, end = t0, t0 + seconds
    while True:
        t += rnd.expovariate(rate)
        if t >= end:
            break
        delay = t - time.perf_counter()
        await asyncio.sleep(max(0.0, delay))
        lags.append(max(0.0, -delay))
        if not idle or rnd.random() < p_open:
            v = gen.new_view()
        else:
            i = rnd.randrange(len(idle))
            idle[i], idle[-1] = idle[-1], idle[i]
            v = idle.pop()
        meta, data = gen.step(v)
        scheduled += 1
        task = asyncio.create_task(one(v, meta, data, t))
        tasks.add(task)
        kinds[task] = meta[0]
        task.add_done_callback(settled)
    unanswered: dict[str, int] = {}
    if tasks:
        _, late = await asyncio.wait(set(tasks), timeout=spec["drain"])
        for task in late:
            task.cancel()
            unanswered[kinds[task]] = unanswered.get(kinds[task], 0) + 1
        await asyncio.gather(*late, return_exceptions=True)
    lost = scheduled - len(lat)
    every = sorted(lat + [math.inf] * lost)
    lags.sort()
    out = {"rate": rate, "scheduled": scheduled, "lost": lost, "errors": dict(gen.errors),
           "unanswered": unanswered, "failed": failed,
           "connections": pool.opened,
           "gen_lag_p99_ms": lags[int(len(lags) * 0.99)] * 1000 if lags else 0.0,
           **figures(every or [math.inf], seconds)}
    out["kinds"] = {k: (len(v), figures(sorted(v), seconds)["p99_ms"])
                    for k, v in by_kind.items()}
    out["pass"] = bool(every) and out["p99_ms"] < spec["goal_ms"] and not gen.errors
    gen.errors.clear()
    return out


async def run_open(spec: dict, cpu_s) -> dict:
    """Step the rate up until p99 misses the goal (when the first rate misses, halve it
    down to ``floor``); then try once between the last rate that held and the first
    that did not."""
    gen = Gen(spec)
    gen.measuring = True
    pool = Pool(spec["port"], spec["max_conns"])
    steps: list[dict] = []
    best, failed = 0.0, None
    # a short warm-up at the first rate, not counted: connections, caches
    await _open_step(gen, pool, spec["rates"][0], min(2.0, spec["seconds"]), spec)
    await asyncio.sleep(spec["pause"])
    for rate in spec["rates"]:
        cpu0, t = cpu_s(), time.perf_counter()
        r = await _open_step(gen, pool, rate, spec["seconds"], spec)
        r["gen_cpu"] = (cpu_s() - cpu0) / (time.perf_counter() - t)
        steps.append(r)
        if not r["pass"]:
            failed = rate
            break
        best = rate
        await asyncio.sleep(spec["pause"])
    while not best and failed is not None and failed / 2 >= spec["floor"]:
        # the first rate already missed: halve it until one holds
        await asyncio.sleep(spec["pause"] * 2)
        r = await _open_step(gen, pool, failed / 2, spec["seconds"], spec)
        steps.append(r)
        if r["pass"]:
            best = failed / 2
        else:
            failed /= 2
    if failed is not None and best and failed - best > 100:
        await asyncio.sleep(spec["pause"] * 2)     # the failed step's queue drains
        mid = round((best + failed) / 2 / 50) * 50
        r = await _open_step(gen, pool, mid, spec["seconds"], spec)
        steps.append(r)
        best = mid if r["pass"] else best
    for c in pool.free:
        c.close()
    gen.save()
    return {"steps": steps, "best": best}


def run(spec: dict, cpu_s) -> dict:
    return asyncio.run((run_open if spec.get("open") else run_closed)(spec, cpu_s))

"""Reader benchmark: the article page and the reading heartbeat under 200 concurrent
phones, and the statistics pages, over a store the size of a large company.

    .venv/bin/python bench/reader.py                   # 50,000 employees, 200 issues
    .venv/bin/python bench/reader.py --employees 5000 --issues 20 --seconds 5

The store (SQLite, the embedded default, in a temporary directory): a department tree
集团 › ~10 公司 › ~10 部门 each, the employees, one column with ``--issues`` issues of
5 articles (Chinese texts of 2–4k characters made from the paragraphs of the Chinese
pages of the extraction corpus (bench/_corpus.py), synthesized when it is missing), the outbox of
every issue × employee (state sent; 10M rows at full size) and the reading records of
the 12 newest issues (60 % of the recipients opened, 40 % studied every article, one
page view each). The schema comes from the migrations; the bulk rows are written with
sqlite3 directly (executemany, journal off, one transaction per table).

The server is a real subprocess, ``python -m zhuanlan -c zhuanlan.toml serve`` (one
process, uvicorn as the CLI runs it). The load generator is another process: a raw
asyncio HTTP/1.1 keep-alive client (one connection per client, a request only after the
previous answer), so it costs far less CPU than httpx. Phases, after a warm-up:

- static:   GET /static/style.css (the baseline: the same server, no app code)
- article:  GET /a/{id}?i={issue} as a known reader (the signed ``zhuanlan_reader``
            cookie of a random employee, signed as the app does), an article of the 12
            newest issues
- beat:     POST /read/beat {"v", "a", "s"} as a known reader
- mix:      each client opens an article, then sends ``--beats`` heartbeats of that
            view (15 s, 30 s, …), then the next article, another employee

Then the statistics pages for the whole tree (the newest issue, the column's trend),
logged in as a staff user; the records the run made are counted in the store; the
server's peak RSS is read from /proc/<pid>/status (VmHWM).

The last line is ``RESULT rps=… p50_ms=… p99_ms=… stats_ms=…``: the mix's requests per
second and latency under ``--clients`` clients, and the median time of the whole-tree
statistics page of the newest issue.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

from _corpus import corpus_dir  # noqa: E402
from _proc import cpu_s  # noqa: E402

CORPUS = corpus_dir() / "index.jsonl"      # paragraphs are synthesized when it is missing
SLUG = "xuexi"
ITEMS = 5
READ_ISSUES = 12            # the newest issues that have reading records
OPEN_RATE = 0.6
STUDY_RATE = 0.4
SECRET = "reader-bench-secret-key-0123456789abcdef"
STAFF = ("bench", "bench-password-2026")
VIEW_PREFIX = "zlbench"

COMPANIES = ["北京分公司", "上海分公司", "广州分公司", "深圳分公司", "成都分公司", "武汉分公司",
             "西安分公司", "南京分公司", "杭州分公司", "沈阳分公司", "重庆分公司", "天津分公司"]
DEPARTMENTS = ["办公室", "党群工作部", "人力资源部", "财务部", "市场营销部", "技术研发部",
               "生产运营部", "安全环保部", "审计部", "法律事务部", "采购部", "信息中心"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌海燕鹏宇浩"


def _ts(dt: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (naive UTC) datetime in SQLite."""
    return dt.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


# ---------------------------------------------------------------- texts

def _paragraphs() -> list[str]:
    paras: list[str] = []
    if CORPUS.exists():
        for line in CORPUS.read_text(encoding="utf-8").splitlines():
            page = json.loads(line)
            if page.get("lang") != "zh" or not page.get("body"):
                continue
            for p in page["body"].split("\n"):
                p = p.strip()
                if 40 <= len(p) <= 600 and sum("\u4e00" <= c <= "\u9fff" for c in p) > len(p) / 2:
                    paras.append(p)
    if len(paras) < 50:      # no corpus: synthesize
        words = ["深入学习贯彻党的二十大精神", "推动高质量发展", "坚持以人民为中心",
                 "全面从严治党", "加强基层党组织建设", "弘扬伟大建党精神", "落实主体责任",
                 "提升治理能力", "守正创新", "踔厉奋发", "勇毅前行", "真抓实干"]
        rnd = random.Random(7)
        paras = ["，".join(rnd.choice(words) for _ in range(rnd.randint(8, 30))) + "。"
                 for _ in range(400)]
    return paras


def _texts(n: int, rnd: random.Random) -> list[str]:
    paras = _paragraphs()
    out = []
    for _ in range(n):
        target = rnd.randint(2000, 4000)
        parts, size = [], 0
        while size < target:
            p = rnd.choice(paras)
            parts.append(p)
            size += len(p) + 1
        out.append("\n".join(parts)[:target].rstrip())
    return out


# ---------------------------------------------------------------- the store

def setup(tmp: Path, employees: int, n_issues: int, port: int) -> dict:
    """The config file, the schema (migrations), the staff user, then the bulk rows."""
    from zhuanlan.config import load_config
    from zhuanlan.core import Zhuanlan

    db_path = tmp / "zhuanlan.db"
    toml = tmp / "zhuanlan.toml"
    toml.write_text(f"""data_dir = "{tmp / 'data'}"

[database]
url = "sqlite:///{db_path}"

[web]
host = "127.0.0.1"
port = {port}
secret_key = "{SECRET}"

[worker]
enabled = false

[sample]
enabled = false

[presets]
enabled = false

[log]
level = "warning"
""", encoding="utf-8")
    cfg = load_config(toml, environ={})
    zl = Zhuanlan(cfg)
    zl.migrate()
    zl.add_column(SLUG, "学习二十大", include="二十大 OR 学习", schedule="0 9 * * 1",
                  editor_note="编者按：请各单位认真组织学习。")
    zl.staff.add_user(STAFF[0], STAFF[1], role="viewer", display_name="统计查看")
    column_id = zl.get_column(SLUG)["id"]
    zl.close()

    rnd = random.Random(2026)
    now = datetime.now(UTC)
    con = sqlite3.connect(db_path, isolation_level=None)
    con.execute("PRAGMA journal_mode=OFF")
    con.execute("PRAGMA synchronous=OFF")
    con.execute("PRAGMA cache_size=-1000000")
    con.execute("PRAGMA temp_store=MEMORY")
    created = _ts(now - timedelta(days=7 * n_issues + 30))

    # departments: 集团 › companies › departments
    con.execute("BEGIN")
    con.execute("INSERT INTO departments (id, name, parent_id, path, created_at) "
                "VALUES (1, '集团', NULL, '集团', ?)", (created,))
    leaves: list[tuple[int, str]] = []
    next_id = 2
    for company in rnd.sample(COMPANIES, rnd.randint(9, 11)):
        cid = next_id
        next_id += 1
        con.execute("INSERT INTO departments (id, name, parent_id, path, created_at) "
                    "VALUES (?, ?, 1, ?, ?)", (cid, company, f"集团/{company}", created))
        for dept in rnd.sample(DEPARTMENTS, rnd.randint(9, 11)):
            path = f"集团/{company}/{dept}"
            con.execute("INSERT INTO departments (id, name, parent_id, path, created_at) "
                        "VALUES (?, ?, ?, ?, ?)", (next_id, dept, cid, path, created))
            leaves.append((next_id, path))
            next_id += 1
    n_departments = next_id - 1

    # employees
    def people():
        for i in range(1, employees + 1):
            dept_id, path = leaves[rnd.randrange(len(leaves))]
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN)
                                                  for _ in range(rnd.randint(1, 2)))
            yield (i, f"e{i:06d}@corp.example.com", name, f"E{i:06d}", path, 1, created,
                   dept_id, created)
    con.executemany("INSERT INTO subscribers (id, email, name, employee_no, department, active, "
                    "created_at, department_id, updated_at) VALUES (?,?,?,?,?,?,?,?,?)", people())

    # articles, issues, items
    texts = _texts(n_issues * ITEMS, rnd)
    titles = ["深入学习贯彻党的二十大精神", "以高质量党建引领高质量发展", "坚定不移推进全面从严治党",
              "奋力谱写中国式现代化新篇章", "牢记嘱托 砥砺前行", "把学习成果转化为工作实效"]
    article_rows, issue_rows, item_rows = [], [], []
    issue_time = {}
    for n in range(1, n_issues + 1):
        published = now - timedelta(days=7 * (n_issues - n), hours=26)
        issue_time[n] = published
        issue_rows.append((n, column_id, n, f"学习二十大 第{n}期", "编者按：请认真学习。",
                           _ts(published)))
        for k in range(ITEMS):
            aid = (n - 1) * ITEMS + k + 1
            text = texts[aid - 1]
            url = f"https://www.news.cn/politics/2026/{aid:06d}.htm"
            article_rows.append((aid, url, url, hashlib.sha256(f"{aid}{text}".encode()).hexdigest(),
                                 f"{rnd.choice(titles)}（{n}-{k + 1}）", text, "", text,
                                 _ts(published - timedelta(days=1)), "新华社", "zh", "",
                                 _ts(published - timedelta(days=1))))
            item_rows.append((n, aid, k))
    con.executemany("INSERT INTO articles (id, url, canonical_url, content_hash, title, text, "
                    "title_orig, text_orig, published_at, source_name, lang, flags, created_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", article_rows)
    con.executemany("INSERT INTO issues (id, column_id, number, title, editor_note, published_at) "
                    "VALUES (?,?,?,?,?,?)", issue_rows)
    con.executemany("INSERT INTO issue_items (issue_id, article_id, position) VALUES (?,?,?)",
                    item_rows)
    con.execute("COMMIT")

    # the outbox: every issue × employee, sent
    con.execute("BEGIN")
    sql = ("INSERT INTO deliveries (issue_id, subscriber_id, channel, state, attempts, "
           "next_attempt_at, sent_at, created_at) VALUES (?,?,'email','sent',1,?,?,?)")
    for n in range(1, n_issues + 1):
        at = _ts(issue_time[n])
        sent = _ts(issue_time[n] + timedelta(minutes=3))
        con.executemany(sql, ((n, s, at, sent, at) for s in range(1, employees + 1)))
    con.execute("COMMIT")

    # reading records of the newest issues
    con.execute("BEGIN")
    reading_rows, view_rows = [], []
    rid = 0
    for n in range(max(1, n_issues - READ_ISSUES + 1), n_issues + 1):
        base = issue_time[n]
        # reads spread over 3 days after the push, never later than a minute ago
        span = max(2, min(3 * 24 * 60, int((now - base).total_seconds() // 60) - 15))
        first = (n - 1) * ITEMS + 1
        for s in range(1, employees + 1):
            r = rnd.random()
            if r >= OPEN_RATE:
                continue
            studied = r < STUDY_RATE
            arts = range(first, first + ITEMS) if studied else \
                rnd.sample(range(first, first + ITEMS), rnd.randint(1, ITEMS))
            for aid in arts:
                rid += 1
                opened = base + timedelta(minutes=rnd.randint(1, span))
                secs = rnd.randint(60, 600) if studied else rnd.randint(5, 300)
                seen = opened + timedelta(seconds=secs)
                reading_rows.append((rid, f"s:{s}", s, aid, n, _ts(opened), _ts(seen), secs,
                                     _ts(seen) if studied else None))
                view_rows.append((f"seed{rid:012d}", rid, secs, _ts(opened)))
        con.executemany("INSERT INTO readings (id, reader, subscriber_id, article_id, issue_id, "
                        "opened_at, last_seen_at, active_seconds, studied_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?)", reading_rows)
        con.executemany("INSERT INTO reading_views (view_id, reading_id, seconds, started_at) "
                        "VALUES (?,?,?,?)", view_rows)
        reading_rows.clear()
        view_rows.clear()
    con.execute("COMMIT")
    con.execute("PRAGMA journal_mode=WAL")
    counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("departments", "subscribers", "articles", "issues", "deliveries",
                        "readings", "reading_views")}
    con.close()
    recent = [(aid, n) for n in range(max(1, n_issues - READ_ISSUES + 1), n_issues + 1)
              for aid in range((n - 1) * ITEMS + 1, n * ITEMS + 1)]
    return {"toml": str(toml), "db": str(db_path), "counts": counts, "recent": recent,
            "latest": n_issues, "departments": n_departments,
            "text_chars": statistics.mean(len(t) for t in texts)}


def store_mb(db: str) -> float:
    return sum(Path(db + s).stat().st_size for s in ("", "-wal", "-shm")
               if Path(db + s).exists()) / 1e6


# ---------------------------------------------------------------- the load generator

class _Conn(asyncio.Protocol):
    """One phone on one keep-alive HTTP/1.1 connection: send a request, wait for the whole
    answer, send the next. In the mix: open an article, send ``beats`` heartbeats of that
    view (15 s, 30 s, …), then another article as another employee."""

    def __init__(self, gen: _Load) -> None:
        self.gen = gen
        self.buf = bytearray()
        self.transport = None
        self.meta: tuple = ()
        self.view: dict | None = None
        self.started = 0.0
        self.need = -1
        self.header_end = -1
        self.done = asyncio.get_running_loop().create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        self.next()

    def next(self) -> None:
        gen = self.gen
        if time.perf_counter() >= gen.deadline:
            self.transport.close()
            return
        v = self.view
        if gen.kind == "static":
            self.meta = ("static",)
            data = STATIC_REQUEST
        elif v is not None and v["left"] > 0:
            v["left"] -= 1
            v["seconds"] += 15
            self.meta = ("beat", v["sid"], v["aid"], v["view"], v["seconds"])
            data = gen.beat(*self.meta[1:])
        else:
            sid = gen.rnd.randint(1, gen.spec["employees"])
            aid, iid = gen.rnd.choice(gen.spec["recent"])
            v = self.view = {"sid": sid, "aid": aid, "view": gen.new_view(), "seconds": 0,
                             "left": gen.spec["beats"] if gen.kind == "mix" else 0}
            if gen.kind == "beat":
                v["seconds"] = 15
                self.meta = ("beat", sid, aid, v["view"], 15)
                data = gen.beat(*self.meta[1:])
            else:
                self.meta = ("article", sid, aid)
                data = gen.get_article(sid, aid, iid)
        self.buf.clear()
        self.need = -1
        self.header_end = -1
        self.started = time.perf_counter()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if self.header_end < 0:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.header_end = end + 4
            head = bytes(self.buf[:end]).lower()
            m = re.search(rb"\r\ncontent-length:\s*(\d+)", head)
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
        latency = time.perf_counter() - self.started
        status = int(self.buf[9:12])
        anon = b"zhuanlan_anon=" in self.buf[:self.header_end]
        self.gen.record(self.meta, status, latency, anon)
        self.next()

    def connection_lost(self, exc) -> None:
        if not self.done.done():
            self.done.set_result(exc)


STATIC_REQUEST = b"GET /static/style.css HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: zl-bench\r\n\r\n"


class _Load:
    def __init__(self, spec: dict) -> None:
        from zhuanlan.links import LinkSigner

        self.spec = spec
        self.kind = spec["kind"]
        self.rnd = random.Random(spec["seed"])
        self.signer = LinkSigner(SECRET)      # the app's signer, the app's key
        self.cookies: dict[int, str] = {}
        self.deadline = 0.0
        self.measuring = False
        self.lat: dict[str, list[float]] = {"static": [], "article": [], "beat": []}
        self.errors: dict[str, int] = {}
        self.anonymous = 0
        self.pairs: set[tuple[int, int]] = set()       # (employee, article) answered
        self.views: dict[str, int] = {}                # view id → highest seconds answered
        self.n_views = 0
        self.answered = 0                              # warm-up included

    def cookie(self, sid: int) -> str:
        c = self.cookies.get(sid)
        if c is None:
            c = self.cookies[sid] = self.signer.sign("reader-cookie", sid)
        return c

    def get_article(self, sid: int, aid: int, iid: int) -> bytes:
        return (f"GET /a/{aid}?i={iid} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"User-Agent: zl-bench\r\nAccept: text/html\r\n"
                f"Cookie: zhuanlan_reader={self.cookie(sid)}\r\n\r\n").encode()

    def beat(self, sid: int, aid: int, view: str, seconds: int) -> bytes:
        body = json.dumps({"v": view, "a": aid, "s": seconds}, separators=(",", ":")).encode()
        return (f"POST /read/beat HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: zl-bench\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Cookie: zhuanlan_reader={self.cookie(sid)}\r\n\r\n").encode() + body

    def new_view(self) -> str:
        self.n_views += 1
        return f"{VIEW_PREFIX}{self.spec['seed']:03d}{self.n_views:010d}"

    def record(self, meta: tuple, status: int, latency: float, anon: bool) -> None:
        kind = meta[0]
        self.answered += 1
        ok = status == (204 if kind == "beat" else 200)
        if not ok:
            key = f"{kind} {status}"
            self.errors[key] = self.errors.get(key, 0) + 1
            return
        if self.measuring:
            self.lat[kind].append(latency)
        self.anonymous += anon
        if kind != "static":
            self.pairs.add((meta[1], meta[2]))
        if kind == "beat" and self.views.get(meta[3], 0) < meta[4]:
            self.views[meta[3]] = meta[4]


async def _run_load(spec: dict) -> dict:
    gen = _Load(spec)
    loop = asyncio.get_running_loop()
    warm, seconds = spec["warmup"], spec["seconds"]
    gen.deadline = time.perf_counter() + warm + seconds
    conns = []
    for _ in range(spec["clients"]):
        _, proto = await loop.create_connection(lambda: _Conn(gen), "127.0.0.1", spec["port"])
        conns.append(proto)
    if warm:
        await asyncio.sleep(warm)
    gen.measuring = True
    cpu0 = cpu_s()
    t_start = time.perf_counter()
    await asyncio.gather(*(c.done for c in conns))
    elapsed = time.perf_counter() - t_start
    cpu = cpu_s() - cpu0
    out = {"elapsed": elapsed, "errors": gen.errors, "anonymous": gen.anonymous,
           "answered": gen.answered,
           "gen_cpu": cpu / elapsed, "kinds": {}}
    for kind, lat in gen.lat.items():
        if lat:
            lat.sort()
            out["kinds"][kind] = _figures(lat, elapsed)
    every = sorted(x for lat in gen.lat.values() for x in lat)
    if every:
        out["all"] = _figures(every, elapsed)
    Path(spec["out"]).write_text(json.dumps({"pairs": sorted(gen.pairs), "views": gen.views}))
    return out


def _figures(lat: list[float], elapsed: float) -> dict:
    return {"n": len(lat), "rps": len(lat) / elapsed,
            "p50_ms": lat[len(lat) // 2] * 1000,
            "p99_ms": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000,
            "max_ms": lat[-1] * 1000}




def load_phase(spec: dict) -> dict:
    """Run the load generator in its own process and return its figures."""
    out = subprocess.run([sys.executable, __file__, "--child-load", json.dumps(spec)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the server

def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(toml: str, port: int, tmp: Path) -> subprocess.Popen:
    log = open(tmp / "server.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "zhuanlan", "-c", toml, "serve"],
                            cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                            env=dict(os.environ, PYTHONPATH=os.environ.get(
                                "ZL_BENCH_SERVER_SRC", str(ROOT / "src"))))
    import httpx
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {(tmp / 'server.log').read_text()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("server did not start")


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def stats_timings(port: int, latest: int, repeat: int = 5) -> dict:
    import httpx
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                          follow_redirects=False)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"username": STAFF[0], "password": STAFF[1],
                                    "csrf_token": csrf, "next": "/admin"})
    assert r.status_code == 303, (r.status_code, r.text[:500])
    out = {}
    for name, url in (("issue", f"/admin/stats/c/{SLUG}/{latest}"),
                      ("trend", f"/admin/stats/c/{SLUG}")):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            r = client.get(url)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (url, r.status_code, r.text[:300])
        out[name] = {"median_ms": statistics.median(times), "min_ms": min(times),
                     "first_ms": times[0], "bytes": len(r.content), "html": r.text}
    client.close()
    return out


# ---------------------------------------------------------------- driver

def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--employees", type=int, default=50_000)
    p.add_argument("--issues", type=int, default=200)
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds per phase")
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--beats", type=int, default=2,
                   help="heartbeats per article view in the mix (default 2)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory")
    p.add_argument("--child-load", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child_load:
        print(json.dumps(asyncio.run(_run_load(json.loads(args.child_load)))))
        return

    cpus = os.cpu_count()
    print(f"reader benchmark: {args.employees:,} employees, {args.issues} issues × {ITEMS} "
          f"articles, {args.clients} clients, {args.seconds:g} s per phase, {cpus} CPUs — "
          f"the load generator (its own process) and the server share them")
    print(f"load average before: {_loadavg()} (other work on the machine shows here)")
    tmp = Path(tempfile.mkdtemp(prefix="zl-reader-bench-"))
    port = free_port()
    t0 = time.perf_counter()
    info = setup(tmp, args.employees, args.issues, port)
    setup_s = time.perf_counter() - t0
    c = info["counts"]
    print(f"setup {setup_s:.1f} s: {c['departments']} departments, {c['subscribers']:,} "
          f"employees, {c['articles']:,} articles (mean {info['text_chars']:.0f} chars), "
          f"{c['issues']} issues, {c['deliveries']:,} deliveries, {c['readings']:,} readings, "
          f"{c['reading_views']:,} reading views; store {store_mb(info['db']):,.0f} MB")

    server = start_server(info["toml"], port, tmp)
    try:
        run(args, info, server, port, tmp)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        if args.keep:
            print(f"kept {tmp}")
        else:
            import shutil
            shutil.rmtree(tmp, ignore_errors=True)


def run(args, info: dict, server: subprocess.Popen, port: int, tmp: Path) -> None:
    base = {"port": port, "clients": args.clients, "employees": args.employees,
            "recent": info["recent"], "beats": args.beats}
    t_run = datetime.now(UTC) - timedelta(seconds=1)
    outs = []

    def phase(kind: str, seed: int, warm: float) -> dict:
        out = str(tmp / f"load-{kind}-{seed}.json")
        outs.append(out)
        cpu0 = cpu_s(server.pid)
        r = load_phase({**base, "kind": kind, "seed": seed, "warmup": warm,
                        "seconds": args.seconds, "out": out})
        cpu = cpu_s(server.pid) - cpu0
        r["server_cpu"] = cpu / (r["elapsed"] + warm)
        r["cpu_ms"] = cpu * 1000 / max(1, r["answered"])
        return r

    warm = min(5.0, max(1.0, args.seconds / 4))
    print(f"each phase: {warm:g} s warm-up (same load, not counted), then {args.seconds:g} s "
          f"measured")
    results = {}
    for i, kind in enumerate(("static", "article", "beat", "mix")):
        r = results[kind] = phase(kind, i + 1, warm)
        k = r["all"]
        errs = f", errors {r['errors']}" if r["errors"] else ""
        anon = f", ANONYMOUS answers {r['anonymous']}" if r["anonymous"] else ""
        print(f"{kind:8} {k['rps']:8.0f} req/s  p50 {k['p50_ms']:7.1f} ms  p99 "
              f"{k['p99_ms']:7.1f} ms  (n={k['n']:,}; CPU: server {r['server_cpu']:.0%} of a "
              f"core, {r['cpu_ms']:.2f} ms a request; generator {r['gen_cpu']:.0%})"
              f"{errs}{anon}")
        if kind == "mix":
            for sub in ("article", "beat"):
                s = r["kinds"][sub]
                print(f"  mix/{sub:7} {s['rps']:6.0f} req/s  p50 {s['p50_ms']:7.1f} ms  p99 "
                      f"{s['p99_ms']:7.1f} ms")
    static, article = results["static"]["all"], results["article"]["all"]
    print(f"article page vs static file: {article['rps'] / static['rps']:.2f}× the static "
          f"rps ({article['rps']:.0f} / {static['rps']:.0f})")

    # (b) statistics
    st = stats_timings(port, info["latest"])
    issue, trend = st["issue"], st["trend"]
    m = re.search(r"应学 (\d+) 人 · 已送达 (\d+) · 已打开 (\d+)\s*· 已学习 <strong[^>]*>(\d+)",
                  issue["html"])
    shown = (f" (page says 应学 {m.group(1)}, 已打开 {m.group(3)}, 已学习 {m.group(4)})"
             if m else "")
    print(f"stats, whole tree, issue {info['latest']}: median {issue['median_ms']:.0f} ms of 5 "
          f"(first {issue['first_ms']:.0f}, min {issue['min_ms']:.0f}; "
          f"{issue['bytes'] / 1e3:.0f} kB){shown}")
    print(f"stats, column trend (12 issues): median {trend['median_ms']:.0f} ms of 5 "
          f"(first {trend['first_ms']:.0f}, min {trend['min_ms']:.0f})")

    # (d) the records reached the store
    time.sleep(1.5)            # > the 0.5 s flush interval
    pairs, views = set(), {}
    for out in outs:
        data = json.loads(Path(out).read_text())
        pairs.update(map(tuple, data["pairs"]))
        for v, s in data["views"].items():
            views[v] = max(views.get(v, 0), s)
    con = sqlite3.connect(f"file:{info['db']}?mode=ro", uri=True)
    touched = con.execute("SELECT count(*) FROM readings WHERE last_seen_at >= ? "
                          "AND reader LIKE 's:%'", (_ts(t_run),)).fetchone()[0]
    anon = con.execute("SELECT count(*) FROM readings WHERE reader LIKE 'a:%'").fetchone()[0]
    n_views, secs = con.execute("SELECT count(*), coalesce(sum(seconds), 0) FROM reading_views "
                                "WHERE view_id LIKE ?", (VIEW_PREFIX + "%",)).fetchone()
    new_readings = con.execute("SELECT count(*) FROM readings").fetchone()[0] - \
        info["counts"]["readings"]
    con.close()
    ok = touched == len(pairs) and n_views == len(views) and secs == sum(views.values())
    print(f"records: {len(pairs):,} (employee, article) pairs answered → {touched:,} readings "
          f"touched ({new_readings:,} new); {len(views):,} views beaten → {n_views:,} "
          f"reading_views rows, seconds {secs:,} of {sum(views.values()):,}; anonymous "
          f"readings {anon} — {'OK, nothing dropped' if ok else 'MISMATCH'}")
    rss = vm_hwm_mb(server.pid)
    print(f"server peak RSS (VmHWM) {rss:.0f} MB; store now {store_mb(info['db']):,.0f} MB")
    print(f"load average after: {_loadavg()}")
    mix = results["mix"]["all"]
    print(f"RESULT rps={mix['rps']:.0f} p50_ms={mix['p50_ms']:.1f} p99_ms={mix['p99_ms']:.1f} "
          f"stats_ms={issue['median_ms']:.0f}")


if __name__ == "__main__":
    main()

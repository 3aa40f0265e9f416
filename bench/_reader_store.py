"""The reader benchmark's store: a company of ``employees`` people, ``issues`` issues,
their outbox and reading records, on SQLite (the default) or a fresh PostgreSQL database.

The schema comes from the migrations; the bulk rows are written directly — on SQLite with
executemany (journal off, one transaction per table), on PostgreSQL with COPY — because
the app's own writes would take an hour at this size. Afterwards ``query`` reads the
store the same way on both (``?`` placeholders)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import sqlite3
import statistics
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _corpus import corpus_dir

CORPUS = corpus_dir() / "index.jsonl"      # paragraphs are synthesized when it is missing
SLUG = "xuexi"
ITEMS = 5
READ_ISSUES = 12            # the newest issues that have reading records
OPEN_RATE = 0.6
STUDY_RATE = 0.4
SECRET = "reader-bench-secret-key-0123456789abcdef"
STAFF = ("bench", "bench-password-2026")
ROLLUP_REVISION = "0024"     # the revision before the statistics' roll-up (0025)
PG_SERVER = os.environ.get("ZL_BENCH_PG", f"{os.environ.get('USER') or 'root'}@127.0.0.1:5432")

COMPANIES = ["北京分公司", "上海分公司", "广州分公司", "深圳分公司", "成都分公司", "武汉分公司",
             "西安分公司", "南京分公司", "杭州分公司", "沈阳分公司", "重庆分公司", "天津分公司"]
DEPARTMENTS = ["办公室", "党群工作部", "人力资源部", "财务部", "市场营销部", "技术研发部",
               "生产运营部", "安全环保部", "审计部", "法律事务部", "采购部", "信息中心"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌海燕鹏宇浩"


def ts(dt: datetime) -> str:
    """How SQLAlchemy's DateTime stores a (naive UTC) datetime."""
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


# ---------------------------------------------------------------- writing rows

class _SqliteRows:
    def __init__(self, path: str) -> None:
        self.con = sqlite3.connect(path, isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-1000000",
                       "temp_store=MEMORY"):
            self.con.execute(f"PRAGMA {pragma}")

    def put(self, table: str, cols: str, rows) -> None:
        marks = ",".join("?" * len(cols.split(",")))
        self.con.execute("BEGIN")
        self.con.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        self.con.execute("COMMIT")

    def close(self) -> None:
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.close()


class _PgRows:
    def __init__(self, dsn: str) -> None:
        import psycopg
        self.con = psycopg.connect(dsn, autocommit=True)

    def put(self, table: str, cols: str, rows) -> None:
        with self.con.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def close(self) -> None:
        # The rows came with their ids: move the sequences past them, then plan with
        # real statistics.
        for table in ("departments", "subscribers", "articles", "issues", "readings"):
            self.con.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT max(id) FROM {table}))")
        self.con.execute("VACUUM ANALYZE")
        self.con.close()


def _pg_admin():
    import psycopg
    user, host = PG_SERVER.split("@")
    h, port = host.split(":")
    return psycopg.connect(f"host={h} port={port} user={user} dbname=postgres", autocommit=True)


def _pg_dsn(name: str) -> str:
    user, host = PG_SERVER.split("@")
    h, port = host.split(":")
    return f"host={h} port={port} user={user} dbname={name}"


def drop(info: dict) -> None:
    """Drop the run's PostgreSQL database (the SQLite file goes with its directory)."""
    if info.get("pg_db"):
        with _pg_admin() as con:
            con.execute(f'DROP DATABASE IF EXISTS "{info["pg_db"]}" WITH (FORCE)')


def drop_orphans(con) -> list[str]:
    """Drop the databases of earlier runs whose driver is gone (killed before its own
    cleanup): named for the driver's pid, which no longer runs on this machine."""
    names = [r[0] for r in con.execute(
        "SELECT datname FROM pg_database WHERE datname LIKE 'zl\\_reader\\_bench\\_%'")]
    gone = [n for n in names
            if n.rsplit("_", 1)[1].isdigit() and not _alive(int(n.rsplit("_", 1)[1]))]
    for name in gone:
        con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return gone


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- the store

def setup(tmp: Path, employees: int, n_issues: int, port: int, pg: bool = False) -> dict:
    """The config file, the schema (migrations), the staff user, then the bulk rows."""
    from zhuanlan.config import load_config
    from zhuanlan.core import Zhuanlan

    db_path = tmp / "zhuanlan.db"
    info: dict = {"db": str(db_path), "pg_db": None}
    if pg:
        info["pg_db"] = f"zl_reader_bench_{os.getpid()}"
        with _pg_admin() as con:
            for name in drop_orphans(con):
                print(f"dropped {name}, left by a run that was killed")
            con.execute(f'CREATE DATABASE "{info["pg_db"]}"')
        url = f"postgresql+psycopg://{PG_SERVER}/{info['pg_db']}"
    else:
        url = f"sqlite:///{db_path}"
    toml = tmp / "zhuanlan.toml"
    toml.write_text(f"""data_dir = "{tmp / 'data'}"

[database]
url = "{url}"

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
    # The bulk rows go in before the statistics' roll-up and its triggers (migration
    # 0025), which would recompute it row by row; the upgrade afterwards fills it in one
    # grouped pass, as it does for an existing store.
    from zhuanlan.store import Database, migrate
    store_url = url           # (``url`` names the articles' addresses below)
    db = Database(store_url)
    migrate.downgrade(db, ROLLUP_REVISION)
    db.dispose()            # the bulk writer below wants the file to itself

    sink = _PgRows(_pg_dsn(info["pg_db"])) if pg else _SqliteRows(str(db_path))
    rnd = random.Random(2026)
    now = datetime.now(UTC)
    created = ts(now - timedelta(days=7 * n_issues + 30))

    # departments: 集团 › companies › departments
    dept_rows = [(1, "集团", None, "集团", created)]
    leaves: list[tuple[int, str]] = []
    for company in rnd.sample(COMPANIES, rnd.randint(9, 11)):
        cid = len(dept_rows) + 1
        dept_rows.append((cid, company, 1, f"集团/{company}", created))
        for dept in rnd.sample(DEPARTMENTS, rnd.randint(9, 11)):
            path = f"集团/{company}/{dept}"
            dept_rows.append((len(dept_rows) + 1, dept, cid, path, created))
            leaves.append((len(dept_rows), path))
    sink.put("departments", "id, name, parent_id, path, created_at", dept_rows)

    def people():
        for i in range(1, employees + 1):
            dept_id, path = leaves[rnd.randrange(len(leaves))]
            name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN)
                                                  for _ in range(rnd.randint(1, 2)))
            yield (i, f"e{i:06d}@corp.example.com", name, f"E{i:06d}", path, True, created,
                   dept_id, created)
    sink.put("subscribers", "id, email, name, employee_no, department, active, created_at, "
             "department_id, updated_at", people())

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
                           ts(published)))
        for k in range(ITEMS):
            aid = (n - 1) * ITEMS + k + 1
            text = texts[aid - 1]
            url = f"https://www.news.cn/politics/2026/{aid:06d}.htm"
            article_rows.append((aid, url, url, hashlib.sha256(f"{aid}{text}".encode()).hexdigest(),
                                 f"{rnd.choice(titles)}（{n}-{k + 1}）", text, "", text,
                                 ts(published - timedelta(days=1)), "新华社", "zh", "",
                                 ts(published - timedelta(days=1))))
            item_rows.append((n, aid, k))
    sink.put("articles", "id, url, canonical_url, content_hash, title, text, title_orig, "
             "text_orig, published_at, source_name, lang, flags, created_at", article_rows)
    sink.put("issues", "id, column_id, number, title, editor_note, published_at", issue_rows)
    sink.put("issue_items", "issue_id, article_id, position", item_rows)

    # the outbox: every issue × employee, sent
    def outbox():
        for n in range(1, n_issues + 1):
            at = ts(issue_time[n])
            sent = ts(issue_time[n] + timedelta(minutes=3))
            for s in range(1, employees + 1):
                yield (n, s, "email", "sent", 1, at, sent, at)
    sink.put("deliveries", "issue_id, subscriber_id, channel, state, attempts, "
             "next_attempt_at, sent_at, created_at", outbox())

    # reading records of the newest issues
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
                reading_rows.append((rid, f"s:{s}", s, aid, n, ts(opened), ts(seen), secs,
                                     ts(seen) if studied else None))
                view_rows.append((f"seed{rid:012d}", rid, secs, ts(opened)))
        sink.put("readings", "id, reader, subscriber_id, article_id, issue_id, opened_at, "
                 "last_seen_at, active_seconds, studied_at", reading_rows)
        sink.put("reading_views", "view_id, reading_id, seconds, started_at", view_rows)
        reading_rows.clear()
        view_rows.clear()
    sink.close()
    db = Database(store_url)
    migrate.upgrade(db)
    db.dispose()
    if pg:
        import psycopg
        with psycopg.connect(_pg_dsn(info["pg_db"]), autocommit=True) as con:
            con.execute("VACUUM ANALYZE study_progress")
            # The load's gigabytes of WAL written out now: the server's log showed
            # checkpoints of the load running through the phases (one of 115 s during
            # `study`), the aftermath of the bulk load, not a 9:00 morning.
            con.execute("CHECKPOINT")
    info.update(toml=str(toml), url=store_url)
    info["counts"] = {t: query(info, f"SELECT count(*) FROM {t}")[0][0]
                      for t in ("departments", "subscribers", "articles", "issues", "deliveries",
                                "readings", "reading_views")}
    info["recent"] = [(aid, n) for n in range(max(1, n_issues - READ_ISSUES + 1), n_issues + 1)
                      for aid in range((n - 1) * ITEMS + 1, n * ITEMS + 1)]
    info.update(latest=n_issues, departments=len(dept_rows),
                text_chars=statistics.mean(len(t) for t in texts))
    return info


def query(info: dict, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the store (``?`` placeholders; datetimes as aware UTC)."""
    params = tuple(ts(p) if isinstance(p, datetime) else p for p in params)
    if info.get("pg_db"):
        import psycopg
        with psycopg.connect(_pg_dsn(info["pg_db"])) as con:
            # psycopg sends str as "unknown": compared with a timestamp it is one
            return con.execute(sql.replace("?", "%s"), params).fetchall()
    con = sqlite3.connect(f"file:{info['db']}?mode=ro", uri=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def store_mb(info: dict) -> float:
    if info.get("pg_db"):
        return query(info, "SELECT pg_database_size(current_database())")[0][0] / 1e6
    db = info["db"]
    return sum(Path(db + s).stat().st_size for s in ("", "-wal", "-shm")
               if Path(db + s).exists()) / 1e6

"""Settings, declared once as a table: name, type, default, help.

Read from ``zhuanlan.toml`` (sections map to the dotted names: ``[smtp] host = …`` is
``smtp.host``), then from ``ZHUANLAN_*`` environment variables (``ZHUANLAN_SMTP_HOST``),
then the default. Bootstrap settings live here; editorial ones (columns, schedules,
subscribers) live in the store.
"""

from __future__ import annotations

import os
import threading
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from zhuanlan.errors import ConfigError
from zhuanlan.redact import redact_url


@dataclass(frozen=True)
class Setting:
    name: str
    type: str          # str, int, float, bool, list, timezone
    default: Any
    help: str
    secret: bool = False


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "str", "./data", "Directory for the SQLite database and kept files."),
    Setting("database.url", "str", "",
            "SQLAlchemy URL of the store. Empty: SQLite at `{data_dir}/zhuanlan.db`. "
            "PostgreSQL: `postgresql+psycopg://user@host/db`."),
    Setting("web.host", "str", "127.0.0.1", "Address the web app binds to."),
    Setting("web.port", "int", 8000, "Port the web app listens on."),
    Setting("web.base_url", "str", "",
            "Public URL of the web app, used for links in e-mails and feeds. Empty: "
            "`http://{web.host}:{web.port}`."),
    Setting("web.secret_key", "str", "",
            "Key that signs session cookies, personal reader links and unsubscribe links. "
            "Empty: a random key kept in `{data_dir}/secret.key`. Set the same value on every"
            " web process and worker.",
            secret=True),
    Setting("web.secure_cookies", "bool", False,
            "Mark the session cookie Secure (set it when the site is served over HTTPS)."),
    Setting("web.session_hours", "int", 12, "Hours a staff login lasts."),
    Setting("web.login_attempts", "int", 5,
            "Failed logins allowed per (user name, address) in 15 minutes (4× per address; "
            "10× per user name, counted only against addresses the user never logged in "
            "from); then 429 with Retry-After."),
    Setting("timezone", "timezone", "Asia/Shanghai",
            "Default time zone for schedules and for dates a page gives without one."),
    Setting("smtp.host", "str", "127.0.0.1", "SMTP server host."),
    Setting("smtp.port", "int", 25, "SMTP server port."),
    Setting("smtp.security", "str", "none", "`none`, `starttls` or `ssl`."),
    Setting("smtp.username", "str", "", "SMTP login (empty: no login)."),
    Setting("smtp.password", "str", "", "SMTP password (secret).", secret=True),
    Setting("smtp.sender", "str", "zhuanlan@localhost", "From: address of pushed issues."),
    Setting("smtp.timeout", "float", 30.0, "Seconds before an SMTP operation gives up."),
    Setting("smtp.connections", "int", 4,
            "SMTP connections a worker sends over in parallel (1–64), each reused for many "
            "messages."),
    Setting("smtp.rate_per_second", "float", 0.0,
            "Most messages a worker sends per second, over all its connections (`0`: no "
            "limit)."),
    Setting("fetch.timeout", "float", 20.0,
            "Total seconds allowed for one HTTP request, redirects and body included."),
    Setting("fetch.max_bytes", "int", 10 * 1024 * 1024,
            "Largest response body accepted, after decompression."),
    Setting("fetch.max_redirects", "int", 5, "Redirects followed before giving up."),
    Setting("fetch.user_agent", "str", "zhuanlan/0.1 (+https://github.com/zhuanlan)",
            "User-Agent sent to sources."),
    Setting("fetch.allow_private", "list", [],
            "Hosts, `host:port` pairs or CIDR networks that may be fetched although private, "
            "loopback or link-local (the SSRF guard refuses them otherwise). Comma-separated "
            "in the environment."),
    Setting("fetch.robots", "bool", True, "Obey robots.txt (as user agent `zhuanlan`)."),
    Setting("fetch.per_host_concurrency", "int", 2, "Requests in flight per host:port."),
    Setting("fetch.per_host_delay", "float", 1.0,
            "Seconds between two request starts on one host:port."),
    Setting("fetch.retries", "int", 3,
            "Further attempts after a timeout, connection failure, 5xx, 408 or 429."),
    Setting("fetch.backoff_base", "float", 1.0,
            "Seconds; the pause before retry n is random in [0, base·2ⁿ)."),
    Setting("fetch.backoff_cap", "float", 60.0,
            "Longest pause between retries; a longer Retry-After ends the fetch and the "
            "source or page is tried again no earlier than the server asked."),
    Setting("fetch.max_concurrency", "int", 16, "Requests in flight overall."),
    Setting("dedup.window_days", "int", 90,
            "Days of articles the near-duplicate index covers (reposts older than this start "
            "a new story)."),
    Setting("worker.enabled", "bool", True, "Run the worker loop inside `zhuanlan run`."),
    Setting("worker.idle_seconds", "float", 2.0, "Pause of the worker loop when no work is due."),
    Setting("worker.lease_seconds", "float", 120.0,
            "How long a claimed row stays claimed before another worker may take it."),
    Setting("worker.batch", "int", 20, "Rows claimed at once."),
    Setting("worker.processes", "int", 0,
            "Processes that extract pages in parallel (0: one per core; 1: in the worker)."),
    Setting("extract.min_body_chars", "int", 50,
            "Fewest characters (spaces not counted) of an article body after cleaning; a "
            "shorter page fails as `too_short`, unless the body is clearly the page's main "
            "content (the headline right above it, nothing longer beside it): that one is "
            "kept and flagged `short`."),
    Setting("sources.poll_minutes", "int", 30, "Default minutes between two polls of a source."),
    Setting("sources.max_new_per_poll", "int", 200,
            "Most new entries one poll queues, newest first; the rest wait for the next polls"
            " (soon after), and the source's status says 有积压. A source may set its own "
            "(`max_new_per_poll`)."),
    Setting("people.max_upload_mb", "int", 20,
            "Largest people file (CSV or XLSX) the web upload takes, in megabytes."),
    Setting("people.max_rows", "int", 200_000,
            "Most rows of a people file; more is refused with a message."),
    Setting("people.max_columns", "int", 64, "Most columns in a row of a people file."),
    Setting("people.max_cells", "int", 2_000_000, "Most cells of a people file in all."),
    Setting("people.max_shared_strings", "int", 1_000_000,
            "Most shared strings an XLSX people file may declare."),
    Setting("images.enabled", "bool", True,
            "Fetch the images of articles once (through the polite fetcher, with the article "
            "as Referer) and serve them from this server at `/img/{id}`; off: the worker "
            "fetches none and the reader shows only those already kept."),
    Setting("images.max_bytes", "int", 5 * 1024 * 1024,
            "Largest image kept (JPEG, PNG, GIF or WebP, checked by its bytes); a larger one "
            "is marked `too_large` and not shown; reading stops at this size (and never goes "
            "beyond `fetch.max_bytes`)."),
    Setting("sample.enabled", "bool", True,
            "Serve the bundled sample site locally and keep the sample column fed from it."),
    Setting("sample.port", "int", 8765, "Port of the local sample site (127.0.0.1)."),
    Setting("presets.enabled", "bool", True,
            "Configure the presets of the real outlets (人民网, 新华网) at init."),
    Setting("log.level", "str", "INFO", "Logging level."),
    Setting("log.format", "str", "text", "`text` or `json` (one JSON object per line)."),
)

_BY_NAME = {s.name: s for s in SETTINGS}


def env_name(name: str) -> str:
    return "ZHUANLAN_" + name.upper().replace(".", "_")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


def _convert(setting: Setting, value: Any, origin: str) -> Any:
    def fail(problem: str) -> ConfigError:
        return ConfigError(setting.name, f"{problem}（来自{_origin_zh(origin)}）")

    kind = setting.type
    if kind == "str":
        if not isinstance(value, str):
            raise fail(f"应为文字，实际是 {_shown(setting, value)}")
        return value
    if kind == "int":
        if isinstance(value, bool):
            raise fail(f"应为整数，实际是 {_shown(setting, value)}")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise fail(f"应为整数，实际是 {_shown(setting, value)}") from None
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise fail(f"应为数字，实际是 {_shown(setting, value)}") from None
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"1", "true", "yes", "on"}:
            return True
        if text in {"0", "false", "no", "off", ""}:
            return False
        raise fail(f"应为 true 或 false，实际是 {_shown(setting, value)}")
    if kind == "list":
        if isinstance(value, list):
            return [str(v) for v in value]
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        raise fail(f"应为列表，实际是 {_shown(setting, value)}")
    if kind == "timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError):
            raise fail(f"未知的时区 {value!r}") from None
        return str(value)
    raise AssertionError(kind)


_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "smtp.security": lambda v: None if v in {"none", "starttls", "ssl"}
    else "应为 none、starttls 或 ssl",
    "smtp.connections": lambda v: None if 1 <= v <= 64 else "应在 1 到 64 之间",
    "smtp.rate_per_second": lambda v: None if v >= 0 else "不能为负数",
    "web.port": lambda v: None if 0 < v < 65536 else "应为端口号（1–65535）",
    "sample.port": lambda v: None if 0 < v < 65536 else "应为端口号（1–65535）",
    "log.format": lambda v: None if v in {"text", "json"} else "应为 text 或 json",
    "fetch.max_bytes": lambda v: None if v > 0 else "应为正数",
    "fetch.timeout": lambda v: None if v > 0 else "应为正数",
    "dedup.window_days": lambda v: None if v >= 1 else "至少为 1",
    "fetch.per_host_concurrency": lambda v: None if v >= 1 else "至少为 1",
    "fetch.max_concurrency": lambda v: None if v >= 1 else "至少为 1",
    "fetch.retries": lambda v: None if v >= 0 else "不能为负数",
    "fetch.per_host_delay": lambda v: None if v >= 0 else "不能为负数",
    "images.max_bytes": lambda v: None if v > 0 else "应为正数",
    "web.secret_key": lambda v: None if not v or len(v) >= MIN_SECRET_KEY else (
        f"太短，至少需要 {MIN_SECRET_KEY} 个字符（可用 python3 -c \"import secrets; "
        f"print(secrets.token_urlsafe(48))\" 生成；留空则自动生成并保存在数据目录）"),
}

MIN_SECRET_KEY = 32


def _origin_zh(origin: str) -> str:
    if origin.startswith("environment "):
        return "环境变量 " + origin.removeprefix("environment ")
    if origin.startswith("file "):
        return "配置文件 " + origin.removeprefix("file ")
    return {"default": "默认值", "override": "程序设定"}.get(origin, origin)


def _shown(setting: Setting, value: Any) -> str:
    """A value for a message: a secret is never echoed, a URL's password masked."""
    if setting.secret:
        return "（已隐藏）"
    return repr(redact_url(value) if isinstance(value, str) else value)


class Config:
    """Resolved settings. ``cfg["smtp.host"]`` or ``cfg.get("smtp.host")``."""

    def __init__(self, values: dict[str, Any], origins: dict[str, str]) -> None:
        self._values = values
        self._origins = origins

    def __getitem__(self, name: str) -> Any:
        return self._values[name]

    def get(self, name: str) -> Any:
        return self._values[name]

    def origin(self, name: str) -> str:
        return self._origins[name]

    def with_overrides(self, **overrides: Any) -> Config:
        """A copy with some settings replaced (names with ``__`` for ``.``)."""
        values = dict(self._values)
        origins = dict(self._origins)
        for key, value in overrides.items():
            name = key.replace("__", ".")
            if name not in _BY_NAME:
                raise ConfigError(name, "没有这项设置（unknown setting）")
            values[name] = _convert(_BY_NAME[name], value, "override")
            origins[name] = "override"
        return Config(values, origins)

    @property
    def data_dir(self) -> Path:
        return Path(self._values["data_dir"])

    @property
    def database_url(self) -> str:
        url = self._values["database.url"]
        return url or f"sqlite:///{(self.data_dir / 'zhuanlan.db').as_posix()}"

    @property
    def base_url(self) -> str:
        url = self._values["web.base_url"]
        if url:
            return url.rstrip("/")
        return f"http://{self._values['web.host']}:{self._values['web.port']}"

    @property
    def secret_key(self) -> str:
        """The signing key: the setting, else a random key kept in the data directory
        (made on first use, readable by the owner only)."""
        key = self._values["web.secret_key"]
        if key:
            return key
        with _SECRET_LOCK:
            cached = _SECRET_CACHE.get(str(self.data_dir))
            if cached is None:
                cached = _SECRET_CACHE[str(self.data_dir)] = _load_or_make_key(
                    self.data_dir / "secret.key")
            return cached

    def show(self) -> list[tuple[str, str, str]]:
        """(name, value, origin) rows with secrets redacted."""
        rows = []
        for s in SETTINGS:
            value = self._values[s.name]
            text = "********" if s.secret and value else repr(
                redact_url(value) if isinstance(value, str) else value)
            rows.append((s.name, text, self._origins[s.name]))
        return rows


_SECRET_LOCK = threading.Lock()
_SECRET_CACHE: dict[str, str] = {}


def _load_or_make_key(path: Path) -> str:
    """Read the key file, or make it. Made complete under a temporary name and linked
    into place, so another process never reads a half-written (empty) key: link fails
    when the file exists, and then theirs is used."""
    try:
        key = path.read_text().strip()
        if key:
            return key
    except FileNotFoundError:
        pass
    import secrets
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_urlsafe(48))
        f.flush()
        os.fsync(f.fileno())
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    key = path.read_text().strip()
    if not key:
        raise ConfigError("web.secret_key", f"{path} 是空的：请删除它（会重新生成），或设置 web.secret_key")
    return key


def load_config(path: str | os.PathLike[str] | None = None,
                environ: dict[str, str] | None = None,
                **overrides: Any) -> Config:
    """Read settings from the TOML file, then the environment, then defaults.

    ``path`` None means ``$ZHUANLAN_CONFIG`` or ``./zhuanlan.toml`` if it exists.
    Raises ConfigError naming the key for an unknown key, a value of the wrong type,
    or a file that is not valid TOML.
    """
    env: Mapping[str, str] = os.environ if environ is None else environ
    if path is None:
        path = env.get("ZHUANLAN_CONFIG") or (
            "zhuanlan.toml" if Path("zhuanlan.toml").exists() else None)
    file_values: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                file_values = _flatten(tomllib.load(fh))
        except FileNotFoundError:
            raise ConfigError(str(p), "找不到配置文件") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(str(p), f"不是有效的 TOML（not valid TOML）：{exc}") from exc
        for name in file_values:
            if name not in _BY_NAME:
                raise ConfigError(name, f"{p} 中有未知的设置（unknown setting）")
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    for s in SETTINGS:
        ev = env_name(s.name)
        if s.name in overrides:
            raw, origin = overrides[s.name], "override"
        elif ev in env:
            raw, origin = env[ev], f"environment {ev}"
        elif s.name in file_values:
            raw, origin = file_values[s.name], f"file {path}"
        else:
            raw, origin = s.default, "default"
        value = _convert(s, raw, origin)
        check = _CHECKS.get(s.name)
        problem = check(value) if check else None
        if problem:
            raise ConfigError(s.name, f"{problem}，实际是 {_shown(s, value)}（来自{_origin_zh(origin)}）")
        values[s.name] = value
        origins[s.name] = origin
    for name in overrides:
        if name not in _BY_NAME:
            raise ConfigError(name, "没有这项设置（unknown setting）")
    return Config(values, origins)

from pathlib import Path

import pytest

from zhuanlan.config import env_name, load_config
from zhuanlan.errors import ConfigError


def test_defaults_file_then_environment(tmp_path):
    path = tmp_path / "zhuanlan.toml"
    path.write_text('timezone = "Europe/Berlin"\n[smtp]\nhost = "mail.example.com"\nport = 587\n',
                    encoding="utf-8")
    cfg = load_config(path, environ={"ZHUANLAN_SMTP_PORT": "2525"})
    assert cfg["smtp.host"] == "mail.example.com"
    assert cfg["smtp.port"] == 2525 and cfg.origin("smtp.port") == "environment ZHUANLAN_SMTP_PORT"
    assert cfg["timezone"] == "Europe/Berlin"
    assert cfg["web.port"] == 8000 and cfg.origin("web.port") == "default"
    assert cfg.database_url.endswith("/data/zhuanlan.db")


@pytest.mark.parametrize("text,key,fragment", [
    ("[smtp]\nport = \"many\"\n", "smtp.port", "应为整数"),
    ("[smtp]\nsecurity = \"tls\"\n", "smtp.security", "应为 none、starttls 或 ssl"),
    ("timezone = \"Mars/Olympus\"\n", "timezone", "未知的时区"),
    ("[smtp]\nhots = \"x\"\n", "smtp.hots", "unknown setting"),
    ("[web\nport = 1\n", "zhuanlan.toml", "not valid TOML"),
])
def test_errors_name_the_key_and_the_problem(tmp_path, text, key, fragment):
    path = tmp_path / "zhuanlan.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, environ={})
    assert info.value.key.endswith(key)
    assert fragment in str(info.value)


def test_environment_error_names_the_variable():
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={"ZHUANLAN_WEB_PORT": "99999"})
    assert info.value.key == "web.port" and "ZHUANLAN_WEB_PORT" in str(info.value)


def test_secrets_are_redacted_in_show():
    cfg = load_config(None, environ={"ZHUANLAN_SMTP_PASSWORD": "hunter2"})
    shown = {name: value for name, value, _ in cfg.show()}
    assert "hunter2" not in shown["smtp.password"]


def test_environment_names():
    assert env_name("smtp.host") == "ZHUANLAN_SMTP_HOST"
    assert env_name("fetch.allow_private") == "ZHUANLAN_FETCH_ALLOW_PRIVATE"


def _key_in_child(path: str, out) -> None:
    from zhuanlan.config import _load_or_make_key
    out.put(_load_or_make_key(Path(path)))


def test_the_secret_key_file_is_made_once_even_by_racing_processes(tmp_path):
    """Web processes and workers starting together must agree on one complete key (a
    reader of a half-written file once signed links with an empty key)."""
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    path = tmp_path / "data" / "secret.key"
    procs = [ctx.Process(target=_key_in_child, args=(str(path), out)) for _ in range(8)]
    for p in procs:
        p.start()
    keys = {out.get(timeout=30) for _ in procs}
    for p in procs:
        p.join()
    assert len(keys) == 1 and len(keys.pop()) >= 40
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_a_password_in_a_url_is_masked_in_show():
    cfg = load_config(None, environ={
        "ZHUANLAN_DATABASE_URL": "postgresql+psycopg://zl:hunter2@db.example/zl"})
    shown = {name: value for name, value, _ in cfg.show()}
    assert "hunter2" not in shown["database.url"] and "zl:***@db.example" in shown["database.url"]


@pytest.mark.parametrize("key", ["a", "x" * 31])
def test_a_short_secret_key_is_refused_without_echoing_it(key):
    with pytest.raises(ConfigError) as info:
        load_config(None, environ={"ZHUANLAN_WEB_SECRET_KEY": key})
    assert info.value.key == "web.secret_key" and "至少需要 32 个字符" in str(info.value)
    assert key * 3 not in str(info.value) and "（已隐藏）" in str(info.value)


def test_a_made_key_is_long_enough_and_private(tmp_path):
    cfg = load_config(None, environ={"ZHUANLAN_DATA_DIR": str(tmp_path)})
    assert len(cfg.secret_key) >= 32
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600

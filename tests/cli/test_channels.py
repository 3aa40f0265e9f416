"""``zhuanlan channel add-app`` / ``test`` / ``report`` against the platform imitation:
the secret comes from the environment (never the command line), the test gets a token
and messages nobody, a wrong secret is a clear Chinese message and exit 1."""

from __future__ import annotations

import pytest

from tests.support.appservers import AppServers
from zhuanlan.cli import main


@pytest.fixture
def cli_env(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("ZHUANLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZHUANLAN_DATABASE_URL", database_url)
    monkeypatch.setenv("ZHUANLAN_SAMPLE_ENABLED", "false")
    monkeypatch.setenv("ZHUANLAN_PRESETS_ENABLED", "false")
    monkeypatch.delenv("ZHUANLAN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    with AppServers() as servers:
        monkeypatch.setenv("ZHUANLAN_FETCH_ALLOW_PRIVATE", f"127.0.0.1:{servers.server.port}")
        assert main(["init"]) == 0
        yield servers, monkeypatch


def test_add_an_app_test_it_and_see_a_wrong_secret(cli_env, capsys):
    servers, monkeypatch = cli_env
    cfg = servers.config("dingtalk")
    assert main(["column", "add", "c", "学习专栏", "--include", "二十大"]) == 0
    monkeypatch.setenv("ZHUANLAN_APP_SECRET", cfg["appsecret"])
    capsys.readouterr()
    argv = ["channel", "add-app", "集团钉钉", "--kind", "dingtalk_app",
            "--app-id", cfg["appkey"], "--agent-id", str(cfg["agent_id"]),
            "--corpid", cfg["corpid"], "--column", "c", "--api-base", servers.base]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "已添加应用 集团钉钉" in out and cfg["appsecret"] not in out
    assert main(["channel", "list"]) == 0
    listing = capsys.readouterr().out
    assert "dingtalk_app" in listing and cfg["appsecret"] not in listing
    assert main(["channel", "test", "集团钉钉"]) == 0
    assert "访问令牌" in capsys.readouterr().out
    assert servers.calls("dingtalk", "gettoken")
    assert not servers.calls("dingtalk", "asyncsend")            # nobody was messaged

    servers.refuse_secret("dingtalk")
    assert main(["channel", "test", "集团钉钉"]) == 1
    out = capsys.readouterr().out
    assert out.strip() and cfg["appsecret"] not in out


def test_a_secret_is_never_taken_from_the_command_line(cli_env, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["channel", "add-app", "x", "--kind", "wecom_app", "--app-id", "ww1",
              "--secret", "s3cret"])
    assert exit_.value.code == 2


def test_deadline_and_remind_from_the_command_line(cli_env, capsys):
    assert main(["column", "add", "c", "学习专栏", "--include", "二十大"]) == 0
    assert main(["column", "deadline", "c", "--days", "3", "--remind-hours", "24"]) == 0
    assert "发布后 3 天" in capsys.readouterr().out
    assert main(["column", "deadline", "c", "--days", "1", "--remind-hours", "30"]) == 2
    assert "自动提醒" in capsys.readouterr().err
    assert main(["column", "remind", "c", "1"]) != 0            # no such issue yet

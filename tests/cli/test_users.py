"""``zhuanlan user``: the first administrator from the command line, tokens."""

from __future__ import annotations

import io
import sys

from zhuanlan.cli import main


def run(args, config, stdin: str = "") -> int:
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return main(["--config", str(config), *args])
    finally:
        sys.stdin = old


def test_first_admin_then_token_then_revoke(tmp_path, capsys, make_zl):
    zl = make_zl()
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')
    assert run(["user", "add", "root1", "--role", "admin", "--password-stdin"], config,
               "short\n") == 2
    assert "至少 8 个字符" in capsys.readouterr().err
    assert run(["user", "add", "root1", "--role", "admin", "--password-stdin"], config,
               "a-good-password\n") == 0
    assert zl.staff.authenticate("root1", "a-good-password").is_admin
    assert run(["user", "add", "root1", "--password-stdin"], config, "another-pass\n") == 2
    assert "已存在" in capsys.readouterr().err
    assert run(["user", "token", "root1", "--name", "ci"], config) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    assert zl.staff.user_for_token(token).username == "root1"
    token_id = zl.staff.list_tokens("root1")[0]["id"]
    assert run(["user", "revoke-token", str(token_id)], config) == 0
    assert run(["user", "list"], config) == 0
    assert "root1" in capsys.readouterr().out
    # The last administrator cannot be demoted.
    assert run(["user", "set", "root1", "--role", "viewer"], config) == 2
    assert "最后一位管理员" in capsys.readouterr().err


def test_a_viewer_limited_to_departments(tmp_path, capsys, make_zl):
    zl = make_zl()
    zl.add_subscriber("a@example.com", "甲", department="集团/一公司/办公室")
    zl.add_subscriber("b@example.com", "乙", department="集团/二公司")
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')
    assert run(["user", "add", "branch", "--role", "viewer", "--department", "集团 > 一公司",
                "--password-stdin"], config, "a-good-password\n") == 0
    assert zl.staff.by_name("branch").scope.departments == ("集团/一公司",)
    assert run(["user", "set", "branch", "--department", "集团/没有"], config) == 2
    assert "没有这个部门" in capsys.readouterr().err
    assert run(["user", "set", "branch", "--department", "集团/二公司"], config) == 0
    assert run(["user", "list"], config) == 0
    assert "管辖单位：集团/二公司" in capsys.readouterr().out
    assert zl.audit(1)[0]["detail"] == "管辖单位：集团/一公司 → 集团/二公司"
    assert run(["user", "set", "branch", "--all-departments"], config) == 0
    assert not zl.staff.by_name("branch").scope.limited


def test_a_column_minimum_reading_time_from_the_command_line(tmp_path, capsys, make_zl):
    zl = make_zl()
    zl.add_column("xuexi", "学习", include="学习", schedule="0 9 * * 1")
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')
    assert run(["column", "min-read", "xuexi", "45"], config) == 0
    assert "45 秒" in capsys.readouterr().out
    assert zl.get_column("xuexi")["min_read_seconds"] == 45
    assert zl.audit(1)[0]["action"] == "column.min_read"
    assert run(["column", "min-read", "xuexi", "99999"], config) == 2
    assert run(["column", "min-read", "xuexi", "0"], config) == 0
    assert zl.get_column("xuexi")["min_read_seconds"] is None

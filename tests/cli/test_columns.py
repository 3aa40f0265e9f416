"""``zhuanlan column add / edit / archive / unarchive``: the same checks and the same
30 days' backlog as the web form, 必学 and its contact, all audited."""

from __future__ import annotations

from tests.web.test_columns import stored_articles
from zhuanlan.cli import main


def test_column_add_edit_archive_from_the_command_line(make_zl, tmp_path, capsys):
    zl = make_zl()
    fresh, _, _ = stored_articles(zl)
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')

    def run(*args: str) -> int:
        return main(["--config", str(config), "column", *args])

    assert run("add", "dangji", "党纪学习", "--include", "党纪学习教育", "--compulsory",
               "--contact", "宣传部 张三") == 0
    assert "1 篇待审" in capsys.readouterr().out
    assert [c["article_id"] for c in zl.candidates("dangji", "pending")] == [fresh]
    column = zl.get_column("dangji")
    assert column["compulsory"] and column["contact"] == "宣传部 张三"
    assert run("add", "Bad", "坏", "--include", "学习") != 0
    assert "小写英文字母" in capsys.readouterr().err

    assert run("edit", "dangji", "--include", "党纪学习教育 OR 纪律", "--no-compulsory") == 0
    assert "已修改：包含条件、必学" in capsys.readouterr().out
    column = zl.get_column("dangji")
    assert column["include_terms"] == "党纪学习教育 OR 纪律" and not column["compulsory"]
    assert column["contact"] == "宣传部 张三"          # what was not given stays
    assert run("edit", "dangji", "--include", "(纪律") != 0
    assert "第 4 个字符处缺少右括号" in capsys.readouterr().err

    assert run("archive", "dangji") == 0
    assert zl.get_column("dangji")["archived_at"] is not None
    assert run("list") == 0 and "已归档" in capsys.readouterr().out
    assert run("unarchive", "dangji") == 0
    assert zl.get_column("dangji")["archived_at"] is None
    actions = [e["action"] for e in zl.audit() if e["target"] == "column dangji"]
    assert actions == ["unarchive_column", "archive_column", "edit_column", "add_column"]
    assert all(e["actor"] == "cli" for e in zl.audit() if e["target"] == "column dangji")


def test_the_reflection_naming_rule_from_the_command_line(make_zl, tmp_path, capsys):
    """``--reflection-names``: 学习心得选登 show names without asking (audited)."""
    zl = make_zl()
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'[database]\nurl = "{zl.cfg.database_url}"\n')

    def run(*args: str) -> int:
        return main(["--config", str(config), "column", *args])

    assert run("add", "xinde", "心得专栏", "--include", "学习", "--reflection-names") == 0
    assert zl.get_column("xinde")["reflection_names"]
    capsys.readouterr()
    assert run("edit", "xinde", "--no-reflection-names") == 0
    assert "已修改：心得选登直接署名" in capsys.readouterr().out
    assert not zl.get_column("xinde")["reflection_names"]
    assert run("edit", "xinde", "--include", "学习 OR 党建") == 0
    assert not zl.get_column("xinde")["reflection_names"]      # not given: unchanged
    details = [e["detail"] for e in zl.audit() if e["action"] == "edit_column"]
    assert any("心得选登直接署名 是 → 否" in d for d in details)

import subprocess
import sys

from zhuanlan.cli import COMMANDS, build_parser, main


def test_help_documents_every_command(capsys):
    parser = build_parser()
    text = parser.format_help()
    for name in COMMANDS:
        assert name in text, name
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, p in sub.choices.items():
        help_text = next(c.help for c in sub._choices_actions if c.dest == name)
        assert help_text, f"{name} has no help"
        assert p.format_help()


def test_configuration_error_names_the_key(tmp_path, monkeypatch):
    cfg = tmp_path / "zhuanlan.toml"
    cfg.write_text('[smtp]\nport = "many"\n', encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "zhuanlan", "--config", str(cfg), "config", "show"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "smtp.port" in proc.stderr and "应为整数" in proc.stderr


def test_cli_round_trip_on_sqlite(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ZHUANLAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ZHUANLAN_SAMPLE_ENABLED", "false")
    monkeypatch.setenv("ZHUANLAN_PRESETS_ENABLED", "false")
    monkeypatch.delenv("ZHUANLAN_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["init"]) == 0
    assert (tmp_path / "data" / "zhuanlan.db").exists()
    assert main(["column", "add", "c", "学习专栏", "--include", "二十大"]) == 0
    assert main(["column", "add", "c2", "坏专栏", "--include", "二十大",
                 "--schedule", "* * *"]) == 2
    assert main(["subscriber", "add", "a@example.com", "--name", "甲", "--column", "c"]) == 0
    capsys.readouterr()
    assert main(["column", "list"]) == 0
    out = capsys.readouterr().out
    assert "学习专栏" in out and "坏专栏" not in out
    assert main(["column", "publish", "c"]) == 1   # nothing approved
    import sqlite3
    with sqlite3.connect(tmp_path / "data" / "zhuanlan.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

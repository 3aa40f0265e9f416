"""Running a command group of ``zhuanlan`` against a test facade's database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from zhuanlan.cli import main


def cli_runner(tmp_path: Path, zl, group: str) -> Callable[..., int]:
    """``run(*args)``: ``zhuanlan --config … GROUP *args`` on ``zl``'s database."""
    config = tmp_path / "zhuanlan.toml"
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n'
                      f'[database]\nurl = "{zl.cfg.database_url}"\n')

    def run(*args: str) -> int:
        return main(["--config", str(config), group, *args])
    return run

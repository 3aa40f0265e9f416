"""Looking at processes from a test (Linux /proc)."""

from __future__ import annotations

from pathlib import Path


def gone(pid: int) -> bool:
    """The process has ended (a zombie nobody reaped yet counts: it runs no more)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"

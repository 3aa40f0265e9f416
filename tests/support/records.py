"""What the record buffer's tests do to it: a database it cannot reach, and the death of
its process."""

from __future__ import annotations

from zhuanlan.errors import StorageError
from zhuanlan.study.records import RecordBuffer


class Unreachable:
    """A store whose every write fails as an unreachable database does."""

    def write(self):
        raise StorageError("database error: unreachable", resource="test")


def die(buffer: RecordBuffer) -> None:
    """What SIGKILL does to a started buffer: memory gone, the journal's files closed as
    they are. Its flusher is stopped first, so nothing it held is written after."""
    if buffer._thread is not None:
        buffer._stopping = True
        buffer._wake.set()
        buffer._thread.join(timeout=5)
        buffer._thread = None
    buffer._journal.close(settled=False)
    buffer._journal = None

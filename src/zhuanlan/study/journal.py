"""The record buffer's journal: what a web process answered for survives its death.

Opens, heartbeats and the reader lane's 我已学习 wait in memory for the next flush (see
``study.records``). Before the reader is answered, each is also appended to a file of
this process in ``{data_dir}/journal/`` — one line copied into the file's shared memory
map, no fsync: the operating system keeps what was written there when the process is
killed (SIGKILL, OOM killer), which is the failure a web process has, as it keeps what
``write`` wrote; a power cut may still lose the last seconds. Not a ``write`` per line:
each released the GIL on the event loop, which then waited for the record buffer's
writer to hand it back (py-spy at the 9:00 burst, bench/reader.py). The file grows in
steps, zero-filled beyond its last line; a file closed by its process is cut to its
lines, one left by a killed process is read up to the zeros.

Each file is held with an exclusive ``flock`` by the process writing it. A flush moves
the buffer to the store and then rotates: the file is closed and removed once its
records are committed. A file nobody holds a lock on is an orphan — its process died —
and is adopted by any other process of the same data directory (at start, then every few
seconds): its records enter that process's buffer (and journal) and the orphan is removed.
Replaying twice changes nothing: opens, heartbeats and confirmations are idempotent in
the store (a confirmation keeps the time it was first made).

A file is created under a temporary name, locked, then renamed, so a scanning process
never mistakes a file being born for an orphan.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mmap
import os
import secrets
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
FIRST_SIZE = 256 * 1024       # a file's first step; it doubles as needed


class _File:
    """One journal file: its descriptor, its map (None until the first line) and how
    far its lines go."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd, self.path = fd, path
        self.map: mmap.mmap | None = None
        self.used = 0

    def append(self, data: bytes) -> None:
        """Raises OSError (a full disk) as ``write`` would, before anything is written."""
        end = self.used + len(data)
        if self.map is None:
            size = max(FIRST_SIZE, end)
            # Blocks really allocated, not a sparse file: a store into a map with no
            # block behind it on a full disk is SIGBUS, the process gone.
            os.posix_fallocate(self.fd, 0, size)
            self.map = mmap.mmap(self.fd, size)
        elif end > len(self.map):
            size = max(2 * len(self.map), end)
            os.posix_fallocate(self.fd, 0, size)
            self.map.resize(size)
        self.map[self.used:end] = data
        self.used = end

    def close(self, *, remove: bool) -> None:
        if self.map is not None:
            self.map.close()
        if remove:
            self.path.unlink(missing_ok=True)
        else:
            with contextlib.suppress(OSError):
                os.ftruncate(self.fd, self.used)     # its lines, not the zeros after
        os.close(self.fd)


class Journal:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.dir = directory
        self._tag = f"{os.getpid()}-{secrets.token_hex(4)}"
        self._seq = 0
        self._file = self._open_new()
        self._rotated: list[_File] = []             # written, not yet in the store
        self.holds_records = False                      # the current file has lines

    def _open_new(self) -> _File:
        self._seq += 1
        path = self.dir / f"{self._tag}-{self._seq}{SUFFIX}"
        born = path.with_suffix(".new")
        fd = os.open(born, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(born, path)
        return _File(fd, path)

    def append(self, record: list) -> None:
        """One record, kept by the OS once this returns."""
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        self._file.append(line.encode())
        self.holds_records = True

    def rotate(self) -> None:
        """Start a new file; the records so far await :meth:`settled`. Called with the
        buffer's lock held, at the moment the buffer is taken for a flush."""
        new = self._open_new()               # first: a failure leaves everything as it was
        self._rotated.append(self._file)
        self._file = new
        self.holds_records = False

    def settled(self) -> None:
        """Everything in the rotated files is in the store: remove them."""
        for file in self._rotated:
            file.close(remove=True)
        self._rotated = []

    def close(self, *, settled: bool) -> None:
        """Settled: the buffer is empty and stored, the files go. Otherwise they stay,
        unlocked, for the next process to adopt."""
        files = [*self._rotated, self._file]
        self._rotated = []
        for file in files:
            file.close(remove=settled)

    def adopt_orphans(self, take: Callable[[list], None]) -> int:
        """Pass each record of every orphaned file to ``take`` (which journals it
        again), then remove the file. Returns how many records were adopted."""
        mine = {self._file.path, *(f.path for f in self._rotated)}
        adopted = 0
        for path in sorted(self.dir.glob(f"*{SUFFIX}")):
            if path in mine:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue                            # adopted by another process meanwhile
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue                        # its process is alive
                if not os.path.exists(path):
                    continue                        # adopted and removed before our lock
                records = _parse(_read_all(fd))
                for record in records:
                    take(record)
                os.unlink(path)
                adopted += len(records)
                if records:
                    log.info("study records: adopted the journal of a stopped process",
                             extra={"file": path.name, "records": len(records)})
            finally:
                os.close(fd)
        return adopted


def written(data: bytes) -> bytes:
    """A journal file's lines: what comes before the zeros of a file being written."""
    end = data.find(b"\0")
    return data if end < 0 else data[:end]


def records_in(path: Path) -> list[list]:
    """The records of a journal file, read as an adopting process reads them."""
    return _parse(path.read_bytes())


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(data: bytes) -> list[list]:
    """The file's records; a line cut short by the kill (the last) is skipped, and so
    are the zeros after the lines of a file its process did not close."""
    records = []
    for line in written(data).splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, list) and record:
            records.append(record)
    return records

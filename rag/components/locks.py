"""Per-document write locks shared by every process on this machine (flock on a file).

Two writers of one document (an upload through the API while `rag ingest` runs) take
turns, and `repair()` can tell an interrupted write (its lock is free) from a live one.
Processes on other machines writing to the same Chroma server must share the folder
(RAG_DATA_DIR on a filesystem with flock, e.g. NFSv4) or send their writes through one
`rag serve`.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


class DocumentLocks:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @contextlib.contextmanager
    def hold(self, doc_id: str, *, wait: bool = True) -> Iterator[bool]:
        """Hold the document's lock; yields False (holding nothing) if `wait` is off and
        another process has it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.folder / f"{doc_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)  # closing releases the lock

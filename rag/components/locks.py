"""Per-document write locks shared by every process on this machine (flock on a file).

Two writers of one document (an upload through the API while `rag ingest` runs) take
turns, and `repair()` can tell an interrupted write (its lock is free) from a live one.
Processes on other machines writing to the same Chroma server must share the folder
(RAG_DATA_DIR on a filesystem with flock, e.g. NFSv4) or send their writes through one
`rag serve`.

A lock file exists only while someone holds or waits for it: its holder removes it when
done, still holding the lock, so whoever locked the removed file meanwhile sees that its
file is no longer the one at the path, and starts over on the path's new file.
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
        path = self.folder / f"{doc_id}.lock"
        fd = _lock(path, wait)
        if fd is None:
            yield False
            return
        try:
            yield True
        finally:
            with contextlib.suppress(FileNotFoundError):  # the folder was removed meanwhile
                path.unlink()  # before closing: nobody can lock this path's file meanwhile
            os.close(fd)  # closing releases the lock


def _lock(path: Path, wait: bool) -> int | None:
    """An fd holding the lock on the file now at path; None if `wait` is off and it is held."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            mine = os.fstat(fd)
            now = os.stat(path)
        except BlockingIOError:
            os.close(fd)
            return None
        except FileNotFoundError:  # its holder removed it after we opened it: start over
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        if (mine.st_dev, mine.st_ino) == (now.st_dev, now.st_ino):
            return fd
        os.close(fd)  # removed and made anew meanwhile: lock the new one

"""Vectors of texts embedded before: the answerer's sentences and the grounding's words.

The same sentences and words come back question after question, and embedding them is most
of an extractive answer's time. An in-memory LRU serves a running server; a SQLite file in
the data dir serves the next process too (each `rag ask` is a new one) and every worker of
`rag serve --workers N`. A cache must never fail a request: if the file cannot be read or
written, it is left alone and the vectors are computed.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rag.components.embedding import EmbeddingModel

log = logging.getLogger(__name__)

DISK_ROWS = 300_000  # about 460 MB of 384-dim float32 vectors; the oldest go first
PRUNE_EVERY = 5_000  # rows written between checks of the file's size


class Float32Codec:
    """A vector as its float32 bytes."""

    @staticmethod
    def encode(vector: np.ndarray) -> bytes:
        return np.asarray(vector, dtype=np.float32).tobytes()

    @staticmethod
    def decode(blob: bytes) -> np.ndarray:
        return np.frombuffer(blob, dtype=np.float32)


class Int8RowsCodec:
    """A matrix of unit vectors in a quarter of float32's bytes: int8 values with one float32
    scale per row (error under 0.5 % of a row's largest value; cosines move by ~1e-3)."""

    @staticmethod
    def encode(rows: np.ndarray) -> bytes:
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float32))
        scales = np.maximum(np.abs(rows).max(axis=1, initial=0.0), 1e-12) / 127
        values = np.round(rows / scales[:, None]).astype(np.int8)
        return np.int32(len(rows)).tobytes() + scales.astype(np.float32).tobytes() + \
            values.tobytes()

    @staticmethod
    def decode(blob: bytes) -> np.ndarray:
        n = int(np.frombuffer(blob[:4], dtype=np.int32)[0])
        if n == 0:
            return np.zeros((0, 0), dtype=np.float32)
        scales = np.frombuffer(blob[4:4 + 4 * n], dtype=np.float32)
        values = np.frombuffer(blob[4 + 4 * n:], dtype=np.int8).reshape(n, -1)
        return values.astype(np.float32) * scales[:, None]


class DiskVectors:
    """text -> vector (or matrix, as `codec` writes it) in one SQLite table, shared by
    processes (WAL, busy timeout). Tables of one file are independent caches."""

    def __init__(self, path: Path, max_rows: int = DISK_ROWS, table: str = "vectors",
                 codec: type[Float32Codec] | type[Int8RowsCodec] = Float32Codec) -> None:
        self.path = path
        self._max_rows = max_rows
        self._table = table
        self._codec = codec
        self._written = 0
        self._db: sqlite3.Connection | None = None
        self._broken = False
        self._lock = threading.Lock()  # one connection, shared by the threads of a server

    def get(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            return self._get(texts)

    def put(self, vectors: dict[str, np.ndarray]) -> None:
        with self._lock:
            self._put(vectors)

    def _get(self, texts: list[str]) -> dict[str, np.ndarray]:
        db = self._open()
        if db is None or not texts:
            return {}
        keys = {_key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        try:
            items = list(keys)
            for lo in range(0, len(items), 500):  # SQLite's bound-parameter limit
                chunk = items[lo:lo + 500]
                rows = db.execute(f"SELECT key, vec FROM {self._table} WHERE key IN "
                                  f"({','.join('?' * len(chunk))})", chunk)
                for key, blob in rows:
                    found[keys[key]] = self._codec.decode(blob)
        except sqlite3.Error as exc:
            self._give_up(exc)
        return found

    def _put(self, vectors: dict[str, np.ndarray]) -> None:
        db = self._open()
        if db is None or not vectors:
            return
        rows = [(_key(t), self._codec.encode(v)) for t, v in vectors.items()]
        try:
            with db:
                db.executemany(f"INSERT OR IGNORE INTO {self._table} (key, vec) VALUES (?, ?)",
                               rows)
            self._written += len(rows)
            if self._written >= PRUNE_EVERY:
                self._written = 0
                with db:  # rowids grow with time: the oldest rows have the smallest
                    db.execute(f"DELETE FROM {self._table} WHERE rowid <= "
                               f"(SELECT MAX(rowid) FROM {self._table}) - ?", (self._max_rows,))
        except sqlite3.Error as exc:
            self._give_up(exc)

    def _open(self) -> sqlite3.Connection | None:
        if self._db is None and not self._broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                db = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")  # a lost cache row costs a recompute
                db.execute(f"CREATE TABLE IF NOT EXISTS {self._table} "
                           "(key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
                self._db = db
            except (sqlite3.Error, OSError) as exc:
                self._give_up(exc)
        return self._db

    def _give_up(self, exc: Exception) -> None:
        if not self._broken:
            log.warning("vector cache %s disabled: %s", self.path, exc)
        self._broken = True
        self._db = None


def _key(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


class VectorCache:
    """Vectors of texts embedded before, the least recently used dropped first from memory,
    and kept on disk when `disk` is given. Requests share it."""

    def __init__(self, embedder: EmbeddingModel, size: int,
                 disk: DiskVectors | None = None) -> None:
        self._embedder = embedder
        self._size = size
        self._disk = disk
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        wanted = list(dict.fromkeys(texts))
        with self._lock:
            known = {t: self._cache[t] for t in wanted if t in self._cache}
        missing = [t for t in wanted if t not in known]
        if missing and self._disk is not None:
            known.update(self._disk.get(missing))
            missing = [t for t in missing if t not in known]
        if missing:
            fresh = dict(zip(missing, map(np.asarray, self._embedder.embed_texts(missing)),
                             strict=True))
            known.update(fresh)
            if self._disk is not None:
                self._disk.put(fresh)
        with self._lock:
            for text in wanted:
                self._cache[text] = known[text]
                self._cache.move_to_end(text)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return known

"""Files -> documents -> chunks -> embeddings -> the store, idempotently.

Three stages run at once, so the embedder never waits: a thread reads, parses and chunks
the files ahead; the calling thread embeds chunks in full batches across files; a second
thread writes fully embedded documents to the store in groups. A file whose bytes
match the registry is reported unchanged without being parsed, and nothing loads the
embedding model unless something changed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import chunk_text
from ingest.limits import Deadline, LoadError, ReadLimits
from ingest.loaders import SUPPORTED_SUFFIXES, SourceDocument, doc_id_for, load_bytes, read_file
from ingest.progress import IngestProgress
from rag.components.embedding import EmbeddingModel
from rag.components.sentence_vectors import SentenceVectors
from rag.components.store import ChunkRecord, ChunkStore, DocumentWrite
from rag.settings import Settings

log = logging.getLogger(__name__)

EMBED_BATCH = 512  # chunks per embedder call, across files. The embedder sorts a call's
# texts by length and pads each model batch to its longest: padded tokens over real ones
# are 1.083 in calls of 64 synthetic-news chunks, 1.026 in calls of 512, 1.009 in 2,000
# (the raw embedder of bench/scale.py), and the model's time follows the padded tokens.
PREPARED_AHEAD = 128  # documents chunked ahead of the embedder (a call's worth): bounds memory
WRITE_GROUP_CHUNKS = 256  # documents are written in groups of about this many chunks:
# each Chroma call is a transaction, and one per document cost as much as the embedder
WRITES_IN_FLIGHT = 4  # groups waiting for the store
FAILURES_IN_A_ROW = 2  # documents failing alone after a failed batch: the embedder is down


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    chunks: int = 0  # chunks embedded and written
    seconds: float = 0.0

    def summary(self) -> str:
        rate = f", {self.chunks} chunks at {self.chunks / self.seconds:.1f}/s" if (
            self.chunks and self.seconds) else ""
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped{rate}")

    def as_dict(self) -> dict[str, object]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed,
                "skipped": [{"file": f, "reason": r} for f, r in self.skipped]}


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders (recursively, hidden entries left out); report paths that don't exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        elif path.exists():
            files.append(path)
        else:
            missing.append((str(path), "no such file or folder"))
    return files, missing


@dataclass
class _Source:
    origin: str  # what the report names: the path, or the upload's name
    name: str  # the file name: the document's identity
    read: Callable[[], bytes]


@dataclass
class _Pending:
    """A changed document, chunked, collecting its vectors."""

    origin: str
    doc: SourceDocument
    file_hash: str
    chunks: list[ChunkRecord]
    existed: bool
    vectors: list[list[float]] = field(default_factory=list)
    failed: str | None = None

    @property
    def embedded(self) -> bool:
        return len(self.vectors) == len(self.chunks)


_Outcome = tuple[str, str, str]  # (report field, file, reason) for files decided before embedding


class Ingestor:
    def __init__(self, store: ChunkStore, embedder: EmbeddingModel, settings: Settings,
                 in_context: SentenceVectors | None = None) -> None:
        self.store = store
        self.embedder = embedder
        # Keeps each chunk's sentence vectors from its own model run, for the answerer.
        self.in_context = in_context
        self.settings = settings
        self.limits = ReadLimits.from_settings(settings)

    def ingest_paths(self, paths: Iterable[Path], *, prune: bool = False,
                     progress: bool = True) -> IngestReport:
        files, missing = discover(paths)
        report = IngestReport(skipped=missing)
        sources = [_Source(str(f), f.name, lambda f=f: read_file(f, self.limits.max_bytes))
                   for f in files]
        self._ingest(sources, report, progress)
        if prune:
            seen = {f.name for f in files}
            for doc in self.store.documents():
                if doc.source not in seen and self.store.delete_document(doc.doc_id):
                    report.removed.append(doc.source)
        return report

    def ingest_uploads(self, uploads: Iterable[tuple[str, bytes]]) -> IngestReport:
        report = IngestReport()
        sources = [_Source(name, Path(name).name, lambda d=data: d) for name, data in uploads]
        self._ingest(sources, report, progress=False)
        return report

    # -- the three stages ---------------------------------------------------------------------

    def _ingest(self, sources: list[_Source], report: IngestReport, progress: bool) -> None:
        started = time.perf_counter()
        self.store.check_embedding_model()
        self.store.repair()
        known = self.store.fingerprints()
        bar = IngestProgress(len(sources), show=progress)
        texts: list[str] = []  # chunks waiting for the embedder, oldest first...
        owners: list[_Pending] = []  # ...and the document each belongs to
        waiting: deque[_Pending] = deque()  # documents in arrival order, until written
        ready: list[_Pending] = []  # embedded, waiting for a full group
        writes: deque[tuple[list[_Pending], Future[dict[str, str]]]] = deque()
        with ThreadPoolExecutor(1, thread_name_prefix="ingest-write") as writer:
            for item in _ahead(self._prepare(sources, known), PREPARED_AHEAD):
                if isinstance(item, _Pending):
                    waiting.append(item)
                    texts.extend(c.text for c in item.chunks)
                    owners.extend([item] * len(item.chunks))
                else:
                    getattr(report, item[0]).append(
                        (item[1], item[2]) if item[0] == "skipped" else item[1])
                    bar.file_done()
                while len(texts) >= EMBED_BATCH:
                    self._embed(texts, owners, EMBED_BATCH)
                self._hand_over(waiting, ready, writes, writer, report, bar)
                self._collect(writes, report, bar, WRITES_IN_FLIGHT)
            while texts:
                self._embed(texts, owners, EMBED_BATCH)
            self._hand_over(waiting, ready, writes, writer, report, bar, last=True)
            self._collect(writes, report, bar, 0)
        report.seconds = time.perf_counter() - started
        bar.close(report.summary())

    def _prepare(self, sources: list[_Source],
                 known: dict[str, tuple[str, str]]) -> Iterator[_Pending | _Outcome]:
        """Read, parse and chunk each changed file (run in a background thread)."""
        done: dict[str, str] = {}  # file name -> the file it came from, in this run
        for src in sources:
            if src.name in done:
                yield ("skipped", src.origin, f"same file name as {done[src.name]}, "
                       "ingested in this run")
                continue
            try:
                pending = self._read(src, known)
            except LoadError as exc:
                yield ("skipped", src.origin, str(exc))
                continue
            except Exception as exc:  # one bad file must not stop the others
                log.exception("reading %s failed", src.origin)
                yield ("skipped", src.origin, f"failed to read: {type(exc).__name__}")
                continue
            done[src.name] = src.origin
            yield pending or ("unchanged", src.name, "")

    def _read(self, src: _Source, known: dict[str, tuple[str, str]]) -> _Pending | None:
        """The file read and chunked within its limits; None if it is unchanged."""
        deadline = Deadline(self.limits.seconds)
        data = src.read()
        file_hash = hashlib.sha256(data).hexdigest()
        content_hash, known_file = known.get(doc_id_for(src.name), ("", ""))
        if known_file == file_hash:  # the very bytes ingested before: nothing to parse
            return None
        doc = load_bytes(src.name, data, self.limits, deadline)
        if doc.content_hash == content_hash:  # the same text in other bytes
            return None
        chunks = chunk_text(doc.text, self.settings.chunk_size, self.settings.chunk_overlap,
                            self.embedder.tokenizer)
        self.limits.check_chunks(len(chunks))
        deadline.check()
        return _Pending(src.origin, doc, file_hash, chunks, existed=bool(content_hash))

    def _embed(self, texts: list[str], owners: list[_Pending], batch: int) -> None:
        """Embed the oldest `batch` waiting chunks. If the call fails, each document of the
        batch is tried alone, so one that cannot be embedded (an endpoint rejecting its
        text) fails by itself; after FAILURES_IN_A_ROW single failures the embedder itself
        is taken to be down and the rest fail with it, without a call each."""
        now, now_owners = texts[:batch], owners[:batch]
        del texts[:batch], owners[:batch]
        try:
            vectors = self._vectors(now)
        except Exception as exc:
            failure = exc
            by_member: dict[int, tuple[_Pending, list[str]]] = {}  # in order, once each
            for text, owner in zip(now, now_owners, strict=True):
                by_member.setdefault(id(owner), (owner, []))[1].append(text)
            in_a_row = 0 if len(by_member) > 1 else FAILURES_IN_A_ROW
            for member, its_texts in by_member.values():
                if in_a_row < FAILURES_IN_A_ROW:
                    try:
                        member.vectors.extend(self._vectors(its_texts))
                        in_a_row = 0
                        continue
                    except Exception as alone:
                        failure, in_a_row = alone, in_a_row + 1
                member.failed = f"failed to index: {failure}"
            keep = [i for i, o in enumerate(owners) if o.failed is None]
            texts[:] = [texts[i] for i in keep]
            owners[:] = [owners[i] for i in keep]
            return
        for owner, vector in zip(now_owners, vectors, strict=True):
            owner.vectors.append(vector)

    def _vectors(self, texts: list[str]) -> list[list[float]]:
        return (self.in_context.embed_chunks(texts) if self.in_context is not None
                else self.embedder.embed_texts(texts))

    def _hand_over(self, waiting: deque[_Pending], ready: list[_Pending],
                   writes: deque[tuple[list[_Pending], Future[dict[str, str]]]],
                   writer: ThreadPoolExecutor, report: IngestReport, bar: IngestProgress,
                   last: bool = False) -> None:
        """Send fully embedded documents to the writer in groups; report the failed ones."""
        while waiting and (waiting[0].failed or waiting[0].embedded):
            doc = waiting.popleft()
            if doc.failed:
                report.skipped.append((doc.origin, doc.failed))
                bar.file_done()
            else:
                ready.append(doc)
        if ready and (last or sum(len(d.chunks) for d in ready) >= WRITE_GROUP_CHUNKS):
            group = ready[:]
            ready.clear()
            writes.append((group, writer.submit(self._write, group)))

    def _write(self, group: list[_Pending]) -> dict[str, str]:
        """Write the group; if that fails, each document alone, so one bad document fails
        by itself. Returns the failures: doc_id -> reason."""
        writes = [DocumentWrite(doc_id=p.doc.doc_id, source=p.doc.source, title=p.doc.title,
                                text=p.doc.text, content_hash=p.doc.content_hash,
                                file_hash=p.file_hash, chunks=p.chunks, embeddings=p.vectors)
                  for p in group]
        try:
            self.store.write_documents(writes)
            return {}
        except Exception:
            if len(writes) == 1:
                raise
        failed: dict[str, str] = {}
        for one in writes:
            try:
                self.store.write_documents([one])
            except Exception as exc:
                failed[one.doc_id] = f"failed to index: {exc}"
        return failed

    @staticmethod
    def _collect(writes: deque[tuple[list[_Pending], Future[dict[str, str]]]], report: IngestReport,
                 bar: IngestProgress, keep: int) -> None:
        """Record finished writes; wait for the oldest while more than `keep` are pending."""
        while writes and (writes[0][1].done() or len(writes) > keep):
            group, future = writes.popleft()
            try:
                failed = future.result()
            except Exception as exc:  # one bad group must not stop the others
                failed = {doc.doc.doc_id: f"failed to index: {exc}" for doc in group}
            for doc in group:
                if doc.doc.doc_id in failed:
                    report.skipped.append((doc.origin, failed[doc.doc.doc_id]))
                    bar.file_done()
                    continue
                (report.updated if doc.existed else report.added).append(doc.doc.source)
                report.chunks += len(doc.chunks)
                bar.file_done(len(doc.chunks))


def _ahead(items: Iterator[_Pending | _Outcome], size: int) -> Iterator[_Pending | _Outcome]:
    """Run `items` in a background thread, up to `size` ahead of the consumer."""
    buffer: queue.Queue[object] = queue.Queue(size)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        buffer.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer, raised there
            buffer.put(exc)
        buffer.put(end)

    thread = threading.Thread(target=produce, name="ingest-prepare", daemon=True)
    thread.start()
    try:
        while (item := buffer.get()) is not end:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()


__all__ = ["SUPPORTED_SUFFIXES", "IngestReport", "Ingestor", "discover"]

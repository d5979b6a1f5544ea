"""Files -> documents -> chunks -> embeddings -> the store, idempotently.

Three stages run at once, so the embedder never waits: a thread reads, parses and chunks
the files ahead; the calling thread embeds chunks in full batches across files; a second
thread writes fully embedded documents to the store in groups. A file whose bytes (and
the metadata given for it) match the registry is reported unchanged without being parsed,
and nothing loads the embedding model unless something changed; a document whose text is
the same and only its metadata changed has those rewritten, without embedding.

Sources are files (with their folder's sidecar metadata, SIDECAR) and URLs: an article's
page, or a feed whose entries' pages are read (ingest/fetch.py, ingest/feeds.py).
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
from ingest.feeds import read_feed
from ingest.fetch import Fetched, FetchPolicy, fetch
from ingest.limits import Deadline, LoadError, ReadLimits
from ingest.loaders import SUPPORTED_SUFFIXES, SourceDocument, doc_id_for, load_bytes, read_file
from ingest.metadata import SIDECAR, ArticleMeta, read_sidecar
from ingest.progress import IngestProgress
from rag.components.embedding import EmbeddingModel
from rag.components.sentence_vectors import SentenceVectors
from rag.components.store import ChunkRecord, ChunkStore, DocumentWrite, Fingerprint
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
    # (URL, why): feed entries whose page failed, ingested from the entry's own content
    from_feed: list[tuple[str, str]] = field(default_factory=list)
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
                "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
                "from_feed": [{"url": u, "reason": r} for u, r in self.from_feed]}


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders (recursively, hidden entries left out); report paths that don't exist.
    A folder's SIDECAR is its files' metadata, not an article."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names)
                             if not n.startswith(".") and n != SIDECAR)
        elif path.name == SIDECAR:
            continue
        elif path.exists():
            files.append(path)
        else:
            missing.append((str(path), "no such file or folder"))
    return files, missing


def is_url(ref: str) -> bool:
    """A command-line argument or a document's source that names a URL, not a file."""
    return "://" in ref[:12] or ref.lower().startswith(("http:", "https:", "file:"))


@dataclass
class _Source:
    origin: str  # what the report names: the path, the upload's name, the URL
    name: str  # the file name or the URL: the document's identity
    read: Callable[[Deadline], tuple[bytes, str | None]]  # the bytes, and their type if
    # the name does not say it (".html" for a fetched page)
    given: ArticleMeta = field(default_factory=ArticleMeta)  # wins over the file's own
    default: ArticleMeta = field(default_factory=ArticleMeta)  # where the file says nothing
    url: str | None = None  # fetched from here
    fallback: bytes | None = None  # a feed entry's own content, if its page fails
    known_is_unchanged: bool = False  # a feed entry seen before: not fetched again


@dataclass
class _Pending:
    """A changed document, chunked, collecting its vectors."""

    origin: str
    doc: SourceDocument
    file_hash: str
    meta_key: str
    chunks: list[ChunkRecord]
    existed: bool
    vectors: list[list[float]] = field(default_factory=list)
    failed: str | None = None
    metadata_only: bool = False  # same text: only its article fields are rewritten...
    unchanged: bool = False  # ...or only the hashes that let the next run skip parsing it
    from_feed: str | None = None  # why the page was not read (the entry's content was)

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
                     progress: bool = True, given: ArticleMeta | None = None,
                     urls: Iterable[str] = ()) -> IngestReport:
        """Files and folders, and URLs (pages or feeds) in the same run. `given`: metadata
        for every one of them (the command line's), over the sidecar's and the file's own.
        prune: remove the documents of files not found (documents from URLs stay)."""
        given = given or ArticleMeta()
        files, missing = discover(paths)
        report = IngestReport(skipped=missing)
        sources = self._file_sources(files, given, report)
        sources += self._url_sources(urls, given, report)
        self._ingest(sources, report, progress)
        if prune:
            seen = {f.name for f in files}
            for doc in self.store.documents():
                if doc.source not in seen and not is_url(doc.source) and \
                        self.store.delete_document(doc.doc_id):
                    report.removed.append(doc.source)
        return report

    def ingest_uploads(self, uploads: Iterable[tuple[str, bytes]]) -> IngestReport:
        report = IngestReport()
        sources = [_Source(name, Path(name).name, lambda _, d=data: (d, None))
                   for name, data in uploads]
        self._ingest(sources, report, progress=False)
        return report

    def ingest_urls(self, urls: Iterable[str], given: ArticleMeta | None = None,
                    progress: bool = False) -> IngestReport:
        return self.ingest_paths([], progress=progress, given=given, urls=urls)

    # -- sources ------------------------------------------------------------------------------

    def _file_sources(self, files: list[Path], given: ArticleMeta,
                      report: IngestReport) -> list[_Source]:
        """Each file with its folder's sidecar entry; the files of a folder whose sidecar
        is broken are skipped with its reason (ingested without, their metadata would
        change twice)."""
        sidecars: dict[Path, dict[str, ArticleMeta] | str] = {}
        sources = []
        for f in files:
            if f.parent not in sidecars:
                try:
                    sidecars[f.parent] = read_sidecar(f.parent)
                except LoadError as exc:
                    sidecars[f.parent] = str(exc)
            sidecar = sidecars[f.parent]
            if isinstance(sidecar, str):
                report.skipped.append((str(f), sidecar))
                continue
            sources.append(_Source(
                str(f), f.name, lambda _, f=f: (read_file(f, self.limits.max_bytes), None),
                given=given.over(sidecar.get(f.name, ArticleMeta()))))
        return sources

    def _url_sources(self, urls: Iterable[str], given: ArticleMeta,
                     report: IngestReport) -> list[_Source]:
        """Each URL fetched now, to tell a page from a feed; a feed becomes its entries,
        whose pages are fetched by the pipeline's reading stage."""
        sources: list[_Source] = []
        for url in urls:
            url = url.split("#", 1)[0]  # a fragment names a place in the page, not another page
            try:
                got = fetch(url, self.fetch_policy, Deadline(self.limits.seconds))
                if got.is_feed:
                    sources += self._entry_sources(got, given)
                else:
                    sources.append(_Source(url, url, lambda _, g=got: (g.data, g.suffix),
                                           given=given, url=url))
            except LoadError as exc:
                report.skipped.append((url, str(exc)))
            except Exception as exc:  # one bad URL must not stop the others
                log.exception("fetching %s failed", url)
                report.skipped.append((url, f"failed to fetch: {type(exc).__name__}"))
        return sources

    def _entry_sources(self, got: Fetched, given: ArticleMeta) -> list[_Source]:
        feed = read_feed(got.data, got.final_url, self.settings.feed_max_entries)
        return [_Source(
            e.link, e.link, lambda deadline, link=e.link: self._fetch_page(link, deadline),
            given=given.over(e.meta), default=ArticleMeta(site=feed.title), url=e.link,
            fallback=e.as_page() if e.content else None, known_is_unchanged=True)
            for e in feed.entries]

    def _fetch_page(self, url: str, deadline: Deadline) -> tuple[bytes, str | None]:
        got = fetch(url, self.fetch_policy, deadline)
        if got.suffix is None:
            raise LoadError(f"content type {got.media_type} is not an article page")
        return got.data, got.suffix

    @property
    def fetch_policy(self) -> FetchPolicy:
        return FetchPolicy(max_bytes=self.limits.max_bytes,
                           timeout_s=self.settings.fetch_timeout_s,
                           allow_private=self.settings.fetch_allow_private)

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
                 known: dict[str, Fingerprint]) -> Iterator[_Pending | _Outcome]:
        """Read, parse and chunk each changed file (run in a background thread)."""
        done: dict[str, str] = {}  # file name -> the file it came from, in this run
        for src in sources:
            if src.name in done:
                yield ("skipped", src.origin, f"same {'URL' if is_url(src.name) else 'file name'}"
                       f" as {done[src.name]}, ingested in this run")
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

    def _read(self, src: _Source, known: dict[str, Fingerprint]) -> _Pending | None:
        """The file read and chunked within its limits; None if it is unchanged."""
        deadline = Deadline(self.limits.seconds)
        before = known.get(doc_id_for(src.name))
        if before and src.known_is_unchanged:  # a feed's entry, ingested before
            return None
        meta_key = src.given.key()
        from_feed = None
        try:
            data, suffix = src.read(deadline)
            doc = self._load(src, data, suffix, deadline, before, meta_key)
        except LoadError as exc:
            if src.fallback is None:
                raise
            from_feed, deadline = str(exc), Deadline(self.limits.seconds)
            data, suffix = src.fallback, ".html"
            doc = self._load(src, data, suffix, deadline, before, meta_key)
        if doc is None:
            return None
        file_hash = hashlib.sha256(data).hexdigest()
        if before and doc.content_hash == before.content_hash:  # the same text
            return _Pending(src.origin, doc, file_hash, meta_key, [], existed=True,
                            metadata_only=True, from_feed=from_feed,
                            unchanged=doc.meta.as_dict() == before.article)
        chunks = chunk_text(doc.text, self.settings.chunk_size, self.settings.chunk_overlap,
                            self.embedder.tokenizer)
        self.limits.check_chunks(len(chunks))
        deadline.check()
        return _Pending(src.origin, doc, file_hash, meta_key, chunks, existed=bool(before),
                        from_feed=from_feed)

    def _load(self, src: _Source, data: bytes, suffix: str | None, deadline: Deadline,
              before: Fingerprint | None, meta_key: str) -> SourceDocument | None:
        """The document of these bytes; None when they and the metadata given are the very
        ones ingested before (nothing to parse)."""
        if before and before.file_hash == hashlib.sha256(data).hexdigest() and \
                before.meta_key == meta_key:
            return None
        return load_bytes(src.name, data, self.limits, deadline, suffix=suffix,
                          given=src.given, default=src.default, url=src.url)

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
        # A metadata-only update counts as one chunk: its group still holds one lock each.
        if ready and (last or sum(len(d.chunks) or 1 for d in ready) >= WRITE_GROUP_CHUNKS):
            group = ready[:]
            ready.clear()
            writes.append((group, writer.submit(self._write, group)))

    def _write(self, group: list[_Pending]) -> dict[str, str]:
        """Write the group; if that fails, each document alone, so one bad document fails
        by itself. Returns the failures: doc_id -> reason."""
        writes = [DocumentWrite(doc_id=p.doc.doc_id, source=p.doc.source, title=p.doc.title,
                                text=p.doc.text, content_hash=p.doc.content_hash,
                                file_hash=p.file_hash, chunks=p.chunks, embeddings=p.vectors,
                                published=p.doc.published, url=p.doc.url, site=p.doc.site,
                                meta_key=p.meta_key)
                  for p in group if not p.metadata_only]
        updates = [p for p in group if p.metadata_only]
        failed: dict[str, str] = {}
        if updates:
            try:
                self.store.update_articles([
                    DocumentWrite(doc_id=p.doc.doc_id, source=p.doc.source,
                                  title=p.doc.title, text="", content_hash=p.doc.content_hash,
                                  file_hash=p.file_hash, chunks=[], embeddings=[],
                                  published=p.doc.published, url=p.doc.url, site=p.doc.site,
                                  meta_key=p.meta_key) for p in updates])
            except Exception as exc:
                failed = {p.doc.doc_id: f"failed to update: {exc}" for p in updates}
        try:
            self.store.write_documents(writes)
            return failed
        except Exception:
            if len(writes) == 1 and not updates:
                raise
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
                if doc.unchanged:
                    report.unchanged.append(doc.doc.source)
                    bar.file_done()
                    continue
                (report.updated if doc.existed else report.added).append(doc.doc.source)
                if doc.from_feed:
                    report.from_feed.append((doc.doc.source, doc.from_feed))
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


__all__ = ["SUPPORTED_SUFFIXES", "IngestReport", "Ingestor", "discover", "is_url"]

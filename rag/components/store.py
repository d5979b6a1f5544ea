"""Chroma as the store: one collection of chunks, one registry of documents.

Write protocol (so a crash never leaves a half-written document visible, and two writers
of one document never lose it), under the document's lock (rag/components/locks.py):
1. the write is recorded in the journal collection;
2. the new version's chunks are added under ids that include its content hash;
3. the document's registry record is upserted: this is the commit point;
4. the chunks of the version it replaced are deleted, then the journal entry.
Several documents may share one write (one Chroma call per step for all of them).
Queries only return chunks whose hash matches the registry, and `repair()` (run before
every ingest) finishes the journalled writes whose writer is gone: the work is
proportional to the interrupted writes, not to the index.

Each chunk and registry record carries its article's title, published (YYYY-MM-DD),
published_day (20240705: Chroma's `where` compares numbers), url and site; a key is absent
where the article does not say. A change of those alone rewrites them in place
(`update_articles`), the text and its vectors untouched.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings

from rag.components.locks import DocumentLocks
from rag.errors import RagError, describe
from rag.schemas import ARTICLE_FIELDS, DocumentInfo, Filters, Passage, day_number
from rag.settings import Settings

_REGISTRY_SUFFIX = "__documents"
_JOURNAL_SUFFIX = "__writes"
_PLACEHOLDER_VECTOR = [1.0]  # the registry is never searched by vector


class StoreError(RagError, RuntimeError):
    """The store is unreachable or unusable; the message says what to do."""

    code = "store_unavailable"
    status = 503


class EmbeddingMismatchError(StoreError):
    """The index was built with another embedding model (a conflict, not an outage)."""

    code = "embedding_mismatch"
    status = 409


@contextlib.contextmanager
def _chroma_errors(action: str) -> Iterator[None]:
    """A server gone away or a broken database becomes one StoreError saying what failed."""
    try:
        yield
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"Chroma failed to {action}: {describe(exc)}") from exc


@dataclass(frozen=True)
class ChunkRecord:
    chunk_id: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class DocumentWrite:
    """A new version of one document, chunked and embedded (for `update_articles`, only
    its identity, hashes and article fields are read)."""

    doc_id: str
    source: str
    title: str
    text: str
    content_hash: str
    file_hash: str
    chunks: list[ChunkRecord]
    embeddings: list[list[float]]
    published: str | None = None  # YYYY-MM-DD
    url: str | None = None
    site: str | None = None
    meta_key: str = ""  # what the metadata given from outside the file was (ingest's)

    def article(self) -> dict[str, Any]:
        """The article fields as Chroma metadata; None deletes a key an older version had
        (Chroma merges a record's metadata on upsert and update)."""
        return {"title": self.title, "published": self.published,
                "published_day": day_number(self.published), "url": self.url,
                "site": self.site}


@dataclass(frozen=True)
class Fingerprint:
    """What an ingest compares a file with to tell whether it changed."""

    content_hash: str  # of the extracted text
    file_hash: str  # of the raw bytes
    meta_key: str
    article: dict[str, Any]  # title, published, url, site as stored


def connect(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    try:
        if settings.chroma_host:
            return chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(settings.data_dir / "chroma"),
                                         settings=chroma_settings)
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError variants
        where = (f"Chroma server at {settings.chroma_host}:{settings.chroma_port}"
                 if settings.chroma_host else "embedded Chroma in RAG_DATA_DIR")
        raise StoreError(f"cannot open the {where}: {describe(exc)}") from None


def open_store(settings: Settings, embedding_model: str) -> ChunkStore:
    """The configured store, its document locks kept under RAG_DATA_DIR."""
    return ChunkStore(connect(settings), settings.collection, embedding_model,
                      DocumentLocks(settings.data_dir / "locks" / settings.collection))


class ChunkStore:
    def __init__(self, client: ClientAPI, collection: str, embedding_model: str,
                 locks: DocumentLocks) -> None:
        self._client = client
        self._name = collection
        self._embedding_model = embedding_model
        self._locks = locks
        self._chunks: Collection | None = None
        self._registry: Collection | None = None
        self._journal: Collection | None = None
        # doc_id -> committed content hash (None: no such document), as of a generation:
        # every commit changes the generation, so a search reads the registry only for
        # documents it has not seen since the last commit.
        self._versions: tuple[str, dict[str, Any]] = ("", {})
        # filter (as JSON) -> the documents it matches, as of a generation (likewise).
        self._matching: tuple[str, dict[str, frozenset[str]]] = ("", {})

    # -- collections -------------------------------------------------------------------

    @property
    def chunks(self) -> Collection:
        if self._chunks is None:
            self._chunks = self._client.get_or_create_collection(
                self._name,
                configuration={"hnsw": {"space": "cosine"}},
                embedding_function=None,
            )
        return self._chunks

    @property
    def registry(self) -> Collection:
        if self._registry is None:
            self._registry = self._client.get_or_create_collection(
                self._name + _REGISTRY_SUFFIX, embedding_function=None
            )
        return self._registry

    @property
    def journal(self) -> Collection:
        """The ids of the documents whose writes are in progress."""
        if self._journal is None:
            self._journal = self._client.get_or_create_collection(
                self._name + _JOURNAL_SUFFIX, embedding_function=None)
        return self._journal

    @_chroma_errors("read the collection")
    def built_with(self) -> str | None:
        """The embedding model that built the collection, or None while it is empty."""
        return (self.chunks.metadata or {}).get("embedding_model")

    def check_embedding_model(self) -> None:
        built = self.built_with()
        if built and built != self._embedding_model and self.chunks.count() > 0:
            raise EmbeddingMismatchError(
                f"the collection '{self._name}' was built with the embedding model '{built}' "
                f"but '{self._embedding_model}' is configured; re-ingest with "
                f"`rag ingest --rebuild PATH...` (or set RAG_COLLECTION to a new name)"
            )

    def heartbeat(self) -> None:
        try:
            self._client.heartbeat()
            _ = self.chunks.count()
        except Exception as exc:
            raise StoreError(f"Chroma is not reachable: {describe(exc)}") from None

    def drop_all(self) -> None:
        """Delete both collections (used by --rebuild with another embedding model)."""
        for name in (self._name, self._name + _REGISTRY_SUFFIX, self._name + _JOURNAL_SUFFIX):
            with contextlib.suppress(Exception):  # absent already
                self._client.delete_collection(name)
        self._chunks = self._registry = self._journal = None
        self._versions = ("", {})

    # -- documents -----------------------------------------------------------------------

    @_chroma_errors("list documents")
    def documents(self) -> list[DocumentInfo]:
        got = self.registry.get(include=["metadatas"])
        docs = [_doc_info(doc_id, meta) for doc_id, meta in
                zip(got["ids"], got["metadatas"] or [], strict=True)]
        return sorted(docs, key=lambda d: d.source)

    @_chroma_errors("list documents")
    def fingerprints(self) -> dict[str, Fingerprint]:
        """doc_id -> fingerprint of every committed document: what an ingest compares with
        to skip unchanged files without parsing them."""
        got = self.registry.get(include=["metadatas"])
        return {doc_id: Fingerprint(str(m.get("content_hash", "")),
                                    str(m.get("file_hash", "")), str(m.get("meta_key", "")),
                                    {f: m.get(f) for f in ARTICLE_FIELDS})
                for doc_id, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    @_chroma_errors("read a document")
    def document(self, doc_id: str) -> DocumentInfo | None:
        got = self.registry.get(ids=[doc_id], include=["metadatas"])
        if not got["ids"]:
            return None
        return _doc_info(doc_id, (got["metadatas"] or [{}])[0])

    @_chroma_errors("read a document")
    def document_text(self, doc_id: str) -> str | None:
        got = self.registry.get(ids=[doc_id], include=["documents"])
        return (got["documents"] or [None])[0] if got["ids"] else None

    @_chroma_errors("write documents")
    def write_documents(self, docs: list[DocumentWrite]) -> None:
        """Write new versions of several documents as one group: each Chroma call (and its
        transaction) serves them all, which matters as much as the embedder at ingest.
        Each document still becomes visible whole, at the one registry upsert."""
        if not docs:
            return
        doc_ids = [d.doc_id for d in docs]
        if len(set(doc_ids)) != len(doc_ids):
            raise ValueError("a group of writes names one document twice")
        self.check_embedding_model()
        if self.built_with() != self._embedding_model:  # new, or emptied: record who builds it
            self.chunks.modify(metadata={"embedding_model": self._embedding_model})
        ids, texts, metas, vectors = [], [], [], []
        for d in docs:
            for i, c in enumerate(d.chunks):
                ids.append(chunk_id(d.doc_id, d.content_hash, i))
                texts.append(c.text)
                metas.append({"doc_id": d.doc_id, "source": d.source,
                              "content_hash": d.content_hash, "start": c.start, "end": c.end,
                              "chunk_index": i, **d.article()})
            vectors.extend(d.embeddings)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with contextlib.ExitStack() as held:
            for doc_id in sorted(doc_ids):  # one order for everyone: no deadlock
                held.enter_context(self._locks.hold(doc_id))
            before = self.registry.get(ids=doc_ids, include=["metadatas"])
            held.enter_context(self._journalled(doc_ids))
            batch = self._client.get_max_batch_size()
            for lo in range(0, len(ids), batch):
                hi = lo + batch
                self.chunks.upsert(ids=ids[lo:hi], embeddings=vectors[lo:hi],  # type: ignore[arg-type]
                                   documents=texts[lo:hi], metadatas=metas[lo:hi])
            self.registry.upsert(  # the commit point
                ids=doc_ids, embeddings=[_PLACEHOLDER_VECTOR] * len(docs),
                documents=[d.text for d in docs],
                metadatas=[{"source": d.source, "content_hash": d.content_hash,
                            "file_hash": d.file_hash, "meta_key": d.meta_key,
                            "chars": len(d.text), "chunks": len(d.chunks), "ingested_at": now,
                            **d.article()}
                           for d in docs],
            )
            self._bump_generation()
            # The versions these replaced, by id (a filtered delete scans the collection);
            # leftovers of interrupted writes are the journal's (repair()).
            new_hash = {d.doc_id: d.content_hash for d in docs}
            stale = [chunk_id(doc_id, str(m["content_hash"]), i)
                     for doc_id, m in zip(before["ids"], before["metadatas"] or [], strict=True)
                     if m and m.get("content_hash") != new_hash[doc_id]
                     for i in range(int(m.get("chunks", 0)))]
            if stale:
                self.chunks.delete(ids=stale)

    @_chroma_errors("update documents")
    def update_articles(self, docs: list[DocumentWrite]) -> None:
        """New article fields (title, date, url, site) for documents whose text is unchanged,
        in one group like write_documents: their chunks' metadata are rewritten in place,
        then the registry's (the commit point: an interrupted update is redone by the next
        ingest, which still sees the old fields there). A document whose text changed
        meanwhile is left alone. Only a change of the fields themselves (not of the hashes
        alone) is a new generation."""
        if not docs:
            return
        by_id = {d.doc_id: d for d in docs}
        with contextlib.ExitStack() as held:
            for doc_id in sorted(by_id):  # one order for everyone: no deadlock
                held.enter_context(self._locks.hold(doc_id))
            got = self.registry.get(ids=list(by_id), include=["metadatas"])
            chunk_ids, chunk_metas, ids, metas, changed = [], [], [], [], False
            for doc_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                d = by_id[doc_id]
                if not meta or meta.get("content_hash") != d.content_hash:
                    continue
                if any(meta.get(k) != v for k, v in d.article().items()):
                    changed, count = True, int(meta.get("chunks", 0))
                    chunk_ids += [chunk_id(doc_id, d.content_hash, i) for i in range(count)]
                    chunk_metas += [d.article()] * count
                ids.append(doc_id)
                metas.append({"file_hash": d.file_hash, "meta_key": d.meta_key, **d.article()})
            batch = self._client.get_max_batch_size()
            for lo in range(0, len(chunk_ids), batch):
                self.chunks.update(ids=chunk_ids[lo:lo + batch],
                                   metadatas=chunk_metas[lo:lo + batch])
            if ids:
                self.registry.update(ids=ids, metadatas=metas)
            if changed:
                self._bump_generation()

    @_chroma_errors("delete a document")
    def delete_document(self, doc_id: str) -> bool:
        if self.document(doc_id) is None:  # no lock (and no lock file) for an unknown id
            return False
        with self._locks.hold(doc_id):
            if self.document(doc_id) is None:  # deleted meanwhile
                return False
            with self._journalled([doc_id]):
                self.registry.delete(ids=[doc_id])  # the commit point: its chunks go unseen
                self._bump_generation()
                self.chunks.delete(where={"doc_id": doc_id})
        return True

    @contextlib.contextmanager
    def _journalled(self, doc_ids: list[str]) -> Iterator[None]:
        """Record the writes until they are complete; an exception leaves the entries for
        repair()."""
        self.journal.upsert(ids=doc_ids, embeddings=[_PLACEHOLDER_VECTOR] * len(doc_ids))
        yield
        self.journal.delete(ids=doc_ids)

    @_chroma_errors("repair the index")
    def repair(self) -> int:
        """Finish the writes their writer left unfinished (crash, kill, error): delete the
        chunks no committed version owns. Live writes (lock held) are left alone. Returns
        how many chunks were deleted."""
        deleted = 0
        for doc_id in self.journal.get(include=[])["ids"]:
            with self._locks.hold(doc_id, wait=False) as mine:
                if not mine:
                    continue
                committed = self._committed_versions({doc_id}).get(doc_id)
                where: dict[str, Any] = {"doc_id": doc_id}
                if committed:
                    where = {"$and": [where, {"content_hash": {"$ne": committed}}]}
                orphans = self.chunks.get(where=where, include=[])["ids"]  # type: ignore[arg-type]
                if orphans:
                    self.chunks.delete(ids=orphans)
                deleted += len(orphans)
                self.journal.delete(ids=[doc_id])
        return deleted

    # -- what derived indexes (BM25) follow --------------------------------------------------

    def _bump_generation(self) -> None:
        """Mark a committed change, so every process's lexical index sees it must rebuild."""
        self.registry.modify(metadata={"generation": uuid.uuid4().hex})

    @_chroma_errors("read the index generation")
    def generation(self) -> str:
        """A token that changes with every committed write or delete, in any process."""
        fresh = self._client.get_or_create_collection(self._name + _REGISTRY_SUFFIX,
                                                      embedding_function=None)
        return str((fresh.metadata or {}).get("generation", ""))

    @_chroma_errors("read the chunks")
    def committed_chunks(self, batch: int = 5000) -> Iterator[tuple[str, str]]:
        """(chunk_id, text) of every chunk of a committed document version, in pages."""
        versions = self._committed_versions()
        total = self.chunks.count()
        for offset in range(0, total, batch):
            got = self.chunks.get(include=["documents", "metadatas"], limit=batch,
                                  offset=offset)
            for cid, text, meta in zip(got["ids"], got["documents"] or [],
                                       got["metadatas"] or [], strict=True):
                if _committed(meta, versions):
                    yield cid, text

    @_chroma_errors("read chunks")
    def passages(self, chunk_ids: list[str], generation: str | None = None) -> list[Passage]:
        """The committed passages among `chunk_ids`, in that order (score 0: unranked).
        `generation`: the store's, if the caller read it for this search already."""
        if not chunk_ids:
            return []
        got = self.chunks.get(ids=chunk_ids, include=["documents", "metadatas"])
        found = {cid: (text, meta) for cid, text, meta in
                 zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)}
        versions = self._committed_versions({str(m["doc_id"]) for _, m in found.values()},
                                            generation)
        return [_passage(cid, *found[cid], 0.0) for cid in chunk_ids
                if cid in found and _committed(found[cid][1], versions)]

    def _committed_versions(self, doc_ids: set[str] | None = None,
                            generation: str | None = None) -> dict[str, Any]:
        """doc_id -> the content hash of its committed version (all documents by default)."""
        if doc_ids is None:
            return {d.doc_id: d.content_hash for d in self.documents()}
        generation = self.generation() if generation is None else generation
        if generation != self._versions[0]:
            self._versions = (generation, {})
        known = self._versions[1]
        if missing := sorted(doc_ids - known.keys()):
            reg = self.registry.get(ids=missing, include=["metadatas"])
            found = {i: (m or {}).get("content_hash")
                     for i, m in zip(reg["ids"], reg["metadatas"] or [], strict=True)}
            known.update({i: found.get(i) for i in missing})
        return {i: known[i] for i in doc_ids}

    # -- search --------------------------------------------------------------------------

    @_chroma_errors("filter documents")
    def matching_documents(self, filters: Filters,
                           generation: str | None = None) -> frozenset[str]:
        """The committed documents `filters` matches: the registry, read with the filter's
        own `where`, so the lexical side keeps exactly the articles the dense side does."""
        generation = self.generation() if generation is None else generation
        if generation != self._matching[0] or len(self._matching[1]) > 256:
            self._matching = (generation, {})
        key = filters.model_dump_json()
        if key not in self._matching[1]:
            got = self.registry.get(ids=filters.doc_ids or None,
                                    where=filters.article_where(), include=[])  # type: ignore[arg-type]
            self._matching[1][key] = frozenset(got["ids"])
        return self._matching[1][key]

    @_chroma_errors("search")
    def query(self, embedding: list[float], top_k: int, generation: str | None = None,
              where: dict[str, Any] | None = None) -> list[Passage]:
        """The top_k committed chunks nearest `embedding` among those `where` admits: Chroma
        filters before its nearest-neighbour search, so k come back when k match."""
        self.check_embedding_model()
        # Over-fetch: chunks of an uncommitted version (a write in progress, or leftovers
        # of an interrupted one) are filtered out; fetch deeper until k remain. Chroma
        # returns fewer than asked when the index holds no more (no count(): 17 ms at 100k).
        wanted = top_k * 2
        while True:
            res = self.chunks.query(query_embeddings=[embedding], n_results=wanted,
                                    where=where,  # type: ignore[arg-type]
                                    include=["documents", "metadatas", "distances"])
            ids, docs = res["ids"][0], (res["documents"] or [[]])[0]
            if not ids:
                return []  # an empty index
            metas, dists = (res["metadatas"] or [[]])[0], (res["distances"] or [[]])[0]
            versions = self._committed_versions({str(m["doc_id"]) for m in metas}, generation)
            passages = [_passage(cid, text, m, round(1.0 - float(dist), 4))
                        for cid, text, m, dist in zip(ids, docs, metas, dists, strict=True)
                        if _committed(m, versions)]
            if len(passages) >= top_k or len(ids) < wanted:
                return passages[:top_k]
            wanted *= 4


def chunk_id(doc_id: str, content_hash: str, index: int) -> str:
    """The id of a document version's chunk: "<doc>:<version>:<index>"."""
    return f"{doc_id}:{content_hash[:12]}:{index:05d}"


def _committed(meta: Any, versions: dict[str, Any]) -> bool:
    """Is this chunk part of its document's committed version?"""
    return versions.get(str(meta.get("doc_id"))) == meta.get("content_hash")


def _passage(chunk_id: str, text: str, meta: Any, score: float) -> Passage:
    return Passage(source=str(meta["source"]), doc_id=str(meta["doc_id"]), chunk_id=chunk_id,
                   text=text, start=int(meta["start"]), end=int(meta["end"]), score=score,
                   **_article(meta))


def _article(meta: Any) -> dict[str, str | None]:
    """The article fields of a chunk or registry record (None where absent: an index
    written before they existed has none)."""
    return {f: (str(meta[f]) if meta.get(f) is not None else None) for f in ARTICLE_FIELDS}


def _doc_info(doc_id: str, meta: Any) -> DocumentInfo:
    meta = dict(meta or {})
    article = _article(meta)
    return DocumentInfo(doc_id=doc_id, source=str(meta.get("source", "")),
                        **{**article, "title": article["title"] or ""},
                        content_hash=str(meta.get("content_hash", "")),
                        chars=int(meta.get("chars", 0)), chunks=int(meta.get("chunks", 0)),
                        ingested_at=str(meta.get("ingested_at", "")))

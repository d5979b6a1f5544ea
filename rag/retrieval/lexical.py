"""BM25 over the committed chunks (bm25s), rebuilt when the store's generation changes.

Every committed write or delete, in any process, changes the store's generation token
(rag/components/store.py), so a worker notices an ingest made by another one at its next
query. The index of each generation is saved under RAG_DATA_DIR (bm25/<collection>/): the
first process to need it builds it (an ingest does so as it ends), every other process and
every later `rag ask` maps it from disk in milliseconds instead of re-reading the corpus.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import Counter
from collections.abc import Collection
from pathlib import Path

import numpy as np

from rag.components.locks import DocumentLocks
from rag.components.store import ChunkStore

# Our stop words, not bm25s' English list: ours also drop question words ("who", "when"),
# which carry no topic.
from rag.text import STEM_VERSION, STOPWORDS, content_words, stem, words


def tokens(text: str) -> list[str]:
    """Lower-cased, crudely stemmed words without stop words: "Orban's" -> "orban"."""
    return [stem(w) for w in content_words(text)]


def query_tokens(query: str) -> list[str]:
    """As `tokens`, with names (capitalised past the first word) counted twice: in "What
    did Havasi tell reporters?" the name, not "reporters", says which passage is meant."""
    return [stem(w) for i, w in enumerate(words(query)) if w.lower() not in STOPWORDS
            for _ in range(2 if i and w[:1].isupper() else 1)]


BUILD_LOCK = "bm25-build"


class LexicalIndex:
    def __init__(self, store: ChunkStore, folder: Path | None = None) -> None:
        """`folder`: where built indexes are kept and shared (None: memory only)."""
        self.store = store
        self.folder = folder
        self._lock = threading.Lock()
        self._generation: str | None = None
        self._ids: list[str] = []
        self._bm25: object | None = None
        self._chunks_with: Counter[str] = Counter()  # term -> how many chunks hold it
        self._docs: np.ndarray = np.array([])  # the doc_ids, sorted
        self._doc_of: np.ndarray = np.array([], dtype=int)  # chunk -> its doc in _docs

    def search(self, query: str, top_k: int, generation: str | None = None,
               only: Collection[str] | None = None) -> list[tuple[str, float]]:
        """(chunk_id, BM25 score) of the best `top_k` chunks that share a word with `query`;
        `generation`: the store's, if the caller read it for this search already; `only`:
        the doc_ids whose chunks may be returned (None: all)."""
        words = query_tokens(query)
        bm25, ids, docs, doc_of = self._current(generation)
        if bm25 is None or not words:
            return []
        # bm25s's weight_mask scores the other chunks 0 before the top k are taken: the
        # best k among the allowed chunks, however few they are among all.
        mask = None if only is None else np.isin(docs, list(only))[doc_of].astype(np.float32)
        scores = bm25.get_scores(words, weight_mask=mask)  # type: ignore[attr-defined]
        k = min(top_k, int((scores > 0).sum()))
        if k == 0:
            return []
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return [(ids[i], float(scores[i])) for i in best]

    def refresh(self) -> None:
        """Bring the index up to the store's generation now (after an ingest), so the
        next question does not wait for it."""
        self._current()

    def _current(self, generation: str | None = None) -> tuple[
            object | None, list[str], np.ndarray, np.ndarray]:
        """The index of `generation`, its chunk ids, doc_ids and each chunk's doc (read
        together: a rebuild by another thread replaces them all)."""
        generation = self.store.generation() if generation is None else generation
        with self._lock:
            if generation != self._generation:
                self._load_or_build(generation)
            return self._bm25, self._ids, self._docs, self._doc_of

    def _load_or_build(self, generation: str) -> None:
        if self.folder is None:
            self._build(generation)
            return
        saved = self.folder / f"{generation or 'empty'}-stems{STEM_VERSION}"
        # One process builds a generation; the others wait for it, then load it.
        with DocumentLocks(self.folder).hold(BUILD_LOCK):
            if (saved / "ids.json").exists():
                self._load(saved, generation)
                return
            self._build(generation)
            self._save(saved)
        for old in self.folder.iterdir():  # earlier generations
            if old.is_dir() and old != saved:
                shutil.rmtree(old, ignore_errors=True)

    def _index(self, ids: list[str], bm25: object | None, generation: str) -> None:
        # A chunk id begins with its doc_id ("<doc>:<version>:<index>", store.chunk_id).
        self._docs, self._doc_of = np.unique([i.partition(":")[0] for i in ids],
                                             return_inverse=True)
        self._ids, self._bm25, self._generation = ids, bm25, generation

    def _build(self, generation: str) -> None:
        import bm25s

        ids, corpus = [], []
        for chunk_id, text in self.store.committed_chunks():
            ids.append(chunk_id)
            corpus.append(tokens(text))
        bm25 = None
        if ids:
            bm25 = bm25s.BM25()
            bm25.index(corpus, show_progress=False)
        self._chunks_with = Counter(t for words in corpus for t in set(words))
        self._index(ids, bm25, generation)

    def _save(self, target: Path) -> None:
        """Write to a temporary folder, then rename: a reader sees all of it or nothing."""
        partial = target.with_name(target.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        if self._bm25 is not None:
            self._bm25.save(str(partial / "bm25"))  # type: ignore[attr-defined]
        (partial / "terms.json").write_text(json.dumps(self._chunks_with))
        (partial / "ids.json").write_text(json.dumps(self._ids))  # written last: "complete"
        shutil.rmtree(target, ignore_errors=True)
        partial.rename(target)

    def _load(self, saved: Path, generation: str) -> None:
        import bm25s

        ids = json.loads((saved / "ids.json").read_text())
        bm25 = bm25s.BM25.load(str(saved / "bm25"), mmap=True) if ids else None
        self._chunks_with = Counter(json.loads((saved / "terms.json").read_text()))
        self._index(ids, bm25, generation)

    def share(self, term: str) -> float:
        """The share of chunks holding `term` (a `tokens()` stem), as of the last search."""
        return self._chunks_with.get(term, 0) / max(1, len(self._ids))

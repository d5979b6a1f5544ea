"""Vectors of the sentences of each chunk, read from the chunk's own model run.

The extractive answerer compares a question with every sentence of the passages retrieved
for it. Embedding those sentences one by one at question time was most of an answer's time
on a large index, where each question brings chunks never seen before. The model reads every
sentence already when it embeds a chunk at ingest: the mean of its token states over a
sentence's span is that sentence's vector in context, at no extra model run. These vectors
also answer better than sentences embedded alone (bench/ablation.py, session 5: key-fact
accuracy on the dev split 0.750 -> 0.798), since "he" and "the talks" are read with the
sentences that name them.

They are kept on disk (int8, with a scale per sentence) keyed by the chunk's text, so they
need no bookkeeping with versions (a changed chunk has another text); a chunk ingested before
they existed, or pruned from the file, gets them at its first question (one model run over
the chunk).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from rag.components.vector_cache import DiskVectors, Int8RowsCodec, VectorCache
from rag.text import sentence_spans

TABLE = "chunk_sentences_v3"  # bump when sentence_spans or the codec change: rows follow spans
DISK_ROWS = 400_000  # chunks (about 3 kB each as int8 rows); the oldest go first
MEMORY_ROWS = 2_000  # chunks kept in memory by a server


class SpanEmbedder(Protocol):
    """An embedder that can pool its token states over char spans (OnnxMiniLM can)."""

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def sentences_of(text: str) -> list[tuple[int, int]]:
    return list(sentence_spans(text))


class _InContext:
    """One model run over chunks: their vectors, and a (sentences, dim) array for each."""

    def __init__(self, embedder: SpanEmbedder) -> None:
        self.embedder = embedder

    def embed(self, texts: list[str]) -> tuple[np.ndarray, list[np.ndarray]]:
        return self.embedder.embed_spans(texts, [sentences_of(t) for t in texts])

    def embed_texts(self, texts: list[str]) -> list[np.ndarray]:  # what VectorCache calls
        return self.embed(texts)[1]


class SentenceVectors:
    """Chunk text -> a unit vector per sentence (rows in the order of `sentences_of`)."""

    def __init__(self, embedder: SpanEmbedder, path: Path,
                 memory_rows: int = MEMORY_ROWS) -> None:
        """`path`: the SQLite file kept beside the index (RAG_DATA_DIR/sentences/)."""
        self._in_context = _InContext(embedder)
        self._disk = DiskVectors(path, DISK_ROWS, TABLE, Int8RowsCodec)  # (sentences, dim)
        self._cache = VectorCache(self._in_context, memory_rows,  # type: ignore[arg-type]
                                  self._disk)

    def embed_chunks(self, texts: list[str]) -> list[list[float]]:
        """The chunks' own vectors, for the index; their sentences' go to disk (ingest)."""
        vectors, per_chunk = self._in_context.embed(texts)
        self._disk.put(dict(zip(texts, per_chunk, strict=True)))
        return vectors.tolist()

    def __call__(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        return self._cache(texts)


def sentence_vectors_for(embedder: object, path: Path) -> SentenceVectors | None:
    """None for an embedder that cannot read spans in context (an OpenAI endpoint, a torch
    model): the answerer then embeds each sentence alone."""
    if not hasattr(embedder, "embed_spans"):
        return None
    return SentenceVectors(embedder, path)  # type: ignore[arg-type]

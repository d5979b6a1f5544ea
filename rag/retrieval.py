"""Question -> the top-k passages, scored."""

from __future__ import annotations

from collections.abc import Sequence

from rag.components.embedding import EmbeddingModel
from rag.components.store import ChunkStore
from rag.schemas import Passage, Turn


def search_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up ("what did he say then?") is searched together with the question before it."""
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    return f"{previous}\n{question}" if previous else question


class Retriever:
    def __init__(self, store: ChunkStore, embedder: EmbeddingModel) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        return self.store.query(self.embedder.embed_query(query), top_k)

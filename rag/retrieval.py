"""Question -> the top-k passages, scored."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rag.answering.text import STOPWORDS, content_terms
from rag.components.embedding import EmbeddingModel
from rag.components.store import ChunkStore
from rag.schemas import Passage, Turn

_PRONOUN = re.compile(r"\b(he|she|him|his|hers|they|them|their|theirs|it|its|there|then)\b",
                      re.IGNORECASE)
_CONTINUATION = re.compile(r"\s*(and|but|also|so|what about|how about)\b", re.IGNORECASE)
_DEMONSTRATIVE = re.compile(r"\b(that|this|those|these|the same)\s+(\w+)", re.IGNORECASE)


def refers_back(question: str) -> bool:
    """Does the question point at something said before ("he", "that trip", "and where?")?"""
    if _PRONOUN.search(question) or _CONTINUATION.match(question):
        return True
    if len(content_terms(question)) < 2:  # "Why?", "And when?": nothing to search on its own
        return True
    return any(m.group(2).lower() not in STOPWORDS for m in _DEMONSTRATIVE.finditer(question))


def follow_up_context(question: str, history: Sequence[Turn]) -> str:
    """The previous question, when this one only makes sense with it; else ''."""
    if not refers_back(question):
        return ""  # "What is the capital of Australia?" stands alone, whatever came before
    return next((t.content for t in reversed(history) if t.role == "user"), "")


def search_query(question: str, history: Sequence[Turn]) -> str:
    """A follow-up ("what did he say then?") is searched together with the question before it."""
    previous = follow_up_context(question, history)
    return f"{previous}\n{question}" if previous else question


class Retriever:
    def __init__(self, store: ChunkStore, embedder: EmbeddingModel) -> None:
        self.store = store
        self.embedder = embedder

    def retrieve(self, query: str, top_k: int) -> list[Passage]:
        return self.store.query(self.embedder.embed_query(query), top_k)

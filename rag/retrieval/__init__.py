"""Question -> the top-k passages: dense (Chroma) and lexical (BM25) results, fused."""

from rag.retrieval.hybrid import Retriever

__all__ = ["Retriever"]

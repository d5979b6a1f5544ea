"""Dense and lexical results fused by relative score (or by reciprocal rank).

Dense search finds passages that say the same thing in other words; BM25 finds the one
passage holding a rare name ("Ushakov", "MTI") that an embedding of a whole question
blurs. Relative score fusion keeps how far such a hit stands out, which rank fusion
loses; the mode and the weights were measured on the dev split (bench/retrieval_sweep.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from rag.components.embedding import EmbeddingModel
from rag.components.store import ChunkStore
from rag.retrieval.lexical import LexicalIndex
from rag.schemas import Filters, Passage

RRF_K = 60  # the constant of Cormack et al. (2009); ranks past ~k matter little
DENSE_WEIGHT = 1.0
LEXICAL_WEIGHT = 1.0  # measured: bench/retrieval_sweep.py (dev split, k=4)
CANDIDATES = 20  # per retriever, before fusion
Fusion = Literal["relative", "rrf", "dense"]


def fuse_relative(results: Sequence[tuple[float, Sequence[tuple[str, float]]]],
                  from_zero: Sequence[bool] = ()) -> list[tuple[str, float]]:
    """Relative score fusion (llama-index's "relative_score"): each list's scores scaled to
    [0, 1], then summed with weights. Unlike ranks, it keeps how far a rare-name BM25 hit
    stands above the rest. `from_zero[i]`: scale list i by its maximum only (BM25, whose
    zero means "no word in common": a lone hit keeps its full weight)."""
    scores: dict[str, float] = defaultdict(float)
    for i, (weight, hits) in enumerate(results):
        if not hits:
            continue
        values = [s for _, s in hits]
        lo, hi = (0.0 if i < len(from_zero) and from_zero[i] else min(values)), max(values)
        for item, s in hits:
            scores[item] += weight * ((s - lo) / (hi - lo) if hi > lo else 1.0)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def fuse(rankings: Sequence[tuple[float, Sequence[str]]], k: int = RRF_K) -> list[
        tuple[str, float]]:
    """Weighted reciprocal rank fusion of ranked id lists: [(id, score)], best first."""
    scores: dict[str, float] = defaultdict(float)
    for weight, ids in rankings:
        for rank, item in enumerate(ids, start=1):
            scores[item] += weight / (k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


class Retriever:
    def __init__(self, store: ChunkStore, embedder: EmbeddingModel, *,
                 fusion: Fusion = "relative", dense_weight: float = DENSE_WEIGHT,
                 lexical_weight: float = LEXICAL_WEIGHT, lexical_dir: Path | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.lexical = LexicalIndex(store, lexical_dir)
        self.fusion: Fusion = fusion
        self.weights = (dense_weight, lexical_weight)

    def retrieve(self, query: str, top_k: int, lexical_extra: int = 0,
                 filters: Filters | None = None) -> list[Passage]:
        """The top_k fused passages; then up to `lexical_extra` of BM25's best hits that the
        fusion left out (where dense scores are flat, a chunk holding the question's rare
        word can fall below ones that merely resemble the question). `filters`: only the
        articles it matches are searched, on both sides (none are searched after)."""
        depth = max(CANDIDATES, top_k)
        # One read of the store's generation serves the whole search (0.7 ms each).
        generation = self.store.generation()
        only, where = None, None
        if filters is not None and filters.given():
            only, where = self.store.matching_documents(filters, generation), filters.chunk_where()
            if not only:
                return []
        dense = self.store.query(self.embedder.embed_query(query), depth, generation, where)
        if self.fusion == "dense":
            return dense[:top_k]
        lexical = self.lexical.search(query, depth, generation, only)
        if self.fusion == "rrf":
            fused = fuse([(self.weights[0], [p.chunk_id for p in dense]),
                          (self.weights[1], [cid for cid, _ in lexical])])
        else:
            fused = fuse_relative([(self.weights[0], [(p.chunk_id, p.score) for p in dense]),
                                   (self.weights[1], lexical)], from_zero=(False, True))
        best = fused[:top_k]
        if lexical_extra:  # every BM25 hit is among the fused, with its fused score
            taken, fused_score = {cid for cid, _ in best}, dict(fused)
            best += [(cid, fused_score[cid]) for cid, _ in lexical
                     if cid not in taken][:lexical_extra]
        fused = best
        known = {p.chunk_id: p for p in dense}
        missing = [cid for cid, _ in fused if cid not in known]
        for p in self.store.passages(missing, generation):
            known[p.chunk_id] = p
        top = fused[0][1] if fused else 1.0  # scores relative to the best: 1 is the first
        return [known[cid].model_copy(update={"score": round(score / top, 4)})
                for cid, score in fused if cid in known]

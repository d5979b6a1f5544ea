"""Measure the fusion of dense and BM25 results: hit rate@k and MRR@k per configuration,
on the eval set's dev split (tuning never reads the held-out split).

    .venv/bin/python bench/retrieval_sweep.py [--k 4] [--split dev]

Each question's dense and lexical candidates are fetched once; every configuration then
fuses the same lists, so the comparison is exact and fast. Writes bench/out/retrieval.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import rag  # noqa: F401  (offline mode)
from eval.dataset import DEFAULT_SETS, load_sets
from rag.retrieval.hybrid import CANDIDATES, fuse, fuse_relative
from rag.service import RagService
from rag.settings import PROJECT_DIR, load_settings

OUT = PROJECT_DIR / "bench" / "out"


def configs() -> dict[str, object]:
    out: dict[str, object] = {"dense only": ("dense", 1, 0), "BM25 only": ("bm25", 0, 1)}
    for w in (0.5, 1.0, 1.5, 2.0):
        out[f"rrf lexical x{w}"] = ("rrf", 1.0, w)
    for w in (0.25, 0.5, 0.75, 1.0, 1.5):
        out[f"relative lexical x{w}"] = ("relative", 1.0, w)
    return out


def rank_of(ids: list[str], sources: dict[str, str], expected: set[str], k: int) -> int | None:
    for rank, cid in enumerate(ids[:k], start=1):
        if sources[cid] in expected:
            return rank
    return None


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--k", type=int, default=4)
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    items = [i for i in load_sets(DEFAULT_SETS) if i.split == args.split and i.sources]
    with tempfile.TemporaryDirectory() as tmp:
        service = RagService(load_settings(_env_file=None, data_dir=Path(tmp)))
        service.ingest_paths([PROJECT_DIR / "data" / "articles"], progress=False)
        lists = []
        sources: dict[str, str] = {}
        for item in items:
            query = service.read(item.question, item.history).search_text
            dense = service.store.query(service.embedder.embed_query(query), CANDIDATES)
            lexical = service.retriever.lexical.search(query, CANDIDATES)
            lexical_passages = service.store.passages([c for c, _ in lexical])
            sources.update({p.chunk_id: p.source for p in dense + lexical_passages})
            lists.append((item, [(p.chunk_id, p.score) for p in dense], lexical))
    results = {}
    for name, (mode, wd, wl) in configs().items():
        ranks = []
        for item, dense, lexical in lists:
            if mode == "dense":
                ids = [c for c, _ in dense]
            elif mode == "bm25":
                ids = [c for c, _ in lexical]
            elif mode == "rrf":
                ids = [c for c, _ in fuse([(wd, [c for c, _ in dense]),
                                           (wl, [c for c, _ in lexical])])]
            else:
                ids = [c for c, _ in fuse_relative([(wd, dense), (wl, lexical)],
                                                   from_zero=(False, True))]
            ranks.append(rank_of(ids, sources, set(item.sources), args.k))
        hits = [r for r in ranks if r]
        results[name] = {"hit_rate": round(len(hits) / len(ranks), 3),
                         "mrr": round(sum(1 / r for r in hits) / len(ranks), 3)}
        print(f"{name:24} hit@{args.k} {results[name]['hit_rate']:.3f}  "
              f"MRR@{args.k} {results[name]['mrr']:.3f}")
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "retrieval.json").write_text(json.dumps(
        {"split": args.split, "k": args.k, "questions": len(items), "results": results},
        indent=2))


if __name__ == "__main__":
    main()

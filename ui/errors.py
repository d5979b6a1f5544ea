"""Service exceptions as sentences a reader of the chat window can act on.

The failure's meaning comes from rag/errors.py's hierarchy; this module only words it
for the chat, keyed by the error's code.
"""

from __future__ import annotations

from rag.errors import RagError

MAX_DETAIL_CHARS = 300  # a driver's error text can be long; the server log keeps all of it

# {detail} is the error's user message, shortened; codes not listed show it as is.
UI_WORDING: dict[str, str] = {
    "llm_busy": "The language model is busy with other questions. Please retry in a moment.",
    "llm_unavailable": "The language model could not be reached ({detail}). Retry, or switch "
                       "the answerer to Extractive.",
    "embedding_unavailable": "The embedding model could not be reached: {detail}",
    "embedding_mismatch": "The index was built with another embedding model: {detail}",
    "store_unavailable": "The article index is unavailable: {detail}",
}


def describe_error(exc: BaseException) -> str:
    """What failed and what to do, without a stack trace."""
    if not isinstance(exc, RagError):  # a bug: name it, the log has the rest
        return f"{type(exc).__name__}: {_short(str(exc))}. The server log has the details."
    return UI_WORDING.get(exc.code, "{detail}").format(detail=_short(exc.user_message()))


def _short(text: str) -> str:
    text = text.strip() or "no details"
    return text if len(text) <= MAX_DETAIL_CHARS else text[:MAX_DETAIL_CHARS] + "…"

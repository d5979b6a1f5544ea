"""The one error hierarchy: each failure a user can meet is a RagError subclass.

A subclass states once what the failure means to every front end: its `code` and HTTP
`status` for the API, its `exit_code` for the CLI, and `user_message()` for all of them
(the UI adds its own wording keyed by `code`). Anything that is not a RagError is a bug:
the API answers it with the base class's generic 500 and the server log keeps the details.

The subclasses live beside the code that raises them (StoreError in the store, LLMBusyError
in the generative answerer, ...). This module imports nothing from the project, so any
layer can use it without an import cycle.
"""

from __future__ import annotations

import re
from typing import ClassVar

# An absolute file path (two or more segments), not the path part of a URL ("host:8000/v1").
_PATH = re.compile(r"(?<![\w:/.])(?:/[^\s'\"/]+){2,}/?")


class RagError(Exception):
    """An expected failure; raised as is, the base class stands for an internal error."""

    code: ClassVar[str] = "internal_error"
    status: ClassVar[int] = 500
    exit_code: ClassVar[int] = 1  # 2: the command line or the settings need fixing
    retry_after_s: ClassVar[int | None] = None  # a 503 worth retrying says when

    def user_message(self) -> str:
        """What failed and what to do, for any reader; never a stack trace."""
        return str(self).strip() or type(self).__name__

    def headers(self) -> dict[str, str]:
        """HTTP response headers that belong to this error."""
        return {"Retry-After": str(self.retry_after_s)} if self.retry_after_s else {}


class AnswererNotConfiguredError(RagError, ValueError):  # ValueError: what it replaced
    """A request named an answerer this server does not run (e.g. `llm` without RAG_LLM).

    Raised by RagService.answerer(); kept here as the service has no error module.
    """

    # 422 like the API's other well-formed but unacceptable request fields; exit 2 since
    # the fix is the command line (--answerer) or the settings (RAG_LLM).
    code = "answerer_not_configured"
    status = 422
    exit_code = 2


def describe(exc: BaseException) -> str:
    """'Type: message' of a foreign exception for a user's eyes: no server file path in it
    (an OSError's text names its file: "[Errno 36] File name too long: '/srv/...'")."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"{type(exc).__name__}: {_PATH.sub('<path>', text)}"

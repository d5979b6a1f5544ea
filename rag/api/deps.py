"""Dependencies shared by the routers: the service, the settings, the API key check."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request

from rag.api.errors import QuestionTooLongError, UnauthorizedError
from rag.service import RagService


def get_service(request: Request) -> RagService:
    return request.app.state.service


ServiceDep = Annotated[RagService, Depends(get_service)]


def require_api_key(request: Request) -> None:
    """With RAG_API_KEY set, /v1 needs `Authorization: Bearer <key>` (constant-time check)."""
    expected = get_service(request).settings.api_key
    if expected is None:
        return
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(
            token.strip().encode(), expected.get_secret_value().encode()):
        raise UnauthorizedError("missing or wrong API key: send "
                                "'Authorization: Bearer <RAG_API_KEY>'")


def check_question_length(service: RagService, text: str) -> None:
    limit = service.settings.max_question_chars
    if len(text) > limit:
        raise QuestionTooLongError(f"the question has {len(text)} characters; the limit is "
                                   f"{limit} (RAG_MAX_QUESTION_CHARS)")

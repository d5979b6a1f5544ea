"""Dependencies shared by the routers: the service, the question's length check.

The API key is checked before the app reads a request: rag/api/guard.py.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from rag.api.errors import QuestionTooLongError
from rag.service import RagService


def get_service(request: Request) -> RagService:
    return request.app.state.service


ServiceDep = Annotated[RagService, Depends(get_service)]


def question_text(service: RagService, text: str) -> str:
    """The question stripped, once its length as sent (what the schema's maxLength states)
    is within RAG_MAX_QUESTION_CHARS."""
    limit = service.settings.max_question_chars
    if len(text) > limit:
        raise QuestionTooLongError(f"the question has {len(text)} characters; the limit is "
                                   f"{limit} (RAG_MAX_QUESTION_CHARS)")
    return text.strip()

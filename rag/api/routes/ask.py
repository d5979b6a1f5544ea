"""POST /v1/ask (JSON or SSE) and POST /v1/search."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from rag.api.deps import ServiceDep, question_text
from rag.api.models import (
    BODY_TOO_LARGE,
    AskRequest,
    SearchRequest,
    SearchResponse,
    error_responses,
)
from rag.api.routes.sse import primed_stream, sse
from rag.schemas import Answer

router = APIRouter(prefix="/v1", tags=["questions"])


@router.post("/ask", response_model=Answer,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "JSON, or with stream=true server-sent events: "
                              "`delta` events with answer text, then one `done` event with "
                              "the whole answer, citations and timings."},
                        **error_responses(BODY_TOO_LARGE)})
def ask(req: AskRequest, service: ServiceDep) -> Answer | StreamingResponse:
    question = question_text(service, req.question)
    if not req.stream:
        return service.ask(question, req.top_k, req.history, req.answerer, req.filters)
    events = service.ask_stream(question, req.top_k, req.history, req.answerer, req.filters)
    return primed_stream(_answer_frames(events))


def _answer_frames(events: Iterator[object]) -> Iterator[str]:
    for event in events:
        if isinstance(event, Answer):
            yield sse(event.model_dump(), event="done")
        else:
            yield sse({"text": event.text}, event="delta")  # type: ignore[attr-defined]


@router.post("/search", response_model=SearchResponse,
             responses=error_responses(BODY_TOO_LARGE))
def search(req: SearchRequest, service: ServiceDep) -> SearchResponse:
    return SearchResponse(results=service.search(question_text(service, req.query),
                                                  req.top_k, filters=req.filters))

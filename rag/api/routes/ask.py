"""POST /v1/ask (JSON or SSE) and POST /v1/search."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.responses import StreamingResponse

from rag.api.deps import ServiceDep, check_question_length
from rag.api.models import AskRequest, SearchRequest, SearchResponse
from rag.api.routes.sse import primed_stream, sse
from rag.schemas import Answer

router = APIRouter(prefix="/v1", tags=["questions"])


@router.post("/ask", response_model=Answer,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "JSON, or with stream=true server-sent events: "
                              "`delta` events with answer text, then one `done` event with "
                              "the whole answer, citations and timings."}})
def ask(req: AskRequest, service: ServiceDep) -> Answer | StreamingResponse:
    check_question_length(service, req.question)
    if not req.stream:
        return service.ask(req.question, req.top_k, req.history, req.answerer)
    events = service.ask_stream(req.question, req.top_k, req.history, req.answerer)
    return primed_stream(_answer_frames(events))


def _answer_frames(events: Iterator[object]) -> Iterator[str]:
    for event in events:
        if isinstance(event, Answer):
            yield sse(event.model_dump(), event="done")
        else:
            yield sse({"text": event.text}, event="delta")  # type: ignore[attr-defined]


@router.post("/search", response_model=SearchResponse)
def search(req: SearchRequest, service: ServiceDep) -> SearchResponse:
    check_question_length(service, req.query)
    return SearchResponse(results=service.search(req.query, req.top_k))

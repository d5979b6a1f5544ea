"""POST /v1/chat/completions: the bot behind OpenAI's chat protocol.

The last user message with text is the question, the user/assistant messages before it
are the history (later messages, and system/developer/tool ones, are not read). The
answer keeps its [n] markers; `citations` rides along as an extra field (on the
response, and on the last chunk of a stream); an extra `filters` field in the request
scopes the search as on /v1/ask.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from itertools import chain
from typing import Any

from fastapi import APIRouter

from rag.api.deps import ServiceDep, question_text
from rag.api.models import BODY_TOO_LARGE, ChatCompletionRequest, error_responses
from rag.api.routes.sse import primed_stream, sse
from rag.schemas import Answer, Turn
from rag.service import RagService

router = APIRouter(prefix="/v1", tags=["openai-compatible"])


@router.post("/chat/completions", responses={
    200: {"content": {"text/event-stream": {}},
          "description": "A chat.completion, or with stream=true server-sent "
          "chat.completion.chunk events ending with `data: [DONE]`."},
    **error_responses(BODY_TOO_LARGE)})
def chat_completions(req: ChatCompletionRequest,
                     service: ServiceDep) -> Any:
    question, history = _split_messages(req, service)
    meta = {"id": f"chatcmpl-{uuid.uuid4().hex[:24]}", "created": int(time.time()),
            "model": req.model}
    if req.stream:
        return primed_stream(_chunks(service.ask_stream(question, req.top_k, history,
                                                        filters=req.filters), meta))
    answer = service.ask(question, req.top_k, history, filters=req.filters)
    return {**meta, "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": answer.answer}}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            **_extras(answer)}


def _split_messages(req: ChatCompletionRequest,
                    service: RagService) -> tuple[str, list[Turn]]:
    at = req.question_at()
    assert at is not None  # the model refuses messages without a question
    history = [Turn(role=m.role, content=m.text()) for m in req.messages[:at]  # type: ignore[arg-type]
               if m.role in ("user", "assistant")]
    return question_text(service, req.messages[at].text()), history


def _extras(answer: Answer) -> dict[str, Any]:
    return {"citations": [c.model_dump() for c in answer.citations], "refused": answer.refused,
            "unsupported": answer.unsupported,
            "rag_mode": answer.mode, "timings_ms": answer.timings_ms.model_dump()}


def _chunks(events: Iterator[object], meta: dict[str, Any]) -> Iterator[str]:
    base = {**meta, "object": "chat.completion.chunk"}
    first = next(events)  # retrieval and the LLM start before the 200 goes out
    yield sse({**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""},
                                    "finish_reason": None}]})
    for event in chain([first], events):
        if isinstance(event, Answer):
            yield sse({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                       **_extras(event)})
        else:
            yield sse({**base, "choices": [{"index": 0, "delta": {"content": event.text},  # type: ignore[attr-defined]
                                            "finish_reason": None}]})
    yield sse("[DONE]")

"""Server-sent events: start a stream only once its first event exists.

Priming the generator before the 200 goes out lets an LLM that is busy or down
still be answered with a proper 503 instead of a broken stream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from itertools import chain
from typing import Any

from fastapi.responses import StreamingResponse

from rag.api.errors import as_rag_error, error_body


def sse(data: Any, event: str | None = None) -> str:
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return (f"event: {event}\n" if event else "") + f"data: {payload}\n\n"


def primed_stream(frames: Iterator[str]) -> StreamingResponse:
    """Pull the first frame now (errors raise here), then stream the rest."""
    first = next(frames)

    def rest() -> Iterator[str]:
        try:
            yield from chain([first], frames)
        except Exception as exc:  # mid-stream: the status is sent, so say it in-band
            err = as_rag_error(exc)
            yield sse(error_body(err.code, err.user_message()), event="error")

    return StreamingResponse(rest(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

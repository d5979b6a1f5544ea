"""The API over real HTTP (uvicorn on a loopback port): streaming, the openai client,
concurrent requests, and the LLM slot limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from openai import OpenAI

from rag.answering.base import cited_numbers
from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import free_port, serving

BEIJING_Q = "Where did Orban and Putin meet during the Belt and Road Forum?"


@pytest.fixture(scope="module")
def base_url(corpus_service: RagService) -> Iterator[str]:
    with serving(create_app(corpus_service.settings, corpus_service, with_ui=False)) as url:
        yield url


def sse_events(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream response."""
    events, event = [], "message"
    for line in response.iter_lines():
        if line.startswith("event: "):
            event = line.removeprefix("event: ")
        elif line.startswith("data: "):
            events.append((event, line.removeprefix("data: ")))
            event = "message"
    return events


def test_ask_streams_deltas_then_the_whole_answer(base_url: str) -> None:
    with httpx.stream("POST", f"{base_url}/v1/ask", timeout=60,
                      json={"question": BEIJING_Q, "stream": True}) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = sse_events(r)
    kinds = [e for e, _ in events]
    assert kinds[-1] == "done" and set(kinds[:-1]) == {"delta"} and len(kinds) > 1
    final = json.loads(events[-1][1])
    assert "".join(json.loads(d)["text"] for _, d in events[:-1]) == final["answer"]
    assert final["citations"] and set(final["timings_ms"]) == {"retrieve", "generate", "total"}


def test_openai_client_without_streaming(base_url: str) -> None:
    client = OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="rag", messages=[{"role": "system", "content": "Be brief."},
                               {"role": "user", "content": BEIJING_Q}])
    content = reply.choices[0].message.content or ""
    assert "Beijing" in content and reply.choices[0].finish_reason == "stop"
    citations = reply.model_extra["citations"]  # the extra field rides along
    assert set(cited_numbers(content)) == {c["n"] for c in citations}


def test_openai_client_streaming_with_history(base_url: str) -> None:
    client = OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(model="rag", stream=True, messages=[
        {"role": "user", "content": "Why did Orban travel to Beijing to meet Putin?"},
        {"role": "assistant", "content": "For the Belt and Road forum."},
        {"role": "user", "content": "Which Chinese policy was that forum about?"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert "Belt and Road" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop" and last.model_extra["citations"]


def test_chat_completions_rejects_messages_without_a_question(base_url: str) -> None:
    r = httpx.post(f"{base_url}/v1/chat/completions", timeout=30,
                   json={"model": "rag", "messages": [{"role": "assistant", "content": "hi"}]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"


def test_concurrent_requests_all_succeed(base_url: str) -> None:
    questions = [BEIJING_Q, "Who joined Orban and Putin in the Kremlin?",
                 "What did Orban say about peace?", "Who won the 2022 World Cup?"] * 3

    def ask(q: str) -> int:
        return httpx.post(f"{base_url}/v1/ask", json={"question": q}, timeout=120).status_code

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(ask, questions)) == [200] * len(questions)


def test_llm_slots_full_gives_503_with_retry_after(corpus_service: RagService) -> None:
    settings = corpus_service.settings.model_copy(update={
        "llm": "openai", "openai_base_url": f"http://127.0.0.1:{free_port()}/v1",
        "llm_concurrency": 1, "llm_queue_timeout_s": 0.2})
    service = RagService(settings)
    slots = service.answerers["llm"]._slots
    with serving(create_app(settings, service, with_ui=False)) as url:
        assert slots.acquire(timeout=1)  # another request holds the only slot
        try:
            for stream in (False, True):
                r = httpx.post(f"{url}/v1/ask", json={"question": BEIJING_Q, "stream": stream},
                               timeout=30)
                assert r.status_code == 503 and r.headers["retry-after"].isdigit()
                assert r.json()["error"]["code"] == "llm_busy"
        finally:
            slots.release()

"""The chat is built after the server starts: the API answers meanwhile, "/" says the chat
is starting, then serves it; a chat that fails to build leaves the API up; shutdown is
clean whether the chat is up or still building. Real HTTP: uvicorn in a thread."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import free_port, wait_for_chat
from ui.shell import build_chat_app

STOP_TIMEOUT_S = 30  # a hang check, not a speed check


@contextmanager
def running(app: FastAPI) -> Iterator[tuple[str, threading.Thread]]:
    """Serve app on a loopback port; yield its URL and the server's thread, which the
    caller can check has ended after the block."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(),
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn did not start"
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}", thread
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)


def gated(build: Callable[[], FastAPI], gate: threading.Event) -> Callable[[], FastAPI]:
    """A builder that waits for gate first: the chat stays 'starting' as long as needed."""

    def builder() -> FastAPI:
        gate.wait()
        return build()

    return builder


def test_api_answers_while_the_chat_starts_then_the_chat_serves(
        corpus_service: RagService) -> None:
    release = threading.Event()
    chats: list[FastAPI] = []

    def build() -> FastAPI:
        chats.append(build_chat_app(corpus_service))
        return chats[-1]

    app = create_app(corpus_service.settings, corpus_service,
                     ui_builder=gated(build, release))
    with running(app) as (url, thread):
        ready = httpx.get(f"{url}/ready")
        assert ready.status_code == 200 and ready.json()["ui"] == "starting"
        found = httpx.post(f"{url}/v1/search", json={"query": "Belt and Road Forum"}).json()
        assert found["results"]

        page = httpx.get(f"{url}/")
        assert page.status_code == 503 and page.headers["retry-after"] == "1"
        assert "The chat is starting" in page.text and 'http-equiv="refresh"' in page.text
        early = httpx.get(f"{url}/gradio_api/info")  # the chat's own routes, too early
        assert early.status_code == 503 and early.json()["error"]["code"] == "ui_starting"

        release.set()
        assert wait_for_chat(url)["status"] == "ready"
        page = httpx.get(f"{url}/")
        assert page.status_code == 200 and "Ask the articles" in page.text  # Gradio's page
        assert httpx.get(f"{url}/gradio_api/info").status_code == 200
        assert httpx.get(f"{url}/ready").status_code == 200  # the API still comes first
    assert not thread.is_alive(), "the server did not stop"
    assert chats[0].state.blocks._queue.stopped, "Gradio's queue kept running after shutdown"


def test_a_chat_that_fails_to_build_leaves_the_api_serving(corpus_service: RagService) -> None:
    def broken() -> FastAPI:
        raise RuntimeError("no fonts today")

    app = create_app(corpus_service.settings, corpus_service, ui_builder=broken)
    with running(app) as (url, thread):
        with pytest.raises(AssertionError, match="failed: RuntimeError: no fonts today"):
            wait_for_chat(url)
        page = httpx.get(f"{url}/")
        assert page.status_code == 503 and "retry-after" not in page.headers
        assert "could not start" in page.text and "no fonts today" in page.text
        assert httpx.post(f"{url}/v1/search", json={"query": "Putin"}).status_code == 200
    assert not thread.is_alive()


def test_shutdown_while_the_chat_is_still_building(corpus_service: RagService) -> None:
    never = threading.Event()
    app = create_app(corpus_service.settings, corpus_service,
                     ui_builder=gated(lambda: FastAPI(), never))
    try:
        with running(app) as (url, thread):
            assert httpx.get(f"{url}/ready").json()["ui"] == "starting"
        assert not thread.is_alive(), "the server waited for the chat's build to finish"
    finally:
        never.set()  # lets the builder's thread end


def test_the_chat_mounted_late_still_asks_for_the_api_key(corpus_service: RagService) -> None:
    settings = corpus_service.settings.model_copy(update={"api_key": SecretStr("s3cret")})
    service = RagService(settings)
    with running(create_app(settings, service)) as (url, _):
        wait_for_chat(url)
        assert httpx.get(f"{url}/config").status_code == 401  # the chat's, before a login
        with httpx.Client(base_url=url) as browser:
            wrong = browser.post("/login", data={"username": "rag", "password": "nope"})
            assert wrong.status_code == 400
            right = browser.post("/login", data={"username": "rag", "password": "s3cret"})
            assert right.status_code == 200 and right.json() == {"success": True}
            assert browser.get("/config").status_code == 200

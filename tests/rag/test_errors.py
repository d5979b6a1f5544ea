"""The one error hierarchy (rag/errors.py): every failure has a code, a status and a message,
and the API answers each as {"error": {"code", "message"}} with that status.

The failures users meet are triggered for real where it is cheap (a Chroma server that went
away, an embeddings endpoint that is not there, an answerer that is not configured); the
mapping of every class is checked by making the service raise it.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

# Between them, these imports define every RagError subclass.
import rag.answering.generative
import rag.api.app
import rag.cli
from rag.answering import TextDelta
from rag.answering.question import Question
from rag.errors import RagError
from rag.schemas import Passage
from rag.service import RagService
from tests.conftest import free_port, make_settings
from ui.errors import UI_WORDING, describe_error

CHROMA = Path(sys.executable).with_name("chroma")


def all_errors() -> list[type[RagError]]:
    found, todo = [], [RagError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return sorted(set(found), key=lambda c: c.code)


ERRORS = all_errors()


def make_client(service: RagService) -> TestClient:
    return TestClient(rag.api.app.create_app(service.settings, service, with_ui=False),
                      raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(corpus_service: RagService) -> Iterator[TestClient]:
    with make_client(corpus_service) as c:
        yield c


def assert_error(response: httpx.Response, status: int, code: str, text: str = "") -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and text in body["error"]["message"]
    assert "Traceback" not in response.text


# -- the hierarchy -----------------------------------------------------------------------------

def test_every_error_has_a_unique_code_an_error_status_and_an_exit_code() -> None:
    assert len(ERRORS) >= 14  # the service's, the API's and the CLI's were all found
    codes = [cls.code for cls in ERRORS]
    assert len(codes) == len(set(codes)), f"codes shared by several classes: {codes}"
    for cls in ERRORS:
        assert 400 <= cls.status < 600, cls
        assert cls.exit_code in (1, 2), cls
        assert cls("what failed").user_message() == "what failed"
        assert cls("").user_message() == cls.__name__  # never an empty line


def test_the_ui_words_only_codes_that_exist() -> None:
    assert set(UI_WORDING) <= {cls.code for cls in ERRORS}
    for cls in ERRORS:
        assert describe_error(cls("the detail"))  # each class has a sentence for the chat


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: c.code)
def test_the_api_answers_each_error_with_its_status(
        client: TestClient, corpus_service: RagService, monkeypatch: pytest.MonkeyPatch,
        cls: type[RagError]) -> None:
    exc = cls("what failed, and what to do")

    def fail(*args: object, **kwargs: object) -> None:
        raise exc

    monkeypatch.setattr(corpus_service, "search", fail)
    for r in (client.post("/v1/search", json={"query": "Orban"}),
              client.post("/v1/ask", json={"question": "Orban?", "stream": True})):
        assert_error(r, cls.status, cls.code, "what failed, and what to do")
        for name, value in exc.headers().items():
            assert r.headers[name] == value
    if cls.retry_after_s:
        assert int(r.headers["retry-after"]) == cls.retry_after_s


# -- triggered for real --------------------------------------------------------------------------

def test_unknown_answerer_is_422(client: TestClient) -> None:
    for stream in (False, True):
        r = client.post("/v1/ask", json={"question": "Orban?", "answerer": "llm",
                                          "stream": stream})
        assert_error(r, 422, "answerer_not_configured", "available: extractive")


def test_empty_question_is_422_however_it_is_sent(client: TestClient) -> None:
    assert_error(client.post("/v1/ask", json={"question": "  "}), 422, "invalid_request",
                 "must not be empty")
    r = client.post("/v1/chat/completions",
                    json={"messages": [{"role": "user", "content": "  "}]})
    assert_error(r, 422, "invalid_request", "non-empty user message")


class _FailsMidStream:
    """An answerer that fails after its first words, when the 200 has gone out."""

    mode = "extractive"

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def stream(self, question: Question, passages: Sequence[Passage]) -> Iterator[TextDelta]:
        yield TextDelta("They met ")
        raise self.exc

    def check(self) -> None:
        pass


@pytest.mark.parametrize(("exc", "code", "text"), [
    (rag.answering.generative.LLMUnavailableError("LLM request failed: reset"),
     "llm_unavailable", "reset"),
    (ZeroDivisionError("secret internals"), "internal_error", "server log"),
])
def test_a_stream_that_fails_midway_says_so_in_band(
        client: TestClient, corpus_service: RagService, monkeypatch: pytest.MonkeyPatch,
        exc: Exception, code: str, text: str) -> None:
    monkeypatch.setitem(corpus_service.answerers, "extractive", _FailsMidStream(exc))
    r = client.post("/v1/ask", json={"question": "Where did they meet?", "stream": True})
    assert r.status_code == 200  # already sent when the failure came
    assert "event: error" in r.text and f'"code": "{code}"' in r.text and text in r.text
    assert "secret internals" not in r.text and "Traceback" not in r.text


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`chroma run` on a loopback port (the process, the port); the test stops it."""
    port = free_port()
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(tmp_path / "chroma"), "--host", "127.0.0.1",
         "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"})
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("chroma run did not start")
                time.sleep(0.3)
        yield proc, port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_store_that_went_away_is_503(
        chroma_server: tuple[subprocess.Popen[bytes], int], tmp_path: Path) -> None:
    proc, port = chroma_server
    settings = make_settings(tmp_path / "unused", chroma_host="127.0.0.1", chroma_port=port)
    with make_client(RagService(settings)) as c:
        assert c.get("/ready").status_code == 200
        proc.terminate()
        proc.wait(timeout=10)
        assert_error(c.post("/v1/search", json={"query": "Orban"}), 503, "store_unavailable",
                     "Chroma")
        assert_error(c.get("/v1/documents"), 503, "store_unavailable")
        assert_error(c.get("/ready"), 503, "not_ready", "Chroma")


def test_embedding_endpoint_down_is_503_and_another_model_is_409(tmp_path: Path) -> None:
    local = RagService(make_settings(tmp_path / "index"))
    local.ingest_uploads([("a.txt", b"Orban and Putin met in Beijing at the forum.")])
    remote = RagService(local.settings.model_copy(update={
        "embedding": "openai", "openai_base_url": f"http://127.0.0.1:{free_port()}/v1"}))
    with make_client(remote) as c:
        assert_error(c.post("/v1/search", json={"query": "Orban"}), 503,
                     "embedding_unavailable", "OPENAI_BASE_URL")
        upload = [("files", ("b.txt", b"Another article.", "text/plain"))]
        assert_error(c.post("/v1/documents", files=upload), 409, "embedding_mismatch",
                     "--rebuild")

"""Shared fixtures: real components only (embedded Chroma, the packaged MiniLM model)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import rag  # noqa: F401  (forces offline mode before anything else loads)
from rag.service import RagService
from rag.settings import Settings, load_settings

PROJECT = Path(__file__).resolve().parent.parent
ARTICLES = PROJECT / "data" / "articles"

# Settings come from the test, never from a developer's .env or shell.
for _name in list(os.environ):
    if _name.startswith("RAG_") or _name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        del os.environ[_name]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--screenshot", metavar="PATH", default=None,
                     help="tests/ui/test_browser.py: save the chat's picture here instead of "
                          "the test's temp folder (scripts/screenshot.sh: the README's)")


LLM_FIXTURES = {"llm_server", "embedding_server"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need the local LLM server (`pytest -m llm` runs just them, `-m
    "not llm"` the others)."""
    for item in items:
        if LLM_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.llm)


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    return load_settings(_env_file=None, data_dir=data_dir, **overrides)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def articles_copy(tmp_path: Path) -> Path:
    target = tmp_path / "articles"
    shutil.copytree(ARTICLES, target)
    return target


@pytest.fixture(scope="session")
def corpus_service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    """One service over the sample articles, shared by read-only tests."""
    service = RagService(make_settings(tmp_path_factory.mktemp("corpus-index")))
    report = service.ingest_paths([ARTICLES], progress=False)
    assert len(report.added) == 5, report
    return service


@pytest.fixture
def fresh_service(tmp_path: Path) -> RagService:
    """An empty index of its own, for tests that write."""
    return RagService(make_settings(tmp_path / "index"))


@contextmanager
def serving(app: object) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free loopback port, in a thread; yield its URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_for_chat(url: str, timeout: float = 120) -> dict[str, object]:
    """Poll /ready until the chat, built in the background after the API, is mounted at
    "/"; return /ready's body. Fails with the chat's state if it is not "ok"."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        body = httpx.get(f"{url}/ready", timeout=10).json()
        if body.get("ui") != "starting":
            assert body.get("ui") == "ok", body
            return body
        assert time.monotonic() < deadline, f"the chat did not start in {timeout:.0f} s"
        time.sleep(0.1)

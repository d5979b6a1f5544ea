"""Fixtures for the rag tests that need a real LLM endpoint."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.llm_server import LlamaServer, llama_server


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server on SmolLM2-135M, on a loopback port, for the session.

    One model serves every request in turn, so tests using it must not leave a stream open.
    """
    with llama_server(log_dir=tmp_path_factory.mktemp("llama-server")) as server:
        yield server


@pytest.fixture(scope="session")
def llm_base_url(llm_server: LlamaServer) -> str:
    """The server's OpenAI base URL (http://127.0.0.1:PORT/v1); any model name is served."""
    return llm_server.base_url

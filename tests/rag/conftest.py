"""Fixtures for the rag tests that need a real server: llama.cpp (LLM, embeddings), Chroma."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.llm_server import LlamaServer, llama_server

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="session")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """llama.cpp's OpenAI-compatible server on SmolLM2-135M, on a loopback port, for the session.

    One model serves every request in turn, so tests using it must not leave a stream open.
    """
    with llama_server(log_dir=tmp_path_factory.mktemp("llama-server")) as server:
        yield server


_exits_reported: set[int] = set()  # ports of servers whose exit a test already reported


@pytest.fixture(autouse=True)
def _llm_servers_alive(request: pytest.FixtureRequest) -> Iterator[None]:
    """A server that dies is one clear failure (exit code, log tail), not a "Connection
    error" in every later test: the test it died in fails, later ones are skipped."""
    servers: list[LlamaServer] = [request.getfixturevalue(name) for name in
                                  ("llm_server", "embedding_server")
                                  if name in request.fixturenames]
    for server in servers:
        if server.port in _exits_reported:
            pytest.skip(f"the llama.cpp server on port {server.port} exited earlier")
    yield
    for server in servers:
        report = server.exit_report()
        if report and server.port not in _exits_reported:
            _exits_reported.add(server.port)
            pytest.fail(report, pytrace=False)


@pytest.fixture(scope="session")
def llm_base_url(llm_server: LlamaServer) -> str:
    """The server's OpenAI base URL (http://127.0.0.1:PORT/v1); any model name is served."""
    return llm_server.base_url


# llama.cpp's embedding mode. SmolLM2's GGUF names no pooling, and llama.cpp's
# /v1/embeddings refuses to answer without one: mean pooling, one vector per input.
EMBEDDING_SERVER_ARGS = ("--embedding", "--pooling", "mean")
# The longest input the server takes: llama.cpp does not truncate an embedding input, one
# longer than this is an HTTP 500. Chunks are at most `chunk_size` tiktoken tokens (180 by
# default, 230 at most); SmolLM2 counts about as many (the sample articles' 21 chunks: 54 to
# 189 tokens), so 512 leaves room. Whole chunks are embedded (llama-cpp-python's server cut
# each to its first 64 tokens): ~3,300 tokens, 40-75 s at one thread.
EMBEDDING_N_CTX = 512


@pytest.fixture(scope="session")
def embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """A second llama.cpp server on SmolLM2-135M, in embedding mode: POST /v1/embeddings
    answers one mean-pooled, L2-normalised vector (576 floats) per input, whatever model name
    is asked for.
    """
    with llama_server(log_dir=tmp_path_factory.mktemp("embedding-server"),
                      n_ctx=EMBEDDING_N_CTX, extra_args=EMBEDDING_SERVER_ARGS) as server:
        yield server


@pytest.fixture(scope="session")
def embedding_server_url(embedding_server: LlamaServer) -> str:
    """The embedding server's OpenAI base URL (http://127.0.0.1:PORT/v1)."""
    return embedding_server.base_url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real `chroma run` on a free loopback port, for the session; yields its port."""
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen(
        [str(CHROMA), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        env={"ANONYMIZED_TELEMETRY": "False", "PATH": "/usr/bin:/bin"},
    )
    try:
        import chromadb
        from chromadb.config import Settings

        deadline = time.monotonic() + 60
        while True:
            try:
                chromadb.HttpClient(host="127.0.0.1", port=port,
                                    settings=Settings(anonymized_telemetry=False)).heartbeat()
                break
            except Exception:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"chroma run did not start: {err[-2000:]}")
                time.sleep(0.3)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=10)

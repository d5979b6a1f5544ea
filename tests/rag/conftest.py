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


# llama.cpp's embedding mode. SmolLM2's GGUF names no pooling, so llama.cpp would answer one
# vector per token (a list of lists, which no OpenAI client expects); its server has no
# pooling option, so the GGUF's `llama.pooling_type` key is overridden: 1 = mean.
EMBEDDING_SERVER_ARGS = ("--embedding", "True", "--kv_overrides", "llama.pooling_type=int:1")
# Also the batch size, to which the server truncates each input. One thread embeds only
# ~60-80 SmolLM2 tokens/s here: 64 makes ingesting the sample articles (21 chunks of ~215
# tokens) ~2.5x faster than 512 (22 s against 56 s under load). The vectors stay real, but
# each stands for its text's first 64 tokens only: fine for plumbing, not for quality.
EMBEDDING_N_CTX = 64


@pytest.fixture(scope="session")
def embedding_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    """A second llama.cpp server on SmolLM2-135M, in embedding mode: POST /v1/embeddings
    answers one mean-pooled vector (576 floats) per input, whatever model name is asked for.
    """
    with llama_server(log_dir=tmp_path_factory.mktemp("embedding-server"),
                      n_ctx=EMBEDDING_N_CTX, extra_args=EMBEDDING_SERVER_ARGS) as server:
        yield server


@pytest.fixture(scope="session")
def embedding_server_url(embedding_server: LlamaServer) -> str:
    """The embedding server's OpenAI base URL (http://127.0.0.1:PORT/v1)."""
    return embedding_server.base_url

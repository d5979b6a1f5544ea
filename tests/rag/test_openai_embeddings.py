"""The OpenAI embeddings path for real, against llama.cpp's server in embedding mode.

OpenAI's cloud cannot be reached from the tests; any OpenAI-compatible /v1/embeddings endpoint
goes through the same client (the openai package's embeddings API). The
server runs SmolLM2-135M, which is no embedding model: these tests check the plumbing (vectors
stored and searched, exact offsets, the model recorded on the collection, clear errors),
never retrieval quality.
"""

from __future__ import annotations

import math
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import llama_index.core
import pytest
import tiktoken.load
import tiktoken.registry
from llama_index.core.utils import get_tokenizer

from ingest.pipeline import IngestReport
from rag.components import embedding
from rag.components.embedding import LOCAL_MODEL_NAME, EmbeddingEndpointError
from rag.components.store import EmbeddingMismatchError
from rag.service import RagService
from rag.settings import Settings
from tests.conftest import ARTICLES, free_port, make_settings
from tests.llm_server import LlamaServer

COLLECTION = "articles-openai"
QUESTION = "Where did Orban and Putin meet?"
FAIL_FAST_S = 10.0  # a dead endpoint must fail within this, not after minutes of retries
LOCAL_SERVER_TIMEOUT_S = 300.0  # per embeddings request to the test server (see `index`)


def openai_settings(data_dir: Path, base_url: str, model: str, **overrides: object) -> Settings:
    return make_settings(data_dir, collection=COLLECTION, embedding="openai",
                         openai_base_url=base_url, openai_api_key="none",
                         embedding_model=model, **overrides)


@dataclass(frozen=True)
class Index:
    service: RagService
    report: IngestReport
    model: str


def _no_download(url: str) -> bytes:
    raise AssertionError(f"tiktoken tried to download {url}")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory, embedding_server: LlamaServer) -> Index:
    """The sample articles ingested through the OpenAI client, once for the module.

    Chunks are sized in tiktoken's tokens (the OpenAI embedder has no tokenizer of its own):
    its encoding is loaded afresh here with downloads turned into a failure, so the ingest
    proves that llama-index's bundled tiktoken cache is used.

    The ingest sends all 21 chunks in one request (~3,300 tokens), and one thread of SmolLM2
    embeds only ~45-80 tokens/s: 40-75 s, over the 60 s per request allowed a real endpoint.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(embedding, "OPENAI_TIMEOUT_S", LOCAL_SERVER_TIMEOUT_S)  # read at start
        service = RagService(openai_settings(tmp_path_factory.mktemp("openai-index"),
                                             embedding_server.base_url, embedding_server.model))
        mp.delenv("TIKTOKEN_CACHE_DIR", raising=False)  # the bundled cache, not a user's
        mp.setattr(tiktoken.load, "read_file", _no_download)
        mp.setattr(tiktoken.registry, "ENCODINGS", {})  # even if another test loaded it
        mp.setattr(llama_index.core, "global_tokenizer", None)
        report = service.ingest_paths([ARTICLES], progress=False)
    return Index(service, report, embedding_server.model)


def stored_chunks(service: RagService) -> list[tuple[str, str, dict]]:
    got = service.store.chunks.get(include=["documents", "metadatas"])
    return list(zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True))


def test_ingest_through_the_openai_client(index: Index) -> None:
    assert not index.report.skipped, index.report.skipped
    assert len(index.report.added) == 5, index.report
    assert index.service.store.built_with() == index.model
    assert [d.source for d in index.service.documents()] == sorted(
        p.name for p in ARTICLES.glob("*.txt"))  # not the metadata.json sidecar

    chunks = stored_chunks(index.service)
    assert len(chunks) > 5, "the articles are longer than one chunk"
    count_tokens = get_tokenizer()  # tiktoken's cl100k_base, as llama-index sets it up
    size = index.service.settings.chunk_size
    for chunk_id, text, meta in chunks:
        doc_text = index.service.document_text(str(meta["doc_id"]))
        assert doc_text is not None
        assert doc_text[int(meta["start"]):int(meta["end"])] == text, chunk_id
        assert len(count_tokens(text)) <= size, f"{chunk_id} exceeds {size} tokens"


def test_vectors_are_real_and_consistent(index: Index) -> None:
    query = index.service.embedder.embed_query(QUESTION)
    stored = index.service.store.chunks.get(limit=1, include=["embeddings"])["embeddings"][0]
    assert len(query) == len(stored) > 100  # one pooled vector per text, not one per token
    assert all(isinstance(x, float) and math.isfinite(x) for x in query)
    assert any(x != 0.0 for x in query)


def test_search_returns_passages_with_exact_offsets(index: Index) -> None:
    passages = index.service.search(QUESTION, top_k=4)
    assert len(passages) == 4
    assert len({p.chunk_id for p in passages}) == 4
    assert [p.score for p in passages] == sorted((p.score for p in passages), reverse=True)
    for p in passages:
        doc_text = index.service.document_text(p.doc_id)
        assert doc_text is not None and doc_text[p.start:p.end] == p.text, p.chunk_id


def test_a_chunk_is_its_own_nearest_neighbour(index: Index) -> None:
    """Query and document vectors come from the same model: a chunk's text finds that chunk."""
    chunk_id, text, _ = stored_chunks(index.service)[3]
    [top] = index.service.search(text, top_k=1)
    assert top.chunk_id == chunk_id
    assert top.score > 0.99


def test_the_local_model_on_this_index_is_a_mismatch(index: Index) -> None:
    local = RagService(make_settings(index.service.settings.data_dir, collection=COLLECTION))
    assert local.embedder.name == LOCAL_MODEL_NAME
    expected = rf"'{index.model}' but '{LOCAL_MODEL_NAME}'.*re-ingest with `rag ingest --rebuild"
    with pytest.raises(EmbeddingMismatchError, match=expected):
        local.search(QUESTION)
    with pytest.raises(EmbeddingMismatchError, match=expected):
        local.ingest_paths([ARTICLES], progress=False)
    assert index.service.store.built_with() == index.model, "the index is left as it was"


def test_unreachable_endpoint_fails_fast_and_clearly(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    service = RagService(openai_settings(tmp_path / "index", url, "some-model"))
    expected = (rf"embeddings endpoint {url} failed for model 'some-model': "
                r"APIConnectionError: Connection error\. \(.*Connection refused\).*OPENAI_BASE_URL")

    started = time.monotonic()
    with pytest.raises(EmbeddingEndpointError, match=expected):
        service.search(QUESTION)
    assert time.monotonic() - started < FAIL_FAST_S

    # Ingest reports each document as failed (one bad document must not stop the others).
    started = time.monotonic()
    report = service.ingest_paths([ARTICLES], progress=False)
    assert time.monotonic() - started < 5 * FAIL_FAST_S
    assert not (report.added or report.updated or report.unchanged)
    assert len(report.skipped) == 5
    for _, reason in report.skipped:
        assert reason.startswith("failed to index: the embeddings endpoint"), reason
    assert service.documents() == []


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    """A port that accepts connections (the kernel's backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"


def test_silent_endpoint_times_out(tmp_path: Path, silent_endpoint: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(embedding, "OPENAI_TIMEOUT_S", 1.0)  # the real one is 60 s
    service = RagService(openai_settings(tmp_path / "index", silent_endpoint, "some-model"))
    started = time.monotonic()
    with pytest.raises(EmbeddingEndpointError, match=r"APITimeoutError: Request timed out"):
        service.search(QUESTION)
    assert time.monotonic() - started < FAIL_FAST_S

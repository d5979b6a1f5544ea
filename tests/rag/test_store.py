"""The store: embedded by default, a real `chroma run` server when its host is set."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.components.store import EmbeddingMismatchError, StoreError
from rag.service import RagService
from tests.conftest import ARTICLES, free_port, make_settings

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
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


def test_server_path_ingests_and_answers(chroma_server: int, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "unused", chroma_host="127.0.0.1",
                             chroma_port=chroma_server, collection="server_articles")
    service = RagService(settings)
    report = service.ingest_paths([ARTICLES], progress=False)
    assert len(report.added) == 5
    assert not (tmp_path / "unused" / "chroma").exists(), "nothing is stored locally"
    answer = service.ask("Where did Orban and Putin meet during the Belt and Road Forum?")
    assert "Beijing" in answer.answer
    # A second client (another process or machine would do the same) sees the same index.
    other = RagService(settings)
    assert {d.source for d in other.documents()} == {p.name for p in ARTICLES.glob("*.txt")}
    assert other.ingest_paths([ARTICLES], progress=False).unchanged


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, chroma_host="127.0.0.1", chroma_port=free_port())
    with pytest.raises(StoreError, match=r"Chroma server at 127\.0\.0\.1"):
        RagService(settings).readiness()


def test_embedded_store_persists_across_processes(tmp_path: Path) -> None:
    RagService(make_settings(tmp_path)).ingest_paths([ARTICLES], progress=False)
    assert (tmp_path / "chroma").is_dir()
    reopened = RagService(make_settings(tmp_path))
    assert len(reopened.documents()) == 5 and reopened.search("Beijing forum", top_k=2)


def test_querying_with_another_embedding_model_says_to_reingest(
        corpus_service: RagService, tmp_path: Path) -> None:
    from rag.components.store import ChunkStore

    built = corpus_service.store
    other = ChunkStore(built._client, corpus_service.settings.collection, "text-embedding-3-small")
    with pytest.raises(EmbeddingMismatchError, match=r"all-MiniLM-L6-v2.*rebuild"):
        other.query([0.0] * 384, 3)
    with pytest.raises(EmbeddingMismatchError):
        other.check_embedding_model()


def test_rebuild_drops_the_index(fresh_service: RagService) -> None:
    fresh_service.ingest_paths([ARTICLES], progress=False)
    fresh_service.rebuild()
    assert fresh_service.documents() == [] and fresh_service.search("Orban") == []

"""The store: embedded by default, a real `chroma run` server when its host is set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rag.components.store import EmbeddingMismatchError, StoreError
from rag.service import RagService
from tests.conftest import ARTICLES, free_port, make_settings

CHROMA = Path(sys.executable).with_name("chroma")


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


# One step of the persistence test, in a Python process of its own: chromadb keeps one
# client per path inside a process, so only another process shows what is on disk.
STORE_STEP = """
import json, sys
from pathlib import Path
from rag.service import RagService
from rag.settings import load_settings

service = RagService(load_settings(_env_file=None, data_dir=Path(sys.argv[1])))
if len(sys.argv) > 2:
    service.ingest_paths([Path(sys.argv[2])], progress=False)
print(json.dumps({"documents": sorted(d.source for d in service.documents()),
                  "hits": [[p.chunk_id, p.text] for p in service.search("Beijing forum", 3)]}))
"""


def store_step(data_dir: Path, *ingest: Path) -> dict[str, list]:
    proc = subprocess.run([sys.executable, "-c", STORE_STEP, str(data_dir), *map(str, ingest)],
                          capture_output=True, text=True, timeout=300, check=False,
                          cwd=data_dir.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_embedded_store_persists_across_processes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    written = store_step(data_dir, ARTICLES)  # ingests, then exits
    assert written["documents"] == sorted(p.name for p in ARTICLES.glob("*.txt"))
    assert written["hits"] and any("Beijing" in text for _, text in written["hits"])
    assert (data_dir / "chroma").is_dir()
    read_back = store_step(data_dir)  # a new process that only opens the folder
    assert read_back == written


def test_querying_with_another_embedding_model_says_to_reingest(
        corpus_service: RagService, tmp_path: Path) -> None:
    from rag.components.store import open_store

    other = open_store(corpus_service.settings, "text-embedding-3-small")
    with pytest.raises(EmbeddingMismatchError, match=r"all-MiniLM-L6-v2.*rebuild"):
        other.query([0.0] * 384, 3)
    with pytest.raises(EmbeddingMismatchError):
        other.check_embedding_model()


def test_rebuild_drops_the_index(fresh_service: RagService) -> None:
    fresh_service.ingest_paths([ARTICLES], progress=False)
    fresh_service.rebuild()
    assert fresh_service.documents() == [] and fresh_service.search("Orban") == []


def test_article_fields_are_written_and_rewritten_on_the_server_too(
        chroma_server: int, tmp_path: Path) -> None:
    """Chroma merges a record's metadata on upsert and update: a field the article no
    longer has must be deleted, not kept from the version before (same on the server)."""
    folder = tmp_path / "news"
    folder.mkdir()
    name = sorted(ARTICLES.glob("*.txt"))[3].name
    (folder / name).write_bytes((ARTICLES / name).read_bytes())
    sidecar = folder / "metadata.json"
    sidecar.write_text(json.dumps({name: {"published": "2023-10-17", "site": "Wire"}}))
    service = RagService(make_settings(tmp_path / "unused", chroma_host="127.0.0.1",
                                       chroma_port=chroma_server, collection="server_meta"))
    service.ingest_paths([folder], progress=False)
    hit = service.search("Belt and Road Forum in Beijing", top_k=1)[0]
    assert (hit.source, hit.published, hit.site) == (name, "2023-10-17", "Wire")

    sidecar.write_text(json.dumps({name: {"published": "2023-10-18"}}))
    assert service.ingest_paths([folder], progress=False).updated == [name]
    [doc] = service.documents()
    assert (doc.published, doc.site) == ("2023-10-18", None)
    got = service.store.chunks.get(where={"published_day": 20231018}, include=["metadatas"])
    assert got["ids"] and all("site" not in m for m in got["metadatas"] or [])
    assert service.store.chunks.get(where={"published_day": 20231017})["ids"] == []
    hit = service.search("Belt and Road Forum in Beijing", top_k=1)[0]
    assert (hit.published, hit.site, hit.title) == ("2023-10-18", None, doc.title)

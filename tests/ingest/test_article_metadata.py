"""Article metadata through ingest into a real embedded Chroma: the sidecar, the command
line's options, updates when only metadata changes (no embedding), the sample articles."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from rag.cli import main
from rag.components.embedding import OnnxMiniLM
from rag.service import RagService
from tests.conftest import ARTICLES
from tests.ingest.news_server import PAGES

FIRST = "000_81b70a0ba4ae34a8.txt"


def chunk_metas(service: RagService, doc_id: str) -> list[dict]:
    got = service.store.chunks.get(where={"doc_id": doc_id}, include=["metadatas"])
    return list(got["metadatas"] or [])


def by_source(service: RagService) -> dict:
    return {d.source: d for d in service.documents()}


def test_the_sample_articles_have_their_headlines_and_no_invented_metadata(
        fresh_service: RagService) -> None:
    report = fresh_service.ingest_paths([ARTICLES], progress=False)
    assert len(report.added) == 5 and not report.skipped, "the sidecar is no article"
    sidecar = json.loads((ARTICLES / "metadata.json").read_text(encoding="utf-8"))
    assert set(sidecar) == {p.name for p in ARTICLES.glob("*.txt")}
    for doc in fresh_service.documents():
        text = (ARTICLES / doc.source).read_text(encoding="utf-8")
        assert doc.title == text.split("\n", 1)[0] == sidecar[doc.source]["title"]
        assert (doc.published, doc.url, doc.site) == (None, None, None)


def test_sidecar_metadata_reaches_documents_chunks_and_search(
        fresh_service: RagService, tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(ARTICLES / FIRST, folder)
    shutil.copy(PAGES / "harbour.html", folder)
    (folder / "metadata.json").write_text(json.dumps(
        {FIRST: {"published": "2025-11-28", "site": "Example Wire",
                 "url": "https://wire.example/orban-moscow"}}))
    report = fresh_service.ingest_paths([folder], progress=False)
    assert sorted(report.added) == [FIRST, "harbour.html"] and not report.skipped
    docs = by_source(fresh_service)
    first, harbour = docs[FIRST], docs["harbour.html"]
    assert (first.published, first.site, first.url) == (
        "2025-11-28", "Example Wire", "https://wire.example/orban-moscow")
    assert (harbour.published, harbour.site) == ("2024-03-14", "The Coastal Herald")

    metas = chunk_metas(fresh_service, first.doc_id)
    assert metas and all(m["published"] == "2025-11-28" and m["published_day"] == 20251128
                         and m["site"] == "Example Wire" and m["title"] == first.title
                         for m in metas)
    # The day number is what a filter compares in Chroma's `where`.
    newer = fresh_service.store.chunks.get(where={"published_day": {"$gte": 20250101}},
                                           include=["metadatas"])
    assert {m["doc_id"] for m in newer["metadatas"] or []} == {first.doc_id}
    hit = fresh_service.search("Who joined Orban and Putin in the Kremlin?", top_k=1)[0]
    assert (hit.source, hit.title, hit.published, hit.site, hit.url) == (
        FIRST, first.title, "2025-11-28", "Example Wire", "https://wire.example/orban-moscow")


def test_a_metadata_change_updates_without_embedding_and_a_broken_sidecar_changes_nothing(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    shutil.copy(ARTICLES / FIRST, folder)
    sidecar = folder / "metadata.json"
    sidecar.write_text(json.dumps({FIRST: {"published": "2025-11-28", "site": "Wire"}}))
    fresh_service.ingest_paths([folder], progress=False)
    doc_id = by_source(fresh_service)[FIRST].doc_id
    chunk_ids = sorted(fresh_service.store.chunks.get(where={"doc_id": doc_id})["ids"])

    def no_embedding(*args: object) -> None:
        raise AssertionError("a metadata change embedded the text again")

    monkeypatch.setattr(OnnxMiniLM, "_embed", no_embedding)
    sidecar.write_text(json.dumps({FIRST: {"published": "2025-11-27"}}))  # site dropped
    report = fresh_service.ingest_paths([folder], progress=False)
    assert report.updated == [FIRST] and report.chunks == 0
    doc = by_source(fresh_service)[FIRST]
    assert (doc.published, doc.site) == ("2025-11-27", None)
    metas = chunk_metas(fresh_service, doc_id)
    assert all(m["published_day"] == 20251127 and "site" not in m for m in metas)
    assert sorted(fresh_service.store.chunks.get(where={"doc_id": doc_id})["ids"]) == chunk_ids
    assert fresh_service.search("Ushakov", top_k=1)[0].published == "2025-11-27"

    assert fresh_service.ingest_paths([folder], progress=False).unchanged == [FIRST]
    sidecar.write_text(json.dumps({FIRST: {"published": "last week"}}))
    broken = fresh_service.ingest_paths([folder], progress=False)
    assert broken.skipped == [(str(folder / FIRST), f"metadata.json, entry '{FIRST}': "
                               "published 'last week' is not a date (YYYY-MM-DD)")]
    assert by_source(fresh_service)[FIRST].published == "2025-11-27", "left as it was"


def test_the_command_line_gives_metadata_over_the_sidecar(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "index"))
    folder = tmp_path / "news"
    shutil.copytree(ARTICLES, folder)
    assert main(["ingest", "-q", "--published", "2024-07-05", "--site", "Wire",
                 str(folder / "002_0a33fedb6c86f413.txt")]) == 0
    assert main(["documents"]) == 0
    listed = capsys.readouterr().out
    assert "2024-07-05" in listed and "(Wire)" in listed
    assert main(["ingest", "-q", "--title", "T", str(folder), str(folder)]) == 2
    assert "--title and --url describe one article" in capsys.readouterr().err
    assert main(["ingest", "-q", "--published", "July", str(folder)]) == 2
    assert "not a date" in capsys.readouterr().err
    # Without the option, the sidecar's metadata (none) is back: the date goes.
    assert main(["ingest", "-q", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "updated   002_0a33fedb6c86f413.txt" in out and "4 added" in out
    assert main(["ask", "What did Bertalan Havasi tell MTI?"]) == 0
    printed = capsys.readouterr().out
    assert "[1] " in printed


def test_given_metadata_that_changes_nothing_is_recorded_so_the_next_run_does_not_parse(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "news"
    shutil.copytree(ARTICLES, folder)
    (folder / "metadata.json").unlink()
    fresh_service.ingest_paths([folder], progress=False)
    shutil.copy(ARTICLES / "metadata.json", folder)  # titles the files have already
    report = fresh_service.ingest_paths([folder], progress=False)
    assert len(report.unchanged) == 5 and not report.updated

    def no_parsing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr("ingest.pipeline.load_bytes", no_parsing)
    assert len(fresh_service.ingest_paths([folder], progress=False).unchanged) == 5

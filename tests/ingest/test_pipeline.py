"""Ingest into a real embedded Chroma: idempotence, updates, pruning, skips, crash safety."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.components.embedding import OnnxMiniLM
from rag.service import RagService


def chunk_count(service: RagService) -> int:
    return service.store.chunks.count()


def test_reingest_is_idempotent(fresh_service: RagService, articles_copy: Path) -> None:
    first = fresh_service.ingest_paths([articles_copy], progress=False)
    assert len(first.added) == 5 and not first.skipped
    chunks = chunk_count(fresh_service)
    second = fresh_service.ingest_paths([articles_copy], progress=False)
    assert len(second.unchanged) == 5 and not (second.added or second.updated)
    assert chunk_count(fresh_service) == chunks


def test_same_name_from_another_folder_replaces_never_duplicates(
        fresh_service: RagService, articles_copy: Path, tmp_path: Path) -> None:
    fresh_service.ingest_paths([articles_copy], progress=False)
    chunks = chunk_count(fresh_service)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    original = sorted(articles_copy.glob("*.txt"))[0]
    shutil.copy(original, elsewhere / original.name)
    again = fresh_service.ingest_paths([elsewhere / original.name], progress=False)
    assert again.unchanged == [original.name]
    assert chunk_count(fresh_service) == chunks
    assert len(fresh_service.documents()) == 5


def test_changed_file_replaces_its_old_chunks(fresh_service: RagService, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Orban visited Vienna to discuss rail links with Austria.")
    fresh_service.ingest_paths([note], progress=False)
    note.write_text("Orban visited Lisbon to talk about port investment with Portugal.")
    report = fresh_service.ingest_paths([note], progress=False)
    assert report.updated == ["note.txt"]
    texts = fresh_service.store.chunks.get(include=["documents"])["documents"]
    assert texts and all("Lisbon" in t and "Vienna" not in t for t in texts)
    hit = fresh_service.search("rail links with Austria", top_k=3)
    assert all("Vienna" not in p.text for p in hit)


def test_prune_removes_documents_whose_files_are_gone(
        fresh_service: RagService, articles_copy: Path) -> None:
    fresh_service.ingest_paths([articles_copy], progress=False)
    gone = sorted(articles_copy.glob("*.txt"))[-1]
    gone.unlink()
    report = fresh_service.ingest_paths([articles_copy], prune=True, progress=False)
    assert report.removed == [gone.name]
    assert gone.name not in {d.source for d in fresh_service.documents()}
    assert all(p.source != gone.name for p in fresh_service.search("Orban Putin", top_k=20))


def test_bad_files_are_skipped_with_reasons_and_the_rest_goes_on(
        fresh_service: RagService, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "good.md").write_text("# Talks\n\nOrban and Putin discussed gas supplies.")
    (folder / "empty.txt").write_text("")
    (folder / "binary.txt").write_bytes(b"\x00\x01\x02\x03")
    (folder / "latin.txt").write_bytes("señor".encode("latin-1"))
    (folder / "image.png").write_bytes(b"\x89PNG....")
    (folder / "dir.txt").mkdir()  # a folder is walked into, and holds nothing
    report = fresh_service.ingest_paths([folder, tmp_path / "missing.txt"], progress=False)
    assert report.added == ["good.md"]
    reasons = {Path(f).name: r for f, r in report.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin.txt", "image.png", "missing.txt"}
    assert "empty" in reasons["empty.txt"] and "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin.txt"] and "unsupported" in reasons["image.png"]
    assert "no such file" in reasons["missing.txt"]


def test_a_crash_before_the_commit_point_keeps_the_old_version(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Orban visited Vienna to discuss rail links with Austria.")
    fresh_service.ingest_paths([note], progress=False)
    note.write_text("Orban visited Lisbon to talk about port investment with Portugal.")

    registry = fresh_service.store.registry

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(registry, "upsert", crash)  # new chunks are written, then the crash
    report = fresh_service.ingest_paths([note], progress=False)
    assert report.skipped and "power cut" in report.skipped[0][1]
    # Readers still see exactly the old version.
    hits = fresh_service.search("Orban visited", top_k=5)
    assert [p.text for p in hits] == ["Orban visited Vienna to discuss rail links with Austria."]
    monkeypatch.undo()
    assert fresh_service.store.repair() == 1  # the uncommitted chunk is cleaned up
    assert fresh_service.ingest_paths([note], progress=False).updated == ["note.txt"]
    assert [p.text for p in fresh_service.search("Orban visited", top_k=5)] == [
        "Orban visited Lisbon to talk about port investment with Portugal."]


def test_a_failed_embedding_leaves_the_index_unchanged(
        fresh_service: RagService, articles_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(self: OnnxMiniLM, texts: list[str], spans: object = None) -> object:
        raise RuntimeError("model crashed")

    monkeypatch.setattr(OnnxMiniLM, "_embed", broken)  # under embed_texts and embed_spans
    report = fresh_service.ingest_paths([articles_copy], progress=False)
    assert len(report.skipped) == 5 and not report.added
    assert chunk_count(fresh_service) == 0 and fresh_service.documents() == []


def test_a_document_the_embedder_rejects_fails_alone(
        fresh_service: RagService, articles_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch holding it fails; each of its documents is then tried alone (an endpoint
    that rejects one input must not cost the documents batched with it)."""
    (articles_copy / "rejected.txt").write_text("Quarantined words the endpoint refuses.\n")
    embed = OnnxMiniLM._embed

    def rejecting(self: OnnxMiniLM, texts: list[str], spans: object = None) -> object:
        if any("Quarantined" in t for t in texts):
            raise RuntimeError("input rejected")
        return embed(self, texts, spans)  # type: ignore[arg-type]

    monkeypatch.setattr(OnnxMiniLM, "_embed", rejecting)  # under embed_texts and embed_spans
    report = fresh_service.ingest_paths([articles_copy], progress=False)
    assert report.skipped == [(str(articles_copy / "rejected.txt"),
                               "failed to index: input rejected")]
    assert len(report.added) == 5
    assert report.chunks == chunk_count(fresh_service) > 5
    assert "rejected.txt" not in {d.source for d in fresh_service.documents()}


def test_delete_document_removes_it_from_search(
        fresh_service: RagService, articles_copy: Path) -> None:
    fresh_service.ingest_paths([articles_copy], progress=False)
    doc = fresh_service.documents()[0]
    assert fresh_service.delete_document(doc.doc_id)
    assert not fresh_service.delete_document(doc.doc_id)
    assert all(p.doc_id != doc.doc_id for p in fresh_service.search("Orban", top_k=30))
    assert fresh_service.store.chunks.get(where={"doc_id": doc.doc_id})["ids"] == []


def test_the_embedder_gets_full_batches_across_files(
        fresh_service: RagService, articles_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    embed = OnnxMiniLM._embed

    def counting(self: OnnxMiniLM, texts: list[str], spans: object = None) -> object:
        calls.append(len(texts))
        return embed(self, texts, spans)  # type: ignore[arg-type]

    monkeypatch.setattr(OnnxMiniLM, "_embed", counting)  # under embed_texts and embed_spans
    report = fresh_service.ingest_paths([articles_copy], progress=False)
    assert len(report.added) == 5 and report.chunks == chunk_count(fresh_service) == sum(calls)
    assert len(calls) == 1, "5 files, 21 chunks: one batch, not one call per file"


def test_an_unchanged_reingest_neither_parses_nor_loads_the_model(
        fresh_service: RagService, articles_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_service.ingest_paths([articles_copy], progress=False)
    from rag.components.embedding import _local

    _local.cache_clear()  # a model of its own, as a new process would have
    again = RagService(fresh_service.settings)

    def no_parsing(*args: object) -> None:
        raise AssertionError("an unchanged file was parsed")

    monkeypatch.setattr("ingest.pipeline.load_bytes", no_parsing)
    report = again.ingest_paths([articles_copy], progress=False)
    assert len(report.unchanged) == 5 and not report.skipped
    assert again.embedder._session is None, "the model was loaded for nothing"
